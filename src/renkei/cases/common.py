"""Helpers every case service shares: the event writer, the locked read, SLA targets, receipt numbers."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import F
from django.utils import timezone

from renkei.core.errors import Conflict, FieldError, NotFound
from renkei.network.choices import WRITER_ROLES
from renkei.network.models import Category, Membership, Region, TargetField

from .models import (
    Case,
    CaseEvent,
    CaseSettings,
    EscalationLadder,
    EscalationStep,
    ReceiptCounter,
    SlaPolicy,
)

DEFAULT_FIRST_RESPONSE_DAYS = 3
DEFAULT_RESOLUTION_DAYS = 30


# ---------------------------------------------------------------------------------------------------------------
# helpers


def record_event(
    case: Case, kind: str, *, actor: User | None, org_id: int | None, text: str = "", **extra: Any
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        at=timezone.now(),
        actor=actor if actor and actor.is_authenticated else None,
        actor_organization_id=org_id,
        text=text,
        from_status=extra.pop("from_status", ""),
        to_status=extra.pop("to_status", ""),
        handoff=extra.pop("handoff", None),
        data=extra,
    )


def get_case_for_update(actor: User, case_id: int) -> Case:
    """The case, locked, if the actor may see it; 404 otherwise (never say that it exists)."""
    case = Case.objects.visible_to(actor).select_for_update(of=("self",)).filter(pk=case_id).first()
    if case is None:
        raise NotFound("相談案件が見つかりません。")
    return case


def _settings_for(region: Region) -> CaseSettings:
    found = CaseSettings.objects.filter(region=region).select_related("window_organization").first()
    if found is None:
        raise Conflict(f"{region.name}の相談窓口が設定されていません（事務局にお問い合わせください）。")
    return found


def sla_targets(region_id: int, category_id: int | None) -> tuple[int, int]:
    policies_ = {p.category_id: p for p in SlaPolicy.objects.filter(region_id=region_id)}
    policy = policies_.get(category_id) if category_id else None
    if policy is None and category_id:
        parent_id = Category.objects.filter(pk=category_id).values_list("parent_id", flat=True).first()
        policy = policies_.get(parent_id)
    policy = policy or policies_.get(None)
    if policy is None:
        return DEFAULT_FIRST_RESPONSE_DAYS, DEFAULT_RESOLUTION_DAYS
    return policy.first_response_days, policy.resolution_days


def next_receipt_number(region: Region, fy: int, prefix: str = "") -> str:
    counter, _ = ReceiptCounter.objects.select_for_update().get_or_create(region=region, fiscal_year=fy)
    ReceiptCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    return f"{prefix or region.prefecture_id + '-'}{fy}-{counter.last:06d}"


def _default_ladder(region_id: int) -> tuple[EscalationLadder | None, EscalationStep | None]:
    ladder = EscalationLadder.objects.filter(region_id=region_id, is_default=True).first()
    if ladder is None:
        return None, None
    return ladder, ladder.steps.order_by("position").first()


def _resolve_code(
    model: type, raw: Any, *, region_id: int | None, field: str, label: str, errors: list
) -> Any:
    if raw in (None, ""):
        return None
    qs = model.objects.all()
    if model is TargetField:
        qs = qs.filter(region_id__in=[region_id]) | qs.filter(region__isnull=True)
    value = str(raw).strip()
    found = qs.filter(code=value).first() or (qs.filter(pk=int(value)).first() if value.isdigit() else None)
    if found is None:
        errors.append(FieldError(field, f"{label}「{value[:30]}」はありません。"))
    return found


def int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def is_writer(user_id: int, organization_id: int) -> bool:
    """The user acts for the organization today: an active user with a writer role in force (着任日/離任日)."""
    return (
        Membership.objects.in_force()
        .filter(user_id=user_id, organization_id=organization_id, role__in=WRITER_ROLES, user__is_active=True)
        .exists()
    )
