"""The public search page: a need in plain words → explained results from every kind, eligibility verdicts from a
typed (or, for staff, a registered) company, filters, 「もっと見る」, sources — and nothing anyone may not see."""

from __future__ import annotations

import re

import pytest

from renkei.cases.intake import case_create
from renkei.catalog import services as catalog
from renkei.catalog.models import CatalogSource, Equipment
from renkei.core.models import Municipality, Prefecture
from renkei.network.choices import StaffRole
from renkei.network.models import PartnerNetwork, PartnerNetworkMember

from .factories import CompanyFactory, OrganizationFactory, RegionFactory

NEED = "樹脂成形品の強度を測りたい"


@pytest.fixture(autouse=True)
def _own_index(fresh_index):
    """Pages here search: the index lives in this test's own directory (built from this test's data on first
    use), never in the developer's data directory."""


@pytest.fixture
def items(superuser, orgs):
    tester = catalog.equipment_create(
        actor=superuser,
        data={
            "organization": orgs["chiba_lab"].pk,
            "name": "万能材料試験機",
            "category": "試験・評価",
            "specifications": "金属・樹脂の引張強度と曲げ強度を測定できる。",
            "fee_summary": "1時間 1,600円",
        },
    )
    program = catalog.program_create(
        actor=superuser,
        data={
            "organization": orgs["chiba_pref"].pk,
            "title": "ものづくり設備投資補助金",
            "kind": "補助金",
            "summary": "中小企業の設備投資と樹脂成形の生産性向上を補助する。",
            "rate_text": "2/3以内",
            "cap_yen": "1,500万円",
            "eligibility": {"employees": {"min": None, "max": 300}, "prefectures": ["12"]},
        },
    )
    return {"tester": tester, "program": program}


def _get(client, **params):
    return client.get("/search/", params)


def test_the_page_has_one_text_box_and_the_nav_link(client, db):
    response = client.get("/search/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<a href="/search/" aria-current="page">探す</a>' in html
    assert "困りごと・やりたいことを入力" in html and 'name="q"' in html
    assert "過去の相談" not in html  # staff only
    assert "探したい内容を入力してください" not in html  # no search yet, no error


def test_a_need_finds_explained_results_without_a_login(client, items, fresh_index):
    fresh_index()
    response = _get(client, q=NEED)
    html = response.content.decode()
    assert response.status_code == 200
    tester = items["tester"]
    assert f'<a href="/catalog/equipment/{tester.pk}/">万能材料試験機</a>' in html
    article = html[html.index(f'id="match-equipment-{tester.pk}"') :]
    article = article[: article.index("</article>")]
    assert '<span class="badge kind-badge kind-equipment">機器</span>' in article
    assert "<mark>樹脂</mark>" in article and "<mark>強度</mark>" in article
    assert re.search(r"入力と同じ言葉: .*<strong>樹脂</strong>", article)
    assert "「樹脂成形品の強度を測りたい」に合う候補" in html


@pytest.mark.parametrize("q", ["", "   ", "\u3000\u3000", "！？"])
def test_an_empty_query_is_an_error_next_to_the_field(client, db, q):
    response = _get(client, q=q)
    html = response.content.decode()
    assert response.status_code == 422
    assert '<span class="field-error" id="search_q-error">探したい内容を入力してください。</span>' in html
    assert 'aria-describedby="search_q-error search_q-help"' in html and 'aria-invalid="true"' in html
    assert "入力内容を確認してください" in html  # the error summary


def test_a_query_over_10000_characters_is_refused(client, db):
    response = _get(client, q="あ" * 10_001)
    assert response.status_code == 422
    assert "10,000 文字以内で入力してください（10,001 文字）。" in response.content.decode()


def test_an_unknown_kind_is_refused_and_anonymous_users_cannot_ask_for_cases(client, db):
    response = _get(client, q=NEED, kind="robot")
    assert response.status_code == 422
    assert "種類「robot」は選べません。" in response.content.decode()
    response = _get(client, q=NEED, kind="case")
    assert response.status_code == 422
    assert "種類「case」は選べません。" in response.content.decode()


def test_kind_filter_keeps_only_that_kind(client, items, fresh_index):
    fresh_index()
    html = _get(client, q=NEED, kind="program").content.decode()
    assert "ものづくり設備投資補助金" in html and "万能材料試験機" not in html


@pytest.fixture
def confidential(make_staff, orgs, case_config):
    lab = make_staff("chiba_lab", StaffRole.COORDINATOR)
    return case_create(
        actor=lab,
        data={
            "title": "ゾルゲル膜の密着不良",
            "summary": "ゾルゲル膜の剥離の相談",
            "text": "詳細",
            "channel": "phone",
        },
        organization_id=orgs["chiba_lab"].pk,
    )


def test_a_case_never_reaches_another_organization_or_the_public(
    client, confidential, fresh_index, make_staff, password
):
    fresh_index()
    assert "ゾルゲル膜の密着不良" not in _get(client, q="ゾルゲル膜の密着").content.decode()
    outsider = make_staff("yamagata_center", StaffRole.COORDINATOR)
    client.login(username=outsider.username, password=password)
    for params in ({"q": "ゾルゲル膜の密着"}, {"q": "ゾルゲル膜の密着", "kind": "case"}):
        response = _get(client, **params)
        assert response.status_code == 200
        assert "ゾルゲル膜" not in response.content.decode().split("に合う候補", 1)[1]
    bank = make_staff("chiba_bank_a", StaffRole.MEMBER)  # same region, not the lead, no hand-off
    client.login(username=bank.username, password=password)
    assert "ゾルゲル膜の密着不良" not in _get(client, q="ゾルゲル膜の密着", kind="case").content.decode()
    insider = make_staff("chiba_lab", StaffRole.MEMBER, username="lab-member")
    client.login(username=insider.username, password=password)
    html = _get(client, q="ゾルゲル膜の密着", kind="case").content.decode()
    assert f'<a href="/cases/{confidential.pk}/">ゾルゲル膜の密着不良</a>' in html
    assert '<span class="badge kind-badge kind-case">過去の相談</span>' in html


def test_unpublished_items_only_for_their_staff_and_the_regions_secretariat(
    client, superuser, orgs, fresh_index, make_staff, password
):
    catalog.equipment_create(
        actor=superuser,
        data={"organization": orgs["chiba_lab"].pk, "name": "非公開の蛍光X線分析装置", "is_public": False},
    )
    fresh_index()
    q = {"q": "蛍光X線分析装置"}
    assert "非公開の蛍光X線分析装置" not in _get(client, **q).content.decode()
    for org_key, role, sees in (
        ("yamagata_pref", StaffRole.SECRETARIAT, False),
        ("chiba_bank_a", StaffRole.MEMBER, False),
        ("chiba_lab", StaffRole.VIEWER, True),
        ("chiba_pref", StaffRole.SECRETARIAT, True),
    ):
        user = make_staff(org_key, role)
        client.login(username=user.username, password=password)
        html = _get(client, **q).content.decode()
        assert ("非公開の蛍光X線分析装置" in html) is sees, (org_key, role)
        if sees:
            assert '<span class="badge badge-muted">非公開</span>' in html


def test_typed_company_gives_verdicts_and_full_width_digits_are_read(client, items, fresh_index):
    fresh_index()
    program = items["program"]
    html = _get(client, q="設備投資の補助金", employees="３２０", prefecture="12").content.decode()
    article = html[html.index(f'id="match-program-{program.pk}"') :]
    article = article[: article.index("</article>")]
    assert (
        '<span class="badge elig-near_miss"><span class="visually-hidden">対象の判定: </span>あと少しで対象</span>'
        in article
    )
    assert "従業員数 320 人: 上限 300 人を 20 人超えています" in article
    assert "入力された企業の情報で、対象になるかを判定しています。" in html
    # the program's link carries the profile to its own check
    assert (
        f"/catalog/programs/{program.pk}/?employees=%EF%BC%93%EF%BC%92%EF%BC%90&amp;prefecture=12#eligibility"
        in html
    )


def test_excluding_programs_the_company_is_not_eligible_for(client, items, fresh_index):
    fresh_index()
    params = {"q": "設備投資の補助金", "employees": "5000", "prefecture": "12", "eligible_only": "on"}
    html = _get(client, **params).content.decode()
    assert "ものづくり設備投資補助金" not in html
    assert "対象外の施策は除いています。" in html
    params["employees"] = "50"
    html = _get(client, **params).content.decode()
    assert "ものづくり設備投資補助金" in html and "elig-eligible" in html


def test_bad_profile_input_is_a_japanese_error_on_its_field(client, items, fresh_index):
    fresh_index()
    response = _get(client, q="設備投資の補助金", employees="たくさん", founded="来年")
    html = response.content.decode()
    assert response.status_code == 422
    assert (
        'id="elig_employees-error">従業員数は 300人、1,200 のように数字で入力してください（入力: たくさん）。'
        in html
    )
    assert "設立年は 2019、2019年4月、令和元年、2019-04-01 のように入力してください" in html
    assert "ものづくり設備投資補助金" in html  # the search still ran, without verdicts
    assert "elig-near_miss" not in html and "elig-eligible" not in html
    assert '<details class="inline-details elig-form" open id="eligibility">' in html


def test_staff_may_judge_with_a_registered_company(client, items, fresh_index, make_staff, password, orgs):
    fresh_index()
    coordinator = make_staff("chiba_pref", StaffRole.COORDINATOR)
    company = CompanyFactory(
        owner_organization=orgs["chiba_pref"],
        name="株式会社検索樹脂",
        employees=40,
        capital=10_000_000,
        municipality=Municipality.objects.get(code="122033"),
    )
    client.login(username=coordinator.username, password=password)
    html = _get(client, q="設備投資の補助金", company=f"株式会社検索樹脂（ID {company.pk}）").content.decode()
    assert "「株式会社検索樹脂」の登録情報で、対象になるかを判定しています。" in html
    assert '<span class="badge elig-eligible">' in html
    hidden = CompanyFactory(owner_organization=orgs["yamagata_pref"], name="株式会社見えない")
    response = _get(client, q="設備投資の補助金", company=f"株式会社見えない（ID {hidden.pk}）")
    assert response.status_code == 422
    assert "この企業は見つかりません（閲覧できる企業から選んでください）。" in response.content.decode()


def test_region_filter_and_partner_networks(client, superuser, orgs, fresh_index):
    tokyo = Prefecture.objects.get(code="13")
    partner_region = RegionFactory(prefecture=tokyo, name="東京都", slug="tokyo", is_home=False)
    partner = OrganizationFactory(name="東京の研究所", region=partner_region)
    network = PartnerNetwork.objects.create(name="首都圏公設試ネットワーク")
    PartnerNetworkMember.objects.create(network=network, organization=partner)
    PartnerNetworkMember.objects.create(network=network, organization=orgs["chiba_lab"])
    for org, name in (
        (orgs["chiba_lab"], "千葉の熱分析装置"),
        (orgs["yamagata_center"], "山形の熱分析装置"),
        (partner, "東京の熱分析装置"),
    ):
        Equipment.objects.create(
            organization=org, region=org.region, name=name, specifications="樹脂の熱分析"
        )
    fresh_index()
    html = _get(client, q="熱分析装置", kind="equipment").content.decode()
    assert all(n in html for n in ("千葉の熱分析装置", "山形の熱分析装置", "東京の熱分析装置"))
    html = _get(client, q="熱分析装置", kind="equipment", region="chiba").content.decode()
    assert "千葉の熱分析装置" in html and "山形の熱分析装置" not in html and "東京の熱分析装置" not in html
    html = _get(client, q="熱分析装置", kind="equipment", region="chiba", networks="on").content.decode()
    assert "千葉の熱分析装置" in html and "東京の熱分析装置" in html and "山形の熱分析装置" not in html
    html = _get(client, q="熱分析装置", kind="equipment", region="national").content.decode()
    assert "熱分析装置</a>" not in html
    assert _get(client, q="熱分析装置", region="atlantis").status_code == 422


def test_twenty_results_then_more(client, orgs, fresh_index):
    for i in range(26):
        Equipment.objects.create(
            organization=orgs["chiba_lab"], region=orgs["chiba_lab"].region, name=f"恒温恒湿槽{i:02d}号機"
        )
    fresh_index()
    html = _get(client, q="恒温恒湿槽", kind="equipment").content.decode()
    assert html.count('<article class="result ') == 20
    assert "上位 20 件を表示" in html
    more = re.search(r'<a class="button secondary" href="(\?[^"]*n=50[^"]*)#search-results"', html)
    assert more, "「もっと見る」 link"
    html = client.get("/search/" + more.group(1).replace("&amp;", "&")).content.decode()
    assert html.count('<article class="result ') == 26 and "もっと見る" not in html
    assert _get(client, q="恒温恒湿槽", n="500").status_code == 422


def test_sources_of_the_results_are_credited(client, items, fresh_index):
    source = CatalogSource.objects.create(
        name="KAKEN", attribution="出典: KAKEN（国立情報学研究所）CC BY 4.0", licence="CC BY 4.0"
    )
    Equipment.objects.filter(pk=items["tester"].pk).update(source=source)
    fresh_index()
    html = _get(client, q=NEED).content.decode()
    assert '<div class="sources">' in html and "出典: KAKEN（国立情報学研究所）CC BY 4.0" in html


def test_reference_lookups_work_without_a_login(client, db):
    html = client.get("/search/suggest/jsic/", {"jsic_code": "2422"}).content.decode()
    assert '<datalist id="jsic-options">' in html and 'value="2422"' in html
    html = client.get("/search/suggest/municipality/", {"municipality": "市川"}).content.decode()
    assert 'value="122033"' in html and "千葉県市川市" in html


def test_htmx_search_answers_the_page_for_the_swap(client, items, fresh_index):
    fresh_index()
    response = client.get("/search/", {"q": ""}, headers={"HX-Request": "true"})
    assert response.status_code == 422  # app.js swaps 422 in, so the error shows where it belongs
    assert 'id="search-main"' in response.content.decode()
