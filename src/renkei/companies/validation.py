"""Validation of company data, shared by the service, the forms, the API and the importers.

``CompanyValidator.clean(raw)`` takes loosely typed input (strings as typed in a form or an Excel cell,
full-width digits welcome) and returns either cleaned values or a list of FieldErrors in Japanese. It holds the
reference lookups in memory so an import of 100,000 rows does not query the database per row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from stdnum.jp import cn as corporate_number_std

from renkei.core.errors import FieldError
from renkei.core.models import IndustryClass, Municipality
from renkei.core.text import digits_only, nfkc, squash_spaces
from renkei.core.wareki import ERAS

from .sme import classify_size

MAX_CAPITAL = 10**15  # 1,000兆円: anything larger is a typing error
MAX_EMPLOYEES = 10_000_000

FIELD_LABELS = {
    "corporate_number": "法人番号",
    "name": "企業名",
    "kana": "企業名よみがな",
    "jsic_code": "産業分類コード",
    "capital": "資本金",
    "employees": "従業員数",
    "founded_on": "設立年月日",
    "postal_code": "郵便番号",
    "municipality_code": "市区町村コード",
    "address": "住所",
    "phone": "電話番号",
    "url": "URL",
    "technologies": "技術・強み",
    "products": "主な製品",
    "certifications": "認証・認定",
    "consent_share_region": "地域内共有の同意",
    "consent_share_outside": "地域外共有の同意",
}

MAX_LENGTHS = {"name": 200, "kana": 200, "address": 300, "phone": 30, "url": 300}
TEXT_MAX = 10_000

_KANA_RE = re.compile(r"^[\u3041-\u3096\u30a1-\u30fa\u30fc\u30fb・ー\s0-9A-Za-z&＆.,\-()（）]*$")
_PHONE_RE = re.compile(r"^[0-9()+\-]{6,30}$")
_ERA_DATE_RE = re.compile(
    r"^(明治|大正|昭和|平成|令和|[MTSHR])\s*(元|\d{1,2})\s*[年.\-/]\s*(\d{1,2})\s*[月.\-/]\s*(\d{1,2})\s*日?$"
)
_ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}
_TRUE = {"1", "true", "yes", "y", "on", "はい", "有", "あり", "同意", "○", "〇", "済"}
_FALSE = {"", "0", "false", "no", "n", "off", "いいえ", "無", "なし", "不同意", "×", "未"}


def normalize_corporate_number(value: Any) -> tuple[str | None, str | None]:
    """Return (13-digit string or None, error message or None). Full-width digits and hyphens are accepted.

    A whole-number float (a numeric spreadsheet cell) is read as the integer it holds; a check digit is never 0, so
    no leading zero can have been lost.
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = digits_only(value)
    if not text:
        return None, None
    if not _is_ascii_digits(text):
        return None, "法人番号は数字13桁で入力してください（数字以外の文字が含まれています）。"
    if len(text) != 13:
        return None, f"法人番号は数字13桁で入力してください（入力は {len(text)} 桁です）。"
    if not corporate_number_std.is_valid(text):
        return None, "法人番号のチェックデジット（先頭の1桁）が正しくありません。番号をご確認ください。"
    return text, None


def _is_ascii_digits(text: str) -> bool:
    """0–9 only: ``str.isdigit`` also accepts Arabic-Indic, Devanagari … digits, which NFKC leaves alone."""
    return text.isascii() and text.isdigit()


# Unicode category Cc (C0 and C1 controls) except tab/line breaks, and Cs (surrogates).
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def control_characters(text: str) -> bool:
    """True if ``text`` holds a control character (other than tab and line breaks) or a lone surrogate.

    Neither can be stored: PostgreSQL rejects NUL in text, and a lone surrogate cannot be encoded as UTF-8.
    """
    return _CONTROL_RE.search(text) is not None


def parse_date(value: Any) -> dt.date:
    """ISO (2024-04-01), slashes (2024/4/1), 和暦 (令和6年4月1日, R6.4.1) and Excel dates.

    Anything else raises ValueError (also absurd years such as 99999999999999999999-1-1)."""
    try:
        return _parse_date(value)
    except OverflowError as exc:
        raise ValueError("date out of range") from exc


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = nfkc(value).replace(" ", "")
    if m := _ERA_DATE_RE.match(text):
        era = _ERA_LETTERS.get(m.group(1), m.group(1))
        start = dict(ERAS)[era]
        year = 1 if m.group(2) == "元" else int(m.group(2))
        day = dt.date(start.year + year - 1, int(m.group(3)), int(m.group(4)))
        if day < start:
            raise ValueError
        return day
    for sep in ("-", "/", "."):
        parts = text.split(sep)
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            return dt.date(int(parts[0]), int(parts[1]), int(parts[2]))
    if m := re.match(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$", text):
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise ValueError


def parse_int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError
        return int(value)
    text = nfkc(value).replace(",", "").replace("，", "").replace(" ", "")
    text = text.removesuffix("円").removesuffix("人").removesuffix("名")
    if text.startswith("+"):
        text = text[1:]
    if not re.fullmatch(r"-?\d+", text):
        raise ValueError
    return int(text)


def parse_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = nfkc(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError


@dataclass
class CleanCompany:
    values: dict[str, Any]
    errors: list[FieldError]

    @property
    def ok(self) -> bool:
        return not self.errors


class CompanyValidator:
    """Validates company input. Build once (it loads JSIC and municipality codes), use for many rows."""

    def __init__(self) -> None:
        self.jsic: dict[str, tuple[int, str, str]] = {
            code: (level, major, name)
            for code, level, major, name in IndustryClass.objects.values_list(
                "code", "level", "major_code", "name"
            )
        }
        self.municipalities: set[str] = set(Municipality.objects.values_list("code", flat=True))
        self.municipality_by_5: dict[str, str] = {c[:5]: c for c in self.municipalities}

    def clean(self, raw: dict[str, Any], *, partial: bool = False) -> CleanCompany:
        """Clean ``raw``. With ``partial`` only the keys present are validated (for PATCH)."""
        errors: list[FieldError] = []
        out: dict[str, Any] = {}

        def present(key: str) -> bool:
            return key in raw if partial else True

        def err(field: str, message: str) -> None:
            errors.append(FieldError(field, message))

        if present("name"):
            name = squash_spaces(raw.get("name"))
            if not name:
                err("name", "企業名を入力してください。")
            out["name"] = name
        if present("kana"):
            kana = squash_spaces(raw.get("kana"))
            if kana and not _KANA_RE.match(kana):
                err("kana", "よみがなはひらがなまたはカタカナで入力してください。")
            out["kana"] = kana
        if present("corporate_number"):
            number, message = normalize_corporate_number(raw.get("corporate_number"))
            if message:
                err("corporate_number", message)
            out["corporate_number"] = number
        if present("jsic_code"):
            code = digits_only(raw.get("jsic_code")).upper()
            out["jsic_id"] = None
            if code:
                found = self.jsic.get(code)
                if found is None:
                    err(
                        "jsic_code", f"産業分類コード「{code}」は日本標準産業分類（第14回改定）にありません。"
                    )
                elif found[0] != 4:
                    level_name = {1: "大分類", 2: "中分類", 3: "小分類"}[found[0]]
                    err(
                        "jsic_code",
                        f"産業分類は細分類（4桁）で指定してください（「{code}」は{level_name}です）。",
                    )
                else:
                    out["jsic_id"] = code
        for key, label, maximum in (
            ("capital", "資本金", MAX_CAPITAL),
            ("employees", "従業員数", MAX_EMPLOYEES),
        ):
            if not present(key):
                continue
            value = raw.get(key)
            out[key] = None
            if value is None or nfkc(value) == "":
                continue
            try:
                number = parse_int(value)
            except ValueError:
                err(key, f"{label}は整数で入力してください（入力: {nfkc(value)[:30]}）。")
                continue
            if number < 0:
                err(key, f"{label}は0以上で入力してください。")
            elif number > maximum:
                err(key, f"{label}が大きすぎます（上限 {maximum:,}）。")
            else:
                out[key] = number
        if present("founded_on"):
            value = raw.get("founded_on")
            out["founded_on"] = None
            if value not in (None, "") and nfkc(value) != "":
                try:
                    day = parse_date(value)
                except (ValueError, KeyError):
                    err("founded_on", "設立年月日は 2024-04-01 や 令和6年4月1日 の形式で入力してください。")
                else:
                    if day > dt.date.today():
                        err("founded_on", "設立年月日が未来の日付です。")
                    elif day.year < 1600:
                        err("founded_on", "設立年月日が古すぎます。")
                    else:
                        out["founded_on"] = day
        if present("postal_code"):
            code = digits_only(raw.get("postal_code")).removeprefix("〒")
            out["postal_code"] = ""
            if code:
                if not (_is_ascii_digits(code) and len(code) == 7):
                    err("postal_code", "郵便番号は数字7桁で入力してください（例: 260-8667）。")
                else:
                    out["postal_code"] = f"{code[:3]}-{code[3:]}"
        if present("municipality_code"):
            code = digits_only(raw.get("municipality_code"))
            out["municipality_id"] = None
            if code:
                if len(code) == 5 and code in self.municipality_by_5:
                    code = self.municipality_by_5[code]
                if code not in self.municipalities:
                    err(
                        "municipality_code",
                        f"市区町村コード「{code[:10]}」は全国地方公共団体コードにありません。",
                    )
                else:
                    out["municipality_id"] = code
        if present("address"):
            out["address"] = squash_spaces(raw.get("address"))
        if present("phone"):
            phone = nfkc(raw.get("phone")).replace(" ", "").replace("ー", "-").replace("－", "-")
            if phone and not _PHONE_RE.match(phone):
                err("phone", "電話番号は数字とハイフンで入力してください（例: 043-223-2711）。")
            out["phone"] = phone
        if present("url"):
            url = nfkc(raw.get("url"))
            if url and not re.match(r"^https?://[^\s/$.?#].[^\s]*$", url, re.IGNORECASE):
                err("url", "URLは http:// または https:// から始まる形式で入力してください。")
            out["url"] = url
        for key in ("technologies", "products", "certifications"):
            if present(key):
                text = nfkc(raw.get(key)) if raw.get(key) is not None else ""
                if len(text) > TEXT_MAX:
                    err(key, f"{FIELD_LABELS[key]}は{TEXT_MAX:,}文字以内で入力してください。")
                out[key] = text
        for key in ("consent_share_region", "consent_share_outside"):
            if present(key):
                try:
                    out[key] = parse_bool(raw.get(key))
                except ValueError:
                    err(key, f"{FIELD_LABELS[key]}は「はい」か「いいえ」で入力してください。")
        for key in ("name", "address", "url", "technologies", "products", "certifications"):
            if isinstance(out.get(key), str) and control_characters(out[key]):
                err(key, f"{FIELD_LABELS[key]}に使用できない文字（制御文字など）が含まれています。")
                out[key] = ""
        for key, maximum in MAX_LENGTHS.items():
            if isinstance(out.get(key), str) and len(out[key]) > maximum:
                err(
                    key,
                    f"{FIELD_LABELS[key]}は{maximum}文字以内で入力してください（現在 {len(out[key])} 文字）。",
                )
        return CleanCompany(out, errors)

    def size(self, jsic_id: str | None, capital: int | None, employees: int | None):
        major = self.jsic[jsic_id][1] if jsic_id and jsic_id in self.jsic else None
        return classify_size(jsic_code=jsic_id, major_code=major, capital=capital, employees=employees)
