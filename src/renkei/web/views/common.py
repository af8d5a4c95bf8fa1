"""Helpers shared by the HTML views: access decorators, mapping typed errors onto forms, pagination."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse

from renkei.core.errors import ApplicationError
from renkei.network.selectors import staff_context

View = Callable[..., HttpResponse]

PAGE_SIZE = 50


def staff_required(view: View) -> View:
    """Logged in (else to the login page) and a staff member of some organization (else 403)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not staff_context(request.user).is_staff_member:
            raise DjangoPermissionDenied("この画面は支援機関の職員として登録された方だけが利用できます。")
        return view(request, *args, **kwargs)

    return wrapper


def secretariat_required(view: View) -> View:
    """Logged in and the secretariat of at least one region (or a superuser)."""

    @wraps(view)
    @login_required
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ctx = staff_context(request.user)
        if not (ctx.is_superuser or ctx.secretariat_region_ids):
            raise DjangoPermissionDenied("職員の管理は地域の事務局だけが行えます。")
        return view(request, *args, **kwargs)

    return wrapper


def apply_errors(form: forms.Form, exc: ApplicationError) -> None:
    """Put a service's errors on the form: field errors on their fields, the rest above the form."""
    if not exc.errors:
        form.add_error(None, exc.message)
        return
    for error in exc.errors:
        field = error.field if error.field in form.fields else None
        form.add_error(field, error.message)


def paginate(request: HttpRequest, items: Any, per_page: int = PAGE_SIZE) -> Page:
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def organization_choices(organizations: Any) -> list[tuple[int, str]]:
    """(id, label) pairs; the region is added when the list spans regions."""
    rows = list(organizations.select_related("region").order_by("region__prefecture__code", "name"))
    several_regions = len({o.region_id for o in rows}) > 1
    return [(o.pk, f"{o.name}（{o.region.name}）" if several_regions else o.name) for o in rows]
