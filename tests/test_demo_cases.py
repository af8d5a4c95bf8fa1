"""The demo's fictitious cases: made through the services, over several fiscal years, in every state, no mail."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Min

from renkei.cases.choices import LIVE_HANDOFF_STATES, OPEN_STATUSES, CaseStatus, EventKind, HandoffState
from renkei.cases.definition import cases_definition_load
from renkei.cases.models import Case, CaseEvent, Handoff, Notification
from renkei.demo.cases import DemoCaseGenerator, generate_demo_cases, quiet_case_mail
from renkei.demo.loader import _create_companies, _create_users, _Say, read_data
from renkei.network.choices import OrganizationKind
from renkei.network.definition import network_definition_load

TODAY = dt.date(2026, 6, 30)


def small_config() -> dict:
    config = copy.deepcopy(read_data("demo.json"))
    for spec in config["companies"]:
        spec["count"] = 60
    config["cases"]["regions"] = [{"region": "chiba", "count": 90}, {"region": "yamagata", "count": 70}]
    return config


@pytest.fixture
def demo_base(db):
    config = small_config()
    for name in config["definitions"]:
        network_definition_load(data=read_data(name))
    admin = _create_users(config, _Say(None))
    _create_companies(config, admin, _Say(None))
    for name in config["case_definitions"]:
        cases_definition_load(data=read_data(name))
    return config


@pytest.fixture
def demo_cases(demo_base, django_capture_on_commit_callbacks, mailoutbox):
    lines: list[str] = []
    with quiet_case_mail(), django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = generate_demo_cases(demo_base["cases"], today=TODAY, say=lines.append)
    return {"result": result, "lines": lines, "callbacks": callbacks, "mail": mailoutbox}


def check_every_planned_step_went_through_the_services(demo_cases: dict) -> None:
    result = demo_cases["result"]

    assert result["failures"] == []
    assert result["cases"] == Case.objects.count() == 168  # 90 + 70, 2 + 2 showcases, 2 + 2 public pending
    assert CaseEvent.objects.filter(kind=EventKind.CREATED).count() == 168
    assert "架空の相談案件 168 件" in demo_cases["lines"][0]


def check_cases_span_the_fiscal_years_states_and_channels(demo_cases: dict) -> None:
    assert set(Case.objects.values_list("fiscal_year", flat=True)) == {2023, 2024, 2025, 2026}
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {CaseStatus.RECEIVED, CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.CLOSED} <= statuses
    assert len(statuses) >= 7
    assert len(set(Case.objects.values_list("channel", flat=True))) >= 7
    assert Case.objects.filter(channel="web", status=CaseStatus.RECEIVED).exists()  # public, still 受付
    assert Case.objects.filter(status__in=OPEN_STATUSES).exclude(sla_bucket="on_time").exists()
    assert Case.objects.values("category").distinct().count() >= 12
    assert Case.objects.exclude(target_field=None).exists()
    kinds = set(CaseEvent.objects.values_list("kind", flat=True))
    assert {EventKind.ROUTED, EventKind.ESCALATED, EventKind.HANDOFF, EventKind.NOTE} <= kinds


def check_handoffs_and_escalations_follow_the_region_configuration(demo_cases: dict) -> None:
    states = set(Handoff.objects.values_list("state", flat=True))
    assert {HandoffState.CLOSED, HandoffState.DECLINED} <= states
    live_outside = Handoff.objects.filter(is_external=True, state__in=LIVE_HANDOFF_STATES)
    assert set(live_outside.values_list("case__region__slug", flat=True)) == {
        "chiba",
        "yamagata",
    }  # showcases
    for h in Handoff.objects.filter(is_external=True).select_related("case__company"):
        assert h.case.consent_outside_region or h.case.company.consent_share_outside
    escalated = Case.objects.filter(step__position__gt=1)
    assert escalated.exists()
    for case in escalated.select_related("step__owner_organization"):
        owner = case.step.owner_organization
        last = case.events.filter(kind__in=[EventKind.ESCALATED, EventKind.HANDED_BACK]).last()
        assert last is not None and (owner is None or last.data["to_organization"] == owner.pk)


def check_history_is_dated_in_the_past_and_in_order(demo_cases: dict) -> None:
    end = dt.datetime(2026, 6, 30, 18, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert not CaseEvent.objects.filter(at__gt=end).exists()
    first_events = dict(
        CaseEvent.objects.values("case_id").annotate(first=Min("at")).values_list("case_id", "first")
    )
    for case_id, received_at in Case.objects.values_list("id", "received_at"):
        assert first_events[case_id] == received_at
    numbers = list(
        Case.objects.filter(region__slug="chiba", fiscal_year=2024)
        .order_by("received_at", "id")
        .values_list("receipt_number", flat=True)
    )
    assert numbers == sorted(numbers)  # receipt numbers were taken in time order


def check_a_bank_never_sees_a_case_another_bank_received(demo_cases: dict) -> None:
    users = get_user_model().objects
    for username, other in (("chiba-bank", "chiba-keiyo-bank"), ("chiba-keiyo-bank", "chiba-bank")):
        bank = users.get(username=username)
        other_bank = users.get(username=other).memberships.get().organization
        seen = Case.objects.visible_to(bank)
        assert seen.exists()
        assert not seen.filter(received_by=other_bank).exists()
        assert (
            not seen.filter(received_by__kind=OrganizationKind.FINANCE)
            .exclude(received_by__memberships__user=bank)
            .exists()
        )


def check_the_history_sends_no_mail_and_old_notifications_are_read(demo_cases: dict) -> None:
    assert demo_cases["callbacks"]  # after-commit work was registered and run …
    assert demo_cases["mail"] == []  # … but sent nothing
    assert not Notification.objects.filter(emailed=False).exists()
    assert Notification.objects.filter(read_at__isnull=True).exists()
    old = dt.datetime(2026, 6, 1, tzinfo=dt.UTC)
    assert not Notification.objects.filter(created_at__lt=old, read_at__isnull=True).exists()


def check_clocks_are_fresh_for_the_day(demo_cases: dict) -> None:
    stale = Case.objects.filter(status__in=OPEN_STATUSES, sla_next_change_on__lte=TODAY)
    assert not stale.exists()


def test_demo_cases(demo_cases):
    """One generation (about ten seconds), checked from every side."""
    check_every_planned_step_went_through_the_services(demo_cases)
    check_cases_span_the_fiscal_years_states_and_channels(demo_cases)
    check_handoffs_and_escalations_follow_the_region_configuration(demo_cases)
    check_history_is_dated_in_the_past_and_in_order(demo_cases)
    check_a_bank_never_sees_a_case_another_bank_received(demo_cases)
    check_the_history_sends_no_mail_and_old_notifications_are_read(demo_cases)
    check_clocks_are_fresh_for_the_day(demo_cases)


def test_plans_are_deterministic(demo_base):
    def plans() -> list[tuple]:
        generator = DemoCaseGenerator(demo_base["cases"], today=TODAY)
        return [(p.label, p.received_at, p.category, p.template["title"], p.story) for p in generator.plans()]

    assert plans() == plans()
