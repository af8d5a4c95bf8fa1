"""API routes of the case ledger: the public consultation form (no login) and the staff API.

Handlers translate HTTP to selector and service calls, nothing more: reads go through ``selectors`` (hence
``Case.objects.visible_to``), writes through ``services`` / ``handoffs``. A case or hand-off the caller may not see
answers 404 — never 403 — for reads and for every action on it.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from renkei.core.api import MAX_ID, Problem, paginate
from renkei.core.errors import NotFound
from renkei.core.throttle import client_ip
from renkei.network.models import Organization
from renkei.network.selectors import staff_context

from . import policies
from .handoffs import handoff_close, handoff_request, handoff_respond
from .models import Case, Handoff
from .notify import notification_list, notification_read, unread_count
from .schemas import (
    AssigneeIn,
    CaseCreateIn,
    CaseDetailOut,
    CaseInboxQuery,
    CasePage,
    ClassificationIn,
    EventList,
    EventOut,
    HandoffAnswerIn,
    HandoffCloseIn,
    HandoffIn,
    HandoffOut,
    NoteIn,
    NotificationOut,
    NotificationPage,
    NotificationQuery,
    OverdueOut,
    OverdueQuery,
    PublicConsultationIn,
    PublicReceiptOut,
    ReasonIn,
    RouteIn,
    RoutePreviewIn,
    RoutePreviewOut,
    TransitionIn,
    case_detail_out,
    case_row,
    overdue_out,
    summary_view,
)
from .selectors import InboxFilters, case_detail, case_inbox, overdue_dashboard
from .services import (
    case_assign,
    case_classify,
    case_create,
    case_create_public,
    case_escalate,
    case_hand_back,
    case_note,
    case_route,
    case_transition,
    route_preview,
    routing_facts_from,
)

PathId = Path[int, {"ge": 1, "le": MAX_ID}]

public_router = Router(tags=["相談（公開フォーム）"])
router = Router(tags=["相談案件"])
handoffs_router = Router(tags=["紹介・引継ぎ"])
routing_router = Router(tags=["振分け"])
notifications_router = Router(tags=["通知"])

_READ = {401: Problem, 404: Problem, 422: Problem}
_WRITE = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}

_SCOPE_NOTE = (
    "紹介・引継ぎで見ている案件は、その共有の範囲だけを返します（概要のみ: 相談内容・企業・連絡先は null。"
    "詳細まで: 連絡先は null）。見る権限のない案件は 404 です。"
)


def _case_out(request: HttpRequest, case: Case) -> dict:
    """The case after an action, as the caller now reads it (which writes the access log like any read).
    Routing or escalating a case to another body can take it out of the caller's sight: then the summary."""
    try:
        view = case_detail(user=request.auth, case_id=case.pk, via="api")
    except NotFound:
        view = summary_view(case)
    return case_detail_out(view)


# --- the public form -------------------------------------------------------------------------------------------


@public_router.post(
    "/consultations",
    auth=None,
    response={201: PublicReceiptOut, 400: Problem, 409: Problem, 422: Problem, 429: Problem},
    summary="相談の受付（公開フォーム）",
    description=(
        "ログイン不要の相談フォームです。相談内容（text）・企業名・お名前・メールアドレス・電話番号・所在都道府県"
        "は必須で、全角の数字・英字も受け付けます。受付番号を返し、メールでもお知らせします。"
        "誤りは項目ごとに 422、同じ接続元からの送信が多すぎると 429 です。受付番号のほかに案件の情報は返しません。"
    ),
)
def submit_consultation(request: HttpRequest, payload: PublicConsultationIn):
    case = case_create_public(data=payload.model_dump(mode="json"), client_ip=client_ip(request))
    return Status(
        201,
        {
            "receipt_number": case.receipt_number,
            "region": case.region,
            "status": case.status,
            "status_label": case.get_status_display(),
            "received_at": case.received_at,
        },
    )


# --- cases -----------------------------------------------------------------------------------------------------


@router.get(
    "",
    response={200: CasePage, 401: Problem, 422: Problem},
    summary="相談案件の一覧（受信箱）",
    description=(
        "見る権限のある案件だけを、受付日時の新しい順に返します。box=mine は自分の担当（と自分宛ての紹介）、"
        "org は所属機関が主担当か紹介先の案件、all は見られるすべてです。件数は 10,000 件で数えるのをやめます"
        "（count_capped）。"
    ),
)
def list_cases(request: HttpRequest, filters: Query[CaseInboxQuery]):
    page = case_inbox(
        user=request.auth,
        filters=InboxFilters(
            box=str(filters.box),
            organization_id=filters.organization_id,
            status=str(filters.status),
            category_id=filters.category_id,
            sla_bucket=filters.sla_bucket or "",
            step_id=filters.step_id,
            fiscal_year=filters.fiscal_year,
            q=filters.q or "",
        ),
        offset=filters.offset,
        limit=filters.limit,
    )
    return {
        "count": page.total,
        "count_capped": page.total_capped,
        "limit": page.limit,
        "offset": page.offset,
        "items": [case_row(c) for c in page.rows],
    }


@router.post(
    "",
    response={201: CaseDetailOut, **_WRITE},
    summary="相談の登録（職員）",
    description=(
        "窓口・電話・訪問などで受けた相談を、所属機関（organization_id）の受付として登録します。"
        "入力は画面と同じ規則で検査し、誤りは項目ごとに 422 で返します。"
    ),
)
def create_case(request: HttpRequest, payload: CaseCreateIn):
    case = case_create(
        actor=request.auth,
        data=payload.model_dump(exclude={"organization_id"}),
        organization_id=payload.organization_id,
    )
    return Status(201, _case_out(request, case))


@router.get(
    "/overdue",
    response={200: OverdueOut, 401: Problem, 422: Problem},
    summary="期限の状況（機関別）",
    description="見る権限のある未完了の案件を、主担当機関ごと・期限の状況ごとに数え、期限超過の案件を添えます。",
)
def overdue(request: HttpRequest, query: Query[OverdueQuery]):
    rows, late = overdue_dashboard(user=request.auth, region_id=query.region_id)
    return overdue_out(rows, late)


@router.get(
    "/{case_id}",
    response={200: CaseDetailOut, **_READ},
    summary="相談案件の詳細",
    description=_SCOPE_NOTE + " 相談内容・連絡先を返したときは閲覧記録に残します。",
)
def get_case(request: HttpRequest, case_id: PathId):
    return case_detail_out(case_detail(user=request.auth, case_id=case_id, via="api"))


@router.get(
    "/{case_id}/events",
    response={200: EventList, **_READ},
    summary="相談案件の履歴（タイムライン）",
    description="受付・状態変更・分類・振分け・メモ・エスカレーション・紹介の記録を古い順に返します（追記のみ）。",
)
def list_events(request: HttpRequest, case_id: PathId):
    view = case_detail(user=request.auth, case_id=case_id, via="api", log=False)
    return {"count": len(view.events), "items": view.events}


@router.post(
    "/{case_id}/status",
    response={200: CaseDetailOut, **_WRITE},
    summary="状態の変更",
    description="状態の遷移表に従います（許されない変更は 409）。対応不可・取下げ・再開には理由が必要です。",
)
def change_status(request: HttpRequest, case_id: PathId, payload: TransitionIn):
    case = case_transition(
        actor=request.auth, case_id=case_id, to_status=payload.to_status, reason=payload.reason
    )
    return _case_out(request, case)


@router.post(
    "/{case_id}/classification",
    response={200: CaseDetailOut, **_WRITE},
    summary="分類の確定",
    description="相談区分（と支援対象分野・事業段階）を確定します。確定した案件は分類の学習データになります。",
)
def classify_case(request: HttpRequest, case_id: PathId, payload: ClassificationIn):
    case = case_classify(
        actor=request.auth,
        case_id=case_id,
        category=payload.category,
        target_field=payload.target_field,
        stage=payload.stage or "",
    )
    return _case_out(request, case)


@router.post(
    "/{case_id}/route",
    response={200: CaseDetailOut, **_WRITE},
    summary="振分け",
    description=(
        "主担当機関を決めます。lead_organization_id を省略すると地域の振分けルールで決めます"
        "（当てはまるルールがなければ 409）。"
    ),
)
def route_case(request: HttpRequest, case_id: PathId, payload: RouteIn):
    case = case_route(
        actor=request.auth,
        case_id=case_id,
        lead_organization_id=payload.lead_organization_id,
        assignee_id=payload.assignee_id,
        note=payload.note,
    )
    return _case_out(request, case)


@router.post(
    "/{case_id}/assignee",
    response={200: CaseDetailOut, **_WRITE},
    summary="担当者の指定",
    description="主担当機関の職員（担当者以上）を担当者にします。null で担当者なしにします。",
)
def assign_case(request: HttpRequest, case_id: PathId, payload: AssigneeIn):
    case = case_assign(actor=request.auth, case_id=case_id, assignee_id=payload.assignee_id)
    return _case_out(request, case)


@router.post(
    "/{case_id}/notes",
    response={201: EventOut, **_WRITE},
    summary="メモ（訂正）の追加",
    description="履歴にメモを追記します。correction_of を指定すると、その履歴の訂正として記録します。",
)
def add_note(request: HttpRequest, case_id: PathId, payload: NoteIn):
    event = case_note(
        actor=request.auth, case_id=case_id, text=payload.text, correction_of=payload.correction_of
    )
    return Status(201, event)


@router.post(
    "/{case_id}/escalate",
    response={200: CaseDetailOut, **_WRITE},
    summary="エスカレーション",
    description="地域のエスカレーションの次の段階へ上げます（その段階の担当機関が主担当になります）。理由は必須です。",
)
def escalate_case(request: HttpRequest, case_id: PathId, payload: ReasonIn):
    case = case_escalate(actor=request.auth, case_id=case_id, reason=payload.reason)
    return _case_out(request, case)


@router.post(
    "/{case_id}/hand-back",
    response={200: CaseDetailOut, **_WRITE},
    summary="差戻し",
    description="前の段階（とその段階を担当した機関）へ戻します。理由は必須です。",
)
def hand_back_case(request: HttpRequest, case_id: PathId, payload: ReasonIn):
    case = case_hand_back(actor=request.auth, case_id=case_id, reason=payload.reason)
    return _case_out(request, case)


@router.post(
    "/{case_id}/handoffs",
    response={201: HandoffOut, **_WRITE},
    summary="紹介・引継ぎの依頼",
    description=(
        "ほかの機関に紹介・引継ぎを依頼します。共有の範囲（consent_scope）は企業が同意した範囲です。"
        "地域外の機関へは企業の同意が必要で、金融機関が受けた相談は別の金融機関へは紹介できません（403）。"
    ),
)
def request_handoff(request: HttpRequest, case_id: PathId, payload: HandoffIn):
    handoff = handoff_request(
        actor=request.auth,
        case_id=case_id,
        to_organization_id=payload.to_organization_id,
        reason=payload.reason,
        consent_scope=payload.consent_scope,
        to_user_id=payload.to_user_id,
    )
    return Status(201, handoff)


# --- hand-offs -------------------------------------------------------------------------------------------------


def _answer(request: HttpRequest, handoff_id: int, action: str, text: str) -> Handoff:
    return handoff_respond(actor=request.auth, handoff_id=handoff_id, action=action, text=text)


@handoffs_router.post(
    "/{handoff_id}/accept",
    response={200: HandoffOut, **_WRITE},
    summary="紹介・引継ぎの受諾",
    description="紹介先の機関の職員が受諾します。",
)
def accept_handoff(request: HttpRequest, handoff_id: PathId, payload: HandoffAnswerIn):
    return _answer(request, handoff_id, "accept", payload.text)


@handoffs_router.post(
    "/{handoff_id}/decline",
    response={200: HandoffOut, **_WRITE},
    summary="紹介・引継ぎの辞退",
    description="紹介先の機関の職員が辞退します（理由は必須）。辞退すると紹介先からは案件が見えなくなります。",
)
def decline_handoff(request: HttpRequest, handoff_id: PathId, payload: HandoffAnswerIn):
    return _answer(request, handoff_id, "decline", payload.text)


@handoffs_router.post(
    "/{handoff_id}/reply",
    response={200: HandoffOut, **_WRITE},
    summary="紹介元への回答",
    description="受諾した紹介・引継ぎに、紹介先の機関が回答します（回答内容は必須）。",
)
def reply_handoff(request: HttpRequest, handoff_id: PathId, payload: HandoffAnswerIn):
    return _answer(request, handoff_id, "reply", payload.text)


@handoffs_router.post(
    "/{handoff_id}/close",
    response={200: HandoffOut, **_WRITE},
    summary="紹介・引継ぎの終了",
    description="紹介元・紹介先のどちらかが終了します。終了すると紹介先からは案件が見えなくなります。",
)
def close_handoff(request: HttpRequest, handoff_id: PathId, payload: HandoffCloseIn):
    return handoff_close(actor=request.auth, handoff_id=handoff_id, note=payload.note)


# --- routing preview -------------------------------------------------------------------------------------------


@routing_router.post(
    "/preview",
    response={200: RoutePreviewOut, 400: Problem, **_READ},
    summary="振分けの試行（どこに振り分けられるか）",
    description=(
        "入力した相談区分・分野・本文・企業の属性で、地域の振分けルールを順に判定し、決まるルールと"
        "すべてのルールの条件ごとの判定を返します。何も記録しません。その地域の職員だけが使えます（ほかは 404）。"
    ),
)
def preview_routing(request: HttpRequest, payload: RoutePreviewIn):
    if not policies.can_preview_routing(staff_context(request.auth), payload.region_id):
        raise NotFound("指定された地域の振分けルールは見つかりません。")
    facts = routing_facts_from(
        payload.region_id,
        text=payload.text,
        category=payload.category or "",
        target_field=payload.target_field or "",
        size_class=payload.size_class or "",
        jsic_code=payload.jsic_code or "",
        channel=payload.channel or "",
        stage=payload.stage or "",
    )
    winner, traces = route_preview(payload.region_id, facts)
    leads = Organization.objects.in_bulk({t.lead_organization_id for t in traces})

    def out(trace) -> dict:  # noqa: ANN001
        return {
            "rule_id": trace.rule_id,
            "position": trace.position,
            "name": trace.name,
            "lead_organization": leads[trace.lead_organization_id],
            "held": trace.held,
            "checks": trace.checks,
        }

    return {"winner": out(winner) if winner else None, "traces": [out(t) for t in traces]}


# --- notifications ---------------------------------------------------------------------------------------------


@notifications_router.get(
    "",
    response={200: NotificationPage, 401: Problem, 422: Problem},
    summary="自分への通知",
    description="担当の割当て・紹介の依頼と応答・エスカレーション・期限などの通知を新しい順に返します。",
)
def list_notifications(request: HttpRequest, query: Query[NotificationQuery]):
    page = paginate(notification_list(user=request.auth, unread=query.unread), query)
    return {
        "count": page["count"],
        "unread": unread_count(request.auth),
        "items": page["items"],
    }


@notifications_router.post(
    "/{notification_id}/read",
    response={200: NotificationOut, **_WRITE},
    summary="通知を既読にする",
    description="自分への通知を既読にします（既読のものはそのまま）。ほかの人の通知は 404 です。",
)
def read_notification(request: HttpRequest, notification_id: PathId):
    return notification_read(actor=request.auth, notification_id=notification_id)
