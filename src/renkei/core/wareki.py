"""和暦 (Japanese era) and 年度 (fiscal year, April–March) helpers."""

from __future__ import annotations

import datetime as dt

# (era name, first day); later eras first.
ERAS: tuple[tuple[str, dt.date], ...] = (
    ("令和", dt.date(2019, 5, 1)),
    ("平成", dt.date(1989, 1, 8)),
    ("昭和", dt.date(1926, 12, 25)),
    ("大正", dt.date(1912, 7, 30)),
    ("明治", dt.date(1868, 10, 23)),
)


def _era_year(year: int) -> str:
    return "元" if year == 1 else str(year)


def era_of(day: dt.date) -> tuple[str, int]:
    if isinstance(day, dt.datetime):  # a datetime does not compare with the eras' dates
        day = day.date()
    for name, start in ERAS:
        if day >= start:
            return name, day.year - start.year + 1
    raise ValueError(f"{day} は明治以前の日付です")


def to_wareki(day: dt.date | dt.datetime | None) -> str:
    """2024-04-01 → '令和6年4月1日'; 2019-05-01 → '令和元年5月1日'."""
    if day is None:
        return ""
    if isinstance(day, dt.datetime):
        day = day.date()
    era, year = era_of(day)
    return f"{era}{_era_year(year)}年{day.month}月{day.day}日"


def fiscal_year(day: dt.date | dt.datetime) -> int:
    """The 年度 a day belongs to, as the Western year in which it starts (2025-03-31 → 2024)."""
    if isinstance(day, dt.datetime):
        day = day.date()
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_label(year: int) -> str:
    """2024 → '令和6年度'; 2019 → '令和元年度' (a 年度 is named by the era in force on its 1 April,
    except that FY2019, which began under 平成, is commonly written 令和元年度)."""
    start = dt.date(year, 4, 1)
    if year == 2019:
        return "令和元年度"
    era, era_year = era_of(start)
    return f"{era}{_era_year(era_year)}年度"


def fiscal_year_range(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 4, 1), dt.date(year + 1, 3, 31)
