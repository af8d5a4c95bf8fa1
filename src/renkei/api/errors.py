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
    "string_too_long": "{max_length}文字以内で入力してください。",
    "string_pattern_mismatch": "使用できない文字が含まれているか、形式が正しくありません。",
    "string_unicode": "文字として読み取れない値が含まれています。",
    "int_parsing": "整数で指定してください。",
    "date_format": "日付は YYYY-MM-DD の形式で指定してください。",
    "int_parsing_size": "整数が大きすぎます。",
    "int_type": "整数で指定してください。",
    "int_from_float": "整数で指定してください（小数は使えません）。",
    "bool_parsing": "true か false で指定してください。",
    "bool_type": "true か false で指定してください。",
    "greater_than": "{gt}より大きい値で指定してください。",
    "greater_than_equal": "{ge}以上で指定してください。",
    "less_than": "{lt}より小さい値で指定してください。",
    "less_than_equal": "{le}以下で指定してください。",
    "json_invalid": "JSON の形式が正しくありません。",
    "json_type": "JSON の形式が正しくありません。",
    "model_attributes_type": "JSON オブジェクトで指定してください。",
    "model_type": "JSON オブジェクトで指定してください。",
    "dict_type": "JSON オブジェクトで指定してください。",
    "list_type": "配列で指定してください。",
    "string_type": "文字列で指定してください。",
    "extra_forbidden": "この項目は指定できません（項目名をご確認ください）。",
    "value_error": "値が正しくありません。",
    "date_type": "日付は YYYY-MM-DD の文字列で指定してください。",
    "date_parsing": "日付は YYYY-MM-DD で指定してください。",
    "date_from_datetime_parsing": "日付は YYYY-MM-DD で指定してください。",
    "date_from_datetime_inexact": "日付は YYYY-MM-DD で指定してください（時刻は付けられません）。",
    "datetime_parsing": "日時は ISO 8601 形式（例: 2024-04-01T09:00:00+09:00）で指定してください。",
    "datetime_type": "日時は ISO 8601 形式の文字列で指定してください。",
    "number_or_text": "整数、または40文字以内の数字の文字列で指定してください。",
    "enum": "指定できる値は {expected} です。",
    "literal_error": "指定できる値は {expected} です。",
}


def _pydantic_message(error: dict) -> str:
    """A Japanese message for one pydantic error, with its limits (最大文字数・範囲・選択肢) filled in."""
    template = _PYDANTIC_JA.get(error.get("type", ""))
    if template is None:
        return "値が正しくありません。"
    ctx = dict(error.get("ctx") or {})
    if "expected" in ctx:  # "'a', 'b' or 'c'" → "'a'、'b'、'c'"
        ctx["expected"] = str(ctx["expected"]).replace(" or ", "、").replace(", ", "、")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return template.split("{")[0].rstrip("、（") or "値が正しくありません。"


# Titles and details for the errors django-ninja raises itself (HttpError): never shown in English.
_HTTP_ERRORS = {
    400: (
        "リクエストを読み取れません",
        "リクエストの本文を JSON として読み取れませんでした（形式の誤りか、大きすぎます）。",
    ),
    401: ("認証が必要です", "ログインするか、Authorization: Bearer にアクセストークンを指定してください。"),
    403: (
        "この操作を行う権限がありません",
        "CSRF トークンを確認できませんでした。画面を再読み込みしてからやり直すか、アクセストークンをお使いください。",
    ),
    404: ("見つかりません", "指定されたものは見つかりません。"),
    405: ("この操作はできません", "この URL ではこのメソッドを使えません。"),
    429: ("リクエストが多すぎます", "しばらく待ってから、もう一度お試しください。"),
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
            errors.append((field, _pydantic_message(e)))
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
        title, detail = _HTTP_ERRORS.get(
            exc.status_code, ("リクエストを処理できませんでした", "リクエストを処理できませんでした。")
        )
        return problem(api, request, status=exc.status_code, title=title, detail=detail, code="http_error")
