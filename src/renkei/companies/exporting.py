"""Export companies to CSV or .xlsx — only what ``Company.objects.visible_to(actor)`` allows.

The headers are the Japanese labels the importer reads, so an export can be edited in Excel and imported again;
a few columns for people to read (産業分類名, 市区町村名, 企業規模, 登録機関 …) are ignored on import.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User

from renkei.core.tabular_export import BOOL, DATE, INT, ExportColumn, export_queryset

from .choices import SizeClass
from .selectors import company_list
from .validation import FIELD_LABELS

L = FIELD_LABELS
# (column, the value's path for values_list); export-only columns are listed in importing.EXPORT_ONLY_HEADERS.
COLUMNS: tuple[tuple[ExportColumn, str], ...] = (
    (ExportColumn(L["corporate_number"], width=16), "corporate_number"),
    (ExportColumn(L["name"], width=30), "name"),
    (ExportColumn(L["kana"], width=24), "kana"),
    (ExportColumn(L["jsic_code"], width=10), "jsic_id"),
    (ExportColumn("産業分類名", width=24), "jsic__name"),
    (ExportColumn(L["capital"], INT, width=16), "capital"),
    (ExportColumn(L["employees"], INT, width=10), "employees"),
    (ExportColumn(L["founded_on"], DATE, width=12), "founded_on"),
    (ExportColumn(L["postal_code"], width=10), "postal_code"),
    (ExportColumn(L["municipality_code"], width=10), "municipality_id"),
    (ExportColumn("市区町村名", width=16), "municipality__name"),
    (ExportColumn(L["address"], width=30), "address"),
    (ExportColumn(L["phone"], width=14), "phone"),
    (ExportColumn(L["url"], width=30), "url"),
    (ExportColumn(L["technologies"], width=40), "technologies"),
    (ExportColumn(L["products"], width=30), "products"),
    (ExportColumn(L["certifications"], width=24), "certifications"),
    (ExportColumn(L["consent_share_region"], BOOL, width=10), "consent_share_region"),
    (ExportColumn(L["consent_share_outside"], BOOL, width=10), "consent_share_outside"),
    (ExportColumn("企業規模", width=12), "size_class"),
    (ExportColumn("登録機関", width=24), "owner_organization__name"),
    (ExportColumn("地域", width=10), "region__name"),
)


def export_companies(
    *,
    actor: User,
    path: Path | str | None = None,
    stream: Any = None,
    encoding: str = "utf-8-sig",
    fmt: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> int:
    """Write the companies ``actor`` may see to ``path`` or ``stream``; returns the number of rows.

    ``fmt`` is "csv" or "xlsx" (default: from the path's suffix, else CSV). CSV goes to a text stream (UTF-8
    with BOM by default, so Excel opens it); .xlsx to a binary stream.
    """
    return export_queryset(
        company_list(user=actor),
        COLUMNS,
        labels={"size_class": dict(SizeClass.choices)},
        title="企業",
        path=path,
        stream=stream,
        encoding=encoding,
        fmt=fmt,
        warn=warn,
    )
