"""What every page's layout needs: who the user is in the network (or which company a company login stands for), and
which menu item is current."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from renkei.cases.choices import SlaBucket
from renkei.cases.notify import unread_count
from renkei.cases.selectors import InboxFilters, inbox_queryset
from renkei.companies.accounts import own_company
from renkei.network.models import Organization
from renkei.network.selectors import staff_context

# URL name prefix → navigation section (for aria-current in the menu). The first match wins.
_SECTIONS = (
    ("organization", "organizations"),
    ("compan", "companies"),
    ("jsic", "companies"),
    ("municipality", "companies"),
    ("staff", "staff"),
    ("case_overdue", "overdue"),
    ("case", "cases"),
    ("notification", "notifications"),
    ("consult", "consult"),
    ("meeting", "meetings"),
    ("search", "search"),
    ("catalog", "search"),
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


def case_counts(user: Any) -> dict[str, int]:
    """The home page's numbers: my open cases, and my organizations' open cases at risk / late (two queries)."""
    mine = inbox_queryset(user, InboxFilters(box="mine", status="open")).count()
    org = inbox_queryset(user, InboxFilters(box="org", status="open")).aggregate(
        open=Count("id"),
        at_risk=Count("id", filter=Q(sla_bucket=SlaBucket.AT_RISK)),
        late=Count("id", filter=Q(sla_bucket__in=[SlaBucket.LATE, SlaBucket.VERY_LATE])),
    )
    return {"mine": mine, **org}


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    ctx = staff_context(user)
    organization_names: list[str] = []
    if ctx.organization_ids:
        organization_names = list(
            Organization.objects.filter(pk__in=ctx.organization_ids)
            .order_by("name")
            .values_list("name", flat=True)
        )
    company = None if ctx.is_staff_member else own_company(user)  # a company login: its company's name
    return {
        "staff": ctx,
        "is_staff_member": ctx.is_staff_member,
        "can_manage_staff": ctx.is_superuser or bool(ctx.secretariat_region_ids),
        "nav_organizations": organization_names,
        "nav_company": company.name if company else "",
        "nav_section": _section(request),
        "nav_unread": unread_count(user) if ctx.is_staff_member else 0,
        # Evaluated only by a template that reads it (the home page): no queries on other pages.
        "case_counts": SimpleLazyObject(lambda: case_counts(user)) if ctx.is_staff_member else {},
    }
