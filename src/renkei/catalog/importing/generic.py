"""Import catalog items of any kind from a CSV (UTF-8 / Shift_JIS) or .xlsx made by people.

Headers are read in Japanese with aliases (「機器名」「機器名称」「装置名」 …); for a file whose headers we do not know,
``mapping`` ({"機器名称": "name", "設置機関": "organization", "備考": ""}: header as typed → field key, "" to skip)
says which column is which, given as a dict or a JSON file. The organization of each row is named in a column
(by name, without its legal form, or by id) or defaults to ``organization``; each row is checked against the
same permission rule as the services (the staff of that organization or the secretariat of its region), so a
row naming another region's body is refused. A column 「ID」 (番号 in the source) makes re-imports update.
Programs may state their eligibility in plain columns (従業員数上限, 資本金上限, 対象地域, 対象業種, 企業規模 …) or
as a ``renkei-eligibility/1`` JSON column.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

from django.contrib.auth.models import User

from renkei.core.tabular import (
    ColumnMap,
    RowError,
    Table,
    data_rows,
    map_columns,
    normalize_header,
    open_table,
    strip_formula_guard,
    undecodable_message,
)
from renkei.core.text import nfkc, squash_spaces
from renkei.network.models import Organization, Region
from renkei.network.selectors import StaffContext, staff_context

from ..choices import (
    KIND_EQUIPMENT,
    KIND_LABELS,
    KIND_PROGRAMS,
    KIND_RESEARCHERS,
    KIND_SEEDS,
    KIND_TEST_SERVICES,
)
from ..models import CatalogSource, Equipment, Researcher
from ..policies import can_write_for
from ..services import MODELS, check_item_values, finish_item
from ..validation import FIELDS, LABELS, clean, clean_list, parse_yen
from .common import (
    AreaLookup,
    CatalogImportResult,
    IndustryLookup,
    OrganizationLookup,
    SourceSpec,
    StoredItems,
    bulk_upsert,
    find_region,
    source_touch,
    source_upsert,
    update_fields_of,
    write_all,
)

RELATION_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    KIND_RESEARCHERS: {"organization": ("所属機関", "機関", "機関名", "機関ID", "大学名")},
    KIND_SEEDS: {
        "institution": ("研究機関", "所属機関", "機関", "機関名", "大学名", "大学・機関名"),
        "researcher": ("研究者", "研究者名", "氏名", "研究代表者", "教員名"),
    },
    KIND_EQUIPMENT: {"organization": ("保有機関", "機関", "機関名", "所有機関", "設置機関", "機関ID")},
    KIND_TEST_SERVICES: {
        "organization": ("実施機関", "機関", "機関名", "機関ID"),
        "equipment": ("使用機器", "使用装置", "機器"),
    },
    KIND_PROGRAMS: {"organization": ("実施機関", "機関", "機関名", "実施主体", "提供機関", "所管")},
}
RELATION_LABELS = {
    "organization": "機関",
    "institution": "研究機関",
    "researcher": "研究者",
    "equipment": "使用機器",
}
FIELD_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    KIND_RESEARCHERS: {
        "name": ("研究者名", "氏名", "教員名"),
        "fields": ("分野", "専門分野"),
        "kana": ("フリガナ", "ふりがな"),
    },
    KIND_SEEDS: {
        "title": ("テーマ", "研究課題名", "シーズ名", "タイトル", "研究テーマ名"),
        "summary": ("内容", "研究内容", "シーズの概要", "説明"),
        "keywords": ("キーワード等",),
        "ip_status": ("知財", "特許", "知的財産権", "特許の状況"),
        "stage": ("段階", "開発段階"),
        "contact_route": ("問い合わせ先", "連絡方法", "窓口"),
    },
    KIND_EQUIPMENT: {
        "name": ("機器名称", "装置名", "設備名", "機器・設備名"),
        "maker": ("製造者", "メーカー名"),
        "model_number": ("型番", "型式・型番", "モデル"),
        "category": ("機器分類", "種類", "区分"),
        "specifications": ("仕様・性能", "性能", "主な仕様", "スペック"),
        "location": ("設置場所・部屋", "場所"),
        "external_use": ("外部利用", "貸出", "開放", "貸出可"),
        "fee_summary": ("料金", "使用料", "利用料", "手数料"),
    },
    KIND_TEST_SERVICES: {
        "name": ("項目", "試験名", "依頼試験項目", "試験・分析項目"),
        "method": ("方法", "試験法"),
        "standard": ("規格", "jis", "準拠規格"),
        "fee_yen": ("料金", "手数料（円）", "金額", "単価"),
        "fee_note": ("備考",),
    },
    KIND_PROGRAMS: {
        "title": ("施策名", "事業名", "制度名", "補助金名"),
        "kind": ("種別", "区分", "支援の種類"),
        "summary": ("内容", "事業内容", "説明"),
        "rate_text": ("補助率・助成率", "助成率"),
        "cap_yen": ("上限", "補助上限額", "限度額", "上限金額"),
        "opens_on": ("募集開始日", "公募開始日", "受付開始"),
        "closes_on": ("締切日", "募集締切日", "公募締切日", "締切"),
        "eligibility_text": ("対象者", "対象"),
        "eligibility": ("対象者の条件(json)", "条件json"),
    },
}
COMMON_ALIASES = {
    "external_id": ("id", "番号", "管理番号"),
    "is_public": ("公開する",),
    "url": ("ホームページ", "詳細url"),
}
# Plain columns that make up a program's eligibility rules.
ELIGIBILITY_COLUMNS: dict[str, tuple[str, ...]] = {
    "elig.employees_max": ("従業員数上限", "従業員上限", "従業員数の上限"),
    "elig.employees_min": ("従業員数下限", "従業員下限", "従業員数の下限"),
    "elig.capital_max": ("資本金上限", "資本金の上限"),
    "elig.size_classes": ("企業規模", "対象企業規模"),
    "elig.prefectures": ("対象地域", "対象都道府県"),
    "elig.jsic": ("対象業種", "対象業種コード"),
    "elig.age_max": ("設立からの年数上限", "創業からの年数上限", "設立年数上限"),
    "elig.stages": ("対象段階", "事業段階"),
}
ELIGIBILITY_LABELS = {key: names[0] for key, names in ELIGIBILITY_COLUMNS.items()}


def _labels(kind: str) -> dict[str, str]:
    labels = dict(LABELS[kind])
    labels.update({k: RELATION_LABELS[k] for k in RELATION_COLUMNS[kind]})
    if kind == KIND_PROGRAMS:
        labels.update(ELIGIBILITY_LABELS)
    return labels


def _aliases(kind: str, mapping: dict[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    groups = [FIELD_ALIASES[kind], COMMON_ALIASES, RELATION_COLUMNS[kind]]
    if kind == KIND_PROGRAMS:
        groups.append(ELIGIBILITY_COLUMNS)
    for typed_key, label in _labels(kind).items():
        out.setdefault(normalize_header(label), typed_key)
        out.setdefault(normalize_header(typed_key), typed_key)
    for group in groups:
        for key, names in group.items():
            if key in _labels(kind):
                for name in names:
                    out.setdefault(normalize_header(name), key)
    for typed, key in mapping.items():
        out[normalize_header(typed)] = key or _SKIP
    return out


_SKIP = "__skip__"


def load_mapping(
    mapping: dict[str, str] | str | os.PathLike | None, kind: str
) -> tuple[dict[str, str], list[str]]:
    """The explicit column mapping (a dict or a JSON file) and its errors in Japanese."""
    if mapping is None:
        return {}, []
    if isinstance(mapping, (str, os.PathLike)):
        try:
            mapping = json.loads(Path(mapping).read_text(encoding="utf-8-sig"))
        except OSError:
            return {}, [f"列の対応づけのファイルが見つかりません: {Path(mapping).name}"]
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return {}, [f"列の対応づけのファイルが JSON として読めません（{exc}）。"]
    if not isinstance(mapping, dict) or not all(isinstance(k, str) for k in mapping):
        return {}, ['列の対応づけは {"見出し": "項目", …} の形の JSON で指定してください。']
    labels = _labels(kind)
    errors = []
    clean_map: dict[str, str] = {}
    for typed, key in mapping.items():
        if key in (None, ""):
            clean_map[typed] = ""
        elif not isinstance(key, str) or key not in labels:
            allowed = "、".join(f"{k}（{v}）" for k, v in labels.items())
            errors.append(
                f"列「{typed}」の対応づけ先「{key}」は{KIND_LABELS[kind]}の項目ではありません（使える項目: {allowed}）。"
            )
        else:
            clean_map[typed] = key
    return clean_map, errors


@dataclass
class _Context:
    kind: str
    ctx: StaffContext
    region: Region | None
    default_org: Organization | None
    orgs: OrganizationLookup
    column: Callable[[str], str]


def import_catalog_table(
    kind: str,
    source: str | os.PathLike | BinaryIO | IO[bytes],
    *,
    actor: User,
    region: Region | int | str | None = None,
    organization: int | str | None = None,
    mapping: dict[str, str] | str | os.PathLike | None = None,
    dry_run: bool = False,
    filename: str | None = None,
    source_name: str | None = None,
) -> CatalogImportResult:
    """Validate every row and, unless ``dry_run`` or any row is bad, create (or, by ID, update) all items."""
    result = CatalogImportResult(dry_run=dry_run, noun=KIND_LABELS[kind])
    c = _start(kind, result, actor=actor, region=region, organization=organization)
    if c is None:
        return result
    column_map, errors = load_mapping(mapping, kind)
    for message in errors:
        result.add_file_error(message)
    if errors:
        return result
    opened = open_table(
        source,
        filename=filename,
        result=result,
        aliases=_aliases(kind, column_map),
        labels=_labels(kind),
        required=_required(kind, c.default_org),
        ignored=[h for h, k in column_map.items() if not k],
    )
    if opened is None:
        return result
    table, columns = opened
    spec = SourceSpec(name=source_name or f"{KIND_LABELS[kind]}の取り込み: {filename or _name_of(source)}")
    return _run(c, result, table, columns, actor=actor, spec=spec)


def import_catalog_records(
    kind: str,
    records: Sequence[dict[str, Any]],
    *,
    actor: User,
    source: SourceSpec,
    region: Region | int | str | None = None,
    organization: int | str | None = None,
    dry_run: bool = False,
) -> CatalogImportResult:
    """The same import from records already in memory (keys: field keys or the headers a file would have),
    e.g. the demo's JSON data. Record number n is reported as row n + 1, as if under a header row."""
    result = CatalogImportResult(dry_run=dry_run, noun=KIND_LABELS[kind])
    c = _start(kind, result, actor=actor, region=region, organization=organization)
    if c is None:
        return result
    headers = list(dict.fromkeys(key for record in records for key in record))
    rows = ((i, [record.get(h) for h in headers], False) for i, record in enumerate(records, start=2))
    table = Table(headers=headers, header_row=1, rows=rows, source_format="JSON")
    columns = map_columns(
        headers, aliases=_aliases(kind, {}), labels=_labels(kind), required=_required(kind, c.default_org)
    )
    for message in columns.errors:
        result.add_file_error(message)
    result.warnings.extend(columns.warnings)
    if columns.errors:
        return result
    return _run(c, result, table, columns, actor=actor, spec=source)


def _start(
    kind: str, result: CatalogImportResult, *, actor: User, region: Any, organization: Any
) -> _Context | None:
    """Who imports, into which region, with which default organization; None (and a file error) if refused."""
    if kind not in MODELS:
        raise ValueError(kind)
    ctx = staff_context(actor)
    if not ctx.is_superuser and not ctx.writer_org_ids:
        result.add_file_error(
            f"{KIND_LABELS[kind]}を取り込めるのは、機関の事務局・コーディネーター・担当者です。"
        )
        return None
    try:
        region_obj = find_region(region)
    except LookupError as exc:
        result.add_file_error(str(exc))
        return None
    orgs = OrganizationLookup(region_obj)
    default_org = None
    if organization not in (None, ""):
        default_org, problem = orgs.find(organization)
        if default_org is None:
            result.add_file_error(problem or f"既定の機関「{organization}」が見つかりません。")
            return None
    return _Context(kind, ctx, region_obj, default_org, orgs, lambda key: key)


def _required(kind: str, default_org: Organization | None) -> list[str]:
    required = [FIELDS[kind][0].key]
    if kind in (KIND_EQUIPMENT, KIND_TEST_SERVICES) and default_org is None:
        required.append(next(iter(RELATION_COLUMNS[kind])))
    return required


def _run(
    c: _Context,
    result: CatalogImportResult,
    table: Table,
    columns: ColumnMap,
    *,
    actor: User,
    spec: SourceSpec,
) -> CatalogImportResult:
    model = MODELS[c.kind]
    labels = _labels(c.kind)
    columns.index.pop(_SKIP, None)
    c.column = lambda key: columns.header.get(key, labels.get(key, key))
    stored = StoredItems(
        model, CatalogSource.objects.filter(name=spec.name).first(), c.ctx, noun=KIND_LABELS[c.kind]
    )
    lookups = _Lookups(c.kind, actor)
    items: list[Any] = []
    first_row_of: dict[str, int] = {}
    for number, cells, undecodable in data_rows(table, result):
        if undecodable:
            result.errors.append(RowError(number, "", undecodable_message(table)))
            continue
        raw = {
            key: strip_formula_guard(cells[i]) if i < len(cells) else None for key, i in columns.index.items()
        }
        item, errors = _row(c, lookups, number, raw)
        ext = item.external_id if item is not None else ""
        if ext:
            if ext in first_row_of:
                errors.append(
                    RowError(
                        number,
                        c.column("external_id"),
                        f"ID {ext} が {first_row_of[ext]}行目と重複しています。",
                    )
                )
            first_row_of.setdefault(ext, number)
            if reason := stored.refusal(ext):
                errors.append(RowError(number, c.column("external_id"), reason))
        result.errors.extend(errors)
        if item is not None and not result.errors:
            item.pk = stored.pk(ext) if ext else None
            items.append(item)
    if result.errors or result.dry_run:
        result.updated = sum(1 for i in items if i.pk)
        return result

    def write() -> None:
        src = source_upsert(spec)
        for item in items:
            item.source, item.created_by = src, actor
        keep = [] if "is_public" in columns.index else ["is_public"]
        updated = sum(1 for i in items if i.pk)
        bulk_upsert(model, items, update_fields=update_fields_of(model, keep=keep), source=src)
        source_touch(src)
        result.updated, result.created = updated, len(items) - updated

    write_all(result, write)
    return result


def _name_of(source: Any) -> str:
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return os.path.basename(str(getattr(source, "name", "") or "")) or "ファイル"


class _Lookups:
    """Researchers and equipment the rows may name, loaded once (only those the actor may see)."""

    def __init__(self, kind: str, actor: User) -> None:
        self.researchers: dict[str, list[Researcher]] = {}
        self.equipment: dict[tuple[int, str], Equipment] = {}
        self.areas = self.industries = None
        if kind == KIND_SEEDS:
            for r in Researcher.objects.visible_to(actor):
                self.researchers.setdefault(squash_spaces(r.name).replace(" ", ""), []).append(r)
        if kind == KIND_TEST_SERVICES:
            for e in Equipment.objects.visible_to(actor):
                self.equipment.setdefault((e.organization_id, squash_spaces(e.name)), e)
        if kind == KIND_PROGRAMS:
            self.areas, self.industries = AreaLookup(), IndustryLookup()


def _row(c: _Context, lookups: _Lookups, number: int, raw: dict[str, Any]) -> tuple[Any, list[RowError]]:
    kind = c.kind
    errors: list[RowError] = []
    relations = {k: raw.pop(k) for k in list(raw) if k in RELATION_COLUMNS[kind]}
    elig_cells = {k: raw.pop(k) for k in list(raw) if k.startswith("elig.")}
    resolved: dict[str, Any] = {}
    owner_key = next(iter(RELATION_COLUMNS[kind]))
    owner_text = relations.get(owner_key)
    owner, problem = c.orgs.find(owner_text) if owner_text not in (None, "") else (c.default_org, None)
    if problem:
        errors.append(RowError(number, c.column(owner_key), problem))
    elif owner is None and owner_text not in (None, ""):
        if kind == KIND_SEEDS:
            raw.setdefault("institution_name", owner_text)
        elif kind == KIND_PROGRAMS:
            raw.setdefault("provider_name", owner_text)
        else:
            problem = f"機関「{squash_spaces(str(owner_text))[:40]}」が登録されていません。"
    elif owner is None and kind in (KIND_EQUIPMENT, KIND_TEST_SERVICES):
        problem = f"{KIND_LABELS[kind]}を持つ機関を入力してください。"
    if problem and not errors:
        errors.append(RowError(number, c.column(owner_key), problem))
    resolved[owner_key] = owner
    if kind == KIND_PROGRAMS and owner is not None and not raw.get("provider_name"):
        raw["provider_name"] = owner.name
    if kind == KIND_PROGRAMS and elig_cells:
        rules, problems = _eligibility_from_columns(elig_cells, lookups, raw.get("eligibility"))
        errors += [RowError(number, c.column(k), m) for k, m in problems]
        raw["eligibility"] = rules
    elif kind == KIND_PROGRAMS and isinstance(raw.get("eligibility"), str):
        rules, problem = _json_rules(raw["eligibility"])
        if problem:
            errors.append(RowError(number, c.column("eligibility"), problem))
        raw["eligibility"] = rules
    cleaned = clean(kind, raw)
    for e in cleaned.errors:
        errors.append(RowError(number, c.column(e.field), e.message))
    region_id = owner.region_id if owner is not None else (c.region.pk if c.region else _own_region(c.ctx))
    if problem:
        pass  # the organization itself is wrong: said above
    elif owner is not None and c.region is not None and owner.region_id != c.region.pk:
        errors.append(
            RowError(
                number,
                c.column(owner_key),
                f"「{owner.name}」は{c.region.name}の機関ではありません（{owner.region.name}の機関です）。",
            )
        )
    elif not can_write_for(c.ctx, organization_id=owner.pk if owner else None, region_id=region_id):
        who = (
            f"「{owner.name}」の職員か{owner.region.name}の事務局"
            if owner
            else "地域の事務局かシステム管理者"
        )
        errors.append(
            RowError(number, c.column(owner_key), f"この{KIND_LABELS[kind]}を登録できるのは{who}だけです。")
        )
    _resolve_others(c, lookups, number, relations, owner, resolved, errors)
    for e in check_item_values(kind, cleaned.values, resolved, owner=owner):
        errors.append(
            RowError(
                number, c.column("eligibility" if e.field.startswith("eligibility") else e.field), e.message
            )
        )
    if errors:
        return None, errors
    item = MODELS[kind](**cleaned.values, **resolved)
    item.region_id = region_id
    finish_item(kind, item, explicit=cleaned.values)
    return item, []


def _own_region(ctx: StaffContext) -> int | None:
    return next(iter(ctx.secretariat_region_ids)) if len(ctx.secretariat_region_ids) == 1 else None


def _resolve_others(
    c: _Context,
    lookups: _Lookups,
    number: int,
    relations: dict[str, Any],
    owner: Organization | None,
    resolved: dict[str, Any],
    errors: list[RowError],
) -> None:
    name = squash_spaces(str(relations.get("researcher") or ""))
    if c.kind == KIND_SEEDS and name:
        found = lookups.researchers.get(name.replace(" ", ""), [])
        if owner is not None and len(found) > 1:
            found = [r for r in found if r.organization_id == owner.pk] or found
        if len(found) == 1:
            resolved["researcher"] = found[0]
        else:
            reason = (
                "同じ氏名の研究者が複数います"
                if found
                else "登録されていません（先に研究者を取り込んでください）"
            )
            errors.append(RowError(number, c.column("researcher"), f"研究者「{name[:40]}」が{reason}。"))
    equipment = squash_spaces(str(relations.get("equipment") or ""))
    if c.kind == KIND_TEST_SERVICES and equipment and owner is not None:
        found_equipment = lookups.equipment.get((owner.pk, equipment))
        if found_equipment is None:
            errors.append(
                RowError(
                    number,
                    c.column("equipment"),
                    f"「{owner.name}」の機器「{equipment[:40]}」が登録されていません。",
                )
            )
        resolved["equipment"] = found_equipment


def _json_rules(text: str) -> tuple[dict[str, Any], str | None]:
    if not text.strip():
        return {}, None
    try:
        value = json.loads(nfkc(text))
    except json.JSONDecodeError:
        return {}, '対象者の条件は JSON（例: {"employees": {"max": 300}}）で入力してください。'
    return value, None


def _eligibility_from_columns(
    cells: dict[str, Any], lookups: _Lookups, base: Any
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Rules from the plain columns (on top of a JSON column, if any)."""
    rules, problem = _json_rules(base) if isinstance(base, str) else (dict(base or {}), None)
    problems: list[tuple[str, str]] = [("eligibility", problem)] if problem else []
    rules = dict(rules) if isinstance(rules, dict) else {}

    def amount(key: str, label: str) -> int | None:
        value = cells.get(key)
        if value in (None, ""):
            return None
        number = parse_yen(value)
        if number is None or number < 0:
            problems.append((key, f"{label}は数字で入力してください（入力: {nfkc(str(value))[:20]}）。"))
        return number

    for key, rule, bound, label in (
        ("elig.employees_max", "employees", "max", "従業員数上限"),
        ("elig.employees_min", "employees", "min", "従業員数下限"),
        ("elig.capital_max", "capital", "max", "資本金上限"),
        ("elig.age_max", "company_age_years", "max", "設立からの年数上限"),
    ):
        value = amount(key, label)
        if value is not None:
            rules.setdefault(rule, {"min": None, "max": None})[bound] = value
    try:
        if sizes := clean_list("企業規模", cells.get("elig.size_classes")):
            words = {
                "中小企業": "sme",
                "中小企業者": "sme",
                "小規模企業者": "small",
                "小規模事業者": "small",
                "小規模企業": "small",
                "大企業": "large",
            }
            rules["size_classes"] = [words.get(s, s) for s in sizes]
        if areas := clean_list("対象地域", cells.get("elig.prefectures")):
            codes, unknown = lookups.areas.codes_for(areas)
            if unknown:
                problems.append(
                    (
                        "elig.prefectures",
                        f"対象地域「{'、'.join(unknown)[:40]}」を都道府県に対応づけられません。",
                    )
                )
            elif codes:
                rules["prefectures"] = codes
        if industries := clean_list("対象業種", cells.get("elig.jsic")):
            codes = [x.upper() for x in industries if x.upper() in lookups.industries.detail_codes]
            names = [x for x in industries if x.upper() not in lookups.industries.detail_codes]
            majors, unknown = lookups.industries.majors_for(names) if names else ([], [])
            if unknown:
                problems.append(
                    (
                        "elig.jsic",
                        f"対象業種「{'、'.join(unknown)[:40]}」は産業分類のコードでも大分類名でもありません。",
                    )
                )
            elif not (names and majors is None):  # naming all 20 大分類 is no constraint
                rules["jsic"] = sorted(set(codes) | set(majors or []))
        if stages := clean_list("対象段階", cells.get("elig.stages")):
            rules["stages"] = stages
    except ValueError as exc:
        problems.append(("eligibility", str(exc)))
    return rules, problems
