"""``renkei bench cases`` runs in a throwaway database, prints the agreed JSON shape, and leaves nothing behind.

Times are never asserted; the shape, the generated volume and the cleanup are."""

from __future__ import annotations

import glob
import io
import json
import os
import tempfile

import pytest

from renkei.bench.cases import cli, run_cases_bench
from renkei.cases.models import Case

PAGES = {"inbox", "case", "overdue", "api_list"}


def test_cases_bench_shape_and_cleanup(db):
    pattern = os.path.join(tempfile.gettempdir(), "renkei-bench-cases-*")
    before = set(glob.glob(pattern))
    progress = io.StringIO()

    result = run_cases_bench(cases=600, database="sqlite", requests=6, out=progress)

    assert result["cases"] == 600 and result["database"] == "sqlite"
    assert set(result["pages"]) == PAGES
    for page, figures in result["pages"].items():
        assert set(figures) == {"p50_ms", "p95_ms", "queries"}, page
        assert 0 < figures["p50_ms"] <= figures["p95_ms"], page
        assert isinstance(figures["queries"], int) and figures["queries"] > 0, page
    assert result["problems"] == []  # every page answered 200 for every user
    assert result["events"] >= 600 and result["handoffs"] > 0
    assert result["generate_rows_per_s"] > 0 and result["database_mb"] > 0
    assert set(result["api_queries_by_limit"]) == {"10", "50", "100"}
    assert result["database_version"].startswith("sqlite")
    assert isinstance(result["meets_targets"], bool)
    # The inbox's merged branches return exactly the rows of the single OR query they replace, page for page.
    assert result["inbox_selector_vs_baseline"]["same_rows"] is True
    assert "inbox: p50" in progress.getvalue()
    assert result["cleaned_up"] is True
    assert set(glob.glob(pattern)) == before
    assert Case.objects.count() == 0  # the configured database was never written to


def test_cli_prints_json(db):
    out = io.StringIO()

    assert cli(["--cases", "50", "--requests", "3", "--json"], out=out) == 0

    printed = json.loads(out.getvalue())
    assert printed["cases"] == 50 and set(printed["pages"]) == PAGES


def test_bad_arguments_are_refused(db, monkeypatch):
    with pytest.raises(ValueError):
        run_cases_bench(cases=0)
    with pytest.raises(ValueError):
        run_cases_bench(cases=10, database="oracle")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        run_cases_bench(cases=10, database="postgres")
