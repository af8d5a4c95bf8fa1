"""Playwright against Debian's Chromium and pytest-django's live server.

Chromium cannot be downloaded here (``playwright install`` is offline); the system's ``/usr/bin/chromium`` is
launched instead (``RENKEI_CHROMIUM`` overrides the path). Without it every browser test is skipped with the
reason, and the strict CI mode turns such a skip into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps

from renkei.core.reference import load_reference_data

# Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from fixtures unless
# this is set. It only relaxes a development-time safety check (DESIGN.md, Running).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("RENKEI_CHROMIUM") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
TIMEOUT_MS = 15_000  # a safety net against a hung page, not an assertion about speed


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(
            f"browser: Chromium が見つかりません（{CHROMIUM}）。apt-get install chromium で入れてください。"
        )
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 - only browser tests need Playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def reference_data(transactional_db) -> None:
    """Live-server tests are transactional and end with a flush of every table, the reference data that migration
    core/0002 loaded included; put it back before each test (a fast upsert)."""
    load_reference_data(apps)


@pytest.fixture
def new_page(browser, live_server):
    """``new_page(width=1280, height=800, javascript=True)`` → a page whose relative URLs go to the live server."""
    contexts: list[Any] = []

    def make(*, width: int = 1280, height: int = 800, javascript: bool = True) -> Any:
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
            java_script_enabled=javascript,
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()
