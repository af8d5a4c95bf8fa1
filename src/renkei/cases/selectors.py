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
from renkei.network.choices import OrganizationKind
from renkei.network.models import Category, Organization
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
from .models import Case, CaseAccessLog, CaseAttachment, CaseEvent, Handoff, visibility_branches
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


def _filter_q(filters: InboxFilters) -> Q:
    """The inbox filters as one AND of plain conditions (no joins, no OR)."""
    q = Q()
    if filters.status == "open":
        q &= Q(status__in=sorted(OPEN_STATUSES))
    elif filters.status == "finished":
        q &= ~Q(status__in=sorted(OPEN_STATUSES))
    elif filters.status != "all":
        q &= Q(status=filters.status)
    if filters.category_id:
        family = [
            filters.category_id,
            *Category.objects.filter(parent_id=filters.category_id).values_list("id", flat=True),
        ]
        q &= Q(category_id__in=family)
    if filters.sla_bucket:
        q &= Q(sla_bucket=filters.sla_bucket)
    if filters.step_id:
        q &= Q(step_id=filters.step_id)
    if filters.fiscal_year:
        q &= Q(fiscal_year=filters.fiscal_year)
    if filters.q:
        q &= Q(receipt_number__icontains=filters.q) | Q(title__icontains=filters.q)
    return q


def inbox_branches(user: User, filters: InboxFilters) -> list[Q] | None:
    """The inbox's rows as a union of plain conditions, each within what the user may see (None = everything)."""
    ctx = staff_context(user)
    if filters.organization_id is not None:
        org_id = filters.organization_id
        if ctx.is_superuser or org_id in ctx.organization_ids:
            scope = Q()
        else:  # the region's secretariat looking at one of its bodies: that body's cases of the region
            region_id = Organization.objects.filter(pk=org_id).values_list("region_id", flat=True).first()
            if region_id is None or region_id not in ctx.secretariat_region_ids:
                return []
            scope = Q(region_id=region_id)
        handed = Handoff.objects.filter(to_organization_id=org_id, state__in=LIVE_HANDOFF_STATES)
        ids = sorted(set(handed.values_list("case_id", flat=True)))
        branches = [Q(lead_organization_id=org_id) & scope]
        if ids:
            branches.append(Q(pk__in=ids) & scope)
        if ctx.kind_by_org.get(org_id) == OrganizationKind.FINANCE:
            guard = ~Q(received_by__kind=OrganizationKind.FINANCE) | Q(received_by_id=org_id)
            branches = [b & guard for b in branches]
        if filters.box == "mine":
            branches = [b & Q(assignee=user) for b in branches]
        return branches
    if filters.box == "mine":
        orgs = sorted(ctx.organization_ids)
        mine = Handoff.objects.filter(
            to_user=user, to_organization_id__in=orgs, state__in=LIVE_HANDOFF_STATES
        )
        ids = sorted(set(mine.values_list("case_id", flat=True)))
        branches = [Q(assignee=user, lead_organization_id__in=orgs)] if orgs else []
        if ids:
            branches.append(Q(pk__in=ids))
        return branches
    if filters.box == "org":
        return visibility_branches(user, organization_ids=ctx.organization_ids)
    return visibility_branches(user)


def _combine(branches: list[Q] | None, fq: Q) -> QuerySet[Case]:
    qs = Case.objects.filter(fq)
    if branches is None:
        return qs
    if not branches:
        return qs.none()
    q = branches[0]
    for b in branches[1:]:
        q |= b
    return qs.filter(q)


def inbox_queryset(user: User, filters: InboxFilters) -> QuerySet[Case]:
    """The inbox's rows as one queryset (for counts; ``case_inbox`` pages through the branches instead)."""
    return _combine(inbox_branches(user, filters), _filter_q(filters))


def case_inbox(*, user: User, filters: InboxFilters, offset: int = 0, limit: int = 50) -> InboxPage:
    """One page of the inbox, newest first. Each branch of the union gives its own first offset+limit rows from
    its index; they are merged here, and the page's rows fetched by id — a fixed number of queries, and no sort
    of every matching case (decision 0012)."""
    ensure_sla_fresh()
    filters.clean()
    branches = inbox_branches(user, filters)
    fq = _filter_q(filters)
    order = ("-received_at", "-id")
    heads: dict[int, tuple] = {}
    for branch in [Q()] if branches is None else branches:
        for pk, received_at in (
            Case.objects.filter(branch, fq)
            .order_by(*order)
            .values_list("id", "received_at")[: offset + limit]
        ):
            heads[pk] = (received_at, pk)
    page_ids = [pk for pk, _ in sorted(heads.items(), key=lambda kv: kv[1], reverse=True)][
        offset : offset + limit
    ]
    found = Case.objects.select_related(
        "lead_organization", "assignee", "category", "step", "region"
    ).in_bulk(page_ids)
    rows = [found[pk] for pk in page_ids if pk in found]
    qs = _combine(branches, fq)
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
        for e in view.events:  # in memory only (events are append-only and never saved from here)
            if e.kind not in policies.SUMMARY_TEXT_EVENTS:
                e.text = ""  # reasons and replies may quote the detail this reader was not given
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


def access_log_for(
    *, user: User, case_id: int, limit: int = 100, case: Case | None = None
) -> list[CaseAccessLog]:
    """Who read the case: shown to the region's secretariat and the lead organization only. ``case``: the case
    already loaded through ``case_detail`` for this user (saves reloading it)."""
    if case is None or case.pk != case_id:
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
    qs = Case.objects.visible_to(user).filter(status__in=sorted(OPEN_STATUSES))
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
