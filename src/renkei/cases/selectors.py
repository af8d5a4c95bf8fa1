"""Reads of the case ledger, always through ``Case.objects.visible_to(user)``.

The inbox is built for 10⁶ cases: filters on indexed columns, no OFFSET-free surprises, a capped count, and a
fixed number of queries whatever the page size.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import Count, Prefetch, Q, QuerySet

from renkei.core.errors import FieldError, NotFound, ValidationFailed
from renkei.core.text import nfkc
from renkei.network.selectors import StaffContext, staff_context

from . import policies
from .choices import (
    CONSENT_ORDER,
    LIVE_HANDOFF_STATES,
    OPEN_STATUSES,
    AccessField,
    CaseStatus,
    ConsentScope,
    EventKind,
    SlaBucket,
)
from .clocks import CaseClocks, case_clocks, sla_refresh, today
from .models import Case, CaseAccessLog, CaseAttachment, CaseEvent, Handoff
from .workflow import allowed_targets

COUNT_CAP = 10_000
SUMMARY_HIDDEN_EVENTS = frozenset({EventKind.NOTE, EventKind.CORRECTION, EventKind.CLASSIFIED})
_refreshed_on: dt.date | None = None


def ensure_sla_fresh() -> None:
    """Run the daily SLA refresh lazily, once per process per day (the worker also runs it every morning)."""
    global _refreshed_on
    day = today()
    if _refreshed_on != day:
        from .daily import notify_bucket_changes  # daily imports selectors' neighbours, not selectors

        notify_bucket_changes(sla_refresh(on=day))
        _refreshed_on = day


@dataclass
class InboxFilters:
    box: str = "org"  # mine / org / all
    organization_id: int | None = None
    status: str = "open"  # open / finished / all / a CaseStatus value
    category_id: int | None = None
    sla_bucket: str = ""
    step_id: int | None = None
    fiscal_year: int | None = None
    q: str = ""

    def clean(self) -> InboxFilters:
        errors = []
        if self.box not in ("mine", "org", "all"):
            errors.append(FieldError("box", "表示する範囲は mine / org / all のいずれかです。"))
        if self.status not in ("open", "finished", "all", *CaseStatus.values):
            errors.append(FieldError("status", f"状態「{self.status}」はありません。"))
        if self.sla_bucket and self.sla_bucket not in SlaBucket.values:
            errors.append(FieldError("sla_bucket", f"期限の状況「{self.sla_bucket}」はありません。"))
        if errors:
            raise ValidationFailed.from_errors(errors)
        self.q = nfkc(self.q or "")[:100]
        return self


@dataclass
class InboxPage:
    rows: list[Case]
    total: int
    total_capped: bool
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.rows) < self.total


def inbox_queryset(user: User, filters: InboxFilters) -> QuerySet[Case]:
    ctx = staff_context(user)
    qs = Case.objects.visible_to(user)
    orgs = set(ctx.organization_ids)
    if filters.organization_id is not None:
        orgs = {filters.organization_id}  # only narrows: qs is already what the user may see
    if filters.box == "mine":
        mine = Handoff.objects.filter(to_user=user, state__in=LIVE_HANDOFF_STATES).values("case_id")
        qs = qs.filter(Q(assignee=user) | Q(pk__in=mine))
    elif filters.box == "org" or filters.organization_id is not None:
        handed = Handoff.objects.filter(to_organization_id__in=orgs, state__in=LIVE_HANDOFF_STATES).values(
            "case_id"
        )
        qs = qs.filter(Q(lead_organization_id__in=orgs) | Q(pk__in=handed))
    if filters.status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif filters.status == "finished":
        qs = qs.exclude(status__in=OPEN_STATUSES)
    elif filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.category_id:
        qs = qs.filter(Q(category_id=filters.category_id) | Q(category__parent_id=filters.category_id))
    if filters.sla_bucket:
        qs = qs.filter(sla_bucket=filters.sla_bucket)
    if filters.step_id:
        qs = qs.filter(step_id=filters.step_id)
    if filters.fiscal_year:
        qs = qs.filter(fiscal_year=filters.fiscal_year)
    if filters.q:
        qs = qs.filter(Q(receipt_number__icontains=filters.q) | Q(title__icontains=filters.q))
    return qs


def case_inbox(*, user: User, filters: InboxFilters, offset: int = 0, limit: int = 50) -> InboxPage:
    ensure_sla_fresh()
    filters.clean()
    qs = inbox_queryset(user, filters)
    rows = list(
        qs.select_related("lead_organization", "assignee", "category", "step", "region").order_by(
            "-received_at", "-id"
        )[offset : offset + limit]
    )
    if offset == 0 and len(rows) < limit:
        total, capped = len(rows), False
    else:
        total = qs.order_by()[: COUNT_CAP + 1].count()
        capped = total > COUNT_CAP
        total = min(total, COUNT_CAP)
    return InboxPage(rows=rows, total=total, total_capped=capped, offset=offset, limit=limit)


# ---------------------------------------------------------------------------------------------------------------
# one case


@dataclass
class CaseView:
    case: Case
    scope: ConsentScope
    clocks: CaseClocks
    events: list[CaseEvent]
    handoffs: list[Handoff]
    attachments: list[CaseAttachment]
    can_manage: bool
    can_note: bool
    respondable: list[Handoff] = field(default_factory=list)
    transitions: list = field(default_factory=list)

    @property
    def shows_detail(self) -> bool:
        return CONSENT_ORDER[self.scope] >= CONSENT_ORDER[ConsentScope.DETAIL]

    @property
    def shows_contacts(self) -> bool:
        return self.scope == ConsentScope.CONTACTS


def _load(user: User, case_id: int) -> Case:
    case = (
        Case.objects.visible_to(user)
        .select_related(
            "region",
            "received_by",
            "lead_organization",
            "assignee",
            "category",
            "category__parent",
            "target_field",
            "target_field__parent",
            "suggested_category",
            "step",
            "ladder",
            "company",
            "requester_prefecture",
        )
        .prefetch_related(
            Prefetch(
                "handoffs",
                queryset=Handoff.objects.select_related("from_organization", "to_organization", "to_user"),
            )
        )
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound("相談案件が見つかりません。")
    return case


def case_detail(*, user: User, case_id: int, via: str = "web", log: bool = True) -> CaseView:
    """The case as this user may read it; reading confidential fields is written to the access log."""
    case = _load(user, case_id)
    ctx = staff_context(user)
    scope = policies.scope_for(ctx, case)
    view = CaseView(
        case=case,
        scope=scope,
        clocks=case_clocks(case),
        events=list(
            CaseEvent.objects.filter(case=case)
            .select_related("actor", "actor_organization")
            .order_by("at", "id")
        ),
        handoffs=list(case.handoffs.all()),
        attachments=list(case.attachments.all())
        if CONSENT_ORDER[scope] >= CONSENT_ORDER[ConsentScope.DETAIL]
        else [],
        can_manage=policies.can_manage(ctx, case),
        can_note=policies.can_note(ctx, case),
    )
    if scope == ConsentScope.SUMMARY:
        # A 概要のみ reader sees the course of the case, not what was written about it: no notes, and of the
        # hand-offs only their own (others' reasons and replies may hold the detail they were not given).
        own = {h.pk for h in view.handoffs if h.to_organization_id in ctx.organization_ids}
        view.handoffs = [h for h in view.handoffs if h.pk in own]
        view.events = [
            e
            for e in view.events
            if e.kind not in SUMMARY_HIDDEN_EVENTS and (e.handoff_id is None or e.handoff_id in own)
        ]
    view.respondable = [
        h for h in view.handoffs if h.state in LIVE_HANDOFF_STATES and policies.can_respond(ctx, h)
    ]
    view.transitions = allowed_targets(case.status) if view.can_manage else []
    if log and view.shows_detail:
        fields = [AccessField.DETAIL]
        if view.shows_contacts:
            fields.append(AccessField.CONTACTS)
        log_access(user=user, ctx=ctx, case=case, fields=fields, via=via)
    return view


def log_access(*, user: User, ctx: StaffContext, case: Case, fields: list[str], via: str) -> None:
    CaseAccessLog.objects.create(
        case=case,
        user=user if user.is_authenticated else None,
        organization_id=policies.acting_organization(ctx, case),
        fields=",".join(fields),
        via=via,
    )


def access_log_for(*, user: User, case_id: int, limit: int = 100) -> list[CaseAccessLog]:
    """Who read the case: shown to the region's secretariat and the lead organization only."""
    case = _load(user, case_id)
    ctx = staff_context(user)
    if not (
        policies.is_region_secretariat(ctx, case.region_id)
        or case.lead_organization_id in ctx.organization_ids
    ):
        return []
    return list(case.access_logs.select_related("user", "organization")[:limit])


# ---------------------------------------------------------------------------------------------------------------
# the overdue dashboard


@dataclass
class OverdueRow:
    organization_id: int
    organization_name: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def overdue_dashboard(
    *, user: User, region_id: int | None = None, late_limit: int = 50
) -> tuple[list[OverdueRow], list[Case]]:
    """Open cases per lead organization and SLA bucket, and the latest-due late cases (one aggregate, one list)."""
    ensure_sla_fresh()
    qs = Case.objects.visible_to(user).filter(status__in=OPEN_STATUSES)
    if region_id:
        qs = qs.filter(region_id=region_id)
    grid: dict[int, OverdueRow] = {}
    counts = (
        qs.order_by()
        .values("lead_organization_id", "lead_organization__name", "sla_bucket")
        .annotate(n=Count("id"))
    )
    for row in counts:
        entry = grid.setdefault(
            row["lead_organization_id"],
            OverdueRow(
                row["lead_organization_id"],
                row["lead_organization__name"],
                dict.fromkeys(SlaBucket.values, 0),
            ),
        )
        entry.counts[row["sla_bucket"]] = row["n"]
    rows = sorted(
        grid.values(),
        key=lambda r: (-r.counts[SlaBucket.VERY_LATE], -r.counts[SlaBucket.LATE], r.organization_name),
    )
    late = list(
        qs.filter(sla_bucket__in=[SlaBucket.LATE, SlaBucket.VERY_LATE])
        .select_related("lead_organization", "assignee", "category", "step")
        .order_by("resolution_due_on", "id")[:late_limit]
    )
    return rows, late
