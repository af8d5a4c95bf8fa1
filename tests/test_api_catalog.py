"""The catalog API: public lists and details (who sees what), staff create/change through the services (403/404/422
as they decide, nothing half-written), pagination and bad input, and the public eligibility check."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from renkei.api.services import token_create
from renkei.catalog import services
from renkei.catalog.models import Equipment, ResearchSeed, SupportProgram, TestService
from renkei.network.choices import StaffRole

from .factories import CompanyFactory

CATALOG = "/api/v1/catalog"
PROBLEM = "application/problem+json"


# --- helpers and fixtures --------------------------------------------------------------------------------------


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def send(client: Client, method: str, url: str, body) -> object:
    return getattr(client, method)(url, data=json.dumps(body), content_type="application/json")


def problem(response, status: int) -> dict[str, str]:
    """The problem+json body's errors as {field: message}, after checking its shape."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "errors"}
    assert body["status"] == status
    return {e["field"]: e["message"] for e in body["errors"]}


@pytest.fixture
def staff(make_staff):
    return {
        "lab": make_staff("chiba_lab", StaffRole.MEMBER),
        "lab_viewer": make_staff("chiba_lab", StaffRole.VIEWER),
        "pref": make_staff("chiba_pref", StaffRole.MEMBER),
        "sec": make_staff("chiba_pref", StaffRole.SECRETARIAT),
        "yama": make_staff("yamagata_center", StaffRole.MEMBER),
    }


@pytest.fixture
def catalog(staff, orgs):
    lab = staff["lab"]
    tester = services.equipment_create(
        actor=lab,
        data={
            "organization": orgs["chiba_lab"].pk,
            "name": "万能材料試験機",
            "category": "testing",
            "specifications": "引張・曲げ・圧縮 最大 100kN",
            "fee_summary": "1時間 2,500円",
        },
    )
    hidden = services.equipment_create(
        actor=lab,
        data={"organization": orgs["chiba_lab"].pk, "name": "X線CT装置 調整中", "is_public": False},
    )
    yama_tester = services.equipment_create(
        actor=staff["yama"],
        data={"organization": orgs["yamagata_center"].pk, "name": "恒温恒湿槽", "category": "environment"},
    )
    yama_hidden = services.equipment_create(
        actor=staff["yama"],
        data={"organization": orgs["yamagata_center"].pk, "name": "試作中の分析装置", "is_public": False},
    )
    seed = services.seed_create(
        actor=lab,
        data={
            "institution": orgs["chiba_lab"].pk,
            "title": "樹脂成形品の強度評価",
            "keywords": ["樹脂", "強度"],
            "stage": "applied",
        },
    )
    program = services.program_create(
        actor=lab,
        data={
            "organization": orgs["chiba_lab"].pk,
            "title": "ものづくり設備投資補助金",
            "kind": "subsidy",
            "rate_text": "2/3以内",
            "fiscal_year": 2025,
            "eligibility": {"size_classes": ["sme"], "employees": {"max": 300}},
        },
    )
    old_program = services.program_create(
        actor=lab, data={"organization": orgs["chiba_lab"].pk, "title": "前年度の補助金", "fiscal_year": 2024}
    )
    hidden_program = services.program_create(
        actor=lab,
        data={"organization": orgs["chiba_lab"].pk, "title": "準備中の助成金", "is_public": False},
    )
    return {
        "tester": tester,
        "hidden": hidden,
        "yama_tester": yama_tester,
        "yama_hidden": yama_hidden,
        "seed": seed,
        "program": program,
        "old_program": old_program,
        "hidden_program": hidden_program,
    }


def names(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["name"] for item in response.json()["items"]}


# --- reading: who sees what ------------------------------------------------------------------------------------


def test_anonymous_list_shows_public_items_with_their_shape(catalog, orgs):
    response = client_for().get(f"{CATALOG}/equipment")
    assert names(response) == {"万能材料試験機", "恒温恒湿槽"}
    body = response.json()
    assert body["count"] == 2
    row = next(i for i in body["items"] if i["name"] == "万能材料試験機")
    assert row["organization"]["id"] == orgs["chiba_lab"].pk
    assert row["region"]["slug"] == "chiba"
    assert (row["category"], row["category_label"]) == ("testing", "試験・評価")
    assert row["fee_summary"] == "1時間 2,500円"
    assert row["is_public"] is True and row["can_edit"] is False
    assert row["photo_url"] is None and row["source"] is None


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        (
            "lab",
            {"万能材料試験機", "X線CT装置 調整中", "恒温恒湿槽"},
        ),  # its own organization's unpublished item
        ("lab_viewer", {"万能材料試験機", "X線CT装置 調整中", "恒温恒湿槽"}),
        ("sec", {"万能材料試験機", "X線CT装置 調整中", "恒温恒湿槽"}),  # the region's secretariat
        ("pref", {"万能材料試験機", "恒温恒湿槽"}),  # another body of the same region
        ("yama", {"万能材料試験機", "恒温恒湿槽", "試作中の分析装置"}),
    ],
)
def test_staff_see_their_own_unpublished_items_and_no_one_elses(catalog, staff, who, expected):
    assert names(client_for(staff[who]).get(f"{CATALOG}/equipment")) == expected


def test_an_unpublished_item_is_404_for_whoever_may_not_see_it(catalog, staff):
    url = f"{CATALOG}/equipment/{catalog['hidden'].pk}"
    assert problem(client_for().get(url), 404) == {}
    assert client_for(staff["yama"]).get(url).status_code == 404
    response = client_for(staff["lab"]).get(url)
    assert response.status_code == 200
    assert response.json()["name"] == "X線CT装置 調整中" and response.json()["can_edit"] is True
    assert client_for(staff["lab_viewer"]).get(url).json()["can_edit"] is False  # sees, may not change


def test_a_token_reads_as_its_user_and_a_bad_one_as_a_visitor(catalog, staff, orgs):
    _, raw = token_create(user=staff["lab"], name="script")
    url = f"{CATALOG}/equipment/{catalog['hidden'].pk}"
    assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    assert Client().get(url, HTTP_AUTHORIZATION="Bearer rk_not-a-token").status_code == 404
    body = {"organization": orgs["chiba_lab"].pk, "name": "旋盤"}
    created = Client().post(
        f"{CATALOG}/equipment",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert created.status_code == 201, created.content
    refused = Client().post(
        f"{CATALOG}/equipment",
        json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer rk_not-a-token",
    )
    assert problem(refused, 401) == {}


def test_the_public_check_needs_no_csrf_token_from_a_logged_in_browser(catalog, staff):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff["lab"])
    checked = send(
        browser, "post", f"/api/v1/programs/{catalog['hidden_program'].pk}/eligibility", {"employees": 5}
    )
    assert checked.status_code == 200  # and it reads as the logged-in user (an unpublished program of theirs)
    refused = send(browser, "post", f"{CATALOG}/equipment", {"name": "x"})
    assert refused.status_code == 403  # writes still need the CSRF token


def test_detail_of_each_kind(catalog, orgs):
    client = client_for()
    seed = client.get(f"{CATALOG}/seeds/{catalog['seed'].pk}").json()
    assert seed["title"] == "樹脂成形品の強度評価"
    assert seed["keywords"] == ["樹脂", "強度"]
    assert (seed["stage"], seed["stage_label"]) == ("applied", "応用研究")
    assert (
        seed["institution"]["id"] == orgs["chiba_lab"].pk
        and seed["institution_label"] == orgs["chiba_lab"].name
    )
    program = client.get(f"{CATALOG}/programs/{catalog['program'].pk}").json()
    assert (program["rate_numerator"], program["rate_denominator"], program["rate_label"]) == (2, 3, "2/3")
    assert program["eligibility"]["employees"] == {"max": 300}
    assert (program["kind"], program["kind_label"], program["fiscal_year"]) == ("subsidy", "補助金", 2025)


def test_filters_q_organization_and_fiscal_year(catalog, orgs):
    client = client_for()
    assert names(client.get(f"{CATALOG}/equipment", {"q": "試験機"})) == {"万能材料試験機"}
    assert names(client.get(f"{CATALOG}/equipment", {"q": "試験機 恒温"})) == set()  # words are ANDed
    assert names(client.get(f"{CATALOG}/equipment", {"organization": orgs["yamagata_center"].pk})) == {
        "恒温恒湿槽"
    }
    assert names(client.get(f"{CATALOG}/equipment", {"category": "environment"})) == {"恒温恒湿槽"}
    titles = client.get(f"{CATALOG}/programs", {"fiscal_year": 2024}).json()["items"]
    assert [p["title"] for p in titles] == ["前年度の補助金"]


def test_pagination(catalog, staff):
    client = client_for(staff["lab"])
    everything = [i["id"] for i in client.get(f"{CATALOG}/equipment").json()["items"]]
    assert len(everything) == 3
    first = client.get(f"{CATALOG}/equipment", {"limit": 2}).json()
    rest = client.get(f"{CATALOG}/equipment", {"limit": 2, "offset": 2}).json()
    assert first["count"] == rest["count"] == 3
    assert [i["id"] for i in first["items"] + rest["items"]] == everything
    assert client.get(f"{CATALOG}/equipment", {"offset": 50}).json() == {"count": 3, "items": []}


def test_a_page_costs_the_same_queries_however_many_items(catalog, staff, orgs):
    client = client_for(staff["lab"])
    client.get(f"{CATALOG}/test-services")  # session and user loaded once
    for i in range(2):
        services.test_service_create(
            actor=staff["lab"],
            data={
                "organization": orgs["chiba_lab"].pk,
                "name": f"引張試験{i}",
                "equipment": catalog["tester"].pk,
            },
        )
    with CaptureQueriesContext(connection) as few:
        assert client.get(f"{CATALOG}/test-services").json()["count"] == 2
    for i in range(2, 8):
        services.test_service_create(
            actor=staff["lab"],
            data={
                "organization": orgs["chiba_lab"].pk,
                "name": f"引張試験{i}",
                "equipment": catalog["tester"].pk,
            },
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(f"{CATALOG}/test-services").json()["count"] == 8
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 1000}, "limit"),
        ({"offset": -1}, "offset"),
        ({"organization": "abc"}, "organization"),
        ({"q": "x" * 201}, "q"),
        ({"region": "千葉"}, "region"),
    ],
)
def test_bad_list_parameters_are_422_naming_the_parameter(catalog, query, field):
    errors = problem(client_for().get(f"{CATALOG}/seeds", query), 422)
    assert field in errors


def test_unknown_kind_and_bogus_ids(catalog):
    client = client_for()
    errors = problem(client.get(f"{CATALOG}/patents"), 422)
    assert errors["kind"].startswith("種類「patents」はありません（seeds, researchers, equipment")
    assert "kind" in problem(client.get(f"{CATALOG}/patents/1"), 422)
    assert problem(client.get(f"{CATALOG}/seeds/999999"), 404) == {}
    assert "item_id" in problem(client.get(f"{CATALOG}/seeds/0"), 422)
    assert "item_id" in problem(client.get(f"{CATALOG}/seeds/abc"), 422)
    assert "item_id" in problem(client.get(f"{CATALOG}/seeds/{2**63}"), 422)


# --- writing ---------------------------------------------------------------------------------------------------


def test_staff_create_equipment_with_input_as_people_type_it(staff, orgs):
    response = send(
        client_for(staff["lab"]),
        "post",
        f"{CATALOG}/equipment",
        {
            "organization": orgs["chiba_lab"].pk,
            "name": "走査電子顕微鏡",
            "category": "analysis",
            "fee_summary": "１時間　３，０００円",
            "external_use": False,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["fee_summary"] == "1時間 3,000円"  # NFKC, spaces squashed
    assert (body["external_use"], body["is_public"], body["can_edit"]) == (False, True, True)
    assert body["region"]["slug"] == "chiba"
    assert Equipment.objects.get(pk=body["id"]).created_by == staff["lab"]


def test_create_a_program_reads_the_rate_and_amounts(staff, orgs):
    response = send(
        client_for(staff["lab"]),
        "post",
        f"{CATALOG}/programs",
        {
            "organization": orgs["chiba_lab"].pk,
            "title": "新製品開発支援",
            "rate_text": "補助対象経費の３分の２以内",
            "cap_yen": "1,500万円",
            "opens_on": "令和7年4月1日",
            "closes_on": "2025-06-30",
            "purposes": ["研究開発"],
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["rate_label"], body["cap_yen"]) == ("2/3", 15_000_000)
    assert (body["opens_on"], body["closes_on"], body["fiscal_year"]) == ("2025-04-01", "2025-06-30", 2025)


def test_create_seed_and_researcher_and_test_service(staff, orgs, catalog):
    client = client_for(staff["lab"])
    researcher = send(
        client, "post", f"{CATALOG}/researchers", {"name": "千葉 一郎", "organization": orgs["chiba_lab"].pk}
    )
    assert researcher.status_code == 201, researcher.content
    seed = send(
        client,
        "post",
        f"{CATALOG}/seeds",
        {
            "title": "炭素繊維の接合",
            "researcher": researcher.json()["id"],
            "institution": orgs["chiba_lab"].pk,
        },
    )
    assert seed.status_code == 201, seed.content
    assert seed.json()["researcher"] == {"id": researcher.json()["id"], "name": "千葉 一郎"}
    service = send(
        client,
        "post",
        f"{CATALOG}/test-services",
        {
            "organization": orgs["chiba_lab"].pk,
            "name": "引張試験",
            "standard": "JIS Z 2241",
            "fee_yen": "４，２００円",
            "equipment": catalog["tester"].pk,
        },
    )
    assert service.status_code == 201, service.content
    assert (service.json()["fee_yen"], service.json()["equipment"]["name"]) == (4200, "万能材料試験機")


def test_bad_input_is_422_per_field_and_nothing_is_written(staff, orgs):
    before = Equipment.objects.count()
    errors = problem(
        send(
            client_for(staff["lab"]),
            "post",
            f"{CATALOG}/equipment",
            {"organization": orgs["chiba_lab"].pk, "name": "　", "fee_summary": "a\x07b"},
        ),
        422,
    )
    assert errors == {
        "name": "機器名を入力してください。",
        "fee_summary": "利用料金に使用できない制御文字が含まれています。",
    }
    errors = problem(
        send(client_for(staff["lab"]), "post", f"{CATALOG}/equipment", {"name": "x", "category": "宇宙"}),
        422,
    )
    assert set(errors) == {"organization", "category"}  # the schema's checks, both at once
    assert Equipment.objects.count() == before


def test_program_rules_are_checked_with_their_path(staff, orgs):
    errors = problem(
        send(
            client_for(staff["lab"]),
            "post",
            f"{CATALOG}/programs",
            {"organization": orgs["chiba_lab"].pk, "title": "x", "eligibility": {"employees": {"max": -1}}},
        ),
        422,
    )
    assert any(field.startswith("eligibility") for field in errors), errors
    assert not SupportProgram.objects.filter(title="x").exists()


def test_who_may_write(staff, orgs, catalog):
    body = {"organization": orgs["chiba_lab"].pk, "name": "旋盤"}
    assert problem(send(client_for(), "post", f"{CATALOG}/equipment", body), 401) == {}
    assert send(client_for(staff["lab_viewer"]), "post", f"{CATALOG}/equipment", body).status_code == 403
    denied = send(client_for(staff["yama"]), "post", f"{CATALOG}/equipment", body)
    assert denied.status_code == 403
    assert "千葉県産業支援技術研究所" in denied.json()["detail"]
    assert send(client_for(staff["sec"]), "post", f"{CATALOG}/equipment", body).status_code == 201
    assert not Equipment.objects.filter(name="旋盤", created_by=staff["yama"]).exists()


def test_patch_changes_only_what_is_sent(staff, catalog):
    url = f"{CATALOG}/equipment/{catalog['tester'].pk}"
    response = send(client_for(staff["lab"]), "patch", url, {"fee_summary": None, "location": "本館 1階"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["fee_summary"], body["location"], body["name"]) == ("", "本館 1階", "万能材料試験機")
    errors = problem(send(client_for(staff["lab"]), "patch", url, {"name": None}), 422)
    assert errors == {"name": "機器名を入力してください。"}
    assert Equipment.objects.get(pk=catalog["tester"].pk).name == "万能材料試験機"


def test_patch_of_another_bodys_item_is_403_and_of_an_unseen_one_404(staff, catalog):
    client = client_for(staff["yama"])
    public = f"{CATALOG}/equipment/{catalog['tester'].pk}"
    assert send(client, "patch", public, {"name": "改名"}).status_code == 403  # it sees it, may not change it
    hidden = f"{CATALOG}/equipment/{catalog['hidden'].pk}"
    assert send(client, "patch", hidden, {"name": "改名"}).status_code == 404
    assert send(client, "patch", f"{CATALOG}/seeds/999999", {"title": "x"}).status_code == 404
    assert not Equipment.objects.filter(name="改名").exists()


def test_patch_a_seed_and_a_program(staff, catalog):
    client = client_for(staff["lab"])
    seed = send(
        client, "patch", f"{CATALOG}/seeds/{catalog['seed'].pk}", {"stage": None, "keywords": ["樹脂"]}
    )
    assert seed.status_code == 200, seed.content
    assert (seed.json()["stage"], seed.json()["keywords"]) == ("", ["樹脂"])
    program = send(client, "patch", f"{CATALOG}/programs/{catalog['program'].pk}", {"is_public": False})
    assert program.json()["is_public"] is False
    assert not SupportProgram.objects.get(pk=catalog["program"].pk).is_public
    assert client_for().get(f"{CATALOG}/programs/{catalog['program'].pk}").status_code == 404
    assert ResearchSeed.objects.get(pk=catalog["seed"].pk).keywords == ["樹脂"]
    assert not TestService.objects.exists()


# --- eligibility -----------------------------------------------------------------------------------------------


def eligibility(client: Client, program, body) -> object:
    return send(client, "post", f"/api/v1/programs/{program.pk}/eligibility", body)


def test_eligibility_near_miss_with_full_width_digits(catalog):
    response = eligibility(client_for(), catalog["program"], {"employees": "３２０人", "size_class": "sme"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["program"] == {"id": catalog["program"].pk, "title": "ものづくり設備投資補助金"}
    assert body["profile"]["employees"] == 320
    assert body["verdict"]["status"] == "near_miss"
    messages = [c["message"] for c in body["verdict"]["checks"]]
    assert "従業員数 320 人: 上限 300 人を 20 人超えています" in messages


def test_eligibility_eligible_and_unknown(catalog):
    client = client_for()
    ok = eligibility(
        client, catalog["program"], {"employees": 50, "capital": "3,000万円", "jsic": "0911"}
    ).json()
    assert ok["verdict"]["status"] == "eligible"
    assert (ok["profile"]["capital"], ok["profile"]["jsic_code"]) == (30_000_000, "0911")
    unknown = eligibility(client, catalog["program"], {}).json()["verdict"]
    assert unknown["status"] == "unknown"
    assert "従業員数" in unknown["missing"]


@pytest.mark.parametrize(
    ("body", "field", "start"),
    [
        ({"employees": -5}, "employees", "従業員数は0以上"),
        ({"employees": "－５人"}, "employees", "従業員数は0以上"),
        ({"employees": "たくさん"}, "employees", "従業員数は 300人、1,200 のように数字で"),
        ({"capital": "3億円くらい"}, "capital", "資本金は"),
        ({"jsic": "0000"}, "jsic", "産業分類コード「0000」"),
        ({"prefecture": "アトランティス"}, "prefecture", "都道府県「アトランティス」"),
        ({"founded_year": "来年"}, "founded_year", "設立年は"),
        ({"size_class": "huge"}, "size_class", "指定できる値は"),
        ({"employees": 1.5}, "employees", "整数、または"),
        ({"shoe_size": 27}, "shoe_size", "この項目は指定できません"),
    ],
)
def test_eligibility_bad_input_is_422_naming_the_field(catalog, body, field, start):
    errors = problem(eligibility(client_for(), catalog["program"], body), 422)
    assert errors[field].startswith(start), errors


def test_eligibility_for_a_company_the_caller_may_see(catalog, staff, orgs, chiba):
    company = CompanyFactory(
        owner_organization=orgs["chiba_lab"], region=chiba, employees=500, capital=10**10
    )
    client = client_for(staff["lab"])
    body = eligibility(client, catalog["program"], {"company_id": company.pk}).json()
    assert body["profile"]["employees"] == 500
    assert body["verdict"]["status"] == "not_eligible"
    assert "company_id" in problem(
        eligibility(client, catalog["program"], {"company_id": company.pk, "employees": 3}), 422
    )
    assert (
        problem(eligibility(client_for(staff["yama"]), catalog["program"], {"company_id": company.pk}), 404)
        == {}
    )
    assert eligibility(client_for(), catalog["program"], {"company_id": company.pk}).status_code == 404


def test_eligibility_of_a_program_the_caller_may_not_see_is_404(catalog, staff):
    hidden = catalog["hidden_program"]
    assert problem(eligibility(client_for(), hidden, {"employees": 10}), 404) == {}
    assert eligibility(client_for(staff["lab"]), hidden, {"employees": 10}).status_code == 200
    response = send(client_for(), "post", "/api/v1/programs/999999/eligibility", {})
    assert response.status_code == 404


def test_every_catalog_operation_documents_its_errors():
    schema = client_for().get("/api/v1/openapi.json").json()
    paths = {p: ops for p, ops in schema["paths"].items() if "/catalog/" in p or "eligibility" in p}
    assert len(paths) == 11
    for path, operations in paths.items():
        for method, operation in operations.items():
            responses = operation["responses"]
            assert "422" in responses, (method, path)
            if "{" in path:
                assert "404" in responses, (method, path)
            if method in ("post", "patch") and "eligibility" not in path:
                assert {"401", "403"} <= set(responses), (method, path)
                assert operation["security"] and {} not in operation["security"], (method, path)  # staff only
            else:
                assert {} in operation["security"], (method, path)  # public: authentication is optional
            assert PROBLEM in responses["422"]["content"]
