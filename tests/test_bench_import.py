"""``renkei bench import`` runs in a throwaway database and leaves nothing behind (times are not asserted)."""

from __future__ import annotations

import glob
import os
import tempfile

from renkei.bench.imports import run_import_bench
from renkei.companies.models import Company


def test_import_bench_shape_and_cleanup(db):
    pattern = os.path.join(tempfile.gettempdir(), "renkei-bench-*")
    before = set(glob.glob(pattern))
    result = run_import_bench(rows=500)
    assert result["rows"] == 500
    assert result["import_ok"] is True and result["import_errors"] == []
    assert result["imported_rows"] == 500
    assert result["raw_bulk_create_rows"] == 500
    assert result["raw_batch_insert_rows"] == 500
    assert result["database"].split()[0] in {"sqlite", "postgresql"}
    assert result["generator"].startswith("renkei.")
    for key in (
        "import_rows_per_s",
        "validate_only_rows_per_s",
        "raw_bulk_create_rows_per_s",
        "raw_batch_insert_rows_per_s",
        "ratio_import_to_bulk_create",
        "ratio_import_to_batch_insert",
        "peak_rss_mb_after_import",
    ):
        assert isinstance(result[key], (int, float)) and result[key] > 0, key
    assert isinstance(result["meets_targets"], bool)
    assert result["cleaned_up"] is True  # the throwaway database / schema is gone
    assert set(glob.glob(pattern)) == before
    assert Company.objects.count() == 0  # the configured database was never written to
