"""Routing rules as data: the first active rule (by position) whose conditions all hold decides the lead body.

Each condition key is optional; a missing or empty one matches everything. ``explain_routing`` returns the
whole trace (every rule, every condition, held or not) for the "what would this route to?" tester.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from renkei.core.errors import FieldError, ValidationFailed
from renkei.core.text import nfkc

CONDITION_KEYS = {
    "categories": "相談区分",
    "fields": "支援対象分野",
    "keywords": "キーワード",
    "size_classes": "企業規模",
    "jsic_prefixes": "産業分類",
    "channels": "受付経路",
    "stages": "事業段階",
}


@dataclass(frozen=True)
class RoutingFacts:
    """What the rules look at, taken from a case (or typed into the tester)."""

    category: str = ""  # category code (a child also matches its parent's code)
    category_parent: str = ""
    field: str = ""  # target field code
    field_parent: str = ""
    text: str = ""
    size_class: str = ""
    jsic_code: str = ""
    channel: str = ""
    stage: str = ""


@dataclass
class ConditionCheck:
    key: str
    label: str
    wanted: list[str]
    held: bool
    why: str


@dataclass
class RuleTrace:
    rule_id: int
    position: int
    name: str
    lead_organization_id: int
    held: bool
    checks: list[ConditionCheck] = field(default_factory=list)


def _fold(text: str) -> str:
    return nfkc(text).casefold()


def _check(key: str, wanted: list[str], facts: RoutingFacts) -> tuple[bool, str]:
    if key == "categories":
        hit = {facts.category, facts.category_parent} & set(wanted) - {""}
        return bool(hit), ("該当: " + "、".join(sorted(hit))) if hit else "相談区分が一致しません"
    if key == "fields":
        hit = {facts.field, facts.field_parent} & set(wanted) - {""}
        return bool(hit), ("該当: " + "、".join(sorted(hit))) if hit else "支援対象分野が一致しません"
    if key == "keywords":
        text = _fold(facts.text)
        hit = [w for w in wanted if _fold(w) and _fold(w) in text]
        return bool(hit), ("含む: " + "、".join(hit)) if hit else "キーワードを含みません"
    if key == "jsic_prefixes":
        hit = [p for p in wanted if facts.jsic_code and facts.jsic_code.startswith(p)]
        return bool(hit), ("該当: " + "、".join(hit)) if hit else "産業分類が一致しません"
    value = {"size_classes": facts.size_class, "channels": facts.channel, "stages": facts.stage}[key]
    held = value in wanted
    return held, (f"該当: {value}" if held else f"{CONDITION_KEYS[key]}が一致しません")


def evaluate(conditions: dict, facts: RoutingFacts) -> tuple[bool, list[ConditionCheck]]:
    """Check every condition given. A key we do not know fails (a misspelt condition must never match all)."""
    checks = [
        ConditionCheck(key, key, [], False, f"不明な条件「{key}」（ルールを修正してください）")
        for key in conditions
        if key not in CONDITION_KEYS
    ]
    for key, label in CONDITION_KEYS.items():
        raw = conditions.get(key) or []
        if isinstance(raw, str):
            raw = [raw]
        wanted = [str(w) for w in raw if str(w).strip()]
        if not wanted:
            continue
        held, why = _check(key, wanted, facts)
        checks.append(ConditionCheck(key, label, wanted, held, why))
    return all(c.held for c in checks), checks


def explain_routing(rules: Iterable, facts: RoutingFacts) -> tuple[RuleTrace | None, list[RuleTrace]]:
    """Evaluate ``rules`` (ordered RoutingRule rows) and return (the winning trace or None, every trace)."""
    traces: list[RuleTrace] = []
    winner = None
    for rule in rules:
        if not rule.is_active:
            continue
        held, checks = evaluate(rule.conditions or {}, facts)
        trace = RuleTrace(rule.pk, rule.position, rule.name, rule.lead_organization_id, held, checks)
        traces.append(trace)
        if held and winner is None:
            winner = trace
    return winner, traces


def clean_conditions(raw: object, *, field_prefix: str = "conditions") -> dict[str, list[str]]:
    """Validate a conditions object from JSON or a form: known keys, lists of non-empty strings."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise ValidationFailed.from_errors(
            [FieldError(field_prefix, "条件はオブジェクト（キーと値の組）で指定してください。")]
        )
    errors: list[FieldError] = []
    out: dict[str, list[str]] = {}
    for key, value in raw.items():
        if key not in CONDITION_KEYS:
            known = "、".join(CONDITION_KEYS)
            errors.append(
                FieldError(f"{field_prefix}.{key}", f"条件「{key}」はありません（使えるもの: {known}）。")
            )
            continue
        if isinstance(value, str):
            value = [v for v in value.replace("、", ",").split(",")]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append(FieldError(f"{field_prefix}.{key}", "文字列のリストで指定してください。"))
            continue
        cleaned = [nfkc(v) for v in value if nfkc(v)]
        if cleaned:
            out[key] = cleaned
    if errors:
        raise ValidationFailed.from_errors(errors)
    return out
