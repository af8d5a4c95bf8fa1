"""One place that turns errors into RFC 9457 problem+json with an ``errors`` list (field, message)."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from renkei.core.errors import ApplicationError

PROBLEM = "application/problem+json"


def problem(
    api: NinjaAPI, request: HttpRequest, *, status: int, title: str, detail: str, code: str, errors=()
) -> HttpResponse:
    body = {
        "type": f"https://renkei.example/problems/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "errors": [{"field": f, "message": m} for f, m in errors],
    }
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = PROBLEM
    return response


def _loc_to_field(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "form", "header", "cookie")]
    return ".".join(parts) or "body"


_PYDANTIC_JA = {
    "missing": "必須項目です。",
    "string_too_short": "入力してください。",
    "string_too_long": "長すぎます。",
    "int_parsing": "整数で指定してください。",
    "int_type": "整数で指定してください。",
    "bool_parsing": "true か false で指定してください。",
    "greater_than_equal": "小さすぎます。",
    "less_than_equal": "大きすぎます。",
    "json_invalid": "JSON の形式が正しくありません。",
    "model_attributes_type": "JSON オブジェクトで指定してください。",
    "dict_type": "JSON オブジェクトで指定してください。",
    "string_type": "文字列で指定してください。",
    "value_error": "値が正しくありません。",
    "date_from_datetime_parsing": "日付は YYYY-MM-DD で指定してください。",
    "enum": "指定できる値ではありません。",
    "literal_error": "指定できる値ではありません。",
}


def install(api: NinjaAPI) -> None:
    @api.exception_handler(ApplicationError)
    def application_error(request, exc: ApplicationError):
        return problem(
            api,
            request,
            status=exc.status,
            title=exc.title,
            detail=exc.message,
            code=exc.code,
            errors=[(e.field, e.message) for e in exc.errors],
        )

    @api.exception_handler(NinjaValidationError)
    def validation_error(request, exc: NinjaValidationError):
        errors = []
        for e in exc.errors:
            field = _loc_to_field(e.get("loc", ()))
            message = _PYDANTIC_JA.get(e.get("type", ""), e.get("msg", "値が正しくありません。"))
            errors.append((field, message))
        return problem(
            api,
            request,
            status=422,
            title="入力内容に誤りがあります",
            detail="；".join(f"{f}: {m}" for f, m in errors) or "入力内容に誤りがあります。",
            code="validation_failed",
            errors=errors,
        )

    @api.exception_handler(AuthenticationError)
    def authentication_error(request, exc):
        return problem(
            api,
            request,
            status=401,
            title="認証が必要です",
            detail="ログインするか、Authorization: Bearer にアクセストークンを指定してください。",
            code="not_authenticated",
        )

    @api.exception_handler(Http404)
    def not_found(request, exc):
        return problem(
            api,
            request,
            status=404,
            title="見つかりません",
            detail="指定されたものは見つかりません。",
            code="not_found",
        )

    @api.exception_handler(HttpError)
    def http_error(request, exc: HttpError):
        return problem(
            api, request, status=exc.status_code, title=str(exc), detail=str(exc), code="http_error"
        )
