"""API schemas of the case ledger, and the builders that turn a case (as the caller may read it) into them.

Inputs only bound types and sizes (so nothing reaches the database unchecked); the services give the specific
Japanese messages (an empty consultation, an unknown category, a transition the table refuses …).

Outputs of one case are built from ``selectors.CaseView``: what the consent scope does not allow is ``null``
(``detail``, the company, the requester's contacts), never just hidden by the client.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, StrictBool
from pydantic_core import PydanticCustomError

from renkei.companies.choices import SizeClass
from renkei.core.api import MAX_ID, NO_NUL, PageQuery
from renkei.network.schemas import OrganizationRef, RegionRef, UserRef

from .choices import (
    BusinessStage,
    CaseStatus,
    Channel,
    ConsentScope,
    EventKind,
    HandoffState,
    NotificationKind,
    SlaBucket,
)
from .clocks import case_clocks
from .handoffs import handoff_overdue
from .models import Case, CaseEvent, Handoff, Notification
from .selectors import CaseView, OverdueRow
from .sla import ClockState
from .validation import MAX_TEXT, MAX_TITLE

Id = Annotated[int, Field(ge=1, le=MAX_ID)]

# A category or target field is named by its code (a slug) or its id (digits; 19+ digits cannot be an id).
CODE_OR_ID = r"^(?:[0-9]{1,18}|[-a-zA-Z0-9_]*[-a-zA-Z_][-a-zA-Z0-9_]*)$"
SLUG = r"^[-a-zA-Z0-9_]+$"

NOTE_MAX = 10_000  # services.case_note checks the same limit after trimming
REASON_MAX = 2_000
SUMMARY_MAX = 2_000


def _text(default: Any, max_length: int, description: str) -> Any:
    return Field(default, max_length=max_length, pattern=NO_NUL, description=description)


def _code(description: str) -> Any:
    return Field(None, max_length=60, pattern=CODE_OR_ID, description=description)


def _plausible_moment(value: dt.datetime) -> dt.datetime:
    """Years outside 2000–2999 are refused here: near year 1 or 9999 a time-zone shift overflows."""
    if value.year < 2000:
        raise PydanticCustomError("greater_than_equal", "2000-01-01以降", {"ge": "2000-01-01"})
    if value.year > 2999:
        raise PydanticCustomError("less_than_equal", "2999-12-31以前", {"le": "2999-12-31"})
    return value


ReceivedAt = Annotated[dt.datetime, AfterValidator(_plausible_moment)]


# --- inputs ----------------------------------------------------------------------------------------------------


class _RequesterFields(Schema):
    consent_outside_region: StrictBool = Field(False, description="地域外の機関への紹介に同意する")
    stage: BusinessStage | None = Field(None, description="事業段階")


class PublicConsultationIn(_RequesterFields):
    """The public consultation form (no login). Full-width digits and letters are accepted (NFKC)."""

    model_config = ConfigDict(extra="forbid")

    company_name: str = _text(..., 200, "企業名")
    contact_name: str = _text(..., 100, "お名前")
    email: str = _text(..., 254, "メールアドレス（受付番号をお送りします）")
    phone: str = _text(..., 40, "電話番号（例: 043-123-4567。全角可）")
    prefecture: str = _text(..., 20, "所在都道府県（「千葉県」のような名称、または「12」のようなコード）")
    text: str = _text(..., MAX_TEXT, f"相談内容（必須・{MAX_TEXT:,}文字以内）")
    title: str | None = _text(None, MAX_TITLE, "件名（省略時は相談内容の1行目）")
    region: str | None = Field(
        None, max_length=40, pattern=SLUG, description="相談先の地域の識別子（例: chiba。省略時は所在地から）"
    )


class CaseCreateIn(_RequesterFields):
    """Staff intake (窓口・電話・訪問 …) at one of the caller's organizations."""

    model_config = ConfigDict(extra="forbid")

    organization_id: Id | None = Field(None, description="受付機関の ID（所属が1機関なら省略可）")
    channel: Channel = Field(..., description="受付経路")
    received_at: ReceivedAt | None = Field(None, description="受付日時（ISO 8601。省略時は現在）")
    text: str = _text(..., MAX_TEXT, "相談内容")
    title: str | None = _text(None, MAX_TITLE, "件名（省略時は相談内容の1行目）")
    summary: str | None = _text(None, SUMMARY_MAX, "概要（「概要のみ」の紹介先にも共有されます）")
    company_id: Id | None = Field(None, description="企業の ID（閲覧できる企業）")
    category: str | None = _code("相談区分のコードまたは ID")
    target_field: str | None = _code("支援対象分野のコードまたは ID")
    company_name: str | None = _text(None, 200, "相談者の企業名")
    contact_name: str | None = _text(None, 100, "相談者氏名")
    email: str | None = _text(None, 254, "メールアドレス")
    phone: str | None = _text(None, 40, "電話番号")
    prefecture: str | None = _text(None, 20, "所在都道府県（名称またはコード）")


class _Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class TransitionIn(_Strict):
    to_status: CaseStatus = Field(..., description="変更後の状態（振分けは /route で）")
    reason: str = _text("", REASON_MAX, "理由（対応不可・取下げ・再開では必須）")


class ClassificationIn(_Strict):
    category: str = Field(..., max_length=60, pattern=CODE_OR_ID, description="相談区分のコードまたは ID")
    target_field: str | None = _code("支援対象分野のコードまたは ID")
    stage: BusinessStage | None = Field(None, description="事業段階")


class RouteIn(_Strict):
    lead_organization_id: Id | None = Field(None, description="主担当機関の ID（省略時は振分けルールで決定）")
    assignee_id: Id | None = Field(None, description="担当者の利用者 ID（主担当機関の職員）")
    note: str = _text("", REASON_MAX, "メモ")


class AssigneeIn(_Strict):
    assignee_id: Id | None = Field(..., description="担当者の利用者 ID（null で担当者なし）")


class NoteIn(_Strict):
    text: str = _text(..., NOTE_MAX, "メモ")
    correction_of: Id | None = Field(None, description="訂正する履歴の ID（訂正として記録します）")


class ReasonIn(_Strict):
    reason: str = _text(..., REASON_MAX, "理由（必須）")


class HandoffIn(_Strict):
    to_organization_id: Id = Field(..., description="紹介先の機関の ID")
    consent_scope: ConsentScope = Field(..., description="共有の範囲（企業の同意の範囲）")
    reason: str = _text(..., REASON_MAX, "理由・依頼内容")
    to_user_id: Id | None = Field(None, description="紹介先の担当者の利用者 ID")


class HandoffAnswerIn(_Strict):
    text: str = _text("", NOTE_MAX, "理由・回答内容（辞退と回答では必須）")


class HandoffCloseIn(_Strict):
    note: str = _text("", REASON_MAX, "メモ")


class RoutePreviewIn(_Strict):
    region_id: Id = Field(..., description="地域の ID")
    text: str = _text("", MAX_TEXT, "件名・相談内容（キーワードの条件に使います）")
    category: str | None = Field(None, max_length=60, pattern=SLUG, description="相談区分のコード")
    target_field: str | None = Field(None, max_length=60, pattern=SLUG, description="支援対象分野のコード")
    size_class: SizeClass | None = Field(None, description="企業規模")
    jsic_code: str | None = Field(
        None, max_length=4, pattern=r"^[0-9]{1,4}$", description="企業の産業分類（細分類）コード"
    )
    channel: Channel | None = Field(None, description="受付経路")
    stage: BusinessStage | None = Field(None, description="事業段階")


InboxStatus = StrEnum(  # type: ignore[misc]
    "InboxStatus", {v: v for v in ["open", "finished", "all", *CaseStatus.values]}
)
InboxStatus.__doc__ = "open（未完了）/ finished（完了）/ all、または個々の状態"


class InboxBox(StrEnum):
    MINE = "mine"
    ORG = "org"
    ALL = "all"


class CaseInboxQuery(PageQuery):
    limit: int = Field(50, ge=1, le=100, description="1ページの件数（1〜100）")
    box: InboxBox = Field(
        InboxBox.ORG, description="mine（自分の担当）/ org（所属機関）/ all（見られるすべて）"
    )
    status: InboxStatus = Field("open", description="open（未完了）/ finished（完了）/ all / 個々の状態")
    category_id: Id | None = Field(None, description="相談区分の ID（下位の区分を含む）")
    sla_bucket: SlaBucket | None = Field(None, description="期限の状況")
    step_id: Id | None = Field(None, description="エスカレーションの段階の ID")
    organization_id: Id | None = Field(None, description="機関の ID（主担当・紹介先として）")
    fiscal_year: int | None = Field(None, ge=2000, le=2999, description="年度（西暦）")
    q: str | None = _text(None, 100, "受付番号・件名の部分一致")


class OverdueQuery(Schema):
    region_id: Id | None = Field(None, description="地域の ID（省略時は見られるすべて）")


class NotificationQuery(PageQuery):
    unread: bool | None = Field(None, description="true で未読だけ、false で既読だけ")


# --- outputs ---------------------------------------------------------------------------------------------------


class CategoryOut(Schema):
    id: int
    code: str
    name: str


class TargetFieldRef(Schema):
    id: int
    code: str
    name: str


class StepRef(Schema):
    id: int
    position: int = Field(..., description="段階（1, 2, 3 …）")
    name: str
    target_days: int = Field(..., description="目標（営業日）")
    is_external: bool = Field(..., description="地域外の機関を含めて支援する段階")


class LadderRef(Schema):
    id: int
    name: str


class CompanyRef(Schema):
    id: int
    name: str


class PrefectureRef(Schema):
    code: str
    name: str


class CaseRowOut(Schema):
    """One case in a list: 件名・分類・状態・期限 (what even a 概要のみ receiver reads)."""

    id: int
    receipt_number: str = Field(..., description="受付番号")
    title: str
    status: CaseStatus
    status_label: str
    channel: Channel
    channel_label: str
    fiscal_year: int = Field(..., description="年度")
    received_at: dt.datetime
    region: RegionRef
    lead_organization: OrganizationRef = Field(..., description="主担当機関")
    assignee: UserRef | None = Field(..., description="担当者")
    category: CategoryOut | None = Field(..., description="相談区分")
    classification_confirmed: bool = Field(..., description="分類が確定しているか")
    step: StepRef | None = Field(..., description="エスカレーションの段階")
    sla_bucket: SlaBucket = Field(..., description="期限の状況（初回対応・解決の悪いほう）")
    sla_bucket_label: str
    first_response_due_on: dt.date | None = Field(..., description="初回対応期限")
    resolution_due_on: dt.date | None = Field(..., description="解決期限")


class CasePage(Schema):
    count: int = Field(..., description="該当件数（count_capped のときは上限の値）")
    count_capped: bool = Field(..., description="件数が多すぎて上限で数えるのをやめた")
    limit: int
    offset: int
    items: list[CaseRowOut]


class ClockOut(Schema):
    elapsed_days: int = Field(..., description="経過した営業日数（中断中の日を除く）")
    target_days: int = Field(..., description="目標（営業日）")
    used: float = Field(..., description="経過日数 ÷ 目標")
    bucket: SlaBucket
    bucket_label: str
    due_on: dt.date | None = Field(..., description="期限（止まった時計は null）")
    suspended: bool = Field(..., description="企業回答待ちで止まっている")
    stopped: bool = Field(..., description="初回対応済み・完了で止まった")


class ClocksOut(Schema):
    first_response: ClockOut = Field(..., description="初回対応")
    resolution: ClockOut = Field(..., description="解決")
    bucket: SlaBucket = Field(..., description="二つの時計の悪いほう")


class HandoffOut(Schema):
    id: int
    case_id: int
    from_organization: OrganizationRef = Field(..., description="紹介元")
    to_organization: OrganizationRef = Field(..., description="紹介先")
    to_user: UserRef | None = Field(..., description="紹介先の担当者")
    reason: str
    consent_scope: ConsentScope = Field(..., description="共有の範囲")
    consent_scope_label: str
    state: HandoffState
    state_label: str
    requested_at: dt.datetime
    due_on: dt.date = Field(..., description="回答期限")
    overdue: bool = Field(..., description="回答期限を過ぎても依頼中のまま")
    responded_at: dt.datetime | None
    replied_at: dt.datetime | None
    closed_at: dt.datetime | None
    response_note: str = Field(..., description="受諾・辞退の理由")
    reply: str = Field(..., description="回答内容")
    is_external: bool = Field(..., description="地域外への紹介")

    @staticmethod
    def resolve_consent_scope_label(obj: Handoff) -> str:
        return obj.get_consent_scope_display()

    @staticmethod
    def resolve_state_label(obj: Handoff) -> str:
        return obj.get_state_display()

    @staticmethod
    def resolve_overdue(obj: Handoff) -> bool:
        return handoff_overdue(obj)


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    created_at: dt.datetime


class TransitionOut(Schema):
    to_status: CaseStatus
    label: str
    needs_reason: bool


class CaseDetailOut(CaseRowOut):
    """One case as the caller may read it. ``scope`` says how much: summary → ``detail``, the company and the
    contacts are null; detail → contacts null; contacts → everything."""

    scope: ConsentScope = Field(..., description="読める範囲（概要のみ／詳細まで／連絡先を含む）")
    scope_label: str
    summary: str = Field(..., description="概要")
    detail: str | None = Field(..., description="相談内容（範囲が「概要のみ」なら null）")
    company: CompanyRef | None = Field(..., description="企業（範囲が「概要のみ」なら null）")
    requester_company_name: str | None = Field(..., description="相談者の企業名（「概要のみ」なら null）")
    requester_prefecture: PrefectureRef | None = Field(
        ..., description="所在都道府県（「概要のみ」なら null）"
    )
    requester_name: str | None = Field(..., description="相談者氏名（「連絡先を含む」でなければ null）")
    requester_email: str | None = Field(..., description="メールアドレス（「連絡先を含む」でなければ null）")
    requester_phone: str | None = Field(..., description="電話番号（「連絡先を含む」でなければ null）")
    consent_outside_region: bool = Field(..., description="地域外の機関への紹介に同意")
    stage: BusinessStage | None
    stage_label: str
    target_field: TargetFieldRef | None = Field(..., description="支援対象分野")
    suggested_category: CategoryOut | None = Field(..., description="本文から推定した相談区分")
    suggestion_confidence: float | None = Field(..., description="推定の確からしさ（0〜1）")
    received_by: OrganizationRef = Field(..., description="受付機関")
    ladder: LadderRef | None
    step_entered_on: dt.date | None
    status_changed_at: dt.datetime
    first_responded_on: dt.date | None
    finished_on: dt.date | None
    clocks: ClocksOut
    handoffs: list[HandoffOut]
    attachments: list[AttachmentOut] = Field(..., description="添付（「概要のみ」なら空）")
    can_manage: bool = Field(..., description="状態・分類・振分け・紹介を操作できる")
    can_note: bool = Field(..., description="メモを書ける")
    transitions: list[TransitionOut] = Field(..., description="この利用者が選べる状態の変更")
    respondable_handoff_ids: list[int] = Field(..., description="この利用者が応答できる紹介・引継ぎ")
    created_at: dt.datetime
    updated_at: dt.datetime


class EventOut(Schema):
    id: int
    case_id: int
    kind: EventKind
    kind_label: str
    at: dt.datetime
    actor: UserRef | None
    actor_organization: OrganizationRef | None
    from_status: CaseStatus | None
    to_status: CaseStatus | None
    text: str
    handoff_id: int | None
    correction_of: int | None = Field(..., description="訂正の対象の履歴 ID")
    data: dict[str, Any] = Field(..., description="種別ごとの付加情報")

    @staticmethod
    def resolve_kind_label(obj: CaseEvent) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_from_status(obj: CaseEvent) -> str | None:
        return obj.from_status or None

    @staticmethod
    def resolve_to_status(obj: CaseEvent) -> str | None:
        return obj.to_status or None

    @staticmethod
    def resolve_data(obj: CaseEvent) -> dict[str, Any]:
        return obj.data if isinstance(obj.data, dict) else {}

    @staticmethod
    def resolve_correction_of(obj: CaseEvent) -> int | None:
        value = obj.data.get("correction_of") if isinstance(obj.data, dict) else None
        return value if isinstance(value, int) else None


class EventList(Schema):
    count: int
    items: list[EventOut]


class PublicReceiptOut(Schema):
    receipt_number: str = Field(..., description="受付番号（お問い合わせの際にお伝えください）")
    region: RegionRef = Field(..., description="相談を受け付けた地域")
    status: CaseStatus
    status_label: str
    received_at: dt.datetime


class ConditionOut(Schema):
    key: str
    label: str
    wanted: list[str]
    held: bool
    why: str


class RuleTraceOut(Schema):
    rule_id: int
    position: int
    name: str
    lead_organization: OrganizationRef
    held: bool = Field(..., description="すべての条件を満たしたか")
    checks: list[ConditionOut]


class RoutePreviewOut(Schema):
    winner: RuleTraceOut | None = Field(..., description="振分け先を決めるルール（なければ null）")
    traces: list[RuleTraceOut] = Field(..., description="有効なルールすべての判定")


class SlaCounts(Schema):
    on_time: int
    at_risk: int
    late: int
    very_late: int


class OrganizationName(Schema):
    id: int
    name: str


class OverdueRowOut(Schema):
    organization: OrganizationName = Field(..., description="主担当機関")
    counts: SlaCounts
    total: int


class OverdueOut(Schema):
    rows: list[OverdueRowOut] = Field(..., description="主担当機関ごとの未完了案件の件数（期限の状況別）")
    late: list[CaseRowOut] = Field(..., description="期限を超過した案件（解決期限の早い順）")


class NotificationOut(Schema):
    id: int
    kind: NotificationKind
    kind_label: str
    case_id: int | None
    text: str
    created_at: dt.datetime
    read_at: dt.datetime | None

    @staticmethod
    def resolve_kind_label(obj: Notification) -> str:
        return obj.get_kind_display()


class NotificationPage(Schema):
    count: int
    unread: int = Field(..., description="未読の件数")
    items: list[NotificationOut]


# --- builders --------------------------------------------------------------------------------------------------


def case_row(case: Case) -> dict[str, Any]:
    return {
        "id": case.pk,
        "receipt_number": case.receipt_number,
        "title": case.title,
        "status": case.status,
        "status_label": case.get_status_display(),
        "channel": case.channel,
        "channel_label": case.get_channel_display(),
        "fiscal_year": case.fiscal_year,
        "received_at": case.received_at,
        "region": case.region,
        "lead_organization": case.lead_organization,
        "assignee": case.assignee,
        "category": case.category,
        "classification_confirmed": case.classification_confirmed,
        "step": case.step,
        "sla_bucket": case.sla_bucket,
        "sla_bucket_label": case.get_sla_bucket_display(),
        "first_response_due_on": case.first_response_due_on,
        "resolution_due_on": case.resolution_due_on,
    }


def _clock(state: ClockState, target_days: int) -> dict[str, Any]:
    return {
        "elapsed_days": state.elapsed_days,
        "target_days": target_days,
        "used": state.used,
        "bucket": state.bucket,
        "bucket_label": SlaBucket(state.bucket).label,
        "due_on": state.due_on,
        "suspended": state.suspended,
        "stopped": state.stopped,
    }


def case_detail_out(view: CaseView) -> dict[str, Any]:
    """The case within the caller's consent scope: what the scope does not allow is null, not merely absent."""
    case = view.case
    detail, contacts = view.shows_detail, view.shows_contacts
    return {
        **case_row(case),
        "scope": view.scope,
        "scope_label": ConsentScope(view.scope).label,
        "summary": case.summary,
        "detail": case.detail if detail else None,
        "company": case.company if detail else None,
        "requester_company_name": case.requester_company_name if detail else None,
        "requester_prefecture": case.requester_prefecture if detail else None,
        "requester_name": case.requester_name if contacts else None,
        "requester_email": case.requester_email if contacts else None,
        "requester_phone": case.requester_phone if contacts else None,
        "consent_outside_region": case.consent_outside_region,
        "stage": case.stage or None,
        "stage_label": case.get_stage_display() if case.stage else "",
        "target_field": case.target_field,
        "suggested_category": case.suggested_category,
        "suggestion_confidence": case.suggestion_confidence,
        "received_by": case.received_by,
        "ladder": case.ladder,
        "step_entered_on": case.step_entered_on,
        "status_changed_at": case.status_changed_at,
        "first_responded_on": case.first_responded_on,
        "finished_on": case.finished_on,
        "clocks": {
            "first_response": _clock(view.clocks.first_response, case.first_response_days),
            "resolution": _clock(view.clocks.resolution, case.resolution_days),
            "bucket": view.clocks.bucket,
        },
        "handoffs": view.handoffs,
        "attachments": view.attachments if detail else [],
        "can_manage": view.can_manage,
        "can_note": view.can_note,
        "transitions": [
            {"to_status": to, "label": t.label, "needs_reason": t.needs_reason} for to, t in view.transitions
        ],
        "respondable_handoff_ids": [h.pk for h in view.respondable],
        "created_at": case.created_at,
        "updated_at": case.updated_at,
    }


def summary_view(case: Case) -> CaseView:
    """A case the caller has just moved out of their sight (routed or escalated to another body): what they
    read is the summary, and they can do nothing more with it."""
    return CaseView(
        case=case,
        scope=ConsentScope.SUMMARY,
        clocks=case_clocks(case),
        events=[],
        handoffs=[],
        attachments=[],
        can_manage=False,
        can_note=False,
    )


def overdue_out(rows: list[OverdueRow], late: list[Case]) -> dict[str, Any]:
    return {
        "rows": [
            {
                "organization": {"id": row.organization_id, "name": row.organization_name},
                "counts": {bucket: row.counts.get(bucket, 0) for bucket in SlaBucket.values},
                "total": row.total,
            }
            for row in rows
        ],
        "late": [case_row(c) for c in late],
    }
