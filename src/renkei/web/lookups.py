"""Suggestions from national reference data (産業分類, 市区町村) for the form helpers.

Reference data is public and the same for everyone; these lookups only help people type a code.
"""

from __future__ import annotations

from django.db.models import Q

from renkei.core.models import IndustryClass, IndustryLevel, Municipality
from renkei.core.text import digits_only, nfkc
from renkei.network.models import Region
from renkei.network.selectors import StaffContext

MAX_SUGGESTIONS = 30


def jsic_suggestions(typed: str) -> list[tuple[str, str]]:
    """(code, 'code name') of 細分類 whose code starts with, or whose name contains, what was typed."""
    text = nfkc(typed)
    if not text:
        return []
    qs = IndustryClass.objects.filter(level=IndustryLevel.DETAIL)
    digits = digits_only(text)
    if digits.isdigit():
        qs = qs.filter(code__startswith=digits)
    else:
        qs = qs.filter(Q(name__icontains=text) | Q(parent__name__icontains=text))
    return [
        (code, f"{code} {name}")
        for code, name in qs.order_by("code").values_list("code", "name")[:MAX_SUGGESTIONS]
    ]


def _label(code: str, prefecture: str, name: str) -> str:
    return f"{code} {prefecture}{name}"


def municipality_suggestions(typed: str) -> list[tuple[str, str]]:
    """(code, 'code 都道府県市区町村') whose code starts with, or whose name contains, what was typed."""
    text = nfkc(typed)
    if not text:
        return []
    digits = digits_only(text)
    if digits.isdigit():
        qs = Municipality.objects.filter(code__startswith=digits)
    else:
        qs = Municipality.objects.filter(Q(name__icontains=text) | Q(kana__icontains=text))
    rows = qs.order_by("code").values_list("code", "prefecture__name", "name")[:MAX_SUGGESTIONS]
    return [(code, _label(code, pref, name)) for code, pref, name in rows]


def municipality_options_for(ctx: StaffContext) -> list[tuple[str, str]]:
    """The municipalities of the user's regions (of every home region for a superuser), for a <datalist>."""
    if ctx.is_superuser and not ctx.region_ids:
        prefectures = Region.objects.filter(is_home=True).values_list("prefecture_id", flat=True)
    else:
        prefectures = Region.objects.filter(pk__in=ctx.region_ids).values_list("prefecture_id", flat=True)
    rows = (
        Municipality.objects.filter(prefecture_id__in=list(prefectures))
        .order_by("code")
        .values_list("code", "prefecture__name", "name")
    )
    return [(code, _label(code, pref, name)) for code, pref, name in rows]
