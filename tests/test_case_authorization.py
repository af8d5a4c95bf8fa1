"""The authorization matrix of the case ledger: every kind of user × every operation on a case.

The expected outcome is computed from the rule written out here, independently of ``renkei.cases.policies``
(decision 0012):

- a user *sees* a case if they are a superuser, in the secretariat of its region, on the staff (any role) of its
  lead organization, or on the staff of an organization with a live hand-off (requested / accepted / replied);
  a bank never sees a case another bank received;
- what a hand-off receiver *reads* is the hand-off's consent scope; everyone else who sees the case reads all;
- *managing* (status, classification, routing, assignment, escalation, hand back, requesting a hand-off) is for
  the region's secretariat and writers (secretariat / coordinator / member) of the lead organization;
- *notes*: managers and writers of a receiving organization; *answering* a hand-off: writers of its receiver;
  *closing* it: managers and writers of its receiver;
- a user who may not see the case is told it does not exist (NotFound), never that they may not (PermissionDenied).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from renkei.cases import handoffs, selectors, services
from renkei.cases.choices import CaseStatus, ConsentScope
from renkei.cases.models import Case, CaseAccessLog, EscalationStep, Handoff
from renkei.core.errors import NotFound, PermissionDenied
from renkei.network.choices import OrganizationKind, StaffRole

from .factories import MembershipFactory, OrganizationFactory, UserFactory

R = StaffRole
WRITERS = {R.SECRETARIAT, R.COORDINATOR, R.MEMBER}
RECEIVERS = {
    "recv_summary": ConsentScope.SUMMARY,
    "recv_detail": ConsentScope.DETAIL,
    "recv_contacts": ConsentScope.CONTACTS,
}


@dataclass(frozen=True)
class Actor:
    """Who: an organization key and a role (None for the superuser and the anonymous user)."""

    org: str | None
    role: str | None
    superuser: bool = False
    former: bool = False
    anonymous: bool = False


ACTORS: dict[str, Actor] = {
    "superuser": Actor(None, None, superuser=True),
    "anonymous": Actor(None, None, anonymous=True),
    "region secretariat": Actor("chiba_pref", R.SECRETARIAT),
    "window member": Actor("chiba_pref", R.MEMBER),
    "window viewer": Actor("chiba_pref", R.VIEWER),
    "lead secretariat": Actor("chiba_lab", R.SECRETARIAT),
    "lead coordinator": Actor("chiba_lab", R.COORDINATOR),
    "lead member": Actor("chiba_lab", R.MEMBER),
    "lead viewer": Actor("chiba_lab", R.VIEWER),
    "lead former coordinator": Actor("chiba_lab", R.COORDINATOR, former=True),
    "same-region body coordinator": Actor("chiba_univ", R.COORDINATOR),
    "same-region body member": Actor("chiba_univ", R.MEMBER),
    "same-region body viewer": Actor("chiba_univ", R.VIEWER),
    "bank A coordinator": Actor("chiba_bank_a", R.COORDINATOR),
    "bank B member": Actor("chiba_bank_b", R.MEMBER),
    "other region secretariat": Actor("yamagata_pref", R.SECRETARIAT),
    "other region member": Actor("yamagata_center", R.MEMBER),
    "receiver (summary) member": Actor("recv_summary", R.MEMBER),
    "receiver (summary) viewer": Actor("recv_summary", R.VIEWER),
    "receiver (detail) coordinator": Actor("recv_detail", R.COORDINATOR),
    "receiver (detail) viewer": Actor("recv_detail", R.VIEWER),
    "receiver (contacts) member": Actor("recv_contacts", R.MEMBER),
    "receiver (contacts) secretariat": Actor("recv_contacts", R.SECRETARIAT),
}

OPERATIONS = [
    "detail",
    "transition",
    "classify",
    "route",
    "assign",
    "note",
    "escalate",
    "hand back",
    "handoff request",
    "handoff respond",
    "handoff close",
]
MANAGE_OPS = {"transition", "classify", "route", "assign", "escalate", "hand back", "handoff request"}


# --- the rule, written out -----------------------------------------------------------------------------------


def in_office(a: Actor) -> bool:
    return not (a.former or a.anonymous) and a.org is not None


def expected(a: Actor, op: str) -> str:
    """'ok' / 'denied' / 'not found' (for 'detail': the consent scope read, or 'not found')."""
    if a.superuser:
        return ConsentScope.CONTACTS if op == "detail" else "ok"
    if not in_office(a):
        return "not found"
    # Every secretariat role of a Chiba body is the region's secretariat (the lead's too; see bank tests for banks).
    secretariat = a.role == R.SECRETARIAT and a.org in {"chiba_pref", "chiba_lab", "chiba_univ", *RECEIVERS}
    lead = a.org == "chiba_lab"
    receiver = a.org in RECEIVERS
    writer = a.role in WRITERS
    if not (secretariat or lead or receiver):
        return "not found"
    manager = secretariat or (lead and writer)
    if op == "detail":
        return ConsentScope.CONTACTS if (secretariat or lead) else RECEIVERS[a.org]
    if op in MANAGE_OPS:
        allowed = manager
    elif op == "note":
        allowed = manager or (receiver and writer)
    elif op == "handoff respond":  # the hand-off to recv_summary
        allowed = a.org == "recv_summary" and writer
    elif op == "handoff close":
        allowed = manager or (a.org == "recv_summary" and writer)
    else:
        raise AssertionError(op)
    return "ok" if allowed else "denied"


# --- the world -------------------------------------------------------------------------------------------------


@pytest.fixture
def world(case_config, orgs, chiba):
    for key in ("chiba_univ", *RECEIVERS):
        kind = OrganizationKind.ACADEMIA if key == "chiba_univ" else OrganizationKind.SUPPORT
        orgs[key] = OrganizationFactory(name=key, kind=kind, region=chiba)
    lab_member = UserFactory(username="lab-staff")
    MembershipFactory(user=lab_member, organization=orgs["chiba_lab"], role=R.MEMBER)
    case = services.case_create(
        actor=lab_member,
        data={
            "text": "試作品の耐久試験をしたい（機密）",
            "summary": "耐久試験の相談",
            "channel": "visit",
            "company_name": "株式会社機密",
            "email": "secret@example.jp",
        },
    )
    handoff_ids = {
        key: handoffs.handoff_request(
            actor=lab_member,
            case_id=case.pk,
            to_organization_id=orgs[key].pk,
            reason="評価の協力",
            consent_scope=scope,
        ).pk
        for key, scope in RECEIVERS.items()
    }
    # At step 2 of Chiba's ladder, so that both escalation and hand back are possible.
    Case.objects.filter(pk=case.pk).update(
        step=EscalationStep.objects.get(ladder=case_config["ladders"]["chiba"], position=2)
    )
    return {
        "case": Case.objects.get(pk=case.pk),
        "lab_member": lab_member,
        "handoffs": handoff_ids,
        "orgs": orgs,
    }


def make_actor(name: str, a: Actor, orgs):
    if a.anonymous:
        return AnonymousUser()
    user = UserFactory(username=f"actor-{name}")
    if a.superuser:
        user.is_superuser = True
        user.save()
        return user
    ended = dt.date.today() - dt.timedelta(days=1) if a.former else None
    MembershipFactory(user=user, organization=orgs[a.org], role=a.role, ended_on=ended)
    return user


class _Undo(Exception):
    pass


def attempt(fn, *, answer=None) -> str:
    """Run ``fn`` and undo whatever it wrote; say how it ended ('ok', or ``answer(result)`` when given)."""
    result = "ok"
    try:
        with transaction.atomic():
            value = fn()
            if answer is not None:
                result = answer(value)
            raise _Undo
    except _Undo:
        return result
    except NotFound:
        return "not found"
    except PermissionDenied:
        return "denied"


def run(op: str, user, world) -> str:
    case, orgs, h = world["case"], world["orgs"], world["handoffs"]
    if op == "detail":
        return attempt(
            lambda: selectors.case_detail(user=user, case_id=case.pk), answer=lambda view: view.scope
        )
    calls = {
        "transition": lambda: services.case_transition(
            actor=user, case_id=case.pk, to_status=CaseStatus.IN_PROGRESS
        ),
        "classify": lambda: services.case_classify(actor=user, case_id=case.pk, category="technical"),
        "route": lambda: services.case_route(
            actor=user, case_id=case.pk, lead_organization_id=orgs["chiba_lab"].pk
        ),
        "assign": lambda: services.case_assign(
            actor=user, case_id=case.pk, assignee_id=world["lab_member"].pk
        ),
        "note": lambda: services.case_note(actor=user, case_id=case.pk, text="メモ"),
        "escalate": lambda: services.case_escalate(actor=user, case_id=case.pk, reason="上位へ"),
        "hand back": lambda: services.case_hand_back(actor=user, case_id=case.pk, reason="戻す"),
        "handoff request": lambda: handoffs.handoff_request(
            actor=user,
            case_id=case.pk,
            to_organization_id=orgs["chiba_pref"].pk,
            reason="相談",
            consent_scope=ConsentScope.SUMMARY,
        ),
        "handoff respond": lambda: handoffs.handoff_respond(
            actor=user, handoff_id=h["recv_summary"], action="accept"
        ),
        "handoff close": lambda: handoffs.handoff_close(actor=user, handoff_id=h["recv_summary"]),
    }
    return attempt(calls[op])


@pytest.mark.parametrize("name", list(ACTORS))
def test_matrix(world, name):
    a = ACTORS[name]
    user = make_actor(name, a, world["orgs"])
    assert Case.objects.visible_to(user).filter(pk=world["case"].pk).exists() == (
        expected(a, "detail") != "not found"
    )
    got = {op: run(op, user, world) for op in OPERATIONS}
    want = {op: expected(a, op) for op in OPERATIONS}
    assert got == want


def test_the_matrix_covers_allowed_and_refused_for_every_operation():
    """A guard on the matrix itself: every operation is allowed for someone and refused for someone else."""
    for op in OPERATIONS:
        outcomes = {expected(a, op) for a in ACTORS.values()}
        assert "not found" in outcomes, op
        assert outcomes - {"not found", "denied"}, op
        if op != "detail":
            assert "denied" in outcomes, op


# --- what the detail reveals, and the access log ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "shows_detail", "shows_contacts", "logged"),
    [
        ("lead viewer", True, True, "detail,contacts"),
        ("region secretariat", True, True, "detail,contacts"),
        ("receiver (summary) member", False, False, None),
        ("receiver (detail) coordinator", True, False, "detail"),
        ("receiver (contacts) member", True, True, "detail,contacts"),
    ],
)
def test_the_detail_view_and_its_access_log(world, name, shows_detail, shows_contacts, logged):
    a = ACTORS[name]
    user = make_actor(name, a, world["orgs"])
    view = selectors.case_detail(user=user, case_id=world["case"].pk, via="api")
    assert (view.shows_detail, view.shows_contacts) == (shows_detail, shows_contacts)
    logs = list(
        CaseAccessLog.objects.filter(case=world["case"], user=user).values_list(
            "fields", "via", "organization__name"
        )
    )
    if logged is None:
        assert logs == []
        assert view.attachments == []
    else:
        org_name = world["orgs"][a.org].name
        assert logs == [(logged, "api", org_name)]
    # Reading without logging (e.g. a list rendering the same object) writes nothing.
    selectors.case_detail(user=user, case_id=world["case"].pk, log=False)
    assert CaseAccessLog.objects.filter(case=world["case"], user=user).count() == len(logs)


def test_only_the_secretariat_and_the_lead_read_the_access_log(world):
    lead = make_actor("lead coordinator", ACTORS["lead coordinator"], world["orgs"])
    receiver = make_actor("receiver (contacts) member", ACTORS["receiver (contacts) member"], world["orgs"])
    selectors.case_detail(user=receiver, case_id=world["case"].pk)
    assert [entry.user for entry in selectors.access_log_for(user=lead, case_id=world["case"].pk)] == [
        receiver
    ]
    assert selectors.access_log_for(user=receiver, case_id=world["case"].pk) == []
    outsider = make_actor("other region member", ACTORS["other region member"], world["orgs"])
    with pytest.raises(NotFound):
        selectors.access_log_for(user=outsider, case_id=world["case"].pk)


def test_closing_or_declining_a_hand_off_ends_the_receivers_sight(world):
    receiver = make_actor(
        "receiver (detail) coordinator", ACTORS["receiver (detail) coordinator"], world["orgs"]
    )
    handoffs.handoff_respond(
        actor=receiver, handoff_id=world["handoffs"]["recv_detail"], action="decline", text="対応不可"
    )
    assert run("detail", receiver, world) == "not found"
    assert run("note", receiver, world) == "not found"


# --- banks -------------------------------------------------------------------------------------------------------


@pytest.fixture
def bank_case(case_config, orgs):
    banker = UserFactory(username="bank-a-member")
    MembershipFactory(user=banker, organization=orgs["chiba_bank_a"], role=R.MEMBER)
    case = services.case_create(
        actor=banker, data={"text": "取引先の設備投資と技術の相談", "channel": "bank"}
    )
    return case


def staff(orgs, key, role, username):
    user = UserFactory(username=username)
    MembershipFactory(user=user, organization=orgs[key], role=role)
    return user


def test_the_receiving_bank_sees_its_case_and_the_other_bank_does_not(bank_case, orgs):
    viewer_a = staff(orgs, "chiba_bank_a", R.VIEWER, "a-viewer")
    member_b = staff(orgs, "chiba_bank_b", R.COORDINATOR, "b-coordinator")
    assert run_detail(viewer_a, bank_case) == ConsentScope.CONTACTS
    assert run_detail(member_b, bank_case) == "not found"
    with pytest.raises(NotFound):
        services.case_note(actor=member_b, case_id=bank_case.pk, text="見えるか")


def run_detail(user, case):
    return attempt(lambda: selectors.case_detail(user=user, case_id=case.pk), answer=lambda view: view.scope)


def test_the_other_bank_never_sees_it_even_if_a_row_says_so(bank_case, orgs):
    """The queryset is a second guard: a lead or a hand-off written past the services still shows nothing."""
    member_b = staff(orgs, "chiba_bank_b", R.MEMBER, "b-member")
    Case.objects.filter(pk=bank_case.pk).update(lead_organization=orgs["chiba_bank_b"])
    assert not Case.objects.visible_to(member_b).filter(pk=bank_case.pk).exists()
    Case.objects.filter(pk=bank_case.pk).update(lead_organization=orgs["chiba_lab"])
    Handoff.objects.create(
        case=bank_case,
        from_organization=orgs["chiba_lab"],
        to_organization=orgs["chiba_bank_b"],
        reason="直接",
        consent_scope=ConsentScope.CONTACTS,
        requested_at=bank_case.received_at,
        due_on=dt.date(2030, 1, 1),
    )
    assert not Case.objects.visible_to(member_b).filter(pk=bank_case.pk).exists()


def test_a_second_membership_acts_for_its_own_body(bank_case, orgs):
    """Someone of bank B also on the lab's staff acts for the lab: bank A's case only once the lab leads it."""
    both = staff(orgs, "chiba_bank_b", R.MEMBER, "b-and-lab")
    MembershipFactory(user=both, organization=orgs["chiba_lab"], role=R.MEMBER)
    assert not Case.objects.visible_to(both).filter(pk=bank_case.pk).exists()
    banker = UserFactory(username="bank-a-member")
    services.case_route(actor=banker, case_id=bank_case.pk, lead_organization_id=orgs["chiba_lab"].pk)
    assert Case.objects.visible_to(both).filter(pk=bank_case.pk).exists()


def test_a_banks_own_secretariat_never_sees_another_banks_case(bank_case, orgs):
    secretariat_b = staff(orgs, "chiba_bank_b", R.SECRETARIAT, "b-secretariat")
    assert run_detail(secretariat_b, bank_case) == "not found"
