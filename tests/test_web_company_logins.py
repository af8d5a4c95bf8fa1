"""Company logins on the web: staff issue them on the company page (the password shown once, PRG, errors keep the
input); a company user gets eligibility verdicts from their own company on the search and program pages without
typing anything, and is refused every staff page exactly as a logged-in user without a membership is."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import authenticate
from django.test import Client

from renkei.catalog import services as catalog
from renkei.companies.models import CompanyAccount
from renkei.core.models import Municipality
from renkei.network.choices import StaffRole

from .factories import CompanyFactory, UserFactory

OWN_SENTENCE = "株式会社自社精機 の登録情報で対象かどうかを判定しています。"


@pytest.fixture(autouse=True)
def _own_index(fresh_index):
    """Pages here search: the index lives in this test's own directory."""


@pytest.fixture
def own(orgs):
    """A manufacturer in 市川市 with 320 employees: just over a 300-employee cap."""
    return CompanyFactory(
        owner_organization=orgs["chiba_pref"],
        name="株式会社自社精機",
        employees=320,
        capital=50_000_000,
        jsic_id="2422",
        municipality=Municipality.objects.get(code="122033"),
        consent_share_region=False,
    )


@pytest.fixture
def company_user(own, password):
    user = UserFactory(username="jisha@example.jp")
    CompanyAccount.objects.create(user=user, company=own)
    return user


@pytest.fixture
def as_company(client, company_user, password):
    client.login(username=company_user.username, password=password)
    return client


@pytest.fixture
def programs(superuser, orgs):
    def create(title: str, summary: str, eligibility: dict) -> object:
        return catalog.program_create(
            actor=superuser,
            data={
                "organization": orgs["chiba_pref"].pk,
                "title": title,
                "summary": summary,
                "eligibility": eligibility,
            },
        )

    return {
        "chiba": create(
            "ものづくり設備投資補助金",
            "中小企業の設備投資と樹脂成形の生産性向上を補助する。",
            {
                "size_classes": ["sme"],
                "employees": {"min": None, "max": 300},
                "jsic": ["E"],
                "prefectures": ["12"],
            },
        ),
        "yamagata": create(
            "山形県の設備投資補助金", "県内企業の設備投資を補助する。", {"prefectures": ["06"]}
        ),
    }


def article(html: str, program) -> str:
    part = html[html.index(f'id="match-program-{program.pk}"') :]
    return part[: part.index("</article>")]


# --- /search/ ------------------------------------------------------------------------------------------------------


def test_search_judges_by_the_own_company_without_typing(as_company, programs, fresh_index):
    fresh_index()
    response = as_company.get("/search/", {"q": "設備投資の補助金"})
    html = response.content.decode()
    assert response.status_code == 200
    assert OWN_SENTENCE in html
    chiba = article(html, programs["chiba"])
    assert "elig-near_miss" in chiba and "従業員数 320 人: 上限 300 人を 20 人超えています" in chiba
    assert "elig-not_eligible" in article(html, programs["yamagata"])
    assert 'name="company"' not in html and "登録済みの企業から選ぶ" not in html  # never the staff picker
    assert (
        f'href="/catalog/programs/{programs["chiba"].pk}/">' in html
    )  # the program page knows the company itself


def test_typed_figures_win_over_the_registered_ones(as_company, programs, fresh_index):
    fresh_index()
    html = as_company.get(
        "/search/", {"q": "設備投資の補助金", "employees": "50", "jsic_code": "2422", "prefecture": "12"}
    ).content.decode()
    assert OWN_SENTENCE not in html
    assert "入力された企業の情報で、対象になるかを判定しています。" in html
    assert "elig-eligible" in article(html, programs["chiba"])  # 50 employees: within the cap
    # the program's link carries the typed figures, not the company
    assert (
        f"/catalog/programs/{programs['chiba'].pk}/?employees=50&amp;jsic_code=2422&amp;prefecture=12" in html
    )


def test_excluding_programs_works_without_typing_anything(as_company, programs, fresh_index):
    fresh_index()
    html = as_company.get("/search/", {"q": "設備投資の補助金", "eligible_only": "on"}).content.decode()
    assert OWN_SENTENCE in html and "対象外の施策は除いています。" in html
    assert "ものづくり設備投資補助金" in html  # a near miss stays
    assert "山形県の設備投資補助金" not in html  # not eligible: left out
    assert "には、企業規模・業種・所在地などを入力してください" not in html


def test_a_visitor_still_needs_to_type(client, programs, fresh_index):
    fresh_index()
    html = client.get("/search/", {"q": "設備投資の補助金"}).content.decode()
    assert "の登録情報で" not in html and "elig-near_miss" not in html


# --- the program page ----------------------------------------------------------------------------------------------


def test_the_program_page_judges_the_own_company_on_load(as_company, programs):
    url = f"/catalog/programs/{programs['chiba'].pk}/"
    html = as_company.get(url).content.decode()
    assert OWN_SENTENCE in html
    assert '<span class="badge elig-near_miss">あと少しで対象</span> 「株式会社自社精機」は' in html
    assert "従業員数 320 人: 上限 300 人を 20 人超えています" in html
    assert 'name="company"' not in html
    typed = as_company.get(url, {"employees": "50", "jsic_code": "2422", "prefecture": "12"}).content.decode()
    assert (
        OWN_SENTENCE not in typed
        and '<span class="badge elig-eligible">対象</span> 入力された企業は' in typed
    )
    html = as_company.get(f"/catalog/programs/{programs['yamagata'].pk}/").content.decode()
    assert '<span class="badge elig-not_eligible">対象外</span>' in html and "千葉県" in html


# --- what a company user may not do --------------------------------------------------------------------------------

STAFF_PAGES = [
    "/cases/",
    "/cases/new/",
    "/cases/overdue/",
    "/meetings/",
    "/notifications/",
    "/companies/",
    "/companies/new/",
    "/companies/import/",
    "/companies/export.csv",
    "/companies/{own}/",
    "/companies/{own}/edit/",
    "/companies/{other}/",
    "/staff/",
]


def test_staff_pages_refuse_a_company_user_as_any_user_without_a_membership(
    company_user, own, orgs, password
):
    other = CompanyFactory(owner_organization=orgs["chiba_lab"], name="ほかの企業")
    outsider = UserFactory(username="outsider")
    statuses = {}
    for user in (company_user, outsider):
        client = Client()
        client.login(username=user.username, password=password)
        statuses[user.username] = [
            client.get(url.format(own=own.pk, other=other.pk)).status_code for url in STAFF_PAGES
        ]
        post = client.post(f"/companies/{own.pk}/logins/", {"email": "new@example.jp"})
        statuses[user.username].append(post.status_code)
    assert statuses["jisha@example.jp"] == statuses["outsider"]
    assert set(statuses["outsider"]) == {403}
    assert not CompanyAccount.objects.filter(user__username="new@example.jp").exists()


def test_the_menu_shows_no_staff_sections_but_the_company(as_company):
    html = as_company.get("/").content.decode()
    assert "（株式会社自社精機）" in html
    for section in ('href="/cases/"', 'href="/companies/"', 'href="/meetings/"', 'href="/notifications/"'):
        assert section not in html


# --- the staff side: issuing a login -------------------------------------------------------------------------------


@pytest.fixture
def coordinator(make_staff):
    return make_staff("chiba_pref", StaffRole.COORDINATOR)


def test_staff_issue_a_login_and_see_the_password_once(client, coordinator, own, password):
    client.login(username=coordinator.username, password=password)
    page = client.get(f"/companies/{own.pk}/").content.decode()
    assert '<h2 id="logins-title">企業ログイン</h2>' in page and "企業ログインはまだありません。" in page
    response = client.post(f"/companies/{own.pk}/logins/", {"email": "ｔａｎａｋａ＠example.jp"})
    assert response.status_code == 302
    assert response["Location"] == f"/companies/{own.pk}/#logins"
    assert "tanaka" not in response["Location"]

    shown = client.get(f"/companies/{own.pk}/")
    html = shown.content.decode()
    found = re.search(
        r"企業ログインを作成しました: <strong>tanaka@example.jp</strong>（初期パスワード: "
        r'<strong class="mono">([^<]+)</strong>）。初回ログイン後に画面右上の「パスワード変更」から変更するよう',
        html,
    )
    assert found, html
    assert "no-store" in shown["Cache-Control"]
    assert authenticate(username="tanaka@example.jp", password=found.group(1)) is not None
    assert '<td data-label="メールアドレス">tanaka@example.jp</td>' in html
    assert re.search(r'<td data-label="作成日">令和\d+年\d+月\d+日</td>', html)

    again = client.get(f"/companies/{own.pk}/").content.decode()
    assert found.group(1) not in again and "初期パスワード" not in again
    assert '<td data-label="メールアドレス">tanaka@example.jp</td>' in again


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("tanaka@", "メールアドレスの形式が正しくありません。"),
        ("", "メールアドレスを入力してください。"),
        ("jisha@example.jp", "このメールアドレスはすでに利用者として登録されています。"),
    ],
)
def test_errors_are_422_next_to_the_field_and_keep_the_input(
    client, coordinator, own, company_user, password, typed, message
):
    client.login(username=coordinator.username, password=password)
    response = client.post(f"/companies/{own.pk}/logins/", {"email": typed})
    html = response.content.decode()
    assert response.status_code == 422
    assert f'<span class="field-error" id="login_email-error">{message}</span>' in html
    assert f'value="{typed}"' in html if typed else 'name="email"' in html
    assert CompanyAccount.objects.count() == 1


def test_only_staff_who_may_edit_see_and_use_the_form(client, make_staff, own, password):
    viewer = make_staff("chiba_pref", StaffRole.VIEWER)
    client.login(username=viewer.username, password=password)
    assert "企業ログイン" not in client.get(f"/companies/{own.pk}/").content.decode()
    assert client.post(f"/companies/{own.pk}/logins/", {"email": "v@example.jp"}).status_code == 403
    bank = make_staff("chiba_bank_a", StaffRole.SECRETARIAT)
    client.login(username=bank.username, password=password)
    assert client.post(f"/companies/{own.pk}/logins/", {"email": "b@example.jp"}).status_code == 404
    assert not CompanyAccount.objects.exists()


def test_the_form_needs_its_csrf_token(coordinator, own, password):
    client = Client(enforce_csrf_checks=True)
    client.login(username=coordinator.username, password=password)
    assert client.post(f"/companies/{own.pk}/logins/", {"email": "c@example.jp"}).status_code == 403
    assert 'name="csrfmiddlewaretoken"' in client.get(f"/companies/{own.pk}/").content.decode()
    assert not CompanyAccount.objects.exists()


# --- stopping and resuming a login ------------------------------------------------------------------------------


def test_staff_stop_and_resume_a_company_login(make_staff, own, company_user, password):
    from renkei.companies.accounts import own_company

    staff = make_staff("chiba_pref", StaffRole.MEMBER)
    client = Client()
    client.force_login(staff)
    account = CompanyAccount.objects.get(user=company_user)
    url = f"/companies/{own.pk}/logins/{account.pk}/active/"
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert f"企業ログイン {company_user.email} を停止しました。" in response.content.decode()
    assert "停止中" in response.content.decode()
    account.refresh_from_db()
    company_user.refresh_from_db()
    assert not account.is_active and not company_user.is_active
    assert authenticate(username="jisha@example.jp", password=password) is None
    assert own_company(company_user) is None
    client.post(url, {"active": "1"})
    company_user.refresh_from_db()
    assert CompanyAccount.objects.get(pk=account.pk).is_active and company_user.is_active
    assert authenticate(username="jisha@example.jp", password=password) is not None


def test_who_may_not_stop_a_login_and_nothing_changes(make_staff, orgs, own, company_user):
    account = CompanyAccount.objects.get(user=company_user)
    url = f"/companies/{own.pk}/logins/{account.pk}/active/"
    bank = Client()
    bank.force_login(
        make_staff("chiba_bank_a", StaffRole.MEMBER)
    )  # cannot see the company: as if it did not exist
    assert bank.post(url).status_code == 404
    other = CompanyFactory(owner_organization=orgs["chiba_pref"], name="株式会社別会社")
    staff = Client()
    staff.force_login(make_staff("chiba_pref", StaffRole.MEMBER))
    assert (
        staff.post(f"/companies/{other.pk}/logins/{account.pk}/active/").status_code == 404
    )  # not its login
    itself = Client()
    itself.force_login(company_user)
    assert itself.post(url).status_code in (302, 403)  # not staff: refused like every staff page
    assert CompanyAccount.objects.get(pk=account.pk).is_active
