"""Catalog importers: KAKEN CSV (``kaken``), jGrants JSON (``jgrants``), and CSV/.xlsx of any kind (``generic``)."""

from .generic import import_catalog_records, import_catalog_table
from .jgrants import import_jgrants
from .kaken import import_kaken

__all__ = ["import_catalog_records", "import_catalog_table", "import_jgrants", "import_kaken"]
