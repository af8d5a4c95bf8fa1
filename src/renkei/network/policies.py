"""Who may do what in the network app. Policies return booleans or raise typed errors; never HTTP."""

from __future__ import annotations

from renkei.core.errors import FieldError, PermissionDenied, ValidationFailed

from .models import Organization
from .selectors import StaffContext


def can_manage_staff_of(ctx: StaffContext, organization: Organization) -> bool:
    """The secretariat of the organization's region (or a superuser) manages its staff."""
    return ctx.is_superuser or organization.region_id in ctx.secretariat_region_ids


def require_any_staff_manager(ctx: StaffContext) -> None:
    """Refuse early (before looking anything up) a user who manages the staff of no region."""
    if not ctx.is_superuser and not ctx.secretariat_region_ids:
        raise PermissionDenied("職員の登録・変更は地域の事務局だけが行えます。")


def require_staff_manager(
    ctx: StaffContext, organization: Organization, *, field: str = "organization"
) -> None:
    if ctx.is_superuser:
        return
    require_any_staff_manager(ctx)
    if organization.region_id not in ctx.secretariat_region_ids:
        raise ValidationFailed.from_errors(
            [
                FieldError(
                    field,
                    f"「{organization.name}」は別の地域（{organization.region.name}）の機関のため、職員を登録・変更できません。",
                )
            ]
        )


def can_edit_organization(ctx: StaffContext, organization: Organization) -> bool:
    return ctx.is_superuser or organization.region_id in ctx.secretariat_region_ids
