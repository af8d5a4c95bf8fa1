"""A case's two SLA clocks (first response, resolution) as stored columns, so lists filter and sort in SQL.

``apply_clocks`` recomputes them from the facts (receipt date, targets, suspensions, first-response and finish
dates); services call it on every change, and ``sla_refresh`` re-evaluates the cases whose bucket is due to
change (``sla_next_change_on`` ≤ today) once a day — or lazily on the first read of the day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from renkei.core.calendar import BusinessCalendar, load_business_calendar

from .choices import OPEN_STATUSES, SLA_SEVERITY, SlaBucket
from .models import Case, CaseSuspension
from .sla import Clock, ClockState, clock_state, worst


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def today() -> dt.date:
    return timezone.localdate()


@dataclass(frozen=True)
class CaseClocks:
    first_response: ClockState
    resolution: ClockState

    @property
    def bucket(self) -> SlaBucket:
        return worst(self.first_response.bucket, self.resolution.bucket)


def case_clocks(
    case: Case,
    *,
    suspensions: list[tuple[dt.date, dt.date | None]] | None = None,
    on: dt.date | None = None,
    calendar: BusinessCalendar | None = None,
) -> CaseClocks:
    calendar = calendar or load_business_calendar()
    on = on or today()
    if suspensions is None:
        suspensions = list(case.suspensions.values_list("started_on", "ended_on")) if case.pk else []
    started = local_date(case.received_at)
    spans = tuple(suspensions)
    first = Clock(started, case.first_response_days, spans, case.first_responded_on)
    resolution = Clock(started, case.resolution_days, spans, case.finished_on)
    return CaseClocks(clock_state(first, on, calendar), clock_state(resolution, on, calendar))


def apply_clocks(case: Case, **kwargs) -> CaseClocks:  # noqa: ANN003
    """Set the stored SLA columns of ``case`` (not saved)."""
    clocks = case_clocks(case, **kwargs)
    case.first_response_due_on = clocks.first_response.due_on
    case.resolution_due_on = clocks.resolution.due_on
    case.sla_bucket = clocks.bucket
    changes = [d for d in (clocks.first_response.next_change_on, clocks.resolution.next_change_on) if d]
    case.sla_next_change_on = min(changes) if changes else None
    return clocks


SLA_FIELDS = ["first_response_due_on", "resolution_due_on", "sla_bucket", "sla_next_change_on"]


@dataclass(frozen=True)
class BucketChange:
    case_id: int
    before: str
    after: str

    @property
    def worsened(self) -> bool:
        return SLA_SEVERITY[SlaBucket(self.after)] > SLA_SEVERITY[SlaBucket(self.before)]


def sla_refresh(*, on: dt.date | None = None, batch: int = 2000) -> list[BucketChange]:
    """Re-evaluate every open case whose bucket is due to change by ``on``; return the changes."""
    on = on or today()
    calendar = load_business_calendar()
    changes: list[BucketChange] = []
    while True:
        with transaction.atomic():
            ids = list(
                Case.objects.filter(sla_next_change_on__lte=on, status__in=OPEN_STATUSES)
                .order_by("id")
                .values_list("id", flat=True)[:batch]
            )
            if not ids:
                return changes
            cases = list(Case.objects.filter(id__in=ids).select_for_update())
            spans: dict[int, list] = {}
            for case_id, start, end in CaseSuspension.objects.filter(case_id__in=ids).values_list(
                "case_id", "started_on", "ended_on"
            ):
                spans.setdefault(case_id, []).append((start, end))
            for case in cases:
                before = case.sla_bucket
                apply_clocks(case, suspensions=spans.get(case.id, []), on=on, calendar=calendar)
                if case.sla_next_change_on is not None and case.sla_next_change_on <= on:
                    case.sla_next_change_on = None  # cannot happen with a correct clock; never loop forever
                if case.sla_bucket != before:
                    changes.append(BucketChange(case.id, before, case.sla_bucket))
            Case.objects.bulk_update(cases, SLA_FIELDS)
