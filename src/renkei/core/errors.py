"""Typed errors raised by services. The API maps them to problem+json, the views to form errors.

Every error carries a Japanese message; a field-level error names the field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


class ApplicationError(Exception):
    status = 400
    title = "リクエストを処理できませんでした"
    code = "application_error"

    def __init__(self, message: str, *, field: str | None = None, errors: list[FieldError] | None = None):
        super().__init__(message)
        self.message = message
        self.errors: list[FieldError] = list(errors or [])
        if field and not self.errors:
            self.errors.append(FieldError(field, message))

    @property
    def field_errors(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for e in self.errors:
            out.setdefault(e.field, []).append(e.message)
        return out


class ValidationFailed(ApplicationError):
    status = 422
    title = "入力内容に誤りがあります"
    code = "validation_failed"

    @classmethod
    def from_errors(cls, errors: list[FieldError]) -> ValidationFailed:
        message = "；".join(f"{e.message}" for e in errors) or cls.title
        return cls(message, errors=errors)


class PermissionDenied(ApplicationError):
    status = 403
    title = "この操作を行う権限がありません"
    code = "permission_denied"


class NotFound(ApplicationError):
    status = 404
    title = "見つかりません"
    code = "not_found"


class Conflict(ApplicationError):
    status = 409
    title = "ほかのデータと矛盾します"
    code = "conflict"


class RateLimited(ApplicationError):
    status = 429
    title = "送信が多すぎます"
    code = "rate_limited"


class CommandError(Exception):
    """A ``renkei`` command cannot do what was asked: printed as 「エラー: …」, exit status 2."""
