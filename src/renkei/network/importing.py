"""Import organizations (産学官金・支援機関) from CSV (UTF-8 / Shift_JIS) or .xlsx.

Only a superuser or the secretariat of a region may register that region's bodies. 上位機関 names a body of the
same region, already registered or anywhere in the same file (any order); nothing is written unless every row
is good, and then everything is written in one transaction.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction

from renkei.core.tabular import (
    ColumnMap,
    ImportResult,
    RowError,
    data_rows,
    normalize_header,
    open_table,
    strip_formula_guard,
    undecodable_message,
)
from renkei.core.text import digits_only, nfkc, squash_spaces

from .choices import OrganizationKind
from .models import Organization, Region
from .selectors import StaffContext, staff_context

ORGANIZATION_LABELS = {
    "name": "名称",
    "short_name": "略称",
    "kana": "よみがな",
    "kind": "種別",
    "parent": "上位機関",
    "region": "地域",
    "postal_code": "郵便番号",
    "address": "住所",
    "representative_title": "代表者役職",
    "representative_name": "代表者氏名",
    "url": "URL",
    "phone": "電話番号",
    "email": "メールアドレス",
    "description": "概要",
    "is_plan_member": "連携支援計画の構成機関",
}
_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("機関名", "組織名", "団体名", "機関名称"),
    "short_name": ("略名",),
    "kana": ("フリガナ", "ふりがな", "読み仮名", "名称よみがな", "機関名よみがな"),
    "kind": ("区分", "機関種別", "種類", "産学官金"),
    "parent": ("親機関", "上位組織", "上部機関"),
    "region": ("都道府県", "地域名"),
    "postal_code": ("〒",),
    "address": ("所在地",),
    "representative_title": ("代表者の役職", "役職"),
    "representative_name": ("代表者", "代表者名"),
    "url": ("ホームページ", "hp", "webサイト"),
    "phone": ("電話", "tel"),
    "email": ("メール", "e-mail", "mail"),
    "description": ("説明",),
    "is_plan_member": ("計画構成機関", "構成機関", "連携支援計画"),
}
ORGANIZATION_ALIASES: dict[str, str] = {}
for _key, _label in ORGANIZATION_LABELS.items():
    for _typed in (_label, _key, *_ALIASES.get(_key, ())):
        ORGANIZATION_ALIASES.setdefault(normalize_header(_typed), _key)

KIND_SYMBOLS = {
    OrganizationKind.INDUSTRY: "産",
    OrganizationKind.ACADEMIA: "学",
    OrganizationKind.GOVERNMENT: "官",
    OrganizationKind.FINANCE: "金",
    OrganizationKind.SUPPORT: "支援機関",
}
_KIND_WORDS: dict[str, str] = {"支援": OrganizationKind.SUPPORT}
for _value, _label in OrganizationKind.choices:
    for _word in (_value, _label, _label.split("（")[0], KIND_SYMBOLS[_value]):
        _KIND_WORDS[nfkc(_word).lower()] = _value

MAX_LENGTHS = {
    "name": 200,
    "short_name": 60,
    "kana": 200,
    "address": 300,
    "representative_title": 100,
    "representative_name": 100,
    "url": 200,
    "phone": 30,
    "email": 254,
    "description": 10_000,
}
_TRUE = {"はい", "1", "true", "yes", "○", "〇", "構成機関", "有"}
_FALSE = {"", "いいえ", "0", "false", "no", "×", "無"}
_PHONE_RE = re.compile(r"^[0-9()+\-]{6,30}$")
_URL_RE = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    region: Region
    parent_name: str
    parent_id: int | None = None
    parent_row: int | None = None  # index into the list of new rows
    obj: Organization | None = None


def import_organizations(
    source: str | os.PathLike | BinaryIO | IO[bytes],
    *,
    actor: User,
    dry_run: bool = False,
    filename: str | None = None,
) -> ImportResult:
    """Validate every row and, unless ``dry_run`` or any row is bad, register all organizations at once."""
    result = ImportResult(dry_run=dry_run, noun="機関")
    ctx = staff_context(actor)
    if not ctx.is_superuser and not ctx.secretariat_region_ids:
        result.add_file_error("機関を取り込めるのは、地域の事務局とシステム管理者だけです。")
        return result
    default_region = _default_region(ctx)
    required = ("name", "kind") if default_region else ("name", "kind", "region")
    opened = open_table(
        source,
        filename=filename,
        result=result,
        aliases=ORGANIZATION_ALIASES,
        labels=ORGANIZATION_LABELS,
        required=required,
    )
    if opened is None:
        return result
    table, columns = opened
    regions = _region_lookup()
    existing = {
        (region_id, squash_spaces(name)): pk
        for pk, region_id, name in Organization.objects.values_list("pk", "region_id", "name")
    }
    rows: list[_Row] = []
    row_of_name: dict[tuple[int, str], int] = {}
    for number, cells, undecodable in data_rows(table, result):
        if undecodable:
            result.errors.append(RowError(number, "", undecodable_message(table)))
            continue
        row = _clean_row(number, cells, columns, result, ctx, regions, default_region)
        if row is None or not row.values["name"]:
            continue
        key = (row.region.pk, row.values["name"])
        if key in row_of_name:
            first = rows[row_of_name[key]].number
            result.errors.append(
                RowError(number, _col(columns, "name"), f"「{key[1]}」が {first}行目と重複しています。")
            )
            continue
        if key in existing:
            result.errors.append(
                RowError(
                    number,
                    _col(columns, "name"),
                    f"「{key[1]}」はすでに{row.region.name}の機関として登録されています。",
                )
            )
            continue
        row_of_name[key] = len(rows)
        rows.append(row)
    _resolve_parents(rows, row_of_name, existing, columns, result)
    if result.errors or dry_run:
        return result
    try:
        with transaction.atomic():
            _write(rows, actor)
    except IntegrityError:
        result.add_file_error(
            "取り込みの最中に同じ名称の機関がほかの操作で登録されました。何も登録していません。"
            "もう一度取り込んでください。"
        )
        return result
    result.created = len(rows)
    return result


def _col(columns: ColumnMap, key: str) -> str:
    return columns.header.get(key, ORGANIZATION_LABELS[key])


def _default_region(ctx: StaffContext) -> int | None:
    """A secretariat of exactly one region may leave 地域 blank."""
    if not ctx.is_superuser and len(ctx.secretariat_region_ids) == 1:
        return next(iter(ctx.secretariat_region_ids))
    return None


def _region_lookup() -> dict[str, Region]:
    """Region by slug, name, prefecture name (with or without 都府県), prefecture code and 団体コード."""
    out: dict[str, Region] = {}
    for region in Region.objects.select_related("prefecture"):
        pref = region.prefecture
        short = pref.name if pref.name == "北海道" else pref.name.rstrip("都府県")
        for word in (region.slug, region.name, pref.name, short, pref.code, pref.lgcode, str(region.pk)):
            out.setdefault(nfkc(word).lower(), region)
    return out


def _clean_row(
    number: int,
    cells: Any,
    columns: ColumnMap,
    result: ImportResult,
    ctx: StaffContext,
    regions: dict[str, Region],
    default_region: int | None,
) -> _Row | None:
    raw = {key: strip_formula_guard(cells[i]) if i < len(cells) else None for key, i in columns.index.items()}
    errors: list[RowError] = []

    def err(key: str, message: str) -> None:
        errors.append(RowError(number, _col(columns, key), message))

    values: dict[str, Any] = {}
    for key in ("name", "short_name", "kana", "address", "representative_title", "representative_name"):
        values[key] = squash_spaces(raw.get(key))
    values["description"] = nfkc(raw.get("description")) if raw.get("description") is not None else ""
    if not values["name"]:
        err("name", "名称を入力してください。")
    kind_text = nfkc(raw.get("kind")).lower()
    values["kind"] = _KIND_WORDS.get(kind_text, "")
    if not values["kind"]:
        shown = f"（入力: {kind_text[:20]}）" if kind_text else ""
        err("kind", f"種別は 産・学・官・金・支援機関 のいずれかで入力してください{shown}。")
    region = _region(raw.get("region"), regions, default_region, err)
    if region is not None and not ctx.is_superuser and region.pk not in ctx.secretariat_region_ids:
        err("region", f"{region.name}の機関を登録できるのは、{region.name}の事務局だけです。")
    postal = digits_only(raw.get("postal_code")).removeprefix("〒")
    if isinstance(raw.get("postal_code"), int):
        postal = postal.zfill(7)
    values["postal_code"] = f"{postal[:3]}-{postal[3:]}" if postal else ""
    if postal and not (postal.isdigit() and len(postal) == 7):
        err("postal_code", "郵便番号は数字7桁で入力してください（例: 260-8667）。")
    values["phone"] = nfkc(raw.get("phone")).replace(" ", "").replace("ー", "-")
    if values["phone"] and not _PHONE_RE.match(values["phone"]):
        err("phone", "電話番号は数字とハイフンで入力してください（例: 043-223-2711）。")
    values["url"] = nfkc(raw.get("url"))
    if values["url"] and not _URL_RE.match(values["url"]):
        err("url", "URLは http:// または https:// から始まる形式で入力してください。")
    values["email"] = nfkc(raw.get("email"))
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            err("email", "メールアドレスの形式が正しくありません。")
    plan = raw.get("is_plan_member")
    plan_text = "" if plan is None else nfkc(str(plan)).lower()
    if isinstance(plan, bool) or plan_text in _TRUE | _FALSE:
        values["is_plan_member"] = plan if isinstance(plan, bool) else plan_text in _TRUE
    else:
        err(
            "is_plan_member",
            f"{ORGANIZATION_LABELS['is_plan_member']}は「はい」か「いいえ」で入力してください。",
        )
    for key, maximum in MAX_LENGTHS.items():
        if len(values[key]) > maximum:
            err(
                key,
                f"{ORGANIZATION_LABELS[key]}は{maximum:,}文字以内で入力してください（現在 {len(values[key]):,} 文字）。",
            )
    result.errors.extend(errors)
    if region is None:
        return None
    # A row with errors still takes part in the duplicate and 上位機関 checks, so every problem is reported.
    return _Row(number, values, region, squash_spaces(raw.get("parent")))


def _region(value: Any, regions: dict[str, Region], default_region: int | None, err) -> Region | None:
    text = nfkc(value).lower()
    if not text:
        if default_region is not None:
            return next(r for r in regions.values() if r.pk == default_region)
        err("region", "地域（都道府県名または地域の識別子）を入力してください。")
        return None
    region = regions.get(text)
    if region is None:
        err(
            "region",
            f"地域「{nfkc(value)[:20]}」は登録されていません。都道府県名（例: 千葉県）で入力してください。",
        )
    return region


def _resolve_parents(
    rows: list[_Row],
    row_of_name: dict[tuple[int, str], int],
    existing: dict[tuple[int, str], int],
    columns: ColumnMap,
    result: ImportResult,
) -> None:
    """Find each 上位機関 in the same region (registered, or a row of the file) and refuse cycles."""
    column = _col(columns, "parent")
    for row in rows:
        if not row.parent_name:
            continue
        key = (row.region.pk, row.parent_name)
        if row.parent_name == row.values["name"]:
            result.errors.append(RowError(row.number, column, "自分自身を上位機関にすることはできません。"))
        elif key in existing:
            row.parent_id = existing[key]
        elif key in row_of_name:
            row.parent_row = row_of_name[key]
        else:
            result.errors.append(
                RowError(
                    row.number,
                    column,
                    f"上位機関「{row.parent_name}」が{row.region.name}の機関にもこのファイルにも見つかりません。",
                )
            )
    for start, row in enumerate(rows):
        seen = {start}
        at = row.parent_row
        while at is not None:
            if at in seen:
                result.errors.append(
                    RowError(row.number, column, "上位機関をたどると元の機関に戻ります（循環しています）。")
                )
                break
            seen.add(at)
            at = rows[at].parent_row


def _write(rows: list[_Row], actor: User) -> None:
    """Parents before children: level by level, so every parent has its id when its children are written."""
    depth: dict[int, int] = {}

    def level(i: int) -> int:
        if i not in depth:
            parent = rows[i].parent_row
            depth[i] = 0 if parent is None else level(parent) + 1
        return depth[i]

    for i in range(len(rows)):
        level(i)
    for d in range(max(depth.values(), default=-1) + 1):
        batch = [row for i, row in enumerate(rows) if depth[i] == d]
        for row in batch:
            parent_id = row.parent_id if row.parent_row is None else rows[row.parent_row].obj.pk
            row.obj = Organization(**row.values, region=row.region, parent_id=parent_id, created_by=actor)
        objs = [row.obj for row in batch]
        if connection.features.can_return_rows_from_bulk_insert:
            Organization.objects.bulk_create(objs, batch_size=1000)
        else:
            for obj in objs:
                obj.save()
