"""What eligibility needs to know about a company: ``CompanyProfile``, from a Company or from a public form.

Every field is optional (``None`` = unknown). ``from_input`` reads what a person types — 全角 digits,
「300人」, 「3億円」「3,000万円」「300,000千円」, 「2019年」「令和元年」「H31.4」「2019-04-01」, 「千葉県」「千葉」「12」,
「市川市」「122033」, 「製造業」「0911」 — and returns Japanese errors per field.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from renkei.companies.validation import parse_date
from renkei.core.errors import FieldError
from renkei.core.text import nfkc
from renkei.core.wareki import ERAS

from .eligibility_reference import Reference, get_reference
from .eligibility_rules import (
    MAX_CAPITAL,
    MAX_EMPLOYEES,
    SIZE_ALIASES,
    SIZE_CLASSES,
    SIZE_LABELS,
    STAGES,
    normalize_municipality,
    normalize_prefecture,
)

# Labels of the profile's fields, used for "missing" lists and messages.
FIELD_LABELS: dict[str, str] = {
    "size_class": "企業規模",
    "employees": "従業員数",
    "capital": "資本金",
    "jsic_code": "業種",
    "prefecture_code": "所在地（都道府県）",
    "municipality_code": "所在地（市区町村）",
    "founded_on": "設立年月日",
    "stage": "事業段階",
}
# The keys ``from_input`` reads (a form's field names); errors name these keys.
INPUT_KEYS = (
    "size_class",
    "employees",
    "capital",
    "jsic_code",
    "prefecture",
    "municipality",
    "founded",
    "stage",
)

PRECISIONS = ("day", "month", "year")


@dataclass(frozen=True)
class CompanyProfile:
    """The facts eligibility rules look at. ``founded_precision`` says how much of ``founded_on`` is known:
    "year" (2019 → 2019-01-01), "month" (2019-04 → 2019-04-01) or "day"."""

    size_class: str | None = None  # "small" | "sme" | "large"; None when unknown
    employees: int | None = None
    capital: int | None = None  # yen
    jsic_code: str | None = None  # any level: "E", "09", "091", "0911"
    prefecture_code: str | None = None  # "12"
    municipality_code: str | None = None  # "122033"
    founded_on: dt.date | None = None
    stage: str | None = None  # one of STAGES
    founded_precision: str = "day"

    def __post_init__(self) -> None:
        if self.size_class not in SIZE_CLASSES:
            object.__setattr__(self, "size_class", None)
        if self.municipality_code and not self.prefecture_code:
            object.__setattr__(self, "prefecture_code", self.municipality_code[:2])
        if self.founded_precision not in PRECISIONS:
            object.__setattr__(self, "founded_precision", "day")

    @classmethod
    def from_company(cls, company: Any, *, stage: str | None = None) -> CompanyProfile:
        """A profile of a ``companies.Company`` without touching the database (codes are read from the foreign
        keys' ids; the prefecture is the first two digits of the 全国地方公共団体コード)."""
        municipality = getattr(company, "municipality_id", None)
        stage = stage if stage is not None else getattr(company, "stage", None)
        return cls(
            size_class=getattr(company, "size_class", None),
            employees=getattr(company, "employees", None),
            capital=getattr(company, "capital", None),
            jsic_code=getattr(company, "jsic_id", None) or None,
            prefecture_code=municipality[:2] if municipality else None,
            municipality_code=municipality or None,
            founded_on=getattr(company, "founded_on", None),
            stage=stage if stage in STAGES else None,
        )

    @classmethod
    def from_input(
        cls,
        data: Mapping[str, Any],
        *,
        today: dt.date | None = None,
        reference: Reference | None = None,
    ) -> tuple[CompanyProfile, list[FieldError]]:
        """Read a public form (keys: ``INPUT_KEYS``). Fields with errors are left unknown in the profile."""
        return _ProfileReader(reference or get_reference(), today or dt.date.today()).read(data)

    def founded_range(self) -> tuple[dt.date, dt.date] | None:
        """The earliest and latest possible founding day, given ``founded_precision``."""
        day = self.founded_on
        if day is None:
            return None
        if self.founded_precision == "year":
            return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
        if self.founded_precision == "month":
            last = calendar.monthrange(day.year, day.month)[1]
            return dt.date(day.year, day.month, 1), dt.date(day.year, day.month, last)
        return day, day


# --- parsing what people type ------------------------------------------------------------------------------
_UNITS = {"兆": 10**12, "億": 10**8, "千万": 10**7, "百万": 10**6, "万": 10**4, "千": 10**3}
_QUANTITY_RE = re.compile(r"(\d+(?:\.\d+)?)(兆|億|千万|百万|万|千)?")
_NEGATIVE = ("-", "▲", "△", "マイナス")


def parse_quantity(value: Any, *, suffixes: tuple[str, ...] = ()) -> int:
    """Amounts as typed: 「3億円」 → 300000000; 「3億5,000万円」「3,000万」「1.5億」「300,000千円」「３００人」 too.

    Raises ValueError for anything else (a negative number, a fraction of a yen, text)."""
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError(value)
        return int(value)
    text = nfkc(str(value)).replace(",", "").replace(" ", "").replace("¥", "").replace("\\", "")
    for suffix in suffixes:
        text = text.removesuffix(suffix)
    if not text or len(text) > 40:
        raise ValueError(value)
    total, last, pos = Decimal(0), None, 0
    while pos < len(text):
        m = _QUANTITY_RE.match(text, pos)
        if m is None:
            raise ValueError(value)
        unit = _UNITS[m.group(2)] if m.group(2) else 1
        if (last is not None and unit >= last) or (unit == 1 and m.end() != len(text)):
            raise ValueError(value)  # units must go down: 3億5000万, not 5000万3億
        try:
            total += Decimal(m.group(1)) * unit
        except InvalidOperation as exc:
            raise ValueError(value) from exc
        last, pos = unit, m.end()
    if total != total.to_integral_value():
        raise ValueError(value)
    return int(total)


_ERA_BY_LETTER = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}
_ERA = r"(明治|大正|昭和|平成|令和|[MTSHR])\.?(元|\d{1,2})"
_YEAR_RE = re.compile(r"^(\d{4})年?$")
_ERA_YEAR_RE = re.compile(rf"^{_ERA}年?$")
_MONTH_RE = re.compile(r"^(\d{4})[年/\-.](\d{1,2})月?$")
_ERA_MONTH_RE = re.compile(rf"^{_ERA}[年.\-/](\d{{1,2}})月?$")


def _era_year(era: str, year_text: str) -> int:
    """Western year of 「平成31年」; ValueError for a year the era never had (平成40年)."""
    name = _ERA_BY_LETTER.get(era, era)
    starts = dict(ERAS)
    start = starts[name]
    year = 1 if year_text == "元" else int(year_text)
    western = start.year + year - 1
    later = [d for n, d in ERAS if d > start]
    if year < 1 or (later and western > min(later).year):
        raise ValueError(f"{name}{year_text}年")
    return western


def parse_founded(value: Any) -> tuple[dt.date, str]:
    """(first possible day, precision) of a founding year, month or date as typed."""
    if isinstance(value, int) and not isinstance(value, bool):
        return dt.date(value, 1, 1), "year"
    if isinstance(value, dt.date | dt.datetime):
        return parse_date(value), "day"
    text = nfkc(str(value)).replace(" ", "").upper()
    if m := _YEAR_RE.match(text):
        return dt.date(int(m.group(1)), 1, 1), "year"
    if m := _ERA_YEAR_RE.match(text):
        return dt.date(_era_year(m.group(1), m.group(2)), 1, 1), "year"
    if m := _MONTH_RE.match(text):
        return dt.date(int(m.group(1)), int(m.group(2)), 1), "month"
    if m := _ERA_MONTH_RE.match(text):
        return dt.date(_era_year(m.group(1), m.group(2)), int(m.group(3)), 1), "month"
    return parse_date(text.replace("元年", "1年")), "day"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and nfkc(value) == "")


class _ProfileReader:
    def __init__(self, reference: Reference, today: dt.date) -> None:
        self.ref = reference
        self.today = today
        self.errors: list[FieldError] = []

    def err(self, field: str, message: str) -> None:
        self.errors.append(FieldError(field, message))

    def read(self, data: Mapping[str, Any]) -> tuple[CompanyProfile, list[FieldError]]:
        values: dict[str, Any] = {}
        get = data.get
        if not _blank(get("size_class")):
            values["size_class"] = self.size_class(get("size_class"))
        for key, label, unit, maximum, suffixes in (
            ("employees", "従業員数", "人", MAX_EMPLOYEES, ("人", "名")),
            ("capital", "資本金", "円", MAX_CAPITAL, ("円",)),
        ):
            if not _blank(get(key)):
                values[key] = self.quantity(key, get(key), label, unit, maximum, suffixes)
        if not _blank(get("jsic_code")):
            values["jsic_code"] = self.industry(get("jsic_code"))
        prefecture = None
        if not _blank(get("prefecture")):
            prefecture = values["prefecture_code"] = self.prefecture(get("prefecture"))
        if not _blank(get("municipality")):
            municipality = self.municipality(get("municipality"), prefecture)
            values["municipality_code"] = municipality
            if municipality and not prefecture:
                values["prefecture_code"] = municipality[:2]
        if not _blank(get("founded")):
            founded = self.founded(get("founded"))
            if founded:
                values["founded_on"], values["founded_precision"] = founded
        if not _blank(get("stage")):
            stage = nfkc(str(get("stage")))
            if stage in STAGES:
                values["stage"] = stage
            else:
                self.err("stage", f"事業段階は {'・'.join(STAGES)} のいずれかを選んでください。")
        return CompanyProfile(**{k: v for k, v in values.items() if v is not None}), self.errors

    def size_class(self, value: Any) -> str | None:
        text = nfkc(str(value))
        if text in SIZE_ALIASES:
            return SIZE_ALIASES[text]
        if text in ("unknown", "不明", "わからない", "判定不能"):
            return None
        choices = "・".join(SIZE_LABELS[c] for c in SIZE_CLASSES)
        self.err("size_class", f"企業規模は {choices} のいずれかを選んでください（入力: {text[:20]}）。")
        return None

    def quantity(
        self, key: str, value: Any, label: str, unit: str, maximum: int, suffixes: tuple[str, ...]
    ) -> int | None:
        shown = nfkc(str(value))[:30]
        if shown.startswith(_NEGATIVE):
            self.err(key, f"{label}は0以上で入力してください（入力: {shown}）。")
            return None
        try:
            number = parse_quantity(value, suffixes=suffixes)
        except ValueError:
            example = "3億円、3,000万円、50000000" if key == "capital" else "300人、1,200"
            self.err(key, f"{label}は {example} のように数字で入力してください（入力: {shown}）。")
            return None
        if number < 0:
            self.err(key, f"{label}は0以上で入力してください（入力: {shown}）。")
            return None
        if number > maximum:
            self.err(key, f"{label}が大きすぎます（{maximum:,} {unit}以下で入力してください）。")
            return None
        return number

    def industry(self, value: Any) -> str | None:
        text = nfkc(str(value))
        m = re.match(r"^([A-Ta-t]|\d{2,4})(?:\s+\S.*)?$", text)
        code = m.group(1).upper() if m else self.ref.industry_by_name(text)
        if code is not None and code in self.ref.industries:
            return code
        if m:
            self.err("jsic_code", f"産業分類コード「{code}」は日本標準産業分類（第14回改定）にありません。")
        else:
            self.err(
                "jsic_code",
                f"業種「{text[:30]}」が見つかりません。産業分類コード（例: E、09、0911）"
                "または分類名（例: 製造業）で入力してください。",
            )
        return None

    def prefecture(self, value: Any) -> str | None:
        code = normalize_prefecture(value)
        if code is None and isinstance(value, str):
            code = self.ref.prefecture_by_name(value)
        if code is not None and code in self.ref.prefectures:
            return code
        self.err(
            "prefecture",
            f"都道府県「{nfkc(str(value))[:20]}」が見つかりません。千葉県、千葉、12 のように入力してください。",
        )
        return None

    def municipality(self, value: Any, prefecture: str | None) -> str | None:
        text = nfkc(str(value)).replace(" ", "")
        if re.fullmatch(r"\d{5,6}", text):
            code = normalize_municipality(text)
            if code is None or code not in self.ref.municipalities:
                self.err("municipality", f"市区町村コード「{text}」は全国地方公共団体コードにありません。")
                return None
            candidates: tuple[str, ...] = (code,)
        else:
            candidates = self.ref.municipalities_by_name(text)
            if not candidates:
                self.err(
                    "municipality",
                    f"市区町村「{text[:30]}」が見つかりません。市川市 のように入力してください。",
                )
                return None
        if prefecture:
            inside = tuple(c for c in candidates if c[:2] == prefecture)
            if not inside:
                name = self.ref.prefecture_name(prefecture)
                self.err("municipality", f"「{text[:30]}」は{name}の市区町村ではありません。")
                return None
            candidates = inside
        if len(candidates) > 1:
            places = "・".join(self.ref.municipality_label(c) for c in candidates[:5])
            self.err(
                "municipality", f"「{text[:30]}」は複数あります（{places}）。都道府県も入力してください。"
            )
            return None
        return candidates[0]

    def founded(self, value: Any) -> tuple[dt.date, str] | None:
        shown = nfkc(str(value))[:30]
        try:
            first, precision = parse_founded(value)
        except (ValueError, KeyError, OverflowError):
            self.err(
                "founded",
                f"設立年は 2019、2019年4月、令和元年、2019-04-01 のように入力してください（入力: {shown}）。",
            )
            return None
        if first > self.today:
            self.err("founded", f"設立年月日が未来の日付です（入力: {shown}）。")
            return None
        if first.year < 1600:
            self.err("founded", f"設立年が古すぎます（入力: {shown}）。")
            return None
        return first, precision
