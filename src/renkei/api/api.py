"""The NinjaAPI instance: /api/v1/. Each app contributes a router; errors are mapped once in errors.py."""

from __future__ import annotations

from ninja import NinjaAPI

from renkei import __version__
from renkei.companies.api import router as companies_router
from renkei.network.api import router as network_router
from renkei.network.api import staff_router

from . import errors
from .auth import STAFF_AUTH
from .tokens import router as tokens_router

api = NinjaAPI(
    title="renkei API",
    version=__version__,
    description="産学官金連携支援プラットフォーム renkei の API（v1）。エラーは application/problem+json で返します。",
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=STAFF_AUTH,
)
errors.install(api)
api.add_router("/auth", tokens_router)
api.add_router("/", network_router)
api.add_router("/staff", staff_router)
api.add_router("/companies", companies_router)
