"""API schemas for the network app: the public directory (regions, organizations, partner networks) and staff."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool

from renkei.core.api import MAX_ID, NO_NUL, IsoDate, PageQuery

from .choices import OrganizationKind, StaffRole

Id = Annotated[int, Field(ge=1, le=MAX_ID)]

# A region is named by its id (digits) or its slug; 19+ digits cannot be an id and are not a slug either.
REGION_PATTERN = r"^(?:[0-9]{1,18}|[-a-zA-Z0-9_]*[-a-zA-Z_][-a-zA-Z0-9_]*)$"


# --- public directory ------------------------------------------------------------------------------------------


class RegionRef(Schema):
    id: int
    slug: str
    name: str


class RegionOut(Schema):
    id: int
    slug: str
    name: str
    code: str = Field(..., description="全国地方公共団体コード（都道府県）")
    prefecture_code: str = Field(..., description="都道府県コード（JIS X 0401）")
    is_home: bool = Field(..., description="本システムで連携支援を運営している地域")
    plan_name: str
    organization_count: int

    @staticmethod
    def resolve_code(obj) -> str:
        return obj.prefecture.lgcode

    @staticmethod
    def resolve_prefecture_code(obj) -> str:
        return obj.prefecture_id

    @staticmethod
    def resolve_organization_count(obj) -> int:
        return obj.n_orgs


class OrganizationRef(Schema):
    id: int
    name: str
    short_name: str
    kind: OrganizationKind


class OrganizationOut(Schema):
    id: int
    name: str
    short_name: str
    kana: str
    kind: OrganizationKind
    kind_label: str
    region: RegionRef
    parent: OrganizationRef | None
    is_plan_member: bool
    url: str
    phone: str
    address: str

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()


class CategoryRef(Schema):
    code: str
    name: str


class RoleOut(Schema):
    id: int
    text: str
    capabilities: list[str] = Field(..., description="対応分野タグ")
    accepts_categories: list[CategoryRef] = Field(..., description="受け付ける相談区分")
    valid_from: dt.date | None
    valid_to: dt.date | None

    @staticmethod
    def resolve_capabilities(obj) -> list[str]:
        return [c.name for c in obj.capabilities.all()]

    @staticmethod
    def resolve_accepts_categories(obj) -> list:
        return list(obj.accepts_categories.all())


class TargetFieldOut(Schema):
    id: int
    code: str
    name: str
    parent_id: int | None


class PartnerNetworkRef(Schema):
    id: int
    name: str
    short_name: str


class OrganizationDetailOut(OrganizationOut):
    postal_code: str
    representative_title: str
    representative_name: str
    email: str
    description: str
    children: list[OrganizationRef]
    roles: list[RoleOut]
    target_fields: list[TargetFieldOut] = Field(..., description="対応する支援対象分野")
    partner_networks: list[PartnerNetworkRef]

    @staticmethod
    def resolve_children(obj) -> list:
        return list(obj.children.all())

    @staticmethod
    def resolve_roles(obj) -> list:
        return list(obj.roles.all())

    @staticmethod
    def resolve_target_fields(obj) -> list:
        return list(obj.fields.all())

    @staticmethod
    def resolve_partner_networks(obj) -> list:
        return list(obj.partner_networks.all())


class OrganizationFilters(PageQuery):
    region: str | None = Field(
        None, max_length=40, pattern=REGION_PATTERN, description="地域の ID または識別子（例: chiba）"
    )
    kind: OrganizationKind | None = Field(None, description="機関の種別")
    capability: str | None = Field(None, max_length=60, pattern=NO_NUL, description="対応分野タグの名称")
    q: str | None = Field(None, max_length=200, pattern=NO_NUL, description="名称・よみがな・略称の部分一致")


class OrganizationPage(Schema):
    count: int
    items: list[OrganizationOut]


class PartnerNetworkMemberOut(Schema):
    id: int = Field(..., description="機関の ID")
    name: str
    short_name: str
    kind: OrganizationKind
    region: RegionRef
    note: str

    @staticmethod
    def resolve_id(obj) -> int:
        return obj.organization_id

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.organization.name

    @staticmethod
    def resolve_short_name(obj) -> str:
        return obj.organization.short_name

    @staticmethod
    def resolve_kind(obj) -> str:
        return obj.organization.kind

    @staticmethod
    def resolve_region(obj):
        return obj.organization.region


class PartnerNetworkOut(Schema):
    id: int
    name: str
    short_name: str
    description: str
    url: str
    founded_fiscal_year: int | None = Field(..., description="発足年度")
    members: list[PartnerNetworkMemberOut]

    @staticmethod
    def resolve_members(obj) -> list:
        return list(obj.memberships.all())


# --- staff -----------------------------------------------------------------------------------------------------


class UserRef(Schema):
    id: int
    username: str
    full_name: str = Field(..., description="氏名（姓 名）")

    @staticmethod
    def resolve_full_name(obj) -> str:
        return f"{obj.last_name} {obj.first_name}".strip()


class StaffOrganizationRef(OrganizationRef):
    region: RegionRef


class MembershipOut(Schema):
    id: int
    user: UserRef
    organization: StaffOrganizationRef
    role: StaffRole
    role_label: str
    title: str
    is_active: bool
    started_on: dt.date | None
    ended_on: dt.date | None

    @staticmethod
    def resolve_role_label(obj) -> str:
        return obj.get_role_display()


class MembershipPage(Schema):
    count: int
    items: list[MembershipOut]


class StaffFilters(PageQuery):
    organization: Id | None = Field(None, description="機関の ID")
    role: StaffRole | None = Field(None, description="権限")
    is_active: bool | None = Field(None, description="有効な所属だけ（true）／離任済みだけ（false）")


class MembershipCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    user: Id = Field(..., description="利用者の ID")
    organization: Id = Field(..., description="所属する機関の ID")
    role: StaffRole = Field(StaffRole.MEMBER, description="権限")
    title: str = Field(
        "", max_length=100, pattern=NO_NUL, description="役職・職名（例: 研究開発コーディネーター）"
    )
    started_on: IsoDate | None = Field(None, description="着任日（YYYY-MM-DD）")


class MembershipUpdateIn(Schema):
    """Only the keys sent are changed; null means 'unchanged'."""

    model_config = ConfigDict(extra="forbid")

    organization: Id | None = Field(None, description="所属を移す先の機関の ID（同じ地域の機関に限る）")
    role: StaffRole | None = Field(None, description="権限")
    title: str | None = Field(None, max_length=100, pattern=NO_NUL, description="役職・職名")
    is_active: StrictBool | None = Field(None, description="false で離任（離任日は ended_on か今日）")
    ended_on: IsoDate | None = Field(None, description="離任日（YYYY-MM-DD）")
