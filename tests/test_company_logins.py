"""Company logins (企業ログイン): who counts as a company user (``own_company``), issuing a login (who may, which
addresses, nothing half-written), the ``renkei company-login`` command and the API's eligibility check for them."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from renkei import cli
from renkei.api.services import token_create
from renkei.catalog import services as catalog
from renkei.companies.accounts import TAKEN, create_company_login, own_company
from renkei.companies.models import Company, CompanyAccount
from renkei.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renkei.core.models import Municipality
from renkei.network.choices import StaffRole

from .factories import CompanyFactory, MembershipFactory, UserFactory

User = get_user_model()


@pytest.fixture
def company(orgs):
    """A company of the prefecture's office, not shared with the region (only its own staff see it)."""
    return CompanyFactory(
        owner_organization=orgs["chiba_pref"],
        name="株式会社ログイン精機",
        employees=40,
        capital=10_000_000,
        jsic_id="2422",
        municipality=Municipality.objects.get(code="122033"),
        consent_share_region=False,
    )


@pytest.fixture
def company_user(company):
    user = UserFactory(username="login@example.jp")
    CompanyAccount.objects.create(user=user, company=company)
    return user


def fresh(user):
    """The same user as a new request would load it (nothing cached on the object)."""
    return User.objects.get(pk=user.pk)


def counts() -> tuple[int, int]:
    return User.objects.count(), CompanyAccount.objects.count()


# --- own_company -------------------------------------------------------------------------------------------------


def test_an_active_account_gives_the_company_once_per_request(company_user, company):
    user = fresh(company_user)
    with CaptureQueriesContext(connection) as queries:
        assert own_company(user) == company
        assert own_company(user).municipality.prefecture.name == "千葉県"  # read with the company
        assert own_company(user) == company
    assert len(queries) == 2  # the memberships (staff_context), then the account with its company


def test_an_inactive_account_or_user_is_no_company_user(company_user):
    CompanyAccount.objects.filter(user=company_user).update(is_active=False)
    assert own_company(fresh(company_user)) is None
    CompanyAccount.objects.filter(user=company_user).update(is_active=True)
    User.objects.filter(pk=company_user.pk).update(is_active=False)
    assert own_company(fresh(company_user)) is None
    assert own_company(AnonymousUser()) is None and own_company(None) is None


def test_staff_and_superusers_with_an_account_act_as_staff(company_user, orgs, superuser, company):
    MembershipFactory(user=company_user, organization=orgs["chiba_lab"], role=StaffRole.MEMBER)
    assert own_company(fresh(company_user)) is None
    CompanyAccount.objects.create(user=superuser, company=company)
    assert own_company(fresh(superuser)) is None


def test_a_company_user_sees_no_company_through_the_ledger(company_user, company):
    assert not Company.objects.visible_to(fresh(company_user)).exists()


# --- create_company_login ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [StaffRole.SECRETARIAT, StaffRole.COORDINATOR, StaffRole.MEMBER])
def test_staff_who_may_edit_the_company_issue_a_login(make_staff, company, role):
    actor = make_staff("chiba_pref", role)
    user, password = create_company_login(actor=actor, company_id=company.pk, email=" tanaka@Example.JP ")
    assert (user.username, user.email) == ("tanaka@example.jp", "tanaka@example.jp")
    assert len(password) == 16 and password not in user.password  # only the hash is kept
    assert authenticate(username="tanaka@example.jp", password=password) == user
    account = CompanyAccount.objects.get(user=user)
    assert (account.company, account.is_active, account.created_by) == (company, True, actor)
    assert own_company(fresh(user)) == company


def test_superusers_and_the_system_issue_for_any_company(superuser, orgs):
    other = CompanyFactory(owner_organization=orgs["yamagata_center"], consent_share_region=False)
    user, _ = create_company_login(actor=superuser, company_id=other.pk, email="a@example.jp")
    assert user.company_account.company == other
    user, _ = create_company_login(actor=None, company_id=other.pk, email="b@example.jp")
    assert user.company_account.created_by is None


def test_who_may_not_issue_and_nothing_is_written(make_staff, company, company_user):
    bank = make_staff("chiba_bank_b", StaffRole.SECRETARIAT)
    viewer = make_staff("chiba_pref", StaffRole.VIEWER)
    before = counts()
    # a bank of the same region never sees another body's company: 404, so its existence does not leak
    with pytest.raises(NotFound):
        create_company_login(actor=bank, company_id=company.pk, email="x@example.jp")
    # a viewer of the owner sees the company but edits nothing
    with pytest.raises(PermissionDenied) as denied:
        create_company_login(actor=viewer, company_id=company.pk, email="x@example.jp")
    assert denied.value.message == "この企業の企業ログインを発行する権限がありません。"
    # a company login may not issue logins, not even for its own company
    with pytest.raises(NotFound):
        create_company_login(actor=fresh(company_user), company_id=company.pk, email="x@example.jp")
    with pytest.raises(NotFound):
        create_company_login(actor=None, company_id=999_999, email="x@example.jp")
    assert counts() == before


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "メールアドレスを入力してください。"),
        ("   ", "メールアドレスを入力してください。"),
        ("tanaka", "メールアドレスの形式が正しくありません。"),
        ("tanaka@", "メールアドレスの形式が正しくありません。"),
        ("田中@例え.jp x", "メールアドレスの形式が正しくありません。"),
        ("a" * 140 + "@example.jp", "メールアドレスは150文字以内で入力してください。"),
    ],
)
def test_a_malformed_address_is_a_field_error_and_nothing_is_written(superuser, company, typed, message):
    before = counts()
    with pytest.raises(ValidationFailed) as failed:
        create_company_login(actor=superuser, company_id=company.pk, email=typed)
    assert failed.value.field_errors == {"email": [message]}
    assert counts() == before


def test_a_full_width_address_is_read_as_half_width(superuser, company):
    user, _ = create_company_login(
        actor=superuser, company_id=company.pk, email="ｔａｎａｋａ＠ｅｘａｍｐｌｅ．ｊｐ"
    )
    assert user.username == "tanaka@example.jp"


@pytest.mark.parametrize(
    "typed", ["login@example.jp", "LOGIN@example.jp", "staff@example.jp", "Staff@Example.jp"]
)
def test_an_address_already_used_by_a_user_is_refused(superuser, company, company_user, typed):
    UserFactory(username="someone", email="staff@example.jp")
    before = counts()
    with pytest.raises(Conflict) as taken:
        create_company_login(actor=superuser, company_id=company.pk, email=typed)
    assert taken.value.field_errors == {"email": [TAKEN]}
    assert counts() == before


# --- renkei company-login ----------------------------------------------------------------------------------------


def test_the_command_creates_a_login_and_prints_the_password_once(company, capsys):
    assert cli.main(["company-login", str(company.pk), "ｓａｔｏ@example.jp"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.startswith("企業ログインを作成しました: sato@example.jp（初期パスワード: ")
    assert out.endswith("）。初回ログイン後に /password/（画面右上の「パスワード変更」）で変更してください。")
    password = out.split("初期パスワード: ", 1)[1].split("）", 1)[0]
    user = authenticate(username="sato@example.jp", password=password)
    assert user is not None and user.company_account.company == company


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["999999", "sato@example.jp"], "エラー: 指定された企業は見つかりません。"),
        (["abc", "sato@example.jp"], "エラー: 企業の ID は数字で指定してください（指定: abc）。"),
        (["{company}", "sato"], "エラー: メールアドレスの形式が正しくありません。"),
        (["{company}", "login@example.jp"], f"エラー: {TAKEN}"),
    ],
)
def test_the_command_refuses_bad_input_with_exit_2(company, company_user, capsys, args, message):
    before = counts()
    args = [a.replace("{company}", str(company.pk)) for a in args]
    assert cli.main(["company-login", *args]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip() == message and captured.out == ""
    assert counts() == before


# --- the API's eligibility check ---------------------------------------------------------------------------------


def test_the_api_judges_a_company_user_by_their_own_company(superuser, orgs, company, company_user):
    program = catalog.program_create(
        actor=superuser,
        data={
            "organization": orgs["chiba_pref"].pk,
            "title": "小規模事業者の販路開拓補助金",
            "eligibility": {"employees": {"min": None, "max": 20}, "prefectures": ["12"]},
        },
    )
    _, raw = token_create(user=company_user)
    client = Client(headers={"Authorization": f"Bearer {raw}"})

    def check(body):
        response = client.post(
            f"/api/v1/programs/{program.pk}/eligibility", json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 200, response.content
        return response.json()

    own = check({})
    assert own["profile"]["employees"] == 40 and own["profile"]["municipality_code"] == "122033"
    assert own["verdict"]["status"] == "not_eligible"
    assert "従業員数 40 人: 上限 20 人を 20 人超えています" in [
        c["message"] for c in own["verdict"]["checks"]
    ]
    assert check({"stage": "試作"})["profile"]["employees"] == 40  # a stage alone still uses the company
    typed = check({"employees": 5, "prefecture": "千葉県"})  # typed figures win
    assert typed["profile"]["employees"] == 5 and typed["verdict"]["status"] == "eligible"
    # the company API lists nothing to them, as to any user without a membership (tests/test_authorization_matrix.py)
    assert client.get("/api/v1/companies").json()["count"] == 0


def test_the_search_api_judges_programs_by_the_company_users_own_company(
    superuser, orgs, company, company_user, fresh_index
):
    program = catalog.program_create(
        actor=superuser,
        data={
            "organization": orgs["chiba_pref"].pk,
            "title": "小規模事業者の販路開拓補助金",
            "summary": "展示会への出展や販路開拓の経費を補助します。",
            "eligibility": {"employees": {"min": None, "max": 20}, "prefectures": ["12"]},
        },
    )
    fresh_index()
    _, raw = token_create(user=company_user)
    client = Client(headers={"Authorization": f"Bearer {raw}"})

    def verdict(url):
        response = client.get(url)
        assert response.status_code == 200, response.content
        (hit,) = [r for r in response.json()["results"] if r["key"] == f"program:{program.pk}"]
        return hit["eligibility"]

    own = verdict("/api/v1/search?q=販路開拓の補助金")
    assert own["status"] == "not_eligible"
    assert any("従業員数 40 人" in c["message"] for c in own["checks"])
    assert verdict("/api/v1/search?q=販路開拓の補助金&employees=5&prefecture=千葉県")["status"] == "eligible"
    # a visitor with the same words is judged on nothing
    anonymous = Client().get("/api/v1/search?q=販路開拓の補助金").json()["results"]
    assert all(r.get("eligibility") is None for r in anonymous)
