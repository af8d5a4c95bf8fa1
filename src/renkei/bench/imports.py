"""``renkei bench import``: the company import path against a raw bulk insert of the same rows.

The measurement runs in a child process (``main`` below) against a throwaway database, so
it never touches the data of the configured one:

- SQLite (no ``DATABASE_URL``): a fresh database file in a temporary data directory, migrated, then deleted;
- PostgreSQL: a new schema ``renkei_bench_<random>`` in the configured database (first on the ``search_path``,
  so migrations create their tables there), dropped with everything in it when the child ends — also when the
  measurement fails.

Figures: (a) ``import_companies`` from a synthetic CSV (decode, validate every row, insert in one transaction),
and its dry run (decode and validate only); (b) the raw insert of the same rows, built beforehand without
validation, into the emptied table with the importer's own batch INSERT; for reference also
``Company.objects.bulk_create`` of those objects. Rows/s of each, the ratio (a)/(b), peak resident memory
(``ru_maxrss``) and the database.
Times are wall-clock, so they vary between runs; tests check the shape of the result, never the times.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gc
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction

from renkei.companies.importing import BATCH_SIZE, CompanyBatchWriter, import_companies
from renkei.companies.models import Company
from renkei.companies.validation import FIELD_LABELS
from renkei.core.models import Prefecture
from renkei.demo.companies import iter_company_rows
from renkei.network.choices import OrganizationKind
from renkei.network.models import Organization, Region

TARGET_ROWS_PER_S = 5_000
TARGET_RATIO = 0.3
SEED = 20240401
_SCHEMA_PREFIX = "renkei_bench_"
_BENCH_MAX_BYTES = 2 * 1024**3
# The child sets Django up before importing this module (its imports need the app registry).
_CHILD = "import django; django.setup(); from renkei.bench.imports import main; raise SystemExit(main())"


def run_import_bench(rows: int = 100_000) -> dict[str, Any]:
    """Measure the import of ``rows`` synthetic companies in a throwaway database; return the figures."""
    if rows < 1:
        raise ValueError("rows must be at least 1")
    workdir = Path(tempfile.mkdtemp(prefix="renkei-bench-"))
    env = {
        **os.environ,
        "RENKEI_DATA_DIR": str(workdir),
        "DJANGO_SETTINGS_MODULE": "renkei.settings",
        # 100,000 synthetic rows make a ~40 MB CSV: the upload limit is not what is measured here.
        "RENKEI_IMPORT_MAX_BYTES": str(_BENCH_MAX_BYTES),
    }
    schema = _SCHEMA_PREFIX + secrets.token_hex(4)
    command = [sys.executable, "-c", _CHILD, "--rows", str(rows), "--schema", schema]
    try:
        proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"取り込みの測定に失敗しました（終了コード {proc.returncode}）。\n{tail}")
    result = json.loads(lines[-1])
    result["cleaned_up"] = bool(result.get("cleaned_up")) and not workdir.exists()
    return result


# ---- the child process ---------------------------------------------------------------------------------------


def _child(rows: int, schema: str) -> dict[str, Any]:
    postgres = connection.vendor == "postgresql"
    if postgres:
        _enter_schema(schema)
    try:
        call_command("migrate", interactive=False, verbosity=0)
        result = _measure(rows)
        result["cleaned_up"] = result.pop("_remaining") == 0
    finally:
        if postgres:
            _drop_schema(schema)
    if postgres:
        result["cleaned_up"] = result["cleaned_up"] and not _schema_exists(schema)
    return result


def _enter_schema(schema: str) -> None:
    """Create the schema and reconnect with it first on the search_path (``public`` stays for extensions)."""
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
    connection.close()
    options = connection.settings_dict.setdefault("OPTIONS", {})
    options["options"] = f"-c search_path={schema},public"


def _drop_schema(schema: str) -> None:
    connection.close()
    connection.settings_dict["OPTIONS"].pop("options", None)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _schema_exists(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", [schema])
        return cursor.fetchone() is not None


def _measure(rows: int) -> dict[str, Any]:
    prefecture = Prefecture.objects.order_by("code").first()
    region = Region.objects.create(prefecture=prefecture, name=prefecture.name, slug="bench", is_home=True)
    owner = Organization.objects.create(
        name="ベンチマーク用の機関", kind=OrganizationKind.SUPPORT, region=region
    )
    actor = get_user_model().objects.create_superuser(username="bench", email="", password=None)

    started = time.perf_counter()
    path = Path(os.environ["RENKEI_DATA_DIR"]) / "companies.csv"
    generator = _write_csv(_generate(rows, prefecture.code), path)  # streamed: the rows are not kept
    generate_seconds = time.perf_counter() - started

    gc.collect()
    rss_before = _peak_rss_mb()
    started = time.perf_counter()
    dry = import_companies(path, actor=actor, owner_organization_id=owner.pk, dry_run=True)
    validate_seconds = time.perf_counter() - started
    started = time.perf_counter()
    result = import_companies(path, actor=actor, owner_organization_id=owner.pk)
    import_seconds = time.perf_counter() - started
    rss_after_import = _peak_rss_mb()
    imported = Company.objects.count()
    _empty()

    # (b) the same rows, built beforehand without validation, into the emptied table: through the ORM's
    # bulk_create, and with the importer's own batch insert (the strict baseline: same insert, no validation).
    raw: dict[str, tuple[float, int]] = {}
    for name in ("bulk_create", "batch_insert"):
        data, _ = _generate(rows, prefecture.code)
        objects = [_raw_company(row, region.pk, owner.pk, actor.pk) for row in data]
        gc.collect()
        started = time.perf_counter()
        with transaction.atomic():
            if name == "bulk_create":
                Company.objects.bulk_create(objects, batch_size=BATCH_SIZE)
            else:
                writer = CompanyBatchWriter(owner=owner, actor=actor)
                writer.insert([writer.row(obj) for obj in objects])
        raw[name] = (time.perf_counter() - started, Company.objects.count())
        del objects
        _empty()

    import_rate = rows / import_seconds
    bulk_rate = rows / raw["bulk_create"][0]
    batch_rate = rows / raw["batch_insert"][0]
    return {
        "rows": rows,
        "database": _database(),
        "generator": generator,
        "csv_megabytes": round(path.stat().st_size / 1024 / 1024, 2),
        "generate_seconds": round(generate_seconds, 3),
        "import_ok": result.ok and dry.ok,
        "import_errors": result.report_lines()[:5] if not result.ok else [],
        "imported_rows": imported,
        "import_seconds": round(import_seconds, 3),
        "import_rows_per_s": round(import_rate),
        "validate_only_seconds": round(validate_seconds, 3),
        "validate_only_rows_per_s": round(rows / validate_seconds),
        "raw_bulk_create_rows": raw["bulk_create"][1],
        "raw_bulk_create_seconds": round(raw["bulk_create"][0], 3),
        "raw_bulk_create_rows_per_s": round(bulk_rate),
        "ratio_import_to_bulk_create": round(import_rate / bulk_rate, 3),
        "raw_batch_insert_rows": raw["batch_insert"][1],
        "raw_batch_insert_seconds": round(raw["batch_insert"][0], 3),
        "raw_batch_insert_rows_per_s": round(batch_rate),
        "ratio_import_to_batch_insert": round(import_rate / batch_rate, 3),
        "peak_rss_mb_before_import": rss_before,
        "peak_rss_mb_after_import": rss_after_import,
        "import_peak_rss_increase_mb": round(rss_after_import - rss_before, 1),
        "target_rows_per_s": TARGET_ROWS_PER_S,
        "target_ratio": TARGET_RATIO,
        "meets_targets": import_rate >= TARGET_ROWS_PER_S and import_rate / batch_rate >= TARGET_RATIO,
        "_remaining": Company.objects.count(),
    }


def _generate(rows: int, prefecture_code: str) -> tuple[Iterator[dict[str, Any]], str]:
    data = iter_company_rows(rows, seed=SEED, region_prefecture_code=prefecture_code)
    return data, "renkei.demo.companies.iter_company_rows"


def _write_csv(generated: tuple[Iterator[dict[str, Any]], str], path: Path) -> str:
    """The CSV a person would upload: Japanese headers (as the export writes them), UTF-8 with BOM."""
    data, generator = generated
    keys = list(FIELD_LABELS)
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\r\n")
        writer.writerow([FIELD_LABELS[k] for k in keys])
        for row in data:
            writer.writerow([_csv_value(row.get(k)) for k in keys])
    return generator


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "はい" if value else "いいえ"
    return str(value)


def _raw_company(row: dict[str, Any], region_id: int, owner_id: int, actor_id: int) -> Company:
    """A Company built straight from the generated values: no validation, no derived size class."""
    founded = row.get("founded_on")
    return Company(
        region_id=region_id,
        owner_organization_id=owner_id,
        created_by_id=actor_id,
        corporate_number=row.get("corporate_number") or None,
        name=row["name"],
        kana=row.get("kana") or "",
        jsic_id=row.get("jsic_code") or None,
        capital=row.get("capital"),
        employees=row.get("employees"),
        founded_on=dt.date.fromisoformat(founded) if founded else None,
        postal_code=row.get("postal_code") or "",
        municipality_id=row.get("municipality_code") or None,
        address=row.get("address") or "",
        phone=row.get("phone") or "",
        url=row.get("url") or "",
        technologies=row.get("technologies") or "",
        products=row.get("products") or "",
        certifications=row.get("certifications") or "",
        consent_share_region=bool(row.get("consent_share_region")),
        consent_share_outside=bool(row.get("consent_share_outside")),
    )


def _empty() -> None:
    """Delete every company of the throwaway database in one statement."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(Company._meta.db_table)}")  # noqa: S608


def _database() -> str:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT sqlite_version()")
            return f"sqlite {cursor.fetchone()[0]}"
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"postgresql {cursor.fetchone()[0]}"
    return connection.vendor


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return round(peak / 1024 / (1024 if sys.platform == "darwin" else 1), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="renkei bench import (child process)")
    parser.add_argument("--rows", type=int, required=True)
    parser.add_argument("--schema", required=True)
    args = parser.parse_args(argv)
    if not args.schema.startswith(_SCHEMA_PREFIX) or not args.schema.replace("_", "").isalnum():
        parser.error("invalid schema name")
    print(json.dumps(_child(args.rows, args.schema), ensure_ascii=False), flush=True)
    return 0
