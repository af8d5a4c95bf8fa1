"""network.services: staff memberships are managed by the secretariat of the organization's region only."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from renkei.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renkei.network.choices import StaffRole
from renkei.network.models import Membership
from renkei.network.selectors import staff_context
from renkei.network.services import membership_create, membership_update

from .factories import MembershipFactory, UserFactory

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.fixture
def secretariat(make_staff):
    return make_staff("chiba_pref", StaffRole.SECRETARIAT)


@pytest.fixture
def newcomer(db):
    return UserFactory(username="newcomer")


def snapshot() -> list[tuple]:
    return list(
        Membership.objects.order_by("pk").values_list(
            "pk", "user_id", "organization_id", "role", "title", "is_active", "started_on", "ended_on"
        )
    )


def test_secretariat_adds_staff_to_a_body_of_its_region(secretariat, newcomer, orgs):
    membership = membership_create(
        actor=secretariat,
        user_id=newcomer.pk,
        organization_id=orgs["chiba_lab"].pk,
        role=StaffRole.COORDINATOR,
        title="  研究開発コーディネーター  ",
        started_on=dt.date(2024, 4, 1),
    )
    stored = Membership.objects.get(pk=membership.pk)
    assert (stored.user, stored.organization, stored.role) == (
        newcomer,
        orgs["chiba_lab"],
        StaffRole.COORDINATOR,
    )
    assert stored.title == "研究開発コーディネーター"
    assert stored.is_active and stored.ended_on is None
    assert stored.created_by == secretariat
    ctx = staff_context(get_user_model().objects.get(pk=newcomer.pk))  # a fresh object, as a new request
    assert ctx.role_in(orgs["chiba_lab"].pk) == StaffRole.COORDINATOR


def test_secretariat_may_staff_a_bank_of_its_region(secretariat, newcomer, orgs):
    membership = membership_create(
        actor=secretariat, user_id=newcomer.pk, organization_id=orgs["chiba_bank_a"].pk, role=StaffRole.MEMBER
    )
    assert membership.organization == orgs["chiba_bank_a"]


def test_a_body_of_another_region_is_refused_on_the_organization_field(secretariat, newcomer, orgs):
    before = snapshot()
    with pytest.raises(ValidationFailed) as info:
        membership_create(
            actor=secretariat,
            user_id=newcomer.pk,
            organization_id=orgs["yamagata_center"].pk,
            role=StaffRole.MEMBER,
        )
    errors = info.value.field_errors
    assert list(errors) == ["organization"]
    assert "山形県工業技術センター" in errors["organization"][0]
    assert "別の地域" in errors["organization"][0]
    assert snapshot() == before
    assert not Membership.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize("role", [StaffRole.COORDINATOR, StaffRole.MEMBER, StaffRole.VIEWER])
def test_non_secretariat_staff_cannot_add_staff(make_staff, newcomer, orgs, role):
    actor = make_staff("chiba_pref", role)
    before = snapshot()
    for target in ("chiba_pref", "chiba_lab", "yamagata_center"):
        with pytest.raises(PermissionDenied) as info:
            membership_create(
                actor=actor, user_id=newcomer.pk, organization_id=orgs[target].pk, role="member"
            )
        assert JAPANESE.search(info.value.message)
    assert snapshot() == before


def test_users_outside_the_network_cannot_add_staff(newcomer, orgs):
    outsider = UserFactory(username="outsider")
    for actor in (outsider, AnonymousUser()):
        with pytest.raises(PermissionDenied):
            membership_create(
                actor=actor, user_id=newcomer.pk, organization_id=orgs["chiba_lab"].pk, role="member"
            )
        # Refused before anything is looked up: a missing organization is not revealed either.
        with pytest.raises(PermissionDenied):
            membership_create(actor=actor, user_id=newcomer.pk, organization_id=10**9, role="member")
    assert not Membership.objects.filter(user=newcomer).exists()


def test_secretariat_of_another_region_cannot_add_staff_here(make_staff, newcomer, orgs):
    yamagata = make_staff("yamagata_pref", StaffRole.SECRETARIAT)
    with pytest.raises(ValidationFailed) as info:
        membership_create(
            actor=yamagata, user_id=newcomer.pk, organization_id=orgs["chiba_lab"].pk, role="member"
        )
    assert list(info.value.field_errors) == ["organization"]
    assert not Membership.objects.filter(user=newcomer).exists()


def test_superuser_adds_staff_anywhere(superuser, newcomer, orgs):
    membership = membership_create(
        actor=superuser, user_id=newcomer.pk, organization_id=orgs["yamagata_center"].pk, role="viewer"
    )
    assert membership.organization == orgs["yamagata_center"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"role": "admin"}, "role"),
        ({"role": ""}, "role"),
        ({"user_id": 10**9}, "user"),
        ({"organization_id": 10**9}, "organization"),
    ],
)
def test_bad_input_names_the_field(secretariat, newcomer, orgs, kwargs, field):
    args = {"user_id": newcomer.pk, "organization_id": orgs["chiba_lab"].pk, "role": "member", **kwargs}
    before = snapshot()
    with pytest.raises(ValidationFailed) as info:
        membership_create(actor=secretariat, **args)
    assert list(info.value.field_errors) == [field]
    assert JAPANESE.search(info.value.field_errors[field][0])
    assert snapshot() == before


def test_duplicate_active_membership_is_a_conflict(secretariat, newcomer, orgs):
    first = membership_create(
        actor=secretariat, user_id=newcomer.pk, organization_id=orgs["chiba_lab"].pk, role="member"
    )
    with pytest.raises(Conflict) as info:
        membership_create(
            actor=secretariat, user_id=newcomer.pk, organization_id=orgs["chiba_lab"].pk, role="viewer"
        )
    assert list(info.value.field_errors) == ["user"]
    assert "newcomer" in info.value.message
    assert list(Membership.objects.filter(user=newcomer).values_list("pk", "role")) == [(first.pk, "member")]
    # Another body of the region is fine, and so is the same body again once the first membership has ended.
    membership_create(
        actor=secretariat, user_id=newcomer.pk, organization_id=orgs["chiba_pref"].pk, role="member"
    )
    membership_update(actor=secretariat, membership_id=first.pk, is_active=False)
    again = membership_create(
        actor=secretariat, user_id=newcomer.pk, organization_id=orgs["chiba_lab"].pk, role="viewer"
    )
    assert again.pk != first.pk
    assert Membership.objects.filter(user=newcomer, organization=orgs["chiba_lab"]).count() == 2


def test_deactivation_sets_ended_on(secretariat, newcomer, orgs):
    membership = MembershipFactory(
        user=newcomer, organization=orgs["chiba_lab"], started_on=dt.date(2020, 4, 1)
    )
    membership_update(actor=secretariat, membership_id=membership.pk, is_active=False)
    stored = Membership.objects.get(pk=membership.pk)
    assert not stored.is_active
    assert stored.ended_on == dt.date.today()

    other = MembershipFactory(user=newcomer, organization=orgs["chiba_pref"])
    membership_update(
        actor=secretariat, membership_id=other.pk, is_active=False, ended_on=dt.date(2025, 3, 31)
    )
    assert Membership.objects.get(pk=other.pk).ended_on == dt.date(2025, 3, 31)
    # Deactivating again keeps the recorded day.
    membership_update(actor=secretariat, membership_id=other.pk, is_active=False)
    assert Membership.objects.get(pk=other.pk).ended_on == dt.date(2025, 3, 31)


def test_deactivation_ends_a_planned_future_departure_today(secretariat, newcomer, orgs):
    planned = dt.date.today() + dt.timedelta(days=30)
    membership = MembershipFactory(user=newcomer, organization=orgs["chiba_lab"], ended_on=planned)
    membership_update(actor=secretariat, membership_id=membership.pk, is_active=False)
    assert Membership.objects.get(pk=membership.pk).ended_on == dt.date.today()


def test_reactivation_clears_the_old_end_date(secretariat, newcomer, orgs):
    membership = MembershipFactory(
        user=newcomer, organization=orgs["chiba_lab"], is_active=False, ended_on=dt.date(2024, 3, 31)
    )
    membership_update(actor=secretariat, membership_id=membership.pk, is_active=True)
    stored = Membership.objects.get(pk=membership.pk)
    assert stored.is_active and stored.ended_on is None


def test_end_before_start_is_refused(secretariat, newcomer, orgs):
    membership = MembershipFactory(
        user=newcomer, organization=orgs["chiba_lab"], started_on=dt.date(2024, 4, 1)
    )
    before = snapshot()
    with pytest.raises(ValidationFailed) as info:
        membership_update(
            actor=secretariat, membership_id=membership.pk, is_active=False, ended_on=dt.date(2024, 3, 31)
        )
    assert list(info.value.field_errors) == ["ended_on"]
    assert "着任日" in info.value.field_errors["ended_on"][0]
    assert snapshot() == before


def test_update_role_and_title(secretariat, newcomer, orgs):
    membership = MembershipFactory(user=newcomer, organization=orgs["chiba_lab"], role=StaffRole.MEMBER)
    membership_update(actor=secretariat, membership_id=membership.pk, role="coordinator", title=" 所長 ")
    stored = Membership.objects.get(pk=membership.pk)
    assert (stored.role, stored.title) == ("coordinator", "所長")
    before = snapshot()
    with pytest.raises(ValidationFailed) as info:
        membership_update(actor=secretariat, membership_id=membership.pk, role="owner")
    assert list(info.value.field_errors) == ["role"]
    assert snapshot() == before


def test_update_cannot_move_staff_to_another_region(secretariat, newcomer, orgs):
    membership = MembershipFactory(user=newcomer, organization=orgs["chiba_lab"])
    before = snapshot()
    with pytest.raises(ValidationFailed) as info:
        membership_update(
            actor=secretariat,
            membership_id=membership.pk,
            organization_id=orgs["yamagata_center"].pk,
            role="viewer",
        )
    assert list(info.value.field_errors) == ["organization"]
    assert snapshot() == before
    # Within the region it works.
    membership_update(actor=secretariat, membership_id=membership.pk, organization_id=orgs["chiba_pref"].pk)
    assert Membership.objects.get(pk=membership.pk).organization == orgs["chiba_pref"]


def test_moving_onto_an_existing_membership_is_a_conflict(secretariat, newcomer, orgs):
    MembershipFactory(user=newcomer, organization=orgs["chiba_pref"])
    moving = MembershipFactory(user=newcomer, organization=orgs["chiba_lab"])
    before = snapshot()
    with pytest.raises(Conflict) as info:
        membership_update(actor=secretariat, membership_id=moving.pk, organization_id=orgs["chiba_pref"].pk)
    assert list(info.value.field_errors) == ["organization"]
    assert snapshot() == before


@pytest.mark.parametrize("role", [StaffRole.COORDINATOR, StaffRole.MEMBER, StaffRole.VIEWER])
def test_non_secretariat_cannot_update(make_staff, newcomer, orgs, role):
    actor = make_staff("chiba_pref", role)
    membership = MembershipFactory(user=newcomer, organization=orgs["chiba_lab"])
    before = snapshot()
    with pytest.raises(PermissionDenied):
        membership_update(actor=actor, membership_id=membership.pk, is_active=False)
    assert snapshot() == before


def test_memberships_of_other_regions_are_not_found(make_staff, newcomer, orgs):
    yamagata = make_staff("yamagata_pref", StaffRole.SECRETARIAT)
    membership = MembershipFactory(user=newcomer, organization=orgs["chiba_lab"])
    before = snapshot()
    for membership_id in (membership.pk, 10**9, "abc"):
        with pytest.raises(NotFound):
            membership_update(actor=yamagata, membership_id=membership_id, is_active=False)
    assert snapshot() == before
