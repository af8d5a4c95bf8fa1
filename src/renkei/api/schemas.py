"""Schemas shared by every router: problem details, pagination."""

from __future__ import annotations

from ninja import Schema


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
