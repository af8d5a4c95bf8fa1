"""API authentication: personal access tokens (only their hash is stored) and the browser session with CSRF."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.test import Client
from django.utils import timezone

from renkei.api.models import AccessToken
from renkei.network.choices import StaffRole

TOKENS = "/api/v1/auth/tokens"
COMPANIES = "/api/v1/companies"
PROBLEM = "application/problem+json"


@pytest.fixture
def staff(make_staff):
    return make_staff("chiba_lab", StaffRole.MEMBER)


def issue(client: Client, **body):
    return client.post(TOKENS, data=json.dumps(body), content_type="application/json")


def bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def test_good_credentials_issue_a_token_and_only_its_hash_is_stored(staff, password):
    response = issue(Client(), username="chiba_lab-member", password=password, name="集計スクリプト")
    assert response.status_code == 201, response.content
    body = response.json()
    raw = body["token"]
    assert raw.startswith("rk_") and len(raw) > 40
    assert body["name"] == "集計スクリプト"
    token = AccessToken.objects.get(user=staff)
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:10] == body["prefix"]
    stored = [str(v) for v in AccessToken.objects.filter(pk=token.pk).values().get().values()]
    assert not any(raw in value for value in stored)
    days = (token.expires_at - timezone.now()).days
    assert 88 <= days <= 90


def test_the_token_authenticates_as_bearer(staff, password):
    raw = issue(Client(), username="chiba_lab-member", password=password).json()["token"]
    response = Client().get(COMPANIES, headers=bearer(raw))
    assert response.status_code == 200
    assert response.json() == {"count": 0, "items": []}
    created = Client().post(
        COMPANIES,
        data=json.dumps({"name": "トークン株式会社"}),
        content_type="application/json",
        headers=bearer(raw),
    )
    assert created.status_code == 201
    assert created.json()["owner_organization"]["name"] == "千葉県産業支援技術研究所"
    assert AccessToken.objects.get(user=staff).last_used_at is not None


@pytest.mark.parametrize(
    ("username", "use_password"),
    [("chiba_lab-member", False), ("nobody", True), ("CHIBA_LAB-MEMBER", True)],
)
def test_bad_credentials_are_401_problems(staff, password, username, use_password):
    response = issue(Client(), username=username, password=password if use_password else "wrong-password-1")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == 401
    assert body["detail"] == "ユーザー名またはパスワードが正しくありません。"
    assert AccessToken.objects.count() == 0


def test_inactive_user_gets_no_token(staff, password):
    staff.is_active = False
    staff.save()
    assert issue(Client(), username="chiba_lab-member", password=password).status_code == 401
    assert AccessToken.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "", "password": "x"}, "username"),
        ({"username": "a", "password": ""}, "password"),
        ({"username": "a"}, "password"),
        ({"username": "a", "password": "x", "days": 0}, "days"),
        ({"username": "a", "password": "x", "days": 367}, "days"),
        ({"username": "a" * 151, "password": "x"}, "username"),
    ],
)
def test_incomplete_requests_are_422(db, body, field):
    response = Client().post(TOKENS, data=json.dumps(body), content_type="application/json")
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert field in [e["field"] for e in response.json()["errors"]]


def _token(staff, password, **changes) -> str:
    raw = issue(Client(), username="chiba_lab-member", password=password).json()["token"]
    if changes:
        AccessToken.objects.filter(user=staff).update(**changes)
    return raw


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"expires_at": dt.datetime(2000, 1, 1, tzinfo=dt.UTC)}, id="expired"),
        pytest.param({"revoked_at": dt.datetime(2024, 1, 1, tzinfo=dt.UTC)}, id="revoked"),
    ],
)
def test_expired_or_revoked_tokens_are_denied(staff, password, changes):
    raw = _token(staff, password, **changes)
    response = Client().get(COMPANIES, headers=bearer(raw))
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response.json()["title"] == "認証が必要です"


def test_token_of_a_deactivated_user_is_denied(staff, password):
    raw = _token(staff, password)
    staff.is_active = False
    staff.save()
    assert Client().get(COMPANIES, headers=bearer(raw)).status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer rk_not-a-real-token", "Bearer ", "Bearer " + "rk_" + "a" * 500, "Basic dXNlcjpwYXNz", "rk_raw"],
)
def test_garbage_authorization_is_401(db, header):
    response = Client().get(COMPANIES, headers={"Authorization": header})
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_a_hash_is_not_a_token(staff, password):
    _token(staff, password)
    stored_hash = AccessToken.objects.get(user=staff).key_hash
    assert Client().get(COMPANIES, headers=bearer(stored_hash)).status_code == 401
    assert Client().get(COMPANIES, headers=bearer("rk_" + stored_hash)).status_code == 401


# --- the browser session ---------------------------------------------------------------------------------------


def test_session_writes_need_the_csrf_token(staff):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.get(COMPANIES).status_code == 200  # reads need no CSRF token
    body = json.dumps({"name": "セッション株式会社"})
    refused = client.post(COMPANIES, data=body, content_type="application/json")
    assert refused.status_code == 403
    assert refused["Content-Type"] == PROBLEM
    assert "CSRF" in refused.json()["detail"]
    csrf = "k" * 32  # a CSRF secret as Django stores it in the cookie; the header carries the same value
    client.cookies["csrftoken"] = csrf
    accepted = client.post(
        COMPANIES, data=body, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 201, accepted.content


def test_anonymous_write_is_401_not_a_csrf_failure(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(COMPANIES, data=json.dumps({"name": "匿名"}), content_type="application/json")
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_bearer_token_needs_no_csrf_token(staff, password):
    raw = _token(staff, password)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        COMPANIES,
        data=json.dumps({"name": "スクリプト株式会社"}),
        content_type="application/json",
        headers=bearer(raw),
    )
    assert response.status_code == 201
