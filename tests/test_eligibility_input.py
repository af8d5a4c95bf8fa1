"""Eligibility input: rule validation (paths and Japanese messages), normalization, and company profiles from a
Company and from what a person types on the public form."""

from __future__ import annotations

import datetime as dt

import pytest

from renkei.catalog.eligibility import (
    CompanyProfile,
    Reference,
    evaluate,
    normalize_rules,
    parse_quantity,
    validate_rules,
)
from renkei.core.errors import FieldError, ValidationFailed
from renkei.core.models import IndustryClass, Municipality

from .factories import CompanyFactory

TODAY = dt.date(2025, 6, 1)

# Every test reads the reference data (prefectures, municipalities, JSIC) that migration core/0002 loads.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def ref(django_db_setup, django_db_blocker) -> Reference:
    with django_db_blocker.unblock():
        return Reference.load()


# --- validate_rules -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("rules", "field", "message"),
    [
        (
            [],
            "eligibility",
            '対象要件は JSON オブジェクト（{"employees": {"max": 300}} など）で指定してください（入力: 配列）。',
        ),
        (
            {"employee": {"max": 300}},
            "eligibility.employee",
            "「employee」は対象要件の項目ではありません（使える項目: size_classes, employees, capital, "
            "company_age_years, jsic, prefectures, municipalities, stages）。",
        ),
        (
            {"employees": {"max": -1}},
            "eligibility.employees.max",
            "従業員数の上限は0以上の整数で入力してください（入力: -1）。",
        ),
        (
            {"employees": {"max": 3.5}},
            "eligibility.employees.max",
            "従業員数の上限は0以上の整数で入力してください（入力: 3.5）。",
        ),
        (
            {"capital": {"min": "3億円"}},
            "eligibility.capital.min",
            "資本金の下限は0以上の整数で入力してください（入力: 「3億円」）。",
        ),
        (
            {"employees": {"max": True}},
            "eligibility.employees.max",
            "従業員数の上限は0以上の整数で入力してください（入力: true）。",
        ),
        (
            {"capital": {"min": 500_000_000, "max": 300_000_000}},
            "eligibility.capital.min",
            "資本金の下限（500,000,000 円）が上限（300,000,000 円）を超えています。",
        ),
        (
            {"company_age_years": {"max": 5000}},
            "eligibility.company_age_years.max",
            "設立からの年数の上限が大きすぎます（1,000 年以下で入力してください）。",
        ),
        (
            {"employees": {"upto": 5}},
            "eligibility.employees.upto",
            "従業員数に指定できるのは min（下限）と max（上限）だけです。",
        ),
        (
            {"employees": 300},
            "eligibility.employees",
            '従業員数は {"min": 下限, "max": 上限} の形式で指定してください（入力: 300）。',
        ),
        (
            {"jsic": "E"},
            "eligibility.jsic",
            '業種は配列（["…", "…"]）で指定してください（入力: 「E」）。',
        ),
        (
            {"jsic": ["E", "12345"]},
            "eligibility.jsic.1",
            "業種コード「12345」の形式が正しくありません"
            "（日本標準産業分類の大分類 A〜T、中分類 2桁、小分類 3桁、細分類 4桁のいずれか）。",
        ),
        ({"jsic": [9]}, "eligibility.jsic.0", "業種コードは文字列で指定してください（入力: 9）。"),
        (
            {"prefectures": ["48"]},
            "eligibility.prefectures.0",
            '都道府県コード「48」は 01〜47 の2桁の数字で指定してください（例: 千葉県は "12"）。',
        ),
        (
            {"municipalities": ["122034"]},
            "eligibility.municipalities.0",
            "市区町村コード「122034」の検査数字（6桁目）が正しくありません。",
        ),
        (
            {"municipalities": ["千葉市"]},
            "eligibility.municipalities.0",
            "市区町村コード「千葉市」は全国地方公共団体コード（6桁、または検査数字を除く5桁）で"
            '指定してください（例: 市川市は "122033"）。',
        ),
        (
            {"size_classes": ["unknown"]},
            "eligibility.size_classes.0",
            "企業規模「unknown」は指定できません（指定できる値: small（小規模企業者）、sme（中小企業者）、large（大企業））。",
        ),
        (
            {"stages": ["量産"]},
            "eligibility.stages.0",
            "事業段階「量産」は指定できません（指定できる値: 研究開発、試作、事業化、販路開拓）。",
        ),
    ],
)
def test_validation_errors_name_the_path(rules, field, message):
    assert validate_rules(rules) == [FieldError(field, message)]


def test_validation_reports_every_error():
    errors = validate_rules(
        {"employees": {"min": -1, "max": -2}, "jsic": ["E", "X", "0911", "1"], "stages": ["試作", "量産"]}
    )
    assert [e.field for e in errors] == [
        "eligibility.employees.min",
        "eligibility.employees.max",
        "eligibility.jsic.1",
        "eligibility.jsic.3",
        "eligibility.stages.1",
    ]


@pytest.mark.parametrize(
    "rules",
    [
        None,
        {},
        {"employees": {"min": None, "max": None}, "jsic": []},
        {
            "size_classes": ["small", "中小企業者"],
            "employees": {"min": 0, "max": 300},
            "capital": {"max": 300_000_000},
            "company_age_years": {"min": 1, "max": 5},
            "jsic": ["E", "09", "091", "0911", "ｇ"],
            "prefectures": ["１２", 6, "1"],
            "municipalities": ["12203", "062014"],
            "stages": ["研究開発", "販路開拓"],
        },
    ],
)
def test_valid_rules(rules):
    assert validate_rules(rules) == []


def test_known_codes_checks_existence(ref):
    rules = {"jsic": ["0990", "0911"], "municipalities": ["129992", "122033"], "prefectures": ["12"]}
    assert validate_rules(rules) == []
    assert validate_rules(rules, known_codes=ref) == [
        FieldError("eligibility.jsic.0", "業種コード「0990」は日本標準産業分類（第14回改定）にありません。"),
        FieldError(
            "eligibility.municipalities.0", "市区町村コード「129992」は全国地方公共団体コードにありません。"
        ),
    ]


# --- normalize_rules ----------------------------------------------------------------------------------------
def test_normalize_rules_gives_the_canonical_form():
    raw = {
        "stages": ["販路開拓", "研究開発", "販路開拓"],
        "jsic": ["091", "ｅ", "0911", "09", "3911"],
        "municipalities": ["１２２０３", "082201", "122033"],
        "prefectures": [12, "06"],
        "employees": {"max": 300},
        "capital": {"min": None, "max": None},
        "size_classes": ["中小企業者", "small"],
        "company_age_years": {"min": 1},
    }
    assert normalize_rules(raw) == {
        "size_classes": ["small", "sme"],
        "employees": {"min": None, "max": 300},
        "company_age_years": {"min": 1, "max": None},
        "jsic": ["09", "3911", "E"],
        "prefectures": ["06", "12"],
        "municipalities": ["082201"],  # 市川市 is inside 千葉県, listed already
        "stages": ["研究開発", "販路開拓"],
    }


def test_normalize_rules_raises_with_paths():
    with pytest.raises(ValidationFailed) as exc:
        normalize_rules({"employees": {"max": -1}, "prefectures": ["99"]})
    assert [e.field for e in exc.value.errors] == ["eligibility.employees.max", "eligibility.prefectures.0"]


def test_normalized_rules_evaluate_the_same(ref):
    raw = {"jsic": ["ｅ"], "prefectures": [12], "municipalities": ["06201"]}
    profile = CompanyProfile(jsic_code="0911", municipality_code="062014")
    assert evaluate(raw, profile, today=TODAY, reference=ref) == evaluate(
        normalize_rules(raw), profile, today=TODAY, reference=ref
    )
    assert evaluate(raw, profile, today=TODAY, reference=ref).status == "eligible"


# --- parsing amounts ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("300000000", 300_000_000),
        ("３億円", 300_000_000),
        ("3億5,000万円", 350_000_000),
        ("３，０００万円", 30_000_000),
        ("5千万円", 50_000_000),
        ("1.5億", 150_000_000),
        ("300,000千円", 300_000_000),
        ("30百万円", 30_000_000),
        ("¥12,345", 12_345),
        (300_000_000, 300_000_000),
        (3.0e8, 300_000_000),
    ],
)
def test_parse_quantity(text, value):
    assert parse_quantity(text, suffixes=("円",)) == value


@pytest.mark.parametrize(
    "text", ["", "abc", "3億円以下", "5000万3億", "1.23456789万", "3..5億", "億", 1.5, True]
)
def test_parse_quantity_rejects(text):
    with pytest.raises(ValueError):
        parse_quantity(text, suffixes=("円",))


# --- CompanyProfile.from_input ------------------------------------------------------------------------------
def read(ref, **data):
    return CompanyProfile.from_input(data, today=TODAY, reference=ref)


def test_from_input_reads_what_people_type(ref):
    profile, errors = read(
        ref,
        size_class="中小企業",
        employees="３２０人",
        capital="3億5,000万円",
        jsic_code="0911 部分肉・冷凍肉製造業",
        prefecture="千葉",
        municipality="市川市",
        founded="令和元年",
        stage="試作",
    )
    assert errors == []
    assert profile == CompanyProfile(
        size_class="sme",
        employees=320,
        capital=350_000_000,
        jsic_code="0911",
        prefecture_code="12",
        municipality_code="122033",
        founded_on=dt.date(2019, 1, 1),
        founded_precision="year",
        stage="試作",
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"jsic_code": "製造業"}, {"jsic_code": "E"}),
        ({"jsic_code": "ｅ"}, {"jsic_code": "E"}),
        ({"jsic_code": "食料品製造業"}, {"jsic_code": "09"}),
        ({"prefecture": "１２"}, {"prefecture_code": "12"}),
        ({"prefecture": 6}, {"prefecture_code": "06"}),
        ({"prefecture": "東京"}, {"prefecture_code": "13"}),
        ({"prefecture": "北海道"}, {"prefecture_code": "01"}),
        ({"municipality": "12203"}, {"municipality_code": "122033", "prefecture_code": "12"}),
        ({"municipality": "千葉県 市川市"}, {"municipality_code": "122033", "prefecture_code": "12"}),
        (
            {"prefecture": "広島県", "municipality": "府中市"},
            {"municipality_code": "342084", "prefecture_code": "34"},
        ),
        ({"founded": "2019"}, {"founded_on": dt.date(2019, 1, 1), "founded_precision": "year"}),
        ({"founded": 2019}, {"founded_on": dt.date(2019, 1, 1), "founded_precision": "year"}),
        ({"founded": "H31"}, {"founded_on": dt.date(2019, 1, 1), "founded_precision": "year"}),
        ({"founded": "平成31年4月"}, {"founded_on": dt.date(2019, 4, 1), "founded_precision": "month"}),
        ({"founded": "２０１９年４月"}, {"founded_on": dt.date(2019, 4, 1), "founded_precision": "month"}),
        ({"founded": "2019-04-15"}, {"founded_on": dt.date(2019, 4, 15)}),
        ({"founded": "令和元年5月1日"}, {"founded_on": dt.date(2019, 5, 1)}),
        ({"founded": "R1.5.1"}, {"founded_on": dt.date(2019, 5, 1)}),
        ({"size_class": "小規模企業者"}, {"size_class": "small"}),
        ({"size_class": "わからない"}, {}),
        ({"employees": "1,200名", "capital": "0"}, {"employees": 1200, "capital": 0}),
        ({"employees": "", "capital": "  ", "stage": None}, {}),
    ],
)
def test_from_input_forms(ref, data, expected):
    profile, errors = read(ref, **data)
    assert errors == []
    assert profile == CompanyProfile(**expected)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"employees": "-3"}, "employees", "従業員数は0以上で入力してください（入力: -3）。"),
        (
            {"employees": "約300人"},
            "employees",
            "従業員数は 300人、1,200 のように数字で入力してください（入力: 約300人）。",
        ),
        (
            {"capital": "たくさん"},
            "capital",
            "資本金は 3億円、3,000万円、50000000 のように数字で入力してください（入力: たくさん）。",
        ),
        (
            {"capital": "2000兆円"},
            "capital",
            "資本金が大きすぎます（1,000,000,000,000,000 円以下で入力してください）。",
        ),
        (
            {"jsic_code": "0990"},
            "jsic_code",
            "産業分類コード「0990」は日本標準産業分類（第14回改定）にありません。",
        ),
        (
            {"jsic_code": "ものづくり"},
            "jsic_code",
            "業種「ものづくり」が見つかりません。産業分類コード（例: E、09、0911）または分類名（例: 製造業）で入力してください。",
        ),
        (
            {"prefecture": "99"},
            "prefecture",
            "都道府県「99」が見つかりません。千葉県、千葉、12 のように入力してください。",
        ),
        (
            {"prefecture": "千葉府"},
            "prefecture",
            "都道府県「千葉府」が見つかりません。千葉県、千葉、12 のように入力してください。",
        ),
        (
            {"municipality": "129992"},
            "municipality",
            "市区町村コード「129992」は全国地方公共団体コードにありません。",
        ),
        (
            {"municipality": "夢の市"},
            "municipality",
            "市区町村「夢の市」が見つかりません。市川市 のように入力してください。",
        ),
        (
            {"municipality": "府中市"},
            "municipality",
            "「府中市」は複数あります（東京都府中市・広島県府中市）。都道府県も入力してください。",
        ),
        (
            {"prefecture": "山形県", "municipality": "市川市"},
            "municipality",
            "「市川市」は山形県の市区町村ではありません。",
        ),
        ({"founded": "2030"}, "founded", "設立年月日が未来の日付です（入力: 2030）。"),
        ({"founded": "1500"}, "founded", "設立年が古すぎます（入力: 1500）。"),
        (
            {"founded": "平成40年"},
            "founded",
            "設立年は 2019、2019年4月、令和元年、2019-04-01 のように入力してください（入力: 平成40年）。",
        ),
        (
            {"founded": "2019年13月"},
            "founded",
            "設立年は 2019、2019年4月、令和元年、2019-04-01 のように入力してください（入力: 2019年13月）。",
        ),
        (
            {"stage": "量産"},
            "stage",
            "事業段階は 研究開発・試作・事業化・販路開拓 のいずれかを選んでください。",
        ),
        (
            {"size_class": "中くらい"},
            "size_class",
            "企業規模は 小規模企業者・中小企業者・大企業 のいずれかを選んでください（入力: 中くらい）。",
        ),
    ],
)
def test_from_input_errors(ref, data, field, message):
    profile, errors = read(ref, **data)
    assert errors == [FieldError(field, message)]
    key = {"jsic_code": "jsic_code", "founded": "founded_on", "prefecture": "prefecture_code"}.get(
        field, field
    )
    if key == "municipality":
        key = "municipality_code"
    assert getattr(profile, key) is None  # a field with an error stays unknown


def test_from_input_keeps_the_good_fields_beside_the_bad(ref):
    profile, errors = read(ref, employees="50", capital="three", prefecture="千葉県")
    assert [e.field for e in errors] == ["capital"]
    assert (profile.employees, profile.capital, profile.prefecture_code) == (50, None, "12")


# --- CompanyProfile.from_company ----------------------------------------------------------------------------
def test_from_company_reads_the_ids_without_queries(orgs, django_assert_num_queries):
    company = CompanyFactory(
        owner_organization=orgs["chiba_lab"],
        jsic=IndustryClass.objects.get(code="0911"),
        municipality=Municipality.objects.get(code="122033"),
        capital=50_000_000,
        employees=40,
        founded_on=dt.date(2010, 4, 1),
        size_class="sme",
    )
    company = type(company).objects.get(pk=company.pk)
    with django_assert_num_queries(0):
        profile = CompanyProfile.from_company(company, stage="事業化")
    assert profile == CompanyProfile(
        size_class="sme",
        employees=40,
        capital=50_000_000,
        jsic_code="0911",
        prefecture_code="12",
        municipality_code="122033",
        founded_on=dt.date(2010, 4, 1),
        stage="事業化",
    )


def test_from_company_with_nothing_registered(orgs):
    company = CompanyFactory(owner_organization=orgs["chiba_lab"])
    profile = CompanyProfile.from_company(company)
    assert profile == CompanyProfile()  # size "unknown" → None
