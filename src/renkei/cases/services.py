"""Every write to a case: intake, status, classification, routing, assignment, notes, escalation.

Each service is keyword-only, runs in one transaction, checks the policy, writes the case and appends an event.
Intake lives in ``intake.py``, the ladder in ``escalation.py``, hand-offs in ``handoffs.py``, meetings in
``meetings.py``; this module re-exports the first two so ``services.case_create`` keeps working.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from renkei.core.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from renkei.network.models import Category, Organization, TargetField
from renkei.network.selectors import staff_context

from . import policies
from .choices import FINISHED_STATUSES, CaseStatus, EventKind, NotificationKind
from .clocks import apply_clocks, today
from .common import (
    _resolve_code,
    get_case_for_update,
    is_writer,
    record_event,
    sla_targets,
)
from .models import (
    Case,
    CaseEvent,
    CaseSuspension,
    RoutingRule,
    TrainingExample,
)
from .notify import notify, organization_recipients
from .routing import RoutingFacts, explain_routing
from .workflow import check_transition, is_first_response, is_reopen

# ---------------------------------------------------------------------------------------------------------------
# status, classification, routing, assignment, notes


def case_transition(*, actor: User, case_id: int, to_status: str, reason: str = "") -> Case:
    with transaction.atomic():
        case = get_case_for_update(actor, case_id)
        ctx = staff_context(actor)
        policies.require(policies.can_manage(ctx, case), "状態を変更できるのは主担当機関か事務局の職員です。")
        check_transition(case.status, to_status, reason=reason)
        _apply_status(case, to_status)
        case.save()
        record_event(
            case,
            EventKind.STATUS,
            actor=actor,
            org_id=policies.acting_organization(ctx, case),
            text=reason.strip(),
            from_status=case._from_status,
            to_status=to_status,
        )
    return case


def _apply_status(case: Case, to_status: str) -> None:
    """Move the case and its clocks (first response, suspension while waiting, finish and reopen)."""
    day = today()
    from_status = case.status
    case._from_status = from_status
    if from_status == CaseStatus.WAITING:
        CaseSuspension.objects.filter(case=case, ended_on__isnull=True).update(ended_on=day)
    if to_status == CaseStatus.WAITING:
        CaseSuspension.objects.create(case=case, started_on=day)
    if is_first_response(to_status) and case.first_responded_on is None:
        case.first_responded_on = day
    if is_reopen(from_status, to_status):
        if case.finished_on is not None:
            CaseSuspension.objects.create(case=case, started_on=case.finished_on, ended_on=day)
        case.finished_on = None
    elif to_status in FINISHED_STATUSES and case.finished_on is None:
        case.finished_on = day
    case.status = to_status
    case.status_changed_at = timezone.now()
    apply_clocks(case)


def case_classify(
    *, actor: User, case_id: int, category: str | int, target_field: str | int | None = None, stage: str = ""
) -> Case:
    """A person confirms the classification; the confirmed text becomes a training example."""
    with transaction.atomic():
        case = get_case_for_update(actor, case_id)
        ctx = staff_context(actor)
        policies.require(policies.can_manage(ctx, case), "分類を確定できるのは主担当機関か事務局の職員です。")
        errors: list[FieldError] = []
        cat = _resolve_code(
            Category, category, region_id=case.region_id, field="category", label="相談区分", errors=errors
        )
        if cat is None and not errors:
            errors.append(FieldError("category", "相談区分を選んでください。"))
        fld = _resolve_code(
            TargetField,
            target_field,
            region_id=case.region_id,
            field="target_field",
            label="支援対象分野",
            errors=errors,
        )
        if stage:
            from .choices import BusinessStage

            if stage not in BusinessStage.values:
                errors.append(FieldError("stage", f"事業段階「{stage}」はありません。"))
        if errors:
            raise ValidationFailed.from_errors(errors)
        before = (case.category_id, case.target_field_id)
        case.category = cat
        case.target_field = fld
        if stage:
            case.stage = stage
        case.classification_confirmed = True
        case.first_response_days, case.resolution_days = sla_targets(case.region_id, cat.pk)
        apply_clocks(case)
        case.save()
        TrainingExample.objects.filter(case=case).delete()
        TrainingExample.objects.create(
            region_id=case.region_id,
            category=cat,
            target_field=fld,
            text=f"{case.title}\n{case.detail}",
            case=case,
        )
        agreed = case.suggested_category_id == cat.pk
        record_event(
            case,
            EventKind.CLASSIFIED,
            actor=actor,
            org_id=policies.acting_organization(ctx, case),
            text=f"{cat.name}" + (f" / {fld.name}" if fld else ""),
            before=list(before),
            suggestion_agreed=agreed,
        )
    return case


def routing_facts(case: Case) -> RoutingFacts:
    company = case.company
    return RoutingFacts(
        category=case.category.code if case.category else "",
        category_parent=case.category.parent.code if case.category and case.category.parent else "",
        field=case.target_field.code if case.target_field else "",
        field_parent=case.target_field.parent.code if case.target_field and case.target_field.parent else "",
        text=f"{case.title}\n{case.summary}\n{case.detail}",
        size_class=company.size_class if company else "",
        jsic_code=company.jsic_id or "" if company else "",
        channel=case.channel,
        stage=case.stage,
    )


def routing_facts_from(
    region_id: int,
    *,
    text: str = "",
    category: str = "",
    target_field: str = "",
    size_class: str = "",
    jsic_code: str = "",
    channel: str = "",
    stage: str = "",
) -> RoutingFacts:
    """The facts typed into the routing tester; unknown codes are named (422), never silently unmatched."""
    errors: list[FieldError] = []
    cat = fld = None
    if category:
        cat = Category.objects.select_related("parent").filter(code=category).first()
        if cat is None:
            errors.append(FieldError("category", f"相談区分「{category[:30]}」はありません。"))
    if target_field:
        fields = TargetField.objects.select_related("parent").filter(code=target_field)
        fld = fields.filter(region_id=region_id).first() or fields.filter(region__isnull=True).first()
        if fld is None:
            errors.append(FieldError("target_field", f"支援対象分野「{target_field[:30]}」はありません。"))
    if errors:
        raise ValidationFailed.from_errors(errors)
    return RoutingFacts(
        category=cat.code if cat else "",
        category_parent=cat.parent.code if cat and cat.parent else "",
        field=fld.code if fld else "",
        field_parent=fld.parent.code if fld and fld.parent else "",
        text=text or "",
        size_class=size_class or "",
        jsic_code=jsic_code or "",
        channel=channel or "",
        stage=stage or "",
    )


def route_preview(region_id: int, facts: RoutingFacts):  # noqa: ANN201
    rules = (
        RoutingRule.objects.filter(region_id=region_id)
        .select_related("lead_organization")
        .order_by("position")
    )
    return explain_routing(rules, facts)


def case_route(
    *,
    actor: User,
    case_id: int,
    lead_organization_id: int | None = None,
    assignee_id: int | None = None,
    note: str = "",
) -> Case:
    """Give the case its lead organization: the one chosen, or what the region's routing rules say."""
    with transaction.atomic():
        case = get_case_for_update(actor, case_id)
        ctx = staff_context(actor)
        policies.require(policies.can_manage(ctx, case), "振分けできるのは主担当機関か事務局の職員です。")
        rule_name = ""
        if lead_organization_id is None:
            winner, _ = route_preview(case.region_id, routing_facts(case))
            if winner is None:
                raise Conflict(
                    "当てはまる振分けルールがありません。主担当機関を選んでください。",
                    field="lead_organization_id",
                )
            rule = RoutingRule.objects.get(pk=winner.rule_id)
            lead_organization_id = rule.lead_organization_id
            if (
                assignee_id is None
                and rule.default_assignee_id
                and is_writer(rule.default_assignee_id, lead_organization_id)
            ):
                assignee_id = (
                    rule.default_assignee_id
                )  # a default assignee who has left is skipped, not an error
            rule_name = rule.name
        lead = Organization.objects.filter(pk=lead_organization_id).first()
        if lead is None:
            raise ValidationFailed.from_errors(
                [FieldError("lead_organization_id", "主担当機関が見つかりません。")]
            )
        if lead.region_id != case.region_id:
            raise ValidationFailed.from_errors(
                [
                    FieldError(
                        "lead_organization_id",
                        "主担当機関は地域内の機関から選んでください（地域外へは紹介・引継ぎで）。",
                    )
                ]
            )
        if policies.bank_conflict(case, lead.kind, lead.pk):
            raise PermissionDenied(
                "ほかの金融機関が受け付けた相談を、別の金融機関に振り分けることはできません。"
            )
        check_transition(case.status, CaseStatus.ROUTED, via_routing=True)
        assignee = _check_assignee(assignee_id, lead.pk) if assignee_id else None
        previous = case.lead_organization_id
        _apply_status(case, CaseStatus.ROUTED)
        case.lead_organization = lead
        case.assignee = assignee
        case.save()
        text = (
            f"{lead.name}へ振分け"
            + (f"（ルール: {rule_name}）" if rule_name else "")
            + (f"　{note.strip()}" if note.strip() else "")
        )
        record_event(
            case,
            EventKind.ROUTED,
            actor=actor,
            org_id=policies.acting_organization(ctx, case),
            text=text,
            from_status=case._from_status,
            to_status=CaseStatus.ROUTED,
            from_organization=previous,
            to_organization=lead.pk,
            rule=rule_name,
        )
        recipients = [assignee.pk] if assignee else organization_recipients([lead.pk])
        notify(
            user_ids=recipients,
            kind=NotificationKind.ASSIGNED,
            case=case,
            text=f"相談が振り分けられました: {case.title}",
            exclude=actor.pk,
        )
    return case


def _check_assignee(user_id: int, organization_id: int) -> User:
    if not is_writer(user_id, organization_id):
        raise ValidationFailed.from_errors(
            [FieldError("assignee_id", "担当者は主担当機関の職員（担当者以上）から選んでください。")]
        )
    return User.objects.get(pk=user_id)


def case_assign(*, actor: User, case_id: int, assignee_id: int | None) -> Case:
    with transaction.atomic():
        case = get_case_for_update(actor, case_id)
        ctx = staff_context(actor)
        policies.require(
            policies.can_manage(ctx, case), "担当者を決められるのは主担当機関か事務局の職員です。"
        )
        assignee = _check_assignee(assignee_id, case.lead_organization_id) if assignee_id else None
        case.assignee = assignee
        case.save(update_fields=["assignee", "updated_at"])
        name = (assignee.get_full_name() or assignee.username) if assignee else "（なし）"
        record_event(
            case,
            EventKind.ASSIGNED,
            actor=actor,
            org_id=policies.acting_organization(ctx, case),
            text=f"担当者: {name}",
            assignee=assignee_id,
        )
        if assignee:
            notify(
                user_ids=[assignee.pk],
                kind=NotificationKind.ASSIGNED,
                case=case,
                text=f"担当になりました: {case.title}",
                exclude=actor.pk,
            )
    return case


def case_note(*, actor: User, case_id: int, text: str, correction_of: int | None = None) -> CaseEvent:
    """A note on the timeline (or a correction of an earlier event: a new event that points at it)."""
    text = (text or "").strip()
    if not text:
        raise ValidationFailed.from_errors([FieldError("text", "メモを入力してください。")])
    if len(text) > 10_000:
        raise ValidationFailed.from_errors([FieldError("text", "メモは10,000文字以内で入力してください。")])
    with transaction.atomic():
        case = get_case_for_update(actor, case_id)
        ctx = staff_context(actor)
        policies.require(
            policies.can_note(ctx, case), "メモを書けるのは、この案件を担当・紹介されている機関の職員です。"
        )
        kind = EventKind.NOTE
        extra: dict[str, Any] = {}
        if correction_of is not None:
            if not CaseEvent.objects.filter(pk=correction_of, case=case).exists():
                raise ValidationFailed.from_errors(
                    [FieldError("correction_of", "訂正する履歴が見つかりません。")]
                )
            kind = EventKind.CORRECTION
            extra["correction_of"] = correction_of
        return record_event(
            case, kind, actor=actor, org_id=policies.acting_organization(ctx, case), text=text, **extra
        )


# Intake and the ladder live in their own modules; re-exported for callers of ``services.*``.
from .escalation import case_escalate, case_hand_back, next_step, previous_step  # noqa: E402
from .intake import case_create, case_create_public  # noqa: E402

_event = record_event  # the name other modules of this package used first

__all__ = [
    "case_assign",
    "case_classify",
    "case_create",
    "case_create_public",
    "case_escalate",
    "case_hand_back",
    "case_note",
    "case_route",
    "case_transition",
    "get_case_for_update",
    "next_step",
    "previous_step",
    "record_event",
    "route_preview",
    "routing_facts",
    "routing_facts_from",
    "sla_targets",
]
