"""Template filters for Japanese dates and numbers."""

from __future__ import annotations

import datetime as dt

from django import template

from renkei.core import wareki

register = template.Library()


@register.filter
def wareki_date(value: dt.date | dt.datetime | None) -> str:
    """{{ company.founded_on|wareki_date }} → 令和6年4月1日"""
    return wareki.to_wareki(value) if value else ""


@register.filter
def nendo(value: dt.date | dt.datetime | int | None) -> str:
    """{{ some_date|nendo }} or {{ 2024|nendo }} → 令和6年度"""
    if value in (None, ""):
        return ""
    year = value if isinstance(value, int) else wareki.fiscal_year(value)
    return wareki.fiscal_year_label(year)


@register.filter
def yen(value: int | None) -> str:
    """1234567 → '1,234,567円'; large round amounts as 万円/億円 (300000000 → '3億円')."""
    if value is None or value == "":
        return ""
    value = int(value)
    if value >= 100_000_000 and value % 1_000_000 == 0:
        oku, rest = divmod(value, 100_000_000)
        man = rest // 10_000
        return f"{oku:,}億{man:,}万円" if man else f"{oku:,}億円"
    if value >= 10_000 and value % 10_000 == 0:
        return f"{value // 10_000:,}万円"
    return f"{value:,}円"
