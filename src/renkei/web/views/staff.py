"""Staff memberships of a region, managed by its secretariat (or a superuser)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from renkei.core.errors import ApplicationError, NotFound
from renkei.network.forms import MembershipCreateForm, MembershipUpdateForm
from renkei.network.models import Membership
from renkei.network.selectors import staff_context, staff_manageable_organizations, staff_visible_to
from renkei.network.services import membership_create, membership_update

from .common import apply_errors, organization_choices, paginate, secretariat_required


def _managed_memberships(request: HttpRequest):  # type: ignore[no-untyped-def]
    ctx = staff_context(request.user)
    qs = staff_visible_to(request.user)
    if not ctx.is_superuser:
        qs = qs.filter(organization__region_id__in=ctx.secretariat_region_ids)
    return qs


@secretariat_required
def staff_list_view(request: HttpRequest) -> HttpResponse:
    show_inactive = request.GET.get("inactive") == "1"
    memberships = _managed_memberships(request)
    if not show_inactive:
        memberships = memberships.filter(is_active=True)
    memberships = memberships.order_by(
        "organization__region__prefecture__code", "organization__name", "user__username", "-is_active"
    )
    return render(
        request,
        "web/staff/list.html",
        {"page": paginate(request, memberships), "show_inactive": show_inactive},
    )


@secretariat_required
def staff_create_view(request: HttpRequest) -> HttpResponse:
    choices = organization_choices(staff_manageable_organizations(staff_context(request.user)))
    form = MembershipCreateForm(request.POST or None, organization_choices=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = membership_create(
                actor=request.user,
                user_id=data["username"],
                organization_id=data["organization"],
                role=data["role"],
                title=data["title"],
                started_on=data["started_on"],
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                f"{membership.user.get_username()} さんを「{membership.organization.name}」の"
                f"{membership.get_role_display()}として登録しました。",
            )
            return redirect("web:staff_list")
    return render(
        request, "web/staff/form.html", {"form": form, "membership": None}, status=422 if form.errors else 200
    )


@secretariat_required
def staff_edit_view(request: HttpRequest, membership_id: int) -> HttpResponse:
    try:
        membership = _managed_memberships(request).get(pk=membership_id)
    except Membership.DoesNotExist:
        raise Http404("指定された職員の所属は見つかりません。") from None
    choices = organization_choices(staff_manageable_organizations(staff_context(request.user)))
    initial = {
        "organization": membership.organization_id,
        "role": membership.role,
        "title": membership.title,
        "is_active": membership.is_active,
    }
    form = MembershipUpdateForm(request.POST or None, initial=initial, organization_choices=choices)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            membership = membership_update(
                actor=request.user,
                membership_id=membership.pk,
                organization_id=data["organization"],
                role=data["role"],
                title=data["title"],
                is_active=data["is_active"],
            )
        except NotFound as exc:
            raise Http404(exc.message) from None
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{membership.user.get_username()} さんの所属を更新しました。")
            return redirect("web:staff_list")
    return render(
        request,
        "web/staff/form.html",
        {"form": form, "membership": membership},
        status=422 if form.errors else 200,
    )
