"""SLA clocks: how many business days a case has used of its target, and which bucket that puts it in.

Rules (pure arithmetic; no models, no database):
- The clock counts business days x with ``started_on < x <= today`` (the receipt day is day 0), skipping days
  ``s < x <= e`` of every suspension (waiting on the company; ``e = None``: still waiting). A stopped clock
  (first response given / resolved) counts nothing after ``stopped_on``.
- Running clock: used < 0.8 → 期限内; 0.8 <= used and elapsed <= target → 期限間近; elapsed > target → 期限超過;
  elapsed >= 3 × target → 大幅超過. Stopped clock: elapsed <= target → 期限内, otherwise the same 超過 rules
  (a finished case is never 期限間近). While suspended nothing is counted, so the bucket stays where it was.
- Everything is "as of ``today``": a stop or a suspension dated after ``today`` has not happened yet, and a
  suspension whose end is after ``today`` is still open. Replaying a clock at past dates gives the history.
- ``due_on``: the day the count reaches the target if the clock keeps running (an open suspension assumed to
  end today). ``next_change_on``: the first day after ``today`` on which the bucket changes if nothing else
  happens; None when stopped, suspended or already 大幅超過.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from renkei.cases.choices import SLA_SEVERITY, SlaBucket

if TYPE_CHECKING:  # only the type: this module stays importable without Django's app registry
    from renkei.core.calendar import BusinessCalendar

AT_RISK_RATIO = (4, 5)  # 0.8 as a fraction, so the comparison is exact in integers
VERY_LATE_FACTOR = 3


@dataclass(frozen=True, slots=True)
class Clock:
    started_on: dt.date  # receipt date (day 0; not counted)
    target_days: int  # business days, >= 1
    suspensions: tuple[tuple[dt.date, dt.date | None], ...] = ()  # days s < x <= e not counted; e None: open
    stopped_on: dt.date | None = None  # first response given / resolved: days after it don't count

    def __post_init__(self) -> None:
        if self.target_days < 1:
            raise ValueError(f"目標日数は 1 以上の営業日数で指定してください: {self.target_days}")
        suspensions = tuple((start, end) for start, end in self.suspensions)
        for start, end in suspensions:
            if end is not None and end < start:
                raise ValueError(f"中断の終了日 {end.isoformat()} が開始日 {start.isoformat()} より前です")
        object.__setattr__(self, "suspensions", suspensions)


@dataclass(frozen=True, slots=True)
class ClockState:
    elapsed_days: int  # business days counted so far
    used: float  # elapsed / target
    bucket: SlaBucket
    due_on: dt.date | None  # the day elapsed reaches target if the clock keeps running; None when stopped
    next_change_on: dt.date | None  # first day > today with another bucket; None: stopped/suspended/very late
    suspended: bool
    stopped: bool


def running_bucket(elapsed: int, target: int) -> SlaBucket:
    if elapsed >= VERY_LATE_FACTOR * target:
        return SlaBucket.VERY_LATE
    if elapsed > target:
        return SlaBucket.LATE
    numerator, denominator = AT_RISK_RATIO
    if denominator * elapsed >= numerator * target:
        return SlaBucket.AT_RISK
    return SlaBucket.ON_TIME


def stopped_bucket(elapsed: int, target: int) -> SlaBucket:
    if elapsed >= VERY_LATE_FACTOR * target:
        return SlaBucket.VERY_LATE
    if elapsed > target:
        return SlaBucket.LATE
    return SlaBucket.ON_TIME


def _next_threshold(elapsed: int, target: int) -> int | None:
    """The smallest count above ``elapsed`` at which a running clock changes bucket."""
    numerator, denominator = AT_RISK_RATIO
    at_risk = -(-numerator * target // denominator)  # ceil(0.8 × target)
    for threshold in (at_risk, target + 1, VERY_LATE_FACTOR * target):
        if threshold > elapsed:
            return threshold
    return None


def _gaps(clock: Clock, today: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Suspensions as of ``today`` as disjoint (s, e] intervals, ascending; open ends cut at today."""
    cut = []
    for start, end in clock.suspensions:
        stop = today if end is None or end > today else end
        if stop > start and stop > clock.started_on:
            cut.append((max(start, clock.started_on), stop))
    cut.sort()
    merged: list[tuple[dt.date, dt.date]] = []
    for start, end in cut:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _counted(
    calendar: BusinessCalendar, start: dt.date, end: dt.date, gaps: list[tuple[dt.date, dt.date]]
) -> int:
    count = calendar.business_days_between(start, end)
    for gap_start, gap_end in gaps:
        if gap_start >= end:
            break
        count -= calendar.business_days_between(gap_start, min(gap_end, end))
    return count


def _day_reaching(
    calendar: BusinessCalendar, start: dt.date, gaps: list[tuple[dt.date, dt.date]], count: int
) -> dt.date:
    """The day on which the running count reaches ``count`` (≥ 1), the clock running on after the last gap."""
    cursor = start
    for gap_start, gap_end in gaps:
        if gap_start > cursor:
            available = calendar.business_days_between(cursor, gap_start)
            if available >= count:
                return calendar.add_business_days(cursor, count)
            count -= available
        cursor = max(cursor, gap_end)
    return calendar.add_business_days(cursor, count)


def clock_state(clock: Clock, today: dt.date, calendar: BusinessCalendar) -> ClockState:
    target = clock.target_days
    stopped = clock.stopped_on is not None and clock.stopped_on <= today
    end = clock.stopped_on if stopped and clock.stopped_on is not None else today
    gaps = _gaps(clock, today)
    elapsed = _counted(calendar, clock.started_on, end, gaps)
    if stopped:
        return ClockState(
            elapsed_days=elapsed,
            used=elapsed / target,
            bucket=stopped_bucket(elapsed, target),
            due_on=None,
            next_change_on=None,
            suspended=False,
            stopped=True,
        )
    suspended = any(start <= today and (stop is None or stop > today) for start, stop in clock.suspensions)
    next_change_on = None
    if not suspended:
        threshold = _next_threshold(elapsed, target)
        if threshold is not None:
            next_change_on = _day_reaching(calendar, clock.started_on, gaps, threshold)
    return ClockState(
        elapsed_days=elapsed,
        used=elapsed / target,
        bucket=running_bucket(elapsed, target),
        due_on=_day_reaching(calendar, clock.started_on, gaps, target),
        next_change_on=next_change_on,
        suspended=suspended,
        stopped=False,
    )


def worst(*buckets: SlaBucket | str | None) -> SlaBucket:
    """The most severe of the buckets given (None is ignored); 期限内 when there is none."""
    result = SlaBucket.ON_TIME
    for bucket in buckets:
        if bucket is None:
            continue
        bucket = SlaBucket(bucket)
        if SLA_SEVERITY[bucket] > SLA_SEVERITY[result]:
            result = bucket
    return result
