"""Meetings through the services: who may create and read them, the agenda built from escalated and overdue cases
(idempotent, events on the cases), discussion and action items, and the agenda exports (PDF, .xlsx) that show a
case only to users who may see it."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import timezone
from pypdf import PdfReader

from renkei.cases import letters, meetings, services
from renkei.cases.choices import CaseStatus, EventKind, MeetingKind, SlaBucket
from renkei.cases.models import ActionItem, AgendaItem, Case, CaseEvent, Meeting
from renkei.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renkei.core.wareki import to_wareki
from renkei.network.choices import StaffRole

HELD_ON = dt.date(2025, 6, 10)


@pytest.fixture
def secretariat(make_staff):
    return make_staff("chiba_pref", StaffRole.SECRETARIAT)


@pytest.fixture
def lab(make_staff):
    return make_staff("chiba_lab", StaffRole.MEMBER)


def make_case(actor, org, title: str, *, days_ago: int = 0) -> Case:
    data = {"text": f"{title}について相談したい。", "title": title, "channel": "window"}
    if days_ago:
        data["received_at"] = (timezone.localdate() - dt.timedelta(days=days_ago)).isoformat()
    return services.case_create(actor=actor, data=data, organization_id=org.pk)


def make_meeting(actor, orgs, chiba, *, kind=MeetingKind.REGULAR, organizer="chiba_pref") -> Meeting:
    return meetings.meeting_create(
        actor=actor,
        region_id=chiba.pk,
        kind=kind,
        title="第3回 産学官連携推進定例会議",
        held_on=HELD_ON,
        place="県庁本庁舎",
        organizer_id=orgs[organizer].pk,
    )


def fields_of(exc: ValidationFailed) -> set[str]:
    return {e.field for e in exc.errors}


@pytest.fixture
def ledger(case_config, orgs, secretariat, lab, yamagata, make_staff):
    """Cases of every kind the builder must tell apart (Chiba, plus one Yamagata case)."""
    pref = orgs["chiba_pref"]
    escalated = make_case(secretariat, pref, "定例会議で検討する新素材の相談")
    services.case_escalate(actor=secretariat, case_id=escalated.pk, reason="複数機関の連携が必要")
    escalated_old = make_case(secretariat, pref, "古いエスカレーション案件", days_ago=90)
    services.case_escalate(actor=secretariat, case_id=escalated_old.pk, reason="窓口では解決できない")
    overdue_lab = make_case(lab, orgs["chiba_lab"], "産技研の期限超過案件", days_ago=60)
    overdue_pref = make_case(secretariat, pref, "窓口の期限超過案件", days_ago=30)
    fresh = make_case(secretariat, pref, "受け付けたばかりの案件")
    finished = make_case(secretariat, pref, "解決済みの古い案件", days_ago=40)
    for status in (CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED):
        services.case_transition(actor=secretariat, case_id=finished.pk, to_status=status)
    y_sec = make_staff("yamagata_pref", StaffRole.SECRETARIAT)
    other_region = make_case(y_sec, orgs["yamagata_pref"], "山形の期限超過案件", days_ago=60)
    return {
        "escalated": Case.objects.get(pk=escalated.pk),
        "escalated_old": Case.objects.get(pk=escalated_old.pk),
        "overdue_lab": overdue_lab,
        "overdue_pref": overdue_pref,
        "fresh": fresh,
        "finished": finished,
        "other_region": other_region,
    }


# --- create / update -------------------------------------------------------------------------------------------


def test_meeting_create_names_every_bad_field(secretariat, orgs, chiba):
    with pytest.raises(ValidationFailed) as caught:
        meetings.meeting_create(
            actor=secretariat,
            region_id=chiba.pk,
            kind="weekly",
            title="   ",
            held_on="来週",
            organizer_id=orgs["yamagata_center"].pk,
        )
    assert fields_of(caught.value) == {"kind", "title", "held_on", "organizer_id"}
    messages = " ".join(e.message for e in caught.value.errors)
    assert "会議名を入力してください" in messages and "千葉県の機関から選んでください" in messages
    assert not Meeting.objects.exists()


def test_meeting_create_accepts_wareki_and_checks_who(secretariat, lab, make_staff, orgs, chiba):
    meeting = meetings.meeting_create(
        actor=secretariat,
        region_id=chiba.pk,
        kind=MeetingKind.SUPPORT,
        title="連携支援会議",
        held_on="令和7年6月10日",
        organizer_id=orgs["chiba_pref"].pk,
    )
    assert meeting.held_on == HELD_ON and meeting.created_by == secretariat
    # a writer organizes for their own body, not for another one
    assert make_meeting(lab, orgs, chiba, organizer="chiba_lab").organizer == orgs["chiba_lab"]
    with pytest.raises(PermissionDenied):
        make_meeting(lab, orgs, chiba, organizer="chiba_pref")
    with pytest.raises(PermissionDenied):
        make_meeting(
            make_staff("chiba_lab", StaffRole.VIEWER, username="viewer"), orgs, chiba, organizer="chiba_lab"
        )
    # a region the user has no body in does not exist for them
    with pytest.raises(NotFound):
        make_meeting(make_staff("yamagata_pref", StaffRole.SECRETARIAT), orgs, chiba)


def test_meeting_update_and_readers(secretariat, lab, make_staff, orgs, chiba):
    meeting = make_meeting(secretariat, orgs, chiba)
    updated = meetings.meeting_update(
        actor=secretariat,
        meeting_id=meeting.pk,
        minutes="  各機関から報告があった。\r\n次回は7月。 ",
        is_held=True,
    )
    assert updated.minutes == "各機関から報告があった。\n次回は7月。" and updated.is_held
    with pytest.raises(ValidationFailed) as caught:
        meetings.meeting_update(actor=secretariat, meeting_id=meeting.pk, held_on="2025-02-30")
    assert fields_of(caught.value) == {"held_on"}
    with pytest.raises(PermissionDenied):
        meetings.meeting_update(actor=lab, meeting_id=meeting.pk, minutes="書き換え")
    bank = make_staff("chiba_bank_a", StaffRole.VIEWER)
    assert meetings.meeting_detail(user=bank, meeting_id=meeting.pk).can_manage is False
    outsider = make_staff("yamagata_center", StaffRole.SECRETARIAT)
    with pytest.raises(NotFound):
        meetings.meeting_detail(user=outsider, meeting_id=meeting.pk)
    assert list(meetings.meeting_list(user=outsider)) == []


def test_meeting_list_by_fiscal_year(secretariat, orgs, chiba):
    for day in ("2024-04-01", "2025-03-31", "2025-04-01"):
        meetings.meeting_create(
            actor=secretariat,
            region_id=chiba.pk,
            kind=MeetingKind.REGULAR,
            title=f"定例会議 {day}",
            held_on=day,
            organizer_id=orgs["chiba_pref"].pk,
        )
    assert meetings.meeting_fiscal_years(user=secretariat) == [2025, 2024]
    fy2024 = meetings.meeting_list(user=secretariat, fiscal_year=2024)
    assert [m.held_on.isoformat() for m in fy2024] == ["2025-03-31", "2024-04-01"]
    assert fy2024[0].item_count == 0 and fy2024[0].open_actions == 0


# --- the agenda ------------------------------------------------------------------------------------------------


def test_agenda_build_takes_escalated_then_overdue_oldest_first(ledger, secretariat, orgs, chiba):
    meeting = make_meeting(secretariat, orgs, chiba)
    result = meetings.agenda_build(actor=secretariat, meeting_id=meeting.pk)
    items = list(meeting.items.order_by("position"))
    assert [(i.case_id, i.reason) for i in items] == [
        (ledger["escalated_old"].pk, "escalated"),
        (ledger["escalated"].pk, "escalated"),
        (ledger["overdue_lab"].pk, "overdue"),
        (ledger["overdue_pref"].pk, "overdue"),
    ]
    assert [i.position for i in items] == [1, 2, 3, 4]
    assert len(result.added) == 4 and result.already_listed == 0 and result.omitted == 0
    # each case's timeline says which meeting took it up
    event = CaseEvent.objects.get(case=ledger["overdue_lab"], kind=EventKind.MEETING)
    assert event.text.startswith(f"第3回 産学官連携推進定例会議（{to_wareki(HELD_ON)}）の議題に追加")
    assert event.actor == secretariat and event.data["meeting"] == meeting.pk
    for key in ("fresh", "finished", "other_region"):
        assert not AgendaItem.objects.filter(case=ledger[key]).exists()


def test_agenda_build_is_idempotent(ledger, secretariat, orgs, chiba):
    meeting = make_meeting(secretariat, orgs, chiba)
    meetings.agenda_build(actor=secretariat, meeting_id=meeting.pk)
    events = CaseEvent.objects.filter(kind=EventKind.MEETING).count()
    again = meetings.agenda_build(actor=secretariat, meeting_id=meeting.pk)
    assert again.added == [] and again.already_listed == 4
    assert meeting.items.count() == 4
    assert CaseEvent.objects.filter(kind=EventKind.MEETING).count() == events
    # a case that becomes due later is appended after the existing items
    late = make_case(secretariat, orgs["chiba_pref"], "あとから期限超過になった案件", days_ago=20)
    third = meetings.agenda_build(actor=secretariat, meeting_id=meeting.pk)
    assert [(i.case_id, i.position) for i in third.added] == [(late.pk, 5)]


def test_a_support_meeting_takes_only_its_own_step(ledger, secretariat, orgs, chiba):
    meeting = make_meeting(secretariat, orgs, chiba, kind=MeetingKind.SUPPORT)
    meetings.agenda_build(actor=secretariat, meeting_id=meeting.pk)
    rows = list(meeting.items.order_by("position").values_list("case_id", "reason"))
    # the case escalated to the 定例会議 step is not the 連携支援会議's, unless it is overdue
    assert (ledger["escalated"].pk, "escalated") not in rows
    assert ledger["escalated"].pk not in {c for c, _ in rows}
    assert (ledger["escalated_old"].pk, "overdue") in rows
    assert {r for _, r in rows} == {"overdue"}


def test_a_held_meeting_takes_no_more_items(ledger, secretariat, orgs, chiba):
    meeting = make_meeting(secretariat, orgs, chiba)
    meetings.meeting_update(actor=secretariat, meeting_id=meeting.pk, is_held=True)
    with pytest.raises(Conflict):
        meetings.agenda_build(actor=secretariat, meeting_id=meeting.pk)
    assert not meeting.items.exists()


def test_agenda_shows_a_case_only_to_who_may_see_it(ledger, secretariat, lab, make_staff, orgs, chiba):
    meeting = make_meeting(secretariat, orgs, chiba)
    meetings.agenda_build(actor=secretariat, meeting_id=meeting.pk)
    item = meeting.items.get(case=ledger["overdue_pref"])
    meetings.agenda_item_update(
        actor=secretariat, item_id=item.pk, discussion="産技研の設備で評価できるか確認する"
    )

    full = meetings.meeting_detail(user=secretariat, meeting_id=meeting.pk)
    assert all(r.visible for r in full.rows)
    row = next(r for r in full.rows if r.item.pk == item.pk)
    assert row.title == "窓口の期限超過案件" and row.discussion.startswith("産技研")
    assert row.lead_organization == orgs["chiba_pref"].name and row.sla_bucket == SlaBucket.VERY_LATE
    assert row.elapsed_days > row.target_days and row.elapsed.endswith(f"（初回対応の目標{row.target_days}）")

    seen = meetings.meeting_detail(user=lab, meeting_id=meeting.pk)
    by_case = {r.item.case_id: r for r in seen.rows}
    mine = by_case[ledger["overdue_lab"].pk]
    assert mine.visible and mine.title == "産技研の期限超過案件"
    hidden = by_case[ledger["overdue_pref"].pk]
    assert not hidden.visible
    assert hidden.title == "（閲覧権限のない案件）"
    assert hidden.receipt_number == ledger["overdue_pref"].receipt_number
    assert (hidden.discussion, hidden.category, hidden.lead_organization, hidden.reason) == ("", "", "", "")
    assert hidden.case_id is None and hidden.elapsed_days is None
    assert seen.case_choices == [(mine.case_id, f"{mine.receipt_number} {mine.title}")]

    bank = make_staff("chiba_bank_a", StaffRole.MEMBER)
    assert not any(r.visible for r in meetings.meeting_detail(user=bank, meeting_id=meeting.pk).rows)


def test_discussion_needs_sight_of_the_case(ledger, secretariat, lab, orgs, chiba):
    meeting = make_meeting(lab, orgs, chiba, organizer="chiba_lab")
    meetings.agenda_build(actor=lab, meeting_id=meeting.pk)
    own = meeting.items.get(case=ledger["overdue_lab"])
    other = meeting.items.get(case=ledger["overdue_pref"])
    meetings.agenda_item_update(actor=lab, item_id=own.pk, discussion="試験方法を検討する")
    event = CaseEvent.objects.filter(case=ledger["overdue_lab"], kind=EventKind.MEETING).last()
    assert event.text.endswith("で審議: 試験方法を検討する")
    with pytest.raises(PermissionDenied):
        meetings.agenda_item_update(actor=lab, item_id=other.pk, discussion="見えない案件")
    # an unchanged discussion writes no second event
    count = CaseEvent.objects.filter(case=ledger["overdue_lab"]).count()
    meetings.agenda_item_update(actor=lab, item_id=own.pk, discussion="試験方法を検討する")
    assert CaseEvent.objects.filter(case=ledger["overdue_lab"]).count() == count
    with pytest.raises(NotFound):
        meetings.agenda_item_update(actor=lab, item_id=own.pk, discussion="x", meeting_id=meeting.pk + 1000)


def test_free_agenda_item(secretariat, lab, orgs, chiba):
    meeting = make_meeting(secretariat, orgs, chiba)
    item = meetings.agenda_item_create(
        actor=secretariat, meeting_id=meeting.pk, title="連携支援計画の進捗報告"
    )
    assert (item.position, item.reason, item.case_id) == (1, "other", None)
    row = meetings.meeting_detail(user=lab, meeting_id=meeting.pk).rows[0]
    assert row.visible and row.title == "連携支援計画の進捗報告"
    with pytest.raises(ValidationFailed):
        meetings.agenda_item_create(actor=secretariat, meeting_id=meeting.pk, title="")


# --- action items ----------------------------------------------------------------------------------------------


def test_action_items_link_back_to_the_case(ledger, secretariat, lab, make_staff, orgs, chiba):
    meeting = make_meeting(secretariat, orgs, chiba)
    case = ledger["overdue_lab"]
    with pytest.raises(ValidationFailed) as caught:
        meetings.action_item_create(
            actor=secretariat,
            meeting_id=meeting.pk,
            case_id=ledger["other_region"].pk,
            description="",
            owner_organization_id=orgs["yamagata_center"].pk,
            due_on="明日",
        )
    assert fields_of(caught.value) == {"case_id", "description", "owner_organization_id", "due_on"}
    action = meetings.action_item_create(
        actor=secretariat,
        meeting_id=meeting.pk,
        case_id=case.pk,
        description="試験方法を検討して次回報告",
        owner_organization_id=orgs["chiba_lab"].pk,
        due_on="2025-07-31",
    )
    event = CaseEvent.objects.filter(case=case, kind=EventKind.MEETING).last()
    assert (
        "の対応事項: 試験方法を検討して次回報告（担当: 千葉県産業支援技術研究所、期限: 令和7年7月31日）"
        in event.text
    )

    with pytest.raises(PermissionDenied):
        meetings.action_item_complete(actor=make_staff("chiba_bank_a", StaffRole.MEMBER), action_id=action.pk)
    done = meetings.action_item_complete(actor=lab, action_id=action.pk, done_on="2025-07-20")
    assert done.done_on == dt.date(2025, 7, 20)
    assert CaseEvent.objects.filter(case=case, text__contains="の対応事項を完了: 試験方法を検討").exists()
    with pytest.raises(Conflict):
        meetings.action_item_complete(actor=secretariat, action_id=action.pk)
    assert ActionItem.objects.get(pk=action.pk).done_on == dt.date(2025, 7, 20)


def test_action_item_text_is_hidden_with_its_case(ledger, secretariat, make_staff, orgs, chiba):
    meeting = make_meeting(secretariat, orgs, chiba)
    meetings.action_item_create(
        actor=secretariat,
        meeting_id=meeting.pk,
        case_id=ledger["overdue_pref"].pk,
        description="A社に融資制度を紹介",
        owner_organization_id=orgs["chiba_pref"].pk,
    )
    bank = make_staff("chiba_bank_a", StaffRole.MEMBER)
    row = meetings.meeting_detail(user=bank, meeting_id=meeting.pk).actions[0]
    assert not row.visible and row.description == "（閲覧権限のない案件の対応事項）"
    assert row.case_id is None and row.can_complete is False
    assert meetings.meeting_detail(user=secretariat, meeting_id=meeting.pk).actions[0].can_complete


# --- exports ---------------------------------------------------------------------------------------------------


def test_agenda_xlsx_respects_visibility(ledger, secretariat, lab, orgs, chiba):
    meeting = make_meeting(secretariat, orgs, chiba)
    meetings.agenda_build(actor=secretariat, meeting_id=meeting.pk)
    for user, hidden in ((secretariat, 0), (lab, 3)):
        sheet = openpyxl.load_workbook(
            io.BytesIO(letters.agenda_xlsx(user=user, meeting_id=meeting.pk))
        ).active
        rows = list(sheet.iter_rows(values_only=True))
        assert (
            rows[0][:3] == ("番号", "受付番号", "件名")
            and "期限の状況" in rows[0]
            and "経過（営業日）" in rows[0]
        )
        assert [r[1] for r in rows[1:]] == [
            ledger[k].receipt_number for k in ("escalated_old", "escalated", "overdue_lab", "overdue_pref")
        ]
        assert sum(1 for r in rows[1:] if r[2] == "（閲覧権限のない案件）") == hidden
        titles = {r[2] for r in rows[1:]}
        assert ("窓口の期限超過案件" in titles) == (hidden == 0)
        assert "産技研の期限超過案件" in titles
    lab_rows = list(
        openpyxl.load_workbook(
            io.BytesIO(letters.agenda_xlsx(user=lab, meeting_id=meeting.pk))
        ).active.iter_rows(values_only=True)
    )
    hidden_row = next(r for r in lab_rows if r[1] == ledger["overdue_pref"].receipt_number)
    assert [v for v in hidden_row[3:] if v not in (None, "")] == []


def pdf_text(body: bytes) -> str:
    assert body.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(body))
    return "".join("".join(page.extract_text().split()) for page in reader.pages)


def test_agenda_pdf_is_the_meeting_order_and_respects_visibility(ledger, secretariat, lab, orgs, chiba):
    meeting = make_meeting(secretariat, orgs, chiba)
    meetings.agenda_build(actor=secretariat, meeting_id=meeting.pk)
    meetings.agenda_item_create(actor=secretariat, meeting_id=meeting.pk, title="連携支援計画の進捗報告")
    full = pdf_text(letters.agenda_pdf(user=secretariat, meeting_id=meeting.pk))
    for text in (
        "第3回産学官連携推進定例会議次第",
        "令和7年6月10日",
        "県庁本庁舎",
        "議題一覧",
        "連携支援計画の進捗報告",
    ):
        assert text in full
    for key in ("escalated_old", "escalated", "overdue_lab", "overdue_pref"):
        assert ledger[key].receipt_number in full
    assert "窓口の期限超過案件" in full and "大幅超過" in full and "受け付けたばかりの案件" not in full

    partial = pdf_text(letters.agenda_pdf(user=lab, meeting_id=meeting.pk))
    assert "産技研の期限超過案件" in partial
    assert "窓口の期限超過案件" not in partial and "新素材" not in partial
    assert "（閲覧権限のない案件）" in partial and ledger["overdue_pref"].receipt_number in partial


def test_agenda_build_stops_at_the_limit_and_continues_next_time(
    ledger, secretariat, orgs, chiba, monkeypatch
):
    monkeypatch.setattr(meetings, "AGENDA_LIMIT", 3)
    meeting = make_meeting(secretariat, orgs, chiba)
    first = meetings.agenda_build(actor=secretariat, meeting_id=meeting.pk)
    assert [i.case_id for i in first.added] == [
        ledger[k].pk for k in ("escalated_old", "escalated", "overdue_lab")
    ]
    assert (first.already_listed, first.omitted) == (0, 1)
    second = meetings.agenda_build(actor=secretariat, meeting_id=meeting.pk)
    assert [(i.case_id, i.position) for i in second.added] == [(ledger["overdue_pref"].pk, 4)]
    assert (second.already_listed, second.omitted) == (3, 0)
