"""API routes for meetings (staff only; mounted at ``/api/v1/meetings``).

Handlers only translate HTTP to the services and selectors of ``meetings.py``: a meeting of a region the caller has
no body in is 404, and an agenda item's case is reduced to its receipt number for a caller who may not see it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import ConfigDict, StrictBool

from renkei.core.api import MAX_ID, NO_NUL, IsoDate, PageQuery, Problem, paginate
from renkei.network.schemas import OrganizationRef, RegionRef

from . import meetings
from .choices import MeetingKind

PathId = Path[int, {"ge": 1, "le": MAX_ID}]
Id = Field(..., ge=1, le=MAX_ID)

router = Router(tags=["会議"])

_READ = {401: Problem, 404: Problem, 422: Problem}
_WRITE = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}


class MeetingFilters(PageQuery):
    fiscal_year: int | None = Field(
        None, ge=1900, le=2200, description="年度（西暦の開始年。2025 = 令和7年度）"
    )
    region: int | None = Field(None, ge=1, le=MAX_ID, description="地域の ID")


class MeetingIn(Schema):
    model_config = ConfigDict(extra="forbid")

    region: int = Field(..., ge=1, le=MAX_ID, description="地域の ID")
    organizer: int = Field(..., ge=1, le=MAX_ID, description="主催機関の ID（地域内の機関）")
    kind: MeetingKind = Field(..., description="会議の種別")
    title: str = Field(..., min_length=1, max_length=meetings.MAX_TITLE, pattern=NO_NUL, description="会議名")
    held_on: IsoDate = Field(..., description="開催日（YYYY-MM-DD）")
    place: str = Field("", max_length=meetings.MAX_PLACE, pattern=NO_NUL, description="場所")


class MeetingPatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(None, min_length=1, max_length=meetings.MAX_TITLE, pattern=NO_NUL)
    held_on: IsoDate | None = None
    place: str | None = Field(None, max_length=meetings.MAX_PLACE, pattern=NO_NUL)
    minutes: str | None = Field(None, max_length=meetings.MAX_TEXT, pattern=NO_NUL, description="議事概要")
    is_held: StrictBool | None = Field(None, description="開催済み")


class AgendaItemIn(Schema):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(..., min_length=1, max_length=meetings.MAX_TITLE, pattern=NO_NUL, description="議題")


class AgendaItemPatchIn(Schema):
    model_config = ConfigDict(extra="forbid")

    discussion: str = Field(..., max_length=meetings.MAX_TEXT, pattern=NO_NUL, description="審議内容")


class ActionItemIn(Schema):
    model_config = ConfigDict(extra="forbid")

    description: str = Field(..., min_length=1, max_length=meetings.MAX_ACTION, pattern=NO_NUL)
    owner_organization: int = Field(..., ge=1, le=MAX_ID, description="担当機関の ID")
    case: int | None = Field(None, ge=1, le=MAX_ID, description="関係する相談案件の ID")
    due_on: IsoDate | None = Field(None, description="期限（YYYY-MM-DD）")


class ActionCompleteIn(Schema):
    model_config = ConfigDict(extra="forbid")

    done_on: IsoDate | None = Field(None, description="完了日（省略時は今日）")


class MeetingOut(Schema):
    id: int
    region: RegionRef
    kind: MeetingKind
    kind_label: str
    title: str
    held_on: dt.date
    place: str
    organizer: OrganizationRef
    is_held: bool

    @staticmethod
    def resolve_kind_label(obj: Any) -> str:
        return MeetingKind(obj["kind"] if isinstance(obj, dict) else obj.kind).label


class MeetingSummaryOut(MeetingOut):
    item_count: int
    open_actions: int


class MeetingPage(Schema):
    count: int
    items: list[MeetingSummaryOut]


class AgendaItemOut(Schema):
    id: int
    position: int
    visible: bool = Field(..., description="false: 閲覧権限のない案件（受付番号だけを返します）")
    case_id: int | None
    receipt_number: str
    title: str
    reason: str
    category: str
    lead_organization: str
    step: str
    status: str
    sla_bucket: str
    sla_label: str
    due_on: dt.date | None
    elapsed_days: int | None
    target_days: int | None
    discussion: str


class ActionItemOut(Schema):
    id: int
    description: str
    visible: bool
    case_id: int | None
    receipt_number: str
    owner_organization: OrganizationRef
    due_on: dt.date | None
    done_on: dt.date | None
    can_complete: bool


class MeetingDetailOut(MeetingOut):
    minutes: str
    can_manage: bool
    items: list[AgendaItemOut]
    actions: list[ActionItemOut]


class AgendaBuildOut(Schema):
    added: int = Field(..., description="追加した議題の数")
    already_listed: int = Field(..., description="すでに議題にあった案件の数")
    omitted: int = Field(..., description="上限を超えたため追加しなかった案件の数")
    meeting: MeetingDetailOut


def _item_out(row: meetings.AgendaRow) -> dict[str, Any]:
    return {
        "id": row.item.pk,
        "position": row.item.position,
        "visible": row.visible,
        "case_id": row.case_id,
        "receipt_number": row.receipt_number,
        "title": row.title,
        "reason": row.reason,
        "category": row.category,
        "lead_organization": row.lead_organization,
        "step": row.step,
        "status": row.status,
        "sla_bucket": row.sla_bucket,
        "sla_label": row.sla_label,
        "due_on": row.due_on,
        "elapsed_days": row.elapsed_days,
        "target_days": row.target_days,
        "discussion": row.discussion if row.visible else "",
    }


def _action_out(row: meetings.ActionRow) -> dict[str, Any]:
    a = row.action
    return {
        "id": a.pk,
        "description": row.description,
        "visible": row.visible,
        "case_id": row.case_id,
        "receipt_number": row.receipt_number,
        "owner_organization": a.owner_organization,
        "due_on": a.due_on,
        "done_on": a.done_on,
        "can_complete": row.can_complete,
    }


def _detail(request: HttpRequest, meeting_id: int) -> dict[str, Any]:
    view = meetings.meeting_detail(user=request.auth, meeting_id=meeting_id)
    m = view.meeting
    return {
        "id": m.pk,
        "region": m.region,
        "kind": m.kind,
        "kind_label": m.get_kind_display(),
        "title": m.title,
        "held_on": m.held_on,
        "place": m.place,
        "organizer": m.organizer,
        "is_held": m.is_held,
        "minutes": m.minutes,
        "can_manage": view.can_manage,
        "items": [_item_out(r) for r in view.rows],
        "actions": [_action_out(r) for r in view.actions],
    }


@router.get("", response={200: MeetingPage, **_READ}, summary="会議の一覧")
def list_meetings(request: HttpRequest, filters: Query[MeetingFilters]):
    qs = meetings.meeting_list(user=request.auth, fiscal_year=filters.fiscal_year, region_id=filters.region)
    return paginate(qs, filters)


@router.post(
    "",
    response={201: MeetingDetailOut, **_WRITE},
    summary="会議の登録",
    description="地域の事務局か、主催機関の職員（担当者以上）が登録できます。",
)
def create_meeting(request: HttpRequest, payload: MeetingIn):
    meeting = meetings.meeting_create(
        actor=request.auth,
        region_id=payload.region,
        kind=payload.kind,
        title=payload.title,
        held_on=payload.held_on,
        place=payload.place,
        organizer_id=payload.organizer,
    )
    return Status(201, _detail(request, meeting.pk))


@router.get(
    "/{meeting_id}",
    response={200: MeetingDetailOut, **_READ},
    summary="会議の詳細（議題・対応事項）",
    description="閲覧権限のない案件の議題は visible=false で、受付番号のほかは空です。",
)
def get_meeting(request: HttpRequest, meeting_id: PathId):
    return _detail(request, meeting_id)


@router.patch(
    "/{meeting_id}",
    response={200: MeetingDetailOut, **_WRITE},
    summary="会議の変更（議事概要・開催済み）",
    description="送った項目だけを変更します（null は変更なし）。",
)
def update_meeting(request: HttpRequest, meeting_id: PathId, payload: MeetingPatchIn):
    meetings.meeting_update(
        actor=request.auth, meeting_id=meeting_id, **payload.model_dump(exclude_unset=True)
    )
    return _detail(request, meeting_id)


@router.post(
    "/{meeting_id}/agenda",
    response={200: AgendaBuildOut, **_WRITE},
    summary="議題の作成",
    description="この種別の会議の段階にある案件と、期限を過ぎた案件を議題に加えます（何度実行しても重複しません）。",
)
def build_agenda(request: HttpRequest, meeting_id: PathId):
    result = meetings.agenda_build(actor=request.auth, meeting_id=meeting_id)
    return {
        "added": len(result.added),
        "already_listed": result.already_listed,
        "omitted": result.omitted,
        "meeting": _detail(request, meeting_id),
    }


@router.post("/{meeting_id}/items", response={201: AgendaItemOut, **_WRITE}, summary="議題の追加（案件以外）")
def create_item(request: HttpRequest, meeting_id: PathId, payload: AgendaItemIn):
    item = meetings.agenda_item_create(actor=request.auth, meeting_id=meeting_id, title=payload.title)
    return Status(201, _row(request, meeting_id, item.pk))


@router.patch(
    "/{meeting_id}/items/{item_id}",
    response={200: AgendaItemOut, **_WRITE},
    summary="審議内容の記録",
    description="案件の履歴にも記録されます。閲覧権限のない案件の議題には記録できません。",
)
def update_item(request: HttpRequest, meeting_id: PathId, item_id: PathId, payload: AgendaItemPatchIn):
    meetings.agenda_item_update(
        actor=request.auth, item_id=item_id, discussion=payload.discussion, meeting_id=meeting_id
    )
    return _row(request, meeting_id, item_id)


def _row(request: HttpRequest, meeting_id: int, item_id: int) -> dict[str, Any]:
    view = meetings.meeting_detail(user=request.auth, meeting_id=meeting_id)
    return next(_item_out(r) for r in view.rows if r.item.pk == item_id)


def _action(request: HttpRequest, meeting_id: int, action_id: int) -> dict[str, Any]:
    view = meetings.meeting_detail(user=request.auth, meeting_id=meeting_id)
    return next(_action_out(r) for r in view.actions if r.action.pk == action_id)


@router.post(
    "/{meeting_id}/actions",
    response={201: ActionItemOut, **_WRITE},
    summary="対応事項の登録",
    description="案件を指定すると、案件の履歴にも記録されます。",
)
def create_action(request: HttpRequest, meeting_id: PathId, payload: ActionItemIn):
    action = meetings.action_item_create(
        actor=request.auth,
        meeting_id=meeting_id,
        case_id=payload.case,
        description=payload.description,
        owner_organization_id=payload.owner_organization,
        due_on=payload.due_on,
    )
    return Status(201, _action(request, meeting_id, action.pk))


@router.post(
    "/{meeting_id}/actions/{action_id}/complete",
    response={200: ActionItemOut, **_WRITE},
    summary="対応事項の完了",
)
def complete_action(request: HttpRequest, meeting_id: PathId, action_id: PathId, payload: ActionCompleteIn):
    meetings.action_item_complete(
        actor=request.auth, action_id=action_id, done_on=payload.done_on, meeting_id=meeting_id
    )
    return _action(request, meeting_id, action_id)
