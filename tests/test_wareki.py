"""和暦 and 年度: era boundaries, fiscal years (April–March), labels, and parsing era dates back. No database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from renkei.companies.validation import parse_date
from renkei.core.wareki import era_of, fiscal_year, fiscal_year_label, fiscal_year_range, to_wareki

PROPERTY = settings(max_examples=300, deadline=None)

MEIJI_START = dt.date(1868, 10, 23)
# First day of each era, from the 元号 laws/政令 (Gregorian calendar).
ERA_STARTS = [
    ("明治", MEIJI_START),
    ("大正", dt.date(1912, 7, 30)),
    ("昭和", dt.date(1926, 12, 25)),
    ("平成", dt.date(1989, 1, 8)),
    ("令和", dt.date(2019, 5, 1)),
]
modern_dates = st.dates(min_value=MEIJI_START, max_value=dt.date(2200, 12, 31))


@pytest.mark.parametrize(
    ("day", "era", "year", "text"),
    [
        (dt.date(1989, 1, 7), "昭和", 64, "昭和64年1月7日"),
        (dt.date(1989, 1, 8), "平成", 1, "平成元年1月8日"),
        (dt.date(1989, 12, 31), "平成", 1, "平成元年12月31日"),
        (dt.date(1990, 1, 1), "平成", 2, "平成2年1月1日"),
        (dt.date(2019, 4, 30), "平成", 31, "平成31年4月30日"),
        (dt.date(2019, 5, 1), "令和", 1, "令和元年5月1日"),
        (dt.date(2020, 1, 1), "令和", 2, "令和2年1月1日"),
        (dt.date(2024, 4, 1), "令和", 6, "令和6年4月1日"),
        (dt.date(1926, 12, 24), "大正", 15, "大正15年12月24日"),
        (dt.date(1926, 12, 25), "昭和", 1, "昭和元年12月25日"),
        (dt.date(1912, 7, 29), "明治", 45, "明治45年7月29日"),
        (dt.date(1912, 7, 30), "大正", 1, "大正元年7月30日"),
    ],
)
def test_era_boundaries(day, era, year, text):
    assert era_of(day) == (era, year)
    assert to_wareki(day) == text


def test_datetimes_are_dates_too():
    moment = dt.datetime(2019, 5, 1, 0, 0, 1)
    assert era_of(moment) == ("令和", 1)
    assert to_wareki(moment) == "令和元年5月1日"
    assert fiscal_year(dt.datetime(2025, 3, 31, 23, 59)) == 2024


def test_before_meiji_is_refused_in_japanese():
    with pytest.raises(ValueError, match="明治以前"):
        era_of(MEIJI_START - dt.timedelta(days=1))
    assert to_wareki(None) == ""


@pytest.mark.parametrize(
    ("day", "fy"),
    [
        (dt.date(2025, 3, 31), 2024),
        (dt.date(2025, 4, 1), 2025),
        (dt.date(2024, 12, 31), 2024),
        (dt.date(2025, 1, 1), 2024),
        (dt.date(2019, 4, 30), 2019),
        (dt.date(2019, 5, 1), 2019),
    ],
)
def test_fiscal_year(day, fy):
    assert fiscal_year(day) == fy


@pytest.mark.parametrize(
    ("fy", "label"),
    [
        (2024, "令和6年度"),
        (2025, "令和7年度"),
        (2020, "令和2年度"),
        (2019, "令和元年度"),  # began under 平成, named 令和元年度 in practice
        (2018, "平成30年度"),
        (1989, "平成元年度"),
        (1988, "昭和63年度"),
    ],
)
def test_fiscal_year_label(fy, label):
    assert fiscal_year_label(fy) == label


@PROPERTY
@given(modern_dates)
@example(dt.date(2024, 2, 29))
@example(dt.date(2025, 3, 31))
@example(dt.date(2025, 4, 1))
def test_every_date_belongs_to_its_april_to_march_year(day):
    fy = fiscal_year(day)
    start, end = fiscal_year_range(fy)
    assert start == dt.date(fy, 4, 1)
    assert end == dt.date(fy + 1, 3, 31)
    assert start <= day <= end
    assert fy == (day.year if day.month >= 4 else day.year - 1)
    assert (end - start).days in (364, 365)


@PROPERTY
@given(st.integers(min_value=1869, max_value=2200))
def test_fiscal_years_tile_the_calendar(fy):
    start, end = fiscal_year_range(fy)
    next_start, _ = fiscal_year_range(fy + 1)
    assert end + dt.timedelta(days=1) == next_start
    assert fiscal_year(start) == fiscal_year(end) == fy
    assert fiscal_year_label(fy).endswith("年度")


@PROPERTY
@given(modern_dates)
@example(dt.date(1989, 1, 7))
@example(dt.date(1989, 1, 8))
@example(dt.date(2019, 4, 30))
@example(dt.date(2019, 5, 1))
def test_era_year_counts_from_the_era_start(day):
    era, year = era_of(day)
    start = dict(ERA_STARTS)[era]
    assert start <= day
    assert year == day.year - start.year + 1 >= 1
    later = [s for _, s in ERA_STARTS if s > start]
    assert not later or day < min(later)


@PROPERTY
@given(st.dates(min_value=MEIJI_START, max_value=dt.date(2099, 12, 31)))  # era years have two digits
def test_wareki_text_parses_back_to_the_same_day(day):
    text = to_wareki(day)
    assert parse_date(text) == day
    era, year = era_of(day)
    letter = {"明治": "M", "大正": "T", "昭和": "S", "平成": "H", "令和": "R"}[era]
    assert parse_date(f"{letter}{year}.{day.month}.{day.day}") == day


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("令和6年4月1日", dt.date(2024, 4, 1)),
        ("令和元年5月1日", dt.date(2019, 5, 1)),
        ("Ｒ６．４．１", dt.date(2024, 4, 1)),
        ("H31/4/30", dt.date(2019, 4, 30)),
        ("昭和６４年１月７日", dt.date(1989, 1, 7)),
        ("2024-04-01", dt.date(2024, 4, 1)),
        ("2024/4/1", dt.date(2024, 4, 1)),
        ("2024年4月1日", dt.date(2024, 4, 1)),
    ],
)
def test_parse_date_accepts_the_usual_forms(text, day):
    assert parse_date(text) == day


@pytest.mark.parametrize(
    "text", ["令和元年4月30日", "平成元年1月7日", "令和6年2月30日", "令和0年1月1日", "2024-13-01", "そのうち"]
)
def test_parse_date_refuses_days_that_do_not_exist(text):
    with pytest.raises(ValueError):
        parse_date(text)
