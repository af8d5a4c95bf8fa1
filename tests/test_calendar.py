"""Business calendar: known closed days, the 年末年始 setting, CalendarDay overrides, and the bisect fast path
against a plain day-by-day loop (hypothesis)."""

from __future__ import annotations

import datetime as dt

import jpholiday
import pytest
from django.core.exceptions import ImproperlyConfigured
from hypothesis import example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from renkei.core.calendar import (
    WINDOW_FIRST_YEAR,
    WINDOW_LAST_YEAR,
    BusinessCalendar,
    clear_business_calendar_cache,
    load_business_calendar,
    parse_year_end,
)
from renkei.core.models import CalendarDay

PROPERTY = hypothesis_settings(max_examples=300, deadline=None)
ONE = dt.timedelta(days=1)
NATIONAL = BusinessCalendar()  # shared by the properties: its window grows as examples wander

d = dt.date


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    clear_business_calendar_cache()
    yield
    clear_business_calendar_cache()


def naive_add(calendar: BusinessCalendar, day: dt.date, n: int) -> dt.date:
    while n:
        day += ONE
        if calendar.is_business_day(day):
            n -= 1
    return day


def naive_between(calendar: BusinessCalendar, start: dt.date, end: dt.date) -> int:
    return sum(
        1 for k in range(1, (end - start).days + 1) if calendar.is_business_day(start + dt.timedelta(k))
    )


def oracle_is_business_day(day: dt.date) -> bool:
    """Written independently of the calendar: weekday, jpholiday, 12/29–1/3."""
    year_end = (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)
    return day.weekday() < 5 and not jpholiday.is_holiday(day) and not year_end


# Dates that matter most: around New Year (年末年始 and the change of year) and 年度 (3/31 → 4/1).
boundary_dates = st.builds(
    lambda year, anchor, offset: anchor.replace(year=year) + dt.timedelta(days=offset),
    st.integers(1996, 2059),
    st.sampled_from([d(2000, 3, 31), d(2000, 12, 31), d(2000, 5, 3), d(2000, 9, 21)]),
    st.integers(-10, 10),
)
dates = st.one_of(st.dates(min_value=d(1995, 1, 1), max_value=d(2060, 12, 31)), boundary_dates)
counts = st.integers(min_value=0, max_value=400)


# -- known days ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "reason"),
    [
        (d(2024, 12, 27), None),  # Friday before the closure: open
        (d(2024, 12, 28), "土曜日"),
        (d(2024, 12, 29), "日曜日"),
        (d(2024, 12, 30), "年末年始"),
        (d(2024, 12, 31), "年末年始"),
        (d(2025, 1, 1), "元日"),
        (d(2025, 1, 2), "年末年始"),
        (d(2025, 1, 3), "年末年始"),
        (d(2025, 1, 6), None),  # first Monday of the year: open
        (d(2025, 5, 6), "みどりの日 振替休日"),
        (d(2024, 9, 23), "秋分の日 振替休日"),
        (d(2024, 2, 12), "建国記念の日 振替休日"),
        (d(2026, 9, 22), "国民の休日"),  # between 敬老の日 and 秋分の日
        (d(2019, 4, 30), "国民の休日"),  # the 2019 ten-day Golden Week
        (d(2019, 5, 1), "天皇の即位の日"),
        (d(2020, 7, 24), "スポーツの日"),  # moved for the Olympics
        (d(2025, 3, 31), None),  # last day of 令和6年度
        (d(2025, 4, 1), None),  # first day of 令和7年度
        (d(2026, 6, 15), None),  # 千葉県民の日 is not national: only a CalendarDay closes it
    ],
)
def test_known_days(day, reason):
    assert NATIONAL.closed_reason(day) == reason
    assert NATIONAL.is_business_day(day) is (reason is None)


def test_known_arithmetic_across_new_year_and_fiscal_year():
    assert NATIONAL.add_business_days(d(2024, 12, 27), 1) == d(2025, 1, 6)
    assert NATIONAL.next_business_day(d(2024, 12, 27)) == d(2025, 1, 6)
    assert NATIONAL.business_days_between(d(2024, 12, 26), d(2025, 1, 7)) == 3  # 12/27, 1/6, 1/7
    assert NATIONAL.add_business_days(d(2025, 3, 28), 2) == d(2025, 4, 1)
    assert NATIONAL.business_days_between(d(2025, 3, 30), d(2025, 4, 1)) == 2
    # Golden Week 2025: 4/29 (Tue) 昭和の日, 5/3–5/6 closed.
    assert NATIONAL.add_business_days(d(2025, 4, 28), 1) == d(2025, 4, 30)
    assert NATIONAL.add_business_days(d(2025, 5, 2), 1) == d(2025, 5, 7)
    assert NATIONAL.add_business_days(d(2025, 5, 5), 0) == d(2025, 5, 5)  # n = 0: the day itself
    assert NATIONAL.roll_forward(d(2025, 5, 5)) == d(2025, 5, 7)
    assert NATIONAL.roll_forward(d(2025, 5, 7)) == d(2025, 5, 7)
    assert NATIONAL.business_days_between(d(2025, 5, 7), d(2025, 5, 7)) == 0
    assert NATIONAL.business_days_between(d(2025, 5, 8), d(2025, 5, 7)) == 0


def test_datetimes_are_taken_as_their_date():
    assert NATIONAL.add_business_days(dt.datetime(2024, 12, 27, 17, 30), 1) == d(2025, 1, 6)
    assert NATIONAL.closed_reason(dt.datetime(2025, 1, 1, 9, 0)) == "元日"


def test_refuses_nonsense():
    with pytest.raises(ValueError, match="0 以上"):
        NATIONAL.add_business_days(d(2025, 1, 6), -1)
    with pytest.raises(ValueError, match="両方"):
        BusinessCalendar(closed=[d(2025, 6, 2)], opened=[d(2025, 6, 2)])


# -- 年末年始 ------------------------------------------------------------------------------------------------


def test_parse_year_end():
    assert parse_year_end("12-29/01-03") == ((12, 29), (1, 3))
    assert parse_year_end(" １２－２８／０１－０４ ") == ((12, 28), (1, 4))  # full-width, as typed in Japan
    assert parse_year_end("") is None
    for bad in ("12-32/01-03", "12/29-01/03", "年末", "12-29", "02-30/03-01"):
        with pytest.raises(ImproperlyConfigured, match="RENKEI_YEAR_END_CLOSURE"):
            parse_year_end(bad)


def test_year_end_can_be_disabled_or_changed_in_the_pure_class():
    none = BusinessCalendar(year_end=None)
    assert none.is_business_day(d(2024, 12, 30))
    assert none.closed_reason(d(2025, 1, 1)) == "元日"  # the holiday stays
    december = BusinessCalendar(year_end=((12, 26), (12, 31)))  # not wrapping the year
    assert december.closed_reason(d(2024, 12, 26)) == "年末年始"
    assert december.is_business_day(d(2025, 1, 2))
    assert december.add_business_days(d(2024, 12, 25), 1) == d(2025, 1, 2)


@pytest.mark.django_db
def test_setting_changes_the_closure(settings):
    assert not load_business_calendar().is_business_day(d(2024, 12, 30))
    settings.RENKEI_YEAR_END_CLOSURE = ""
    assert load_business_calendar().is_business_day(d(2024, 12, 30))
    settings.RENKEI_YEAR_END_CLOSURE = "12-28/01-05"
    calendar = load_business_calendar()
    assert calendar.closed_reason(d(2026, 1, 5)) == "年末年始"  # a Monday
    assert calendar.add_business_days(d(2025, 12, 26), 1) == d(2026, 1, 6)
    settings.RENKEI_YEAR_END_CLOSURE = "12-29"
    with pytest.raises(ImproperlyConfigured):
        load_business_calendar()


# -- CalendarDay overrides -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_calendar_day_closes_a_day():
    CalendarDay.objects.create(date=d(2026, 6, 15), is_closed=True, name="県民の日")
    calendar = load_business_calendar()
    assert calendar.closed_reason(d(2026, 6, 15)) == "県民の日"
    assert calendar.add_business_days(d(2026, 6, 12), 1) == d(2026, 6, 16)  # Fri → Tue
    assert calendar.business_days_between(d(2026, 6, 12), d(2026, 6, 19)) == 4
    CalendarDay.objects.create(date=d(2026, 6, 17), is_closed=True, name="")
    assert load_business_calendar().closed_reason(d(2026, 6, 17)) == "休業日"


@pytest.mark.django_db
def test_calendar_day_opens_a_closed_day():
    CalendarDay.objects.create(date=d(2025, 1, 3), is_closed=False, name="仕事始め繰上げ")
    CalendarDay.objects.create(date=d(2025, 1, 4), is_closed=False, name="土曜開庁")
    calendar = load_business_calendar()
    assert calendar.is_business_day(d(2025, 1, 3))
    assert calendar.is_business_day(d(2025, 1, 4))
    assert calendar.closed_reason(d(2025, 1, 2)) == "年末年始"
    assert calendar.add_business_days(d(2024, 12, 27), 2) == d(2025, 1, 4)
    assert calendar.business_days_between(d(2024, 12, 27), d(2025, 1, 6)) == 3


@pytest.mark.django_db
def test_cache_follows_every_edit():
    first = load_business_calendar()
    assert load_business_calendar() is first  # nothing changed: the cached calendar
    row = CalendarDay.objects.create(date=d(2026, 6, 15), is_closed=True, name="県民の日")
    second = load_business_calendar()
    assert second is not first
    assert not second.is_business_day(d(2026, 6, 15))
    row.is_closed = False
    row.name = "開庁"
    row.save()
    assert load_business_calendar().is_business_day(d(2026, 6, 15))
    row.delete()
    third = load_business_calendar()
    assert third.is_business_day(d(2026, 6, 15))
    assert third.closed_reason(d(2026, 6, 13)) == "土曜日"


# -- properties ------------------------------------------------------------------------------------------------


@PROPERTY
@given(dates)
@example(d(2025, 5, 6))
@example(d(2026, 9, 22))
def test_is_business_day_matches_an_independent_oracle(day):
    assert NATIONAL.is_business_day(day) == oracle_is_business_day(day)


@PROPERTY
@given(dates, st.integers(min_value=1, max_value=400))
def test_add_business_days_lands_on_a_business_day(day, n):
    result = NATIONAL.add_business_days(day, n)
    assert result > day
    assert NATIONAL.is_business_day(result)


@PROPERTY
@given(dates, counts)
@example(d(2025, 3, 31), 1)
@example(d(2024, 12, 27), 5)
def test_between_inverts_add(day, n):
    assert NATIONAL.business_days_between(day, NATIONAL.add_business_days(day, n)) == n


@PROPERTY
@given(dates, dates, counts, counts)
def test_monotone(a, b, m, n):
    a, b = min(a, b), max(a, b)
    m, n = min(m, n), max(m, n)
    assert NATIONAL.add_business_days(a, m) <= NATIONAL.add_business_days(a, n)
    assert NATIONAL.add_business_days(a, n) <= NATIONAL.add_business_days(b, n)
    assert NATIONAL.business_days_between(a, b) <= NATIONAL.business_days_between(a, b + dt.timedelta(days=m))
    assert NATIONAL.business_days_between(b, b + ONE) <= 1


overrides = st.sets(st.dates(min_value=d(1995, 1, 1), max_value=d(2062, 12, 31)), max_size=40)


@PROPERTY
@given(dates, st.integers(min_value=0, max_value=900), counts, overrides, overrides, st.booleans())
@example(d(2025, 3, 25), 14, 5, set(), set(), True)  # across 年度
@example(d(2024, 12, 20), 30, 8, {d(2025, 1, 6)}, {d(2025, 1, 2)}, True)  # across 年末年始 with overrides
def test_fast_path_agrees_with_the_day_loop(day, span, n, closed, opened, with_year_end):
    calendar = BusinessCalendar(
        closed={x: "臨時休業" for x in closed},
        opened=opened - closed,
        year_end=((12, 29), (1, 3)) if with_year_end else None,
    )
    end = day + dt.timedelta(days=span)
    assert calendar.business_days_between(day, end) == naive_between(calendar, day, end)
    assert calendar.business_days_between(end, day) == 0
    assert calendar.add_business_days(day, n) == naive_add(calendar, day, n)
    assert calendar.next_business_day(day) == naive_add(calendar, day, 1)


@hypothesis_settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(
        [d(1900, 6, 1), d(WINDOW_FIRST_YEAR - 1, 12, 20), d(WINDOW_LAST_YEAR, 12, 20), d(2230, 3, 1)]
    ),
    st.integers(min_value=0, max_value=60),
    st.integers(min_value=0, max_value=30),
)
def test_outside_the_window_the_loop_answers_the_same(day, offset, n):
    """Dates before 1950 or after 2199 (and ranges straddling those edges) take the slow path."""
    calendar = BusinessCalendar()
    start = day + dt.timedelta(days=offset)
    end = start + dt.timedelta(days=40)
    assert calendar.business_days_between(start, end) == naive_between(calendar, start, end)
    assert calendar.add_business_days(start, n) == naive_add(calendar, start, n)


def test_window_grows_in_both_directions():
    calendar = BusinessCalendar()
    assert calendar.add_business_days(d(2025, 1, 6), 1) == d(2025, 1, 7)
    far = calendar.add_business_days(d(2025, 1, 6), 2500)  # ten years on: the window grows forward
    assert far == naive_add(calendar, d(2025, 1, 6), 2500)
    assert calendar.business_days_between(d(1998, 12, 25), d(1999, 1, 5)) == naive_between(
        calendar, d(1998, 12, 25), d(1999, 1, 5)
    )
    assert calendar.business_days_between(d(1998, 12, 25), far) == 2500 + naive_between(
        calendar, d(1998, 12, 25), d(2025, 1, 6)
    )
