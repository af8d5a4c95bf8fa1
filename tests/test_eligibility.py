"""Eligibility verdicts: exact Japanese messages for representative cases, status precedence, the one-line summary
and the query budget (a company against 1,000 programs reads the reference data once, not per program).

Validation, normalization and form input are in ``test_eligibility_input.py``; properties in
``test_eligibility_properties.py``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from renkei.catalog.eligibility import (
    CHECK_ORDER,
    CompanyProfile,
    Reference,
    clear_reference_cache,
    evaluate,
    explain,
    format_yen,
    get_reference,
    prepare_rules,
)

TODAY = dt.date(2025, 6, 1)
OKU = 100_000_000
MAN = 10_000

# Every test reads the reference data (prefectures, municipalities, JSIC) that migration core/0002 loads.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def ref(django_db_setup, django_db_blocker) -> Reference:
    with django_db_blocker.unblock():
        return Reference.load()


def verdict(rules, ref, **profile):
    return evaluate(rules, CompanyProfile(**profile), today=TODAY, reference=ref)


def only(v):
    assert len(v.checks) == 1, v.checks
    return v.checks[0]


# --- employees and capital ----------------------------------------------------------------------------------
def test_employees_over_the_maximum_by_less_than_ten_percent_is_a_near_miss(ref):
    v = verdict({"employees": {"max": 300}}, ref, employees=320)
    assert v.status == "near_miss"
    assert only(v).outcome == "near"
    assert only(v).message == "従業員数 320 人: 上限 300 人を 20 人超えています"
    assert explain(v) == "あと少しで対象（従業員数が上限を 20 人超えています）"


def test_employees_far_over_the_maximum_is_not_eligible(ref):
    v = verdict({"employees": {"max": 300}}, ref, employees=400)
    assert v.status == "not_eligible"
    assert only(v).message == "従業員数 400 人: 上限 300 人を 100 人超えています"
    assert explain(v) == "対象外（従業員数が上限を超えています）"


@pytest.mark.parametrize(
    ("employees", "status"),
    [(300, "eligible"), (301, "near_miss"), (330, "near_miss"), (331, "not_eligible")],
)
def test_the_ten_percent_boundary_is_inclusive(ref, employees, status):
    assert verdict({"employees": {"max": 300}}, ref, employees=employees).status == status


def test_employees_under_the_minimum(ref):
    near = verdict({"employees": {"min": 300}}, ref, employees=270)
    assert near.status == "near_miss"
    assert only(near).message == "従業員数 270 人: 下限 300 人を 30 人下回っています"
    assert explain(near) == "あと少しで対象（従業員数が下限に 30 人足りません）"
    far = verdict({"employees": {"min": 300}}, ref, employees=269)
    assert far.status == "not_eligible"
    assert explain(far) == "対象外（従業員数が下限に達していません）"


def test_a_maximum_of_zero_has_no_near_miss(ref):
    assert verdict({"employees": {"max": 0}}, ref, employees=1).status == "not_eligible"


@pytest.mark.parametrize(
    ("rules", "employees", "message"),
    [
        ({"max": 300}, 120, "従業員数 120 人: 上限 300 人以内です"),
        ({"min": 5}, 120, "従業員数 120 人: 下限 5 人以上です"),
        ({"min": 5, "max": 300}, 120, "従業員数 120 人: 対象範囲（5〜300 人）内です"),
        ({"min": 5, "max": 1500}, 1200, "従業員数 1,200 人: 対象範囲（5〜1,500 人）内です"),
    ],
)
def test_employees_pass_messages(ref, rules, employees, message):
    v = verdict({"employees": rules}, ref, employees=employees)
    assert v.status == "eligible"
    assert only(v).outcome == "pass"
    assert only(v).message == message


def test_capital_is_shown_in_man_and_oku_yen(ref):
    ok = verdict({"capital": {"max": 3 * OKU}}, ref, capital=5000 * MAN)
    assert only(ok).message == "資本金 5,000 万円: 上限 3 億円以内です"
    near = verdict({"capital": {"max": 3 * OKU}}, ref, capital=3 * OKU + 2000 * MAN)
    assert near.status == "near_miss"
    assert only(near).message == "資本金 3 億 2,000 万円: 上限 3 億円を 2,000 万円超えています"
    assert explain(near) == "あと少しで対象（資本金が上限を 2,000 万円超えています）"
    far = verdict({"capital": {"max": 3 * OKU}}, ref, capital=3 * OKU + 5000 * MAN)
    assert far.status == "not_eligible"
    assert only(far).message == "資本金 3 億 5,000 万円: 上限 3 億円を 5,000 万円超えています"
    both = verdict({"capital": {"min": 1000 * MAN, "max": 3 * OKU}}, ref, capital=5000 * MAN)
    assert only(both).message == "資本金 5,000 万円: 対象範囲（1,000 万円〜3 億円）内です"


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (0, "0 円"),
        (500, "500 円"),
        (12_345, "1 万 2,345 円"),
        (30_000_000, "3,000 万円"),
        (300_000_000, "3 億円"),
        (123_456_789, "1 億 2,345 万 6,789 円"),
        (10**12, "1 兆円"),
        (12_000 * OKU, "1 兆 2,000 億円"),
    ],
)
def test_format_yen(amount, text):
    assert format_yen(amount) == text


# --- company age --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("founded", "status", "message"),
    [
        (dt.date(2020, 6, 1), "eligible", "設立からの年数 5 年: 上限 5 年以内です"),
        (dt.date(2019, 6, 2), "eligible", "設立からの年数 5 年: 上限 5 年以内です"),  # 6 years tomorrow
        (dt.date(2019, 6, 1), "near_miss", "設立からの年数 6 年: 上限 5 年を 1 年超えています"),
        (dt.date(2018, 6, 1), "not_eligible", "設立からの年数 7 年: 上限 5 年を 2 年超えています"),
        (dt.date(2026, 1, 1), "eligible", "設立からの年数 0 年: 上限 5 年以内です"),  # not founded yet: 0
    ],
)
def test_company_age_in_full_years(ref, founded, status, message):
    v = verdict({"company_age_years": {"max": 5}}, ref, founded_on=founded)
    assert v.status == status
    assert only(v).message == message


def test_company_age_minimum(ref):
    v = verdict({"company_age_years": {"min": 3}}, ref, founded_on=dt.date(2023, 1, 1))
    assert v.status == "near_miss"
    assert only(v).message == "設立からの年数 2 年: 下限 3 年を 1 年下回っています"


def test_a_founding_year_alone_decides_only_when_every_day_of_it_does(ref):
    rules = {"company_age_years": {"max": 5}}
    year_only = {"founded_precision": "year"}
    assert verdict(rules, ref, founded_on=dt.date(2020, 1, 1), **year_only).status == "eligible"  # 4〜5
    v = verdict(rules, ref, founded_on=dt.date(2019, 1, 1), **year_only)  # 5〜6
    assert v.status == "unknown"
    assert only(v).message == (
        "設立からの年数 5〜6 年: 設立年だけでは判定できません（上限 5 年）。設立年月日を入力してください"
    )
    assert v.missing == ["設立年月日"]
    v = verdict(rules, ref, founded_on=dt.date(2018, 1, 1), **year_only)  # 6〜7
    assert v.status == "near_miss"
    assert only(v).message == "設立からの年数 6〜7 年: 上限 5 年を 1〜2 年超えています"
    assert verdict(rules, ref, founded_on=dt.date(2019, 7, 1), founded_precision="month").status == "eligible"


# --- industry (JSIC) ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rule", "name"),
    [("E", "製造業"), ("09", "食料品製造業"), ("091", "畜産食料品製造業"), ("0911", "部分肉・冷凍肉製造業")],
)
def test_jsic_rule_at_each_level_covers_a_detail_code(ref, rule, name):
    v = verdict({"jsic": [rule]}, ref, jsic_code="0911")
    assert v.status == "eligible"
    assert only(v).message == f"業種 0911 部分肉・冷凍肉製造業: 対象の業種（{name}）に含まれます"


def test_jsic_names_the_most_specific_matching_code(ref):
    v = verdict({"jsic": ["E", "091", "G"]}, ref, jsic_code="0911")
    assert only(v).message == "業種 0911 部分肉・冷凍肉製造業: 対象の業種（畜産食料品製造業）に含まれます"


def test_jsic_outside_every_listed_code(ref):
    v = verdict({"jsic": ["G", "0912"]}, ref, jsic_code="0911")
    assert v.status == "not_eligible"
    assert (
        only(v).message
        == "業種 0911 部分肉・冷凍肉製造業: 対象の業種（「肉加工品製造業」「情報通信業」）に含まれません"
    )
    assert explain(v) == "対象外（業種が対象外です）"


def test_a_long_list_of_industries_is_shortened(ref):
    codes = ["A", "B", "C", "D", "F", "G", "H"]
    v = verdict({"jsic": codes}, ref, jsic_code="0911")
    assert only(v).message == (
        "業種 0911 部分肉・冷凍肉製造業: 対象の業種（「農業、林業」「漁業」「鉱業、採石業、砂利採取業」「建設業」"
        "「電気・ガス・熱供給・水道業」 ほか 2 分類）に含まれません"
    )


def test_a_coarse_company_code_against_a_finer_rule_is_unknown(ref):
    v = verdict({"jsic": ["0911"]}, ref, jsic_code="09")
    assert v.status == "unknown"
    assert only(v).message == (
        "業種 09 食料品製造業: 対象の業種（0911 部分肉・冷凍肉製造業）に当たるか判定できません。"
        "より細かい分類（細分類）を登録してください"
    )
    assert v.missing == ["業種（細分類）"]
    assert verdict({"jsic": ["0911"]}, ref, jsic_code="E").status == "unknown"
    assert verdict({"jsic": ["39"]}, ref, jsic_code="E").status == "not_eligible"  # 39 is 情報通信業
    assert verdict({"jsic": ["E"]}, ref, jsic_code="E").status == "eligible"
    assert verdict({"jsic": ["09"]}, ref, jsic_code="091").status == "eligible"


def test_unknown_industry(ref):
    v = verdict({"jsic": ["E"]}, ref)
    assert only(v).message == "業種が未登録のため判定できません"
    assert v.missing == ["業種"]


# --- location -----------------------------------------------------------------------------------------------
def test_prefecture_outside(ref):
    v = verdict({"prefectures": ["12"]}, ref, prefecture_code="06")
    assert v.status == "not_eligible"
    assert only(v).rule == "location"
    assert only(v).message == "所在地 山形県: 対象は 千葉県 です"
    assert explain(v) == "対象外（所在地が対象地域外です）"


def test_prefectures_and_municipalities_are_alternatives(ref):
    rules = {"prefectures": ["12"], "municipalities": ["082201"]}  # 千葉県 or 茨城県つくば市
    in_chiba = verdict(rules, ref, municipality_code="122033")
    assert in_chiba.status == "eligible"
    assert only(in_chiba).message == "所在地 千葉県市川市: 対象地域（千葉県）内です"
    tsukuba = verdict(rules, ref, municipality_code="082201")
    assert tsukuba.status == "eligible"
    assert only(tsukuba).message == "所在地 茨城県つくば市: 対象地域（茨城県つくば市）内です"
    mito = verdict(rules, ref, municipality_code="082015")
    assert mito.status == "not_eligible"
    assert only(mito).message == "所在地 茨城県水戸市: 対象は 千葉県・茨城県つくば市 です"


def test_a_listed_municipality_needs_the_company_municipality(ref):
    rules = {"municipalities": ["082201"]}
    v = verdict(rules, ref, prefecture_code="08")
    assert v.status == "unknown"
    assert only(v).message == "所在地 茨城県: 市区町村が未登録のため判定できません（対象は 茨城県つくば市）"
    assert v.missing == ["所在地（市区町村）"]
    assert verdict(rules, ref, prefecture_code="12").status == "not_eligible"  # no listed town in 千葉県
    nowhere = verdict(rules, ref)
    assert only(nowhere).message == "所在地（都道府県）が未登録のため判定できません（対象は 茨城県つくば市）"
    assert nowhere.missing == ["所在地（都道府県）"]


# --- stage --------------------------------------------------------------------------------------------------
def test_stage(ref):
    rules = {"stages": ["研究開発", "試作"]}
    assert (
        only(verdict(rules, ref, stage="試作")).message == "事業段階 試作: 対象（研究開発・試作）に含まれます"
    )
    out = verdict(rules, ref, stage="販路開拓")
    assert out.status == "not_eligible"
    assert only(out).message == "事業段階 販路開拓: 対象は 研究開発・試作 です"
    unknown = verdict(rules, ref)
    assert only(unknown).message == "事業段階が未登録のため判定できません（対象は 研究開発・試作）"
    assert unknown.missing == ["事業段階"]


# --- size class ---------------------------------------------------------------------------------------------
def test_size_class_is_derived_from_industry_and_figures(ref):
    rules = {"size_classes": ["sme"]}
    v = verdict(rules, ref, jsic_code="0911", employees=50, capital=1000 * MAN)
    assert only(v).message == "企業規模 中小企業者: 対象（中小企業者）に含まれます"
    small = verdict(rules, ref, jsic_code="0911", employees=10)  # 小規模企業者 are 中小企業者
    assert only(small).message == "企業規模 小規模企業者: 対象（中小企業者）に含まれます"
    stated = verdict({"size_classes": ["small"]}, ref, size_class="small")
    assert stated.status == "eligible"


def test_a_large_company_just_over_one_limit_is_a_near_miss(ref):
    rules = {"size_classes": ["small", "sme"]}
    by_people = verdict(rules, ref, jsic_code="0911", employees=320, capital=5 * OKU)
    assert by_people.status == "near_miss"
    assert only(by_people).message == (
        "企業規模 大企業: 対象は 小規模企業者・中小企業者 です（従業員数 320 人が中小企業者の上限 300 人を 20 人超えています）"
    )
    assert (
        explain(by_people) == "あと少しで対象（従業員数 320 人が中小企業者の上限 300 人を 20 人超えています）"
    )
    by_money = verdict(rules, ref, jsic_code="5011", employees=1000, capital=OKU + 500 * MAN)  # 卸売業: 1億円
    assert by_money.status == "near_miss"
    assert "資本金 1 億 500 万円が中小企業者の上限 1 億円を 500 万円超えています" in only(by_money).message
    far = verdict(rules, ref, jsic_code="0911", employees=400, capital=5 * OKU)
    assert far.status == "not_eligible"
    assert only(far).message == "企業規模 大企業: 対象は 小規模企業者・中小企業者 です"
    assert explain(far) == "対象外（企業規模が対象外です）"


def test_a_company_just_over_the_small_business_limit_is_a_near_miss(ref):
    v = verdict({"size_classes": ["small"]}, ref, jsic_code="0911", employees=22, capital=1000 * MAN)
    assert v.status == "near_miss"
    assert only(v).reason == "従業員数 22 人が小規模企業者の上限 20 人を 2 人超えています"
    assert verdict({"size_classes": ["small"]}, ref, jsic_code="0911", employees=23).status == "not_eligible"


def test_size_class_unknown_says_what_to_fill(ref):
    v = verdict({"size_classes": ["sme"]}, ref, employees=500)
    assert only(v).message == "企業規模を判定できません（業種が未登録です）"
    assert v.missing == ["業種"]
    v = verdict({"size_classes": ["sme"]}, ref, jsic_code="0911", employees=500)
    assert only(v).message == "企業規模を判定できません（資本金が未登録です）"
    assert explain(v) == "判定に必要な情報が不足（資本金）"
    # 製造業 as a whole holds ゴム製品製造業 (900 people): 500 people needs a finer code
    v = verdict({"size_classes": ["sme"]}, ref, jsic_code="E", employees=500, capital=5 * OKU)
    assert v.missing == ["業種（細分類）"]
    assert verdict({"size_classes": ["sme"]}, ref, jsic_code="E", employees=100).status == "eligible"


# --- status and summary -------------------------------------------------------------------------------------
FULL_RULES = {
    "stages": ["試作"],
    "municipalities": ["122033"],
    "jsic": ["E"],
    "company_age_years": {"max": 10},
    "capital": {"max": 3 * OKU},
    "employees": {"max": 300},
    "size_classes": ["sme"],
}


def test_one_check_per_rule_in_a_stable_order(ref):
    v = verdict(FULL_RULES, ref, jsic_code="0911", employees=100, capital=OKU)
    assert [c.rule for c in v.checks] == list(CHECK_ORDER)
    assert [c.label for c in v.checks] == [
        "企業規模",
        "従業員数",
        "資本金",
        "設立からの年数",
        "業種",
        "所在地",
        "事業段階",
    ]


def test_status_precedence(ref):
    base = {"jsic_code": "0911", "capital": OKU, "municipality_code": "122033", "stage": "試作"}
    eligible = verdict(FULL_RULES, ref, employees=100, founded_on=dt.date(2020, 1, 1), **base)
    assert (eligible.status, eligible.missing, explain(eligible)) == ("eligible", [], "対象")
    unknown = verdict(FULL_RULES, ref, employees=100, **base)
    assert (unknown.status, unknown.missing) == ("unknown", ["設立年月日"])
    near_and_unknown = verdict(FULL_RULES, ref, employees=320, **base)
    assert near_and_unknown.status == "near_miss"
    assert near_and_unknown.missing == ["設立年月日"]  # still listed: fill it to know
    fail_near_unknown = verdict(FULL_RULES, ref, employees=320, **{**base, "stage": "販路開拓"})
    assert fail_near_unknown.status == "not_eligible"
    assert explain(fail_near_unknown) == "対象外（事業段階が対象外です）"


def test_missing_lists_each_field_once_in_rule_order(ref):
    rules = {"employees": {"max": 300}, "capital": {"max": 3 * OKU}, "size_classes": ["sme"]}
    v = verdict(rules, ref, jsic_code="0911")
    assert v.status == "unknown"
    assert v.missing == ["従業員数", "資本金"]
    assert explain(v) == "判定に必要な情報が不足（従業員数・資本金）"


@pytest.mark.parametrize("rules", [None, {}, {"jsic": [], "employees": {"min": None, "max": None}}])
def test_no_rules_means_eligible(ref, rules):
    v = evaluate(rules, CompanyProfile(), today=TODAY, reference=ref)
    assert (v.status, v.checks, v.missing, explain(v)) == ("eligible", [], [], "対象")


def test_invalid_rules_give_unknown_never_an_exception(ref):
    v = evaluate({"employees": {"max": -1}}, CompanyProfile(employees=3), today=TODAY, reference=ref)
    assert v.status == "unknown"
    assert only(v).rule == "rules"
    assert only(v).message == (
        "対象要件の設定に誤りがあるため判定できません"
        "（eligibility.employees.max: 従業員数の上限は0以上の整数で入力してください（入力: -1）。）"
    )
    assert explain(v) == "判定できません（対象要件の設定に誤りがあります）"


def test_to_dict_is_json_ready(ref):
    v = verdict({"employees": {"max": 300}}, ref, employees=320)
    assert v.to_dict() == {
        "status": "near_miss",
        "label": "あと少しで対象",
        "summary": "あと少しで対象（従業員数が上限を 20 人超えています）",
        "checks": [
            {
                "rule": "employees",
                "label": "従業員数",
                "outcome": "near",
                "message": "従業員数 320 人: 上限 300 人を 20 人超えています",
                "reason": "従業員数が上限を 20 人超えています",
            }
        ],
        "missing": [],
    }


# --- query budget -------------------------------------------------------------------------------------------
def _programs(n: int) -> list[dict]:
    prefs = ["12", "06", "08", "13"]
    programs = []
    for i in range(n):
        rules = {
            "employees": {"min": None, "max": 100 + i},
            "capital": {"min": None, "max": (i % 5 + 1) * OKU},
            "jsic": [["E", "G", "09"][i % 3]],
            "prefectures": [prefs[i % 4]],
            "municipalities": ["062014"],
            "company_age_years": {"min": None, "max": i % 10},
            "size_classes": ["sme"],
        }
        if i % 7 == 0:
            rules["stages"] = ["試作", "事業化"]
        programs.append(rules)
    return programs


def test_a_thousand_programs_need_no_query_per_program(
    django_assert_num_queries, django_assert_max_num_queries
):
    profile = CompanyProfile(
        jsic_code="0911",
        employees=150,
        capital=OKU,
        municipality_code="122033",
        founded_on=dt.date(2018, 4, 1),
    )
    programs = _programs(1000)
    clear_reference_cache()
    with django_assert_max_num_queries(3):  # prefectures, municipalities, industry classes — once
        first = [evaluate(rules, profile, today=TODAY) for rules in programs]
    with django_assert_num_queries(0):
        again = [evaluate(rules, profile, today=TODAY) for rules in programs]
        prepared = [evaluate(prepare_rules(rules), profile, today=TODAY) for rules in programs]
    assert first == again == prepared
    statuses = {v.status for v in first}
    assert statuses == {"eligible", "not_eligible", "near_miss", "unknown"}
    assert get_reference() is get_reference()
