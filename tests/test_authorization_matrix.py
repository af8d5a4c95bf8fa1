"""Authorization matrix: every role × every company/staff endpoint × objects of other organizations.

The expectations are written out as tables (not recomputed from the code under test), from the rules in
docs/decisions/0004-company-visibility.md and network/policies.py:

- a company is seen by its owner organization's staff, and — if it consented to share within the region — by the
  staff of every non-financial body of that region; a bank only ever sees its own customers;
- it is edited by the owner's writers (secretariat / coordinator / member), and for consented companies by the
  secretariat and coordinators of non-financial bodies of the region; viewers never edit;
- whatever a caller may not see answers 404 (never 403); a caller without credentials gets 401;
- staff of a region are listed to the staff of that region; the region's secretariat registers and changes them;
- a company login (企業ログイン, docs/decisions/0016-company-logins.md) is no staff: it is refused everything a
  logged-in user without a membership is refused, its own company included.

Allowed cells are checked as strictly as denied ones, so the matrix cannot pass by denying everything.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

from renkei.api.services import token_create
from renkei.companies.models import Company, CompanyAccount
from renkei.network.choices import StaffRole
from renkei.network.models import Membership

from .factories import CompanyFactory, MembershipFactory, UserFactory

COMPANIES = "/api/v1/companies"
STAFF = "/api/v1/staff"

ROLES = [StaffRole.SECRETARIAT, StaffRole.COORDINATOR, StaffRole.MEMBER, StaffRole.VIEWER]
# The caller's body: the prefecture's office (not a bank) or bank B (a financial institution), both in Chiba.
HOME_ORGS = {"pref": "chiba_pref", "bank_b": "chiba_bank_b"}
ACTORS = [f"{org}:{role}" for org in HOME_ORGS for role in ROLES] + [
    "nomember",
    "company",
    "superuser",
    "anonymous",
]
OUTSIDERS = {"nomember", "company"}  # logged in, but staff of no body

# name → (owner organization, consent to share within the region)
COMPANY_SPECS = {
    "pref_own": ("chiba_pref", False),
    "bank_a_private": ("chiba_bank_a", False),  # bank A's customer without consent
    "bank_a_shared": ("chiba_bank_a", True),  # bank A's customer with consent: still not for bank B
    "bank_b_own": ("chiba_bank_b", False),
    "lab_shared": ("chiba_lab", True),
    "lab_private": ("chiba_lab", False),
    "yamagata_shared": ("yamagata_center", True),  # another region, consented within *its* region
}
ALL = frozenset(COMPANY_SPECS)

VISIBLE = {
    "pref": {"pref_own", "bank_a_shared", "lab_shared"},
    "bank_b": {"bank_b_own"},
    "nomember": set(),
    "company": set(),
    "superuser": ALL,
}
EDITABLE = {
    "pref:secretariat": {"pref_own", "bank_a_shared", "lab_shared"},
    "pref:coordinator": {"pref_own", "bank_a_shared", "lab_shared"},
    "pref:member": {"pref_own"},
    "pref:viewer": set(),
    "bank_b:secretariat": {"bank_b_own"},
    "bank_b:coordinator": {"bank_b_own"},
    "bank_b:member": {"bank_b_own"},
    "bank_b:viewer": set(),
    "nomember": set(),
    "company": set(),
    "superuser": ALL,
}
MAY_CREATE_COMPANY = {f"{org}:{role}" for org in HOME_ORGS for role in ROLES if role != StaffRole.VIEWER}
# The secretariat role of a non-financial body of the region manages that region's staff: a bank is never a
# region's secretariat, whatever role its staff hold (StaffContext.secretariat_region_ids).
STAFF_MANAGERS = {"pref:secretariat", "superuser"}


def visible(actor: str) -> set[str]:
    return VISIBLE[actor.split(":")[0]]


@pytest.fixture
def world(orgs):
    companies = {
        key: CompanyFactory(
            owner_organization=orgs[owner], consent_share_region=consent, name=key, products="元の製品"
        )
        for key, (owner, consent) in COMPANY_SPECS.items()
    }
    staff = {
        "lab_staff": MembershipFactory(
            user=UserFactory(username="lab_staff"), organization=orgs["chiba_lab"]
        ),
        "yamagata_staff": MembershipFactory(
            user=UserFactory(username="yamagata_staff"), organization=orgs["yamagata_center"]
        ),
    }
    return {"companies": companies, "staff": staff, "orgs": orgs}


@pytest.fixture
def as_actor(orgs, make_staff, superuser):
    """as_actor("pref:viewer") → a Client sending that user's access token (anonymous: no credentials)."""

    def make(actor: str) -> Client:
        if actor == "anonymous":
            return Client()
        if actor == "nomember":
            user = UserFactory(username="outsider")
        elif actor == "company":  # the login of a company the prefecture's office registered and shares
            user = UserFactory(username="company@example.jp")
            own = CompanyFactory(owner_organization=orgs["chiba_pref"], name="企業ログインの自社")
            CompanyAccount.objects.create(user=user, company=own)
        elif actor == "superuser":
            user = superuser
        else:
            org, role = actor.split(":")
            user = make_staff(HOME_ORGS[org], role)
        _, raw = token_create(user=user)
        return Client(headers={"Authorization": f"Bearer {raw}"})

    return make


def send(client: Client, method: str, url: str, body: dict):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def assert_problem(response, status: int) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"


# --- companies -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_company_list(world, as_actor, actor):
    response = as_actor(actor).get(COMPANIES, {"limit": 200})
    if actor == "anonymous":
        assert_problem(response, 401)
        return
    assert response.status_code == 200
    items = response.json()["items"]
    assert {item["name"] for item in items} == visible(actor)
    assert response.json()["count"] == len(visible(actor))
    assert {item["name"] for item in items if item["can_edit"]} == EDITABLE[actor]


@pytest.mark.parametrize("actor", ACTORS)
def test_company_detail(world, as_actor, actor):
    client = as_actor(actor)
    seen = {key: client.get(f"{COMPANIES}/{c.pk}").status_code for key, c in world["companies"].items()}
    if actor == "anonymous":
        assert set(seen.values()) == {401}
        return
    assert seen == {key: 200 if key in visible(actor) else 404 for key in ALL}


@pytest.mark.parametrize("actor", ACTORS)
def test_company_patch(world, as_actor, actor):
    client = as_actor(actor)
    got = {}
    for key, company in world["companies"].items():
        response = send(client, "patch", f"{COMPANIES}/{company.pk}", {"products": f"{actor}が変更"})
        got[key] = response.status_code
        if response.status_code != 200:
            assert_problem(response, response.status_code)
    if actor == "anonymous":
        expected = dict.fromkeys(ALL, 401)
    else:
        editable = EDITABLE[actor]
        expected = {key: 200 if key in editable else 403 if key in visible(actor) else 404 for key in ALL}
    assert got == expected
    products = dict(Company.objects.filter(name__in=ALL).values_list("name", "products"))
    assert products == {key: f"{actor}が変更" if got[key] == 200 else "元の製品" for key in ALL}


@pytest.mark.parametrize("actor", ACTORS)
def test_company_create(world, as_actor, actor):
    client = as_actor(actor)
    before = Company.objects.count()
    body = {"name": "新規株式会社"}
    if actor == "superuser":
        body["owner_organization"] = world["orgs"]["chiba_lab"].pk  # a superuser belongs to no body
    response = send(client, "post", COMPANIES, body)
    if actor == "anonymous":
        assert_problem(response, 401)
    elif actor in MAY_CREATE_COMPANY:
        assert response.status_code == 201, response.content
        own = world["orgs"][HOME_ORGS[actor.split(":")[0]]]
        assert response.json()["owner_organization"]["id"] == own.pk
    elif actor == "superuser":
        assert response.status_code == 201
    else:
        assert_problem(response, 403)
    assert Company.objects.count() == before + (response.status_code == 201)


@pytest.mark.parametrize("actor", ACTORS)
def test_company_create_for_another_organization(world, as_actor, actor):
    """Registering a company in the name of a body one does not write for is refused."""
    client = as_actor(actor)
    before = Company.objects.count()
    response = send(
        client,
        "post",
        COMPANIES,
        {"name": "他機関名義", "owner_organization": world["orgs"]["chiba_bank_a"].pk},
    )
    if actor == "anonymous":
        assert_problem(response, 401)
    elif actor == "superuser":
        assert response.status_code == 201
        assert response.json()["owner_organization"]["id"] == world["orgs"]["chiba_bank_a"].pk
    elif actor in MAY_CREATE_COMPANY:
        assert_problem(response, 422)
        assert [e["field"] for e in response.json()["errors"]] == ["owner_organization"]
    else:
        assert_problem(response, 403)
    assert Company.objects.count() == before + (response.status_code == 201)


# --- staff -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", ACTORS)
def test_staff_list(world, as_actor, actor):
    response = as_actor(actor).get(STAFF, {"limit": 200})
    if actor == "anonymous":
        assert_problem(response, 401)
        return
    assert response.status_code == 200
    usernames = {item["user"]["username"] for item in response.json()["items"]}
    if actor in OUTSIDERS:
        assert usernames == set()
    elif actor == "superuser":
        assert {"lab_staff", "yamagata_staff"} <= usernames
    else:
        assert "lab_staff" in usernames
        assert "yamagata_staff" not in usernames
        assert {
            m.organization.region.slug for m in Membership.objects.filter(user__username__in=usernames)
        } == {"chiba"}


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("target", ["chiba_lab", "yamagata_center"])
def test_staff_create(world, as_actor, actor, target):
    client = as_actor(actor)
    newcomer = UserFactory(username="newcomer")
    before = Membership.objects.count()
    response = send(client, "post", STAFF, {"user": newcomer.pk, "organization": world["orgs"][target].pk})
    if actor == "anonymous":
        assert_problem(response, 401)
    elif actor == "superuser" or (actor in STAFF_MANAGERS and target == "chiba_lab"):
        assert response.status_code == 201, response.content
        assert response.json()["organization"]["id"] == world["orgs"][target].pk
    elif actor in STAFF_MANAGERS:  # a Chiba secretariat naming a Yamagata body
        assert_problem(response, 422)
        assert [e["field"] for e in response.json()["errors"]] == ["organization"]
    else:
        assert_problem(response, 403)
    assert Membership.objects.count() == before + (response.status_code == 201)


def _staff_state(membership: Membership) -> tuple:
    membership.refresh_from_db()
    return (membership.organization_id, membership.role, membership.title, membership.is_active)


@pytest.mark.parametrize("actor", ACTORS)
def test_staff_patch(world, as_actor, actor):
    client = as_actor(actor)
    got = {}
    for key, membership in world["staff"].items():
        before = _staff_state(membership)
        response = send(client, "patch", f"{STAFF}/{membership.pk}", {"title": "変更後"})
        got[key] = response.status_code
        if response.status_code == 200:
            assert _staff_state(membership)[2] == "変更後"
        else:
            assert_problem(response, response.status_code)
            assert _staff_state(membership) == before
    if actor == "anonymous":
        expected = {"lab_staff": 401, "yamagata_staff": 401}
    elif actor == "superuser":
        expected = {"lab_staff": 200, "yamagata_staff": 200}
    elif actor in OUTSIDERS:
        expected = {"lab_staff": 404, "yamagata_staff": 404}
    else:
        expected = {"lab_staff": 200 if actor in STAFF_MANAGERS else 403, "yamagata_staff": 404}
    assert got == expected


@pytest.mark.parametrize("actor", ACTORS)
def test_staff_patch_into_another_region(world, as_actor, actor):
    membership = world["staff"]["lab_staff"]
    before = _staff_state(membership)
    response = send(
        as_actor(actor),
        "patch",
        f"{STAFF}/{membership.pk}",
        {"organization": world["orgs"]["yamagata_center"].pk, "role": "coordinator"},
    )
    if actor == "superuser":
        assert response.status_code == 200
        assert _staff_state(membership)[:2] == (world["orgs"]["yamagata_center"].pk, "coordinator")
        return
    if actor == "anonymous":
        assert_problem(response, 401)
    elif actor in OUTSIDERS:
        assert_problem(response, 404)
    elif actor in STAFF_MANAGERS:
        assert_problem(response, 422)
        assert [e["field"] for e in response.json()["errors"]] == ["organization"]
    else:
        assert_problem(response, 403)
    assert _staff_state(membership) == before


def test_the_tables_have_allowed_and_denied_cells():
    """Guard against a vacuous matrix: each table grants something to someone and denies something to someone."""
    for table in (VISIBLE, EDITABLE):
        assert any(table.values()) and any(set(v) != ALL for v in table.values())
    assert MAY_CREATE_COMPANY and set(ACTORS) - MAY_CREATE_COMPANY
    assert STAFF_MANAGERS and set(ACTORS) - STAFF_MANAGERS
