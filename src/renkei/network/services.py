"""Writes for the network app: every write is keyword-only, typed and atomic."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from renkei.core.errors import Conflict, FieldError, NotFound, ValidationFailed

from .choices import StaffRole
from .models import Membership, Organization
from .policies import require_any_staff_manager, require_staff_manager
from .selectors import forget_staff_context, staff_context


def _organization(organization_id: int, field: str = "organization") -> Organization:
    try:
        return Organization.objects.select_related("region").get(pk=organization_id)
    except (Organization.DoesNotExist, ValueError, TypeError):
        raise ValidationFailed.from_errors([FieldError(field, "指定された機関は存在しません。")]) from None


def _role(role: str) -> str:
    if role not in StaffRole.values:
        allowed = "、".join(f"{v}（{label}）" for v, label in StaffRole.choices)
        raise ValidationFailed.from_errors(
            [FieldError("role", f"権限は {allowed} のいずれかを指定してください。")]
        )
    return role


@transaction.atomic
def membership_create(
    *,
    actor: User,
    user_id: int,
    organization_id: int,
    role: str,
    title: str = "",
    started_on: dt.date | None = None,
) -> Membership:
    ctx = staff_context(actor)
    require_any_staff_manager(ctx)
    organization = _organization(organization_id)
    require_staff_manager(ctx, organization)
    role = _role(role)
    try:
        user = get_user_model().objects.get(pk=user_id)
    except (get_user_model().DoesNotExist, ValueError, TypeError):
        raise ValidationFailed.from_errors([FieldError("user", "指定された利用者は存在しません。")]) from None
    if Membership.objects.active().filter(user=user, organization=organization).exists():
        raise Conflict(
            f"{user.get_username()} はすでに「{organization.name}」の職員として登録されています。",
            field="user",
        )
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                user=user,
                organization=organization,
                role=role,
                title=title.strip()[:100],
                started_on=started_on,
                created_by=actor,
            )
    except IntegrityError:
        raise Conflict(
            "同じ職員の所属が同時に登録されました。もう一度お試しください。", field="user"
        ) from None
    forget_staff_context(user)
    return membership


@transaction.atomic
def membership_update(
    *,
    actor: User,
    membership_id: int,
    role: str | None = None,
    title: str | None = None,
    organization_id: int | None = None,
    is_active: bool | None = None,
    ended_on: dt.date | None = None,
) -> Membership:
    ctx = staff_context(actor)
    try:
        membership = (
            Membership.objects.select_for_update()
            .select_related("organization__region")
            .get(pk=membership_id)
        )
    except (Membership.DoesNotExist, ValueError, TypeError):
        raise NotFound("指定された職員の所属は見つかりません。") from None
    if not ctx.is_superuser and membership.organization.region_id not in ctx.region_ids:
        raise NotFound("指定された職員の所属は見つかりません。")
    require_staff_manager(ctx, membership.organization)
    if organization_id is not None and organization_id != membership.organization_id:
        target = _organization(organization_id)
        require_staff_manager(ctx, target)
        membership.organization = target
    if role is not None:
        membership.role = _role(role)
    if title is not None:
        membership.title = title.strip()[:100]
    if is_active is False:
        # Deactivation ends the membership: on the day given, else on a 離任日 already past, else today.
        today = dt.date.today()
        planned = membership.ended_on
        membership.ended_on = ended_on or (planned if planned and planned <= today else today)
    elif is_active is True and not membership.is_active:
        membership.ended_on = ended_on  # reactivated: the old 離任日 no longer holds
    elif ended_on is not None:
        membership.ended_on = ended_on
    if is_active is not None:
        membership.is_active = is_active
    if membership.ended_on and membership.started_on and membership.ended_on < membership.started_on:
        raise ValidationFailed.from_errors(
            [
                FieldError(
                    "ended_on",
                    f"離任日（{membership.ended_on:%Y-%m-%d}）が着任日（{membership.started_on:%Y-%m-%d}）より前です。",
                )
            ]
        )
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError:
        raise Conflict(
            "この利用者はすでにその機関の職員として登録されています。", field="organization"
        ) from None
    forget_staff_context(membership.user)
    return membership
