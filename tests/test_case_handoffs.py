"""Hand-offs (紹介・引継ぎ): their state machine (every pair), consent outside the region, duplicates, reasons,
sight of the receiving body, notifications, the reply deadline in business days, and the bank rule."""

from __future__ import annotations

import datetime as dt
from itertools import product
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from renkei.cases import handoffs, services
from renkei.cases.choices import ConsentScope, EventKind, HandoffState, NotificationKind
from renkei.cases.models import Case, CaseEvent, CaseSettings, Handoff, Notification
from renkei.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renkei.network.choices import OrganizationKind, StaffRole

from .factories import CompanyFactory, MembershipFactory, OrganizationFactory, UserFactory

H = HandoffState
JST = ZoneInfo("Asia/Tokyo")

# The hand-off workflow (issue 3 §5): requested → accepted / declined; accepted → replied → closed; a request may
# also be withdrawn (requested → closed). Declined and closed are final.
ALLOWED = {
    H.REQUESTED: {"accept", "decline", "close"},
    H.ACCEPTED: {"reply", "close"},
    H.REPLIED: {"close"},
    H.DECLINED: set(),
    H.CLOSED: set(),
}
TARGET = {"accept": H.ACCEPTED, "decline": H.DECLINED, "reply": H.REPLIED, "close": H.CLOSED}
PATHS = {
    H.REQUESTED: [],
    H.ACCEPTED: ["accept"],
    H.DECLINED: ["decline"],
    H.REPLIED: ["accept", "reply"],
    H.CLOSED: ["accept", "close"],
}


class FrozenNow:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.moment = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.moment)

    def set(self, day: dt.date, hour: int = 10) -> None:
        self.moment = dt.datetime.combine(day, dt.time(hour), tzinfo=JST).astimezone(dt.UTC)


@pytest.fixture
def clock(monkeypatch):
    frozen = FrozenNow(monkeypatch)
    frozen.set(dt.date(2025, 6, 2))
    return frozen


@pytest.fixture
def people(case_config, orgs, make_staff, superuser):
    support = OrganizationFactory(
        name="千葉県産業振興センター", kind=OrganizationKind.SUPPORT, region=orgs["chiba_lab"].region
    )
    orgs["chiba_support"] = support
    return {
        "lab": make_staff("chiba_lab", StaffRole.MEMBER),
        "lab_viewer": make_staff("chiba_lab", StaffRole.VIEWER),
        "pref_secretariat": make_staff("chiba_pref", StaffRole.SECRETARIAT),
        "support": make_staff("chiba_support", StaffRole.COORDINATOR),
        "support_2": make_staff("chiba_support", StaffRole.MEMBER),
        "support_viewer": make_staff("chiba_support", StaffRole.VIEWER),
        "center": make_staff("yamagata_center", StaffRole.MEMBER),
        "bank_a": make_staff("chiba_bank_a", StaffRole.MEMBER),
        "bank_b": make_staff("chiba_bank_b", StaffRole.MEMBER),
        "root": superuser,
    }


def new_case(actor, **data) -> Case:
    return services.case_create(
        actor=actor, data={"text": "新素材の評価をしたい", "channel": "visit", **data}
    )


def request(actor, case, org, scope=ConsentScope.DETAIL, **kw) -> Handoff:
    return handoffs.handoff_request(
        actor=actor,
        case_id=case.pk,
        to_organization_id=org.pk,
        reason="評価設備があるため",
        consent_scope=scope,
        **kw,
    )


def act(actor, handoff, action) -> Handoff:
    if action == "close":
        return handoffs.handoff_close(actor=actor, handoff_id=handoff.pk, note="終了します")
    return handoffs.handoff_respond(actor=actor, handoff_id=handoff.pk, action=action, text="対応内容")


def sees(user, case) -> bool:
    return Case.objects.visible_to(user).filter(pk=case.pk).exists()


# --- the state machine -----------------------------------------------------------------------------------------

PAIRS = list(product(list(ALLOWED), ["accept", "decline", "reply", "close"]))


@pytest.mark.parametrize(("state", "action"), PAIRS, ids=[f"{s}-{a}" for s, a in PAIRS])
def test_every_state_and_action(people, orgs, clock, state, action):
    case = new_case(people["lab"])
    handoff = request(people["lab"], case, orgs["chiba_support"])
    for step in PATHS[state]:
        handoff = act(people["support"], handoff, step)
    assert Handoff.objects.get(pk=handoff.pk).state == state
    events = CaseEvent.objects.filter(case=case).count()
    # The superuser sees every case and may answer for anyone: only the workflow can refuse.
    if action not in ALLOWED[state]:
        with pytest.raises(Conflict) as exc:
            act(people["root"], handoff, action)
        assert list(exc.value.field_errors) == ["state"]
        assert Handoff.objects.get(pk=handoff.pk).state == state
        assert CaseEvent.objects.filter(case=case).count() == events
        return
    moved = act(people["root"], handoff, action)
    assert moved.state == TARGET[action] == Handoff.objects.get(pk=handoff.pk).state
    new = list(CaseEvent.objects.filter(case=case).order_by("id"))[events:]
    assert len(new) == 1 and new[0].kind == EventKind.HANDOFF and new[0].handoff_id == handoff.pk
    assert new[0].data["action"] == ("closed" if action == "close" else TARGET[action])


def test_the_dates_of_each_step(people, orgs, clock):
    case = new_case(people["lab"])
    clock.set(dt.date(2025, 6, 3))
    h = request(people["lab"], case, orgs["chiba_support"])
    assert timezone.localtime(h.requested_at).date() == dt.date(2025, 6, 3)
    clock.set(dt.date(2025, 6, 4))
    h = act(people["support"], h, "accept")
    clock.set(dt.date(2025, 6, 6))
    h = handoffs.handoff_respond(
        actor=people["support"], handoff_id=h.pk, action="reply", text="試験できます"
    )
    clock.set(dt.date(2025, 6, 9))
    h = handoffs.handoff_close(actor=people["lab"], handoff_id=h.pk)
    h.refresh_from_db()
    assert [timezone.localtime(t).date() for t in (h.responded_at, h.replied_at, h.closed_at)] == [
        dt.date(2025, 6, 4),
        dt.date(2025, 6, 6),
        dt.date(2025, 6, 9),
    ]
    assert h.reply == "試験できます" and h.response_note == "対応内容"
    assert h.from_organization == orgs["chiba_lab"] and h.requested_by == people["lab"]


# --- answers need words ---------------------------------------------------------------------------------------


def test_declining_needs_a_reason_and_replying_an_answer(people, orgs, clock):
    case = new_case(people["lab"])
    h = request(people["lab"], case, orgs["chiba_support"])
    for blank in ("", "  ", "\n"):
        with pytest.raises(ValidationFailed) as exc:
            handoffs.handoff_respond(actor=people["support"], handoff_id=h.pk, action="decline", text=blank)
        assert exc.value.field_errors == {"text": ["辞退の理由を入力してください。"]}
    act(people["support"], h, "accept")
    with pytest.raises(ValidationFailed) as exc:
        handoffs.handoff_respond(actor=people["support"], handoff_id=h.pk, action="reply", text=" ")
    assert exc.value.field_errors == {"text": ["回答内容を入力してください。"]}
    with pytest.raises(ValidationFailed) as exc:
        handoffs.handoff_respond(actor=people["support"], handoff_id=h.pk, action="approve")
    assert list(exc.value.field_errors) == ["action"]
    assert Handoff.objects.get(pk=h.pk).state == H.ACCEPTED


def test_a_request_names_every_problem_at_once(people, orgs, clock):
    case = new_case(people["lab"])
    with pytest.raises(ValidationFailed) as exc:
        handoffs.handoff_request(
            actor=people["lab"], case_id=case.pk, to_organization_id=987654, reason=" ", consent_scope="all"
        )
    assert set(exc.value.field_errors) == {"reason", "consent_scope", "to_organization_id"}
    assert not Handoff.objects.exists()


def test_no_hand_off_to_the_lead_itself(people, orgs, clock):
    case = new_case(people["lab"])
    with pytest.raises(ValidationFailed) as exc:
        request(people["lab"], case, orgs["chiba_lab"])
    assert exc.value.field_errors == {"to_organization_id": ["主担当機関自身には紹介できません。"]}


def test_one_live_hand_off_per_receiver(people, orgs, clock):
    case = new_case(people["lab"])
    first = request(people["lab"], case, orgs["chiba_support"])
    for step in ([], ["accept"], ["reply"]):
        for action in step:
            first = act(people["support"], first, action)
        with pytest.raises(ValidationFailed) as exc:
            request(people["lab"], case, orgs["chiba_support"])
        assert "依頼中・対応中の紹介があります" in exc.value.field_errors["to_organization_id"][0]
    act(people["support"], first, "close")
    again = request(people["lab"], case, orgs["chiba_support"])  # once closed, a new request is fine
    assert again.state == H.REQUESTED
    declined = request(people["lab"], case, orgs["chiba_pref"])
    act(people["pref_secretariat"], declined, "decline")
    assert request(people["lab"], case, orgs["chiba_pref"]).state == H.REQUESTED
    assert Handoff.objects.filter(case=case).count() == 4


# --- consent outside the region ---------------------------------------------------------------------------------


def test_outside_the_region_needs_the_companys_consent(people, orgs, clock):
    case = new_case(people["lab"])
    with pytest.raises(PermissionDenied) as exc:
        request(people["lab"], case, orgs["yamagata_center"])
    assert "企業の同意" in exc.value.message
    assert list(exc.value.field_errors) == ["consent_scope"]
    assert not Handoff.objects.exists()
    assert not sees(people["center"], case)


def test_consent_given_on_the_case(people, orgs, clock):
    case = new_case(people["lab"], consent_outside_region="はい")
    assert handoffs.outside_consent(case)
    h = request(people["lab"], case, orgs["yamagata_center"], scope=ConsentScope.SUMMARY)
    assert h.is_external
    assert sees(people["center"], case)


def test_consent_given_by_the_company(people, orgs, clock):
    company = CompanyFactory(owner_organization=orgs["chiba_lab"], consent_share_outside=True)
    case = new_case(people["lab"], company_id=company.pk)
    h = request(people["lab"], case, orgs["yamagata_center"])
    assert h.is_external
    # Consent recorded on the company later counts too (the case itself says no).
    other_company = CompanyFactory(owner_organization=orgs["chiba_lab"], consent_share_outside=False)
    other = new_case(people["lab"], company_id=other_company.pk)
    assert not handoffs.outside_consent(other)
    type(other_company).objects.filter(pk=other_company.pk).update(consent_share_outside=True)
    assert request(people["lab"], other, orgs["yamagata_center"]).is_external


def test_within_the_region_no_consent_is_needed(people, orgs, clock):
    case = new_case(people["lab"])
    assert not request(people["lab"], case, orgs["chiba_support"]).is_external


# --- sight of the receiving body ---------------------------------------------------------------------------------


def test_the_receiver_sees_while_live_and_loses_sight_when_closed(people, orgs, clock):
    case = new_case(people["lab"])
    assert not sees(people["support"], case)
    h = request(people["lab"], case, orgs["chiba_support"])
    assert sees(people["support"], case) and sees(people["support_viewer"], case)
    act(people["support"], h, "accept")
    assert sees(people["support"], case)
    handoffs.handoff_respond(actor=people["support"], handoff_id=h.pk, action="reply", text="回答")
    assert sees(people["support"], case)
    handoffs.handoff_close(actor=people["lab"], handoff_id=h.pk)
    assert not sees(people["support"], case) and not sees(people["support_viewer"], case)
    with pytest.raises(NotFound):
        services.case_note(actor=people["support"], case_id=case.pk, text="まだ見えますか")
    with pytest.raises(NotFound):
        handoffs.handoff_close(actor=people["support"], handoff_id=h.pk)


def test_declining_removes_sight(people, orgs, clock):
    case = new_case(people["lab"])
    h = request(people["lab"], case, orgs["chiba_support"])
    act(people["support"], h, "decline")
    assert not sees(people["support"], case)


def test_who_may_answer_and_close(people, orgs, clock):
    case = new_case(people["lab"])
    h = request(people["lab"], case, orgs["chiba_support"])
    for user in (people["lab"], people["pref_secretariat"], people["support_viewer"]):
        with pytest.raises(PermissionDenied):
            act(user, h, "accept")
    with pytest.raises(NotFound):  # a body that does not see the case is told nothing
        act(people["center"], h, "accept")
    with pytest.raises(PermissionDenied):
        act(people["support_viewer"], h, "close")
    act(people["support_2"], h, "accept")  # any writer of the receiving body
    act(people["pref_secretariat"], h, "close")  # the region's secretariat manages the case


def test_receivers_may_note_but_not_manage(people, orgs, clock):
    case = new_case(people["lab"])
    request(people["lab"], case, orgs["chiba_support"])
    note = services.case_note(actor=people["support"], case_id=case.pk, text="試験日程を調整中")
    assert note.actor_organization == orgs["chiba_support"]
    with pytest.raises(PermissionDenied):
        services.case_note(actor=people["support_viewer"], case_id=case.pk, text="閲覧者のメモ")
    with pytest.raises(PermissionDenied):
        services.case_transition(actor=people["support"], case_id=case.pk, to_status="in_progress")
    with pytest.raises(PermissionDenied):
        request(people["support"], case, orgs["chiba_pref"])


# --- notifications ---------------------------------------------------------------------------------------------


def test_a_request_notifies_the_receiving_bodys_writers(people, orgs, clock):
    former = UserFactory(username="former-support")
    MembershipFactory(
        user=former, organization=orgs["chiba_support"], role=StaffRole.MEMBER, ended_on=dt.date(2020, 3, 31)
    )
    case = new_case(people["lab"])
    request(people["lab"], case, orgs["chiba_support"])
    notified = set(Notification.objects.filter(case=case).values_list("user_id", "kind"))
    assert notified == {
        (people["support"].pk, NotificationKind.HANDOFF_REQUESTED),
        (people["support_2"].pk, NotificationKind.HANDOFF_REQUESTED),
    }


def test_a_request_to_a_named_person_notifies_only_them(people, orgs, clock):
    case = new_case(people["lab"])
    h = request(people["lab"], case, orgs["chiba_support"], to_user_id=people["support_2"].pk)
    assert h.to_user == people["support_2"]
    assert list(Notification.objects.filter(case=case).values_list("user_id", flat=True)) == [
        people["support_2"].pk
    ]


def test_the_named_person_must_belong_to_the_receiver(people, orgs, clock):
    case = new_case(people["lab"])
    with pytest.raises(ValidationFailed) as exc:
        request(people["lab"], case, orgs["chiba_support"], to_user_id=people["bank_a"].pk)
    assert list(exc.value.field_errors) == ["to_user_id"]


def test_the_named_person_must_still_be_in_office(people, orgs, clock):
    former = UserFactory(username="former-support")
    MembershipFactory(
        user=former, organization=orgs["chiba_support"], role=StaffRole.MEMBER, ended_on=dt.date(2020, 3, 31)
    )
    case = new_case(people["lab"])
    with pytest.raises(ValidationFailed):
        request(people["lab"], case, orgs["chiba_support"], to_user_id=former.pk)


def test_answers_notify_the_requester(people, orgs, clock):
    case = new_case(people["lab"])
    h = request(people["lab"], case, orgs["chiba_support"])
    Notification.objects.all().delete()
    act(people["support"], h, "accept")
    handoffs.handoff_respond(actor=people["support_2"], handoff_id=h.pk, action="reply", text="回答します")
    assert list(Notification.objects.filter(case=case).order_by("id").values_list("user_id", "kind")) == [
        (people["lab"].pk, NotificationKind.HANDOFF_ACCEPTED),
        (people["lab"].pk, NotificationKind.HANDOFF_REPLIED),
    ]
    other = request(people["lab"], new_case(people["lab"]), orgs["chiba_pref"])
    act(people["pref_secretariat"], other, "decline")
    assert (
        Notification.objects.filter(user=people["lab"], kind=NotificationKind.HANDOFF_DECLINED).count() == 1
    )


# --- the reply deadline ----------------------------------------------------------------------------------------


def test_the_reply_is_due_in_business_days(people, orgs, clock, chiba):
    """Requested Fri 2025-12-26; 5 business days skip 12/27–1/4 (土日 and 年末年始): due Fri 2026-01-09."""
    clock.set(dt.date(2025, 12, 26))
    case = new_case(people["lab"])
    h = request(people["lab"], case, orgs["chiba_support"])
    assert h.due_on == dt.date(2026, 1, 9)
    clock.set(dt.date(2026, 1, 9))
    assert not handoffs.handoff_overdue(h)
    clock.set(dt.date(2026, 1, 10))
    assert handoffs.handoff_overdue(h)
    h = act(people["support"], h, "accept")
    assert not handoffs.handoff_overdue(h)  # answered: no longer waiting for the receiver
    CaseSettings.objects.filter(region=chiba).update(handoff_reply_days=1)
    clock.set(dt.date(2026, 1, 9))
    assert request(people["lab"], case, orgs["chiba_pref"]).due_on == dt.date(2026, 1, 13)  # 1/12 成人の日


# --- banks ------------------------------------------------------------------------------------------------------


def test_a_banks_customer_is_never_handed_to_another_bank(people, orgs, clock):
    case = services.case_create(actor=people["bank_a"], data={"text": "取引先の技術相談", "channel": "bank"})
    with pytest.raises(PermissionDenied) as exc:
        request(people["bank_a"], case, orgs["chiba_bank_b"])
    assert "金融機関" in exc.value.message
    assert not sees(people["bank_b"], case)
    # Routed to the lab, the lab may involve the bank that received it, but still not the other bank.
    services.case_route(actor=people["bank_a"], case_id=case.pk, lead_organization_id=orgs["chiba_lab"].pk)
    assert not sees(people["bank_a"], case)
    back = request(people["lab"], case, orgs["chiba_bank_a"])
    assert sees(people["bank_a"], case)
    with pytest.raises(PermissionDenied):
        request(people["lab"], case, orgs["chiba_bank_b"])
    assert not sees(people["bank_b"], case)
    assert Handoff.objects.filter(case=case).get() == back


def test_a_non_bank_case_may_go_to_a_bank(people, orgs, clock):
    case = new_case(people["lab"])
    request(people["lab"], case, orgs["chiba_bank_a"], scope=ConsentScope.SUMMARY)
    request(people["lab"], case, orgs["chiba_bank_b"], scope=ConsentScope.SUMMARY)
    assert sees(people["bank_a"], case) and sees(people["bank_b"], case)
