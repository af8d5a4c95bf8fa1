"""Export the organization directory to CSV or .xlsx, with the headers ``network/importing.py`` reads."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User

from renkei.core.errors import PermissionDenied
from renkei.core.tabular_export import BOOL, ExportColumn, export_queryset

from .importing import KIND_SYMBOLS, ORGANIZATION_LABELS
from .models import Organization
from .selectors import staff_context

L = ORGANIZATION_LABELS
COLUMNS: tuple[tuple[ExportColumn, str], ...] = (
    (ExportColumn(L["name"], width=32), "name"),
    (ExportColumn(L["short_name"], width=14), "short_name"),
    (ExportColumn(L["kana"], width=24), "kana"),
    (ExportColumn(L["kind"], width=8), "kind"),
    (ExportColumn(L["parent"], width=28), "parent__name"),
    (ExportColumn(L["region"], width=10), "region__name"),
    (ExportColumn(L["postal_code"], width=10), "postal_code"),
    (ExportColumn(L["address"], width=32), "address"),
    (ExportColumn(L["representative_title"], width=14), "representative_title"),
    (ExportColumn(L["representative_name"], width=14), "representative_name"),
    (ExportColumn(L["url"], width=30), "url"),
    (ExportColumn(L["phone"], width=14), "phone"),
    (ExportColumn(L["email"], width=24), "email"),
    (ExportColumn(L["description"], width=40), "description"),
    (ExportColumn(L["is_plan_member"], BOOL, width=10), "is_plan_member"),
)


def export_organizations(
    *,
    actor: User,
    path: Path | str | None = None,
    stream: Any = None,
    encoding: str = "utf-8-sig",
    fmt: str | None = None,
    warn: Callable[[str], None] | None = None,
) -> int:
    """Write the organization directory to ``path`` or ``stream``; returns the number of rows.

    The directory is public within the network (``Organization.objects.public()``); exporting it is for staff.
    """
    if not staff_context(actor).is_staff_member:
        raise PermissionDenied("機関の一覧を書き出せるのは、支援機関の職員とシステム管理者だけです。")
    return export_queryset(
        Organization.objects.public().order_by("region__prefecture__code", "name", "id"),
        COLUMNS,
        labels={"kind": KIND_SYMBOLS},
        title="機関",
        path=path,
        stream=stream,
        encoding=encoding,
        fmt=fmt,
        warn=warn,
    )
