"""Escalation ladders (Yamagata's 3 steps, Chiba's), hand back, assignment and notes through the services."""

from __future__ import annotations

import pytest

from renkei.cases import services
from renkei.cases.choices import CaseStatus, EventKind, NotificationKind
from renkei.cases.models import Case, CaseEvent, EscalationStep, Notification
from renkei.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renkei.network.choices import OrganizationKind, StaffRole
from renkei.network.models import Category

from .factories import OrganizationFactory


@pytest.fixture
def yamagata_people(case_config, orgs, make_staff, yamagata):
    univ = OrganizationFactory(name="山形大学", kind=OrganizationKind.ACADEMIA, region=yamagata)
    orgs["yamagata_univ"] = univ
    return {
        "center": make_staff("yamagata_center", StaffRole.MEMBER),
        "center_2": make_staff("yamagata_center", StaffRole.COORDINATOR),
        "pref": make_staff("yamagata_pref", StaffRole.COORDINATOR),
        "pref_viewer": make_staff("yamagata_pref", StaffRole.VIEWER),
        "univ": make_staff("yamagata_univ", StaffRole.MEMBER),
    }


@pytest.fixture
def steps(case_config):
    ladder = case_config["ladders"]["yamagata"]
    return {s.position: s for s in EscalationStep.objects.filter(ladder=ladder)}


def new_case(actor, **data) -> Case:
    return services.case_create(
        actor=actor, data={"text": "製品の不具合の原因を調べたい", "channel": "visit", **data}
    )


def moves(case) -> list[tuple]:
    return [
        (
            e.kind,
            e.data["from_step"],
            e.data["to_step"],
            e.data["from_organization"],
            e.data["to_organization"],
        )
        for e in CaseEvent.objects.filter(
            case=case, kind__in=[EventKind.ESCALATED, EventKind.HANDED_BACK]
        ).order_by("id")
    ]


def sees(user, case) -> bool:
    return Case.objects.visible_to(user).filter(pk=case.pk).exists()


# --- Yamagata's three steps -----------------------------------------------------------------------------------


def test_a_technical_case_climbs_all_three_steps_and_back(yamagata_people, orgs, steps):
    p = yamagata_people
    case = new_case(p["center"], category="technical")
    assert (case.step, case.lead_organization) == (steps[1], orgs["yamagata_center"])
    assert services.next_step(case) == steps[2] and services.previous_step(case) is None

    case = services.case_escalate(actor=p["center"], case_id=case.pk, reason="社内で解決できない")
    assert (case.step, case.lead_organization, case.assignee) == (steps[2], orgs["yamagata_pref"], None)
    assert not sees(p["center"], case)  # the lead moved on
    case = services.case_escalate(actor=p["pref"], case_id=case.pk, reason="高度な分析が必要")
    assert (case.step, case.lead_organization) == (steps[3], orgs["yamagata_center"])
    with pytest.raises(Conflict) as exc:
        services.case_escalate(actor=p["center"], case_id=case.pk, reason="さらに")
    assert "紹介・引継ぎ" in exc.value.message  # beyond the last step: outside the prefecture via a hand-off

    case = services.case_hand_back(actor=p["center"], case_id=case.pk, reason="基礎的な事項は総合支援で")
    assert (case.step, case.lead_organization) == (steps[2], orgs["yamagata_pref"])
    case = services.case_hand_back(actor=p["pref"], case_id=case.pk, reason="最初の機関で継続")
    assert (case.step, case.lead_organization) == (steps[1], orgs["yamagata_center"])
    with pytest.raises(Conflict):
        services.case_hand_back(actor=p["center"], case_id=case.pk, reason="もっと前へ")

    center, pref = orgs["yamagata_center"].pk, orgs["yamagata_pref"].pk
    assert moves(case) == [
        (EventKind.ESCALATED, steps[1].pk, steps[2].pk, center, pref),
        (EventKind.ESCALATED, steps[2].pk, steps[3].pk, pref, center),
        (EventKind.HANDED_BACK, steps[3].pk, steps[2].pk, center, pref),
        (EventKind.HANDED_BACK, steps[2].pk, steps[1].pk, pref, center),
    ]
    acting = list(
        CaseEvent.objects.filter(case=case, kind__in=[EventKind.ESCALATED, EventKind.HANDED_BACK])
        .order_by("id")
        .values_list("actor_organization_id", flat=True)
    )
    assert acting == [center, pref, center, pref]  # the body that acted, even after the lead moved away
    texts = list(CaseEvent.objects.filter(case=case, kind=EventKind.ESCALATED).values_list("text", flat=True))
    assert "理由: 社内で解決できない" in texts[0] and "Step 2" in texts[0]


def test_a_management_case_stops_at_step_two(yamagata_people, orgs, steps):
    p = yamagata_people
    case = new_case(p["center"], category="management")
    case = services.case_escalate(actor=p["center"], case_id=case.pk, reason="経営の相談")
    assert case.step == steps[2]
    assert services.next_step(case) is None
    with pytest.raises(Conflict):
        services.case_escalate(actor=p["pref"], case_id=case.pk, reason="技術センターへ")
    assert Case.objects.get(pk=case.pk).step == steps[2]


def test_an_unclassified_case_stops_at_step_two(yamagata_people, steps):
    case = new_case(yamagata_people["center"])
    case = services.case_escalate(actor=yamagata_people["center"], case_id=case.pk, reason="分類前")
    assert services.next_step(case) is None


def test_a_subcategory_of_research_reaches_step_three(yamagata_people, orgs, steps):
    Category.objects.create(
        code="research-joint", name="共同研究", parent=Category.objects.get(code="research")
    )
    p = yamagata_people
    case = new_case(p["center"], category="research-joint")
    services.case_escalate(actor=p["center"], case_id=case.pk, reason="1")
    case = services.case_escalate(actor=p["pref"], case_id=case.pk, reason="2")
    assert case.step == steps[3]


def test_step_one_without_owner_is_the_body_first_contacted(yamagata_people, orgs, steps):
    """A case received at the university, escalated to step 2 and handed back, returns to the university."""
    p = yamagata_people
    case = new_case(p["univ"], category="technical")
    assert case.received_by == orgs["yamagata_univ"] and case.step == steps[1]
    services.case_escalate(actor=p["univ"], case_id=case.pk, reason="大学では難しい")
    case = services.case_hand_back(actor=p["pref"], case_id=case.pk, reason="大学の研究室で対応可能")
    assert case.lead_organization == orgs["yamagata_univ"]


def test_hand_back_returns_to_the_lead_before_the_escalation(yamagata_people, orgs, steps):
    """Routed to the center at step 1, escalated by it: handing back goes to the center, not the first body."""
    p = yamagata_people
    case = new_case(p["univ"], category="technical")
    services.case_route(actor=p["univ"], case_id=case.pk, lead_organization_id=orgs["yamagata_center"].pk)
    services.case_escalate(actor=p["center"], case_id=case.pk, reason="上位へ")
    case = services.case_hand_back(actor=p["pref"], case_id=case.pk, reason="戻します")
    assert case.lead_organization == orgs["yamagata_center"]
    assert case.step == steps[1]


def test_escalation_notifies_the_new_lead(yamagata_people, orgs, steps):
    p = yamagata_people
    case = new_case(p["center"], category="technical")
    services.case_escalate(actor=p["center"], case_id=case.pk, reason="上位へ")
    notified = set(
        Notification.objects.filter(case=case, kind=NotificationKind.ESCALATED).values_list(
            "user_id", flat=True
        )
    )
    assert notified == {p["pref"].pk}  # writers of the new lead; not its viewer, not the actor's body


def test_escalation_needs_a_reason_and_an_open_case(yamagata_people, steps):
    p = yamagata_people
    case = new_case(p["center"], category="technical")
    for blank in ("", "  "):
        with pytest.raises(ValidationFailed) as exc:
            services.case_escalate(actor=p["center"], case_id=case.pk, reason=blank)
        assert list(exc.value.field_errors) == ["reason"]
        with pytest.raises(ValidationFailed):
            services.case_hand_back(actor=p["center"], case_id=case.pk, reason=blank)
    services.case_transition(actor=p["center"], case_id=case.pk, to_status=CaseStatus.IN_PROGRESS)
    services.case_transition(actor=p["center"], case_id=case.pk, to_status=CaseStatus.RESOLVED)
    with pytest.raises(Conflict) as exc:
        services.case_escalate(actor=p["center"], case_id=case.pk, reason="完了後")
    assert "再開" in exc.value.message
    assert Case.objects.get(pk=case.pk).step == steps[1]
    assert moves(case) == []


def test_a_region_without_a_ladder_cannot_escalate(case_config, make_staff, yamagata):
    from renkei.cases.models import EscalationLadder

    EscalationLadder.objects.filter(region=yamagata).update(is_default=False)
    staff = make_staff("yamagata_center", StaffRole.MEMBER)
    case = new_case(staff)
    assert case.ladder is None and case.step is None
    with pytest.raises(Conflict):
        services.case_escalate(actor=staff, case_id=case.pk, reason="上位へ")


def test_chibas_ladder_goes_to_the_meeting_then_tkf(case_config, orgs, make_staff):
    lab = make_staff("chiba_lab", StaffRole.MEMBER)
    pref = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    case = new_case(lab, category="management")
    assert case.step.name == "産業振興課の窓口"
    case = services.case_escalate(actor=lab, case_id=case.pk, reason="定例会議で検討")
    assert (case.step.name, case.step.meeting_kind, case.lead_organization) == (
        "産学官連携推進定例会議",
        "regular",
        orgs["chiba_pref"],
    )
    case = services.case_escalate(actor=pref, case_id=case.pk, reason="TKFへ")
    assert (case.step.name, case.lead_organization) == ("TKF", orgs["chiba_lab"])


def test_escalation_never_hands_a_bank_case_to_another_bank(case_config, orgs, make_staff, chiba):
    ladder = case_config["ladders"]["chiba"]
    EscalationStep.objects.filter(ladder=ladder, position=2).update(owner_organization=orgs["chiba_bank_b"])
    banker = make_staff("chiba_bank_a", StaffRole.MEMBER)
    case = new_case(banker)
    with pytest.raises(PermissionDenied):
        services.case_escalate(actor=banker, case_id=case.pk, reason="上位へ")
    assert Case.objects.get(pk=case.pk).lead_organization == orgs["chiba_bank_a"]
    assert (
        not Case.objects.visible_to(make_staff("chiba_bank_b", StaffRole.MEMBER)).filter(pk=case.pk).exists()
    )


# --- assignment -------------------------------------------------------------------------------------------------


def test_assign_and_unassign(case_config, orgs, make_staff):
    lab = make_staff("chiba_lab", StaffRole.COORDINATOR)
    colleague = make_staff("chiba_lab", StaffRole.MEMBER)
    case = new_case(lab)
    case = services.case_assign(actor=lab, case_id=case.pk, assignee_id=colleague.pk)
    assert case.assignee == colleague
    assert list(Notification.objects.filter(case=case).values_list("user_id", "kind")) == [
        (colleague.pk, NotificationKind.ASSIGNED)
    ]
    services.case_assign(actor=lab, case_id=case.pk, assignee_id=lab.pk)  # oneself: no notification
    case = services.case_assign(actor=lab, case_id=case.pk, assignee_id=None)
    assert case.assignee is None
    texts = list(
        CaseEvent.objects.filter(case=case, kind=EventKind.ASSIGNED)
        .order_by("id")
        .values_list("text", flat=True)
    )
    assert texts == [f"担当者: {colleague.username}", f"担当者: {lab.username}", "担当者: （なし）"]
    assert Notification.objects.filter(case=case).count() == 1


def test_the_assignee_must_write_for_the_lead(case_config, orgs, make_staff):
    lab = make_staff("chiba_lab", StaffRole.MEMBER)
    for user in (make_staff("chiba_lab", StaffRole.VIEWER), make_staff("chiba_pref", StaffRole.SECRETARIAT)):
        case = new_case(lab)
        with pytest.raises(ValidationFailed) as exc:
            services.case_assign(actor=lab, case_id=case.pk, assignee_id=user.pk)
        assert list(exc.value.field_errors) == ["assignee_id"]
        assert Case.objects.get(pk=case.pk).assignee is None


# --- notes and corrections ----------------------------------------------------------------------------------------


def test_notes_and_corrections_are_new_events(case_config, orgs, make_staff):
    lab = make_staff("chiba_lab", StaffRole.MEMBER)
    case = new_case(lab)
    note = services.case_note(actor=lab, case_id=case.pk, text="  企業に電話した  ")
    assert (note.kind, note.text, note.actor, note.actor_organization) == (
        EventKind.NOTE,
        "企業に電話した",
        lab,
        orgs["chiba_lab"],
    )
    fix = services.case_note(actor=lab, case_id=case.pk, text="電話ではなく訪問", correction_of=note.pk)
    assert fix.kind == EventKind.CORRECTION and fix.data["correction_of"] == note.pk
    assert CaseEvent.objects.get(pk=note.pk).text == "企業に電話した"  # the original stays


def test_a_note_must_say_something_and_correct_an_event_of_the_same_case(case_config, make_staff):
    lab = make_staff("chiba_lab", StaffRole.MEMBER)
    case, other = new_case(lab), new_case(lab)
    foreign = CaseEvent.objects.filter(case=other).first()
    events = CaseEvent.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.case_note(actor=lab, case_id=case.pk, text=" \n ")
    assert exc.value.field_errors == {"text": ["メモを入力してください。"]}
    with pytest.raises(ValidationFailed) as exc:
        services.case_note(actor=lab, case_id=case.pk, text="あ" * 10_001)
    assert list(exc.value.field_errors) == ["text"]
    with pytest.raises(ValidationFailed) as exc:
        services.case_note(actor=lab, case_id=case.pk, text="訂正", correction_of=foreign.pk)
    assert list(exc.value.field_errors) == ["correction_of"]
    assert CaseEvent.objects.count() == events


def test_a_case_that_does_not_exist_is_not_found(case_config, make_staff, superuser):
    lab = make_staff("chiba_lab", StaffRole.MEMBER)
    for actor in (lab, superuser):
        with pytest.raises(NotFound):
            services.case_transition(actor=actor, case_id=999_999, to_status=CaseStatus.IN_PROGRESS)
        with pytest.raises(NotFound):
            services.case_note(actor=actor, case_id=999_999, text="メモ")
