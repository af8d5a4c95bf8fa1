"""What every page's layout needs: who the user is in the network, and which menu item is current."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from renkei.network.models import Organization
from renkei.network.selectors import staff_context

# URL name prefix → navigation section (for aria-current in the menu).
_SECTIONS = (
    ("organization", "organizations"),
    ("compan", "companies"),
    ("jsic", "companies"),
    ("municipality", "companies"),
    ("staff", "staff"),
    ("home", "home"),
    ("login", "login"),
)


def _section(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    name = match.url_name if match else ""
    for prefix, section in _SECTIONS:
        if name and name.startswith(prefix):
            return section
    return ""


def navigation(request: HttpRequest) -> dict[str, Any]:
    ctx = staff_context(getattr(request, "user", None))
    organization_names: list[str] = []
    if ctx.organization_ids:
        organization_names = list(
            Organization.objects.filter(pk__in=ctx.organization_ids)
            .order_by("name")
            .values_list("name", flat=True)
        )
    return {
        "staff": ctx,
        "is_staff_member": ctx.is_staff_member,
        "can_manage_staff": ctx.is_superuser or bool(ctx.secretariat_region_ids),
        "nav_organizations": organization_names,
        "nav_section": _section(request),
    }
