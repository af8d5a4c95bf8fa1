"""The index update enqueued after a commit that changed indexed data (see ``store.mark_changed``)."""

from __future__ import annotations

from django_tasks import task


@task()
def update_index() -> str | None:
    from .store import rebuild_if_stale  # noqa: PLC0415

    result = rebuild_if_stale()
    return result.version if result else None
