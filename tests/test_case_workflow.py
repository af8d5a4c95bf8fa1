"""The status workflow, exhaustively: every (from, to) pair of CaseStatus through the services.

The table below is written out independently of ``renkei.cases.workflow`` (from issue 3 §6): a change to the
workflow must change this test too. An allowed move succeeds through ``case_transition`` (or ``case_route`` for
振分け) and appends exactly one event with from/to; every other move raises Conflict and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from itertools import product
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from renkei.cases import services
from renkei.cases.choices import FINISHED_STATUSES, CaseStatus, EventKind
from renkei.cases.models import Case, CaseEvent, CaseSuspension, Notification
from renkei.cases.workflow import allowed_targets
from renkei.core.errors import Conflict, ValidationFailed
from renkei.network.choices import StaffRole

S = CaseStatus
JST = ZoneInfo("Asia/Tokyo")
REASON = "企業から取り下げの連絡があったため"

# to-status → needs a reason; ROUTED only through case_route.
_FINISH = {S.RESOLVED: False, S.REFERRED: False, S.UNABLE: True, S.WITHDRAWN: True}
ALLOWED: dict[str, dict[str, bool]] = {
    S.RECEIVED: {S.ROUTED: False, S.IN_PROGRESS: False, S.REFERRED: False, S.UNABLE: True, S.WITHDRAWN: True},
    S.ROUTED: {S.ROUTED: False, S.IN_PROGRESS: False, S.WAITING: False, **_FINISH},
    S.IN_PROGRESS: {S.ROUTED: False, S.WAITING: False, **_FINISH},
    S.WAITING: {S.IN_PROGRESS: False, **_FINISH},
    S.RESOLVED: {S.CLOSED: False, S.IN_PROGRESS: True},
    S.REFERRED: {S.CLOSED: False, S.IN_PROGRESS: True},
    S.UNABLE: {S.CLOSED: False, S.IN_PROGRESS: True},
    S.WITHDRAWN: {S.CLOSED: False, S.IN_PROGRESS: True},
    S.CLOSED: {S.IN_PROGRESS: True},
}

# How to bring a fresh case (受付) into each state.
PATHS: dict[str, list[str]] = {
    S.RECEIVED: [],
    S.ROUTED: [S.ROUTED],
    S.IN_PROGRESS: [S.IN_PROGRESS],
    S.WAITING: [S.IN_PROGRESS, S.WAITING],
    S.RESOLVED: [S.IN_PROGRESS, S.RESOLVED],
    S.REFERRED: [S.IN_PROGRESS, S.REFERRED],
    S.UNABLE: [S.IN_PROGRESS, S.UNABLE],
    S.WITHDRAWN: [S.IN_PROGRESS, S.WITHDRAWN],
    S.CLOSED: [S.IN_PROGRESS, S.RESOLVED, S.CLOSED],
}

ALL_PAIRS = list(product(list(S), list(S)))


class FrozenNow:
    """Drives every clock of the services: ``django.utils.timezone.now`` (and through it ``localdate``)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.moment = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.moment)

    def set(self, day: dt.date, hour: int = 10) -> None:
        self.moment = dt.datetime.combine(day, dt.time(hour), tzinfo=JST).astimezone(dt.UTC)


@pytest.fixture
def clock(monkeypatch):
    frozen = FrozenNow(monkeypatch)
    frozen.set(dt.date(2025, 6, 2))  # a Monday
    return frozen


@pytest.fixture
def lab_member(make_staff):
    return make_staff("chiba_lab", StaffRole.MEMBER)


def new_case(actor, **extra) -> Case:
    data = {"text": "樹脂成形品の強度評価をしたい", "channel": "phone", **extra}
    return services.case_create(actor=actor, data=data)


def walk(actor, case: Case, path: list[str]) -> Case:
    for to in path:
        if to == S.ROUTED:
            case = services.case_route(
                actor=actor, case_id=case.pk, lead_organization_id=case.lead_organization_id
            )
        else:
            case = services.case_transition(actor=actor, case_id=case.pk, to_status=to, reason=REASON)
    return case


def snapshot(case: Case) -> tuple:
    row = Case.objects.get(pk=case.pk)
    return (
        row.status,
        row.status_changed_at,
        row.lead_organization_id,
        row.first_responded_on,
        row.finished_on,
        row.sla_bucket,
        row.updated_at,
        CaseEvent.objects.filter(case=case).count(),
        list(CaseSuspension.objects.filter(case=case).values_list("started_on", "ended_on")),
        Notification.objects.filter(case=case).count(),
    )


def test_the_table_written_here_is_the_table_of_the_code():
    """The buttons a case page shows (routing excluded) are exactly the allowed non-routing moves."""
    for status in S:
        expected = [to for to in ALLOWED[status] if to != S.ROUTED]
        shown = [to for to, _ in allowed_targets(status)]
        assert sorted(shown) == sorted(expected), status
        with_routing = [to for to, _ in allowed_targets(status, include_routing=True)]
        assert sorted(with_routing) == sorted(ALLOWED[status]), status
        for to, transition in allowed_targets(status, include_routing=True):
            assert transition.needs_reason == ALLOWED[status][to], (status, to)
            assert transition.label  # a Japanese button label


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS, ids=[f"{a}->{b}" for a, b in ALL_PAIRS])
def test_every_pair_through_case_transition(case_config, lab_member, clock, from_status, to_status):
    case = walk(lab_member, new_case(lab_member), PATHS[from_status])
    assert case.status == from_status
    allowed = to_status in ALLOWED[from_status]
    before = snapshot(case)
    events_before = CaseEvent.objects.filter(case=case).count()

    if not allowed or to_status == S.ROUTED:
        # Not in the table, or 振分け (which only case_route may do): Conflict, nothing written.
        with pytest.raises(Conflict) as err:
            services.case_transition(actor=lab_member, case_id=case.pk, to_status=to_status, reason=REASON)
        assert err.value.field_errors.get("status"), err.value.errors
        assert "変更できません" in err.value.message or "振分け" in err.value.message
        assert snapshot(case) == before
        return

    needs_reason = ALLOWED[from_status][to_status]
    if needs_reason:
        for blank in ("", "   ", "　\n"):
            with pytest.raises(ValidationFailed) as err:
                services.case_transition(actor=lab_member, case_id=case.pk, to_status=to_status, reason=blank)
            assert list(err.value.field_errors) == ["reason"]
            assert "理由" in err.value.field_errors["reason"][0]
            assert snapshot(case) == before

    moved = services.case_transition(
        actor=lab_member, case_id=case.pk, to_status=to_status, reason=f"  {REASON}  " if needs_reason else ""
    )
    assert moved.status == to_status
    assert Case.objects.get(pk=case.pk).status == to_status
    new_events = list(CaseEvent.objects.filter(case=case).order_by("id"))[events_before:]
    assert len(new_events) == 1
    event = new_events[0]
    assert (event.kind, event.from_status, event.to_status) == (EventKind.STATUS, from_status, to_status)
    assert event.actor == lab_member
    assert event.actor_organization_id == case.lead_organization_id
    assert event.text == (REASON if needs_reason else "")


@pytest.mark.parametrize("from_status", list(S))
def test_routing_from_every_status(case_config, orgs, lab_member, clock, from_status):
    """振分け (→ 振分済) goes through case_route, from 受付 / 振分済 / 対応中 only."""
    case = walk(lab_member, new_case(lab_member), PATHS[from_status])
    before = snapshot(case)
    events_before = CaseEvent.objects.filter(case=case).count()
    if S.ROUTED not in ALLOWED[from_status]:
        with pytest.raises(Conflict) as err:
            services.case_route(actor=lab_member, case_id=case.pk, lead_organization_id=orgs["chiba_pref"].pk)
        assert "変更できません" in err.value.message
        assert snapshot(case) == before
        return
    routed = services.case_route(
        actor=lab_member, case_id=case.pk, lead_organization_id=orgs["chiba_pref"].pk
    )
    assert routed.status == S.ROUTED and routed.lead_organization == orgs["chiba_pref"]
    new_events = list(CaseEvent.objects.filter(case=case).order_by("id"))[events_before:]
    assert [(e.kind, e.from_status, e.to_status) for e in new_events] == [
        (EventKind.ROUTED, from_status, S.ROUTED)
    ]
    assert new_events[0].data["from_organization"] == orgs["chiba_lab"].pk
    assert new_events[0].data["to_organization"] == orgs["chiba_pref"].pk


def test_an_unknown_status_is_a_validation_error(case_config, lab_member, clock):
    case = new_case(lab_member)
    before = snapshot(case)
    with pytest.raises(ValidationFailed) as err:
        services.case_transition(actor=lab_member, case_id=case.pk, to_status="done", reason=REASON)
    assert "done" in err.value.field_errors["status"][0]
    assert snapshot(case) == before


@pytest.mark.parametrize("finished", sorted(FINISHED_STATUSES))
def test_reopen_from_each_finished_state(case_config, lab_member, clock, finished):
    """Reopening clears the finish date and records the finished period as a suspension of the clocks."""
    clock.set(dt.date(2025, 6, 2))
    case = new_case(lab_member)
    clock.set(dt.date(2025, 6, 3))
    case = walk(lab_member, case, PATHS[finished])
    finished_on = dt.date(2025, 6, 3)
    assert case.finished_on == finished_on
    assert case.first_responded_on == dt.date(2025, 6, 3)
    clock.set(dt.date(2025, 6, 10))
    with pytest.raises(ValidationFailed):
        services.case_transition(actor=lab_member, case_id=case.pk, to_status=S.IN_PROGRESS)
    reopened = services.case_transition(
        actor=lab_member, case_id=case.pk, to_status=S.IN_PROGRESS, reason="企業から追加の相談"
    )
    assert reopened.status == S.IN_PROGRESS
    assert reopened.finished_on is None
    assert reopened.first_responded_on == dt.date(2025, 6, 3)  # the first response is recorded once
    spans = list(CaseSuspension.objects.filter(case=case).values_list("started_on", "ended_on"))
    assert (finished_on, dt.date(2025, 6, 10)) in spans
    last = CaseEvent.objects.filter(case=case).order_by("-id").first()
    assert (last.from_status, last.to_status, last.text) == (finished, S.IN_PROGRESS, "企業から追加の相談")
    # Finishing again records the new finish date; closing does not move it.
    clock.set(dt.date(2025, 6, 12))
    again = services.case_transition(actor=lab_member, case_id=case.pk, to_status=S.RESOLVED)
    assert again.finished_on == dt.date(2025, 6, 12)
    clock.set(dt.date(2025, 6, 20))
    closed = services.case_transition(actor=lab_member, case_id=case.pk, to_status=S.CLOSED)
    assert closed.finished_on == dt.date(2025, 6, 12)


def test_waiting_opens_and_closes_one_suspension(case_config, lab_member, clock):
    clock.set(dt.date(2025, 6, 2))
    case = new_case(lab_member)
    clock.set(dt.date(2025, 6, 3))
    walk(lab_member, case, [S.IN_PROGRESS])
    clock.set(dt.date(2025, 6, 4))
    waiting = services.case_transition(actor=lab_member, case_id=case.pk, to_status=S.WAITING)
    assert waiting.is_suspended
    assert list(CaseSuspension.objects.filter(case=case).values_list("started_on", "ended_on")) == [
        (dt.date(2025, 6, 4), None)
    ]
    clock.set(dt.date(2025, 6, 9))
    services.case_transition(actor=lab_member, case_id=case.pk, to_status=S.IN_PROGRESS)
    assert list(CaseSuspension.objects.filter(case=case).values_list("started_on", "ended_on")) == [
        (dt.date(2025, 6, 4), dt.date(2025, 6, 9))
    ]


def test_a_case_walks_the_whole_happy_path_with_one_event_per_move(case_config, orgs, lab_member, clock):
    case = new_case(lab_member)
    services.case_route(actor=lab_member, case_id=case.pk, lead_organization_id=orgs["chiba_lab"].pk)
    for to in (S.IN_PROGRESS, S.WAITING, S.IN_PROGRESS, S.RESOLVED, S.CLOSED):
        services.case_transition(actor=lab_member, case_id=case.pk, to_status=to)
    moves = list(
        CaseEvent.objects.filter(case=case).order_by("id").values_list("kind", "from_status", "to_status")
    )
    assert moves == [
        (EventKind.CREATED, "", S.RECEIVED),
        (EventKind.ROUTED, S.RECEIVED, S.ROUTED),
        (EventKind.STATUS, S.ROUTED, S.IN_PROGRESS),
        (EventKind.STATUS, S.IN_PROGRESS, S.WAITING),
        (EventKind.STATUS, S.WAITING, S.IN_PROGRESS),
        (EventKind.STATUS, S.IN_PROGRESS, S.RESOLVED),
        (EventKind.STATUS, S.RESOLVED, S.CLOSED),
    ]
