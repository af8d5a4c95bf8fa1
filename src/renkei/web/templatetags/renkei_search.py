"""Template helpers of the search and catalog pages: amounts in 万円/億円, eligibility outcomes, a program's window."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone

from renkei.catalog.eligibility import format_yen as _format_yen

register = template.Library()

OUTCOMES = {  # a check's outcome → (mark, words); the mark is decoration, the words are read out
    "pass": ("○", "満たす"),
    "fail": ("×", "満たさない"),
    "near": ("△", "あと少し"),
    "unknown": ("？", "情報が不足"),
}


@register.filter
def format_yen(value: int | None) -> str:
    """{{ program.cap_yen|format_yen }} → 「5,000 万円」, 「3 億円」 (empty for no amount)."""
    if value in (None, ""):
        return ""
    return _format_yen(int(value))


@register.filter
def outcome_mark(outcome: str) -> str:
    return OUTCOMES.get(outcome, ("・", ""))[0]


@register.filter
def outcome_words(outcome: str) -> str:
    return OUTCOMES.get(outcome, ("", outcome))[1]


@register.filter
def window_state(program: Any) -> str:
    """受付中 / 受付前 / 受付終了 today (empty when the program has no dates)."""
    opens, closes = getattr(program, "opens_on", None), getattr(program, "closes_on", None)
    if opens is None and closes is None:
        return ""
    today: dt.date = timezone.localdate()
    if opens is not None and today < opens:
        return "受付前"
    if closes is not None and today > closes:
        return "受付終了"
    return "受付中"
