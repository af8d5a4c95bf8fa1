from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from renkei.core.errors import ApplicationError, FieldError, ValidationFailed

from .models import AccessToken, hash_token, new_raw_token


class AuthenticationFailed(ApplicationError):
    status = 401
    title = "認証に失敗しました"
    code = "authentication_failed"


@transaction.atomic
def token_create(*, user: User, name: str = "", days: int | None = 90) -> tuple[AccessToken, str]:
    """Issue a token; the raw value is returned once and never stored."""
    raw = new_raw_token()
    token = AccessToken.objects.create(
        user=user,
        name=name.strip()[:100],
        key_hash=hash_token(raw),
        prefix=raw[:10],
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
    )
    return token, raw


def token_create_with_password(*, username: str, password: str, name: str = "", days: int | None = 90):
    errors = []
    if not username.strip():
        errors.append(FieldError("username", "ユーザー名を入力してください。"))
    if not password:
        errors.append(FieldError("password", "パスワードを入力してください。"))
    if errors:
        raise ValidationFailed.from_errors(errors)
    if days is not None and not 1 <= days <= 366:
        raise ValidationFailed.from_errors([FieldError("days", "有効日数は1〜366日で指定してください。")])
    user = authenticate(username=username.strip(), password=password)
    if user is None or not user.is_active:
        raise AuthenticationFailed("ユーザー名またはパスワードが正しくありません。")
    return token_create(user=user, name=name, days=days)


def token_user(raw: str) -> User | None:
    """The active user a raw token belongs to, or None; records last use at most once a minute."""
    if not raw or not raw.startswith("rk_") or len(raw) > 200:
        return None
    try:
        token = AccessToken.objects.select_related("user").get(
            key_hash=hash_token(raw), revoked_at__isnull=True
        )
    except AccessToken.DoesNotExist:
        return None
    now = timezone.now()
    if token.expires_at and token.expires_at <= now:
        return None
    if not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        AccessToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
