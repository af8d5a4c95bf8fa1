"""The escalation ladder: climb one step (the step's owner becomes the lead) or hand back, with a reason."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db import transaction

from renkei.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from renkei.network.models import Organization
from renkei.network.selectors import staff_context

from . import policies
from .choices import FINISHED_STATUSES, EventKind, NotificationKind
from .clocks import today
from .common import (
    get_case_for_update,
    record_event,
)
from .models import (
    Case,
    CaseEvent,
    EscalationStep,
)
from .notify import notify, organization_recipients

# ---------------------------------------------------------------------------------------------------------------
# escalation ladder


def ladder_steps(case: Case) -> list[EscalationStep]:
    """Every step of the case's ladder with owners and categories, loaded once per case object."""
    if case.ladder_id is None:
        return []
    cached = case.__dict__.get("_ladder_steps")
    if cached is None or cached[0] != case.ladder_id:
        steps = list(
            EscalationStep.objects.filter(ladder_id=case.ladder_id)
            .select_related("owner_organization")
            .prefetch_related("categories")
            .order_by("position")
        )
        cached = (case.ladder_id, steps)
        case.__dict__["_ladder_steps"] = cached
    return cached[1]


def _applicable_steps(case: Case) -> list[EscalationStep]:
    out = []
    for step in ladder_steps(case):
        codes = {c.pk for c in step.categories.all()}
        if not codes or (case.category_id in codes) or (case.category and case.category.parent_id in codes):
            out.append(step)
    return out


def next_step(case: Case) -> EscalationStep | None:
    current = case.step.position if case.step else 0
    return next((s for s in _applicable_steps(case) if s.position > current), None)


def previous_step(case: Case) -> EscalationStep | None:
    if case.step is None:
        return None
    earlier = [s for s in _applicable_steps(case) if s.position < case.step.position]
    return earlier[-1] if earlier else None


def case_escalate(*, actor: User, case_id: int, reason: str) -> Case:
    """Climb one step of the region's ladder: the step's owner becomes the lead organization."""
    if not (reason or "").strip():
        raise ValidationFailed.from_errors(
            [FieldError("reason", "エスカレーションの理由を入力してください。")]
        )
    with transaction.atomic():
        case = get_case_for_update(actor, case_id)
        ctx = staff_context(actor)
        policies.require(
            policies.can_manage(ctx, case), "エスカレーションできるのは主担当機関か事務局の職員です。"
        )
        if case.status in FINISHED_STATUSES:
            raise Conflict("完了した案件はエスカレーションできません（再開してから行ってください）。")
        step = next_step(case)
        if step is None:
            raise Conflict("これ以上の段階はありません。地域外の機関へは紹介・引継ぎで依頼してください。")
        return _move_to_step(case, step, actor=actor, ctx=ctx, reason=reason, kind=EventKind.ESCALATED)


def case_hand_back(*, actor: User, case_id: int, reason: str) -> Case:
    """Return the case to the previous step (and the organization that led it there)."""
    if not (reason or "").strip():
        raise ValidationFailed.from_errors([FieldError("reason", "差戻しの理由を入力してください。")])
    with transaction.atomic():
        case = get_case_for_update(actor, case_id)
        ctx = staff_context(actor)
        policies.require(policies.can_manage(ctx, case), "差戻しできるのは主担当機関か事務局の職員です。")
        if case.status in FINISHED_STATUSES:
            raise Conflict("完了した案件は差し戻せません（再開してから行ってください）。")
        step = previous_step(case)
        if step is None:
            raise Conflict("最初の段階なので差し戻せません。")
        return _move_to_step(case, step, actor=actor, ctx=ctx, reason=reason, kind=EventKind.HANDED_BACK)


def _lead_for_step(case: Case, step: EscalationStep, kind: str) -> int:
    if step.owner_organization_id:
        return step.owner_organization_id
    if kind == EventKind.HANDED_BACK:
        last = (
            CaseEvent.objects.filter(case=case, kind=EventKind.ESCALATED, data__to_step=case.step_id)
            .order_by("-at", "-id")
            .first()
        )
        if last and last.data.get("from_organization"):
            return int(last.data["from_organization"])
    return case.received_by_id


def _move_to_step(case: Case, step: EscalationStep, *, actor: User, ctx, reason: str, kind: str) -> Case:  # noqa: ANN001
    from_step, from_org = case.step_id, case.lead_organization_id
    lead_id = _lead_for_step(case, step, kind)
    lead = Organization.objects.get(pk=lead_id)
    if policies.bank_conflict(case, lead.kind, lead.pk):
        raise PermissionDenied("ほかの金融機関が受け付けた相談を、別の金融機関に引き継ぐことはできません。")
    case.step = step
    case.step_entered_on = today()
    if lead_id != case.lead_organization_id:
        case.lead_organization_id = lead_id
        case.assignee = None
    case.save()
    verb = "エスカレーション" if kind == EventKind.ESCALATED else "差戻し"
    record_event(
        case,
        kind,
        actor=actor,
        org_id=policies.acting_organization(ctx, case) or from_org,
        text=f"{verb}: Step {step.position} {step.name}（{lead.name}）　理由: {reason.strip()}",
        from_step=from_step,
        to_step=step.pk,
        from_organization=from_org,
        to_organization=lead_id,
    )
    if lead_id != from_org:
        notify(
            user_ids=organization_recipients([lead_id]),
            kind=NotificationKind.ESCALATED,
            case=case,
            text=f"{verb}により担当になりました（Step {step.position} {step.name}）: {case.title}",
            exclude=actor.pk,
        )
    return case
