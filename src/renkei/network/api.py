"""API routes for the network app: the public directory (no login) and staff memberships (staff only).

Handlers only translate HTTP to selector/service calls; every rule lives in selectors, policies and services.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from renkei.core.api import MAX_ID, Problem, paginate
from renkei.core.errors import NotFound

from .models import Membership, Organization
from .schemas import (
    MembershipCreateIn,
    MembershipOut,
    MembershipPage,
    MembershipUpdateIn,
    OrganizationDetailOut,
    OrganizationFilters,
    OrganizationPage,
    PartnerNetworkOut,
    RegionOut,
    StaffFilters,
)
from .selectors import (
    organization_detail,
    organization_list,
    partner_network_list,
    regions_with_organizations,
    staff_visible_to,
)
from .services import membership_create, membership_update

PathId = Path[int, {"ge": 1, "le": MAX_ID}]

router = Router(tags=["機関"])
staff_router = Router(tags=["職員"])


# --- public directory ------------------------------------------------------------------------------------------


@router.get(
    "/organizations",
    auth=None,
    response={200: OrganizationPage, 422: Problem},
    summary="機関の一覧",
    description="連携支援ネットワークの機関（産学官金・支援機関）。ログイン不要。職員の情報は含みません。",
)
def list_organizations(request: HttpRequest, filters: Query[OrganizationFilters]):
    qs = organization_list(
        region=filters.region, kind=filters.kind, capability=filters.capability, q=filters.q
    )
    return paginate(qs, filters)


@router.get(
    "/organizations/{organization_id}",
    auth=None,
    response={200: OrganizationDetailOut, 404: Problem, 422: Problem},
    summary="機関の詳細",
    description="上位・下位機関、役割（対応分野タグ・受け付ける相談区分）、支援対象分野、連携ネットワーク。",
)
def get_organization(request: HttpRequest, organization_id: PathId):
    try:
        return organization_detail(organization_id)
    except Organization.DoesNotExist:
        raise NotFound("指定された機関は見つかりません。") from None


@router.get("/regions", auth=None, response={200: list[RegionOut]}, summary="地域の一覧")
def list_regions(request: HttpRequest):
    return list(regions_with_organizations())


@router.get(
    "/partner-networks",
    auth=None,
    response={200: list[PartnerNetworkOut]},
    summary="連携ネットワークの一覧",
    description="地域をまたぐ連携ネットワークと、その構成機関（所属地域つき）。",
)
def list_partner_networks(request: HttpRequest):
    return list(partner_network_list())


# --- staff -----------------------------------------------------------------------------------------------------


@staff_router.get(
    "",
    response={200: MembershipPage, 401: Problem, 422: Problem},
    summary="職員（所属）の一覧",
    description="自分の所属する地域の機関の職員。地域の事務局以外も閲覧できます。",
)
def list_staff(request: HttpRequest, filters: Query[StaffFilters]):
    qs = staff_visible_to(request.auth)
    if filters.organization is not None:
        qs = qs.filter(organization_id=filters.organization)
    if filters.role is not None:
        qs = qs.filter(role=filters.role)
    if filters.is_active is not None:
        qs = qs.filter(is_active=filters.is_active)
    return paginate(qs.order_by("organization__name", "user__username", "id"), filters)


@staff_router.post(
    "",
    response={201: MembershipOut, 400: Problem, 401: Problem, 403: Problem, 409: Problem, 422: Problem},
    summary="職員の登録",
    description="地域の事務局だけが、その地域の機関に職員を登録できます。",
)
def create_staff(request: HttpRequest, payload: MembershipCreateIn):
    membership = membership_create(
        actor=request.auth,
        user_id=payload.user,
        organization_id=payload.organization,
        role=payload.role,
        title=payload.title,
        started_on=payload.started_on,
    )
    return Status(201, membership)


@staff_router.patch(
    "/{membership_id}",
    response={
        200: MembershipOut,
        400: Problem,
        401: Problem,
        403: Problem,
        404: Problem,
        409: Problem,
        422: Problem,
    },
    summary="職員の所属の変更",
    description="送った項目だけを変更します（null は変更なし）。別の地域の機関へは移せません。",
)
def update_staff(request: HttpRequest, membership_id: PathId, payload: MembershipUpdateIn):
    changes = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    if "organization" in changes:
        changes["organization_id"] = changes.pop("organization")
    membership: Membership = membership_update(actor=request.auth, membership_id=membership_id, **changes)
    return membership
