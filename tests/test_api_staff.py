"""The staff API: memberships listed, registered and changed through the network services."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from renkei.network.choices import StaffRole
from renkei.network.models import Membership

from .factories import MembershipFactory, UserFactory

URL = "/api/v1/staff"
PROBLEM = "application/problem+json"


@pytest.fixture
def secretariat(make_staff):
    return make_staff("chiba_pref", StaffRole.SECRETARIAT)


@pytest.fixture
def api(secretariat) -> Client:
    client = Client()
    client.force_login(secretariat)
    return client


@pytest.fixture
def lab_member(orgs):
    user = UserFactory(username="lab-member", first_name="花子", last_name="千葉")
    return MembershipFactory(user=user, organization=orgs["chiba_lab"], role=StaffRole.MEMBER, title="研究員")


@pytest.fixture
def yamagata_member(orgs):
    return MembershipFactory(
        user=UserFactory(username="yamagata-member"),
        organization=orgs["yamagata_center"],
        role=StaffRole.MEMBER,
    )


def send(client: Client, method: str, url: str, body):
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def problem(response, status: int) -> list[str]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    return [e["field"] for e in response.json()["errors"]]


def snapshot(membership: Membership) -> tuple:
    membership.refresh_from_db()
    return (
        membership.organization_id,
        membership.role,
        membership.title,
        membership.is_active,
        membership.ended_on,
    )


# --- list ------------------------------------------------------------------------------------------------------


def test_list_shows_the_region_only(api, lab_member, yamagata_member):
    response = api.get(URL)
    assert response.status_code == 200
    body = response.json()
    usernames = {i["user"]["username"] for i in body["items"]}
    assert usernames == {"chiba_pref-secretariat", "lab-member"}
    assert body["count"] == 2
    item = next(i for i in body["items"] if i["user"]["username"] == "lab-member")
    assert item["user"]["full_name"] == "千葉 花子"
    assert item["organization"]["region"]["slug"] == "chiba"
    assert (item["role"], item["role_label"], item["title"]) == ("member", "担当者", "研究員")
    assert "password" not in response.content.decode()


def test_list_filters(api, orgs, lab_member):
    def usernames(**params) -> set[str]:
        response = api.get(URL, params)
        assert response.status_code == 200, response.content
        return {i["user"]["username"] for i in response.json()["items"]}

    assert usernames(organization=orgs["chiba_lab"].pk) == {"lab-member"}
    assert usernames(role="secretariat") == {"chiba_pref-secretariat"}
    assert usernames(is_active="false") == set()
    problem(api.get(URL, {"role": "boss"}), 422)
    problem(api.get(URL, {"limit": 500}), 422)


def test_list_query_count_does_not_grow_with_rows(api, orgs):
    with CaptureQueriesContext(connection) as few:
        api.get(URL)
    for n in range(25):
        MembershipFactory(user=UserFactory(username=f"staff{n}"), organization=orgs["chiba_lab"])
    with CaptureQueriesContext(connection) as many:
        assert api.get(URL).json()["count"] == 26
    assert len(many) == len(few)


# --- create ----------------------------------------------------------------------------------------------------


def test_secretariat_registers_staff_in_its_region(api, orgs, secretariat):
    newcomer = UserFactory(username="newcomer")
    response = send(
        api,
        "post",
        URL,
        {
            "user": newcomer.pk,
            "organization": orgs["chiba_lab"].pk,
            "role": "coordinator",
            "title": "研究開発コーディネーター",
            "started_on": "2025-04-01",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["user"]["username"], body["organization"]["id"], body["role"]) == (
        "newcomer",
        orgs["chiba_lab"].pk,
        "coordinator",
    )
    membership = Membership.objects.get(pk=body["id"])
    assert membership.started_on == dt.date(2025, 4, 1)
    assert membership.created_by == secretariat


def test_registering_in_another_region_is_422_on_organization_and_writes_nothing(api, orgs):
    newcomer = UserFactory(username="newcomer")
    before = Membership.objects.count()
    response = send(api, "post", URL, {"user": newcomer.pk, "organization": orgs["yamagata_center"].pk})
    assert problem(response, 422) == ["organization"]
    assert "山形県工業技術センター" in response.json()["errors"][0]["message"]
    assert Membership.objects.count() == before


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"user": 999999, "organization": "LAB"}, 422, "user"),
        ({"user": "NEW", "organization": 999999}, 422, "organization"),
        ({"user": "NEW", "organization": "LAB", "role": "boss"}, 422, "role"),
        ({"user": "NEW", "organization": "LAB", "title": "x" * 101}, 422, "title"),
        ({"user": "NEW", "organization": "LAB", "started_on": "令和7年4月1日"}, 422, "started_on"),
        ({"user": "NEW", "organization": "LAB", "admin": True}, 422, "admin"),
        ({"user": "NEW"}, 422, "organization"),
        ({"user": 0, "organization": "LAB"}, 422, "user"),
        ({"user": "EXISTING", "organization": "LAB"}, 409, "user"),
    ],
)
def test_bad_registrations(api, orgs, lab_member, body, status, field):
    newcomer = UserFactory(username="newcomer")
    replace = {"NEW": newcomer.pk, "LAB": orgs["chiba_lab"].pk, "EXISTING": lab_member.user_id}
    body = {k: replace.get(v, v) if isinstance(v, str) else v for k, v in body.items()}
    before = Membership.objects.count()
    response = send(api, "post", URL, body)
    assert field in problem(response, status)
    assert Membership.objects.count() == before


def test_role_error_names_the_allowed_roles(api, orgs):
    response = send(api, "post", URL, {"user": 1, "organization": orgs["chiba_lab"].pk, "role": "boss"})
    message = response.json()["errors"][0]["message"]
    assert all(f"'{role}'" in message for role in StaffRole.values)


# --- change ----------------------------------------------------------------------------------------------------


def test_patch_changes_only_what_is_sent(api, lab_member):
    response = send(api, "patch", f"{URL}/{lab_member.pk}", {"role": "coordinator", "title": None})
    assert response.status_code == 200, response.content
    assert (response.json()["role"], response.json()["title"]) == ("coordinator", "研究員")
    assert snapshot(lab_member)[1:3] == ("coordinator", "研究員")


def test_patch_moves_within_the_region_and_deactivates(api, orgs, lab_member):
    response = send(api, "patch", f"{URL}/{lab_member.pk}", {"organization": orgs["chiba_pref"].pk})
    assert response.status_code == 200
    assert response.json()["organization"]["id"] == orgs["chiba_pref"].pk
    response = send(api, "patch", f"{URL}/{lab_member.pk}", {"is_active": False, "ended_on": "2025-03-31"})
    assert response.status_code == 200
    assert (response.json()["is_active"], response.json()["ended_on"]) == (False, "2025-03-31")


def test_moving_to_another_region_is_422_on_organization_and_changes_nothing(api, orgs, lab_member):
    before = snapshot(lab_member)
    response = send(
        api, "patch", f"{URL}/{lab_member.pk}", {"organization": orgs["yamagata_center"].pk, "title": "移籍"}
    )
    assert problem(response, 422) == ["organization"]
    assert snapshot(lab_member) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"organization": 999999}, "organization"),
        ({"role": "owner"}, "role"),
        ({"is_active": "no"}, "is_active"),
        ({"user": 5}, "user"),
    ],
)
def test_bad_patch_changes_nothing(api, lab_member, body, field):
    before = snapshot(lab_member)
    assert field in problem(send(api, "patch", f"{URL}/{lab_member.pk}", body), 422)
    assert snapshot(lab_member) == before


def test_patch_of_another_regions_membership_is_404(api, yamagata_member):
    before = snapshot(yamagata_member)
    problem(send(api, "patch", f"{URL}/{yamagata_member.pk}", {"title": "乗っ取り"}), 404)
    problem(send(api, "patch", f"{URL}/987654", {"title": "x"}), 404)
    assert snapshot(yamagata_member) == before


@pytest.mark.parametrize("value", [0, 20240401, "2024/4/1", True])
def test_dates_must_be_iso_strings(api, orgs, value):
    """pydantic's lax mode would take 0 as 1970-01-01; the API insists on 'YYYY-MM-DD' and writes nothing."""
    newcomer = UserFactory(username="date-newcomer")
    body = {"user": newcomer.pk, "organization": orgs["chiba_lab"].pk, "started_on": value}
    assert problem(send(api, "post", URL, body), 422) == ["started_on"]
    assert not Membership.objects.filter(user=newcomer).exists()
