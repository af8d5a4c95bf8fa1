"""API schemas for companies.

Input keys are those of ``validation.CompanyValidator``; the schema only bounds sizes and types (so no input can
reach the database unchecked), and the validator gives the specific Japanese messages (check digit, JSIC level …).
"""

from __future__ import annotations

import datetime as dt
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

from renkei.core.api import MAX_ID, NO_NUL, PageQuery
from renkei.network.schemas import OrganizationRef, RegionRef
from renkei.network.selectors import staff_context

from .choices import SizeClass
from .services import can_edit_company
from .validation import MAX_LENGTHS, TEXT_MAX


def _text(max_length: int, description: str) -> object:
    return Field(None, max_length=max_length, pattern=NO_NUL, description=description)


def _number_or_text(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """One error for the field (not one per union member), so the API names the field plainly."""
    try:
        return handler(value)
    except ValidationError:
        raise PydanticCustomError(
            "number_or_text", "整数、または40文字以内の数字の文字列で指定してください。"
        ) from None


# Numbers may be sent as JSON integers or as text as typed (全角数字・カンマ・「円」「人」可).
NumberOrText = Annotated[
    StrictInt | Annotated[str, Field(max_length=40, pattern=NO_NUL)] | None, WrapValidator(_number_or_text)
]


# Limits as in validation.MAX_LENGTHS; the validator checks them again after NFKC (which can lengthen text).
NameText = Annotated[str, Field(min_length=1, max_length=MAX_LENGTHS["name"], pattern=NO_NUL)]


class _CompanyFields(Schema):
    """The editable fields, shared by create (POST) and change (PATCH)."""

    model_config = ConfigDict(extra="forbid")

    kana: str | None = _text(MAX_LENGTHS["kana"], "企業名よみがな（ひらがな・カタカナ）")
    corporate_number: str | None = _text(40, "法人番号（13桁。全角数字・ハイフン可）")
    jsic_code: str | None = _text(10, "日本標準産業分類（第14回改定）の細分類コード（4桁）")
    capital: NumberOrText = Field(None, description="資本金（円）")
    employees: NumberOrText = Field(None, description="常時使用する従業員数")
    founded_on: str | None = _text(40, "設立年月日（2024-04-01、令和6年4月1日 など）")
    postal_code: str | None = _text(20, "郵便番号（7桁）")
    municipality_code: str | None = _text(20, "市区町村の全国地方公共団体コード（6桁または5桁）")
    address: str | None = _text(MAX_LENGTHS["address"], "町名・番地・建物")
    phone: str | None = _text(MAX_LENGTHS["phone"], "電話番号")
    url: str | None = _text(MAX_LENGTHS["url"], "URL（http:// または https://）")
    technologies: str | None = _text(TEXT_MAX, "技術・強み")
    products: str | None = _text(TEXT_MAX, "主な製品")
    certifications: str | None = _text(TEXT_MAX, "認証・認定")


class CompanyIn(_CompanyFields):
    name: NameText = Field(..., description="企業名")
    consent_share_region: StrictBool = Field(False, description="地域内の支援機関との情報共有に同意")
    consent_share_outside: StrictBool = Field(False, description="地域外の連携機関との情報共有に同意")
    owner_organization: int | None = Field(
        None, ge=1, le=MAX_ID, description="登録機関の ID（省略時は自分の所属機関）"
    )


class CompanyPatchIn(_CompanyFields):
    """Only the keys sent are changed; null clears a field (a consent sent as null becomes false)."""

    # null is accepted (and refused by the validator: a company needs a name) but not advertised.
    name: NameText | SkipJsonSchema[None] = Field(None, description="企業名")
    consent_share_region: StrictBool | None = Field(None, description="地域内の支援機関との情報共有に同意")
    consent_share_outside: StrictBool | None = Field(None, description="地域外の連携機関との情報共有に同意")


class CompanyFilters(PageQuery):
    q: str | None = Field(
        None,
        max_length=200,
        pattern=NO_NUL,
        description="企業名・よみがな・技術・製品の部分一致、法人番号の前方一致",
    )
    size_class: SizeClass | None = Field(None, description="企業規模")
    region: int | None = Field(None, ge=1, le=MAX_ID, description="地域の ID")
    owner_organization: int | None = Field(None, ge=1, le=MAX_ID, description="登録機関の ID")


class MunicipalityRef(Schema):
    code: str
    name: str


class CompanyOut(Schema):
    id: int
    name: str
    kana: str
    corporate_number: str | None
    region: RegionRef
    owner_organization: OrganizationRef
    jsic_code: str | None = Field(..., description="産業分類（細分類）コード")
    jsic_name: str | None = Field(..., description="産業分類（細分類）の名称")
    capital: int | None
    employees: int | None
    founded_on: dt.date | None
    postal_code: str
    municipality: MunicipalityRef | None
    address: str
    phone: str
    url: str
    size_class: SizeClass = Field(..., description="中小企業基本法による企業規模（自動判定）")
    size_class_label: str
    sector: str = Field(..., description="中小企業基本法の業種区分（自動判定）")
    sector_label: str
    size_reason: str = Field(..., description="企業規模の判定理由")
    consent_share_region: bool
    consent_share_outside: bool
    consent_recorded_on: dt.date | None
    can_edit: bool = Field(..., description="この利用者が変更できるか")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_jsic_code(obj) -> str | None:
        return obj.jsic_id

    @staticmethod
    def resolve_jsic_name(obj) -> str | None:
        return obj.jsic.name if obj.jsic_id else None

    @staticmethod
    def resolve_size_class_label(obj) -> str:
        return obj.get_size_class_display()

    @staticmethod
    def resolve_sector_label(obj) -> str:
        return obj.get_sector_display() if obj.sector else ""

    @staticmethod
    def resolve_can_edit(obj, context) -> bool:
        request: HttpRequest = context["request"]
        return can_edit_company(staff_context(request.auth), obj)


class JsicLevelOut(Schema):
    code: str
    level: int
    name: str


class ContactOut(Schema):
    id: int
    name: str
    kana: str
    department: str
    title: str
    email: str
    phone: str
    is_primary: bool


class CompanyDetailOut(CompanyOut):
    technologies: str
    products: str
    certifications: str
    jsic_path: list[JsicLevelOut] = Field(..., description="産業分類の階層（大分類→細分類）")
    contacts: list[ContactOut] = Field(..., description="担当者（個人情報。詳細でのみ返します）")

    @staticmethod
    def resolve_jsic_path(obj) -> list:
        path = []
        node = obj.jsic if obj.jsic_id else None
        while node is not None:
            path.append(node)
            node = node.parent
        return path[::-1]

    @staticmethod
    def resolve_contacts(obj) -> list:
        return list(obj.contacts.all())


class CompanyPage(Schema):
    count: int
    items: list[CompanyOut]
