"""Reads for companies, always through ``Company.objects.visible_to(user)``."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q, QuerySet

from renkei.core.errors import NotFound
from renkei.core.text import nfkc

from .models import Company


def company_list(
    *,
    user: User,
    q: str | None = None,
    size_class: str | None = None,
    region_id: int | None = None,
    owner_organization_id: int | None = None,
) -> QuerySet[Company]:
    qs = Company.objects.visible_to(user).select_related(
        "owner_organization", "region", "municipality", "jsic"
    )
    if q := nfkc(q):
        digits = q.replace("-", "")
        cond = (
            Q(name__icontains=q)
            | Q(kana__icontains=q)
            | Q(technologies__icontains=q)
            | Q(products__icontains=q)
        )
        if digits.isdigit():
            cond |= Q(corporate_number__startswith=digits)
        qs = qs.filter(cond)
    if size_class:
        qs = qs.filter(size_class=size_class)
    if region_id:
        qs = qs.filter(region_id=region_id)
    if owner_organization_id:
        qs = qs.filter(owner_organization_id=owner_organization_id)
    return qs.order_by("kana", "name", "id")


def company_detail(*, user: User, company_id: int) -> Company:
    try:
        return (
            Company.objects.visible_to(user)
            .select_related(
                "owner_organization", "region", "municipality__prefecture", "jsic__parent__parent__parent"
            )
            .prefetch_related("contacts")
            .get(pk=company_id)
        )
    except (Company.DoesNotExist, ValueError, TypeError):
        raise NotFound("指定された企業は見つかりません。") from None
