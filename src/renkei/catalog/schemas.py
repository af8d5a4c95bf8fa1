"""API schemas of the catalog: one input, change, output and filter schema per kind, and the eligibility profile.

Inputs only bound types and sizes (so nothing reaches the database unchecked); ``validation.clean`` and the
services give the specific Japanese messages (a rate that is not a fraction, a date that is not a date, an
organization that does not exist …). Amounts, dates and 年度 may be sent as typed by people — 「1,500万円」,
「令和7年4月1日」, 「令和7年度」, 全角 digits — like the forms and the importers accept them.

Relations are given by id (``organization``, ``institution``, ``researcher``, ``equipment``) and ``region`` by id or
identifier (slug); the services check that they exist and that the caller may write for them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Schema
from pydantic import (
    ConfigDict,
    StrictBool,
    StrictInt,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
)
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from renkei.companies.choices import SizeClass
from renkei.core.api import MAX_ID, NO_NUL, IsoDate, PageQuery
from renkei.network.schemas import REGION_PATTERN, OrganizationRef, RegionRef
from renkei.network.selectors import staff_context

from .choices import (
    KIND_EQUIPMENT,
    KIND_PROGRAMS,
    KIND_RESEARCHERS,
    KIND_SEEDS,
    KIND_TEST_SERVICES,
    PURPOSES,
    EquipmentCategory,
    IpStatus,
    ProgramKind,
    SeedStage,
)
from .eligibility import STAGES
from .policies import can_edit_item
from .validation import LIST_ITEM_MAX, LIST_ITEMS_MAX, LONG_TEXT_MAX

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
RegionKey = Annotated[str, Field(max_length=40, pattern=REGION_PATTERN)]
ListItem = Annotated[str, Field(min_length=1, max_length=LIST_ITEM_MAX, pattern=NO_NUL)]
TextList = Annotated[list[ListItem], Field(max_length=LIST_ITEMS_MAX)]
# Integers a column of 32 bits holds (手数料 and the rate pair are ``PositiveIntegerField``).
MAX_INT32 = 2_147_483_647
MAX_RATE_TERM = 1_000
# As ``validation`` checks it (http or https, no spaces), or empty to clear it.
URL_PATTERN = r"^(?:[hH][tT][tT][pP][sS]?://[^\s/$.?#\x00][^\s\x00]+)?$"


def request_user(request: HttpRequest) -> Any:
    """Who is asking: the authenticated caller (``AnonymousUser`` for a visitor on a route where authentication is
    optional), or the session's user on a route mounted without authentication."""
    return request.auth if getattr(request, "auth", None) is not None else request.user


def _text(max_length: int, description: str) -> Any:
    return Field(None, max_length=max_length, pattern=NO_NUL, description=description)


def _number_or_text(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """One error for the field (not one per union member), so the API names the field plainly."""
    try:
        return handler(value)
    except ValidationError:
        raise PydanticCustomError(
            "number_or_text", "整数、または40文字以内の数字の文字列で指定してください。"
        ) from None


def _number_or_text_type(maximum: int) -> Any:
    return Annotated[
        Annotated[StrictInt, Field(ge=0, le=maximum)]
        | Annotated[str, Field(max_length=40, pattern=NO_NUL)]
        | None,
        WrapValidator(_number_or_text),
    ]


Yen = _number_or_text_type(10**15)
Fee = _number_or_text_type(MAX_INT32)
Year = _number_or_text_type(2200)
RateTerm = Annotated[StrictInt, Field(ge=0, le=MAX_RATE_TERM)]


class _Fields(Schema):
    """Fields every kind takes. ``external_id`` (the number in an imported source) is the importers' to set: it is
    how a re-import finds the item again."""

    model_config = ConfigDict(extra="forbid")

    is_public: StrictBool = Field(
        None, description="公開（false にすると機関の職員と地域の事務局だけが見られます）"
    )
    region: RegionKey | None = Field(
        None,
        description="管理する地域の ID または識別子（機関のない項目だけ。機関があるときはその機関の地域）",
    )


# --- inputs, per kind ------------------------------------------------------------------------------------------


class _ResearcherFields(_Fields):
    kana: str | None = _text(100, "よみがな")
    affiliation: str | None = _text(300, "所属（大学・部局・職）")
    organization: Id | None = Field(None, description="所属機関の ID")
    fields: TextList | None = Field(None, description="研究分野")
    researchmap_id: str | None = _text(100, "researchmap ID")
    kaken_researcher_number: str | None = _text(20, "科研費研究者番号（数字8桁）")


class ResearcherIn(_ResearcherFields):
    name: str = Field(..., max_length=100, pattern=NO_NUL, description="氏名")


class ResearcherPatchIn(_ResearcherFields):
    name: Annotated[str, Field(max_length=100, pattern=NO_NUL)] | SkipJsonSchema[None] = Field(
        None, description="氏名"
    )


class _SeedFields(_Fields):
    summary: str | None = _text(LONG_TEXT_MAX, "概要")
    keywords: TextList | None = Field(None, description="キーワード")
    fields: TextList | None = Field(None, description="研究分野")
    institution: Id | None = Field(None, description="研究機関の ID（連携体制の機関）")
    institution_name: str | None = _text(200, "研究機関名（連携体制にない機関）")
    researcher: Id | None = Field(None, description="研究者の ID")
    ip_status: IpStatus = Field(None, description="知的財産")
    stage: SeedStage | None = Field(None, description="研究段階")
    contact_route: str | None = _text(300, "問い合わせ方法")
    url: str | None = Field(
        None, max_length=500, pattern=URL_PATTERN, description="URL（http:// または https://）"
    )


class SeedIn(_SeedFields):
    title: str = Field(..., max_length=300, pattern=NO_NUL, description="研究テーマ")


class SeedPatchIn(_SeedFields):
    title: Annotated[str, Field(max_length=300, pattern=NO_NUL)] | SkipJsonSchema[None] = Field(
        None, description="研究テーマ"
    )


class _EquipmentFields(_Fields):
    maker: str | None = _text(200, "メーカー")
    model_number: str | None = _text(200, "型式")
    category: EquipmentCategory = Field(None, description="分類")
    specifications: str | None = _text(LONG_TEXT_MAX, "仕様")
    location: str | None = _text(200, "設置場所")
    external_use: StrictBool = Field(None, description="外部利用可")
    fee_summary: str | None = _text(300, "利用料金（例: 1時間 2,500円）")


class EquipmentIn(_EquipmentFields):
    organization: Id = Field(..., description="保有機関の ID")
    name: str = Field(..., max_length=200, pattern=NO_NUL, description="機器名")


class EquipmentPatchIn(_EquipmentFields):
    organization: Id = Field(None, description="保有機関の ID")
    name: Annotated[str, Field(max_length=200, pattern=NO_NUL)] | SkipJsonSchema[None] = Field(
        None, description="機器名"
    )


class _TestServiceFields(_Fields):
    method: str | None = _text(300, "試験方法（例: JIS Z 2241 金属材料引張試験方法）")
    standard: str | None = _text(100, "規格番号（例: JIS Z 2241）")
    unit: str | None = _text(60, "単位（例: 1試料）")
    fee_yen: Fee = Field(None, description="手数料（円。「2,500円」のような文字列も可）")
    fee_note: str | None = _text(300, "料金の備考")
    equipment: Id | None = Field(None, description="使用機器の ID（同じ機関の機器）")


class TestServiceIn(_TestServiceFields):
    organization: Id = Field(..., description="実施機関の ID")
    name: str = Field(..., max_length=200, pattern=NO_NUL, description="試験項目")


class TestServicePatchIn(_TestServiceFields):
    organization: Id = Field(None, description="実施機関の ID")
    name: Annotated[str, Field(max_length=200, pattern=NO_NUL)] | SkipJsonSchema[None] = Field(
        None, description="試験項目"
    )


TestServiceIn.__test__ = False  # type: ignore[attr-defined] - not pytest test classes, despite their names
TestServicePatchIn.__test__ = False  # type: ignore[attr-defined]


class _ProgramFields(_Fields):
    provider_name: str | None = _text(200, "実施機関名")
    organization: Id | None = Field(None, description="実施機関の ID（連携体制の機関）")
    kind: ProgramKind = Field(None, description="種類")
    purposes: TextList | None = Field(None, description=f"目的（{'、'.join(PURPOSES)} から）")
    fields: TextList | None = Field(None, description="分野")
    summary: str | None = _text(LONG_TEXT_MAX, "概要")
    catch_phrase: str | None = _text(300, "キャッチフレーズ")
    eligibility: dict[str, Any] | None = Field(
        None,
        description='対象者の条件（renkei-eligibility/1。例: {"size_classes": ["sme"], "employees": {"max": 300}}）',
    )
    eligibility_text: str | None = _text(LONG_TEXT_MAX, "対象者（原文）")
    rate_text: str | None = _text(500, "補助率（原文。「2/3以内」から分数を読み取ります）")
    rate_numerator: RateTerm | None = Field(None, description="補助率の分子（分母と組で）")
    rate_denominator: RateTerm | None = Field(None, description="補助率の分母（分子と組で）")
    cap_yen: Yen = Field(None, description="上限額（円。「1,500万円」のような文字列も可）")
    opens_on: str | None = _text(40, "受付開始日（2025-04-01、令和7年4月1日 など）")
    closes_on: str | None = _text(40, "受付締切日")
    fiscal_year: Year = Field(None, description="年度（2025、「令和7年度」も可。省略時は受付期間から）")
    url: str | None = Field(
        None, max_length=500, pattern=URL_PATTERN, description="URL（http:// または https://）"
    )
    first_seen: str | None = _text(40, "初回掲載日")
    last_updated: str | None = _text(40, "最終更新日")


class ProgramIn(_ProgramFields):
    title: str = Field(..., max_length=300, pattern=NO_NUL, description="名称")


class ProgramPatchIn(_ProgramFields):
    title: Annotated[str, Field(max_length=300, pattern=NO_NUL)] | SkipJsonSchema[None] = Field(
        None, description="名称"
    )


# --- filters ---------------------------------------------------------------------------------------------------


class CatalogFilters(PageQuery):
    q: str | None = Field(
        None, max_length=200, pattern=NO_NUL, description="名称・概要などの部分一致（空白区切りで AND）"
    )
    organization: Id | None = Field(None, description="機関（保有・実施・所属・研究機関）の ID")
    region: RegionKey | None = Field(None, description="地域の ID または識別子（その地域の項目と全国の項目）")


class EquipmentFilters(CatalogFilters):
    category: EquipmentCategory | None = Field(None, description="機器の分類")


class ProgramFilters(CatalogFilters):
    fiscal_year: int | None = Field(None, ge=1900, le=2200, description="年度（西暦）")
    kind: ProgramKind | None = Field(None, description="施策の種類")
    purpose: str | None = Field(
        None, max_length=40, pattern=NO_NUL, description=f"目的（{'、'.join(PURPOSES)}）"
    )
    open_on: IsoDate | None = Field(None, description="この日に受付中の施策（YYYY-MM-DD）")


# --- outputs ---------------------------------------------------------------------------------------------------


class SourceRef(Schema):
    id: int
    name: str
    publisher: str
    licence: str = Field(..., description="利用条件")
    attribution: str = Field(..., description="出典の表示（そのまま表示してください）")
    url: str
    is_fictitious: bool = Field(..., description="デモ用の架空データ")


class _ItemOut(Schema):
    id: int
    region: RegionRef | None = Field(..., description="管理する地域（null は全国のデータ）")
    is_public: bool
    source: SourceRef | None = Field(..., description="出典（取り込んだ項目）")
    external_id: str = Field(..., description="出典での番号")
    can_edit: bool = Field(..., description="この利用者が変更できるか")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_can_edit(obj, context) -> bool:
        return can_edit_item(staff_context(request_user(context["request"])), obj)


class ResearcherRef(Schema):
    id: int
    name: str


class ResearcherOut(_ItemOut):
    name: str
    kana: str
    affiliation: str
    organization: OrganizationRef | None
    fields: list[str]
    researchmap_id: str
    kaken_researcher_number: str


class SeedOut(_ItemOut):
    title: str
    summary: str
    keywords: list[str]
    fields: list[str]
    researcher: ResearcherRef | None
    institution: OrganizationRef | None
    institution_name: str
    institution_label: str = Field(..., description="研究機関（連携体制の機関、またはその外の機関名）")
    ip_status: str
    ip_status_label: str
    stage: str
    stage_label: str
    contact_route: str
    url: str

    @staticmethod
    def resolve_ip_status_label(obj) -> str:
        return obj.get_ip_status_display()

    @staticmethod
    def resolve_stage_label(obj) -> str:
        return obj.get_stage_display() if obj.stage else ""


class EquipmentRef(Schema):
    id: int
    name: str


class EquipmentOut(_ItemOut):
    organization: OrganizationRef
    name: str
    maker: str
    model_number: str
    category: str
    category_label: str
    specifications: str
    location: str
    external_use: bool
    fee_summary: str
    photo_url: str | None = Field(..., description="写真の URL")

    @staticmethod
    def resolve_region(obj):
        return obj.organization.region

    @staticmethod
    def resolve_category_label(obj) -> str:
        return obj.get_category_display()

    @staticmethod
    def resolve_photo_url(obj) -> str | None:
        return obj.photo.url if obj.photo else None


class TestServiceOut(_ItemOut):
    __test__ = False

    organization: OrganizationRef
    name: str
    method: str
    standard: str
    unit: str
    fee_yen: int | None = Field(..., description="手数料（円）")
    fee_note: str
    equipment: EquipmentRef | None

    @staticmethod
    def resolve_region(obj):
        return obj.organization.region


class ProgramOut(_ItemOut):
    title: str
    provider_name: str
    organization: OrganizationRef | None
    kind: str
    kind_label: str
    purposes: list[str]
    fields: list[str]
    summary: str
    catch_phrase: str
    eligibility: dict[str, Any] = Field(..., description="対象者の条件（renkei-eligibility/1）")
    eligibility_text: str
    rate_text: str
    rate_numerator: int | None
    rate_denominator: int | None
    rate_label: str = Field(..., description="補助率（2/3 など）")
    cap_yen: int | None = Field(..., description="上限額（円）")
    opens_on: dt.date | None
    closes_on: dt.date | None
    fiscal_year: int | None = Field(..., description="年度（西暦）")
    url: str
    first_seen: dt.date | None
    last_updated: dt.date | None

    @staticmethod
    def resolve_kind_label(obj) -> str:
        return obj.get_kind_display()


class ResearcherPage(Schema):
    count: int
    items: list[ResearcherOut]


class SeedPage(Schema):
    count: int
    items: list[SeedOut]


class EquipmentPage(Schema):
    count: int
    items: list[EquipmentOut]


class TestServicePage(Schema):
    __test__ = False

    count: int
    items: list[TestServiceOut]


class ProgramPage(Schema):
    count: int
    items: list[ProgramOut]


# --- eligibility -----------------------------------------------------------------------------------------------

Stage = StrEnum("Stage", {s: s for s in STAGES})  # type: ignore[misc]
Stage.__doc__ = "・".join(STAGES)

ProfileText = Annotated[str, Field(max_length=40, pattern=NO_NUL)]
ProfileNumber = Annotated[StrictInt | ProfileText | None, WrapValidator(_number_or_text)]


class ProfileIn(Schema):
    """A company as typed on the public form (全角 digits, 「300人」「3億円」「令和元年」「千葉県」「製造業」 accepted),
    or ``company_id``: a company the caller may see (then the other fields must be left out)."""

    model_config = ConfigDict(extra="forbid")

    company_id: Id | None = Field(
        None, description="企業の ID（閲覧できる企業。ほかの項目とは同時に指定できません）"
    )
    size_class: SizeClass | None = Field(
        None, description="企業規模（省略時は業種・資本金・従業員数から判定）"
    )
    employees: ProfileNumber = Field(None, description="常時使用する従業員数（「300人」「３００」も可）")
    capital: ProfileNumber = Field(None, description="資本金（円。「3億円」「3,000万円」も可）")
    jsic: ProfileText | None = Field(
        None, description="業種（産業分類コード E、09、0911 または分類名 製造業）"
    )
    prefecture: ProfileText | None = Field(None, description="所在都道府県（千葉県、千葉、12）")
    municipality: ProfileText | None = Field(None, description="所在市区町村（市川市、122033）")
    founded_year: ProfileText | None = Field(
        None, description="設立年（2019、令和元年、2019年4月、2019-04-01）"
    )
    stage: Stage | None = Field(None, description="事業段階")


class CompanyProfileOut(Schema):
    """What was understood of the company (codes and figures); null is unknown."""

    size_class: str | None
    employees: int | None
    capital: int | None
    jsic_code: str | None
    prefecture_code: str | None
    municipality_code: str | None
    founded_on: dt.date | None
    founded_precision: str = Field(..., description="設立日の精度（day・month・year）")
    stage: str | None


class CheckOut(Schema):
    rule: str = Field(
        ..., description="条件（size_classes、employees、capital、company_age_years、jsic、location、stages）"
    )
    label: str
    outcome: str = Field(..., description="pass・fail・near（あと少し）・unknown")
    message: str
    reason: str


class VerdictOut(Schema):
    status: str = Field(
        ..., description="eligible（対象）・not_eligible（対象外）・near_miss（あと少しで対象）・unknown"
    )
    label: str
    summary: str
    checks: list[CheckOut]
    missing: list[str] = Field(..., description="判定に足りない企業の情報")


class ProgramRef(Schema):
    id: int
    title: str


class EligibilityOut(Schema):
    program: ProgramRef
    profile: CompanyProfileOut
    verdict: VerdictOut


# --- one entry per kind (the API registers its routes from this) -------------------------------------------------


@dataclass(frozen=True)
class KindSchemas:
    create: type[Schema]
    change: type[Schema]
    out: type[Schema]
    page: type[Schema]
    filters: type[Schema]


KIND_SCHEMAS: dict[str, KindSchemas] = {
    KIND_SEEDS: KindSchemas(SeedIn, SeedPatchIn, SeedOut, SeedPage, CatalogFilters),
    KIND_RESEARCHERS: KindSchemas(
        ResearcherIn, ResearcherPatchIn, ResearcherOut, ResearcherPage, CatalogFilters
    ),
    KIND_EQUIPMENT: KindSchemas(EquipmentIn, EquipmentPatchIn, EquipmentOut, EquipmentPage, EquipmentFilters),
    KIND_TEST_SERVICES: KindSchemas(
        TestServiceIn, TestServicePatchIn, TestServiceOut, TestServicePage, CatalogFilters
    ),
    KIND_PROGRAMS: KindSchemas(ProgramIn, ProgramPatchIn, ProgramOut, ProgramPage, ProgramFilters),
}
