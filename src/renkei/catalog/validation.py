"""Validation of catalog items, shared by the services, the importers and (later) the forms and the API.

``clean(kind, raw)`` takes loosely typed input (a form's strings, an Excel cell, full-width digits, 「1,500万円」,
「令和7年度」, 「2/3以内」) and returns cleaned values keyed by model field, or Japanese FieldErrors. Relations
(organization, researcher, equipment) are resolved by the caller: a service by id, an importer by name.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models

from renkei.companies.validation import control_characters, parse_bool, parse_date
from renkei.core.errors import FieldError
from renkei.core.text import nfkc, squash_spaces
from renkei.core.wareki import ERAS, fiscal_year

from .choices import (
    KIND_EQUIPMENT,
    KIND_PROGRAMS,
    KIND_RESEARCHERS,
    KIND_SEEDS,
    KIND_TEST_SERVICES,
    PURPOSES,
    EquipmentCategory,
    IpStatus,
    ProgramKind,
    SeedStage,
)

LONG_TEXT_MAX = 20_000
LIST_ITEMS_MAX = 100
LIST_ITEM_MAX = 100
MAX_YEN = 10**15


@dataclass(frozen=True)
class Spec:
    """One field a person may set: its key (the model field), Japanese label, type and limits."""

    key: str
    label: str
    type: str = "text"  # text, longtext, list, bool, int, yen, date, choice, url, year, json, digits8
    max_length: int | None = None
    required: bool = False
    choices: type[models.TextChoices] | None = None
    vocabulary: tuple[str, ...] = ()
    maximum: int = 10**15  # the column's range (a 32-bit column holds at most INT32_MAX)


INT32_MAX = 2_147_483_647
RATE_TERM_MAX = 1_000  # a rate is a simple fraction (2/3, 9/20); 「2147483648/2147483649」 is not one

_COMMON = (
    Spec("is_public", "公開", "bool"),
    Spec("external_id", "出典での番号", "text", 100),
)

FIELDS: dict[str, tuple[Spec, ...]] = {
    KIND_RESEARCHERS: (
        Spec("name", "氏名", "text", 100, required=True),
        Spec("kana", "よみがな", "text", 100),
        Spec("affiliation", "所属", "text", 300),
        Spec("fields", "研究分野", "list"),
        Spec("researchmap_id", "researchmap ID", "text", 100),
        Spec("kaken_researcher_number", "科研費研究者番号", "digits8"),
        *_COMMON,
    ),
    KIND_SEEDS: (
        Spec("title", "研究テーマ", "text", 300, required=True),
        Spec("summary", "概要", "longtext"),
        Spec("keywords", "キーワード", "list"),
        Spec("fields", "研究分野", "list"),
        Spec("institution_name", "研究機関名", "text", 200),
        Spec("ip_status", "知的財産", "choice", choices=IpStatus),
        Spec("stage", "研究段階", "choice", choices=SeedStage),
        Spec("contact_route", "問い合わせ方法", "text", 300),
        Spec("url", "URL", "url", 500),
        *_COMMON,
    ),
    KIND_EQUIPMENT: (
        Spec("name", "機器名", "text", 200, required=True),
        Spec("maker", "メーカー", "text", 200),
        Spec("model_number", "型式", "text", 200),
        Spec("category", "分類", "choice", choices=EquipmentCategory),
        Spec("specifications", "仕様", "longtext"),
        Spec("location", "設置場所", "text", 200),
        Spec("external_use", "外部利用可", "bool"),
        Spec("fee_summary", "利用料金", "text", 300),
        *_COMMON,
    ),
    KIND_TEST_SERVICES: (
        Spec("name", "試験項目", "text", 200, required=True),
        Spec("method", "試験方法", "text", 300),
        Spec("standard", "規格番号", "text", 100),
        Spec("unit", "単位", "text", 60),
        Spec("fee_yen", "手数料", "yen", maximum=INT32_MAX),
        Spec("fee_note", "料金の備考", "text", 300),
        *_COMMON,
    ),
    KIND_PROGRAMS: (
        Spec("title", "名称", "text", 300, required=True),
        Spec("provider_name", "実施機関名", "text", 200),
        Spec("kind", "種類", "choice", choices=ProgramKind),
        Spec("purposes", "目的", "list", vocabulary=PURPOSES),
        Spec("fields", "分野", "list"),
        Spec("summary", "概要", "longtext"),
        Spec("catch_phrase", "キャッチフレーズ", "text", 300),
        Spec("eligibility", "対象者の条件", "json"),
        Spec("eligibility_text", "対象者（原文）", "longtext"),
        Spec("rate_text", "補助率", "text", 500),
        Spec("rate_numerator", "補助率（分子）", "int", maximum=RATE_TERM_MAX),
        Spec("rate_denominator", "補助率（分母）", "int", maximum=RATE_TERM_MAX),
        Spec("cap_yen", "上限額", "yen"),
        Spec("opens_on", "受付開始日", "date"),
        Spec("closes_on", "受付締切日", "date"),
        Spec("fiscal_year", "年度", "year"),
        Spec("url", "URL", "url", 500),
        Spec("first_seen", "初回掲載日", "date"),
        Spec("last_updated", "最終更新日", "date"),
        *_COMMON,
    ),
}
SPECS: dict[str, dict[str, Spec]] = {kind: {s.key: s for s in specs} for kind, specs in FIELDS.items()}
LABELS: dict[str, dict[str, str]] = {kind: {s.key: s.label for s in specs} for kind, specs in FIELDS.items()}


@dataclass
class Cleaned:
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[FieldError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], ())


def clean(kind: str, raw: dict[str, Any], *, partial: bool = False) -> Cleaned:
    """Clean ``raw`` (keys are model fields of ``kind``). ``partial``: an update, only the keys given."""
    specs = SPECS[kind]
    out = Cleaned()
    for key, value in raw.items():
        spec = specs.get(key)
        if spec is None:
            out.errors.append(FieldError(key, f"「{key}」という項目はありません。"))
            continue
        if spec.required and is_blank(value):
            out.errors.append(FieldError(key, f"{spec.label}を入力してください。"))
            continue
        try:
            out.values[key] = clean_value(spec, value)
        except ValueError as exc:
            out.errors.append(FieldError(key, str(exc)))
    if not partial:
        for spec in specs.values():
            if spec.required and spec.key not in raw:
                out.errors.append(FieldError(spec.key, f"{spec.label}を入力してください。"))
    if kind == KIND_PROGRAMS:
        _program_rules(out, raw)
    return out


def clean_value(spec: Spec, value: Any) -> Any:  # noqa: C901, PLR0911, PLR0912 - one branch per type
    """The cleaned value, or ValueError with the Japanese message."""
    label = spec.label
    if spec.type in ("text", "url", "digits8"):
        text = "" if value is None else squash_spaces(str(value))
        _check_text(label, text, spec.max_length)
        if spec.type == "url" and text and not _URL_RE.match(text):
            raise ValueError(f"{label}は http:// または https:// から始まる形式で入力してください。")
        if spec.type == "digits8" and text and not re.fullmatch(r"[0-9]{8}", text):
            raise ValueError(f"{label}は数字8桁で入力してください（例: 80391267）。")
        return text
    if spec.type == "longtext":
        text = "" if value is None else nfkc(str(value)).replace("\r\n", "\n").replace("\r", "\n")
        _check_text(label, text, spec.max_length or LONG_TEXT_MAX)
        return text
    if spec.type == "list":
        return clean_list(label, value, spec.vocabulary)
    if spec.type == "bool":
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ValueError(f"{label}は「はい」か「いいえ」で入力してください。")
        try:
            return parse_bool(value)
        except ValueError:
            raise ValueError(f"{label}は「はい」か「いいえ」で入力してください。") from None
    if spec.type in ("int", "yen"):
        if is_blank(value):
            return None
        number = parse_yen(value) if spec.type == "yen" else _parse_count(value)
        if number is None:
            example = "（例: 2,500 や 1,500万円）" if spec.type == "yen" else "（例: 3）"
            raise ValueError(f"{label}は数字で入力してください{example}。入力: {nfkc(str(value))[:30]}")
        if number < 0:
            raise ValueError(f"{label}に負の数は入力できません。")
        if number > min(MAX_YEN, spec.maximum):
            shown = f"{min(MAX_YEN, spec.maximum):,}"
            raise ValueError(f"{label}が大きすぎます（{shown} まで）。")
        return number
    if spec.type == "date":
        if is_blank(value):
            return None
        try:
            return parse_date(value)
        except (ValueError, TypeError):
            raise ValueError(
                f"{label}は日付（例: 2025-04-01、2025/4/1、令和7年4月1日）で入力してください。"
                f"入力: {nfkc(str(value))[:30]}"
            ) from None
    if spec.type == "choice":
        if is_blank(value):
            return ""
        chosen = choice_value(spec.choices, value)
        if chosen is None:
            allowed = "、".join(label for _, label in spec.choices.choices)
            raise ValueError(
                f"{label}は {allowed} のいずれかで入力してください（入力: {nfkc(str(value))[:20]}）。"
            )
        return chosen
    if spec.type == "year":
        if is_blank(value):
            return None
        year = parse_fiscal_year(value)
        if year is None:
            raise ValueError(f"{label}は西暦または和暦の年度で入力してください（例: 2025、令和7年度）。")
        return year
    if spec.type == "json":
        if value is None or value == "":
            return {}
        if not isinstance(value, dict):
            raise ValueError(f"{label}は条件の一覧（JSON のオブジェクト）で指定してください。")
        return value
    raise AssertionError(spec.type)


_URL_RE = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)


def _check_text(label: str, text: str, max_length: int | None) -> None:
    if control_characters(text):
        raise ValueError(f"{label}に使用できない制御文字が含まれています。")
    if max_length and len(text) > max_length:
        raise ValueError(f"{label}は{max_length:,}文字以内で入力してください（現在 {len(text):,} 文字）。")


_LIST_SPLIT = re.compile(r"\s*(?:[、,;\n]|\s/\s)\s*")


def clean_list(label: str, value: Any, vocabulary: tuple[str, ...] = ()) -> list[str]:
    """A list of short strings: a JSON list, or text separated by 、 , ; line breaks or " / "."""
    if is_blank(value):
        return []
    if isinstance(value, str):
        items: Iterable[Any] = _LIST_SPLIT.split(nfkc(value))
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        raise ValueError(f"{label}は「、」区切りの文字か一覧で入力してください。")
    out: list[str] = []
    for item in items:
        if not isinstance(item, (str, int)) or isinstance(item, bool):
            raise ValueError(f"{label}の各項目は文字で入力してください。")
        text = squash_spaces(str(item))
        if not text or text in out:
            continue
        _check_text(label, text, LIST_ITEM_MAX)
        out.append(text)
    if len(out) > LIST_ITEMS_MAX:
        raise ValueError(f"{label}は{LIST_ITEMS_MAX}個までです（{len(out)}個あります）。")
    if vocabulary:
        unknown = [x for x in out if x not in vocabulary]
        if unknown:
            raise ValueError(
                f"{label}「{'、'.join(unknown)}」は使えません。{'、'.join(vocabulary)} から選んでください。"
            )
    return out


def choice_value(choices: type[models.TextChoices] | None, value: Any) -> str | None:
    """The value of ``choices`` named by its value or its label (or the label's part before 「（」)."""
    if choices is None:
        return None
    text = nfkc(str(value)).lower()
    for key, label in choices.choices:
        if text in (key, nfkc(label).lower(), nfkc(label).split("(")[0].lower()):
            return key
    return None


def _parse_count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = nfkc(str(value)).replace(",", "").replace(" ", "")
    return int(text) if re.fullmatch(r"-?\d+", text) else None


_YEN_RE = re.compile(r"^(?:(\d+(?:\.\d+)?)億)?(?:(\d+(?:\.\d+)?)万)?(?:(\d+(?:\.\d+)?)千)?(\d+)?円?$")


def parse_yen(value: Any) -> int | None:
    """2,500 / ２５００円 / 1,500万円 / 1億2,000万円 / 500千円 → yen; None if it is not an amount."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() and math.isfinite(value) else None
    text = nfkc(str(value)).replace(",", "").replace(" ", "").removeprefix("¥").removeprefix("\\")
    text = text.removeprefix("最大").removeprefix("上限")
    if re.fullmatch(r"-\d+円?", text):
        return int(text.removesuffix("円"))
    m = _YEN_RE.match(text)
    if not text or m is None or not any(m.groups()):
        return None
    oku, man, sen, rest = m.groups()
    total = 0.0
    for part, unit in ((oku, 100_000_000), (man, 10_000), (sen, 1_000)):
        if part:
            total += float(part) * unit
    if rest:
        total += int(rest)
    return round(total) if total == round(total) else None


_ERA_YEAR_RE = re.compile(r"^(令和|平成|昭和|R|H|S)(元|\d{1,2})年?度?$")
_ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和"}


def parse_fiscal_year(value: Any) -> int | None:
    """2025 / 2025年度 / 令和7年度 / R7 → 2025 (the Western year in which the 年度 starts)."""
    if isinstance(value, int) and not isinstance(value, bool):
        year = value
    elif isinstance(value, float) and value.is_integer():
        year = int(value)
    else:
        text = nfkc(str(value)).replace(" ", "").upper()
        if m := _ERA_YEAR_RE.match(text):
            start = dict(ERAS)[_ERA_LETTERS.get(m.group(1), m.group(1))]
            n = 1 if m.group(2) == "元" else int(m.group(2))
            year = start.year + n - 1
        elif m := re.fullmatch(r"(\d{4})(?:年度?)?", text):
            year = int(m.group(1))
        else:
            return None
    return year if 1900 <= year <= 2200 else None


# ---- Rates (補助率) -------------------------------------------------------------------------------------------

_FRACTION_RE = re.compile(r"(\d+)\s*/\s*(\d+)")
_BUNNO_RE = re.compile(r"(\d+)\s*分\s*の\s*(\d+)")
_PERCENT_RE = re.compile(r"(\d+(?:\.\d+)?)\s*%")


def parse_rate(text: Any) -> tuple[int, int] | None:
    """The rate as (numerator, denominator) in lowest terms when ``text`` states exactly one simple fraction.

    「2/3以内」「補助対象経費の３／４」「３分の１」→ that fraction; 「100%」「10/10」→ (1, 1); 「50%」→ (1, 2).
    Two different rates (「1/2又は2/3」「中小企業1/2、大企業1/3」), ranges, 定額 and prose give None.
    """
    t = nfkc("" if text is None else str(text))
    if not t:
        return None
    found = {(int(n), int(d)) for n, d in _FRACTION_RE.findall(t)}
    found |= {(int(n), int(d)) for d, n in _BUNNO_RE.findall(t)}
    percents = {float(p) for p in _PERCENT_RE.findall(t)}
    if any(not (0 < n <= d <= RATE_TERM_MAX) for n, d in found):
        return None  # 「10/9」「0/3」「2026/4/1」 and huge terms are not rates
    reduced = {_reduce(n, d) for n, d in found}
    if percents:
        if found or len(percents) != 1:
            return None
        (p,) = percents
        if not (0 < p <= 100) or not p.is_integer():
            return None
        return _reduce(int(p), 100)
    return next(iter(reduced)) if len(reduced) == 1 else None


def _reduce(n: int, d: int) -> tuple[int, int]:
    g = math.gcd(n, d)
    return n // g, d // g


def _program_rules(out: Cleaned, raw: dict[str, Any]) -> None:
    """Cross-field rules of a program: the rate pair (parsed from the text unless given) and the window."""
    v = out.values
    if "rate_text" in v and "rate_numerator" not in raw and "rate_denominator" not in raw:
        pair = parse_rate(v["rate_text"])
        v["rate_numerator"], v["rate_denominator"] = pair if pair else (None, None)
    if "rate_numerator" in v or "rate_denominator" in v:
        n, d = v.get("rate_numerator"), v.get("rate_denominator")
        if (n is None) != (d is None):
            out.errors.append(
                FieldError("rate_denominator", "補助率は分子と分母の両方を入力してください（例: 2 と 3）。")
            )
        elif d is not None and (d == 0 or n > d or n == 0):
            out.errors.append(
                FieldError(
                    "rate_numerator",
                    f"補助率 {n}/{d} は正しくありません。0より大きく1以下の分数にしてください。",
                )
            )
        elif n is not None:
            v["rate_numerator"], v["rate_denominator"] = _reduce(n, d)
    opens, closes = v.get("opens_on"), v.get("closes_on")
    if isinstance(opens, dt.date) and isinstance(closes, dt.date) and opens > closes:
        out.errors.append(
            FieldError(
                "closes_on",
                f"受付締切日（{closes.isoformat()}）が受付開始日（{opens.isoformat()}）より前です。",
            )
        )


def derive_fiscal_year(opens_on: dt.date | None, closes_on: dt.date | None) -> int | None:
    """The 年度 of a program with no 年度 given: that of its opening day, else of its deadline."""
    day = opens_on or closes_on
    return fiscal_year(day) if day else None
