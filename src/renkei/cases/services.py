"""Every write to a case: intake, status, classification, routing, assignment, notes, escalation.

Each service is keyword-only, runs in one transaction, checks the policy, writes the case and appends an event.
Hand-offs live in ``handoffs.py``, meetings in ``meetings.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from renkei.companies.models import Company
from renkei.core.errors import Conflict, FieldError, NotFound, PermissionDenied, RateLimited, ValidationFailed
from renkei.core.wareki import fiscal_year
from renkei.network.choices import WRITER_ROLES
from renkei.network.models import Category, Membership, Organization, Region, TargetField
from renkei.network.selectors import staff_context

from . import classify, policies
from .choices import FINISHED_STATUSES, CaseStatus, EventKind, NotificationKind
from .clocks import apply_clocks, local_date, today
from .models import (
    Case,
    CaseEvent,
    CaseSettings,
    CaseSuspension,
    EscalationLadder,
    EscalationStep,
    PublicSubmission,
    ReceiptCounter,
    RoutingRule,
    SlaPolicy,
    TrainingExample,
)
from .notify import notify, organization_recipients
from .routing import RoutingFacts, explain_routing
from .validation import clean_intake
from .workflow import check_transition, is_first_response, is_reopen

DEFAULT_FIRST_RESPONSE_DAYS = 3
DEFAULT_RESOLUTION_DAYS = 30


# ---------------------------------------------------------------------------------------------------------------
# helpers


def _event(
    case: Case, kind: str, *, actor: User | None, org_id: int | None, text: str = "", **extra: Any
) -> CaseEvent:
    return CaseEvent.objects.create(
        case=case,
        kind=kind,
        at=timezone.now(),
        actor=actor if actor and actor.is_authenticated else None,
        actor_organization_id=org_id,
        text=text,
        from_status=extra.pop("from_status", ""),
        to_status=extra.pop("to_status", ""),
        handoff=extra.pop("handoff", None),
        data=extra,
    )


def get_case_for_update(actor: User, case_id: int) -> Case:
    """The case, locked, if the actor may see it; 404 otherwise (never say that it exists)."""
    case = Case.objects.visible_to(actor).select_for_update().filter(pk=case_id).first()
    if case is None:
        raise NotFound("相談案件が見つかりません。")
    return case


def _settings_for(region: Region) -> CaseSettings:
    found = CaseSettings.objects.filter(region=region).select_related("window_organization").first()
    if found is None:
        raise Conflict(f"{region.name}の相談窓口が設定されていません（事務局にお問い合わせください）。")
    return found


def sla_targets(region_id: int, category_id: int | None) -> tuple[int, int]:
    policies_ = {p.category_id: p for p in SlaPolicy.objects.filter(region_id=region_id)}
    policy = policies_.get(category_id) if category_id else None
    if policy is None and category_id:
        parent_id = Category.objects.filter(pk=category_id).values_list("parent_id", flat=True).first()
        policy = policies_.get(parent_id)
    policy = policy or policies_.get(None)
    if policy is None:
        return DEFAULT_FIRST_RESPONSE_DAYS, DEFAULT_RESOLUTION_DAYS
    return policy.first_response_days, policy.resolution_days


def next_receipt_number(region: Region, fy: int, prefix: str = "") -> str:
    counter, _ = ReceiptCounter.objects.select_for_update().get_or_create(region=region, fiscal_year=fy)
    ReceiptCounter.objects.filter(pk=counter.pk).update(last=F("last") + 1)
    counter.refresh_from_db(fields=["last"])
    return f"{prefix or region.prefecture_id + '-'}{fy}-{counter.last:06d}"


def _default_ladder(region_id: int) -> tuple[EscalationLadder | None, EscalationStep | None]:
    ladder = EscalationLadder.objects.filter(region_id=region_id, is_default=True).first()
    if ladder is None:
        return None, None
    return ladder, ladder.steps.order_by("position").first()


def _resolve_code(
    model: type, raw: Any, *, region_id: int | None, field: str, label: str, errors: list
) -> Any:
    if raw in (None, ""):
        return None
    qs = model.objects.all()
    if model is TargetField:
        qs = qs.filter(region_id__in=[region_id]) | qs.filter(region__isnull=True)
    value = str(raw).strip()
    found = qs.filter(code=value).first() or (qs.filter(pk=int(value)).first() if value.isdigit() else None)
    if found is None:
        errors.append(FieldError(field, f"{label}「{value[:30]}」はありません。"))
    return found


# ---------------------------------------------------------------------------------------------------------------
# intake


def _create(
    *, region: Region, values: dict, received_by: Organization, lead: Organization, actor: User | None
) -> Case:
    received_at = values.pop("received_at", None) or timezone.now()
    fy = fiscal_year(local_date(received_at))
    case_settings = CaseSettings.objects.filter(region=region).first()
    category = values.get("category")
    first_days, resolution_days = sla_targets(region.pk, category.pk if category else None)
    ladder, step = _default_ladder(region.pk)
    case = Case(
        region=region,
        receipt_number=next_receipt_number(region, fy, case_settings.receipt_prefix if case_settings else ""),
        fiscal_year=fy,
        received_at=received_at,
        received_by=received_by,
        lead_organization=lead,
        status=CaseStatus.RECEIVED,
        status_changed_at=received_at,
        first_response_days=first_days,
        resolution_days=resolution_days,
        ladder=ladder,
        step=step,
        step_entered_on=local_date(received_at) if step else None,
        created_by=actor if actor and actor.is_authenticated else None,
        **values,
    )
    suggestion = classify.suggest(region.pk, f"{case.title}\n{case.detail}", limit=1)
    if suggestion:
        case.suggested_category_id = suggestion[0].category_id
        case.suggestion_confidence = round(suggestion[0].probability, 4)
    apply_clocks(case, suspensions=[])
    case.save()
    _event(
        case,
        EventKind.CREATED,
        actor=actor,
        org_id=received_by.pk,
        text=f"{case.get_channel_display()}で受付",
        to_status=CaseStatus.RECEIVED,
    )
    return case


def case_create(*, actor: User, data: dict, organization_id: int | None = None) -> Case:
    """Staff intake (窓口, 電話, 訪問 …) at one of the actor's organizations."""
    ctx = staff_context(actor)
    writable = sorted(ctx.writer_org_ids)
    if not writable and not ctx.is_superuser:
        raise PermissionDenied("相談を登録できるのは機関の職員（担当者以上）です。")
    errors: list[FieldError] = []
    if organization_id is None:
        if len(writable) != 1:
            raise ValidationFailed.from_errors([FieldError("organization_id", "受付機関を選んでください。")])
        organization_id = writable[0]
    elif organization_id not in writable and not ctx.is_superuser:
        raise ValidationFailed.from_errors(
            [FieldError("organization_id", "この機関の相談は登録できません。")]
        )
    org = Organization.objects.select_related("region").filter(pk=organization_id).first()
    if org is None:
        raise ValidationFailed.from_errors([FieldError("organization_id", "受付機関が見つかりません。")])
    try:
        values = clean_intake(data, public=False)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        values = {}
    company = None
    company_id = data.get("company_id")
    if company_id not in (None, ""):
        company = Company.objects.visible_to(actor).filter(pk=_int_or_none(company_id)).first()
        if company is None:
            errors.append(
                FieldError("company_id", "企業が見つかりません（閲覧できる企業を選んでください）。")
            )
    category = _resolve_code(
        Category,
        data.get("category"),
        region_id=org.region_id,
        field="category",
        label="相談区分",
        errors=errors,
    )
    target_field = _resolve_code(
        TargetField,
        data.get("target_field"),
        region_id=org.region_id,
        field="target_field",
        label="支援対象分野",
        errors=errors,
    )
    if errors:
        raise ValidationFailed.from_errors(errors)
    if company is not None:
        values["company"] = company
        values["consent_outside_region"] = values["consent_outside_region"] or company.consent_share_outside
        values["requester_company_name"] = values["requester_company_name"] or company.name
    values["category"] = category
    values["target_field"] = target_field
    with transaction.atomic():
        case = _create(region=org.region, values=values, received_by=org, lead=org, actor=actor)
    return case


def _client_hash(client_ip: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{client_ip}".encode()).hexdigest()


def case_create_public(*, data: dict, client_ip: str) -> Case:
    """The public consultation form (no login). Lands at the region's window, status 受付, receipt mailed."""
    errors: list[FieldError] = []
    if str(data.get("website") or "").strip():  # the honeypot a person never sees
        raise ValidationFailed.from_errors(
            [FieldError("website", "送信できませんでした。入力内容をご確認ください。")]
        )
    try:
        values = clean_intake(data, public=True)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        values = {}
    region = _public_region(data.get("region"), values.get("requester_prefecture"), errors)
    if errors:
        raise ValidationFailed.from_errors(errors)
    limit = settings.RENKEI_PUBLIC_INTAKE_PER_HOUR
    key = _client_hash(client_ip or "unknown")
    with transaction.atomic():
        since = timezone.now() - dt.timedelta(hours=1)
        if PublicSubmission.objects.filter(client_hash=key, at__gte=since).count() >= limit:
            raise RateLimited(
                f"送信が多すぎます。1時間に{limit}件までです。しばらくしてからお試しいただくか、お電話でご相談ください。"
            )
        PublicSubmission.objects.create(client_hash=key)
        case_settings = _settings_for(region)
        if not case_settings.public_intake:
            raise Conflict(f"{region.name}では現在Webフォームでの相談を受け付けていません。")
        window = case_settings.window_organization
        case = _create(region=region, values=values, received_by=window, lead=window, actor=None)
        notify(
            user_ids=organization_recipients([window.pk]),
            kind=NotificationKind.PUBLIC_INTAKE,
            case=case,
            text=f"Webフォームから相談がありました: {case.title}",
        )
        transaction.on_commit(lambda: _enqueue_receipt(case.pk))
    return case


def _enqueue_receipt(case_id: int) -> None:
    from .tasks import send_receipt_email

    try:
        send_receipt_email.enqueue(case_id)
    except Exception:  # noqa: BLE001 — the consultation is recorded whatever happens to the mail
        import logging

        logging.getLogger(__name__).exception("受付メールの送信に失敗しました")


def _public_region(raw: Any, prefecture, errors: list[FieldError]) -> Region | None:  # noqa: ANN001
    homes = Region.objects.filter(is_home=True, case_settings__public_intake=True)
    if raw not in (None, ""):
        region = homes.filter(slug=str(raw).strip()).first()
        if region is None:
            errors.append(FieldError("region", "相談先の地域が見つかりません。"))
        return region
    if prefecture is not None:
        region = homes.filter(prefecture=prefecture).first()
        if region is not None:
            return region
    if homes.count() == 1:
        return homes.first()
    if not errors:
        names = "、".join(r.name for r in homes)
        errors.append(FieldError("region", f"相談先の地域を選んでください（{names}）。"))
    return None


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


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
        _event(
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
        _event(
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
            assignee_id = assignee_id or rule.default_assignee_id
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
        _event(
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
    ok = (
        Membership.objects.in_force()
        .filter(user_id=user_id, organization_id=organization_id, role__in=WRITER_ROLES, user__is_active=True)
        .exists()
    )
    if not ok:
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
        _event(
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
        return _event(
            case, kind, actor=actor, org_id=policies.acting_organization(ctx, case), text=text, **extra
        )


# ---------------------------------------------------------------------------------------------------------------
# escalation ladder


def _applicable_steps(case: Case) -> list[EscalationStep]:
    if case.ladder_id is None:
        return []
    steps = list(
        EscalationStep.objects.filter(ladder_id=case.ladder_id)
        .prefetch_related("categories")
        .order_by("position")
    )
    out = []
    for step in steps:
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
    _event(
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
