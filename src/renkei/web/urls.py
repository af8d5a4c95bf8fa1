from django.urls import path

from .urls_catalog import urlpatterns as catalog_urlpatterns
from .urls_meetings import urlpatterns as meeting_urlpatterns
from .views import case_actions, cases, companies, consult, organizations, pages, staff, transfer

app_name = "web"

urlpatterns = [
    path("", pages.home, name="home"),
    path("login/", pages.LoginView.as_view(), name="login"),
    path("logout/", pages.LogoutView.as_view(), name="logout"),
    path("password/", pages.PasswordChangeView.as_view(), name="password_change"),
    path("organizations/", organizations.organization_list_view, name="organization_list"),
    path(
        "organizations/<int:organization_id>/",
        organizations.organization_detail_view,
        name="organization_detail",
    ),
    path("companies/", companies.company_list_view, name="company_list"),
    path("companies/new/", companies.company_create_view, name="company_create"),
    path("companies/import/", transfer.company_import_view, name="company_import"),
    path("companies/export.csv", transfer.company_export_csv_view, name="company_export_csv"),
    path("companies/export.xlsx", transfer.company_export_xlsx_view, name="company_export_xlsx"),
    path("companies/suggest/jsic/", companies.jsic_suggest_view, name="jsic_suggest"),
    path("companies/suggest/municipality/", companies.municipality_suggest_view, name="municipality_suggest"),
    path("companies/<int:company_id>/", companies.company_detail_view, name="company_detail"),
    path("companies/<int:company_id>/edit/", companies.company_edit_view, name="company_edit"),
    path(
        "companies/<int:company_id>/logins/", companies.company_login_create_view, name="company_login_create"
    ),
    path(
        "companies/<int:company_id>/logins/<int:account_id>/active/",
        companies.company_login_active_view,
        name="company_login_active",
    ),
    path("staff/", staff.staff_list_view, name="staff_list"),
    path("staff/new/", staff.staff_create_view, name="staff_create"),
    path("staff/<int:membership_id>/edit/", staff.staff_edit_view, name="staff_edit"),
    # the public consultation form (no login)
    path("consult/", consult.consult_view, name="consult"),
    path("consult/thanks/", consult.consult_thanks_view, name="consult_thanks"),
    # the case ledger (staff)
    path("cases/", cases.case_inbox_view, name="case_inbox"),
    path("cases/new/", cases.case_create_view, name="case_create"),
    path("cases/overdue/", cases.case_overdue_view, name="case_overdue"),
    path("cases/routing/", cases.case_routing_view, name="case_routing"),
    path("cases/suggest/company/", cases.case_company_suggest_view, name="case_company_suggest"),
    path("cases/<int:case_id>/", case_actions.case_detail_view, name="case_detail"),
    path("cases/<int:case_id>/classify/", case_actions.case_classify_view, name="case_classify"),
    path("cases/<int:case_id>/route/", case_actions.case_route_view, name="case_route"),
    path("cases/<int:case_id>/assign/", case_actions.case_assign_view, name="case_assign"),
    path("cases/<int:case_id>/status/", case_actions.case_status_view, name="case_status"),
    path("cases/<int:case_id>/escalate/", case_actions.case_escalate_view, name="case_escalate"),
    path("cases/<int:case_id>/hand-back/", case_actions.case_hand_back_view, name="case_hand_back"),
    path("cases/<int:case_id>/handoffs/", case_actions.case_handoff_view, name="case_handoff"),
    path("cases/<int:case_id>/notes/", case_actions.case_note_view, name="case_note"),
    path("cases/<int:case_id>/attachments/", case_actions.case_attach_view, name="case_attach"),
    path(
        "cases/attachments/<int:attachment_id>/",
        case_actions.attachment_download_view,
        name="case_attachment_download",
    ),
    path(
        "cases/handoffs/<int:handoff_id>/respond/",
        case_actions.handoff_respond_view,
        name="case_handoff_respond",
    ),
    path(
        "cases/handoffs/<int:handoff_id>/close/", case_actions.handoff_close_view, name="case_handoff_close"
    ),
    path("notifications/", cases.notification_list_view, name="notification_list"),
    path("notifications/read-all/", cases.notification_read_all_view, name="notification_read_all"),
    path(
        "notifications/<int:notification_id>/read/",
        cases.notification_read_view,
        name="notification_read",
    ),
]

# Meetings (定例会議・連携支援会議) and the referral letter.
urlpatterns += meeting_urlpatterns

# Search, the catalog pages and the matches panel of a case.
urlpatterns += catalog_urlpatterns
