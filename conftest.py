"""Suite-wide pytest plugin: environment skips, strict mode and the skip report that scripts/test.sh prints.

Loaded by pytest from the repository root for every run (``pytest``, ``make test``, ``scripts/test.sh``).

Skips decided here, one place for the whole suite:

- ``@pytest.mark.postgres_only`` tests are skipped when the default database is not PostgreSQL. Such a skip is
  *expected*: ``scripts/test.sh`` runs the same suite on PostgreSQL too, where these tests run.
- ``@pytest.mark.browser`` tests are skipped when Chromium is missing (``RENKEI_CHROMIUM``, default
  ``/usr/bin/chromium``). Such a skip is *not* expected.

Strict mode (``RENKEI_STRICT=1``, set by ``.ci/run``): nothing may be skipped. At the end of the session every
unexpected skip is listed and the exit status becomes 1 even if all other tests passed. The only skips that do
not count are expected ones: a ``postgres_only`` test on a non-PostgreSQL database. A ``postgres_only`` test
skipped on PostgreSQL, a browser test skipped for lack of Chromium, or any other ``pytest.skip`` fails the run.
Expected failures (``xfail``) are not skips and do not count.

``RENKEI_TEST_REPORT=<path>``: write a JSON report (database vendor, outcome counts, exit status and every skip
with its reason and whether it was expected) for ``scripts/test.sh``'s final summary.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

STRICT_ENV = "RENKEI_STRICT"
REPORT_ENV = "RENKEI_TEST_REPORT"
CHROMIUM_ENV = "RENKEI_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"
EXPECTED_ON_SQLITE = "postgres_only: expected when the database is not PostgreSQL; runs in the PostgreSQL run"


def strict_mode() -> bool:
    return os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def chromium_path() -> str:
    return os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM


def chromium_available() -> bool:
    path = chromium_path()
    return os.path.isfile(path) and os.access(path, os.X_OK)


def database_vendor() -> str:
    """'postgresql', 'sqlite', … for the default database; '' when Django is not configured."""
    try:
        from django.conf import settings
        from django.db import connections
    except ImportError:
        return ""
    if not settings.configured:
        return ""
    return connections["default"].vendor


@dataclass
class SkipRecord:
    nodeid: str
    reason: str
    markers: list[str]
    expected: bool


@dataclass
class SessionRecord:
    vendor: str = ""
    strict: bool = False
    started: float = field(default_factory=time.monotonic)
    counts: dict[str, int] = field(
        default_factory=lambda: dict.fromkeys(
            ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "deselected"), 0
        )
    )
    skips: list[SkipRecord] = field(default_factory=list)

    @property
    def unexpected_skips(self) -> list[SkipRecord]:
        return [s for s in self.skips if not s.expected]


_MARKERS_OF_INTEREST = ("browser", "postgres_only")


class RenkeiSuitePlugin:
    """Registered once per session by pytest_configure below; holds the session's record."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.record = SessionRecord(strict=strict_mode())

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.record.vendor = database_vendor()
        on_postgres = self.record.vendor == "postgresql"
        has_chromium = chromium_available()
        for item in items:
            if item.get_closest_marker("postgres_only") and not on_postgres:
                item.add_marker(pytest.mark.skip(reason=EXPECTED_ON_SQLITE))
            if item.get_closest_marker("browser") and not has_chromium:
                item.add_marker(pytest.mark.skip(reason=f"browser: needs Chromium at {chromium_path()}"))

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.record.counts["deselected"] += len(items)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        counts = self.record.counts
        wasxfail = hasattr(report, "wasxfail")
        if report.skipped:
            if wasxfail:
                counts["xfailed"] += 1
                return
            markers = [m for m in _MARKERS_OF_INTEREST if m in report.keywords]
            expected = "postgres_only" in markers and self.record.vendor != "postgresql"
            counts["skipped"] += 1
            self.record.skips.append(SkipRecord(report.nodeid, _skip_reason(report), markers, expected))
        elif report.failed:
            counts["failed" if report.when == "call" else "error"] += 1
        elif report.when == "call":
            counts["xpassed" if wasxfail else "passed"] += 1

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.record.strict and self.record.unexpected_skips and session.exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        report_path = os.environ.get(REPORT_ENV)
        if report_path:
            _write_report(Path(report_path), self.record, int(session.exitstatus))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.record.strict:
            return
        unexpected = self.record.unexpected_skips
        if not unexpected:
            terminalreporter.write_sep("=", f"{STRICT_ENV}=1: no unexpected skips", green=True)
            return
        terminalreporter.write_sep(
            "=", f"{STRICT_ENV}=1: {len(unexpected)} skipped test(s) fail this run", red=True, bold=True
        )
        for skip in unexpected:
            terminalreporter.write_line(f"SKIPPED (strict failure) {skip.nodeid}: {skip.reason}", red=True)


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(RenkeiSuitePlugin(config), "renkei-suite")


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "")


def _write_report(path: Path, record: SessionRecord, exitstatus: int) -> None:
    data: dict[str, Any] = {
        "vendor": record.vendor,
        "strict": record.strict,
        "exitstatus": exitstatus,
        "duration_s": round(time.monotonic() - record.started, 1),
        "counts": record.counts,
        "skips": [asdict(s) for s in record.skips],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
