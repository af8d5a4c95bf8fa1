"""The demo's catalog: the real KAKEN and jGrants samples, and fictitious equipment, test services and programs.

What it loads, all from ``renkei/demo/data/`` through the catalog's own importers (the same validation and the
same write path as ``renkei import-catalog``):
- ``fit_seeds_cleaned.csv``: a real KAKEN export (408 research projects of 福岡工業大学, CC BY 4.0, credit in
  ``kaken-SOURCE.txt``) → research seeds and researchers, national data (no region);
- ``jgrants_programs.jsonl``: 461 real support programs from the jGrants public API (政府標準利用規約 2.0, credit in
  ``jgrants-SOURCE.txt``) → support programs with derived eligibility rules, national data;
- ``equipment.json``, ``test-services.json``, ``programs.json``: **fictitious** instruments, 依頼試験 (with real JIS
  method names) and programs of the demo regions' bodies (names from the plans, rates and rules invented, some with
  employee/capital/prefecture limits so near misses appear). Their source 「デモ用の架空データ（renkei）」 is marked
  ``is_fictitious`` and its credit line says so wherever they are shown.

Idempotent: every item has an id in its source, so a second load updates and never duplicates.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any

from django.contrib.auth.models import User

from renkei.catalog.importing import import_catalog_records, import_jgrants, import_kaken
from renkei.catalog.importing.common import CatalogImportResult, SourceSpec
from renkei.core.errors import ApplicationError

DATA = resources.files("renkei.demo") / "data"
DEMO_SOURCE = SourceSpec(
    name="デモ用の架空データ（renkei）",
    publisher="renkei デモ",
    licence="",
    attribution=(
        "デモ用の架空データです。機器・依頼試験・支援施策の内容、料金、補助率、対象者の条件は説明のために作ったもので、"
        "実在の機関の設備・制度ではありません。"
    ),
    is_fictitious=True,
)
FICTITIOUS = (
    ("equipment", "equipment.json", "機器"),
    ("test-services", "test-services.json", "依頼試験"),
    ("programs", "programs.json", "支援施策"),
)


def _check(result: CatalogImportResult, what: str) -> CatalogImportResult:
    if not result.ok:
        lines = "\n".join(result.report_lines()[:10])
        raise ApplicationError(f"デモデータの誤り（{what}）:\n{lines}")
    return result


def load_demo_catalog(admin: User, say: Callable[[str], None] = lambda line: None) -> dict[str, int]:
    """Load (or update) the demo catalog as ``admin``; returns counts per kind."""
    counts: dict[str, int] = {}
    with resources.as_file(DATA / "fit_seeds_cleaned.csv") as path:
        kaken = _check(import_kaken(path, actor=admin), "KAKEN")
    counts["seeds"], counts["researchers"] = kaken.created + kaken.updated, kaken.extra.get("研究者", 0)
    say(f"研究シーズ（KAKEN の実データ）: {counts['seeds']} 件、研究者 {counts['researchers']} 人")
    with resources.as_file(DATA / "jgrants_programs.jsonl") as path:
        jgrants = _check(import_jgrants(path, actor=admin), "jGrants")
    counts["programs"] = jgrants.created + jgrants.updated
    say(f"支援施策（jGrants の実データ）: {counts['programs']} 件")
    for kind, name, label in FICTITIOUS:
        by_region: dict[str, list[dict[str, Any]]] = {}
        for item in json.loads((DATA / name).read_text(encoding="utf-8"))["items"]:
            record = dict(item)
            by_region.setdefault(record.pop("region"), []).append(record)
        n = 0
        for region, records in by_region.items():
            result = import_catalog_records(kind, records, actor=admin, source=DEMO_SOURCE, region=region)
            n += _check(result, f"{name} / {region}").created + result.updated
        counts[kind] = counts.get(kind, 0) + n
        say(f"{label}（デモ用の架空データ）: {n} 件")
    return counts
