"""The demo: the networks of the two plans (faithful to the seeds), demo users, and the fictitious companies."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from stdnum.jp import cn

from renkei.companies.accounts import own_company
from renkei.companies.models import Company, Contact
from renkei.companies.services import can_edit_company, validator
from renkei.core.models import IndustryClass, Municipality
from renkei.core.text import nfkc
from renkei.demo.companies import (
    FICTION_MARK,
    TRADES,
    corporate_number,
    generate_company_rows,
    iter_company_rows,
)
from renkei.demo.loader import load_demo, read_data
from renkei.network.definition import network_definition_load
from renkei.network.models import Category, Membership, Organization, PartnerNetwork, TargetField
from renkei.network.selectors import staff_context

CHIBA_BODIES = {
    "千葉県",
    "公益財団法人千葉県産業振興センター",
    "公益社団法人千葉県情報サービス産業協会",
    "国立研究開発法人産業技術総合研究所",
    "国立大学法人千葉大学",
    "国立大学法人東京大学",
    "株式会社千葉銀行",
    "株式会社京葉銀行",
    "株式会社千葉興業銀行",
}
CHIBA_INSTITUTIONS = {  # named inside a body's role → (parent)
    "千葉県商工労働部産業振興課": "千葉県",
    "千葉県産業支援技術研究所": "千葉県",
    "千葉県東葛テクノプラザ": "公益財団法人千葉県産業振興センター",
    "国立研究開発法人産業技術総合研究所 柏センター": "国立研究開発法人産業技術総合研究所",
    "国立大学法人東京大学 柏キャンパス": "国立大学法人東京大学",
}
YAMAGATA_BODIES = {
    "山形県",
    "公益財団法人山形県産業技術振興機構",
    "公益財団法人山形県企業振興公社",
    "公益財団法人庄内地域産業振興センター",
    "国立大学法人山形大学",
    "慶應義塾大学先端生命科学研究所",
    "独立行政法人国立高等専門学校機構 鶴岡工業高等専門学校",
    "株式会社山形銀行",
    "株式会社荘内銀行",
    "株式会社きらやか銀行",
}


def load_network() -> None:
    for name in read_data("demo.json")["definitions"]:
        network_definition_load(data=read_data(name))


def org(region: str, name: str) -> Organization:
    return Organization.objects.select_related("parent").get(region__slug=region, name=name)


def role_texts(region: str, name: str) -> list[str]:
    return list(org(region, name).roles.order_by("sort_order").values_list("text", flat=True))


def capabilities(region: str, name: str) -> set[str]:
    return set(org(region, name).roles.values_list("capabilities__name", flat=True)) - {None}


# -- the networks of the plans --------------------------------------------------------------------------------
def test_chiba_has_the_nine_bodies_and_eleven_institutions_of_the_plan(db):
    load_network()
    members = Organization.objects.filter(region__slug="chiba", is_plan_member=True)

    assert set(members.filter(parent=None).values_list("name", flat=True)) == CHIBA_BODIES
    for name, parent in CHIBA_INSTITUTIONS.items():
        assert org("chiba", name).parent.name == parent
        assert org("chiba", name).is_plan_member
    # 9者11機関: the institutions that carry roles (a body whose role is carried by a unit counts as that unit).
    role_carriers = members.filter(roles__isnull=False).distinct()
    assert role_carriers.count() == 11
    for body in ("千葉県", "国立研究開発法人産業技術総合研究所", "国立大学法人東京大学"):
        assert not org("chiba", body).roles.exists()
    for body in CHIBA_BODIES:
        o = org("chiba", body)
        assert o.address and o.representative_title and o.representative_name, body
    assert org("chiba", "千葉県").representative_name == "熊谷 俊人"
    assert org("chiba", "公益財団法人千葉県産業振興センター").address.startswith(
        "千葉県千葉市美浜区中瀬2-6-1"
    )


def test_chiba_roles_follow_the_plan_lines_with_tags_and_categories(db):
    load_network()

    assert role_texts("chiba", "千葉県商工労働部産業振興課") == [
        "当該連携支援事業の代表者",
        "各支援機関との連絡調整",
        "連絡支援会議の開催",
        "連携支援事業の進捗管理を実施",
    ]
    assert len(role_texts("chiba", "公益財団法人千葉県産業振興センター")) == 5
    assert capabilities("chiba", "千葉県産業支援技術研究所") >= {
        "食品",
        "醸造",
        "化学",
        "電子",
        "機械",
        "金属",
        "IoT",
    }
    assert capabilities("chiba", "千葉県東葛テクノプラザ") >= {"EMC", "信頼性評価"}
    assert capabilities("chiba", "国立研究開発法人産業技術総合研究所 柏センター") >= {"IoT", "AI"}
    for bank in ("株式会社千葉銀行", "株式会社京葉銀行", "株式会社千葉興業銀行"):
        assert org("chiba", bank).kind == "finance"
        assert role_texts("chiba", bank) == [
            "融資、貸付等の資金面での企業支援",
            "連携支援会議における企業動向の情報提供",
        ]
        assert org("chiba", bank).roles.filter(accepts_categories__code="funding-loan").exists()
    window = org("chiba", "千葉県商工労働部産業振興課").roles.filter(accepts_categories__code="unclassified")
    assert window.exists()
    fields = set(org("chiba", "千葉県").region.fields.values_list("name", flat=True))
    assert fields == {"成長ものづくり・ヘルスケア", "デジタル"}


def test_chiba_bodies_named_outside_the_plan_table_are_not_members(db):
    load_network()
    others = [
        "公益財団法人かずさＤＮＡ研究所",
        "千葉ヨウ素資源イノベーションセンター",
        "東京理科大学",
        "日本大学",
    ]
    others += ["千葉工業大学", "国立研究開発法人国立がん研究センター東病院"]

    for name in others:
        o = org("chiba", name)
        assert not o.is_plan_member
        assert o.kind == "academia"
    assert org("chiba", "千葉ヨウ素資源イノベーションセンター").short_name == "CIRIC"


def test_yamagata_has_the_ten_bodies_and_the_three_step_units(db):
    load_network()
    members = Organization.objects.filter(region__slug="yamagata", is_plan_member=True)

    assert set(members.filter(parent=None).values_list("name", flat=True)) == YAMAGATA_BODIES
    center = "山形県工業技術センター"
    assert org("yamagata", center).parent.name == "山形県"
    for unit in (
        "山形県工業技術センター置賜試験場",
        "山形県工業技術センター庄内試験場",
        "山形県工業技術センター連携支援室",
    ):
        assert org("yamagata", unit).parent.name == center
    assert org("yamagata", "中小企業トータルサポート").parent.name == "公益財団法人山形県企業振興公社"
    offices = Organization.objects.filter(
        region__slug="yamagata", name__endswith="総合支庁", parent__name="山形県"
    )
    assert sorted(offices.values_list("short_name", flat=True)) == sorted(
        ["村山総合支庁", "最上総合支庁", "置賜総合支庁", "庄内総合支庁"]
    )
    assert all("実在する４総合支庁" in o.description for o in offices)
    assert capabilities("yamagata", center) >= {
        "機械", "電気・電子・光", "情報・通信", "MEMS", "ロボット", "金属", "化学", "窯業", "木工", "食品・醸造",
        "繊維", "デザイン",
    }  # fmt: skip
    step3 = org("yamagata", "山形県工業技術センター連携支援室").roles.get()
    assert set(step3.accepts_categories.values_list("code", flat=True)) == {"technical", "research"}
    assert len(role_texts("yamagata", "山形県")) == 5
    assert org("yamagata", "山形県").representative_name == "吉村美栄子"


def test_yamagata_target_fields_are_the_three_of_the_plan_with_their_children(db):
    load_network()
    region = org("yamagata", "山形県").region

    tree = {f.name: sorted(c.name for c in f.children.all()) for f in region.fields.filter(parent=None)}

    assert tree["先進ものづくり"] == sorted(["有機エレクトロニクス", "バイオ"])
    second, third = (v for k, v in tree.items() if k.startswith("成長ものづくり"))
    assert len(second) == 6 and "航空機" in second and "食品・農業用機械" in second
    assert len(third) == 4 and "繊維" in third and "窯業・土石製品" in third


def test_chiba_target_fields_and_the_consultation_categories(db):
    """C11: Chiba's two target fields; C14/C20: problem types of the plans, with an unclassified intake category."""
    load_network()
    chiba_fields = set(TargetField.objects.filter(region__slug="chiba").values_list("name", flat=True))
    assert chiba_fields == {"成長ものづくり・ヘルスケア", "デジタル"}
    top = set(Category.objects.filter(parent=None).values_list("name", flat=True))
    assert {"内容分類前", "技術的課題", "経営的課題", "研究課題", "資金", "販路", "人材", "知財"} <= top
    assert Category.objects.filter(parent__name="技術的課題").count() >= 3
    # every category a role accepts is a real one, and the 工業技術センター accepts technical problems
    center = org("yamagata", "山形県工業技術センター")
    accepted = set(
        center.roles.values_list("accepts_categories__parent__name", "accepts_categories__name").distinct()
    )
    assert any("技術的課題" in pair for pair in accepted)


def test_partner_networks_tkf_imy_and_the_national_council(db):
    load_network()

    tkf = PartnerNetwork.objects.get(short_name="TKF")
    assert tkf.members.count() == 5
    assert len({o.region.prefecture_id for o in tkf.members.select_related("region")}) == 4
    home = {o.region.slug: o.region.is_home for o in tkf.members.select_related("region")}
    assert home == {"tokyo": False, "saitama": False, "chiba": True, "kanagawa": False}
    assert tkf.members.filter(name="千葉県産業支援技術研究所", region__slug="chiba").exists()

    imy = PartnerNetwork.objects.get(short_name="IMY会議")
    assert imy.founded_fiscal_year == 2005
    assert set(imy.members.values_list("region__slug", flat=True)) == {"iwate", "yamagata", "fukushima"}

    council = PartnerNetwork.objects.get(name="産業技術連携推進会議")
    assert council.members.filter(name="国立研究開発法人産業技術総合研究所").exists()
    tohoku = council.memberships.filter(note="東北地域部会").values_list(
        "organization__region__slug", flat=True
    )
    assert set(tohoku) == {"iwate", "yamagata", "fukushima"}


# -- load_demo ----------------------------------------------------------------------------------------------------
def test_load_demo_creates_users_companies_and_is_idempotent(db):
    out = io.StringIO()
    summary = load_demo(out)

    assert summary["already_loaded"] is False
    assert "admin — システム管理者" in summary["logins"]
    assert "chiba-secretariat — 千葉県 産業振興課（事務局）" in summary["logins"]
    assert summary["password"] == "renkei-demo"
    assert "renkei-demo" in out.getvalue() and "架空の企業" in out.getvalue()
    users = get_user_model().objects
    assert users.get(username="admin").is_superuser
    assert users.get(username="chiba-coordinator").check_password("renkei-demo")
    coordinator = Membership.objects.get(user__username="chiba-coordinator")
    assert (coordinator.organization.name, coordinator.role, coordinator.title) == (
        "公益財団法人千葉県産業振興センター",
        "coordinator",
        "研究開発コーディネーター",
    )
    assert (
        Membership.objects.get(user__username="yamagata-coordinator").organization.name
        == "山形県村山総合支庁"
    )
    assert Membership.objects.get(user__username="chiba-bank").organization.kind == "finance"
    assert users.get(username="yamagata-center").last_name  # Japanese names are set
    # the company login: no membership, a fictitious Chiba manufacturer with the figures a verdict needs
    company_login = users.get(username="chiba-company")
    assert company_login.check_password("renkei-demo")
    assert not Membership.objects.filter(user=company_login).exists()
    own = own_company(company_login)
    assert own is not None and own.is_fictitious and own.region.slug == "chiba"
    assert own.name == nfkc("合資会社晴海製作所（架空）") and own.jsic_id[:2] == "24"  # 製造業
    assert None not in (own.employees, own.capital, own.municipality_id)
    secretariat = users.get(username="chiba-secretariat")  # who issues its logins on the company page
    assert can_edit_company(
        staff_context(secretariat), Company.objects.visible_to(secretariat).get(pk=own.pk)
    )
    assert any(line.startswith("chiba-company — 架空企業") for line in summary["logins"])

    companies = Company.objects.filter(is_fictitious=True)
    assert companies.filter(region__slug="chiba").count() == 300
    assert companies.filter(region__slug="yamagata").count() == 300
    assert not companies.exclude(name__endswith=nfkc(FICTION_MARK)).exists()  # the validator applies NFKC
    assert set(companies.values_list("size_class", flat=True)) == {"small", "sme", "large"}
    bank_customers = companies.filter(owner_organization__kind="finance")
    assert bank_customers.filter(consent_share_region=False).exists()
    assert bank_customers.filter(consent_share_region=True).exists()
    assert Contact.objects.filter(company__is_fictitious=True, is_primary=True).count() == 600

    counts = {k: v for k, v in summary.items() if isinstance(v, int) and not isinstance(v, bool)}
    again = io.StringIO()
    second = load_demo(again)

    assert second["already_loaded"] is True
    assert "すでに読み込まれています" in again.getvalue()
    assert {k: v for k, v in second.items() if k in counts} == counts
    assert second["logins"] == summary["logins"]
    assert users.count() == len(read_data("demo.json")["users"])


def test_demo_visibility_a_bank_sees_only_its_own_customers(db):
    load_demo()
    bank = get_user_model().objects.get(username="chiba-bank")
    lab = get_user_model().objects.get(username="chiba-lab")

    seen_by_bank = Company.objects.visible_to(bank)

    assert seen_by_bank.exists()
    assert set(seen_by_bank.values_list("owner_organization__name", flat=True)) == {"株式会社千葉銀行"}
    seen_by_lab = Company.objects.visible_to(lab)
    assert not seen_by_lab.filter(owner_organization__kind="finance", consent_share_region=False).exists()
    assert not seen_by_lab.filter(region__slug="yamagata").exists()


# -- the generator ------------------------------------------------------------------------------------------------
def test_generator_gives_100000_valid_unique_corporate_numbers_and_existing_codes(db):
    rows = generate_company_rows(100_000, seed=42, region_prefecture_code="12")

    numbers = [r["corporate_number"] for r in rows]
    assert len(set(numbers)) == 100_000
    assert all(len(n) == 13 and cn.is_valid(n) for n in numbers)
    jsic = set(IndustryClass.objects.filter(level=4).values_list("code", flat=True))
    assert {r["jsic_code"] for r in rows} <= jsic
    chiba = set(Municipality.objects.filter(prefecture_id="12").values_list("code", flat=True))
    assert {r["municipality_code"] for r in rows} <= chiba
    manufacturing = sum(1 for r in rows if r["jsic_code"][:2] <= "32" and r["jsic_code"][:2] >= "09")
    assert manufacturing > 0.8 * len(rows)
    assert all(r["name"].endswith(FICTION_MARK) for r in rows)


def test_generator_is_deterministic_by_seed_and_prefix_stable(db):
    first = generate_company_rows(500, seed=7, region_prefecture_code="06")

    assert generate_company_rows(500, seed=7, region_prefecture_code="06") == first
    assert generate_company_rows(100, seed=7, region_prefecture_code="06") == first[:100]
    other = generate_company_rows(500, seed=8, region_prefecture_code="06")
    assert [r["corporate_number"] for r in other] != [r["corporate_number"] for r in first]
    assert {r["municipality_code"][:2] for r in first} == {"06"}


def test_generated_rows_pass_the_company_validator(db):
    check = validator()
    for row in iter_company_rows(2_000, seed=3, region_prefecture_code="12"):
        cleaned = check.clean(row)
        assert cleaned.ok, (row, cleaned.errors)
        assert cleaned.values["municipality_id"] == row["municipality_code"]


def test_generated_texts_are_varied_and_concrete(db):
    rows = generate_company_rows(1_000, seed=11, region_prefecture_code="12")

    assert len({r["technologies"] for r in rows}) > 990
    assert len({r["name"] for r in rows}) > 800
    joined = "".join(r["technologies"] for r in rows)
    for term in ("樹脂射出成形", "精密切削", "めっき", "殺菌", "組込みソフトウェア"):
        assert term in joined
    for row in rows:  # each text speaks of the processes of the company's own industry
        trade = next(t for t in TRADES if row["jsic_code"] in t.codes)
        assert any(p in row["technologies"] for p in trade.processes), row
    assert any(not r["consent_share_region"] for r in rows) and any(r["consent_share_outside"] for r in rows)


@pytest.mark.parametrize("body", [0, 1, 999, 1_000, 999_999, 1_000_000, 10**12 - 1, 123_456_789_012])
def test_corporate_number_check_digit_matches_stdnum(body):
    text = f"{body:012d}"
    assert corporate_number(body) == cn.calc_check_digit(text) + text


def test_unknown_prefecture_is_refused_in_japanese():
    with pytest.raises(ValueError, match="都道府県コード「99」"):
        generate_company_rows(1, seed=1, region_prefecture_code="99")
