"""POST /api/v1/auth/tokens: exchange username and password for a personal access token."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema, Status

from renkei.core.api import NO_NUL, Problem

from .services import token_create_with_password

router = Router(tags=["認証"])


class TokenIn(Schema):
    username: str = Field(..., min_length=1, max_length=150, pattern=NO_NUL)
    password: str = Field(..., min_length=1, max_length=4096)
    name: str = Field("", max_length=100, pattern=NO_NUL, description="トークンの用途（例: 集計スクリプト）")
    days: int | None = Field(90, ge=1, le=366, description="有効日数（1〜366、null で無期限）")


class TokenOut(Schema):
    token: str = Field(..., description="この応答でしか表示されません。Authorization: Bearer に指定します。")
    prefix: str
    name: str
    expires_at: dt.datetime | None


@router.post(
    "/tokens",
    response={201: TokenOut, 400: Problem, 401: Problem, 422: Problem},
    auth=None,
    summary="アクセストークンの発行",
)
def create_token(request, payload: TokenIn):
    token, raw = token_create_with_password(
        username=payload.username, password=payload.password, name=payload.name, days=payload.days
    )
    return Status(201, TokenOut(token=raw, prefix=token.prefix, name=token.name, expires_at=token.expires_at))
