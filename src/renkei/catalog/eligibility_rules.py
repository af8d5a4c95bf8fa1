"""The ``renkei-eligibility/1`` rule schema: validation (path-specific Japanese errors) and normalization.

See ``renkei.catalog.eligibility`` for the schema and its semantics. ``validate_rules`` never raises, whatever
JSON it is given; ``normalize_rules`` validates first (raising ``ValidationFailed``) and returns the canonical
form stored on ``SupportProgram.eligibility``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from renkei.companies.choices import SizeClass
from renkei.core.errors import FieldError, ValidationFailed
from renkei.core.text import nfkc

SCHEMA = "renkei-eligibility/1"
ROOT = "eligibility"

# Company business stages a program may target, in the order a project goes through them.
STAGES: tuple[str, ...] = ("研究開発", "試作", "事業化", "販路開拓")

# Size classes a rule may name (a company whose size is 判定不能 is "unknown", never a target).
SIZE_CLASSES: tuple[str, ...] = (SizeClass.SMALL.value, SizeClass.SME.value, SizeClass.LARGE.value)
SIZE_LABELS: dict[str, str] = {c.value: c.label for c in SizeClass}
SIZE_ALIASES: dict[str, str] = {
    **{c: c for c in SIZE_CLASSES},
    **{SIZE_LABELS[c]: c for c in SIZE_CLASSES},
    "小規模企業": SizeClass.SMALL.value,
    "小規模事業者": SizeClass.SMALL.value,
    "中小企業": SizeClass.SME.value,
}

MAX_EMPLOYEES = 10_000_000
MAX_CAPITAL = 10**15  # 1,000兆円
MAX_AGE_YEARS = 1_000


class _Range:
    def __init__(self, label: str, unit: str, maximum: int) -> None:
        self.label, self.unit, self.maximum = label, unit, maximum


RANGES: dict[str, _Range] = {
    "employees": _Range("従業員数", "人", MAX_EMPLOYEES),
    "capital": _Range("資本金", "円", MAX_CAPITAL),
    "company_age_years": _Range("設立からの年数", "年", MAX_AGE_YEARS),
}
LISTS: dict[str, str] = {
    "size_classes": "企業規模",
    "jsic": "業種",
    "prefectures": "都道府県",
    "municipalities": "市区町村",
    "stages": "事業段階",
}
# The stable order of rule keys (and of a verdict's checks).
RULE_KEYS: tuple[str, ...] = (
    "size_classes",
    "employees",
    "capital",
    "company_age_years",
    "jsic",
    "prefectures",
    "municipalities",
    "stages",
)

_JSIC_RE = re.compile(r"^(?:[A-T]|\d{2,4})$")
_PREF_RE = re.compile(r"^\d{1,2}$")
_MUNI_RE = re.compile(r"^\d{5,6}$")
_MAX_LIST = 5_000  # more codes than JSIC has 細分類 is a mistake


class KnownCodes(Protocol):
    """What ``validate_rules(..., known_codes=)`` needs; ``Reference`` is one."""

    prefectures: Mapping[str, Any]
    municipalities: Mapping[str, Any]
    industries: Mapping[str, Any]


def municipality_check_digit(code5: str) -> str:
    """全国地方公共団体コード: the 6th digit of a 5-digit code (weights 6…2, modulus 11)."""
    total = sum(int(d) * w for d, w in zip(code5, (6, 5, 4, 3, 2), strict=True))
    return str((11 - total % 11) % 10)


def _show(value: Any) -> str:
    """A short rendering of a JSON value for an error message (never the whole of a large value)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        text = str(value) if abs(value) < 10**30 else "（非常に大きな数）"
        return text
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        text = value[:30] + ("…" if len(value) > 30 else "")
        return f"「{text}」"
    if isinstance(value, list | tuple):
        return "配列"
    if isinstance(value, Mapping):
        return "オブジェクト"
    return type(value).__name__


def _quoted(value: Any) -> str:
    """「unknown」, 「3」, 「null」: a value quoted inside a sentence."""
    shown = _show(value)
    return shown if shown.startswith("「") else f"「{shown}」"


def _code_text(value: Any) -> str | None:
    """A code as text after NFKC (full-width digits welcome); ``None`` when it is not a string."""
    if not isinstance(value, str):
        return None
    return nfkc(value).upper()


def validate_rules(rules: Any, *, known_codes: KnownCodes | None = None) -> list[FieldError]:
    """All errors of ``rules`` (``[]`` when valid). ``None`` and ``{}`` are valid: no constraint.

    Codes are checked for their format; with ``known_codes`` (e.g. ``get_reference()``) also for existence.
    """
    errors: list[FieldError] = []

    def err(path: str, message: str) -> None:
        errors.append(FieldError(f"{ROOT}.{path}" if path else ROOT, message))

    if rules is None:
        return errors
    if not isinstance(rules, Mapping):
        err(
            "",
            f'対象要件は JSON オブジェクト（{{"employees": {{"max": 300}}}} など）で指定してください（入力: {_show(rules)}）。',
        )
        return errors
    for key, value in rules.items():
        if key not in RULE_KEYS:
            name = _quoted(str(key))
            err(
                str(key)[:40],
                f"{name}は対象要件の項目ではありません（使える項目: {', '.join(RULE_KEYS)}）。",
            )
        elif key in RANGES:
            _validate_range(key, value, err)
        else:
            _validate_list(key, value, err, known_codes)
    return errors


def _validate_range(key: str, value: Any, err) -> None:
    spec = RANGES[key]
    if value is None:
        return
    if not isinstance(value, Mapping):
        err(
            key,
            f'{spec.label}は {{"min": 下限, "max": 上限}} の形式で指定してください（入力: {_show(value)}）。',
        )
        return
    bounds: dict[str, int] = {}
    for bound, value_ in value.items():
        if bound not in ("min", "max"):
            err(
                f"{key}.{str(bound)[:40]}",
                f"{spec.label}に指定できるのは min（下限）と max（上限）だけです。",
            )
            continue
        word = "下限" if bound == "min" else "上限"
        if value_ is None:
            continue
        if isinstance(value_, bool) or not isinstance(value_, int) or value_ < 0:
            err(
                f"{key}.{bound}",
                f"{spec.label}の{word}は0以上の整数で入力してください（入力: {_show(value_)}）。",
            )
        elif value_ > spec.maximum:
            err(
                f"{key}.{bound}",
                f"{spec.label}の{word}が大きすぎます（{spec.maximum:,} {spec.unit}以下で入力してください）。",
            )
        else:
            bounds[bound] = value_
    if "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        err(
            f"{key}.min",
            f"{spec.label}の下限（{bounds['min']:,} {spec.unit}）が上限（{bounds['max']:,} {spec.unit}）を超えています。",
        )


def _validate_list(key: str, value: Any, err, known: KnownCodes | None) -> None:
    label = LISTS[key]
    if value is None:
        return
    if not isinstance(value, list | tuple):
        err(key, f'{label}は配列（["…", "…"]）で指定してください（入力: {_show(value)}）。')
        return
    if len(value) > _MAX_LIST:
        err(key, f"{label}は {_MAX_LIST:,} 件以内で指定してください（{len(value):,} 件あります）。")
        return
    check = _ITEM_CHECKS[key]
    for i, item in enumerate(value):
        message = check(item, known)
        if message:
            err(f"{key}.{i}", message)


def _check_size(item: Any, known: KnownCodes | None) -> str | None:
    if isinstance(item, str) and nfkc(item) in SIZE_ALIASES:
        return None
    allowed = "、".join(f"{c}（{SIZE_LABELS[c]}）" for c in SIZE_CLASSES)
    return f"企業規模{_quoted(item)}は指定できません（指定できる値: {allowed}）。"


def _check_jsic(item: Any, known: KnownCodes | None) -> str | None:
    code = _code_text(item)
    if code is None:
        return f"業種コードは文字列で指定してください（入力: {_show(item)}）。"
    if not _JSIC_RE.match(code):
        return (
            f"業種コード{_quoted(item)}の形式が正しくありません"
            "（日本標準産業分類の大分類 A〜T、中分類 2桁、小分類 3桁、細分類 4桁のいずれか）。"
        )
    if known is not None and code not in known.industries:
        return f"業種コード「{code}」は日本標準産業分類（第14回改定）にありません。"
    return None


def _check_prefecture(item: Any, known: KnownCodes | None) -> str | None:
    code = normalize_prefecture(item)
    if code is None:
        return f'都道府県コード{_quoted(item)}は 01〜47 の2桁の数字で指定してください（例: 千葉県は "12"）。'
    if known is not None and code not in known.prefectures:
        return f"都道府県コード「{code}」はありません。"
    return None


def _check_municipality(item: Any, known: KnownCodes | None) -> str | None:
    text = _code_text(item)
    if text is None or not _MUNI_RE.match(text):
        return (
            f"市区町村コード{_quoted(item)}は全国地方公共団体コード（6桁、または検査数字を除く5桁）で"
            '指定してください（例: 市川市は "122033"）。'
        )
    code = normalize_municipality(text)
    if code is None:
        return f"市区町村コード「{text}」の検査数字（6桁目）が正しくありません。"
    if not 1 <= int(code[:2]) <= 47:
        return f"市区町村コード「{text}」の先頭2桁が都道府県コード（01〜47）ではありません。"
    if known is not None and code not in known.municipalities:
        return f"市区町村コード「{code}」は全国地方公共団体コードにありません。"
    return None


def _check_stage(item: Any, known: KnownCodes | None) -> str | None:
    if isinstance(item, str) and nfkc(item) in STAGES:
        return None
    return f"事業段階{_quoted(item)}は指定できません（指定できる値: {'、'.join(STAGES)}）。"


_ITEM_CHECKS = {
    "size_classes": _check_size,
    "jsic": _check_jsic,
    "prefectures": _check_prefecture,
    "municipalities": _check_municipality,
    "stages": _check_stage,
}


def normalize_prefecture(value: Any) -> str | None:
    """A prefecture code in canonical form: "12", "１２", 12 → "12"; "1" → "01"; anything else → None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return f"{value:02d}" if 1 <= value <= 47 else None
    text = _code_text(value)
    if text is None or not _PREF_RE.match(text) or not 1 <= int(text) <= 47:
        return None
    return f"{int(text):02d}"


def normalize_municipality(value: Any) -> str | None:
    """A 6-digit municipality code: "12203" → "122033" (check digit added); a wrong check digit → None."""
    text = _code_text(value)
    if text is None or not _MUNI_RE.match(text):
        return None
    if len(text) == 5:
        return text + municipality_check_digit(text)
    return text if municipality_check_digit(text[:5]) == text[5] else None


def normalize_rules(rules: Any) -> dict[str, Any]:
    """The canonical form of valid ``rules``; raises ``ValidationFailed`` (with paths) when they are not.

    Empty constraints are dropped; codes are NFKC'd, zero-padded (都道府県) and completed with their check digit
    (市区町村, 5 → 6 digits); lists are de-duplicated and sorted (stages and size classes in their natural order);
    a JSIC code inside another listed code and a municipality inside a listed prefecture are dropped as redundant.
    Ranges keep both keys: ``{"min": None, "max": 300}``. Idempotent.
    """
    errors = validate_rules(rules)
    if errors:
        raise ValidationFailed.from_errors(errors)
    out: dict[str, Any] = {}
    if not rules:
        return out
    for key in RULE_KEYS:
        value = rules.get(key)
        if value is None:
            continue
        if key in RANGES:
            low, high = value.get("min"), value.get("max")
            if low is not None or high is not None:
                out[key] = {"min": low, "max": high}
            continue
        items = _normalize_list(key, value, out)
        if items:
            out[key] = items
    return out


def _normalize_list(key: str, value: list, so_far: dict[str, Any]) -> list[str]:
    if key == "size_classes":
        chosen = {SIZE_ALIASES[nfkc(v)] for v in value}
        return [c for c in SIZE_CLASSES if c in chosen]
    if key == "stages":
        chosen = {nfkc(v) for v in value}
        return [s for s in STAGES if s in chosen]
    if key == "prefectures":
        return sorted({normalize_prefecture(v) for v in value} - {None})  # type: ignore[type-var]
    if key == "municipalities":
        codes = {normalize_municipality(v) for v in value} - {None}
        prefectures = set(so_far.get("prefectures", ()))
        return sorted(c for c in codes if c and c[:2] not in prefectures)
    codes = {c for c in (_code_text(v) for v in value) if c}
    digits = {c for c in codes if c.isdigit()}
    return sorted(c for c in codes if not any(c != p and c.startswith(p) for p in digits))


def rule_is_empty(rules: Any) -> bool:
    """True when ``rules`` constrain nothing (``None``, ``{}``, or only empty constraints)."""
    if not rules:
        return True
    try:
        return not normalize_rules(rules)
    except ValidationFailed:
        return False
