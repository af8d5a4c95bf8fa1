"""Company.objects.visible_to(user): the one visibility rule, checked exhaustively.

Every combination of owner organization × consent is registered, and every role in every organization (plus
users with several memberships) is checked against the rule written out independently below:

    a user sees a company if they are a superuser, or if one of their current memberships is in the owner
    organization, or if the company consented to sharing in its region and one of their current memberships is
    in a non-financial body of that region. A bank only ever sees its own customers.
"""

from __future__ import annotations

import datetime as dt
from itertools import product

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser

from renkei.companies.models import Company
from renkei.companies.selectors import company_detail, company_list
from renkei.core.errors import NotFound
from renkei.network.choices import OrganizationKind, StaffRole
from renkei.network.models import Membership
from renkei.network.services import membership_update

from .factories import CompanyFactory, MembershipFactory, UserFactory

ORG_KEYS = ["chiba_pref", "chiba_lab", "chiba_bank_a", "chiba_bank_b", "yamagata_pref", "yamagata_center"]
ROLES = [StaffRole.SECRETARIAT, StaffRole.COORDINATOR, StaffRole.MEMBER, StaffRole.VIEWER]


@pytest.fixture
def companies(orgs) -> dict[tuple[str, bool], Company]:
    """One company for every (owner organization, consent to share in the region)."""
    return {
        (key, consent): CompanyFactory(
            owner_organization=orgs[key],
            consent_share_region=consent,
            name=f"{key}-{'共有' if consent else '非共有'}",
        )
        for key, consent in product(ORG_KEYS, (True, False))
    }


def fresh(user):
    """The user as a new request would load it (the staff context is cached per user object)."""
    return get_user_model().objects.get(pk=user.pk)


def expected_names(user, companies) -> set[str]:
    user = fresh(user)
    if not user.is_active:
        return set()
    if user.is_superuser:
        return {c.name for c in companies.values()}
    today = dt.date.today()
    memberships = [
        m
        for m in Membership.objects.filter(user=user, is_active=True).select_related("organization")
        if (m.started_on is None or m.started_on <= today) and (m.ended_on is None or m.ended_on >= today)
    ]
    own = {m.organization_id for m in memberships}
    shared_regions = {
        m.organization.region_id for m in memberships if m.organization.kind != OrganizationKind.FINANCE
    }
    return {
        c.name
        for c in companies.values()
        if c.owner_organization_id in own or (c.consent_share_region and c.region_id in shared_regions)
    }


def visible_names(user) -> set[str]:
    return set(Company.objects.visible_to(user).values_list("name", flat=True))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("org_key", ORG_KEYS)
def test_every_role_in_every_organization(make_staff, companies, org_key, role):
    user = fresh(make_staff(org_key, role))
    assert visible_names(user) == expected_names(user, companies)
    # The selectors go through the same rule.
    assert set(company_list(user=user).values_list("name", flat=True)) == expected_names(user, companies)


def test_the_rule_in_plain_words(make_staff, companies):
    lab = fresh(make_staff("chiba_lab", StaffRole.MEMBER))
    assert visible_names(lab) == {
        "chiba_lab-共有",
        "chiba_lab-非共有",  # its own, consented or not
        "chiba_pref-共有",
        "chiba_bank_a-共有",
        "chiba_bank_b-共有",  # consented companies of the region, whoever registered them
    }
    secretariat = fresh(make_staff("chiba_pref", StaffRole.SECRETARIAT))
    assert visible_names(secretariat) == {
        "chiba_pref-共有",
        "chiba_pref-非共有",
        "chiba_lab-共有",
        "chiba_bank_a-共有",
        "chiba_bank_b-共有",
    }
    bank = fresh(make_staff("chiba_bank_a", StaffRole.SECRETARIAT))
    assert visible_names(bank) == {
        "chiba_bank_a-共有",
        "chiba_bank_a-非共有",
    }  # never another bank's customers
    yamagata = fresh(make_staff("yamagata_center", StaffRole.COORDINATOR))
    assert visible_names(yamagata) == {"yamagata_center-共有", "yamagata_center-非共有", "yamagata_pref-共有"}


@pytest.mark.parametrize(
    "memberships",
    [
        [("chiba_bank_a", StaffRole.MEMBER), ("chiba_lab", StaffRole.VIEWER)],
        [("chiba_bank_a", StaffRole.MEMBER), ("chiba_bank_b", StaffRole.MEMBER)],
        [("chiba_bank_a", StaffRole.MEMBER), ("yamagata_center", StaffRole.MEMBER)],
        [("chiba_lab", StaffRole.MEMBER), ("yamagata_pref", StaffRole.VIEWER)],
    ],
    ids=["bank+lab", "two-banks", "bank+other-region", "two-regions"],
)
def test_users_with_several_memberships(companies, orgs, memberships):
    user = UserFactory(username="multi")
    for key, role in memberships:
        MembershipFactory(user=user, organization=orgs[key], role=role)
    user = fresh(user)
    assert visible_names(user) == expected_names(user, companies)


def test_other_region_never_sees_a_company_even_with_consent(make_staff, companies):
    for key in ("yamagata_pref", "yamagata_center"):
        names = visible_names(fresh(make_staff(key, StaffRole.SECRETARIAT)))
        assert not any(name.startswith("chiba") for name in names)


def test_anonymous_and_users_without_membership_see_nothing(companies):
    assert not Company.objects.visible_to(AnonymousUser()).exists()
    assert not Company.objects.visible_to(None).exists()
    nobody = fresh(UserFactory(username="nobody"))
    assert not Company.objects.visible_to(nobody).exists()
    staff_flag_only = UserFactory(username="django-staff")
    staff_flag_only.is_staff = True  # the admin flag is not a network membership
    staff_flag_only.save()
    assert not Company.objects.visible_to(fresh(staff_flag_only)).exists()


def test_superuser_sees_everything(superuser, companies):
    assert visible_names(fresh(superuser)) == {c.name for c in companies.values()}


def test_deactivated_user_sees_nothing(make_staff, companies):
    user = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    assert visible_names(fresh(user))
    user.is_active = False
    user.save()
    assert visible_names(fresh(user)) == set()


def test_deactivated_membership_no_longer_grants_visibility(make_staff, companies, orgs):
    secretariat = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    user = make_staff("chiba_lab", StaffRole.COORDINATOR)
    assert "chiba_lab-非共有" in visible_names(fresh(user))
    membership = Membership.objects.get(user=user, organization=orgs["chiba_lab"])
    membership_update(actor=secretariat, membership_id=membership.pk, is_active=False)
    assert visible_names(fresh(user)) == set()
    with pytest.raises(NotFound):
        company_detail(user=fresh(user), company_id=companies[("chiba_lab", False)].pk)


def test_memberships_count_only_between_start_and_end(companies, orgs):
    today = dt.date.today()
    cases = {
        "ended-yesterday": ({"ended_on": today - dt.timedelta(days=1)}, False),
        "ends-today": ({"ended_on": today}, True),
        "starts-tomorrow": ({"started_on": today + dt.timedelta(days=1)}, False),
        "started-today": ({"started_on": today}, True),
        "open": ({"started_on": dt.date(2020, 4, 1), "ended_on": today + dt.timedelta(days=365)}, True),
    }
    for username, (dates, grants) in cases.items():
        user = UserFactory(username=username)
        MembershipFactory(user=user, organization=orgs["chiba_lab"], role=StaffRole.MEMBER, **dates)
        names = visible_names(fresh(user))
        assert ("chiba_lab-非共有" in names) is grants, username
        assert names == expected_names(user, companies)


def test_detail_of_an_invisible_company_is_not_found(make_staff, companies):
    bank = fresh(make_staff("chiba_bank_b", StaffRole.SECRETARIAT))
    own = companies[("chiba_bank_b", False)]
    assert company_detail(user=bank, company_id=own.pk) == own
    for key in (("chiba_bank_a", True), ("chiba_lab", True), ("yamagata_center", True)):
        with pytest.raises(NotFound):
            company_detail(user=bank, company_id=companies[key].pk)


def test_search_does_not_leak_invisible_companies(make_staff, companies):
    bank = fresh(make_staff("chiba_bank_a", StaffRole.MEMBER))
    assert set(company_list(user=bank, q="chiba").values_list("name", flat=True)) == {
        "chiba_bank_a-共有",
        "chiba_bank_a-非共有",
    }
    assert not company_list(user=bank, q="chiba_lab").exists()
