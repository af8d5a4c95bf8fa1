"""Import companies from CSV (UTF-8 / Shift_JIS) or .xlsx.

Every row goes through the same ``CompanyValidator`` as the form and the API; duplicate 法人番号 (within the file
and against the region) are errors; nothing is written unless every row is good, and then all rows are written
in one transaction, in batches of one prepared INSERT (see ``CompanyBatchWriter``). The reference lookups are
loaded once, so there is no query per row (``renkei bench import`` measures the whole path).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from operator import attrgetter
from typing import IO, Any, BinaryIO

from django.contrib.auth.models import User
from django.db import IntegrityError, connection, transaction
from django.db.models import Field
from django.utils import timezone
from openpyxl.utils.datetime import from_excel

from renkei.core.errors import ApplicationError
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
from renkei.core.text import nfkc
from renkei.network.models import Organization
from renkei.network.selectors import StaffContext, staff_context

from .models import Company
from .services import owner_for_new_company, prepare_new_company, validator
from .validation import FIELD_LABELS, CompanyValidator

BATCH_SIZE = 2000
OWNER_COLUMN = "登録機関"

# Headers people type, normalized with ``normalize_header``; the labels and the keys themselves are added below.
_ALIASES: dict[str, tuple[str, ...]] = {
    "corporate_number": ("法人番号", "法人番号13桁", "corporatenumber"),
    "name": ("企業名", "会社名", "事業者名", "企業・団体名", "企業名称", "商号", "名称"),
    "kana": (
        "よみがな", "フリガナ", "ふりがな", "読み仮名", "よみ", "カナ",
        "企業名フリガナ", "企業名ふりがな", "会社名フリガナ", "会社名よみがな",
    ),
    "jsic_code": (
        "業種コード", "jsicコード", "jsic", "産業分類", "日本標準産業分類", "日本標準産業分類コード",
        "産業分類コード細分類", "業種分類コード",
    ),
    "capital": ("資本金額",),
    "employees": ("従業員", "社員数", "従業者数", "常時使用する従業員数"),
    "founded_on": ("設立日", "設立年月", "設立"),
    "postal_code": ("〒", "郵便"),
    "municipality_code": ("団体コード", "地方公共団体コード", "全国地方公共団体コード"),
    "address": ("所在地", "本社所在地", "町名番地"),
    "phone": ("電話", "tel", "電話番号代表"),
    "url": ("ホームページ", "hp", "webサイト", "ウェブサイト", "ホームページurl"),
    "technologies": ("技術", "強み", "保有技術", "技術/強み", "技術・強み・特徴"),
    "products": ("製品", "主要製品", "主な製品・サービス", "製品・サービス"),
    "certifications": ("認証", "認定", "認証・認定等", "取得認証"),
    "consent_share_region": ("地域内共有", "地域内共有同意", "地域内の情報共有に同意"),
    "consent_share_outside": ("地域外共有", "地域外共有同意", "地域外の情報共有に同意"),
}  # fmt: skip

COMPANY_ALIASES: dict[str, str] = {}
for _key, _label in FIELD_LABELS.items():
    for _typed in (_label, _key, *_ALIASES.get(_key, ())):
        COMPANY_ALIASES.setdefault(normalize_header(_typed), _key)

# Columns the export writes for people to read; an import of an export ignores them without a warning.
EXPORT_ONLY_HEADERS = (
    "産業分類名", "市区町村名", "企業規模", "業種区分", "企業規模の判定理由", "登録機関", "地域",
    "同意の確認日", "登録日", "更新日", "ID",
)  # fmt: skip
REQUIRED = ("name",)

# Units people put in the capital header: 資本金（千円）, 資本金(万円) …
_CAPITAL_UNITS = (("百万円", 1_000_000), ("千円", 1_000), ("万円", 10_000))
# Excel stores these as numbers and drops their leading zeros; the values are codes, not quantities.
_CODE_KEYS = {"corporate_number", "jsic_code", "postal_code", "municipality_code", "phone"}


def import_companies(
    source: str | os.PathLike | BinaryIO | IO[bytes],
    *,
    actor: User,
    owner_organization_id: int | None = None,
    dry_run: bool = False,
    filename: str | None = None,
) -> ImportResult:
    """Validate every row of ``source`` and, unless ``dry_run`` or any row is bad, register them all.

    The companies belong to ``owner_organization_id`` (default: the actor's first organization they may write
    for), exactly as ``company_create`` decides.
    """
    result = ImportResult(dry_run=dry_run, noun="企業")
    ctx = staff_context(actor)
    owner = _owner(ctx, owner_organization_id, result)
    if owner is None:
        return result
    opened = open_table(
        source,
        filename=filename,
        result=result,
        aliases=COMPANY_ALIASES,
        labels=FIELD_LABELS,
        required=REQUIRED,
        ignored=EXPORT_ONLY_HEADERS,
    )
    if opened is None:
        return result
    table, columns = opened
    v = validator()
    prepare = _RowPreparer(columns, v)
    existing = set(
        Company.objects.filter(region_id=owner.region_id, corporate_number__isnull=False).values_list(
            "corporate_number", flat=True
        )
    )
    first_row_of: dict[str, int] = {}
    number_header = columns.header.get("corporate_number", FIELD_LABELS["corporate_number"])
    writer = None if dry_run else CompanyBatchWriter(owner=owner, actor=actor)
    rows: list[list[Any]] = []
    errors = result.errors
    for row_number, cells, undecodable in data_rows(table, result):
        if undecodable:
            errors.append(RowError(row_number, "", undecodable_message(table)))
            continue
        cleaned = v.clean(prepare(cells))
        for e in cleaned.errors:
            column = columns.header.get(e.field, FIELD_LABELS.get(e.field, e.field))
            errors.append(RowError(row_number, column, e.message))
        values = cleaned.values
        number = values.get("corporate_number")
        if number:
            if number in first_row_of:
                message = f"法人番号 {number} が {first_row_of[number]}行目と重複しています。"
                errors.append(RowError(row_number, number_header, message))
            elif number in existing:
                message = (
                    f"法人番号 {number} の企業はすでにこの地域（{owner.region.name}）で登録されています。"
                )
                errors.append(RowError(row_number, number_header, message))
            first_row_of.setdefault(number, row_number)
        if writer is not None and not errors:  # once anything is wrong nothing is written: only validate
            rows.append(writer.row(writer.build(values)))
    if errors or writer is None:
        return result
    try:
        with transaction.atomic():
            writer.insert(rows)
    except IntegrityError:
        result.add_file_error(
            "取り込みの最中に同じ法人番号の企業がほかの操作で登録されました。何も登録していません。"
            "もう一度取り込んでください。",
            column=number_header,
        )
        return result
    result.created = len(rows)
    return result


def _owner(ctx: StaffContext, owner_organization_id: int | None, result: ImportResult) -> Organization | None:
    """The owning organization, by the rule of ``company_create``; a refusal becomes a file-level error."""
    try:
        return owner_for_new_company(ctx, owner_organization_id)
    except ApplicationError as exc:
        result.add_file_error(exc.message, column=OWNER_COLUMN)
        return None


class CompanyBatchWriter:
    """Builds the companies of an import as parameter rows and inserts them: on SQLite one prepared INSERT
    stepped for every row (``executemany``), on PostgreSQL ``COPY``.

    Why not ``Company.objects.bulk_create``: it compiles SQL for every value of every row, and on SQLite (999
    parameters, so 37 rows per statement) that measured about ten times slower than ``executemany`` of the same
    rows — slower than validating them (``renkei bench import`` shows both). The rows written are the ones
    ``bulk_create`` would write: every concrete field, the model's defaults, one timestamp for auto_now(_add),
    dates adapted by the backend, any other field type through the field's own ``get_db_prep_save``. Keeping
    parameter rows rather than model instances also keeps the memory of a large import small.
    """

    _PLAIN = {
        "CharField", "TextField", "SlugField", "BooleanField", "IntegerField", "BigIntegerField",
        "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField",
        "AutoField", "BigAutoField",
    }  # fmt: skip

    def __init__(self, *, owner: Organization, actor: User) -> None:
        now = timezone.now()
        fields = Company._meta.concrete_fields
        self.names = [f.attname for f in fields]
        self.base: dict[str, Any] = {}
        self.per_row_defaults = [f for f in fields if f.has_default() and callable(f.default)]
        for f in fields:
            if f not in self.per_row_defaults:
                self.base[f.attname] = f.get_default()
        self.base.update(region_id=owner.region_id, owner_organization_id=owner.pk, created_by_id=actor.pk)
        insert = [f for f in fields if f is not Company._meta.pk]
        self.values_of = attrgetter(*(f.attname for f in insert))
        # auto_now / auto_now_add get one timestamp for the whole import, as bulk_create gives one per object.
        stamp = connection.ops.adapt_datetimefield_value(now)
        auto = [
            i
            for i, f in enumerate(insert)
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        ]
        self.fixed = [(i, stamp) for i in auto]
        self.adapt = [(i, a) for i, f in enumerate(insert) if i not in auto and (a := self._adapter(f))]
        qn = connection.ops.quote_name
        # Table and column names come from the model's metadata, quoted by the backend; values are parameters.
        table, cols = qn(Company._meta.db_table), ", ".join(qn(f.column) for f in insert)
        self.sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join(['%s'] * len(insert))})"  # noqa: S608
        self.copy_sql = f"COPY {table} ({cols}) FROM STDIN"

    def _adapter(self, field: Field) -> Callable[[Any], Any] | None:
        kind = field.get_internal_type()
        if kind == "ForeignKey":
            kind = field.target_field.get_internal_type()
        if kind in self._PLAIN:
            return None
        if kind == "DateTimeField":
            return connection.ops.adapt_datetimefield_value
        if kind == "DateField":
            return connection.ops.adapt_datefield_value
        return lambda value: field.get_db_prep_save(value, connection)

    def build(self, values: dict[str, Any]) -> Company:
        """The company ``company_create`` would make from cleaned ``values`` (not saved)."""
        d = {**self.base, **values}
        for f in self.per_row_defaults:
            d[f.attname] = f.get_default()
        company = Company(*[d[name] for name in self.names])
        prepare_new_company(company)
        return company

    def row(self, company: Company) -> list[Any]:
        """The INSERT parameters for ``company``."""
        values = list(self.values_of(company))
        for i, stamp in self.fixed:
            values[i] = stamp
        for i, adapt in self.adapt:
            if values[i] is not None:
                values[i] = adapt(values[i])
        return values

    def insert(self, rows: list[list[Any]]) -> None:
        """Insert parameter rows (``row``); call inside the import's transaction."""
        with connection.cursor() as cursor:
            raw = cursor.cursor
            if connection.vendor == "postgresql" and hasattr(raw, "copy"):
                # psycopg 3: COPY streams the rows; one INSERT per row would cost a round trip each. The raw
                # cursor's errors are translated as Django's own (a duplicate → django.db.IntegrityError).
                with connection.wrap_database_errors, raw.copy(self.copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
                return
            # SQLite: one prepared statement, stepped in C for every row.
            for start in range(0, len(rows), BATCH_SIZE):
                cursor.executemany(self.sql, rows[start : start + BATCH_SIZE])


class _RowPreparer:
    """Turns the cells of a row into the raw dict the validator takes (Excel numbers and dates made sane)."""

    def __init__(self, columns: ColumnMap, v: CompanyValidator) -> None:
        self.items = list(columns.index.items())
        self.v = v
        typed = nfkc(columns.header.get("capital", ""))
        self.capital_unit = next((m for unit, m in _CAPITAL_UNITS if unit in typed), 1)

    def __call__(self, cells: Any) -> dict[str, Any]:
        n = len(cells)
        raw: dict[str, Any] = {}
        for key, i in self.items:
            value = cells[i] if i < n else None
            if value.__class__ is str:
                if value[:1] == "'":
                    value = strip_formula_guard(value)
            elif value is not None:
                value = self._typed(key, value)
            raw[key] = value
        if self.capital_unit != 1 and raw.get("capital") not in (None, ""):
            raw["capital"] = _scale(raw["capital"], self.capital_unit)
        return raw

    def _typed(self, key: str, value: Any) -> Any:
        """A non-text cell of an .xlsx."""
        if key in _CODE_KEYS and isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, float) and not value.is_integer():
                return str(value)
            text = str(int(value))
            if key == "jsic_code":
                return text.zfill(4)
            if key == "postal_code":
                return text.zfill(7)
            if key == "phone":
                return "0" + text  # Japanese numbers start with 0, which Excel drops
            if key == "municipality_code":
                if len(text) <= 4:
                    return text.zfill(5)
                if (
                    len(text) == 5
                    and text not in self.v.municipality_by_5
                    and "0" + text in self.v.municipalities
                ):
                    return "0" + text
            return text
        if key == "founded_on" and isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return from_excel(value)  # a date cell formatted as a number: Excel's serial day
            except (ValueError, OverflowError, TypeError):
                return str(value)
        if isinstance(value, dt.datetime) and key != "founded_on":
            return value.date().isoformat()
        return value


def _scale(value: Any, multiplier: int) -> Any:
    """資本金（千円）: 1,500 → 1,500,000 円. Anything that is not a number is left for the validator to refuse."""
    if isinstance(value, bool):
        return value
    try:
        amount = (
            Decimal(str(value))
            if isinstance(value, (int, float))
            else Decimal(nfkc(value).replace(",", "").removesuffix("円"))
        )
    except (InvalidOperation, ValueError):
        return value
    scaled = amount * multiplier
    return int(scaled) if scaled == scaled.to_integral_value() else value
