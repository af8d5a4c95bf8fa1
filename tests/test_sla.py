"""SLA clock arithmetic: examples across 年末年始 and 年度, and properties against a day-by-day count."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from renkei.cases.choices import SLA_SEVERITY, SlaBucket
from renkei.cases.sla import Clock, clock_state, running_bucket, stopped_bucket, worst
from renkei.core.calendar import BusinessCalendar

PROPERTY = hypothesis_settings(max_examples=200, deadline=None)
CAL = BusinessCalendar()  # national holidays + 12/29–1/3
ONE = dt.timedelta(days=1)
d = dt.date

ON_TIME, AT_RISK, LATE, VERY_LATE = SlaBucket.ON_TIME, SlaBucket.AT_RISK, SlaBucket.LATE, SlaBucket.VERY_LATE


def days(start: dt.date, end: dt.date):
    """start < x <= end."""
    x = start + ONE
    while x <= end:
        yield x
        x += ONE


def naive_elapsed(clock: Clock, today: dt.date, calendar: BusinessCalendar = CAL) -> int:
    end = today
    if clock.stopped_on is not None and clock.stopped_on <= today:
        end = clock.stopped_on
    return sum(
        1
        for x in days(clock.started_on, end)
        if calendar.is_business_day(x)
        and not any(s < x and (e is None or x <= e) for s, e in clock.suspensions)
    )


def severity(bucket: SlaBucket) -> int:
    return SLA_SEVERITY[bucket]


# -- strategies: a receipt date, a target, closed suspensions after it, optionally one still open -------------

start_dates = st.one_of(
    st.dates(min_value=d(2015, 1, 1), max_value=d(2035, 12, 31)),
    st.sampled_from([d(2024, 12, 20), d(2024, 12, 27), d(2025, 3, 24), d(2025, 3, 31), d(2025, 4, 25)]),
)
targets = st.integers(min_value=1, max_value=30)


@st.composite
def clocks(
    draw, *, stopped: bool | None = None, open_suspension: bool | None = None, suspensions: bool = True
):
    """A clock and a `today`; suspensions lie between receipt and today, the last one maybe still open."""
    start = draw(start_dates)
    target = draw(targets)
    today = start + dt.timedelta(days=draw(st.integers(min_value=0, max_value=200)))
    spans: list[tuple[dt.date, dt.date | None]] = []
    if suspensions:
        for _ in range(draw(st.integers(min_value=0, max_value=3))):
            s = start + dt.timedelta(
                days=draw(st.integers(min_value=-5, max_value=max(0, (today - start).days)))
            )
            e = s + dt.timedelta(days=draw(st.integers(min_value=0, max_value=40)))
            spans.append((s, min(e, today)))
        has_open = draw(st.booleans()) if open_suspension is None else open_suspension
        if has_open:
            s = start + dt.timedelta(days=draw(st.integers(min_value=0, max_value=(today - start).days)))
            spans.append((s, None))
    stop = None
    if stopped if stopped is not None else draw(st.booleans()):
        stop = start + dt.timedelta(days=draw(st.integers(min_value=0, max_value=(today - start).days)))
    return Clock(start, target, tuple(spans), stop), today


# -- the bucket rules ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("elapsed", "target", "running", "stopped"),
    [
        (0, 10, ON_TIME, ON_TIME),
        (7, 10, ON_TIME, ON_TIME),
        (8, 10, AT_RISK, ON_TIME),  # used = 0.8 exactly
        (10, 10, AT_RISK, ON_TIME),  # used = 1: still on time, at risk while running
        (11, 10, LATE, LATE),
        (29, 10, LATE, LATE),
        (30, 10, VERY_LATE, VERY_LATE),
        (0, 1, ON_TIME, ON_TIME),
        (1, 1, AT_RISK, ON_TIME),
        (2, 1, LATE, LATE),
        (3, 1, VERY_LATE, VERY_LATE),
        (3, 4, ON_TIME, ON_TIME),  # 0.75
        (4, 5, AT_RISK, ON_TIME),  # 0.8
    ],
)
def test_bucket_rules(elapsed, target, running, stopped):
    assert running_bucket(elapsed, target) == running
    assert stopped_bucket(elapsed, target) == stopped


def test_worst():
    assert worst() == ON_TIME
    assert worst(ON_TIME, AT_RISK) == AT_RISK
    assert worst("late", None, AT_RISK) == LATE
    assert worst(VERY_LATE, ON_TIME) == VERY_LATE


def test_clock_refuses_nonsense():
    with pytest.raises(ValueError, match="目標日数"):
        Clock(d(2025, 1, 6), 0)
    with pytest.raises(ValueError, match="中断"):
        Clock(d(2025, 1, 6), 5, ((d(2025, 1, 10), d(2025, 1, 8)),))


# -- examples ------------------------------------------------------------------------------------------------


def test_across_year_end():
    """Received Thu 2024-12-26, 5 business days: 12/27, then 1/6, 1/7, 1/8, 1/9 (12/28–1/5 closed)."""
    clock = Clock(d(2024, 12, 26), 5)
    state = clock_state(clock, d(2025, 1, 3), CAL)
    assert (state.elapsed_days, state.bucket, state.due_on) == (1, ON_TIME, d(2025, 1, 9))
    assert state.next_change_on == d(2025, 1, 8)  # the 4th day: used 0.8
    state = clock_state(clock, d(2025, 1, 8), CAL)
    assert (state.elapsed_days, state.used, state.bucket) == (4, 0.8, AT_RISK)
    assert state.next_change_on == d(2025, 1, 10)  # the 6th day: late
    late = clock_state(clock, d(2025, 1, 10), CAL)
    assert (late.bucket, late.next_change_on) == (LATE, d(2025, 1, 24))  # the 15th day (1/13 成人の日)
    very_late = clock_state(clock, d(2025, 1, 24), CAL)
    assert (very_late.elapsed_days, very_late.bucket, very_late.next_change_on) == (15, VERY_LATE, None)


def test_across_fiscal_year():
    """Received Fri 2025-03-28 (令和6年度), 3 days: 3/31, 4/1, 4/2 — the change of 年度 changes nothing."""
    clock = Clock(d(2025, 3, 28), 3)
    state = clock_state(clock, d(2025, 4, 1), CAL)
    assert (state.elapsed_days, state.bucket, state.due_on) == (2, ON_TIME, d(2025, 4, 2))
    assert clock_state(clock, d(2025, 4, 2), CAL).bucket == AT_RISK


def test_suspension_and_stop():
    clock = Clock(d(2025, 6, 2), 10, ((d(2025, 6, 4), None),))  # Mon; waiting on the company from Wed
    waiting = clock_state(clock, d(2025, 6, 20), CAL)
    assert waiting.suspended and not waiting.stopped
    assert (waiting.elapsed_days, waiting.bucket, waiting.next_change_on) == (2, ON_TIME, None)
    assert waiting.due_on == CAL.add_business_days(d(2025, 6, 20), 8)  # as if the wait ended today
    resumed = Clock(d(2025, 6, 2), 10, ((d(2025, 6, 4), d(2025, 6, 20)),))
    state = clock_state(resumed, d(2025, 6, 23), CAL)
    assert (state.elapsed_days, state.suspended, state.due_on) == (3, False, d(2025, 7, 2))
    done = Clock(d(2025, 6, 2), 10, resumed.suspensions, stopped_on=d(2025, 7, 10))
    state = clock_state(done, d(2025, 12, 1), CAL)
    assert state.stopped and not state.suspended
    assert (state.elapsed_days, state.bucket, state.due_on, state.next_change_on) == (16, LATE, None, None)


def test_received_on_a_holiday_counts_from_the_next_business_day():
    clock = Clock(d(2025, 5, 3), 2)  # Sat of Golden Week
    assert clock_state(clock, d(2025, 5, 6), CAL).elapsed_days == 0
    assert clock_state(clock, d(2025, 5, 3), CAL).due_on == d(2025, 5, 8)


def test_events_after_today_have_not_happened_yet():
    clock = Clock(d(2025, 6, 2), 5, ((d(2025, 6, 10), d(2025, 6, 20)),), stopped_on=d(2025, 6, 30))
    before = clock_state(clock, d(2025, 6, 6), CAL)  # neither the wait nor the stop has begun
    assert (before.elapsed_days, before.suspended, before.stopped) == (4, False, False)
    during = clock_state(clock, d(2025, 6, 12), CAL)  # the wait has begun; its end is still ahead
    assert (during.elapsed_days, during.suspended, during.next_change_on) == (6, True, None)


# -- properties ------------------------------------------------------------------------------------------------


@PROPERTY
@given(clocks())
@example((Clock(d(2024, 12, 20), 5, ((d(2024, 12, 24), d(2025, 1, 7)),)), d(2025, 1, 20)))
def test_elapsed_equals_a_day_by_day_count(clock_today):
    clock, today = clock_today
    state = clock_state(clock, today, CAL)
    assert state.elapsed_days == naive_elapsed(clock, today)
    assert state.used == state.elapsed_days / clock.target_days
    assert state.stopped == (clock.stopped_on is not None)


@PROPERTY
@given(clocks(stopped=False))
def test_closed_and_suspended_days_add_nothing(clock_today):
    clock, today = clock_today
    tomorrow = today + ONE
    before = clock_state(clock, today, CAL).elapsed_days
    after = clock_state(clock, tomorrow, CAL).elapsed_days
    waiting = any(s < tomorrow and (e is None or tomorrow <= e) for s, e in clock.suspensions)
    if not CAL.is_business_day(tomorrow) or waiting or tomorrow <= clock.started_on:
        assert after == before
    else:
        assert after == before + 1


@PROPERTY
@given(clocks())
def test_suspension_never_makes_it_worse(clock_today):
    clock, today = clock_today
    without = Clock(clock.started_on, clock.target_days, (), clock.stopped_on)
    with_state = clock_state(clock, today, CAL)
    without_state = clock_state(without, today, CAL)
    assert with_state.elapsed_days <= without_state.elapsed_days
    assert severity(with_state.bucket) <= severity(without_state.bucket)
    if with_state.due_on is not None:
        assert with_state.due_on >= without_state.due_on


@PROPERTY
@given(start_dates, targets, st.integers(0, 300), st.integers(0, 300))
def test_running_bucket_is_monotone_in_today(start, target, a, b):
    clock = Clock(start, target)
    earlier, later = start + dt.timedelta(days=min(a, b)), start + dt.timedelta(days=max(a, b))
    assert severity(clock_state(clock, earlier, CAL).bucket) <= severity(
        clock_state(clock, later, CAL).bucket
    )


@PROPERTY
@given(clocks(stopped=False, open_suspension=False))
@example((Clock(d(2024, 12, 26), 5), d(2024, 12, 26)))
@example((Clock(d(2025, 3, 27), 1), d(2025, 3, 27)))
def test_next_change_on_is_the_first_day_the_bucket_changes(clock_today):
    clock, today = clock_today
    state = clock_state(clock, today, CAL)
    assert not state.suspended
    day = today + ONE
    limit = CAL.add_business_days(today, 3 * clock.target_days + 1)  # by then it is very late for sure
    while day <= limit and clock_state(clock, day, CAL).bucket == state.bucket:
        day += ONE
    if state.bucket == VERY_LATE:
        assert state.next_change_on is None
        assert day > limit
    else:
        assert state.next_change_on == day


@PROPERTY
@given(clocks(stopped=False, open_suspension=False))
def test_due_on_is_the_day_the_target_is_reached(clock_today):
    clock, today = clock_today
    due = clock_state(clock, today, CAL).due_on
    assert CAL.is_business_day(due)
    assert naive_elapsed(clock, due) == clock.target_days
    assert naive_elapsed(clock, due - ONE) == clock.target_days - 1


@PROPERTY
@given(clocks(stopped=False, open_suspension=True))
def test_open_suspension_freezes_the_bucket(clock_today):
    clock, today = clock_today
    state = clock_state(clock, today, CAL)
    assume(state.suspended)
    assert state.next_change_on is None
    for later in (today + ONE, today + dt.timedelta(days=30), today + dt.timedelta(days=400)):
        frozen = clock_state(clock, later, CAL)
        assert (frozen.elapsed_days, frozen.bucket, frozen.suspended) == (
            state.elapsed_days,
            state.bucket,
            True,
        )


@PROPERTY
@given(clocks(stopped=True), st.integers(min_value=0, max_value=500))
def test_stopping_freezes_everything(clock_today, more):
    clock, today = clock_today
    assert clock.stopped_on is not None
    at_stop = clock_state(clock, clock.stopped_on, CAL)
    assert at_stop.stopped
    assert (at_stop.due_on, at_stop.next_change_on, at_stop.suspended) == (None, None, False)
    assert at_stop.bucket != AT_RISK
    assert clock_state(clock, today + dt.timedelta(days=more), CAL) == at_stop
