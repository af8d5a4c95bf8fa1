"""What every app's API router shares: problem details (RFC 9457) and limit/offset pagination.

It lives in ``core`` so that domain apps can declare their routers without importing the ``api`` app, which mounts
them (dependencies stay one way: core ← domain apps ← api).

Pagination: ``?limit=50&offset=0`` → ``{"count": N, "items": [...]}``. Out-of-range values are refused by the
schema (422 problem+json), never clamped silently. A page costs a constant number of queries: one ``COUNT`` plus
the page itself (and whatever prefetches the queryset declares).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.db.models import QuerySet
from ninja import Field, Schema
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError


class ProblemError(Schema):
    field: str
    message: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    errors: list[ProblemError]


PROBLEM_RESPONSES = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Far beyond any real list, and well inside a 64-bit SQL integer (SQLite and PostgreSQL both refuse larger OFFSETs).
MAX_OFFSET = 10_000_000

# Largest primary key any of our tables can hold (BigAutoField); larger ids are refused by the schema.
MAX_ID = 2**63 - 1

# Strings may hold anything but NUL: PostgreSQL cannot store it, so it is refused at the door on every database.
NO_NUL = r"^[^\x00]*$"


class PageQuery(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"1ページの件数（1〜{MAX_LIMIT}）")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="先頭から読み飛ばす件数（0以上）")


def paginate(queryset: QuerySet, page: PageQuery) -> dict[str, Any]:
    """One page of ``queryset`` (which must be ordered) and the total count."""
    count = queryset.count()
    items = list(queryset[page.offset : page.offset + page.limit]) if page.offset < count else []
    return {"count": count, "items": items}


def _iso_date_only(value: Any) -> Any:
    """Dates come as 'YYYY-MM-DD' strings; pydantic's lax mode would read 0 as 1970-01-01."""
    if isinstance(value, dt.date) or (isinstance(value, str) and len(value) == 10):
        return value
    raise PydanticCustomError("date_format", "日付は YYYY-MM-DD の形式で指定してください。")


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date_only)]
