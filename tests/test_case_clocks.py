"""SLA clocks of real cases, driven through the services on chosen dates.

The expectation is a naive day-by-day count written here from the rules of issue 3 §7 (not from
``renkei.cases.sla``): a business day x (not a 土日, 祝日 or 年末年始 day) after the receipt day counts for the
resolution clock when, at the start of x, the case was open and not waiting on the company (企業回答待ち);
for the first-response clock when no first response (対応開始, 企業回答待ち or a finish) had been given before x.
Moves on a day take effect at the end of that day. Buckets: running ≥ 80 % → 期限間近, > target → 期限超過,
≥ 3 × target → 大幅超過; a stopped (finished) clock is never 期限間近.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from renkei.cases import services
from renkei.cases.choices import FINISHED_STATUSES, CaseStatus, SlaBucket
from renkei.cases.clocks import case_clocks, sla_refresh
from renkei.cases.models import Case, CaseSuspension, SlaPolicy
from renkei.cases.workflow import allowed_targets
from renkei.core.calendar import BusinessCalendar, load_business_calendar
from renkei.core.wareki import fiscal_year
from renkei.network.choices import StaffRole

S = CaseStatus
JST = ZoneInfo("Asia/Tokyo")
ONE = dt.timedelta(days=1)
FIRST_RESPONSE = {S.IN_PROGRESS, S.WAITING, *FINISHED_STATUSES}
REASON = "理由の記入"


@contextmanager
def frozen(day: dt.date, hour: int = 10):
    """Every clock the services read (timezone.now, and localdate through it) says ``day`` at ``hour`` JST."""
    moment = dt.datetime.combine(day, dt.time(hour), tzinfo=JST).astimezone(dt.UTC)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


# --- the naive model ---------------------------------------------------------------------------------------


def status_at_start_of(day: dt.date, received_on: dt.date, moves: list[tuple[dt.date, str]]) -> str:
    status = S.RECEIVED
    for on, to in moves:
        if on < day:
            status = to
    return status


def naive_elapsed(
    received_on: dt.date, moves: list[tuple[dt.date, str]], today: dt.date, calendar: BusinessCalendar
) -> tuple[int, int]:
    """(first-response days, resolution days) counted one day at a time."""
    first_response_on = next((on for on, to in moves if to in FIRST_RESPONSE), None)
    first = resolution = 0
    x = received_on + ONE
    while x <= today:
        if calendar.is_business_day(x):
            if first_response_on is None or first_response_on >= x:
                first += 1
            status = status_at_start_of(x, received_on, moves)
            if status not in FINISHED_STATUSES and status != S.WAITING:
                resolution += 1
        x += ONE
    return first, resolution


def naive_bucket(elapsed: int, target: int, *, stopped: bool) -> SlaBucket:
    if elapsed >= 3 * target:
        return SlaBucket.VERY_LATE
    if elapsed > target:
        return SlaBucket.LATE
    if not stopped and elapsed * 10 >= target * 8:
        return SlaBucket.AT_RISK
    return SlaBucket.ON_TIME


SEVERITY = [SlaBucket.ON_TIME, SlaBucket.AT_RISK, SlaBucket.LATE, SlaBucket.VERY_LATE]


def worse(a: SlaBucket, b: SlaBucket) -> SlaBucket:
    return max(a, b, key=SEVERITY.index)


# --- the property --------------------------------------------------------------------------------------------


@pytest.fixture
def secretariat(case_config, make_staff):
    return make_staff("chiba_pref", StaffRole.SECRETARIAT)


# Receipt dates chosen so that sequences cross 年末年始, Golden Week and 3/31 → 4/1 often.
RECEIPT_DAYS = st.one_of(
    st.dates(dt.date(2023, 12, 1), dt.date(2026, 12, 31)),
    st.sampled_from(
        [dt.date(2024, 12, 26), dt.date(2025, 3, 27), dt.date(2025, 4, 25), dt.date(2025, 12, 29)]
    ),
)


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    received_on=RECEIPT_DAYS,
    first_days=st.integers(1, 5),
    resolution_days=st.integers(1, 12),
    data=st.data(),
)
def test_clocks_through_the_services_match_a_day_by_day_count(
    secretariat, received_on, first_days, resolution_days, data
):
    calendar = load_business_calendar()
    SlaPolicy.objects.filter(region__slug="chiba", category=None).update(
        first_response_days=first_days, resolution_days=resolution_days
    )
    with frozen(received_on):
        case = services.case_create(actor=secretariat, data={"text": "相談内容", "channel": "window"})
    assert case.fiscal_year == fiscal_year(received_on)
    assert (case.first_response_days, case.resolution_days) == (first_days, resolution_days)

    moves: list[tuple[dt.date, str]] = []
    day, status = received_on, S.RECEIVED
    for _ in range(data.draw(st.integers(0, 7), label="moves")):
        day += dt.timedelta(days=data.draw(st.integers(0, 25), label="gap"))
        options = [to for to, _ in allowed_targets(status)]
        to = data.draw(st.sampled_from(options), label="to")
        with frozen(day):
            case = services.case_transition(actor=secretariat, case_id=case.pk, to_status=to, reason=REASON)
        moves.append((day, to))
        status = to

    # The stored columns are the clocks as of the last move.
    last_day = day
    first, resolution = naive_elapsed(received_on, moves, last_day, calendar)
    first_response_on = next((on for on, to in moves if to in FIRST_RESPONSE), None)
    finished = status in FINISHED_STATUSES
    expected_first = naive_bucket(first, first_days, stopped=first_response_on is not None)
    expected_resolution = naive_bucket(resolution, resolution_days, stopped=finished)
    case = Case.objects.get(pk=case.pk)
    assert case.first_responded_on == first_response_on
    assert (case.finished_on is not None) == finished
    assert case.sla_bucket == worse(expected_first, expected_resolution)

    # Replayed later (nothing else happening), against the naive count, directly and via the daily refresh.
    later = last_day + dt.timedelta(days=data.draw(st.integers(0, 60), label="later"))
    clocks = case_clocks(case, on=later)
    first, resolution = naive_elapsed(received_on, moves, later, calendar)
    assert clocks.first_response.elapsed_days == first
    assert clocks.resolution.elapsed_days == resolution
    assert clocks.first_response.stopped == (first_response_on is not None)
    assert clocks.resolution.stopped == finished
    assert clocks.resolution.suspended == (status == S.WAITING)
    expected = worse(
        naive_bucket(first, first_days, stopped=first_response_on is not None),
        naive_bucket(resolution, resolution_days, stopped=finished),
    )
    assert clocks.bucket == expected
    if not finished:
        # The due day: the day the count reaches the target if the clock runs on from ``later``.
        due = clocks.resolution.due_on
        assert due is not None
        count, x = resolution, later
        if count >= resolution_days:
            assert due <= later
        else:
            while count < resolution_days:
                x += ONE
                if calendar.is_business_day(x):
                    count += 1
            assert due == x
    with frozen(later):
        sla_refresh(on=later)
    assert Case.objects.get(pk=case.pk).sla_bucket == (expected if not finished else case.sla_bucket)


# --- examples, for the reader ----------------------------------------------------------------------------


def test_year_end_closure_and_holidays_are_not_counted(secretariat):
    """Received Fri 2025-12-26: 12/29–1/3 closed, 1/4 is a Sunday, 1/12 成人の日."""
    with frozen(dt.date(2025, 12, 26)):
        case = services.case_create(actor=secretariat, data={"text": "年末の相談", "channel": "phone"})
    assert (case.first_response_days, case.resolution_days) == (2, 20)  # Chiba's default policy
    assert case.first_response_due_on == dt.date(2026, 1, 6)  # Mon 1/5, Tue 1/6
    clocks = case_clocks(case, on=dt.date(2026, 1, 4))
    assert clocks.first_response.elapsed_days == 0
    assert clocks.bucket == SlaBucket.ON_TIME
    assert case_clocks(case, on=dt.date(2026, 1, 5)).first_response.bucket == SlaBucket.ON_TIME  # 1 of 2
    assert case_clocks(case, on=dt.date(2026, 1, 6)).first_response.bucket == SlaBucket.AT_RISK  # 2 of 2
    assert case_clocks(case, on=dt.date(2026, 1, 7)).first_response.bucket == SlaBucket.LATE
    # 1/5–1/9 (5), 1/13–1/16 (4; 1/12 成人の日): 9 days by Fri 1/16; 3 × 2 = 6 reached on Tue 1/13.
    assert case_clocks(case, on=dt.date(2026, 1, 12)).first_response.elapsed_days == 5
    assert case_clocks(case, on=dt.date(2026, 1, 13)).first_response.bucket == SlaBucket.VERY_LATE


def test_suspension_while_waiting_across_the_fiscal_year(secretariat):
    """Received Thu 2025-03-27 (年度 2024); waiting from 3/28 to 4/3; resolved 4/8 (年度 2025)."""
    with frozen(dt.date(2025, 3, 27)):
        case = services.case_create(actor=secretariat, data={"text": "年度末の相談", "channel": "visit"})
    assert case.fiscal_year == 2024
    with frozen(dt.date(2025, 3, 28)):
        services.case_transition(actor=secretariat, case_id=case.pk, to_status=S.IN_PROGRESS)
        services.case_transition(actor=secretariat, case_id=case.pk, to_status=S.WAITING)
    with frozen(dt.date(2025, 4, 3)):
        services.case_transition(actor=secretariat, case_id=case.pk, to_status=S.IN_PROGRESS)
    with frozen(dt.date(2025, 4, 8)):
        case = services.case_transition(actor=secretariat, case_id=case.pk, to_status=S.RESOLVED)
    assert list(CaseSuspension.objects.filter(case=case).values_list("started_on", "ended_on")) == [
        (dt.date(2025, 3, 28), dt.date(2025, 4, 3))
    ]
    clocks = case_clocks(case, on=dt.date(2025, 5, 30))
    # Counted: 3/28 (Fri; the day it went to waiting), then 4/4, 4/7, 4/8 → 4 days. First response on 3/28: 1 day.
    assert clocks.resolution.elapsed_days == 4
    assert clocks.first_response.elapsed_days == 1
    assert clocks.resolution.stopped and clocks.first_response.stopped
    assert case.fiscal_year == 2024  # the 年度 is the receipt's, whatever happens later
    assert case.finished_on == dt.date(2025, 4, 8)


def test_a_finished_case_stops_and_the_refresh_leaves_it_alone(secretariat):
    with frozen(dt.date(2025, 6, 2)):
        case = services.case_create(actor=secretariat, data={"text": "相談", "channel": "phone"})
    with frozen(dt.date(2025, 6, 3)):
        services.case_transition(actor=secretariat, case_id=case.pk, to_status=S.IN_PROGRESS)
        case = services.case_transition(actor=secretariat, case_id=case.pk, to_status=S.RESOLVED)
    assert case.sla_next_change_on is None
    assert case.sla_bucket == SlaBucket.ON_TIME
    assert sla_refresh(on=dt.date(2026, 6, 3)) == []
    later = case_clocks(case, on=dt.date(2026, 6, 3))
    assert later.resolution.elapsed_days == 1 and later.bucket == SlaBucket.ON_TIME


def test_the_daily_refresh_moves_open_cases_to_their_new_bucket(secretariat):
    """Received Mon 2025-06-02 with a first-response target of 2 business days."""
    with frozen(dt.date(2025, 6, 2)):
        case = services.case_create(actor=secretariat, data={"text": "相談", "channel": "phone"})
    assert case.sla_next_change_on == dt.date(2025, 6, 4)  # 2 of 2 days used (≥ 80 %) on Wed
    assert sla_refresh(on=dt.date(2025, 6, 3)) == []
    changes = sla_refresh(on=dt.date(2025, 6, 4))
    assert [(c.case_id, c.before, c.after, c.worsened) for c in changes] == [
        (case.pk, SlaBucket.ON_TIME, SlaBucket.AT_RISK, True)
    ]
    changes = sla_refresh(on=dt.date(2025, 6, 5))  # 3 business days of a 2-day target
    assert [(c.before, c.after) for c in changes] == [(SlaBucket.AT_RISK, SlaBucket.LATE)]
    assert Case.objects.get(pk=case.pk).sla_bucket == SlaBucket.LATE
    assert sla_refresh(on=dt.date(2025, 6, 5)) == []  # nothing more is due that day
