"""The catalog pages: lists with filters and pages of 50, a page per item with every field, its source, 「似ている
候補」 and — for programs — the rules in words and an eligibility check; unpublished items for their people only."""

from __future__ import annotations

import datetime as dt

import pytest

from renkei.catalog import services as catalog
from renkei.catalog.models import CatalogSource, Equipment, Researcher, ResearchSeed
from renkei.core.models import Municipality
from renkei.network.choices import StaffRole
from renkei.web.eligibility_text import describe_rules

from .factories import CompanyFactory


@pytest.fixture(autouse=True)
def _own_index(fresh_index):
    """Pages here search: the index lives in this test's own directory (built from this test's data on first
    use), never in the developer's data directory."""


@pytest.fixture
def program(superuser, orgs):
    return catalog.program_create(
        actor=superuser,
        data={
            "organization": orgs["chiba_pref"].pk,
            "title": "ものづくり研究開発補助金",
            "kind": "補助金",
            "summary": "新製品・新技術の研究開発を補助します。",
            "purposes": "研究開発",
            "rate_text": "補助対象経費の２／３以内",
            "cap_yen": "1,500万円",
            "opens_on": "2026-04-01",
            "closes_on": "2026-06-30",
            "eligibility": {
                "size_classes": ["sme"],
                "employees": {"min": None, "max": 300},
                "jsic": ["E"],
                "prefectures": ["12"],
            },
            "eligibility_text": "千葉県内に事業所を有する中小企業者",
        },
    )


@pytest.fixture
def seed(superuser, orgs):
    researcher = catalog.researcher_create(
        actor=superuser,
        data={
            "name": "連携 太郎",
            "affiliation": "千葉県産業支援技術研究所 材料技術室",
            "organization": orgs["chiba_lab"].pk,
        },
    )
    return catalog.seed_create(
        actor=superuser,
        data={
            "title": "セルロースナノファイバー強化樹脂の成形技術",
            "summary": "植物由来の繊維で樹脂を補強し、軽くて強い成形品をつくる。",
            "keywords": "CNF、樹脂、成形",
            "institution": orgs["chiba_lab"].pk,
            "researcher": researcher.pk,
            "ip_status": "出願中",
            "stage": "応用研究",
        },
    )


@pytest.fixture
def chamber(superuser, orgs):
    return catalog.equipment_create(
        actor=superuser,
        data={
            "organization": orgs["chiba_lab"].pk,
            "name": "恒温恒湿槽",
            "maker": "エスペック",
            "model_number": "PR-3J",
            "category": "環境試験",
            "specifications": "温度 -20〜+85℃\n湿度 20〜98%RH",
            "location": "本館2階 環境試験室",
            "fee_summary": "1日 4,500円",
            "external_use": "はい",
        },
    )


def test_every_list_page_answers_without_a_login(client, program, seed, chamber):
    for kind, shown in (
        ("programs", "ものづくり研究開発補助金"),
        ("seeds", "セルロースナノファイバー強化樹脂の成形技術"),
        ("equipment", "恒温恒湿槽"),
        ("test-services", "条件に合う依頼試験はありません"),
        ("researchers", "連携 太郎"),
    ):
        response = client.get(f"/catalog/{kind}/")
        assert response.status_code == 200, kind
        assert shown in response.content.decode(), kind
    assert client.get("/catalog/robots/").status_code == 404
    assert client.get("/catalog/robots/1/").status_code == 404


def test_program_list_shows_rate_cap_and_window(client, program):
    html = client.get("/catalog/programs/").content.decode()
    assert "2/3・上限 1,500 万円" in html
    assert '令和8年4月1日</span>〜<span class="nowrap">令和8年6月30日' in html
    assert "令和8年度" in html


def test_lists_filter_and_page_by_fifty(client, orgs, superuser):
    for i in range(51):
        Equipment.objects.create(
            organization=orgs["chiba_lab"],
            region=orgs["chiba_lab"].region,
            name=f"試験機{i:02d}",
            category="testing",
        )
    Equipment.objects.create(
        organization=orgs["yamagata_center"],
        region=orgs["yamagata_center"].region,
        name="山形の分析装置",
        category="analysis",
    )
    html = client.get("/catalog/equipment/").content.decode()
    assert "52 件" in html and html.count('<td data-label="機器名">') == 50 and "次の50件" in html
    page2 = client.get("/catalog/equipment/", {"page": 2}).content.decode()
    assert page2.count('<td data-label="機器名">') == 2
    html = client.get("/catalog/equipment/", {"category": "analysis"}).content.decode()
    assert "1 件" in html and "山形の分析装置" in html
    html = client.get("/catalog/equipment/", {"organization": orgs["yamagata_center"].pk}).content.decode()
    assert "山形の分析装置" in html and "試験機00" not in html
    html = client.get("/catalog/equipment/", {"q": "試験機0"}).content.decode()
    assert "10 件（絞り込み中）" in html
    response = client.get("/catalog/equipment/", {"category": "宇宙"})
    assert response.status_code == 422
    assert "分類「宇宙」はありません。" in response.content.decode()


def test_programs_filter_by_kind_and_fiscal_year(client, program, superuser, orgs):
    catalog.program_create(
        actor=superuser,
        data={
            "organization": orgs["chiba_pref"].pk,
            "title": "設備資金融資",
            "kind": "融資",
            "fiscal_year": "令和7年度",
        },
    )
    html = client.get("/catalog/programs/", {"program_kind": "loan"}).content.decode()
    assert "設備資金融資" in html and "ものづくり研究開発補助金" not in html
    html = client.get("/catalog/programs/", {"fiscal_year": 2026}).content.decode()
    assert "ものづくり研究開発補助金" in html and "設備資金融資" not in html
    assert '<option value="2025">令和7年度</option>' in html
    assert client.get("/catalog/programs/", {"fiscal_year": "1999"}).status_code == 422


def test_program_page_has_rate_cap_window_and_rules_in_words(client, program):
    html = client.get(f"/catalog/programs/{program.pk}/").content.decode()
    assert "<strong>2/3</strong>" in html and "<strong>1,500 万円</strong>" in html
    assert "令和8年4月1日 〜 令和8年6月30日" in html and "令和8年度" in html
    for label, words in (
        ("企業規模", "中小企業者（小規模企業者を含む）"),
        ("従業員数", "300 人以下"),
        ("業種", "製造業"),
        ("所在地", "千葉県"),
    ):
        assert f"<dt>{label}</dt><dd>{words}</dd>" in html
    assert "千葉県内に事業所を有する中小企業者" in html  # the original wording


def test_program_eligibility_check_gives_every_checks_message(client, program):
    params = {"employees": "３２０", "jsic_code": "2422", "prefecture": "12", "capital": "5000万円"}
    response = client.get(f"/catalog/programs/{program.pk}/", params)
    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="badge elig-near_miss">あと少しで対象</span>' in html
    assert "従業員数 320 人: 上限 300 人を 20 人超えています" in html
    assert "所在地 千葉県: 対象地域（千葉県）内です" in html
    assert html.count('<span class="outcome outcome-') == 4  # one line per rule
    html = client.get(f"/catalog/programs/{program.pk}/", {"prefecture": "12"}).content.decode()
    assert "判定に必要な情報が不足" in html and "判定には次の情報が必要です:" in html


def test_program_eligibility_check_bad_input(client, program):
    response = client.get(f"/catalog/programs/{program.pk}/", {"employees": "-5", "municipality": "府中市"})
    html = response.content.decode()
    assert response.status_code == 422
    assert "従業員数は0以上で入力してください（入力: -5）。" in html
    assert "「府中市」は複数あります" in html
    assert 'class="verdict' not in html


def test_staff_check_a_registered_company(client, program, make_staff, password, orgs):
    coordinator = make_staff("chiba_pref", StaffRole.COORDINATOR)
    company = CompanyFactory(
        owner_organization=orgs["chiba_pref"],
        name="株式会社判定製作所",
        employees=30,
        capital=20_000_000,
        municipality=Municipality.objects.get(code="122033"),
        jsic_id="2422",
    )
    client.login(username=coordinator.username, password=password)
    html = client.get(
        f"/catalog/programs/{program.pk}/", {"company": f"株式会社判定製作所（ID {company.pk}）"}
    ).content.decode()
    assert "「株式会社判定製作所」は対象" in html and '<span class="badge elig-eligible">対象</span>' in html


def test_seed_page_shows_researcher_ip_and_stage(client, seed):
    html = client.get(f"/catalog/seeds/{seed.pk}/").content.decode()
    assert f'<a href="/catalog/researchers/{seed.researcher_id}/">連携 太郎</a>' in html
    assert "<dt>知的財産</dt><dd>出願中</dd>" in html and "<dt>研究段階</dt><dd>応用研究</dd>" in html
    html = client.get(f"/catalog/researchers/{seed.researcher_id}/").content.decode()
    assert "セルロースナノファイバー強化樹脂の成形技術" in html


def test_equipment_page_shows_specifications_fee_owner_and_external_use(client, chamber, orgs):
    html = client.get(f"/catalog/equipment/{chamber.pk}/").content.decode()
    assert "温度 -20〜+85°C<br>湿度 20〜98%RH" in html
    assert "<dt>利用料金</dt><dd>1日 4,500円</dd>" in html
    assert f'<a href="/organizations/{orgs["chiba_lab"].pk}/">千葉県産業支援技術研究所</a>' in html
    assert '<span class="badge badge-yes">外部利用可</span>' in html
    assert "エスペック PR-3J" in html


def test_detail_pages_credit_their_source_and_show_similar_items(client, seed, superuser, orgs, fresh_index):
    source = CatalogSource.objects.create(
        name="KAKEN", attribution="出典: KAKEN（国立情報学研究所）CC BY 4.0"
    )
    ResearchSeed.objects.filter(pk=seed.pk).update(source=source)
    for i in range(7):
        catalog.seed_create(
            actor=superuser,
            data={
                "title": f"樹脂の成形技術{i}",
                "summary": "樹脂 成形 強化",
                "institution": orgs["chiba_lab"].pk,
            },
        )
    fresh_index()
    html = client.get(f"/catalog/seeds/{seed.pk}/").content.decode()
    assert "出典: KAKEN（国立情報学研究所）CC BY 4.0" in html
    similar = html[html.index('id="similar-title"') :]
    assert similar.count('<article class="result ') == 5
    assert f'id="match-seed-{seed.pk}"' not in similar  # never itself
    assert "樹脂の成形技術" in similar


def test_unpublished_items_for_their_staff_and_the_regions_secretariat_only(
    client, superuser, orgs, make_staff, password
):
    hidden = catalog.equipment_create(
        actor=superuser,
        data={"organization": orgs["chiba_lab"].pk, "name": "非公開の電子顕微鏡", "is_public": False},
    )
    url = f"/catalog/equipment/{hidden.pk}/"
    assert client.get(url).status_code == 404
    assert "非公開の電子顕微鏡" not in client.get("/catalog/equipment/").content.decode()
    for org_key, role, status in (
        ("yamagata_pref", StaffRole.SECRETARIAT, 404),
        ("chiba_bank_a", StaffRole.COORDINATOR, 404),
        ("chiba_lab", StaffRole.VIEWER, 200),
        ("chiba_pref", StaffRole.SECRETARIAT, 200),
    ):
        user = make_staff(org_key, role)
        client.login(username=user.username, password=password)
        response = client.get(url)
        assert response.status_code == status, (org_key, role)
        listed = "非公開の電子顕微鏡" in client.get("/catalog/equipment/").content.decode()
        assert listed is (status == 200)
        if status == 200:
            assert "非公開" in response.content.decode()


def test_a_researcher_page_lists_only_the_seeds_one_may_see(client, superuser, orgs):
    researcher = Researcher.objects.create(
        name="公開 花子", organization=orgs["chiba_lab"], region=orgs["chiba_lab"].region
    )
    for title, public in (("公開の研究", True), ("未公開の研究", False)):
        ResearchSeed.objects.create(
            title=title,
            researcher=researcher,
            institution=orgs["chiba_lab"],
            is_public=public,
            region=orgs["chiba_lab"].region,
        )
    html = client.get(f"/catalog/researchers/{researcher.pk}/").content.decode()
    assert "公開の研究" in html and "未公開の研究" not in html


def test_window_state_badge(client, superuser, orgs):
    today = dt.date.today()
    open_program = catalog.program_create(
        actor=superuser,
        data={
            "organization": orgs["chiba_pref"].pk,
            "title": "受付中の補助金",
            "opens_on": (today - dt.timedelta(days=10)).isoformat(),
            "closes_on": (today + dt.timedelta(days=30)).isoformat(),
        },
    )
    html = client.get(f"/catalog/programs/{open_program.pk}/").content.decode()
    assert '<span class="badge badge-yes">受付中</span>' in html


def test_rules_in_words_cover_every_rule_and_broken_rules(db):
    lines, problem = describe_rules(
        {
            "capital": {"min": 10_000_000, "max": 300_000_000},
            "company_age_years": {"min": None, "max": 5},
            "municipalities": ["122033", "12204"],
            "stages": ["販路開拓", "試作"],
            "size_classes": ["small"],
        }
    )
    assert problem == ""
    assert lines == [
        ("企業規模", "小規模企業者"),
        ("資本金", "1,000 万円以上 3 億円以下"),
        ("設立からの年数", "設立 5 年以内"),
        ("所在地", "千葉県市川市、千葉県船橋市のいずれか"),
        ("事業段階", "試作・販路開拓"),
    ]
    assert describe_rules({}) == ([], "")
    lines, problem = describe_rules({"employees": {"max": "たくさん"}})
    assert lines == [] and "対象要件の設定に誤りがある" in problem
