"""A program's eligibility rules (``renkei-eligibility/1``) in words, for its page: 「従業員数: 300 人以下」.

Only wording: what the rules mean is ``catalog.eligibility``'s (read there); names of prefectures, municipalities
and industries come from its process-wide ``Reference``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from renkei.catalog.eligibility import format_yen, get_reference, prepare_rules
from renkei.catalog.eligibility_rules import SIZE_LABELS

_LIST_SHOWN = 12


def _range(value: Mapping[str, Any], fmt: Callable[[int], str], *, age: bool = False) -> str:
    low, high = value.get("min"), value.get("max")
    if age:
        if low is not None and high is not None:
            return f"設立 {low:,}〜{high:,} 年"
        if high is not None:
            return f"設立 {high:,} 年以内"
        return f"設立 {low:,} 年以上"
    if low is not None and high is not None:
        return f"{fmt(low)}以上 {fmt(high)}以下"
    if high is not None:
        return f"{fmt(high)}以下"
    return f"{fmt(low)}以上"


def _people(n: int) -> str:
    return f"{n:,} 人"


def _names(names: list[str], noun: str) -> str:
    shown = "、".join(names[:_LIST_SHOWN])
    if len(names) > _LIST_SHOWN:
        shown += f" ほか {len(names) - _LIST_SHOWN} {noun}"
    return shown


def describe_rules(rules: Mapping[str, Any] | None) -> tuple[list[tuple[str, str]], str]:
    """([(label, text)], problem): one line per rule present, in the order the verdict checks them, and a
    sentence when the rules cannot be read (then the list is empty)."""
    prepared = prepare_rules(rules)
    if prepared.error is not None:
        return [], "対象要件の設定に誤りがあるため、条件を表示できません。実施機関にお問い合わせください。"
    r = prepared.rules
    ref = get_reference()
    lines: list[tuple[str, str]] = []
    if "size_classes" in r:
        classes = r["size_classes"]
        text = "・".join(SIZE_LABELS[c] for c in classes)
        if "sme" in classes and "small" not in classes:
            text += "（小規模企業者を含む）"
        lines.append(("企業規模", text))
    if "employees" in r:
        lines.append(("従業員数", _range(r["employees"], _people)))
    if "capital" in r:
        lines.append(("資本金", _range(r["capital"], format_yen)))
    if "company_age_years" in r:
        lines.append(("設立からの年数", _range(r["company_age_years"], _people, age=True)))
    if "jsic" in r:
        lines.append(("業種", _names([ref.industry_label(c) for c in r["jsic"]], "分類")))
    places = [ref.prefecture_name(c) for c in r.get("prefectures", [])]
    places += [ref.municipality_label(c) for c in r.get("municipalities", [])]
    if places:
        lines.append(("所在地", _names(places, "か所") + ("のいずれか" if len(places) > 1 else "")))
    if "stages" in r:
        lines.append(("事業段階", "・".join(r["stages"])))
    return lines, ""
