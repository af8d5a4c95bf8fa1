"""Import support programs from jGrants (補助金電子申請システム) records: JSON Lines, or one JSON array.

Each record (``id``, ``title``, ``organization``, ``catch_phrase``, ``amount_max``, ``subsidy_rate``,
``start_date``, ``deadline``, ``target_industries``, ``target_area``, ``target_number_of_employees``,
``detail_url``, ``first_seen``, ``last_updated``, ``detail_text``) becomes one SupportProgram, identified by its
jGrants id (a re-import updates it). The eligibility rules are derived from the target fields:

- ``target_number_of_employees`` 「300名以下」 → employees.max 300, 「901名以上」 → employees.min 901, 「…制約なし」
  or null → no constraint;
- ``target_area`` 「全国」 (or a list containing it) → no constraint, else the 都道府県コード of the names
  ('/'-separated; jGrants' 地方 groupings expanded);
- ``target_industries`` (JSIC 大分類 names, or parts of them such as 「運輸業」「郵便業」) → the major letters, and
  no constraint when every major a business can be in is named (A–R: jGrants' lists for "any company" leave
  out S 公務 and T 分類不能の産業, which no company is in).
The raw wording is kept in ``eligibility_text``; the rate text is parsed when it states one simple fraction.
"""

from __future__ import annotations

import json
import os
import re
from typing import IO, Any, BinaryIO

from django.contrib.auth.models import User

from renkei.core.tabular import RowError, TabularError, read_source
from renkei.core.text import nfkc, squash_spaces
from renkei.network.models import Region
from renkei.network.selectors import staff_context

from ..choices import KIND_PROGRAMS, ProgramKind
from ..models import CatalogSource, SupportProgram
from ..services import check_item_values
from ..validation import clean, derive_fiscal_year
from .common import (
    JGRANTS_SOURCE,
    AreaLookup,
    CatalogImportResult,
    IndustryLookup,
    StoredItems,
    bulk_upsert,
    importer_region,
    refuse_importer,
    source_touch,
    source_upsert,
    update_fields_of,
    write_all,
)

# Title words → kind. A title that calls itself a 補助金/助成金 is one, whatever else it mentions
# (「…融資保証債務履行補助金」 is a subsidy); otherwise the first word found decides; default 補助金.
_SUBSIDY_WORDS = ("補助金", "補助事業", "補助制度", "交付金", "給付金")
_GRANT_WORDS = ("助成", "奨励金")
_KIND_WORDS = (
    ("融資", ProgramKind.LOAN),
    ("利子補給", ProgramKind.LOAN),
    ("出資", ProgramKind.INVESTMENT),
    ("ファンド", ProgramKind.INVESTMENT),
    ("専門家派遣", ProgramKind.EXPERT),
    ("セミナー", ProgramKind.SEMINAR),
    ("展示会", ProgramKind.EXHIBITION),
    ("認定", ProgramKind.CERTIFICATION),
)
# Purposes guessed from the title and catch phrase (a filter aid; staff may correct them).
_PURPOSE_WORDS = (
    ("研究開発", ("研究開発", "技術開発", "製品開発", "新技術", "実証")),
    ("設備投資", ("設備", "機械装置", "省力化", "生産性向上")),
    ("販路開拓", ("販路", "展示会", "海外展開", "海外進出", "商談", "見本市", "輸出", "販売促進")),
    ("人材育成", ("人材", "研修", "育成", "リスキリング", "雇用", "採用", "スキルアップ")),
    ("事業承継", ("事業承継", "M&A", "承継")),
    ("創業", ("創業", "起業", "スタートアップ", "ベンチャー")),
    (
        "省エネ・脱炭素",
        (
            "省エネ",
            "脱炭素",
            "CO2",
            "二酸化炭素",
            "ZEB",
            "カーボン",
            "再エネ",
            "再生可能エネルギー",
            "太陽光",
            "水素",
            "GX",
        ),
    ),
    ("デジタル化", ("デジタル", "DX", "IT導入", "ICT", "IoT", "AI", "テレワーク", "キャッシュレス")),
)
_EMPLOYEES_RE = re.compile(r"(\d+)\s*(?:名|人)\s*(以下|以上|未満|超)")
_NO_LIMIT = ("制約なし", "制限なし", "指定なし", "不問")


def kind_from_title(title: str) -> str:
    t = nfkc(title)
    if any(w in t for w in _SUBSIDY_WORDS):
        return ProgramKind.SUBSIDY
    if any(w in t for w in _GRANT_WORDS):
        return ProgramKind.GRANT
    for word, kind in _KIND_WORDS:
        if word in t:
            return kind
    return ProgramKind.SUBSIDY


def purposes_from(*texts: str | None) -> list[str]:
    t = nfkc(" ".join(x for x in texts if x)).upper()
    return [purpose for purpose, words in _PURPOSE_WORDS if any(nfkc(w).upper() in t for w in words)]


def employees_rule(text: Any) -> tuple[dict[str, int | None] | None, str | None]:
    """(range or None, error). 「300名以下」→ max 300; 「901名以上」→ min 901; 「…制約なし」/null → None."""
    t = nfkc("" if text is None else str(text))
    if not t or any(w in t for w in _NO_LIMIT):
        return None, None
    m = _EMPLOYEES_RE.search(t)
    if m is None:
        return (
            None,
            f"従業員数の条件「{t[:30]}」を読み取れません（例: 300名以下、901名以上、従業員数の制約なし）。",
        )
    n, how = int(m.group(1)), m.group(2)
    if how == "以下":
        return {"min": None, "max": n}, None
    if how == "未満":
        return {"min": None, "max": max(n - 1, 0)}, None
    if how == "以上":
        return {"min": n, "max": None}, None
    return {"min": n + 1, "max": None}, None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value if v is not None]
    return re.split(r"[/／、,]", str(value))


def derive_eligibility(
    record: dict[str, Any], areas: AreaLookup, industries: IndustryLookup
) -> tuple[dict[str, Any], str, list[tuple[str, str]]]:
    """(rules, eligibility_text, [(json key, error)]) from a jGrants record's target fields."""
    rules: dict[str, Any] = {}
    errors: list[tuple[str, str]] = []
    lines: list[str] = []
    employees_text = record.get("target_number_of_employees")
    employees, message = employees_rule(employees_text)
    if message:
        errors.append(("target_number_of_employees", message))
    elif employees:
        rules["employees"] = employees
    area_names = _as_list(record.get("target_area"))
    codes, unknown = areas.codes_for(area_names)
    if unknown:
        errors.append(
            ("target_area", f"対象地域「{'、'.join(unknown)[:60]}」を都道府県に対応づけられません。")
        )
    elif codes:
        rules["prefectures"] = codes
    industry_names = _as_list(record.get("target_industries"))
    majors, unknown = industries.majors_for(industry_names)
    if unknown:
        errors.append(
            (
                "target_industries",
                f"対象業種「{'、'.join(unknown)[:60]}」を日本標準産業分類の大分類に対応づけられません。",
            )
        )
    elif majors:
        rules["jsic"] = majors
    if area_names:
        lines.append("対象地域: " + "、".join(squash_spaces(a) for a in area_names if a.strip()))
    if industry_names:
        lines.append("対象業種: " + "、".join(squash_spaces(i) for i in industry_names if i.strip()))
    if employees_text:
        lines.append(f"従業員数: {squash_spaces(str(employees_text))}")
    return rules, "\n".join(lines), errors


def _date_text(value: Any) -> Any:
    """jGrants writes some dates as ISO date-times (2026-05-15T23:56:13+00:00): keep the date."""
    if isinstance(value, str) and "T" in value and len(value) >= 10:
        return value[:10]
    return value


def read_records(data: bytes, result: CatalogImportResult) -> list[tuple[int, Any]]:
    """(line number, parsed value) for every record of a JSON Lines file or a JSON array."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        result.add_file_error("UTF-8 で保存された JSON ではありません。UTF-8 で保存し直してください。")
        return []
    if text.lstrip().startswith("["):
        return _array_records(text, result)
    records: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        result.total_rows += 1
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            result.errors.append(
                RowError(number, "", f"JSON として読めません（{exc.colno}文字目: {_json_reason(exc)}）。")
            )
    return records


def _array_records(text: str, result: CatalogImportResult) -> list[tuple[int, Any]]:
    decoder = json.JSONDecoder()
    records: list[tuple[int, Any]] = []
    pos = text.index("[") + 1
    expect_value = True
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        if pos >= len(text):
            result.add_file_error("JSON の配列が「]」で閉じられていません。")
            return records
        ch = text[pos]
        line = text.count("\n", 0, pos) + 1
        if ch == "]":
            rest = text[pos + 1 :].strip()
            if rest:
                result.add_file_error(f"JSON の配列の後（{line}行目）に余分な文字があります。")
            return records
        if ch == "," and not expect_value:
            pos += 1
            expect_value = True
            continue
        try:
            value, end = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            result.total_rows += 1
            result.errors.append(
                RowError(exc.lineno, "", f"JSON として読めません（{exc.colno}文字目: {_json_reason(exc)}）。")
            )
            return records  # the rest of an array cannot be found reliably after a syntax error
        result.total_rows += 1
        records.append((line, value))
        pos = end
        expect_value = False


def _json_reason(exc: json.JSONDecodeError) -> str:
    reasons = {
        "Expecting value": "値がありません",
        "Expecting property name enclosed in double quotes": '項目名は " で囲んでください',
        "Expecting ',' delimiter": "「,」がありません",
        "Expecting ':' delimiter": "「:」がありません",
        "Unterminated string starting at": "文字列が閉じられていません",
        "Extra data": "余分な文字があります",
        "Invalid control character at": "文字列の中に改行などの制御文字があります",
    }
    return reasons.get(exc.msg, exc.msg)


_FIELD_KEYS = {  # model field → jGrants key (for error messages)
    "title": "title",
    "provider_name": "organization",
    "catch_phrase": "catch_phrase",
    "summary": "detail_text",
    "rate_text": "subsidy_rate",
    "cap_yen": "amount_max",
    "opens_on": "start_date",
    "closes_on": "deadline",
    "url": "detail_url",
    "first_seen": "first_seen",
    "last_updated": "last_updated",
}


def import_jgrants(
    source: str | os.PathLike | BinaryIO | IO[bytes],
    *,
    actor: User,
    region: Region | None = None,
    dry_run: bool = False,
    filename: str | None = None,
) -> CatalogImportResult:
    """Validate every record and, unless ``dry_run`` or any record is bad, create or update all programs."""
    result = CatalogImportResult(dry_run=dry_run, noun="支援施策")
    ctx = staff_context(actor)
    if reason := refuse_importer(ctx, region):
        result.add_file_error(reason)
        return result
    region = importer_region(ctx, region)
    try:
        data, _ = read_source(source, filename=filename)
    except TabularError as exc:
        result.add_file_error(exc.message)
        return result
    result.source_format = "jGrants JSON"
    records = read_records(data, result)
    if result.file_errors:
        return result
    if not records and not result.errors:
        result.add_file_error("取り込む施策がありません（ファイルに JSON の行がありません）。")
        return result
    areas, industries = AreaLookup(), IndustryLookup()
    source = CatalogSource.objects.filter(name=JGRANTS_SOURCE.name).first()
    stored = StoredItems(SupportProgram, source, ctx, noun="支援施策")
    first_line_of: dict[str, int] = {}
    programs: list[SupportProgram] = []
    for line, record in records:
        errors = _check_record(line, record, first_line_of)
        if not errors and (reason := stored.refusal(nfkc(str(record["id"])))):
            errors = [RowError(line, "id", reason)]
        if errors:
            result.errors.extend(errors)
            continue
        program, errors = _program(line, record, areas, industries)
        result.errors.extend(errors)
        if not result.errors:
            program.pk = stored.pk(program.external_id)
            programs.append(program)
    if result.errors or dry_run:
        result.updated = sum(1 for p in programs if p.pk)
        return result

    def write() -> None:
        src = source_upsert(JGRANTS_SOURCE)
        for p in programs:
            p.source, p.region, p.created_by = src, region, actor
        fields = update_fields_of(
            SupportProgram, keep=("is_public", "organization", "purposes", "fields", "region")
        )
        updated = sum(1 for p in programs if p.pk)
        bulk_upsert(SupportProgram, programs, update_fields=fields, source=src)
        source_touch(src)
        result.updated, result.created = updated, len(programs) - updated

    write_all(result, write)
    return result


def _check_record(line: int, record: Any, first_line_of: dict[str, int]) -> list[RowError]:
    if not isinstance(record, dict):
        return [RowError(line, "", "施策は JSON のオブジェクト（{...}）で書いてください。")]
    external_id = nfkc(str(record.get("id") or ""))
    if not external_id:
        return [RowError(line, "id", "施策の id がありません。")]
    if len(external_id) > 100:
        return [RowError(line, "id", "施策の id が長すぎます（100文字まで）。")]
    if external_id in first_line_of:
        return [
            RowError(line, "id", f"id {external_id} が {first_line_of[external_id]}行目と重複しています。")
        ]
    first_line_of[external_id] = line
    return []


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _program(
    line: int, record: dict[str, Any], areas: AreaLookup, industries: IndustryLookup
) -> tuple[SupportProgram, list[RowError]]:
    rules, eligibility_text, rule_errors = derive_eligibility(record, areas, industries)
    errors = [RowError(line, key, message) for key, message in rule_errors]
    title = _text(record.get("title"))
    raw = {
        "title": title,
        "provider_name": _text(record.get("organization"))[:200],
        "kind": kind_from_title(title),
        "purposes": purposes_from(title, _text(record.get("catch_phrase"))),
        "catch_phrase": _text(record.get("catch_phrase")),
        "summary": _text(record.get("detail_text")),
        "eligibility": rules,
        "eligibility_text": eligibility_text,
        "rate_text": squash_spaces(_text(record.get("subsidy_rate"))),
        "cap_yen": record.get("amount_max"),
        "opens_on": _date_text(record.get("start_date")),
        "closes_on": _date_text(record.get("deadline")),
        "url": _text(record.get("detail_url")),
        "first_seen": _date_text(record.get("first_seen")),
        "last_updated": _date_text(record.get("last_updated")),
        "external_id": nfkc(str(record["id"])),
    }
    cleaned = clean(KIND_PROGRAMS, raw)
    for e in cleaned.errors + check_item_values(KIND_PROGRAMS, cleaned.values, {}):
        errors.append(RowError(line, _FIELD_KEYS.get(e.field, e.field), e.message))
    values = cleaned.values
    program = SupportProgram(**values)
    if program.fiscal_year is None:
        program.fiscal_year = derive_fiscal_year(program.opens_on, program.closes_on)
    return program, errors
