"""Writes for companies: every write goes through here (forms, API, importers, demo)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from renkei.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from renkei.core.text import nfkc, squash_spaces
from renkei.network.choices import StaffRole
from renkei.network.models import Organization
from renkei.network.selectors import StaffContext, staff_context

from .models import Company, Contact
from .validation import CompanyValidator

_validator: CompanyValidator | None = None


def validator() -> CompanyValidator:
    """A process-wide validator; reference data (JSIC, municipalities) does not change at run time."""
    global _validator  # noqa: PLW0603
    if _validator is None or not _validator.jsic:
        _validator = CompanyValidator()
    return _validator


def can_edit_company(ctx: StaffContext, company: Company) -> bool:
    if ctx.is_superuser:
        return True
    if company.owner_organization_id in ctx.writer_org_ids:
        return True
    # Secretariat and coordinators of the region may edit what the company agreed to share in the region.
    return company.consent_share_region and any(
        ctx.region_by_org[o] == company.region_id
        and ctx.roles_by_org[o] in (StaffRole.SECRETARIAT, StaffRole.COORDINATOR)
        and ctx.kind_by_org[o] != "finance"
        for o in ctx.roles_by_org
    )


def owner_for_new_company(ctx: StaffContext, owner_organization_id: int | None) -> Organization:
    if ctx.is_superuser and owner_organization_id:
        try:
            return Organization.objects.select_related("region").get(pk=owner_organization_id)
        except (Organization.DoesNotExist, ValueError, TypeError):
            raise ValidationFailed.from_errors(
                [FieldError("owner_organization", "指定された登録機関は存在しません。")]
            ) from None
    writable = sorted(ctx.writer_org_ids)
    if not writable and ctx.is_superuser:
        # A superuser belongs to no body by default: the owner must be named, not refused as a permission.
        raise ValidationFailed.from_errors(
            [FieldError("owner_organization", "登録機関（企業を登録する支援機関）を指定してください。")]
        )
    if not writable:
        raise PermissionDenied("企業を登録できるのは、支援機関の事務局・コーディネーター・担当者です。")
    if owner_organization_id is None:
        chosen = writable[0]
    elif owner_organization_id in ctx.writer_org_ids:
        chosen = owner_organization_id
    elif owner_organization_id in ctx.organization_ids:
        raise ValidationFailed.from_errors(
            [
                FieldError(
                    "owner_organization",
                    "この機関での権限は閲覧者のため、この機関の企業としては登録できません。",
                )
            ]
        )
    else:
        raise ValidationFailed.from_errors(
            [FieldError("owner_organization", "所属していない機関を登録機関に指定することはできません。")]
        )
    return Organization.objects.select_related("region").get(pk=chosen)


def _raise_if_invalid(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed.from_errors(errors)


def _check_unique_number(region_id: int, number: str | None, exclude_id: int | None = None) -> None:
    if not number:
        return
    qs = Company.objects.filter(region_id=region_id, corporate_number=number)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    if qs.exists():
        raise Conflict("この法人番号の企業はすでにこの地域で登録されています。", field="corporate_number")


def apply_size_class(company: Company) -> None:
    """Derive the 中小企業基本法 size class (and its reason) from the company's JSIC code, capital and employees."""
    verdict = validator().size(company.jsic_id, company.capital, company.employees)
    company.size_class = verdict.size_class
    company.sector = verdict.sector
    company.size_reason = verdict.reason[:300]


def _company_for_edit(actor: User, ctx: StaffContext, company_id: int, denied: str) -> Company:
    """The company, locked for update; 404 if the actor may not see it, 403 (``denied``) if not edit it."""
    try:
        company = Company.objects.visible_to(actor).select_for_update().get(pk=company_id)
    except (Company.DoesNotExist, ValueError, TypeError):
        raise NotFound("指定された企業は見つかりません。") from None
    if not can_edit_company(ctx, company):
        raise PermissionDenied(denied)
    return company


def prepare_new_company(company: Company) -> None:
    """What every new company gets before it is saved (by company_create and by the importer alike)."""
    if company.consent_share_region or company.consent_share_outside:
        company.consent_recorded_on = dt.date.today()
    apply_size_class(company)


@transaction.atomic
def company_create(
    *,
    actor: User,
    data: dict[str, Any],
    owner_organization_id: int | None = None,
    is_fictitious: bool = False,
) -> Company:
    """Register a company. ``data`` holds raw input keyed as in validation.FIELD_LABELS."""
    ctx = staff_context(actor)
    cleaned = validator().clean(data)
    owner = owner_for_new_company(ctx, owner_organization_id)
    _raise_if_invalid(cleaned.errors)
    _check_unique_number(owner.region_id, cleaned.values.get("corporate_number"))
    company = Company(
        **cleaned.values,
        region_id=owner.region_id,
        owner_organization=owner,
        created_by=actor,
        is_fictitious=is_fictitious,
    )
    prepare_new_company(company)
    try:
        with transaction.atomic():
            company.save()
    except IntegrityError:
        raise Conflict(
            "この法人番号の企業はすでにこの地域で登録されています。", field="corporate_number"
        ) from None
    return company


@transaction.atomic
def company_update(*, actor: User, company_id: int, data: dict[str, Any]) -> Company:
    """Change a company; only the keys present in ``data`` are changed."""
    ctx = staff_context(actor)
    company = _company_for_edit(actor, ctx, company_id, "この企業の情報を変更する権限がありません。")
    cleaned = validator().clean(data, partial=True)
    _raise_if_invalid(cleaned.errors)
    if "corporate_number" in cleaned.values:
        _check_unique_number(company.region_id, cleaned.values["corporate_number"], exclude_id=company.pk)
    consent_before = (company.consent_share_region, company.consent_share_outside)
    if not (ctx.is_superuser or company.owner_organization_id in ctx.writer_org_ids):
        # Consent is the company's word, recorded by the body it gave it to; others may not change it.
        changed = [
            FieldError(key, "情報共有の同意は、企業を登録した機関だけが変更できます。")
            for key, before in zip(
                ("consent_share_region", "consent_share_outside"), consent_before, strict=True
            )
            if key in cleaned.values and cleaned.values[key] != before
        ]
        _raise_if_invalid(changed)
    for key, value in cleaned.values.items():
        setattr(company, key, value)
    if (company.consent_share_region, company.consent_share_outside) != consent_before:
        company.consent_recorded_on = dt.date.today()
    apply_size_class(company)
    try:
        with transaction.atomic():
            company.save()
    except IntegrityError:
        raise Conflict(
            "この法人番号の企業はすでにこの地域で登録されています。", field="corporate_number"
        ) from None
    return company


def _clean_contact(data: dict[str, Any]) -> tuple[dict[str, Any], list[FieldError]]:
    errors: list[FieldError] = []
    values: dict[str, Any] = {}
    for key, label, maximum in (
        ("name", "氏名", 100),
        ("kana", "よみがな", 100),
        ("department", "部署", 100),
        ("title", "役職", 100),
    ):
        text = squash_spaces(data.get(key))
        if len(text) > maximum:
            errors.append(FieldError(key, f"{label}は{maximum}文字以内で入力してください。"))
        values[key] = text
    if not values["name"]:
        errors.append(FieldError("name", "担当者の氏名を入力してください。"))
    email = nfkc(data.get("email"))
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors.append(FieldError("email", "メールアドレスの形式が正しくありません。"))
    values["email"] = email
    phone = nfkc(data.get("phone")).replace(" ", "")
    if phone and not re.fullmatch(r"[0-9()+\-]{6,30}", phone):
        errors.append(FieldError("phone", "電話番号は数字とハイフンで入力してください（例: 043-223-2711）。"))
    values["phone"] = phone
    values["is_primary"] = bool(data.get("is_primary", False))
    return values, errors


@transaction.atomic
def contact_create(*, actor: User, company_id: int, data: dict[str, Any]) -> Contact:
    """Add a contact person (personal data) to a company the actor may edit."""
    ctx = staff_context(actor)
    company = _company_for_edit(actor, ctx, company_id, "この企業の担当者を登録する権限がありません。")
    values, errors = _clean_contact(data)
    _raise_if_invalid(errors)
    if values["is_primary"]:
        company.contacts.filter(is_primary=True).update(is_primary=False)
    return Contact.objects.create(company=company, created_by=actor, **values)
