"""Case ledger pages (staff): the inbox, staff intake, the overdue dashboard, the routing rules and their tester,
and the in-app notifications. The case page and its actions are in ``case_actions.py``.

Everything read goes through the cases selectors (``Case.objects.visible_to``); every write through a service.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Case as DbCase
from django.db.models import Count, IntegerField, Q, Value, When, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from renkei.cases import policies
from renkei.cases.choices import CONSENT_ORDER, BusinessStage, Channel, ConsentScope, SlaBucket
from renkei.cases.forms import (
    SERVICE_FIELD_ALIASES,
    CaseCreateForm,
    InboxFilterForm,
    RegionChoiceForm,
    RoutingTestForm,
    company_option_label,
    resolve_company,
)
from renkei.cases.models import Notification, RoutingRule
from renkei.cases.notify import notification_list, notification_read, notification_read_all
from renkei.cases.routing import CONDITION_KEYS
from renkei.cases.selectors import COUNT_CAP, InboxFilters, case_inbox, overdue_dashboard
from renkei.cases.services import case_create, route_preview, routing_facts_from
from renkei.cases.validation import clean_intake
from renkei.companies.choices import SizeClass
from renkei.companies.selectors import company_list
from renkei.core.errors import ApplicationError, NotFound, ValidationFailed
from renkei.network.models import Category, Organization, Region, TargetField
from renkei.network.selectors import StaffContext, staff_context, writable_organizations

from .common import organization_choices, paginate, staff_required

PAGE_SIZE = 50


def apply_case_errors(form: forms.Form, exc: ApplicationError) -> None:
    """A service's errors onto the form: on the field they name (service names mapped to form names), the rest
    above the form."""
    if not exc.errors:
        form.add_error(None, exc.message)
        return
    for error in exc.errors:
        name = SERVICE_FIELD_ALIASES.get(error.field, error.field)
        form.add_error(name if name in form.fields else None, error.message)


def user_regions(ctx: StaffContext) -> list[Region]:
    """The home regions a user works in (every home region for a superuser)."""
    qs = (
        Region.objects.filter(is_home=True)
        if ctx.is_superuser
        else Region.objects.filter(pk__in=ctx.region_ids)
    )
    return list(qs.order_by("prefecture__code"))


# ---------------------------------------------------------------------------------------------------------------
# the inbox


@dataclass
class _Paginator:
    count: int
    per_page: int
    num_pages: int


@dataclass
class InboxPageView:
    """What ``includes/pagination.html`` reads from a Django Page, for the capped inbox count."""

    number: int
    paginator: _Paginator
    has_next: bool
    start_index: int
    end_index: int

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1


def _filter_organizations(request: HttpRequest, ctx: StaffContext) -> list[tuple[int, str]]:
    if ctx.is_superuser:
        qs = Organization.objects.filter(region__is_home=True)
    elif ctx.secretariat_region_ids:
        qs = Organization.objects.filter(
            Q(region_id__in=ctx.secretariat_region_ids) | Q(pk__in=ctx.organization_ids)
        )
    else:
        qs = Organization.objects.filter(pk__in=ctx.organization_ids)
    wanted = request.GET.get("organization", "")
    if wanted.isdigit():  # a link from the overdue dashboard may name any lead organization
        qs = qs | Organization.objects.filter(pk=int(wanted))
    choices = organization_choices(qs.distinct())
    return choices if len(choices) > 1 or wanted.isdigit() else []


def _page_number(request: HttpRequest) -> int:
    raw = request.GET.get("page", "1")
    number = int(raw) if raw.isdigit() else 1
    return max(1, min(number, COUNT_CAP // PAGE_SIZE + 1))


def _int(value: Any) -> int | None:
    return int(value) if value not in (None, "") and str(value).isdigit() else None


@staff_required
def case_inbox_view(request: HttpRequest) -> HttpResponse:
    ctx = staff_context(request.user)
    form = InboxFilterForm(
        request.GET or None,
        region_ids=None if ctx.is_superuser else sorted(ctx.region_ids),
        organizations=_filter_organizations(request, ctx),
    )
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    box = data.get("box") or "org"
    filters = InboxFilters(
        box=box,
        organization_id=_int(data.get("organization")),
        status=data.get("status") or "open",
        category_id=_int(data.get("category")),
        sla_bucket=data.get("sla_bucket") or "",
        step_id=_int(data.get("step")),
        fiscal_year=_int(data.get("fiscal_year")),
        q=data.get("q") or "",
    )
    number = _page_number(request)
    inbox = case_inbox(user=request.user, filters=filters, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    hidden = _company_hidden(ctx, inbox.rows)
    num_pages = max(1, -(-inbox.total // PAGE_SIZE)) + (1 if inbox.total_capped else 0)
    page = InboxPageView(
        number=number,
        paginator=_Paginator(count=inbox.total, per_page=PAGE_SIZE, num_pages=max(num_pages, number)),
        has_next=inbox.has_next or (inbox.total_capped and len(inbox.rows) == PAGE_SIZE),
        start_index=inbox.offset + 1 if inbox.rows else 0,
        end_index=inbox.offset + len(inbox.rows),
    )
    filtered = (
        any(data.get(k) for k in ("q", "category", "sla_bucket", "step", "organization", "fiscal_year"))
        or (data.get("status") or "open") != "open"
    )
    return render(
        request,
        "web/cases/inbox.html",
        {
            "form": form,
            "box": box,
            "rows": [(case, case.pk in hidden) for case in inbox.rows],
            "page": page,
            "total": inbox.total,
            "total_capped": inbox.total_capped,
            "is_filtered": filtered,
            "can_write": ctx.is_superuser or bool(ctx.writer_org_ids),
            "tabs": [("mine", "自分の担当"), ("org", "所属機関"), ("all", "すべて")],
        },
    )


def _company_hidden(ctx: StaffContext, rows: list) -> set[int]:
    """Cases the user reads only in summary (a hand-off 概要のみ): their company name is not shown."""
    outside = [
        c
        for c in rows
        if not policies.is_region_secretariat(ctx, c.region_id)
        and c.lead_organization_id not in ctx.organization_ids
    ]
    if not outside:
        return set()
    prefetch_related_objects(outside, "handoffs")
    detail = CONSENT_ORDER[ConsentScope.DETAIL]
    return {c.pk for c in outside if CONSENT_ORDER[policies.scope_for(ctx, c)] < detail}


# ---------------------------------------------------------------------------------------------------------------
# staff intake


def _intake_form(request: HttpRequest, ctx: StaffContext, data: Any = None) -> CaseCreateForm:
    writable = writable_organizations(ctx)
    if ctx.is_superuser:
        writable = writable.filter(region__is_home=True)
    choices = organization_choices(writable)
    if not choices:
        raise DjangoPermissionDenied("相談を登録できるのは、支援機関の事務局・コーディネーター・担当者です。")
    region_ids = sorted(set(writable.values_list("region_id", flat=True)))
    return CaseCreateForm(data, organization_choices=choices, region_ids=region_ids)


@staff_required
def case_create_view(request: HttpRequest) -> HttpResponse:
    ctx = staff_context(request.user)
    if request.method != "POST":
        return _intake_page(request, _intake_form(request, ctx))
    form = _intake_form(request, ctx, request.POST)
    if form.is_valid():
        company_id, problem = resolve_company(request.user, form.cleaned_data.get("company", ""))
        data = form.service_data(company_id)
        try:
            if problem:
                form.add_error("company", problem)
                clean_intake(data, public=False)  # report the other fields' problems too; writes nothing
            else:
                case = case_create(
                    actor=request.user, data=data, organization_id=form.cleaned_data.get("organization_id")
                )
        except ApplicationError as exc:
            apply_case_errors(form, exc)
        else:
            if not problem:
                messages.success(request, f"相談を受け付けました（受付番号 {case.receipt_number}）。")
                return redirect("web:case_detail", case_id=case.pk)
    return _intake_page(request, form)


def _intake_page(request: HttpRequest, form: CaseCreateForm) -> HttpResponse:
    typed = form["company"].value() or ""
    return render(
        request,
        "web/cases/new.html",
        {"form": form, "company_options": _company_options(request, typed)},
        status=422 if form.errors else 200,
    )


def _company_options(request: HttpRequest, typed: str) -> list[str]:
    rows = company_list(user=request.user, q=typed or None).values_list("pk", "name")[:30]
    return [company_option_label(pk, name) for pk, name in rows]


@require_GET
@staff_required
def case_company_suggest_view(request: HttpRequest) -> HttpResponse:
    """htmx: the <datalist> of companies the user may see whose name matches what is typed."""
    return render(
        request,
        "web/cases/_company_options.html",
        {"company_options": _company_options(request, request.GET.get("company", "").split("（ID")[0])},
    )


# ---------------------------------------------------------------------------------------------------------------
# the overdue dashboard


def _region_form(request: HttpRequest, regions: list[Region]) -> tuple[RegionChoiceForm | None, int | None]:
    if len(regions) <= 1:
        return None, regions[0].pk if regions else None
    form = RegionChoiceForm(
        request.GET or None, regions=[("", "すべての地域"), *[(r.pk, r.name) for r in regions]]
    )
    region_id = form.cleaned_data.get("region") if form.is_valid() else None
    return form, region_id


@staff_required
def case_overdue_view(request: HttpRequest) -> HttpResponse:
    ctx = staff_context(request.user)
    regions = user_regions(ctx)
    form, region_id = _region_form(request, regions)
    rows, late = overdue_dashboard(user=request.user, region_id=region_id)
    buckets = [(str(v), str(label)) for v, label in SlaBucket.choices]
    return render(
        request,
        "web/cases/overdue.html",
        {
            "form": form,
            "rows": [(row, [(v, label, row.counts[v]) for v, label in buckets]) for row in rows],
            "late": late,
            "buckets": buckets,
            "totals": [(v, label, sum(row.counts[v] for row in rows)) for v, label in buckets],
        },
    )


# ---------------------------------------------------------------------------------------------------------------
# routing rules and the tester


def _condition_labels() -> dict[str, dict[str, str]]:
    return {
        "categories": dict(Category.objects.values_list("code", "name")),
        "fields": dict(TargetField.objects.values_list("code", "name")),
        "size_classes": dict(SizeClass.choices),
        "channels": dict(Channel.choices),
        "stages": dict(BusinessStage.choices),
    }


def describe_conditions(conditions: dict, labels: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
    """[('相談区分', '技術的課題、研究課題'), ('キーワード', '「AI」「試作」'), …] in the order of CONDITION_KEYS."""
    out = []
    for key, label in CONDITION_KEYS.items():
        values = [str(v) for v in (conditions or {}).get(key) or [] if str(v).strip()]
        if not values:
            continue
        if key == "keywords":
            text = "".join(f"「{v}」" for v in values) + "のいずれかを含む"
        elif key == "jsic_prefixes":
            text = "、".join(values) + " で始まる"
        else:
            names = labels.get(key, {})
            text = "、".join(names.get(v, v) for v in values)
        out.append((label, text))
    return out


_FACT_OF = {
    "categories": ("category", "category_parent"),
    "fields": ("field", "field_parent"),
    "size_classes": ("size_class",),
    "channels": ("channel",),
    "stages": ("stage",),
}


def check_text(check: Any, facts: Any, labels: dict[str, dict[str, str]]) -> str:
    """A condition's result in words: the matched value's Japanese name rather than its code."""
    if check.key not in _FACT_OF or facts is None:
        return check.why
    names = labels.get(check.key, {})
    wanted = "、".join(names.get(w, w) for w in check.wanted)
    if not check.held:
        return f"{wanted}のいずれでもありません"
    values = [getattr(facts, a) for a in _FACT_OF[check.key] if getattr(facts, a) in check.wanted]
    return "該当: " + "、".join(names.get(v, v) for v in values)


@staff_required
def case_routing_view(request: HttpRequest) -> HttpResponse:
    ctx = staff_context(request.user)
    regions = user_regions(ctx)
    if not regions:
        raise Http404("振分けルールのある地域がありません。")
    chosen = _int(request.GET.get("region"))
    region = next((r for r in regions if r.pk == chosen), regions[0])
    region_form = (
        RegionChoiceForm(initial={"region": region.pk}, regions=[(r.pk, r.name) for r in regions])
        if len(regions) > 1
        else None
    )
    labels = _condition_labels()
    rules = list(
        RoutingRule.objects.filter(region=region)
        .select_related("lead_organization", "default_assignee")
        .order_by("position", "id")
    )
    described = [(rule, describe_conditions(rule.conditions, labels)) for rule in rules]
    testing = "test" in request.GET
    form = RoutingTestForm(request.GET if testing else None, region_id=region.pk)
    winner = traces = facts = None
    if testing and form.is_valid():
        try:
            facts = routing_facts_from(region.pk, **form.cleaned_data)
        except ValidationFailed as exc:
            apply_case_errors(form, exc)
        else:
            winner, traces = route_preview(region.pk, facts)
    by_id = {rule.pk: rule for rule in rules}
    return render(
        request,
        "web/cases/routing.html",
        {
            "region": region,
            "region_form": region_form,
            "rules": described,
            "form": form,
            "testing": testing,
            "winner": by_id.get(winner.rule_id) if winner else None,
            "traces": [
                (t, by_id.get(t.rule_id), [(c.held, c.label, check_text(c, facts, labels)) for c in t.checks])
                for t in traces or []
            ],
            "can_edit": policies.is_region_secretariat(ctx, region.pk),
        },
    )


# ---------------------------------------------------------------------------------------------------------------
# notifications


@staff_required
def notification_list_view(request: HttpRequest) -> HttpResponse:
    rows = notification_list(user=request.user).order_by(
        DbCase(When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()),
        "-created_at",
        "-id",
    )
    counts = Notification.objects.filter(user=request.user).aggregate(
        unread=Count("id", filter=Q(read_at__isnull=True)), total=Count("id")
    )
    return render(
        request,
        "web/cases/notifications.html",
        {"page": paginate(request, rows), "unread": counts["unread"], "total": counts["total"]},
    )


@require_POST
@staff_required
def notification_read_view(request: HttpRequest, notification_id: int) -> HttpResponse:
    try:
        notification = notification_read(actor=request.user, notification_id=notification_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    if request.POST.get("open") == "case" and notification.case_id:
        return redirect("web:case_detail", case_id=notification.case_id)
    messages.success(request, "通知を既読にしました。")
    return redirect("web:notification_list")


@require_POST
@staff_required
def notification_read_all_view(request: HttpRequest) -> HttpResponse:
    changed = notification_read_all(actor=request.user)
    messages.success(
        request, f"{changed}件の通知を既読にしました。" if changed else "未読の通知はありません。"
    )
    return redirect("web:notification_list")
