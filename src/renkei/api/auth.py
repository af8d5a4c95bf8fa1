"""API authentication: the browser session (with CSRF) or a personal access token (``Authorization: Bearer``)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from .services import token_user


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """Django's session cookie; unsafe methods are CSRF-checked by django-ninja."""

    param_name = "sessionid"

    def __call__(self, request: HttpRequest):
        # Only a logged-in session is CSRF-checked: a request with neither a session nor a valid token is
        # "not authenticated" (401), not "CSRF failed" (403).
        if not _logged_in(request):
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None):
        return request.user if _logged_in(request) else None


def _logged_in(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated and user.is_active


token_auth = TokenAuth()
session_auth = SessionAuth(csrf=True)
STAFF_AUTH = [token_auth, session_auth]
