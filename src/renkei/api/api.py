"""The NinjaAPI instance: /api/v1/. Each app contributes a router; errors are mapped once in errors.py."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from renkei import __version__
from renkei.cases.api import handoffs_router, notifications_router, public_router, routing_router
from renkei.cases.api import router as cases_router
from renkei.cases.api_meetings import router as meetings_router
from renkei.catalog.api import router as catalog_router
from renkei.companies.api import router as companies_router
from renkei.matching.api import cases_router as matches_router
from renkei.matching.api import router as matching_router
from renkei.network.api import router as network_router
from renkei.network.api import staff_router

from . import errors
from .auth import STAFF_AUTH, session_auth, token_auth
from .tokens import router as tokens_router


class RenkeiAPI(NinjaAPI):
    def get_openapi_schema(self, **kwargs) -> OpenAPISchema:
        """The schema, with error responses documented as application/problem+json (what they are)."""
        schema = super().get_openapi_schema(**kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if str(status).isdigit() and int(status) >= 400 and "application/json" in content:
                        content[errors.PROBLEM] = content.pop("application/json")
        return schema


api = RenkeiAPI(
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
api.add_router("/public", public_router)
api.add_router("/cases", cases_router)
api.add_router("/handoffs", handoffs_router)
api.add_router("/routing", routing_router)
api.add_router("/notifications", notifications_router)
api.add_router("/meetings", meetings_router)


def _visitor(request: HttpRequest) -> AnonymousUser:
    return AnonymousUser()


# Public routes whose answer depends on who asks (a visitor sees published items; staff also their own): a token or
# a session is read when sent, otherwise the caller is a visitor.
OPTIONAL_AUTH = [token_auth, session_auth, _visitor]
api.add_router("/", catalog_router, auth=OPTIONAL_AUTH)  # /catalog/{kind}, /programs/{id}/eligibility
api.add_router("/", matching_router, auth=OPTIONAL_AUTH)  # /search
api.add_router("/cases", matches_router)  # /cases/{id}/matches
