"""Hand-offs (紹介・引継ぎ): from → to, why, what the company agreed to share, and their own little workflow.

requested → accepted / declined / closed (withdrawn);  accepted → replied → closed;  accepted → closed.
A hand-off outside the region needs the company's consent to share outside the region; one bank's customer is
never handed to another bank.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from renkei.core.calendar import load_business_calendar
from renkei.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from renkei.network.models import Organization
from renkei.network.selectors import staff_context

from . import policies
from .choices import (
    FINISHED_STATUSES,
    LIVE_HANDOFF_STATES,
    ConsentScope,
    EventKind,
    HandoffState,
    NotificationKind,
)
from .clocks import today
from .common import is_writer
from .models import Case, CaseSettings, Handoff
from .notify import notify, organization_recipients
from .services import _event, get_case_for_update

H = HandoffState

HANDOFF_TRANSITIONS: dict[str, set[str]] = {
    H.REQUESTED: {H.ACCEPTED, H.DECLINED, H.CLOSED},
    H.ACCEPTED: {H.REPLIED, H.CLOSED},
    H.REPLIED: {H.CLOSED},
    H.DECLINED: set(),
    H.CLOSED: set(),
}


def outside_consent(case: Case) -> bool:
    return case.consent_outside_region or bool(case.company_id and case.company.consent_share_outside)


def handoff_request(
    *,
    actor: User,
    case_id: int,
    to_organization_id: int,
    reason: str,
    consent_scope: str,
    to_user_id: int | None = None,
) -> Handoff:
    errors: list[FieldError] = []
    if not (reason or "").strip():
        errors.append(FieldError("reason", "紹介・引継ぎの理由（依頼内容）を入力してください。"))
    if consent_scope not in ConsentScope.values:
        errors.append(
            FieldError("consent_scope", "共有の範囲を選んでください（概要のみ／詳細まで／連絡先を含む）。")
        )
    with transaction.atomic():
        case = get_case_for_update(actor, case_id)
        ctx = staff_context(actor)
        policies.require(
            policies.can_manage(ctx, case), "紹介・引継ぎを依頼できるのは主担当機関か事務局の職員です。"
        )
        if case.status in FINISHED_STATUSES:
            raise Conflict("完了した案件は紹介・引継ぎできません（再開してから行ってください）。")
        to_org = Organization.objects.select_related("region").filter(pk=to_organization_id).first()
        if to_org is None:
            errors.append(FieldError("to_organization_id", "紹介先の機関が見つかりません。"))
        elif to_org.pk == case.lead_organization_id:
            errors.append(FieldError("to_organization_id", "主担当機関自身には紹介できません。"))
        elif case.handoffs.filter(to_organization=to_org, state__in=LIVE_HANDOFF_STATES).exists():
            errors.append(
                FieldError("to_organization_id", f"{to_org.name}へは依頼中・対応中の紹介があります。")
            )
        to_user = None
        if to_org is not None and to_user_id:
            to_user = User.objects.filter(pk=to_user_id).first() if is_writer(to_user_id, to_org.pk) else None
            if to_user is None:
                errors.append(
                    FieldError(
                        "to_user_id",
                        "紹介先の担当者は紹介先機関の現職の職員（担当者以上）から選んでください。",
                    )
                )
        if errors:
            raise ValidationFailed.from_errors(errors)
        external = to_org.region_id != case.region_id
        if external and not outside_consent(case):
            raise PermissionDenied(
                "地域外の機関への紹介には、企業の同意（地域外の機関への紹介に同意）が必要です。",
                field="consent_scope",
            )
        if policies.bank_conflict(case, to_org.kind, to_org.pk):
            raise PermissionDenied(
                "ほかの金融機関が受け付けた相談を、別の金融機関に紹介することはできません。"
            )
        case_settings = CaseSettings.objects.filter(region_id=case.region_id).first()
        reply_days = case_settings.handoff_reply_days if case_settings else 5
        handoff = Handoff.objects.create(
            case=case,
            from_organization_id=case.lead_organization_id,
            to_organization=to_org,
            to_user=to_user,
            reason=reason.strip(),
            consent_scope=consent_scope,
            requested_at=timezone.now(),
            due_on=load_business_calendar().add_business_days(today(), reply_days),
            is_external=external,
            requested_by=actor,
            created_by=actor,
        )
        _event(
            case,
            EventKind.HANDOFF,
            actor=actor,
            org_id=policies.acting_organization(ctx, case),
            text=f"{to_org.name}へ紹介・引継ぎを依頼（{handoff.get_consent_scope_display()}）　{handoff.reason}",
            handoff=handoff,
            action="requested",
            to_organization=to_org.pk,
            consent_scope=consent_scope,
        )
        recipients = [to_user.pk] if to_user else organization_recipients([to_org.pk])
        notify(
            user_ids=recipients,
            kind=NotificationKind.HANDOFF_REQUESTED,
            case=case,
            text=f"{case.lead_organization.name}から紹介・引継ぎの依頼: {case.title}",
            exclude=actor.pk,
        )
    return handoff


def _get_handoff(actor: User, handoff_id: int) -> Handoff:
    handoff = (
        Handoff.objects.select_for_update(of=("self",))
        .filter(pk=handoff_id, case__in=Case.objects.visible_to(actor))
        .select_related("case", "to_organization", "from_organization")
        .first()
    )
    if handoff is None:
        raise NotFound("紹介・引継ぎが見つかりません。")
    return handoff


def _move(handoff: Handoff, to_state: str) -> None:
    if to_state not in HANDOFF_TRANSITIONS[handoff.state]:
        raise Conflict(
            f"「{H(handoff.state).label}」の紹介・引継ぎを「{H(to_state).label}」にはできません。",
            field="state",
        )
    handoff.state = to_state


_TEXTS = {
    H.ACCEPTED: ("受諾", NotificationKind.HANDOFF_ACCEPTED),
    H.DECLINED: ("辞退", NotificationKind.HANDOFF_DECLINED),
    H.REPLIED: ("回答", NotificationKind.HANDOFF_REPLIED),
}


def handoff_respond(*, actor: User, handoff_id: int, action: str, text: str = "") -> Handoff:
    """The receiving body accepts, declines (with a reason) or replies (with its answer)."""
    state = {"accept": H.ACCEPTED, "decline": H.DECLINED, "reply": H.REPLIED}.get(action)
    if state is None:
        raise ValidationFailed.from_errors(
            [FieldError("action", "操作は accept / decline / reply のいずれかです。")]
        )
    text = (text or "").strip()
    if state == H.DECLINED and not text:
        raise ValidationFailed.from_errors([FieldError("text", "辞退の理由を入力してください。")])
    if state == H.REPLIED and not text:
        raise ValidationFailed.from_errors([FieldError("text", "回答内容を入力してください。")])
    with transaction.atomic():
        handoff = _get_handoff(actor, handoff_id)
        ctx = staff_context(actor)
        policies.require(policies.can_respond(ctx, handoff), "紹介先の機関の職員だけが応答できます。")
        _move(handoff, state)
        now = timezone.now()
        if state == H.REPLIED:
            handoff.replied_at, handoff.reply = now, text
        else:
            handoff.responded_at, handoff.response_note = now, text
        handoff.save()
        verb, kind = _TEXTS[state]
        case = handoff.case
        _event(
            case,
            EventKind.HANDOFF,
            actor=actor,
            org_id=handoff.to_organization_id,
            text=f"{handoff.to_organization.name}が{verb}" + (f"　{text}" if text else ""),
            handoff=handoff,
            action=state,
        )
        notify(
            user_ids=[handoff.requested_by_id]
            if handoff.requested_by_id
            else organization_recipients([handoff.from_organization_id]),
            kind=kind,
            case=case,
            text=f"{handoff.to_organization.name}が紹介・引継ぎを{verb}しました: {case.title}",
            exclude=actor.pk,
        )
    return handoff


def handoff_close(*, actor: User, handoff_id: int, note: str = "") -> Handoff:
    """Either side ends the hand-off; the receiving body then no longer sees the case."""
    with transaction.atomic():
        handoff = _get_handoff(actor, handoff_id)
        ctx = staff_context(actor)
        allowed = policies.can_manage(ctx, handoff.case) or policies.can_respond(ctx, handoff)
        policies.require(allowed, "紹介・引継ぎを終了できるのは、紹介元・紹介先の機関の職員です。")
        _move(handoff, H.CLOSED)
        handoff.closed_at = timezone.now()
        handoff.save()
        _event(
            handoff.case,
            EventKind.HANDOFF,
            actor=actor,
            org_id=policies.acting_organization(ctx, handoff.case),
            text=f"{handoff.to_organization.name}への紹介・引継ぎを終了"
            + (f"　{note.strip()}" if note.strip() else ""),
            handoff=handoff,
            action="closed",
        )
    return handoff


def handoff_overdue(handoff: Handoff) -> bool:
    return handoff.state == H.REQUESTED and handoff.due_on < today()
