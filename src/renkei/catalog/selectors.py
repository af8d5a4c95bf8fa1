"""Reads for the catalog, always through ``visible_to(user)``: anonymous users see only public items.

``q`` here is a plain substring filter for lists and the back office; ranking a need against the catalog is the
matching engine's job (``renkei.matching``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db import connection
from django.db.models import Q, QuerySet

from renkei.core.errors import NotFound, ValidationFailed
from renkei.core.text import nfkc
from renkei.network.models import Region

from .choices import KIND_EQUIPMENT, KIND_LABELS, KIND_PROGRAMS, KIND_SEEDS, KIND_TEST_SERVICES, KINDS
from .models import CatalogSource, Equipment, Researcher, ResearchSeed, SupportProgram, TestService

_MODELS = {
    "researchers": Researcher,
    KIND_SEEDS: ResearchSeed,
    KIND_EQUIPMENT: Equipment,
    KIND_TEST_SERVICES: TestService,
    KIND_PROGRAMS: SupportProgram,
}
_TEXT_FIELDS = {
    "researchers": ("name", "kana", "affiliation"),
    KIND_SEEDS: ("title", "summary", "institution_name", "researcher__name"),
    KIND_EQUIPMENT: ("name", "maker", "model_number", "specifications", "organization__name"),
    KIND_TEST_SERVICES: ("name", "method", "standard", "organization__name"),
    KIND_PROGRAMS: ("title", "provider_name", "summary", "catch_phrase"),
}
_RELATED = {
    "researchers": ("organization", "region", "source"),
    KIND_SEEDS: ("researcher", "institution", "region", "source"),
    KIND_EQUIPMENT: ("organization__region", "source"),
    KIND_TEST_SERVICES: ("organization__region", "equipment", "source"),
    KIND_PROGRAMS: ("organization", "region", "source"),
}
MAX_QUERY_TERMS = 10


def model_for(kind: str) -> Any:
    try:
        return _MODELS[kind]
    except KeyError:
        raise ValidationFailed(
            f"種類「{kind}」はありません（{', '.join(KINDS)} のいずれか）。", field="kind"
        ) from None


def catalog_list(
    kind: str,
    user: User | AnonymousUser | None,
    q: str | None = None,
    *,
    region: Region | int | str | None = None,
    organization: int | None = None,
    category: str | None = None,
    program_kind: str | None = None,
    fiscal_year: int | None = None,
    purpose: str | None = None,
    open_on: dt.date | None = None,
    source: int | None = None,
) -> QuerySet:
    """The items of ``kind`` the user may see, filtered.

    ``region`` keeps the items of that region and national ones (no region); ``open_on`` keeps programs whose
    application window includes that day (an open end counts as open); ``category`` is an equipment category;
    ``program_kind``/``fiscal_year``/``purpose`` filter programs.
    """
    model = model_for(kind)
    qs = model.objects.visible_to(user).select_related(*_RELATED[kind])
    if region:
        if isinstance(region, Region):
            region_q = Q(region=region)
        elif isinstance(region, int) or str(region).isdigit():
            region_q = Q(region_id=int(region))
        else:
            region_q = Q(region__slug=region)
        qs = qs.filter(region_q | Q(region__isnull=True))
    if organization:
        qs = qs.filter(**{f"{model.OWNER_FIELD}_id": organization})
    if source:
        qs = qs.filter(source_id=source)
    if category and kind == KIND_EQUIPMENT:
        qs = qs.filter(category=category)
    if kind == KIND_PROGRAMS:
        if program_kind:
            qs = qs.filter(kind=program_kind)
        if fiscal_year:
            qs = qs.filter(fiscal_year=fiscal_year)
        if purpose:
            qs = _with_purpose(qs, purpose)
        if open_on:
            qs = qs.filter(Q(opens_on__isnull=True) | Q(opens_on__lte=open_on)).filter(
                Q(closes_on__isnull=True) | Q(closes_on__gte=open_on)
            )
    for term in nfkc(q).split()[:MAX_QUERY_TERMS]:
        condition = Q()
        for name in _TEXT_FIELDS[kind]:
            condition |= Q(**{f"{name}__icontains": term})
        qs = qs.filter(condition)
    return qs


def _with_purpose(qs: QuerySet, purpose: str) -> QuerySet:
    """Programs whose purposes include ``purpose``: JSON containment where the database has it (PostgreSQL);
    on SQLite the (small) list of programs is checked in Python."""
    if connection.features.supports_json_field_contains:
        return qs.filter(purposes__contains=[purpose])
    ids = [pk for pk, purposes in qs.values_list("pk", "purposes") if purpose in (purposes or [])]
    return qs.filter(pk__in=ids)


def item_detail(kind: str, item_id: int, user: User | AnonymousUser | None) -> Any:
    """One item the user may see, with its relations; NotFound otherwise (also for unpublished ones)."""
    model = model_for(kind)
    try:
        return model.objects.visible_to(user).select_related(*_RELATED[kind]).get(pk=item_id)
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"指定された{KIND_LABELS[kind]}は見つかりません。") from None


def source_list() -> QuerySet[CatalogSource]:
    """The sources with their licence and credit line (shown wherever their items are listed)."""
    return CatalogSource.objects.order_by("name")
