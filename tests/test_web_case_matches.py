"""The matches panel of a case: its own request (the case page costs nothing more), the case as the viewer may read
it as the query (a 概要のみ reader's query has no 相談内容), explained suggestions, 「役に立つ」/「役に立たない」 with
and without JavaScript, 「この機関に紹介」 into the hand-off form — and no case leaking to another organization."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from renkei.cases.choices import ConsentScope
from renkei.cases.handoffs import handoff_request
from renkei.cases.intake import case_create
from renkei.catalog import services as catalog
from renkei.core.models import Municipality
from renkei.matching.models import MatchFeedback
from renkei.network.choices import StaffRole

from .factories import CompanyFactory

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def _own_index(fresh_index):
    """The panel searches: the index lives in this test's own directory, built from this test's data."""


@pytest.fixture
def people(make_staff):
    return {
        "lab": make_staff("chiba_lab", StaffRole.COORDINATOR),
        "pref": make_staff("chiba_pref", StaffRole.COORDINATOR),
        "yamagata": make_staff("yamagata_center", StaffRole.COORDINATOR),
    }


@pytest.fixture
def resources(superuser, orgs):
    return {
        "tester": catalog.equipment_create(
            actor=superuser,
            data={
                "organization": orgs["chiba_pref"].pk,
                "name": "樹脂部品の引張試験機",
                "specifications": "樹脂部品の引張強度・曲げ強度を評価する。",
            },
        ),
        "copper": catalog.test_service_create(
            actor=superuser,
            data={
                "organization": orgs["chiba_pref"].pk,
                "name": "ベリリウム銅ばねの疲労試験",
                "method": "JIS Z 2273",
            },
        ),
        "program": catalog.program_create(
            actor=superuser,
            data={
                "organization": orgs["chiba_pref"].pk,
                "title": "樹脂部品の評価を支援する補助金",
                "summary": "樹脂部品の強度評価にかかる費用を補助する。",
                "eligibility": {"employees": {"min": None, "max": 300}, "prefectures": ["12"]},
            },
        ),
    }


@pytest.fixture
def case(people, orgs, case_config):
    data = {
        "title": "樹脂部品の強度評価",
        "summary": "樹脂部品の強度を評価したい",
        "text": "ベリリウム銅ばねと樹脂部品を組み合わせた製品の疲労試験をしたい。",
        "channel": "phone",
    }
    return case_create(actor=people["lab"], data=data, organization_id=orgs["chiba_lab"].pk)


def _panel(client, case_id: int, **headers: str):
    return client.get(f"/cases/{case_id}/matches/", headers=headers or HX)


def test_the_case_page_only_holds_a_placeholder(client, case, people, password, resources, fresh_index):
    fresh_index()
    client.login(username=people["lab"].username, password=password)
    client.get(f"/cases/{case.pk}/")  # warm per-process caches
    with CaptureQueriesContext(connection) as captured:
        html = client.get(f"/cases/{case.pk}/").content.decode()
    assert f'hx-get="/cases/{case.pk}/matches/" hx-trigger="load"' in html
    assert f'<a href="/cases/{case.pk}/matches/">研究シーズ・機器・支援施策などの候補を表示する</a>' in html
    touched = " ".join(q["sql"] for q in captured.captured_queries)
    assert "catalog_" not in touched and "matching_" not in touched  # the panel is its own request


def test_the_panel_explains_suggestions_and_leaves_the_case_out(
    client, case, people, password, resources, fresh_index
):
    fresh_index()
    client.login(username=people["lab"].username, password=password)
    response = _panel(client, case.pk)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith("<section") and "<html" not in html  # the partial for htmx
    tester = resources["tester"]
    assert f'<a href="/catalog/equipment/{tester.pk}/">樹脂部品の引張試験機</a>' in html
    assert '<span class="badge kind-badge kind-equipment">機器</span>' in html and "<mark>樹脂</mark>" in html
    assert f"case:{case.pk}" not in html and f'href="/cases/{case.pk}/"' not in html
    assert "件名・概要・相談内容から" in html
    assert html.count('aria-pressed="false"') >= 2
    # without JavaScript: a page of its own
    page = _panel(client, case.pk, **{"Accept": "text/html"}).content.decode()
    assert "<html" in page and "関連する資源の候補" in page and f'href="/cases/{case.pk}/"' in page


def test_the_panel_judges_programs_with_the_cases_company(
    client, people, orgs, case_config, password, resources, fresh_index
):
    company = CompanyFactory(
        owner_organization=orgs["chiba_lab"],
        name="株式会社パネル樹脂",
        employees=20,
        municipality=Municipality.objects.get(code="122033"),
    )
    case = case_create(
        actor=people["lab"],
        data={
            "title": "樹脂部品の強度評価の費用",
            "text": "樹脂部品の評価の補助金を探している",
            "channel": "phone",
            "company_id": company.pk,
        },
        organization_id=orgs["chiba_lab"].pk,
    )
    fresh_index()
    client.login(username=people["lab"].username, password=password)
    html = _panel(client, case.pk).content.decode()
    assert "企業の登録情報で対象かどうかも判定" in html
    program = resources["program"]
    article = html[html.index(f'id="match-program-{program.pk}"') :]
    assert '<span class="badge elig-eligible">' in article[: article.index("</article>")]


def test_feedback_with_htmx_swaps_the_buttons_and_is_kept(
    client, case, people, password, resources, fresh_index
):
    fresh_index()
    client.login(username=people["lab"].username, password=password)
    key = f"equipment:{resources['tester'].pk}"
    url = f"/cases/{case.pk}/matches/feedback/"
    response = client.post(url, {"item_key": key, "useful": "1", "rank": "1", "score": "2.5"}, headers=HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="fb-equipment-{resources["tester"].pk}-yes"' in html
    assert re.search(r'value="1" id="fb-[^"]+-yes" class="small" aria-pressed="true"', html)
    assert "「役に立つ」と記録しました。" in html
    saved = MatchFeedback.objects.get()
    assert (saved.item_key, saved.useful, saved.rank, saved.score, saved.user) == (
        key,
        True,
        1,
        2.5,
        people["lab"],
    )
    assert saved.query_text.startswith("樹脂部品の強度評価") and "ベリリウム銅" in saved.query_text
    assert saved.index_version  # the version the suggestion came from
    client.post(url, {"item_key": key, "useful": "0"}, headers=HX)
    assert MatchFeedback.objects.get().useful is False
    html = _panel(client, case.pk).content.decode()
    assert "「役に立たない」と記録済み" in html


def test_feedback_without_javascript_comes_back_to_the_panel(
    client, case, people, password, resources, fresh_index
):
    fresh_index()
    client.login(username=people["lab"].username, password=password)
    key = f"equipment:{resources['tester'].pk}"
    response = client.post(f"/cases/{case.pk}/matches/feedback/", {"item_key": key, "useful": "1"})
    assert response.status_code == 302
    assert response["Location"] == f"/cases/{case.pk}/matches/#match-equipment-{resources['tester'].pk}"
    html = client.get(response["Location"]).content.decode()
    assert "候補の評価を「役に立つ」と記録しました。" in html
    assert re.search(r'aria-pressed="true" aria-describedby="title-equipment-\d+">', html)


def test_a_bogus_item_key_is_a_japanese_error(client, case, people, password):
    client.login(username=people["lab"].username, password=password)
    url = f"/cases/{case.pk}/matches/feedback/"
    response = client.post(url, {"item_key": "robot:1", "useful": "1"}, headers=HX)
    assert response.status_code == 422
    assert '<p class="field-error" role="alert">候補の種類「robot」はありません' in response.content.decode()
    response = client.post(url, {"item_key": "seed:abc", "useful": "1"}, follow=True)
    assert "候補の指定「seed:abc」が正しくありません（例: seed:12）。" in response.content.decode()
    response = client.post(url, {"item_key": f"case:{case.pk}", "useful": "maybe"}, headers=HX)
    assert response.status_code == 422
    assert "「役に立つ」か「役に立たない」かを選んでください。" in response.content.decode()
    assert not MatchFeedback.objects.exists()


def test_another_organizations_case_is_not_found(client, case, people, password):
    client.login(username=people["yamagata"].username, password=password)
    assert _panel(client, case.pk).status_code == 404
    response = client.post(
        f"/cases/{case.pk}/matches/feedback/", {"item_key": "seed:1", "useful": "1"}, headers=HX
    )
    assert response.status_code == 404
    assert _panel(client, 999_999).status_code == 404
    client.logout()
    response = _panel(client, case.pk)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not MatchFeedback.objects.exists()


def test_a_case_never_reaches_another_organizations_panel(client, case, people, orgs, password, fresh_index):
    secret = case_create(
        actor=people["lab"],
        data={
            "title": "ゾルゲル膜の密着不良",
            "summary": "ゾルゲル膜が剥がれる",
            "text": "機密",
            "channel": "phone",
        },
        organization_id=orgs["chiba_lab"].pk,
    )
    theirs = case_create(
        actor=people["yamagata"],
        data={
            "title": "ゾルゲル膜の密着を改善したい",
            "summary": "ゾルゲル膜の剥離",
            "text": "相談",
            "channel": "phone",
        },
        organization_id=orgs["yamagata_center"].pk,
    )
    ours = case_create(
        actor=people["lab"],
        data={
            "title": "ゾルゲル膜の剥離対策",
            "summary": "ゾルゲル膜の密着",
            "text": "相談",
            "channel": "phone",
        },
        organization_id=orgs["chiba_lab"].pk,
    )
    fresh_index()
    client.login(username=people["yamagata"].username, password=password)
    html = _panel(client, theirs.pk).content.decode()
    assert "ゾルゲル膜の密着不良" not in html and f"/cases/{secret.pk}/" not in html
    client.login(username=people["lab"].username, password=password)
    html = _panel(client, ours.pk).content.decode()
    assert f'<a href="/cases/{secret.pk}/">ゾルゲル膜の密着不良</a>' in html  # their own past case
    assert "ゾルゲル膜の密着を改善したい" not in html  # Yamagata's


def test_a_summary_only_reader_never_searches_with_the_detail(
    client, case, people, orgs, password, resources, fresh_index
):
    handoff_request(
        actor=people["lab"],
        case_id=case.pk,
        to_organization_id=orgs["chiba_pref"].pk,
        reason="評価機器のご紹介をお願いします",
        consent_scope=ConsentScope.SUMMARY,
    )
    fresh_index()
    client.login(username=people["pref"].username, password=password)
    html = _panel(client, case.pk).content.decode()
    assert "件名・概要から" in html and "件名・概要・相談内容から" not in html
    assert "ベリリウム" not in html  # neither the item the detail alone finds nor a word of the detail
    assert "<mark>樹脂</mark>" in html  # the title and summary still do
    client.post(
        f"/cases/{case.pk}/matches/feedback/",
        {"item_key": f"equipment:{resources['tester'].pk}", "useful": "1"},
        headers=HX,
    )
    assert "ベリリウム" not in MatchFeedback.objects.get().query_text
    # the lead reads the detail, and its panel finds what only the detail names
    client.login(username=people["lab"].username, password=password)
    html = _panel(client, case.pk).content.decode()
    assert "ベリリウム銅ばねの疲労試験" in html and "<mark>ベリリウム" in html


def test_introduce_links_open_the_handoff_form_with_the_body_chosen(
    client, case, people, orgs, password, resources, fresh_index, make_staff
):
    fresh_index()
    client.login(username=people["lab"].username, password=password)
    html = _panel(client, case.pk).content.decode()
    pref = orgs["chiba_pref"].pk
    link = f'href="/cases/{case.pk}/?to={pref}#panel-handoffs"'
    assert link in html and "この機関に紹介" in html
    assert f"?to={orgs['chiba_lab'].pk}#" not in html  # never to the lead itself
    page = client.get(f"/cases/{case.pk}/", {"to": pref}).content.decode()
    assert (
        '<details class="inline-details" open>\n            <summary>他の機関へ紹介・引継ぎを依頼する</summary>'
        in page
    )
    assert f'<option value="{pref}" selected>' in page
    # a viewer of the lead organization may not hand off: no link
    viewer = make_staff("chiba_lab", StaffRole.VIEWER)
    client.login(username=viewer.username, password=password)
    html = _panel(client, case.pk).content.decode()
    assert "この機関に紹介" not in html and "役に立つ" in html
    # once handed to it, the body is marked instead
    handoff_request(
        actor=people["lab"],
        case_id=case.pk,
        to_organization_id=pref,
        reason="ご支援ください",
        consent_scope="detail",
    )
    client.login(username=people["lab"].username, password=password)
    html = _panel(client, case.pk).content.decode()
    assert link not in html and "紹介済み" in html
