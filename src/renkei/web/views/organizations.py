"""The public organization directory (no login) and organization pages."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from renkei.network.forms import OrganizationFilterForm
from renkei.network.models import Capability, Organization
from renkei.network.selectors import (
    organization_detail,
    organization_list,
    regions_with_organizations,
    staff_context,
    staff_visible_to,
)


def _capability_names(organization: Organization) -> list[str]:
    """The capability tags of all the organization's roles, once each, in tag order."""
    seen: dict[str, tuple[int, str]] = {}
    for role in organization.roles.all():
        for cap in role.capabilities.all():
            seen[cap.name] = (cap.sort_order, cap.name)
    return [name for _, name in sorted(seen.values())]


def organization_list_view(request: HttpRequest) -> HttpResponse:
    form = OrganizationFilterForm(
        request.GET or None,
        region_choices=[(r.slug, r.name) for r in regions_with_organizations()],
        capability_choices=list(Capability.objects.values_list("name", flat=True)),
    )
    filters = form.cleaned_data if form.is_valid() else {}
    organizations = list(
        organization_list(
            region=filters.get("region") or None,
            kind=filters.get("kind") or None,
            capability=filters.get("capability") or None,
            q=(filters.get("q") or "").strip() or None,
        )
    )
    for organization in organizations:
        organization.capability_names = _capability_names(organization)
    return render(
        request,
        "web/organizations/list.html",
        {
            "form": form,
            "organizations": organizations,
            "is_filtered": any(filters.values()) if filters else False,
        },
    )


def organization_detail_view(request: HttpRequest, organization_id: int) -> HttpResponse:
    try:
        organization = organization_detail(organization_id)
    except Organization.DoesNotExist:
        raise Http404("指定された機関は見つかりません。") from None
    networks = list(organization.partner_networks.all())
    ctx = staff_context(request.user)
    staff = None
    if ctx.is_staff_member:
        staff = list(
            staff_visible_to(request.user)
            .filter(organization=organization, is_active=True)
            .order_by("role", "user__last_name", "user__username")
        )
    return render(
        request,
        "web/organizations/detail.html",
        {
            "organization": organization,
            "networks": networks,
            "staff_members": staff,
            "children": sorted(organization.children.all(), key=lambda o: o.name),
        },
    )
