"""The inbox's baseline, measured in the same run as ``renkei bench cases``: the same filters answered by the
selector (branches of the visibility union merged, decision 0012) and by the obvious single query (the union as one
OR, ORDER BY received_at LIMIT 50) that it replaced. Selector level only: no template, no middleware."""

from __future__ import annotations

import statistics
import time
from typing import Any

from renkei.cases.models import Case
from renkei.cases.selectors import InboxFilters, case_inbox, inbox_queryset


def _mix(technical: int, step2: int, fy: int) -> list[tuple[InboxFilters, int]]:
    """The inbox page mix of the bench, as (filters, offset) pairs."""
    return [
        (InboxFilters(), 0),
        (InboxFilters(), 50),
        (InboxFilters(box="all"), 0),
        (InboxFilters(box="all"), 200),
        (InboxFilters(status="all"), 0),
        (InboxFilters(category_id=technical), 0),
        (InboxFilters(box="all", sla_bucket="late"), 0),
        (InboxFilters(box="all", step_id=step2), 0),
        (InboxFilters(status="all", fiscal_year=fy - 1), 100),
        (InboxFilters(status="finished"), 950),
    ]


def _single_query(user: Any, filters: InboxFilters, offset: int) -> list[Case]:
    qs = inbox_queryset(user, filters.clean())
    related = ("lead_organization", "assignee", "category", "step", "region")
    return list(qs.select_related(*related).order_by("-received_at", "-id")[offset : offset + 50])


def _time(fn: Any, runs: list[tuple[Any, InboxFilters, int]]) -> tuple[dict[str, float], list[list[int]]]:
    times, pages = [], []
    for user, filters, offset in runs:
        started = time.perf_counter()
        rows = fn(user, filters, offset)
        times.append((time.perf_counter() - started) * 1000)
        pages.append([c.pk for c in rows])
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(p95, 1)}, pages


def inbox_baseline(
    users: list[Any], *, technical: int, step2: int, fy: int, rounds: int = 3
) -> dict[str, Any]:
    """p50/p95 of the selector and of the single-query baseline over the same (user, filters, page) runs, the
    ratio of their p95, and whether both returned the same rows (they must)."""
    runs = [
        (u, InboxFilters(**vars(f)), o)
        for _ in range(rounds)
        for u in users
        for f, o in _mix(technical, step2, fy)
    ]
    for user, filters, offset in runs[: len(users)]:  # warm up both
        case_inbox(user=user, filters=InboxFilters(**vars(filters)), offset=offset)
        _single_query(user, InboxFilters(**vars(filters)), offset)

    def selector(user: Any, filters: InboxFilters, offset: int) -> list[Case]:
        return case_inbox(user=user, filters=filters, offset=offset, limit=50).rows

    ours, ours_pages = _time(selector, [(u, InboxFilters(**vars(f)), o) for u, f, o in runs])
    base, base_pages = _time(_single_query, [(u, InboxFilters(**vars(f)), o) for u, f, o in runs])
    return {
        "branches": ours,
        "single_or_query": base,
        "p95_ratio": round(ours["p95_ms"] / base["p95_ms"], 3) if base["p95_ms"] else None,
        "same_rows": ours_pages == base_pages,
    }
