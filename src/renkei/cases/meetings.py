"""Meetings (定例会議 about ten a year, 連携支援会議 yearly): the agenda built from the ledger, what was discussed,
minutes, and action items that link back to cases. (The agenda as PDF and .xlsx: ``letters.py``.)

- Readers: staff of the region's bodies (a meeting of a region the user has no body in is "not found").
- Managers (create, change, build the agenda, record discussion, action items): the region's secretariat and the
  writers of the organizing body. Completing an action item: also the writers of the body that owns it.
- An agenda item's case is shown only to users who may see that case (``Case.objects.visible_to``); everyone else
  reads 「（閲覧権限のない案件）」 and the receipt number, nothing more — in the page, the API and the exports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet

from renkei.companies.validation import parse_date
from renkei.core.calendar import load_business_calendar
from renkei.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from renkei.core.wareki import fiscal_year, fiscal_year_label, fiscal_year_range, to_wareki
from renkei.network.choices import WRITER_ROLES
from renkei.network.models import Organization, Region
from renkei.network.selectors import StaffContext, staff_context

from .choices import OPEN_STATUSES, EventKind, MeetingKind, SlaBucket
from .clocks import case_clocks, today
from .models import ActionItem, AgendaItem, Case, CaseSuspension, Meeting
from .policies import is_region_secretariat
from .services import _event

MAX_TITLE = 200
MAX_PLACE = 200
MAX_ACTION = 300
MAX_TEXT = 20_000
# One build adds at most this many cases: an agenda is read aloud in a meeting, not a report of the ledger.
AGENDA_LIMIT = 200
HIDDEN_TITLE = "（閲覧権限のない案件）"
FIRST_DAY, LAST_DAY = dt.date(2000, 1, 1), dt.date(2100, 12, 31)  # meetings and their deadlines
HIDDEN_ACTION = "（閲覧権限のない案件の対応事項）"

REASON_ESCALATED = "escalated"
REASON_OVERDUE = "overdue"
REASON_OTHER = "other"
REASON_LABELS = {
    REASON_ESCALATED: "エスカレーション",
    REASON_OVERDUE: "期限超過",
    REASON_OTHER: "その他",
}
OVERDUE_BUCKETS = (SlaBucket.LATE, SlaBucket.VERY_LATE)


# ---------------------------------------------------------------------------------------------------------------
# policy


def can_read_region(ctx: StaffContext, region_id: int) -> bool:
    return ctx.is_superuser or region_id in ctx.region_ids


def can_manage_meeting(ctx: StaffContext, meeting: Meeting) -> bool:
    return is_region_secretariat(ctx, meeting.region_id) or ctx.role_in(meeting.organizer_id) in WRITER_ROLES


def organizer_choices(ctx: StaffContext) -> QuerySet[Organization]:
    """Bodies a user may organize a meeting for: every body of their secretariat regions, and their writer bodies."""
    qs = Organization.objects.select_related("region")
    if ctx.is_superuser:
        return qs.filter(region__is_home=True)
    return qs.filter(Q(region_id__in=ctx.secretariat_region_ids) | Q(pk__in=ctx.writer_org_ids))


def _readable_meetings(ctx: StaffContext) -> QuerySet[Meeting]:
    if ctx.is_superuser:
        return Meeting.objects.all()
    return Meeting.objects.filter(region_id__in=ctx.region_ids)


def _meeting_for(actor: User, meeting_id: int, *, lock: bool = False) -> Meeting:
    qs = _readable_meetings(staff_context(actor)).select_related("region", "organizer")
    if lock:
        qs = qs.select_for_update(of=("self",))
    meeting = qs.filter(pk=meeting_id).first()
    if meeting is None:
        raise NotFound("会議が見つかりません。")
    return meeting


def _require_manager(ctx: StaffContext, meeting: Meeting) -> None:
    if not can_manage_meeting(ctx, meeting):
        raise PermissionDenied("会議を変更できるのは、地域の事務局か主催機関の職員（担当者以上）です。")


# ---------------------------------------------------------------------------------------------------------------
# validation


def _clean_text(
    value: Any, *, key: str, label: str, max_length: int, errors: list[FieldError], required: bool = False
) -> str:
    text = "" if value is None else str(value)
    text = "".join(ch for ch in text.replace("\r\n", "\n") if ch in "\n\t" or ord(ch) >= 0x20).strip()
    if required and not text:
        errors.append(FieldError(key, f"{label}を入力してください。"))
    elif len(text) > max_length:
        errors.append(
            FieldError(
                key, f"{label}は{max_length:,}文字以内で入力してください（{len(text):,}文字あります）。"
            )
        )
    return text


def _clean_date(
    value: Any, *, key: str, label: str, errors: list[FieldError], required: bool
) -> dt.date | None:
    if value in (None, ""):
        if required:
            errors.append(FieldError(key, f"{label}を入力してください。"))
        return None
    try:
        day = parse_date(value)
    except (TypeError, ValueError):
        errors.append(FieldError(key, f"{label}は 2025-04-01 や 令和7年4月1日 の形で入力してください。"))
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        errors.append(
            FieldError(key, f"{label}は{FIRST_DAY.year}年から{LAST_DAY.year}年までの日付で入力してください。")
        )
        return None
    return day


def _raise(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed.from_errors(errors)


def meeting_label(meeting: Meeting) -> str:
    return f"{meeting.title}（{to_wareki(meeting.held_on)}）"


# ---------------------------------------------------------------------------------------------------------------
# services


def meeting_create(
    *,
    actor: User,
    region_id: int,
    kind: str,
    title: str,
    held_on: dt.date | str,
    place: str = "",
    organizer_id: int,
) -> Meeting:
    ctx = staff_context(actor)
    region = Region.objects.filter(pk=region_id).first()
    if region is None or not can_read_region(ctx, region.pk):
        raise NotFound("地域が見つかりません。")
    errors: list[FieldError] = []
    if kind not in MeetingKind.values:
        errors.append(
            FieldError("kind", "会議の種別を選んでください（定例会議／連携支援会議／その他の会議）。")
        )
    title = _clean_text(
        title, key="title", label="会議名", max_length=MAX_TITLE, errors=errors, required=True
    )
    day = _clean_date(held_on, key="held_on", label="開催日", errors=errors, required=True)
    place = _clean_text(place, key="place", label="場所", max_length=MAX_PLACE, errors=errors)
    organizer = Organization.objects.filter(pk=organizer_id).first()
    if organizer is None:
        errors.append(FieldError("organizer_id", "主催機関が見つかりません。"))
    elif organizer.region_id != region.pk:
        errors.append(FieldError("organizer_id", f"主催機関は{region.name}の機関から選んでください。"))
    _raise(errors)
    if not (is_region_secretariat(ctx, region.pk) or ctx.role_in(organizer.pk) in WRITER_ROLES):
        raise PermissionDenied("会議を登録できるのは、地域の事務局か主催機関の職員（担当者以上）です。")
    with transaction.atomic():
        return Meeting.objects.create(
            region=region,
            kind=kind,
            title=title,
            held_on=day,
            place=place,
            organizer=organizer,
            created_by=actor,
        )


def meeting_update(
    *,
    actor: User,
    meeting_id: int,
    title: str | None = None,
    held_on: dt.date | str | None = None,
    place: str | None = None,
    minutes: str | None = None,
    is_held: bool | None = None,
) -> Meeting:
    """Change what is given (None: unchanged): the name, date and place, the minutes (議事概要), 開催済み."""
    with transaction.atomic():
        meeting = _meeting_for(actor, meeting_id, lock=True)
        _require_manager(staff_context(actor), meeting)
        errors: list[FieldError] = []
        if title is not None:
            meeting.title = _clean_text(
                title, key="title", label="会議名", max_length=MAX_TITLE, errors=errors, required=True
            )
        if held_on is not None:
            meeting.held_on = _clean_date(
                held_on, key="held_on", label="開催日", errors=errors, required=True
            )
        if place is not None:
            meeting.place = _clean_text(place, key="place", label="場所", max_length=MAX_PLACE, errors=errors)
        if minutes is not None:
            meeting.minutes = _clean_text(
                minutes, key="minutes", label="議事概要", max_length=MAX_TEXT, errors=errors
            )
        if is_held is not None:
            meeting.is_held = bool(is_held)
        _raise(errors)
        meeting.save()
    return meeting


@dataclass
class AgendaBuild:
    added: list[AgendaItem]
    already_listed: int  # candidates already on the agenda (not added twice)
    omitted: int  # candidates beyond AGENDA_LIMIT


def agenda_build(*, actor: User, meeting_id: int) -> AgendaBuild:
    """Add one item per open case of the region whose current step goes to this kind of meeting (escalated),
    then per open case 期限超過 / 大幅超過 (overdue); escalated first, oldest first. Adding again adds nothing."""
    with transaction.atomic():
        meeting = _meeting_for(actor, meeting_id, lock=True)
        _require_manager(staff_context(actor), meeting)
        if meeting.is_held:
            raise Conflict("開催済みの会議の議題は追加できません。")
        listed = AgendaItem.objects.filter(meeting=meeting, case__isnull=False).values("case_id")
        open_cases = Case.objects.filter(region_id=meeting.region_id, status__in=OPEN_STATUSES)
        escalated = open_cases.filter(step__meeting_kind=meeting.kind)
        overdue = open_cases.filter(sla_bucket__in=OVERDUE_BUCKETS).exclude(step__meeting_kind=meeting.kind)
        candidates = escalated.count() + overdue.count()
        fresh = escalated.exclude(pk__in=listed), overdue.exclude(pk__in=listed)
        taken: list[tuple[int, str, str]] = []
        for reason, qs in zip((REASON_ESCALATED, REASON_OVERDUE), fresh, strict=True):
            room = AGENDA_LIMIT - len(taken)
            rows = qs.order_by("received_at", "id").values_list("id", "title")[:room] if room else []
            taken += [(case_id, title, reason) for case_id, title in rows]
        fresh_count = sum(qs.count() for qs in fresh)
        already, omitted = candidates - fresh_count, fresh_count - len(taken)
        position = meeting.items.aggregate(m=Max("position"))["m"] or 0
        cases = Case.objects.in_bulk([c[0] for c in taken])
        added: list[AgendaItem] = []
        text = f"{meeting_label(meeting)}の議題に追加"
        for case_id, title, reason in taken:
            position += 1
            added.append(
                AgendaItem.objects.create(
                    meeting=meeting,
                    position=position,
                    case_id=case_id,
                    title=title[:MAX_TITLE],
                    reason=reason,
                )
            )
            _event(
                cases[case_id],
                EventKind.MEETING,
                actor=actor,
                org_id=meeting.organizer_id,
                text=f"{text}（{REASON_LABELS[reason]}）",
                meeting=meeting.pk,
                reason=reason,
            )
    return AgendaBuild(added=added, already_listed=already, omitted=omitted)


def agenda_item_create(*, actor: User, meeting_id: int, title: str) -> AgendaItem:
    """An item that is not a case (報告事項, その他)."""
    errors: list[FieldError] = []
    title = _clean_text(title, key="title", label="議題", max_length=MAX_TITLE, errors=errors, required=True)
    _raise(errors)
    with transaction.atomic():
        meeting = _meeting_for(actor, meeting_id, lock=True)
        _require_manager(staff_context(actor), meeting)
        position = (meeting.items.aggregate(m=Max("position"))["m"] or 0) + 1
        return AgendaItem.objects.create(meeting=meeting, position=position, title=title, reason=REASON_OTHER)


def agenda_item_update(
    *, actor: User, item_id: int, discussion: str, meeting_id: int | None = None
) -> AgendaItem:
    """Record what the meeting discussed (審議内容) on an item; the case's timeline gets it too."""
    errors: list[FieldError] = []
    discussion = _clean_text(
        discussion, key="discussion", label="審議内容", max_length=MAX_TEXT, errors=errors
    )
    _raise(errors)
    ctx = staff_context(actor)
    with transaction.atomic():
        item = (
            AgendaItem.objects.select_for_update(of=("self",))
            .select_related("meeting", "case")
            .filter(pk=item_id, meeting__in=_readable_meetings(ctx))
            .first()
        )
        if item is None or (meeting_id is not None and item.meeting_id != meeting_id):
            raise NotFound("議題が見つかりません。")
        _require_manager(ctx, item.meeting)
        if item.case_id and not Case.objects.visible_to(actor).filter(pk=item.case_id).exists():
            raise PermissionDenied("この議題の案件を閲覧する権限がないため、審議内容を記録できません。")
        if discussion == item.discussion:
            return item
        item.discussion = discussion
        item.save(update_fields=["discussion"])
        if item.case is not None and discussion:
            _event(
                item.case,
                EventKind.MEETING,
                actor=actor,
                org_id=item.meeting.organizer_id,
                text=f"{meeting_label(item.meeting)}で審議: {discussion}",
                meeting=item.meeting_id,
                agenda_item=item.pk,
            )
    return item


def action_item_create(
    *,
    actor: User,
    meeting_id: int,
    case_id: int | None = None,
    description: str,
    owner_organization_id: int | None,
    due_on: dt.date | str | None = None,
) -> ActionItem:
    errors: list[FieldError] = []
    description = _clean_text(
        description, key="description", label="対応事項", max_length=MAX_ACTION, errors=errors, required=True
    )
    due = _clean_date(due_on, key="due_on", label="期限", errors=errors, required=False)
    with transaction.atomic():
        meeting = _meeting_for(actor, meeting_id, lock=True)
        _require_manager(staff_context(actor), meeting)
        owner = Organization.objects.filter(pk=owner_organization_id, region_id=meeting.region_id).first()
        if owner is None:
            errors.append(
                FieldError(
                    "owner_organization_id", f"担当機関は{meeting.region.name}の機関から選んでください。"
                )
            )
        case = None
        if case_id is not None:
            case = Case.objects.visible_to(actor).filter(pk=case_id, region_id=meeting.region_id).first()
            if case is None:
                errors.append(
                    FieldError(
                        "case_id", "案件が見つかりません（この地域の閲覧できる案件を選んでください）。"
                    )
                )
        _raise(errors)
        action = ActionItem.objects.create(
            meeting=meeting,
            case=case,
            description=description,
            owner_organization=owner,
            due_on=due,
            created_by=actor,
        )
        if case is not None:
            deadline = f"、期限: {to_wareki(due)}" if due else ""
            _event(
                case,
                EventKind.MEETING,
                actor=actor,
                org_id=meeting.organizer_id,
                text=f"{meeting_label(meeting)}の対応事項: {description}（担当: {owner.name}{deadline}）",
                meeting=meeting.pk,
                action_item=action.pk,
            )
    return action


def action_item_complete(
    *, actor: User, action_id: int, done_on: dt.date | str | None = None, meeting_id: int | None = None
) -> ActionItem:
    """Mark an action item done (the managers of the meeting, or the writers of the body that owns it)."""
    errors: list[FieldError] = []
    day = _clean_date(done_on, key="done_on", label="完了日", errors=errors, required=False) or today()
    _raise(errors)
    ctx = staff_context(actor)
    with transaction.atomic():
        action = (
            ActionItem.objects.select_for_update(of=("self",))
            .select_related("meeting", "case", "owner_organization")
            .filter(pk=action_id, meeting__in=_readable_meetings(ctx))
            .first()
        )
        if action is None or (meeting_id is not None and action.meeting_id != meeting_id):
            raise NotFound("対応事項が見つかりません。")
        if not (
            can_manage_meeting(ctx, action.meeting)
            or ctx.role_in(action.owner_organization_id) in WRITER_ROLES
        ):
            raise PermissionDenied("対応事項を完了にできるのは、担当機関・主催機関の職員か地域の事務局です。")
        if action.done_on is not None:
            raise Conflict(f"この対応事項は{to_wareki(action.done_on)}に完了しています。")
        action.done_on = day
        action.save(update_fields=["done_on", "updated_at"])
        if action.case is not None:
            _event(
                action.case,
                EventKind.MEETING,
                actor=actor,
                org_id=action.owner_organization_id,
                text=f"{meeting_label(action.meeting)}の対応事項を完了: {action.description}"
                f"（{action.owner_organization.name}）",
                meeting=action.meeting_id,
                action_item=action.pk,
            )
    return action


# ---------------------------------------------------------------------------------------------------------------
# selectors


def meeting_list(
    *, user: User, fiscal_year: int | None = None, region_id: int | None = None
) -> QuerySet[Meeting]:
    qs = _readable_meetings(staff_context(user)).select_related("region", "organizer")
    if fiscal_year is not None:
        start, end = fiscal_year_range(fiscal_year)
        qs = qs.filter(held_on__range=(start, end))
    if region_id is not None:
        qs = qs.filter(region_id=region_id)
    return qs.annotate(
        item_count=Count("items", distinct=True),
        open_actions=Count("actions", filter=Q(actions__done_on__isnull=True), distinct=True),
    ).order_by("-held_on", "-id")


def meeting_get(*, user: User, meeting_id: int) -> Meeting:
    """The meeting (without its agenda), or NotFound for a region the user has no body in."""
    return _meeting_for(user, meeting_id)


def meeting_fiscal_years(*, user: User) -> list[int]:
    days = _readable_meetings(staff_context(user)).dates("held_on", "month", order="DESC")
    return sorted({fiscal_year(d) for d in days}, reverse=True)


@dataclass
class AgendaRow:
    item: AgendaItem
    visible: bool
    receipt_number: str = ""
    title: str = HIDDEN_TITLE
    reason: str = ""
    category: str = ""
    lead_organization: str = ""
    step: str = ""
    status: str = ""
    sla_bucket: str = ""
    sla_label: str = ""
    due_on: dt.date | None = None
    due_label: str = ""  # 初回対応 / 解決: which clock the due date and the elapsed days are of
    elapsed_days: int | None = None
    target_days: int | None = None
    discussion: str = ""
    case_id: int | None = None

    @property
    def elapsed(self) -> str:
        if self.elapsed_days is None:
            return ""
        return f"{self.elapsed_days}営業日（{self.due_label}の目標{self.target_days}）"


@dataclass
class ActionRow:
    action: ActionItem
    visible: bool
    description: str
    receipt_number: str = ""
    case_id: int | None = None
    can_complete: bool = False

    @property
    def overdue(self) -> bool:
        return self.action.done_on is None and self.action.due_on is not None and self.action.due_on < today()


@dataclass
class MeetingView:
    meeting: Meeting
    rows: list[AgendaRow]
    actions: list[ActionRow]
    can_manage: bool
    case_choices: list[tuple[int, str]] = field(
        default_factory=list
    )  # visible agenda cases, for action items

    @property
    def fiscal_year_label(self) -> str:
        return fiscal_year_label(fiscal_year(self.meeting.held_on))


def meeting_detail(*, user: User, meeting_id: int) -> MeetingView:
    meeting = _meeting_for(user, meeting_id)
    ctx = staff_context(user)
    items = list(meeting.items.order_by("position"))
    actions = list(meeting.actions.select_related("owner_organization").order_by("id"))
    case_ids = {i.case_id for i in items if i.case_id} | {a.case_id for a in actions if a.case_id}
    visible = {
        c.pk: c
        for c in Case.objects.visible_to(user)
        .filter(pk__in=case_ids)
        .select_related("category", "category__parent", "lead_organization", "step")
    }
    receipts = dict(Case.objects.filter(pk__in=case_ids).values_list("pk", "receipt_number"))
    spans: dict[int, list[tuple[dt.date, dt.date | None]]] = {}
    for case_id, start, end in CaseSuspension.objects.filter(case_id__in=list(visible)).values_list(
        "case_id", "started_on", "ended_on"
    ):
        spans.setdefault(case_id, []).append((start, end))
    calendar = load_business_calendar()
    rows = [_agenda_row(i, visible, receipts, spans, calendar) for i in items]
    action_rows = []
    for a in actions:
        shown = a.case_id is None or a.case_id in visible or a.owner_organization_id in ctx.organization_ids
        action_rows.append(
            ActionRow(
                action=a,
                visible=shown,
                description=a.description if shown else HIDDEN_ACTION,
                receipt_number=receipts.get(a.case_id, ""),
                case_id=a.case_id if a.case_id in visible else None,
                can_complete=a.done_on is None
                and (
                    can_manage_meeting(ctx, meeting) or ctx.role_in(a.owner_organization_id) in WRITER_ROLES
                ),
            )
        )
    choices = [(r.case_id, f"{r.receipt_number} {r.title}") for r in rows if r.visible and r.case_id]
    return MeetingView(
        meeting=meeting,
        rows=rows,
        actions=action_rows,
        can_manage=can_manage_meeting(ctx, meeting),
        case_choices=choices,
    )


def _agenda_row(item: AgendaItem, visible: dict, receipts: dict, spans: dict, calendar: Any) -> AgendaRow:
    if item.case_id is None:
        return AgendaRow(
            item=item,
            visible=True,
            title=item.title,
            reason=REASON_LABELS[REASON_OTHER],
            discussion=item.discussion,
        )
    case = visible.get(item.case_id)
    if case is None:
        return AgendaRow(item=item, visible=False, receipt_number=receipts.get(item.case_id, ""))
    clocks = case_clocks(case, suspensions=spans.get(case.pk, []), calendar=calendar)
    category = ""
    if case.category:
        parent = case.category.parent
        category = f"{parent.name} › {case.category.name}" if parent else case.category.name
    # The clock that matters now: the first response until it is given, then the resolution.
    if case.first_responded_on is None:
        clock, target, label, due = (
            clocks.first_response,
            case.first_response_days,
            "初回対応",
            case.first_response_due_on,
        )
    else:
        clock, target, label, due = clocks.resolution, case.resolution_days, "解決", case.resolution_due_on
    return AgendaRow(
        item=item,
        visible=True,
        receipt_number=case.receipt_number,
        title=case.title,
        reason=REASON_LABELS.get(item.reason, REASON_LABELS[REASON_OTHER]),
        category=category,
        lead_organization=case.lead_organization.name,
        step=f"Step {case.step.position} {case.step.name}" if case.step else "",
        status=case.get_status_display(),
        sla_bucket=case.sla_bucket,
        sla_label=case.get_sla_bucket_display(),
        due_on=None if clock.stopped else due,
        due_label=label,
        elapsed_days=clock.elapsed_days,
        target_days=target,
        discussion=item.discussion,
        case_id=case.pk,
    )
