"""The companies API: validation through the service (422 per field, nothing written), output, pagination."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from stdnum.jp import cn as corporate_number_std

from renkei.companies.models import Company, Contact
from renkei.network.choices import StaffRole

from .factories import CompanyFactory

URL = "/api/v1/companies"
PROBLEM = "application/problem+json"


@pytest.fixture
def writer(make_staff):
    return make_staff("chiba_lab", StaffRole.MEMBER)


@pytest.fixture
def api(writer) -> Client:
    client = Client()
    client.force_login(writer)
    return client


def post(client: Client, body, url: str = URL):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def patch(client: Client, url: str, body):
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def problem_fields(response) -> list[str]:
    assert response["Content-Type"] == PROBLEM, response.content
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "errors"}
    assert body["status"] == response.status_code
    return [e["field"] for e in body["errors"]]


# --- create ----------------------------------------------------------------------------------------------------


def test_create_accepts_full_width_input_and_derives_size(api, orgs, chiba):
    assert corporate_number_std.is_valid("7010001008844")
    response = post(
        api,
        {
            "name": "株式会社　千葉ボイラ",
            "kana": "ちばぼいら",
            "corporate_number": "７０１０００１００８８４４",
            "jsic_code": "２５１１",
            "capital": "３０，０００，０００円",
            "employees": "２５人",
            "founded_on": "令和2年4月1日",
            "postal_code": "２６０－８６６７",
            "municipality_code": "121011",
            "phone": "０４３－２２３－２７１１",
            "url": "https://example.jp/",
            "technologies": "溶接・熱処理",
            "consent_share_region": True,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["corporate_number"] == "7010001008844"
    assert body["name"] == "株式会社 千葉ボイラ"
    assert body["capital"] == 30_000_000
    assert body["employees"] == 25
    assert body["founded_on"] == "2020-04-01"
    assert body["postal_code"] == "260-8667"
    assert body["phone"] == "043-223-2711"
    assert (body["jsic_code"], body["jsic_name"]) == ("2511", "ボイラ製造業")
    assert [level["code"] for level in body["jsic_path"]] == ["E", "25", "251", "2511"]
    assert body["size_class"] == "sme"
    assert body["size_class_label"] == "中小企業者"
    assert body["sector"] == "manufacturing"
    assert "25 人" in body["size_reason"]
    assert body["municipality"]["code"] == "121011"
    assert body["owner_organization"]["id"] == orgs["chiba_lab"].pk
    assert body["region"] == {"id": chiba.pk, "slug": "chiba", "name": chiba.name}
    assert body["contacts"] == []
    assert body["can_edit"] is True
    assert body["consent_recorded_on"] is not None
    company = Company.objects.get(pk=body["id"])
    assert company.corporate_number == "7010001008844"
    assert company.created_by.username == "chiba_lab-member"


BAD_CREATES = [
    pytest.param(
        {"corporate_number": "7010001008845"}, "corporate_number", "チェックデジット", id="check-digit"
    ),
    pytest.param({"corporate_number": "701000100884"}, "corporate_number", "12 桁", id="12-digits"),
    pytest.param({"corporate_number": "70100010088AB"}, "corporate_number", "数字以外", id="letters"),
    pytest.param({"jsic_code": "1234"}, "jsic_code", "ありません", id="unknown-jsic"),
    pytest.param({"jsic_code": "25"}, "jsic_code", "中分類", id="jsic-not-detail"),
    pytest.param({"employees": -5}, "employees", "0以上", id="negative-employees"),
    pytest.param({"employees": "－５"}, "employees", "0以上", id="full-width-negative"),
    pytest.param({"employees": 1.5}, "employees", "整数", id="fractional-employees"),
    pytest.param({"employees": True}, "employees", "整数", id="boolean-employees"),
    pytest.param({"capital": 10**16}, "capital", "大きすぎます", id="huge-capital"),
    pytest.param({"capital": 10**40}, "capital", "大きすぎます", id="beyond-64-bit-capital"),
    pytest.param({"capital": "三千万"}, "capital", "整数", id="kanji-capital"),
    pytest.param({"founded_on": "2999-01-01"}, "founded_on", "未来", id="future-founding"),
    pytest.param({"founded_on": "昨日"}, "founded_on", "形式", id="unreadable-date"),
    pytest.param({"postal_code": "12345"}, "postal_code", "7桁", id="short-postal-code"),
    pytest.param(
        {"municipality_code": "999999"}, "municipality_code", "ありません", id="unknown-municipality"
    ),
    pytest.param({"url": "javascript:alert(1)"}, "url", "http", id="script-url"),
    pytest.param({"name": "   "}, "name", "企業名を入力", id="blank-name"),
    pytest.param({"name": "あ" * 201}, "name", "200文字以内", id="long-name"),
    pytest.param({"name": "㍿" * 60}, "name", "200文字以内", id="name-longer-after-nfkc"),
    pytest.param({"name": "株式会社\x00"}, "name", "使用できない文字", id="nul-in-name"),
    pytest.param({"technologies": "あ" * 10_001}, "technologies", "10000文字以内", id="huge-text"),
    pytest.param(
        {"consent_share_region": "はい"}, "consent_share_region", "true か false", id="consent-as-text"
    ),
    pytest.param({"employee": 3}, "employee", "指定できません", id="unknown-key"),
    pytest.param({"owner_organization": -1}, "owner_organization", "1以上", id="negative-owner"),
]


@pytest.mark.parametrize(("change", "field", "message_part"), BAD_CREATES)
def test_create_rejects_bad_input_per_field_and_writes_nothing(api, orgs, change, field, message_part):
    body = {"name": "株式会社テスト", **change}
    before = Company.objects.count()
    response = post(api, body)
    assert response.status_code == 422, response.content
    assert field in problem_fields(response)
    messages = " ".join(e["message"] for e in response.json()["errors"] if e["field"] == field)
    assert message_part in messages
    assert Company.objects.count() == before


def test_create_reports_every_bad_field_at_once(api, orgs):
    before = Company.objects.count()
    response = post(
        api, {"name": "株式会社テスト", "corporate_number": "123", "employees": -1, "jsic_code": "0000"}
    )
    assert response.status_code == 422
    assert set(problem_fields(response)) == {"corporate_number", "employees", "jsic_code"}
    assert Company.objects.count() == before


def test_create_requires_a_name(api, orgs):
    response = post(api, {"kana": "なまえなし"})
    assert response.status_code == 422
    assert problem_fields(response) == ["name"]
    assert response.json()["errors"][0]["message"] == "必須項目です。"


def test_markup_in_text_is_stored_and_returned_unchanged(api, orgs):
    name = '<script>alert("x")</script><b>株式会社</b> & 仲間'
    response = post(api, {"name": name, "products": "<img src=x onerror=alert(1)>"})
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/json; charset=utf-8"
    company_id = response.json()["id"]
    assert response.json()["name"] == name
    assert Company.objects.get(pk=company_id).name == name
    detail = api.get(f"{URL}/{company_id}").json()
    assert detail["name"] == name
    assert detail["products"] == "<img src=x onerror=alert(1)>"


def test_duplicate_corporate_number_in_region_is_a_conflict(api, orgs, make_staff):
    CompanyFactory(owner_organization=orgs["chiba_bank_a"], corporate_number="7010001008844")
    before = Company.objects.count()
    response = post(api, {"name": "別会社", "corporate_number": "7010001008844"})
    assert response.status_code == 409
    assert problem_fields(response) == ["corporate_number"]
    assert "テスト銀行A" not in response.content.decode()  # the owner is not named
    assert Company.objects.count() == before


def test_same_corporate_number_in_another_region_is_allowed(api, orgs):
    CompanyFactory(owner_organization=orgs["yamagata_center"], corporate_number="7010001008844")
    response = post(api, {"name": "千葉の同名会社", "corporate_number": "7010001008844"})
    assert response.status_code == 201


def test_malformed_json_is_a_japanese_400(api, orgs):
    response = api.post(URL, data="{name: 株式会社", content_type="application/json")
    assert response.status_code == 400
    problem_fields(response)
    assert "JSON" in response.json()["detail"]


def test_body_that_is_not_an_object_is_422(api, orgs):
    response = post(api, ["株式会社テスト"])
    assert response.status_code == 422
    problem_fields(response)


# --- read ------------------------------------------------------------------------------------------------------


def test_detail_includes_contacts_but_the_list_does_not(api, orgs):
    company = CompanyFactory(owner_organization=orgs["chiba_lab"], name="株式会社連絡先")
    Contact.objects.create(company=company, name="千葉 花子", email="hanako@example.jp", is_primary=True)
    detail = api.get(f"{URL}/{company.pk}")
    assert detail.status_code == 200
    assert [(c["name"], c["email"], c["is_primary"]) for c in detail.json()["contacts"]] == [
        ("千葉 花子", "hanako@example.jp", True)
    ]
    listing = api.get(URL)
    assert listing.status_code == 200
    item = next(i for i in listing.json()["items"] if i["id"] == company.pk)
    assert "contacts" not in item
    assert "hanako@example.jp" not in listing.content.decode()


@pytest.mark.parametrize(
    ("path", "status", "field"),
    [
        ("999999", 404, None),
        ("0", 422, "company_id"),
        ("-3", 422, "company_id"),
        ("abc", 422, "company_id"),
        (str(2**63), 422, "company_id"),
    ],
)
def test_detail_of_bad_ids(api, orgs, path, status, field):
    response = api.get(f"{URL}/{path}")
    assert response.status_code == status
    fields = problem_fields(response)
    if field:
        assert fields == [field]
    else:
        assert response.json()["detail"] == "指定された企業は見つかりません。"


def test_anonymous_gets_401_problem(orgs):
    response = Client().get(URL)
    assert response.status_code == 401
    problem_fields(response)
    assert response.json()["title"] == "認証が必要です"


def test_list_filters(api, orgs):
    own = orgs["chiba_lab"]
    # Stored as the service stores it (NFKC: half-width ASCII); searched with full-width input.
    CompanyFactory(owner_organization=own, name="株式会社ABC精工", kana="えーびーしーせいこう")
    CompanyFactory(
        owner_organization=own, name="有限会社みどり", kana="みどり", corporate_number="7010001008844"
    )
    CompanyFactory(
        owner_organization=orgs["chiba_pref"], name="県登録の会社", kana="けん", consent_share_region=True
    )

    def names(**params) -> set[str]:
        response = api.get(URL, params)
        assert response.status_code == 200, response.content
        return {i["name"] for i in response.json()["items"]}

    assert names(q="abc") == {"株式会社ABC精工"}
    assert names(q="ＡＢＣ") == {"株式会社ABC精工"}
    assert names(q="7010-001") == {"有限会社みどり"}
    assert names(owner_organization=orgs["chiba_pref"].pk) == {"県登録の会社"}
    assert names(region=orgs["chiba_lab"].region_id) == {"株式会社ABC精工", "有限会社みどり", "県登録の会社"}
    assert names(region=orgs["yamagata_pref"].region_id) == set()
    assert names(size_class="large") == set()
    assert len(names(size_class="unknown")) == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "abc"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 10**30}, "offset"),
        ({"size_class": "huge"}, "size_class"),
        ({"region": -1}, "region"),
        ({"q": "あ" * 201}, "q"),
    ],
)
def test_out_of_range_list_parameters_are_422(api, orgs, params, field):
    response = api.get(URL, params)
    assert response.status_code == 422
    assert problem_fields(response) == [field]


def test_pagination_and_constant_query_count(api, orgs, writer):
    own = orgs["chiba_lab"]
    for n in range(3):
        CompanyFactory(owner_organization=own, kana=f"あ{n:02d}", jsic_id="2511", municipality_id="121011")
    with CaptureQueriesContext(connection) as small:
        response = api.get(URL, {"limit": 200})
    assert response.json()["count"] == 3
    for n in range(3, 40):
        CompanyFactory(owner_organization=own, kana=f"あ{n:02d}", jsic_id="2511", municipality_id="121011")
    with CaptureQueriesContext(connection) as large:
        response = api.get(URL, {"limit": 200})
    assert response.json()["count"] == 40
    assert len(response.json()["items"]) == 40
    assert len(large) == len(small)

    page = api.get(URL, {"limit": 15, "offset": 30}).json()
    assert page["count"] == 40
    assert [i["kana"] for i in page["items"]] == [f"あ{n:02d}" for n in range(30, 40)]
    assert api.get(URL, {"offset": 1000}).json() == {"count": 40, "items": []}
    for n in range(40, 55):
        CompanyFactory(owner_organization=own, kana=f"あ{n:02d}")
    default = api.get(URL).json()
    assert (default["count"], len(default["items"])) == (55, 50)


# --- change ----------------------------------------------------------------------------------------------------


def test_patch_changes_only_what_is_sent_and_rederives_size(api, orgs):
    company = CompanyFactory(
        owner_organization=orgs["chiba_lab"],
        jsic_id="2511",
        capital=10**10,
        employees=1000,
        products="ボイラ",
    )
    response = patch(api, f"{URL}/{company.pk}", {"employees": "１５"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["employees"] == 15
    assert body["size_class"] == "small"
    assert body["products"] == "ボイラ"
    company.refresh_from_db()
    assert (company.employees, company.capital, company.size_class) == (15, 10**10, "small")


def test_patch_can_clear_a_field_with_null(api, orgs):
    company = CompanyFactory(owner_organization=orgs["chiba_lab"], jsic_id="2511", employees=10)
    response = patch(api, f"{URL}/{company.pk}", {"jsic_code": None})
    assert response.status_code == 200
    assert response.json()["jsic_code"] is None
    assert response.json()["size_class"] == "unknown"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"corporate_number": "1234567890123"}, "corporate_number"),
        ({"employees": -1}, "employees"),
        ({"name": None}, "name"),
        ({"owner_organization": 1}, "owner_organization"),
    ],
)
def test_bad_patch_changes_nothing(api, orgs, body, field):
    company = CompanyFactory(owner_organization=orgs["chiba_lab"], name="変わらない会社", employees=7)
    updated_at = company.updated_at
    response = patch(api, f"{URL}/{company.pk}", body)
    assert response.status_code == 422
    assert field in problem_fields(response)
    company.refresh_from_db()
    assert (company.name, company.employees, company.corporate_number) == ("変わらない会社", 7, None)
    assert company.updated_at == updated_at


def test_patch_of_unknown_company_is_404(api, orgs):
    response = patch(api, f"{URL}/987654", {"name": "x"})
    assert response.status_code == 404
    problem_fields(response)
