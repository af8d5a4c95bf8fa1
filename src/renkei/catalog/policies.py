"""Who may write catalog items. Policies return booleans or raise typed errors; never HTTP.

An item belongs to its organization (the body that holds the instrument, runs the test, offers the program, where
the researcher works) and to a region. Its writers: the staff of that organization with a writer role
(secretariat, coordinator, member), the secretariat of the item's region, and superusers. An item of no region
(national data: KAKEN, jGrants) is the system administrator's.
"""

from __future__ import annotations

from renkei.core.errors import PermissionDenied
from renkei.network.models import Organization
from renkei.network.selectors import StaffContext

from .choices import KIND_LABELS


def can_write_for(ctx: StaffContext, *, organization_id: int | None, region_id: int | None) -> bool:
    if ctx.is_superuser:
        return True
    if organization_id is not None and organization_id in ctx.writer_org_ids:
        return True
    return region_id is not None and region_id in ctx.secretariat_region_ids


def can_edit_item(ctx: StaffContext, item) -> bool:
    return can_write_for(ctx, organization_id=item.owner_id, region_id=item.region_id)


def require_catalog_writer(ctx: StaffContext, kind: str) -> None:
    """Refuse early a user who may write no catalog item at all (viewers, anonymous)."""
    if not ctx.is_superuser and not ctx.writer_org_ids:
        raise PermissionDenied(
            f"{KIND_LABELS[kind]}を登録・変更できるのは、機関の事務局・コーディネーター・担当者です。"
        )


def require_write_for(
    ctx: StaffContext, kind: str, *, organization: Organization | None, region_id: int | None
) -> None:
    if can_write_for(ctx, organization_id=organization.pk if organization else None, region_id=region_id):
        return
    what = KIND_LABELS[kind]
    if organization is not None:
        raise PermissionDenied(
            f"「{organization.name}」の{what}を登録・変更できるのは、その機関の職員と"
            f"{organization.region.name}の事務局だけです。"
        )
    if region_id is None:
        raise PermissionDenied(
            f"全国の{what}（地域のない項目）を登録・変更できるのはシステム管理者だけです。"
        )
    raise PermissionDenied(f"この地域の{what}を登録・変更できるのは、地域の事務局だけです。")
