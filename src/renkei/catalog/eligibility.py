"""Eligibility of a company for a support program: rules as data, verdicts with reasons people can check.

Rules (``renkei-eligibility/1``) are a JSON object stored on ``SupportProgram.eligibility``; a missing key is no
constraint, and so is an empty list or a range with neither bound::

    {"size_classes": ["small", "sme"],              # companies.choices.SizeClass values (labels accepted too)
     "employees": {"min": null, "max": 300},        # persons, inclusive
     "capital":   {"min": null, "max": 300000000},  # yen, inclusive
     "company_age_years": {"min": null, "max": 5},  # full years since founded_on, on ``today``, inclusive
     "jsic": ["E", "09", "091", "0911"],            # JSIC 第14回改定 codes of any level
     "prefectures": ["12"], "municipalities": ["122033"],
     "stages": ["研究開発", "試作", "事業化", "販路開拓"]}

Semantics, decided here:

- **size_classes**: the company's 中小企業基本法 class must be listed. "sme" (中小企業者) includes "small"
  (小規模企業者 are 中小企業者 in law), so ``["sme"]`` admits both. A class stated on the profile (the Company's
  stored one, or what a person chose on the form) is taken as it is; a profile without one has it derived from
  its industry, capital and employees (``companies.sme.classify_size``); an industry code coarser than 細分類 is
  used when every 細分類 under it gives the same class.
- **jsic**: the company's code must fall under one listed code (same code, a prefix, or its 大分類 letter). When
  the company's code is coarser than a listed code that might contain it ("09" against "0911"), the verdict for
  that rule is *unknown* and a more specific code is asked for.
- **prefectures / municipalities** are alternatives, checked as one rule "location" (所在地): the company must be
  in one of the listed prefectures **or** one of the listed municipalities. A company whose municipality is
  unknown but whose prefecture holds a listed municipality is *unknown*, not a fail.
- **company_age_years**: full years from ``founded_on`` to ``today`` (a company founded 2019-06-01 is 5 on
  2025-05-31 and 6 the next day; a founding date in the future counts as 0). When only the founding year or
  month is known, the rule passes or fails only if it does for every possible day, otherwise it is *unknown*.
- **Near miss**: a numeric range (employees, capital) missed by at most 10 % of the bound it misses (320 people
  against a maximum of 300; 270 against a minimum of 300), company age by at most one year. Size class is a near
  miss too when a single figure decides it: a 大企業 facing a rule that admits 中小企業者 is a near miss when its
  employees **or** its capital is over its sector's limit by at most 10 % (meeting either limit makes it a
  中小企業者), and a 中小企業者 facing a 小規模企業者-only rule when its employees are within 10 % of the
  small-business limit (both need an industry code that fixes the sector). Industry, location and stage have no
  near miss.
- **Status**: any fail that is not near → ``not_eligible``; else any near → ``near_miss``; else any unknown →
  ``unknown`` (``missing`` names the company fields to fill, in Japanese); else ``eligible``. No rules → eligible.
  Rules that do not validate give ``unknown`` with one check saying so (a broken program never breaks a page).

Checks come one per rule present, in the order of ``CHECK_ORDER``. Names of prefectures, municipalities and JSIC
classes come from ``core.models`` through a process-wide ``Reference`` (loaded once: evaluating 1,000 programs
for a company makes no query per program).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from renkei.companies.choices import SizeClass
from renkei.companies.sme import LIMITS, SMALL_20_PREFIXES, classify_size
from renkei.core.errors import FieldError, ValidationFailed

from .eligibility_profile import FIELD_LABELS, INPUT_KEYS, CompanyProfile, parse_founded, parse_quantity
from .eligibility_reference import Reference, clear_reference_cache, get_reference
from .eligibility_rules import (
    RULE_KEYS,
    SCHEMA,
    SIZE_CLASSES,
    SIZE_LABELS,
    STAGES,
    municipality_check_digit,
    normalize_rules,
    rule_is_empty,
    validate_rules,
)

__all__ = [
    "CHECK_ORDER",
    "INPUT_KEYS",
    "RULE_KEYS",
    "SCHEMA",
    "SIZE_CLASSES",
    "STAGES",
    "STATUS_LABELS",
    "Check",
    "CompanyProfile",
    "PreparedRules",
    "Reference",
    "Verdict",
    "clear_reference_cache",
    "evaluate",
    "explain",
    "format_yen",
    "get_reference",
    "municipality_check_digit",
    "normalize_rules",
    "parse_founded",
    "parse_quantity",
    "prepare_rules",
    "rule_is_empty",
    "validate_rules",
]

Status = Literal["eligible", "not_eligible", "near_miss", "unknown"]
Outcome = Literal["pass", "fail", "near", "unknown"]
ELIGIBLE, NOT_ELIGIBLE, NEAR_MISS, UNKNOWN = "eligible", "not_eligible", "near_miss", "unknown"
PASS, FAIL, NEAR = "pass", "fail", "near"

STATUS_LABELS: dict[str, str] = {
    ELIGIBLE: "対象",
    NOT_ELIGIBLE: "対象外",
    NEAR_MISS: "あと少しで対象",
    UNKNOWN: "判定に必要な情報が不足",
}
# One check per rule present, in this order ("location" covers prefectures and municipalities).
CHECK_ORDER = ("size_classes", "employees", "capital", "company_age_years", "jsic", "location", "stages")
CHECK_LABELS = {
    "size_classes": "企業規模",
    "employees": "従業員数",
    "capital": "資本金",
    "company_age_years": "設立からの年数",
    "jsic": "業種",
    "location": "所在地",
    "stages": "事業段階",
    "rules": "対象要件",
}
NEAR_RATIO = 10  # a near miss is within 1/NEAR_RATIO (10 %) of the bound
NEAR_YEARS = 1
_LIST_SHOWN = 5


@dataclass(frozen=True)
class Check:
    rule: str  # a key of CHECK_ORDER (or "rules" when the rules themselves are invalid)
    label: str  # Japanese name of the rule
    outcome: Outcome
    message: str  # a full sentence with the company's figure and the bound
    reason: str = ""  # short form for a one-line summary (fail/near/unknown only)


@dataclass(frozen=True)
class Verdict:
    status: Status
    checks: list[Check] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # Japanese labels of company fields to fill

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def is_eligible(self) -> bool:
        return self.status == ELIGIBLE

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: {"status", "label", "summary", "checks": [...], "missing": [...]}."""
        return {
            "status": self.status,
            "label": self.label,
            "summary": explain(self),
            "checks": [asdict(c) for c in self.checks],
            "missing": list(self.missing),
        }


# --- formatting ----------------------------------------------------------------------------------------------
def format_yen(amount: int) -> str:
    """300000000 → "3 億円"; 50000000 → "5,000 万円"; 320000000 → "3 億 2,000 万円"; 12345 → "1 万 2,345 円"."""
    if amount < 0:
        return "−" + format_yen(-amount)
    parts = []
    for unit, size in (("兆", 10**12), ("億", 10**8), ("万", 10**4)):
        count, amount = divmod(amount, size)
        if count:
            parts.append(f"{count:,} {unit}")
    if amount or not parts:
        parts.append(f"{amount:,} ")
    return " ".join(parts) + "円"


def _people(n: int) -> str:
    return f"{n:,} 人"


def _years(n: int) -> str:
    return f"{n:,} 年"


def _span(lo: int, hi: int, fmt: Callable[[int], str]) -> str:
    """A figure or a span of figures: 「6 年」, 「6〜7 年」, 「1,000 万円〜3 億円」."""
    if lo == hi:
        return fmt(lo)
    if fmt in (_people, _years):
        return f"{lo:,}〜{fmt(hi)}"
    return f"{fmt(lo)}〜{fmt(hi)}"


def _join(names: list[str], *, noun: str, quote: bool = False) -> str:
    """Names joined by 「・」 (千葉県・茨城県つくば市); with ``quote`` (for names that hold 「・」 or 「、」
    themselves, as JSIC names do) several names are each quoted: 「肉加工品製造業」「情報通信業」. Long lists end
    with 「ほか N 分類」."""
    shown = names[:_LIST_SHOWN]
    text = "".join(f"「{n}」" for n in shown) if quote and len(names) > 1 else "・".join(shown)
    if len(names) > _LIST_SHOWN:
        text += f" ほか {len(names) - _LIST_SHOWN} {noun}"
    return text


# --- evaluation ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PreparedRules:
    """Rules normalized once, for evaluating one program against many companies (or the reverse)."""

    rules: Mapping[str, Any]
    error: FieldError | None = None  # the first validation error; such rules always give "unknown"


def prepare_rules(rules: Mapping[str, Any] | None) -> PreparedRules:
    try:
        return PreparedRules(normalize_rules(rules))
    except ValidationFailed as exc:
        return PreparedRules({}, exc.errors[0])


def evaluate(
    rules: Mapping[str, Any] | PreparedRules | None,
    profile: CompanyProfile,
    *,
    today: dt.date,
    reference: Reference | None = None,
) -> Verdict:
    """The verdict of ``rules`` for ``profile`` on ``today``. Never raises on rules that validate; rules that do
    not validate give an ``unknown`` verdict saying so. Pass ``prepare_rules(rules)`` to skip normalizing."""
    ref = reference if reference is not None else get_reference()
    prepared = rules if isinstance(rules, PreparedRules) else prepare_rules(rules)
    if prepared.error is not None:
        first = prepared.error
        message = f"対象要件の設定に誤りがあるため判定できません（{first.field}: {first.message}）"
        check = Check("rules", CHECK_LABELS["rules"], UNKNOWN, message, "対象要件の設定に誤りがあります")
        return Verdict(UNKNOWN, [check])
    rules = prepared.rules
    checks: list[Check] = []
    missing: list[str] = []

    def add(result: tuple[Check, list[str]]) -> None:
        checks.append(result[0])
        missing.extend(m for m in result[1] if m not in missing)

    if "size_classes" in rules:
        add(_size_check(rules["size_classes"], profile, ref))
    if "employees" in rules:
        add(_figure_check("employees", rules["employees"], profile.employees, _people))
    if "capital" in rules:
        add(_figure_check("capital", rules["capital"], profile.capital, format_yen))
    if "company_age_years" in rules:
        add(_age_check(rules["company_age_years"], profile, today))
    if "jsic" in rules:
        add(_jsic_check(rules["jsic"], profile, ref))
    if "prefectures" in rules or "municipalities" in rules:
        add(_location_check(rules.get("prefectures", []), rules.get("municipalities", []), profile, ref))
    if "stages" in rules:
        add(_stage_check(rules["stages"], profile))
    return Verdict(_status({c.outcome for c in checks}), checks, missing)


def _status(outcomes: set[str]) -> Status:
    """Any fail → not eligible; else any near → near miss; else any unknown → unknown; else eligible."""
    for outcome, status in ((FAIL, NOT_ELIGIBLE), (NEAR, NEAR_MISS), (UNKNOWN, UNKNOWN)):
        if outcome in outcomes:
            return status  # type: ignore[return-value]
    return ELIGIBLE  # type: ignore[return-value]


def _check(rule: str, outcome: Outcome, message: str, reason: str = "") -> Check:
    return Check(rule, CHECK_LABELS[rule], outcome, message, reason)


def _unknown(rule: str, message: str, missing: list[str]) -> tuple[Check, list[str]]:
    return _check(rule, UNKNOWN, message, "・".join(missing) + "が未登録"), missing


def _range_outcome(
    rule: str,
    bounds: Mapping[str, int | None],
    lo: int,
    hi: int,
    fmt: Callable[[int], str],
    near: Callable[[int, int], bool],
) -> Check | None:
    """Pass/fail/near for a figure known to lie in [lo, hi]; None when the range straddles a bound."""
    label = CHECK_LABELS[rule]
    low, high = bounds.get("min"), bounds.get("max")
    shown = _span(lo, hi, fmt)
    if (high is None or hi <= high) and (low is None or lo >= low):
        if low is not None and high is not None:
            return _check(rule, PASS, f"{label} {shown}: 対象範囲（{_span(low, high, fmt)}）内です")
        if high is not None:
            return _check(rule, PASS, f"{label} {shown}: 上限 {fmt(high)}以内です")
        return _check(rule, PASS, f"{label} {shown}: 下限 {fmt(low or 0)}以上です")
    if high is not None and lo > high:
        over = _span(lo - high, hi - high, fmt)
        message = f"{label} {shown}: 上限 {fmt(high)}を {over}超えています"
        if near(lo - high, high):
            return _check(rule, NEAR, message, f"{label}が上限を {over}超えています")
        return _check(rule, FAIL, message, f"{label}が上限を超えています")
    if low is not None and hi < low:
        short = _span(low - hi, low - lo, fmt)
        message = f"{label} {shown}: 下限 {fmt(low)}を {short}下回っています"
        if near(low - hi, low):
            return _check(rule, NEAR, message, f"{label}が下限に {short}足りません")
        return _check(rule, FAIL, message, f"{label}が下限に達していません")
    return None


def _within_ratio(miss: int, bound: int) -> bool:
    return 0 < miss and miss * NEAR_RATIO <= bound


def _within_years(miss: int, bound: int) -> bool:
    return 0 < miss <= NEAR_YEARS


def _figure_check(
    rule: str, bounds: Mapping[str, int | None], value: int | None, fmt: Callable[[int], str]
) -> tuple[Check, list[str]]:
    if value is None:
        name = FIELD_LABELS[rule]
        return _check(rule, UNKNOWN, f"{name}が未登録のため判定できません", f"{name}が未登録"), [name]
    result = _range_outcome(rule, bounds, value, value, fmt, _within_ratio)
    assert result is not None  # a single value never straddles a bound
    return result, []


def full_years(since: dt.date, today: dt.date) -> int:
    """Completed years from ``since`` to ``today`` (0 when ``since`` is after ``today``)."""
    years = today.year - since.year - ((today.month, today.day) < (since.month, since.day))
    return max(years, 0)


def _age_check(
    bounds: Mapping[str, int | None], profile: CompanyProfile, today: dt.date
) -> tuple[Check, list[str]]:
    founded = FIELD_LABELS["founded_on"]
    span = profile.founded_range()
    if span is None:
        return _unknown("company_age_years", f"{founded}が未登録のため判定できません", [founded])
    earliest, latest = span
    lo, hi = full_years(min(latest, today), today), full_years(earliest, today)
    result = _range_outcome("company_age_years", bounds, lo, hi, _years, _within_years)
    if result is not None:
        return result, []
    label = CHECK_LABELS["company_age_years"]
    given = "設立年" if profile.founded_precision == "year" else "設立年月"
    limits = "・".join(
        f"{word} {_years(value)}"
        for word, value in (("下限", bounds.get("min")), ("上限", bounds.get("max")))
        if value is not None
    )
    message = f"{label} {_span(lo, hi, _years)}: {given}だけでは判定できません（{limits}）。{founded}を入力してください"
    return _check("company_age_years", UNKNOWN, message, f"{founded}（日付まで）が未登録"), [founded]


# --- size class ----------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4096)
def _derive_size(profile: CompanyProfile, ref: Reference) -> tuple[str | None, tuple[str, ...]]:
    """(size class, missing labels) from industry, capital and employees (cached: a page evaluates one
    company against many programs)."""
    code = profile.jsic_code
    if not code:
        return None, (FIELD_LABELS["jsic_code"],)
    groups = ref.size_groups(code)
    if not groups:
        return None, (FIELD_LABELS["jsic_code"],)
    classes = {
        classify_size(
            jsic_code=detail,
            major_code=ref.major_of(detail),
            capital=profile.capital,
            employees=profile.employees,
        ).size_class
        for _, detail in groups
    }
    if SizeClass.UNKNOWN in classes:
        missing = tuple(FIELD_LABELS[k] for k in ("employees", "capital") if getattr(profile, k) is None)
        return None, missing or (FIELD_LABELS["jsic_code"],)
    if len(classes) > 1:
        return None, ("業種（細分類）",)
    return str(classes.pop()), ()


def _size_near(accepted: list[str], size: str, profile: CompanyProfile, ref: Reference) -> str | None:
    """Why a company outside ``accepted`` is nearly inside, or None (see the module docstring)."""
    if not profile.jsic_code:
        return None
    groups = ref.size_groups(profile.jsic_code)
    if len(groups) != 1:
        return None
    sector, detail = groups[0]
    limits = LIMITS[sector]
    small_limit = 20 if detail.startswith(SMALL_20_PREFIXES) else limits.small_employees
    options: list[tuple[float, str]] = []

    def consider(name: str, value: int | None, limit: int, fmt: Callable[[int], str], target: str) -> None:
        if value is not None and _within_ratio(value - limit, limit):
            text = f"{name} {fmt(value)}が{SIZE_LABELS[target]}の上限 {fmt(limit)}を {fmt(value - limit)}超えています"
            options.append(((value - limit) / limit, text))

    if size == SizeClass.LARGE and SizeClass.SME in accepted:
        consider("従業員数", profile.employees, limits.employees, _people, SizeClass.SME)
        consider("資本金", profile.capital, limits.capital, format_yen, SizeClass.SME)
    elif size in (SizeClass.SME, SizeClass.LARGE) and SizeClass.SMALL in accepted:
        consider("従業員数", profile.employees, small_limit, _people, SizeClass.SMALL)
    return min(options)[1] if options else None


def _size_check(accepted: list[str], profile: CompanyProfile, ref: Reference) -> tuple[Check, list[str]]:
    rule = "size_classes"
    size = profile.size_class
    if size is None:
        size, missing = _derive_size(profile, ref)
        if size is None:
            what = "・".join(missing)
            message = f"企業規模を判定できません（{what}が未登録です）"
            return _check(rule, UNKNOWN, message, f"{what}が未登録"), list(missing)
    targets = "・".join(SIZE_LABELS[c] for c in accepted)
    name = SIZE_LABELS[size]
    if size in accepted or (size == SizeClass.SMALL and SizeClass.SME in accepted):
        return _check(rule, PASS, f"企業規模 {name}: 対象（{targets}）に含まれます"), []
    near = _size_near(accepted, size, profile, ref)
    if near:
        return _check(rule, NEAR, f"企業規模 {name}: 対象は {targets} です（{near}）", near), []
    return _check(rule, FAIL, f"企業規模 {name}: 対象は {targets} です", "企業規模が対象外です"), []


# --- industry, location, stage -------------------------------------------------------------------------------
def _covers(rule_code: str, code: str, major: str | None) -> bool:
    if rule_code.isalpha():
        return rule_code == major
    return code.isdigit() and code.startswith(rule_code)


def _might_cover(rule_code: str, code: str, ref: Reference) -> bool:
    """Could a company registered with the coarse ``code`` fall under ``rule_code``?"""
    if rule_code.isalpha():
        return False
    if code.isalpha():
        return ref.major_of(rule_code) == code
    return len(rule_code) > len(code) and rule_code.startswith(code)


def _jsic_check(codes: list[str], profile: CompanyProfile, ref: Reference) -> tuple[Check, list[str]]:
    rule = "jsic"
    code = profile.jsic_code
    if not code:
        return _unknown(rule, "業種が未登録のため判定できません", [FIELD_LABELS["jsic_code"]])
    shown = ref.industry_label(code)
    major = ref.major_of(code)
    matched = [r for r in codes if _covers(r, code, major)]
    if matched:
        best = max(matched, key=len)
        return _check(
            rule, PASS, f"業種 {shown}: 対象の業種（{ref.industry_name(best) or best}）に含まれます"
        ), []
    possible = [r for r in codes if _might_cover(r, code, ref)]
    if possible:
        names = _join([ref.industry_label(r) for r in possible], noun="分類", quote=True)
        message = f"業種 {shown}: 対象の業種（{names}）に当たるか判定できません。より細かい分類（細分類）を登録してください"
        return _check(rule, UNKNOWN, message, "業種（細分類）が未登録"), ["業種（細分類）"]
    names = _join([ref.industry_name(r) or r for r in codes], noun="分類", quote=True)
    return _check(rule, FAIL, f"業種 {shown}: 対象の業種（{names}）に含まれません", "業種が対象外です"), []


def _location_check(
    prefectures: list[str], municipalities: list[str], profile: CompanyProfile, ref: Reference
) -> tuple[Check, list[str]]:
    rule = "location"
    pref, muni = profile.prefecture_code, profile.municipality_code
    if muni:
        where = ref.municipality_label(muni)
        if where == muni and pref:
            where = ref.prefecture_name(pref)
    else:
        where = ref.prefecture_name(pref) if pref else ""
    targets = _join(
        [ref.prefecture_name(p) for p in prefectures] + [ref.municipality_label(m) for m in municipalities],
        noun="地域",
    )
    if pref and pref in prefectures:
        return _check(rule, PASS, f"所在地 {where}: 対象地域（{ref.prefecture_name(pref)}）内です"), []
    if muni and muni in municipalities:
        return _check(rule, PASS, f"所在地 {where}: 対象地域（{ref.municipality_label(muni)}）内です"), []
    if not pref:
        label = FIELD_LABELS["prefecture_code"]
        return _unknown(rule, f"{label}が未登録のため判定できません（対象は {targets}）", [label])
    if not muni and any(m[:2] == pref for m in municipalities):
        label = FIELD_LABELS["municipality_code"]
        return _unknown(
            rule, f"所在地 {where}: 市区町村が未登録のため判定できません（対象は {targets}）", [label]
        )
    return _check(rule, FAIL, f"所在地 {where}: 対象は {targets} です", "所在地が対象地域外です"), []


def _stage_check(stages: list[str], profile: CompanyProfile) -> tuple[Check, list[str]]:
    rule = "stages"
    targets = "・".join(stages)
    if not profile.stage:
        label = FIELD_LABELS["stage"]
        return _unknown(rule, f"{label}が未登録のため判定できません（対象は {targets}）", [label])
    if profile.stage in stages:
        return _check(rule, PASS, f"事業段階 {profile.stage}: 対象（{targets}）に含まれます"), []
    return _check(rule, FAIL, f"事業段階 {profile.stage}: 対象は {targets} です", "事業段階が対象外です"), []


# --- summary -------------------------------------------------------------------------------------------------
def explain(verdict: Verdict) -> str:
    """One line: 「対象」, 「対象外（従業員数が上限を超えています）」, 「あと少しで対象（…）」,
    「判定に必要な情報が不足（従業員数・資本金）」."""
    if verdict.status == ELIGIBLE:
        return STATUS_LABELS[ELIGIBLE]
    if verdict.status == UNKNOWN and verdict.missing:
        return f"{STATUS_LABELS[UNKNOWN]}（{'・'.join(verdict.missing)}）"
    wanted = {NOT_ELIGIBLE: FAIL, NEAR_MISS: NEAR, UNKNOWN: UNKNOWN}[verdict.status]
    reasons = [c.reason or c.message for c in verdict.checks if c.outcome == wanted]
    if verdict.status == UNKNOWN:
        return f"判定できません（{'、'.join(reasons)}）" if reasons else "判定できません"
    return f"{STATUS_LABELS[verdict.status]}（{'、'.join(reasons)}）"
