"""Behaviour that only a real multi-connection database shows: run on PostgreSQL, skipped (expected) on SQLite.

The root conftest.py skips ``postgres_only`` tests when the database is not PostgreSQL; scripts/test.sh runs the
suite on PostgreSQL as well, where these run. Two connections are two threads (Django keeps one connection per
thread); the tests are transactional so that each connection sees what the other committed. A transactional test
ends with a flush of every table, which also removes the reference data that migration core/0002 loaded, so each
test puts it back first (a fast upsert; cheaper than serialized_rollback, which takes seconds per test here).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from renkei.companies.models import Company
from renkei.companies.services import company_create, company_update
from renkei.core.errors import Conflict
from renkei.core.reference import load_reference_data
from renkei.network.choices import StaffRole

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
]

CORPORATE_NUMBER = "8700110005901"  # valid check digit
LOCK_WAIT_LIMIT_S = 30.0  # a safety net so a broken run cannot hang; no assertion is made about time


@pytest.fixture(autouse=True)
def reference_data(django_db_blocker) -> None:
    """Prefectures, municipalities and JSIC, whether or not an earlier transactional test flushed them."""
    with django_db_blocker.unblock():
        load_reference_data(apps)


def _other_backend_waits_on_lock() -> bool:
    """Is another connection blocked by a lock this connection holds?"""
    with connection.cursor() as cursor:
        # pg_stat_activity is a per-transaction snapshot; without clearing it a poll never sees a change.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
        )
        return cursor.fetchone()[0] > 0


def _wait_until_other_backend_waits() -> bool:
    """Poll until another connection is blocked on a lock held by this one (True) or the safety net ends."""
    deadline = time.monotonic() + LOCK_WAIT_LIMIT_S
    while time.monotonic() < deadline:
        if _other_backend_waits_on_lock():
            return True
        time.sleep(0.01)
    return False


def _in_thread(target: Callable[[], Any], results: dict[str, Any], key: str) -> threading.Thread:
    """Run ``target`` on its own thread (so on its own database connection), keeping its result or error."""

    def run() -> None:
        try:
            results[key] = target()
        except Exception as exc:  # noqa: BLE001 - handed back to the test, which asserts on it
            results[key] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=key, daemon=True)
    thread.start()
    return thread


def test_same_corporate_number_registered_concurrently_gives_one_company_and_one_conflict(make_staff):
    """The service's pre-check cannot see an uncommitted row; the partial unique constraint must catch it."""
    lab = make_staff("chiba_lab", StaffRole.COORDINATOR)
    pref = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    results: dict[str, Any] = {}
    first_inserted = threading.Event()

    def first() -> Company:
        with transaction.atomic():
            company = company_create(
                actor=lab, data={"name": "株式会社先勝", "corporate_number": CORPORATE_NUMBER}
            )
            first_inserted.set()
            # Keep the row uncommitted until the second registration is blocked on the unique index.
            results["second_was_blocked"] = _wait_until_other_backend_waits()
        return company

    def second() -> Company:
        assert first_inserted.wait(LOCK_WAIT_LIMIT_S)
        return company_create(
            actor=pref,
            data={
                "name": "株式会社後手",
                "corporate_number": f"{CORPORATE_NUMBER[:4]}-{CORPORATE_NUMBER[4:]}",
            },
        )

    threads = [_in_thread(first, results, "first"), _in_thread(second, results, "second")]
    for thread in threads:
        thread.join(LOCK_WAIT_LIMIT_S * 2)

    assert isinstance(results["first"], Company), results["first"]
    assert isinstance(results["second"], Conflict), results["second"]
    assert results["second"].field_errors == {
        "corporate_number": ["この法人番号の企業はすでにこの地域で登録されています。"]
    }
    assert results["second_was_blocked"], "the second insert should have waited on the first one's row"
    assert list(Company.objects.values_list("name", "corporate_number")) == [
        ("株式会社先勝", CORPORATE_NUMBER)
    ]


def test_company_update_locks_the_row_so_no_concurrent_change_is_lost(make_staff):
    """company_update reads with select_for_update: it waits for a concurrent writer and builds on its change."""
    coordinator = make_staff("chiba_lab", StaffRole.COORDINATOR)
    company = company_create(
        actor=coordinator, data={"name": "株式会社並行", "phone": "043-000-0000", "address": "旧住所"}
    )
    results: dict[str, Any] = {}
    locked = threading.Event()

    def concurrent_writer() -> None:
        with transaction.atomic():
            row = Company.objects.select_for_update().get(pk=company.pk)
            locked.set()
            results["update_was_blocked"] = _wait_until_other_backend_waits()
            row.phone = "043-111-1111"
            row.save(update_fields=["phone"])

    writer = _in_thread(concurrent_writer, results, "writer")
    assert locked.wait(LOCK_WAIT_LIMIT_S)
    updated = company_update(actor=coordinator, company_id=company.pk, data={"address": "新住所 1-2-3"})
    writer.join(LOCK_WAIT_LIMIT_S)

    assert results["writer"] is None, results["writer"]
    assert results["update_was_blocked"], "company_update should have waited for the row lock"
    assert (updated.phone, updated.address) == ("043-111-1111", "新住所 1-2-3")
    company.refresh_from_db()
    assert (company.phone, company.address) == ("043-111-1111", "新住所 1-2-3")


def test_locked_row_is_reported_not_waited_for_with_nowait(make_staff):
    """select_for_update(nowait=True) fails at once on a row another transaction holds; skip_locked skips it."""
    coordinator = make_staff("chiba_lab", StaffRole.COORDINATOR)
    company = company_create(actor=coordinator, data={"name": "株式会社施錠"})
    results: dict[str, Any] = {}
    locked, release = threading.Event(), threading.Event()

    def holder() -> None:
        with transaction.atomic():
            Company.objects.select_for_update().get(pk=company.pk)
            locked.set()
            release.wait(LOCK_WAIT_LIMIT_S)

    thread = _in_thread(holder, results, "holder")
    assert locked.wait(LOCK_WAIT_LIMIT_S)
    try:
        with pytest.raises(DatabaseError, match="could not obtain lock"), transaction.atomic():
            Company.objects.select_for_update(nowait=True).get(pk=company.pk)
        with transaction.atomic():
            assert list(Company.objects.select_for_update(skip_locked=True).filter(pk=company.pk)) == []
    finally:
        release.set()
        thread.join(LOCK_WAIT_LIMIT_S)
    with transaction.atomic():
        assert Company.objects.select_for_update(nowait=True).get(pk=company.pk) == company


@pytest.mark.django_db  # overrides the module's transactional marker: one connection is enough here
def test_database_stores_characters_outside_the_basic_plane(make_staff):
    """Names like 𠮷野 (U+20BB7) need a UTF8 database; SQL_ASCII or EUC_JP clusters would mangle them."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_encoding")
        assert cursor.fetchone()[0] == "UTF8"
    coordinator = make_staff("chiba_lab", StaffRole.COORDINATOR)
    company = company_create(
        actor=coordinator, data={"name": "株式会社𠮷野製作所", "kana": "よしのせいさくしょ"}
    )
    assert Company.objects.get(pk=company.pk).name == "株式会社𠮷野製作所"
    assert Company.objects.filter(name__contains="𠮷野").count() == 1
