"""The published index: built from the database, saved as a numbered version, and read by every process.

Layout under ``RENKEI_DATA_DIR/index/``: one folder per version (``20261122T235901-1834``) and a file ``CURRENT``
naming the version to serve. A rebuild writes a new folder completely, then replaces ``CURRENT`` atomically
(``os.replace``), so a reader sees the old version or the new one, never half of one. Each process keeps the version
it loaded and checks ``CURRENT`` on every use (one ``stat``), so after a rebuild every web worker answers from the same
version. Old versions are removed, keeping the previous one for readers that are still on it.

Freshness: writes to the indexed data bump ``IndexState.changed_at`` (``signals``); ``rebuild_if_stale`` — run by
the task enqueued on commit, by ``renkei index rebuild`` or by the worker — rebuilds when that is newer than what the
current version was built from.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .documents import all_documents
from .index import SearchIndex

KEEP_VERSIONS = 2
_lock = threading.Lock()
_loaded: dict[str, object] = {"version": None, "index": None, "stamp": None}
_paused = threading.local()


def root() -> Path:
    path = Path(settings.DATA_DIR) / "index"
    path.mkdir(parents=True, exist_ok=True)
    return path


def current_version() -> str | None:
    try:
        return (root() / "CURRENT").read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def current_index() -> SearchIndex | None:
    """The version named by ``CURRENT``, loaded once per process (reloaded when ``CURRENT`` changes)."""
    pointer = root() / "CURRENT"
    try:
        stat = pointer.stat()
    except FileNotFoundError:
        return None
    stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    if _loaded["stamp"] == stamp and _loaded["index"] is not None:
        return _loaded["index"]  # type: ignore[return-value]
    with _lock:
        version = current_version()
        if version is None:
            return None
        if _loaded["version"] != version:
            _loaded["index"] = SearchIndex.load(root() / version)
            _loaded["version"] = version
        _loaded["stamp"] = stamp
        return _loaded["index"]  # type: ignore[return-value]


def ensure_index() -> SearchIndex:
    """The current index, building the first one if there is none yet."""
    index = current_index()
    if index is None:
        rebuild()
        index = current_index()
    assert index is not None
    return index


@contextmanager
def _file_lock():
    with open(root() / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@dataclass
class RebuildResult:
    version: str
    documents: int
    seconds: float
    semantic: bool


def rebuild(*, workers: int | None = None) -> RebuildResult:
    """Build a new version from the database and publish it (one rebuild at a time per data directory)."""
    from .models import IndexState  # noqa: PLC0415

    with _file_lock():
        started = time.perf_counter()
        state, _ = IndexState.objects.get_or_create(pk=1)
        built_from = state.changed_at
        docs = all_documents()
        version = f"{timezone.now():%Y%m%dT%H%M%S%f}-{len(docs)}"
        index = SearchIndex.build(docs, workers=workers, version=version)
        tmp = root() / f".{version}.tmp"
        index.save(tmp)
        tmp.rename(root() / version)
        pointer_tmp = root() / ".CURRENT.tmp"
        pointer_tmp.write_text(version, encoding="utf-8")
        os.replace(pointer_tmp, root() / "CURRENT")
        IndexState.objects.filter(pk=1).update(built_from=built_from, version=version, documents=len(docs))
        _prune(version)
        return RebuildResult(version, len(docs), round(time.perf_counter() - started, 3), index.semantic)


def _prune(current: str) -> None:
    versions = sorted(p for p in root().iterdir() if p.is_dir() and not p.name.startswith("."))
    for old in versions[: max(0, len(versions) - KEEP_VERSIONS)]:
        if old.name != current:
            shutil.rmtree(old, ignore_errors=True)
    for tmp in root().glob(".*.tmp"):
        if tmp.is_dir() and time.time() - tmp.stat().st_mtime > 3600:
            shutil.rmtree(tmp, ignore_errors=True)


def is_stale() -> bool:
    from .models import IndexState  # noqa: PLC0415

    state = IndexState.objects.filter(pk=1).first()
    if current_version() is None:
        return True
    if state is None or state.changed_at is None:
        return False
    return state.built_from is None or state.changed_at > state.built_from


def rebuild_if_stale() -> RebuildResult | None:
    return rebuild() if is_stale() else None


# -- change tracking ----------------------------------------------------------------------------------------------
def mark_changed() -> None:
    """Record that indexed data changed (inside the writer's transaction) and schedule an update after commit."""
    from .models import IndexState  # noqa: PLC0415

    now = timezone.now()
    if not IndexState.objects.filter(pk=1).update(changed_at=now):
        IndexState.objects.get_or_create(pk=1, defaults={"changed_at": now})
    if getattr(_paused, "depth", 0):
        return
    mode = update_mode()
    if mode == "task":
        transaction.on_commit(_enqueue_update)
    elif mode == "thread":
        transaction.on_commit(_updater.poke)


def update_mode() -> str:
    """``task`` (a django-tasks job, run by ``renkei worker`` with the database backend), ``thread`` (a background
    thread of this process, the default with the immediate backend so a request never waits for a rebuild) or
    ``manual`` (only ``renkei index rebuild``; the test suite's default)."""
    mode = getattr(settings, "RENKEI_INDEX_UPDATES", "")
    if mode:
        return mode
    backend = settings.TASKS["default"]["BACKEND"]
    return "thread" if backend.endswith("ImmediateBackend") else "task"


def _enqueue_update() -> None:
    from .tasks import update_index  # noqa: PLC0415

    update_index.enqueue()


class _Updater:
    """One background thread per process that rebuilds a stale index, coalescing bursts of commits."""

    DELAY_S = 1.0

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._guard = threading.Lock()

    def poke(self) -> None:
        self._wake.set()
        with self._guard:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="renkei-index", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        from django.db import connection  # noqa: PLC0415

        try:
            while self._wake.wait(timeout=30):
                self._wake.clear()
                time.sleep(self.DELAY_S)  # let a burst of commits finish
                self._wake.clear()
                try:
                    rebuild_if_stale()
                except Exception:  # noqa: BLE001 — a failed rebuild keeps serving the previous version
                    import logging  # noqa: PLC0415

                    logging.getLogger(__name__).exception("index rebuild failed")
        finally:
            connection.close()


_updater = _Updater()


@contextmanager
def updates_paused():
    """Bulk loads (the demo, big imports) mark changes but rebuild once at the end, not after every commit."""
    _paused.depth = getattr(_paused, "depth", 0) + 1
    try:
        yield
    finally:
        _paused.depth -= 1
