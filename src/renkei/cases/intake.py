"""Intake: a consultation from staff (窓口, 電話, 訪問 …) or from the public form lands in the ledger."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from renkei.companies.models import Company
from renkei.core.errors import Conflict, FieldError, PermissionDenied, RateLimited, ValidationFailed
from renkei.core.wareki import fiscal_year
from renkei.network.models import Category, Organization, Region, TargetField
from renkei.network.selectors import staff_context

from . import classify
from .choices import CaseStatus, EventKind, NotificationKind
from .clocks import apply_clocks, local_date
from .common import (
    _default_ladder,
    _resolve_code,
    _settings_for,
    int_or_none,
    next_receipt_number,
    record_event,
    sla_targets,
)
from .models import (
    Case,
    CaseSettings,
    PublicSubmission,
)
from .notify import notify, organization_recipients
from .validation import clean_intake

# ---------------------------------------------------------------------------------------------------------------
# intake


def _create(
    *, region: Region, values: dict, received_by: Organization, lead: Organization, actor: User | None
) -> Case:
    received_at = values.pop("received_at", None) or timezone.now()
    fy = fiscal_year(local_date(received_at))
    case_settings = CaseSettings.objects.filter(region=region).first()
    category = values.get("category")
    first_days, resolution_days = sla_targets(region.pk, category.pk if category else None)
    ladder, step = _default_ladder(region.pk)
    # The suggestion before the receipt counter is locked: retraining must not hold up other intakes.
    suggestion = classify.suggest(
        region.pk, f"{values.get('title', '')}\n{values.get('detail', '')}", limit=1
    )
    case = Case(
        region=region,
        receipt_number=next_receipt_number(region, fy, case_settings.receipt_prefix if case_settings else ""),
        fiscal_year=fy,
        received_at=received_at,
        received_by=received_by,
        lead_organization=lead,
        status=CaseStatus.RECEIVED,
        status_changed_at=received_at,
        first_response_days=first_days,
        resolution_days=resolution_days,
        ladder=ladder,
        step=step,
        step_entered_on=local_date(received_at) if step else None,
        created_by=actor if actor and actor.is_authenticated else None,
        **values,
    )
    if suggestion:
        case.suggested_category_id = suggestion[0].category_id
        case.suggestion_confidence = round(suggestion[0].probability, 4)
    apply_clocks(case, suspensions=[])
    case.save()
    record_event(
        case,
        EventKind.CREATED,
        actor=actor,
        org_id=received_by.pk,
        text=f"{case.get_channel_display()}で受付",
        to_status=CaseStatus.RECEIVED,
    )
    return case


def case_create(*, actor: User, data: dict, organization_id: int | None = None) -> Case:
    """Staff intake (窓口, 電話, 訪問 …) at one of the actor's organizations."""
    ctx = staff_context(actor)
    writable = sorted(ctx.writer_org_ids)
    if not writable and not ctx.is_superuser:
        raise PermissionDenied("相談を登録できるのは機関の職員（担当者以上）です。")
    errors: list[FieldError] = []
    if organization_id is None:
        if len(writable) != 1:
            raise ValidationFailed.from_errors([FieldError("organization_id", "受付機関を選んでください。")])
        organization_id = writable[0]
    elif organization_id not in writable and not ctx.is_superuser:
        raise ValidationFailed.from_errors(
            [FieldError("organization_id", "この機関の相談は登録できません。")]
        )
    org = Organization.objects.select_related("region").filter(pk=organization_id).first()
    if org is None:
        raise ValidationFailed.from_errors([FieldError("organization_id", "受付機関が見つかりません。")])
    try:
        values = clean_intake(data, public=False)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        values = {}
    company = None
    company_id = data.get("company_id")
    if company_id not in (None, ""):
        company = Company.objects.visible_to(actor).filter(pk=int_or_none(company_id)).first()
        if company is None:
            errors.append(
                FieldError("company_id", "企業が見つかりません（閲覧できる企業を選んでください）。")
            )
    category = _resolve_code(
        Category,
        data.get("category"),
        region_id=org.region_id,
        field="category",
        label="相談区分",
        errors=errors,
    )
    target_field = _resolve_code(
        TargetField,
        data.get("target_field"),
        region_id=org.region_id,
        field="target_field",
        label="支援対象分野",
        errors=errors,
    )
    if errors:
        raise ValidationFailed.from_errors(errors)
    if company is not None:
        values["company"] = company
        values["consent_outside_region"] = values["consent_outside_region"] or company.consent_share_outside
        values["requester_company_name"] = values["requester_company_name"] or company.name
    values["category"] = category
    values["target_field"] = target_field
    with transaction.atomic():
        case = _create(region=org.region, values=values, received_by=org, lead=org, actor=actor)
    return case


def _client_hash(client_ip: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{client_ip}".encode()).hexdigest()


def case_create_public(*, data: dict, client_ip: str) -> Case:
    """The public consultation form (no login). Lands at the region's window, status 受付, receipt mailed."""
    errors: list[FieldError] = []
    if str(data.get("website") or "").strip():  # the honeypot a person never sees
        raise ValidationFailed.from_errors(
            [FieldError("website", "送信できませんでした。入力内容をご確認ください。")]
        )
    try:
        values = clean_intake(data, public=True)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        values = {}
    region = _public_region(data.get("region"), values.get("requester_prefecture"), errors)
    if errors:
        raise ValidationFailed.from_errors(errors)
    limit = settings.RENKEI_PUBLIC_INTAKE_PER_HOUR
    key = _client_hash(client_ip or "unknown")
    with transaction.atomic():
        since = timezone.now() - dt.timedelta(hours=1)
        if PublicSubmission.objects.filter(client_hash=key, at__gte=since).count() >= limit:
            raise RateLimited(
                f"送信が多すぎます。1時間に{limit}件までです。しばらくしてからお試しいただくか、お電話でご相談ください。"
            )
        PublicSubmission.objects.create(client_hash=key)
        PublicSubmission.objects.filter(client_hash=key, at__lt=since).delete()  # keep only the last hour
        case_settings = _settings_for(region)
        if not case_settings.public_intake:
            raise Conflict(f"{region.name}では現在Webフォームでの相談を受け付けていません。")
        window = case_settings.window_organization
        case = _create(region=region, values=values, received_by=window, lead=window, actor=None)
        notify(
            user_ids=organization_recipients([window.pk]),
            kind=NotificationKind.PUBLIC_INTAKE,
            case=case,
            text=f"Webフォームから相談がありました: {case.title}",
        )
        transaction.on_commit(lambda: _enqueue_receipt(case.pk))
    return case


def _enqueue_receipt(case_id: int) -> None:
    from .tasks import send_receipt_email

    try:
        send_receipt_email.enqueue(case_id)
    except Exception:  # noqa: BLE001 — the consultation is recorded whatever happens to the mail
        import logging

        logging.getLogger(__name__).exception("受付メールの送信に失敗しました")


def _public_region(raw: Any, prefecture, errors: list[FieldError]) -> Region | None:  # noqa: ANN001
    homes = Region.objects.filter(is_home=True, case_settings__public_intake=True)
    if raw not in (None, ""):
        region = homes.filter(slug=str(raw).strip()).first()
        if region is None:
            errors.append(FieldError("region", "相談先の地域が見つかりません。"))
        return region
    if prefecture is not None:
        region = homes.filter(prefecture=prefecture).first()
        if region is not None:
            return region
    if homes.count() == 1:
        return homes.first()
    if not errors:
        names = "、".join(r.name for r in homes)
        errors.append(FieldError("region", f"相談先の地域を選んでください（{names}）。"))
    return None
