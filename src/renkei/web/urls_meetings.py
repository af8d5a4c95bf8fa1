"""Meeting pages and the referral letter; included by ``renkei.web.urls`` (namespace ``web``) at the root."""

from django.urls import path

from .views import meetings

urlpatterns = [
    path("meetings/", meetings.meeting_list_view, name="meeting_list"),
    path("meetings/new/", meetings.meeting_create_view, name="meeting_create"),
    path("meetings/<int:meeting_id>/", meetings.meeting_detail_view, name="meeting_detail"),
    path("meetings/<int:meeting_id>/edit/", meetings.meeting_edit_view, name="meeting_edit"),
    path("meetings/<int:meeting_id>/minutes/", meetings.meeting_minutes_view, name="meeting_minutes"),
    path(
        "meetings/<int:meeting_id>/agenda/build/",
        meetings.meeting_agenda_build_view,
        name="meeting_agenda_build",
    ),
    path(
        "meetings/<int:meeting_id>/items/new/", meetings.meeting_item_create_view, name="meeting_item_create"
    ),
    path(
        "meetings/<int:meeting_id>/items/<int:item_id>/",
        meetings.meeting_item_update_view,
        name="meeting_item_update",
    ),
    path(
        "meetings/<int:meeting_id>/actions/new/",
        meetings.meeting_action_create_view,
        name="meeting_action_create",
    ),
    path(
        "meetings/<int:meeting_id>/actions/<int:action_id>/complete/",
        meetings.meeting_action_complete_view,
        name="meeting_action_complete",
    ),
    path("meetings/<int:meeting_id>/agenda.pdf", meetings.meeting_agenda_pdf_view, name="meeting_agenda_pdf"),
    path(
        "meetings/<int:meeting_id>/agenda.xlsx", meetings.meeting_agenda_xlsx_view, name="meeting_agenda_xlsx"
    ),
    path(
        "cases/handoffs/<int:handoff_id>/letter.pdf",
        meetings.handoff_letter_pdf_view,
        name="handoff_letter_pdf",
    ),
]
