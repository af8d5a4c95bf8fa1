from django.urls import path

from .views import companies, organizations, pages, staff, transfer

app_name = "web"

urlpatterns = [
    path("", pages.home, name="home"),
    path("login/", pages.LoginView.as_view(), name="login"),
    path("logout/", pages.LogoutView.as_view(), name="logout"),
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
    path("staff/", staff.staff_list_view, name="staff_list"),
    path("staff/new/", staff.staff_create_view, name="staff_create"),
    path("staff/<int:membership_id>/edit/", staff.staff_edit_view, name="staff_edit"),
]
