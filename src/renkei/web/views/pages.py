"""The home page and the login/logout/password pages."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse_lazy

from renkei.companies.selectors import company_list
from renkei.network.models import Membership, PartnerNetwork
from renkei.network.selectors import organization_list, regions_with_organizations, staff_context


def home(request: HttpRequest) -> HttpResponse:
    regions = list(regions_with_organizations())
    context: dict[str, object] = {
        "regions": regions,
        "organization_total": sum(r.n_orgs for r in regions),
        "network_total": PartnerNetwork.objects.count(),
    }
    ctx = staff_context(request.user)
    if ctx.is_staff_member:
        memberships = list(
            Membership.objects.active()
            .filter(user_id=request.user.pk)
            .select_related("organization__region")
            .order_by("organization__region__prefecture__code", "organization__name")
        )
        my_regions = {m.organization.region for m in memberships}
        context.update(
            memberships=memberships,
            company_count=company_list(user=request.user).count(),
            region_counts=[
                (region, organization_list(region=region).count())
                for region in sorted(my_regions, key=lambda r: r.prefecture_id)
            ],
            can_write=bool(ctx.writer_org_ids) or ctx.is_superuser,
        )
    return render(request, "web/home.html", context)


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        user = form.get_user()
        name = f"{user.last_name} {user.first_name}".strip() or user.get_username()
        messages.success(self.request, f"{name} さん、ログインしました。")
        return response


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]

    def post(self, request, *args, **kwargs):  # type: ignore[no-untyped-def]
        response = super().post(request, *args, **kwargs)
        messages.success(request, "ログアウトしました。")
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Every logged-in user changes their own password here (a company login's initial one above all); Django keeps
    the session valid after the change and validates with AUTH_PASSWORD_VALIDATORS."""

    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:home")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_valid(form)
        messages.success(self.request, "パスワードを変更しました。")
        return response

    def form_invalid(self, form):  # type: ignore[no-untyped-def]
        response = super().form_invalid(form)
        response.status_code = 422
        return response
