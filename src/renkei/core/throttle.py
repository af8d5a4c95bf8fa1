"""A fixed-window request throttle for public pages that cost real work (the public search runs the matching engine
with explanations, tens of milliseconds a request).

Counts live in Django's cache, keyed by a keyed hash of the client address (the address itself is never stored).
With the default per-process memory cache every web process counts on its own: this guards the machine against a
script hammering it, it is not a quota. Staff and other logged-in users are not counted.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache

from .errors import RateLimited

_clock = time.time  # the windows' clock (tests hold it still, so that no window ends in the middle of one)


def client_ip(request) -> str:  # noqa: ANN001
    """REMOTE_ADDR; the first X-Forwarded-For address only when the deployment says its proxy sets it."""
    if getattr(settings, "RENKEI_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        first = forwarded.split(",")[0].strip()
        if first:
            return first
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _client_key(scope: str, client: str, window: int) -> str:
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{client}".encode()).hexdigest()[:32]
    return f"renkei:throttle:{scope}:{digest}:{int(_clock() // window)}"


def hit(scope: str, client: str, *, limit: int, window: int = 60) -> bool:
    """Count one request of ``client`` in ``scope``; False once it is over ``limit`` in the current window.
    ``limit`` 0 or less: no limit."""
    if limit <= 0:
        return True
    key = _client_key(scope, client or "unknown", window)
    cache.add(key, 0, timeout=window * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # the entry expired between add and incr: this request starts a new window
        cache.add(key, 1, timeout=window * 2)
        count = 1
    return count <= limit


def check_public_search(user, client: str) -> None:  # noqa: ANN001
    """Raise ``RateLimited`` when an anonymous client searches more than RENKEI_PUBLIC_SEARCH_PER_MINUTE times a
    minute."""
    if user is not None and getattr(user, "is_authenticated", False):
        return
    limit = int(getattr(settings, "RENKEI_PUBLIC_SEARCH_PER_MINUTE", 60))
    if not hit("search", client, limit=limit, window=60):
        raise RateLimited(
            f"検索が多すぎます。ログインしていない場合、同じ接続元からの検索は1分間に{limit}回までです。"
            "少し時間をおいてからお試しください。"
        )
