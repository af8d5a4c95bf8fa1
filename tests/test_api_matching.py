"""The matching API: the public search (shape, explanations, eligibility, bad input), visibility (a visitor, staff,
another organization — a confidential case never leaks), the matches of a case and coordinators' feedback."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from renkei.api.services import token_create
from renkei.cases import handoffs
from renkei.cases import services as case_services
from renkei.cases.models import CaseAccessLog
from renkei.catalog import services
from renkei.matching import store
from renkei.matching.models import MatchFeedback
from renkei.network.choices import StaffRole

from .factories import CompanyFactory

SEARCH = "/api/v1/search"
PROBLEM = "application/problem+json"
NEED = "樹脂成形品の強度評価をしたい"
SECRET = "超音波溶着の条件出しで困っている"  # only in the case's 相談内容 (confidential)


# --- helpers and fixtures --------------------------------------------------------------------------------------


def client_for(user=None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def post(client: Client, url: str, body) -> object:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def problem(response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "errors"}
    return {e["field"]: e["message"] for e in body["errors"]}


def keys(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [r["key"] for r in response.json()["results"]]


@pytest.fixture
def staff(case_config, make_staff):
    return {
        "lab": make_staff("chiba_lab", StaffRole.MEMBER),
        "pref": make_staff("chiba_pref", StaffRole.MEMBER),
        "yama": make_staff("yamagata_center", StaffRole.MEMBER),
    }


@pytest.fixture
def world(staff, orgs):
    lab = staff["lab"]
    tester = services.equipment_create(
        actor=lab,
        data={
            "organization": orgs["chiba_lab"].pk,
            "name": "万能材料試験機",
            "category": "testing",
            "specifications": "樹脂成形品・金属材料の引張強度と曲げ強度を評価します。",
        },
    )
    welder = services.equipment_create(
        actor=lab,
        data={
            "organization": orgs["chiba_lab"].pk,
            "name": "超音波溶着機",
            "specifications": "樹脂部品の超音波溶着の条件出しに使えます。",
        },
    )
    hidden = services.seed_create(
        actor=lab,
        data={
            "institution": orgs["chiba_lab"].pk,
            "title": "樹脂成形品の強度評価の新手法（公開前）",
            "summary": "樹脂成形品の強度評価を短時間で行う手法。",
            "is_public": False,
        },
    )
    program = services.program_create(
        actor=lab,
        data={
            "organization": orgs["chiba_lab"].pk,
            "title": "樹脂成形品の強度評価 支援補助金",
            "summary": "樹脂成形品の強度評価にかかる試験費用を補助します。",
            "eligibility": {"employees": {"max": 300}},
        },
    )
    case = case_services.case_create(
        actor=lab,
        data={
            "channel": "phone",
            "title": "樹脂成形品の強度評価の相談",
            "summary": "樹脂部品の評価方法",
            "text": SECRET,
            "company_name": "株式会社ひみつ樹脂",
            "contact_name": "佐藤 花子",
            "phone": "043-000-1111",
        },
        organization_id=orgs["chiba_lab"].pk,
    )
    store.rebuild()
    return {"tester": tester, "welder": welder, "hidden": hidden, "program": program, "case": case}


# --- the public search -----------------------------------------------------------------------------------------


def test_search_returns_explained_results_of_every_kind(world):
    response = client_for().get(SEARCH, {"q": NEED})
    body = response.json()
    assert set(body) == {"query", "index_version", "semantic", "count", "results"}
    assert body["query"] == NEED and body["index_version"] == store.current_version()
    found = {r["key"]: r for r in body["results"]}
    assert {f"equipment:{world['tester'].pk}", f"program:{world['program'].pk}"} <= set(found)
    assert body["count"] == len(body["results"])
    tester = found[f"equipment:{world['tester'].pk}"]
    assert tester["kind"] == "equipment" and tester["kind_label"] == "機器"
    assert tester["url"] == f"/api/v1/catalog/equipment/{world['tester'].pk}"
    assert tester["organization_id"] == world["tester"].organization_id
    assert "強度" in tester["explanation"]["matched"]
    assert "【" in tester["explanation"]["snippet"] and tester["explanation"]["summary"].startswith("一致: ")
    assert tester["eligibility"] is None  # no company profile given
    assert [r["rank"] for r in body["results"]] == list(range(1, len(body["results"]) + 1))


def test_search_kind_filter_and_limit(world):
    only = client_for().get(SEARCH, [("q", NEED), ("kind", "program"), ("kind", "seed")])
    assert keys(only) == [f"program:{world['program'].pk}"]  # the seed is unpublished
    assert len(keys(client_for().get(SEARCH, {"q": NEED, "limit": 1}))) == 1


def test_search_with_a_typed_profile_judges_programs(world):
    response = client_for().get(SEARCH, {"q": NEED, "kind": "program", "employees": "３２０"})
    (program,) = response.json()["results"]
    assert program["eligibility"]["status"] == "near_miss"
    assert (
        program["eligibility"]["checks"][0]["message"] == "従業員数 320 人: 上限 300 人を 20 人超えています"
    )
    far = client_for().get(
        SEARCH, {"q": NEED, "kind": "program", "employees": "5000", "eligible_only": "true"}
    )
    assert keys(far) == []
    errors = problem(client_for().get(SEARCH, {"q": NEED, "employees": "-3"}), 422)
    assert errors["employees"].startswith("従業員数は0以上")
    assert "jsic" in problem(client_for().get(SEARCH, {"q": NEED, "jsic": "0000"}), 422)


def test_search_judges_programs_for_a_company_the_caller_may_see(world, staff, orgs, chiba):
    company = CompanyFactory(owner_organization=orgs["chiba_lab"], region=chiba, employees=20, capital=10**7)
    query = {"q": NEED, "kind": "program", "company_id": company.pk}
    (program,) = client_for(staff["lab"]).get(SEARCH, query).json()["results"]
    assert program["eligibility"]["status"] == "eligible"
    assert problem(client_for(staff["yama"]).get(SEARCH, query), 404) == {}
    assert problem(client_for().get(SEARCH, query), 404) == {}
    assert "company_id" in problem(client_for(staff["lab"]).get(SEARCH, {**query, "capital": "1億円"}), 422)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"q": ""}, "q"),
        ({"q": "　 \t"}, "q"),
        ({"q": "！？。"}, "q"),
        ({}, "q"),
        ({"q": "樹" * 10_001}, "q"),
        ({"q": NEED, "kind": "patent"}, "kind"),
        ({"q": NEED, "limit": 0}, "limit"),
        ({"q": NEED, "limit": 1000}, "limit"),
        ({"q": NEED, "region": "atlantis"}, "region"),
        ({"q": NEED, "network": "x"}, "network.0"),
        ({"q": NEED, "size_class": "huge"}, "size_class"),
    ],
)
def test_bad_search_input_is_422_naming_the_parameter(world, query, field):
    errors = problem(client_for().get(SEARCH, query), 422)
    assert any(name == field or name.startswith(f"{field}.") for name in errors), errors


def test_empty_query_message_is_japanese(world):
    assert problem(client_for().get(SEARCH, {"q": " "}), 422) == {"q": "探したい内容を入力してください。"}


def test_a_query_of_10000_characters_is_answered(world):
    text = (NEED + "。") * (10_000 // (len(NEED) + 1))
    response = client_for().get(SEARCH, {"q": text[:10_000], "limit": 3})
    assert response.status_code == 200, response.content[:300]
    assert len(response.json()["results"]) == 3


def test_region_filter(world, chiba, yamagata):
    assert f"equipment:{world['tester'].pk}" in keys(client_for().get(SEARCH, {"q": NEED, "region": "chiba"}))
    assert f"equipment:{world['tester'].pk}" in keys(
        client_for().get(SEARCH, {"q": NEED, "region": chiba.pk})
    )
    assert keys(client_for().get(SEARCH, {"q": NEED, "region": "yamagata", "kind": "equipment"})) == []


# --- visibility ------------------------------------------------------------------------------------------------


def test_unpublished_items_only_for_their_organization(world, staff):
    hidden = f"seed:{world['hidden'].pk}"
    query = {"q": NEED, "kind": "seed"}
    assert hidden not in keys(client_for().get(SEARCH, query))
    assert hidden not in keys(client_for(staff["yama"]).get(SEARCH, query))
    assert hidden not in keys(client_for(staff["pref"]).get(SEARCH, query))
    assert hidden in keys(client_for(staff["lab"]).get(SEARCH, query))


def test_a_confidential_case_never_appears_in_another_organizations_search(world, staff):
    case = f"case:{world['case'].pk}"
    query = {"q": NEED, "limit": 50}
    assert case in keys(client_for(staff["lab"]).get(SEARCH, query))  # the organization that leads it
    for outsider in (staff["pref"], staff["yama"]):
        assert case not in keys(client_for(outsider).get(SEARCH, query))
        assert case not in keys(client_for(outsider).get(SEARCH, {**query, "kind": "case"}))
    assert keys(client_for().get(SEARCH, {**query, "kind": "case"})) == []
    everything = json.dumps(client_for(staff["yama"]).get(SEARCH, query).json(), ensure_ascii=False)
    assert "ひみつ樹脂" not in everything and SECRET not in everything


# --- the matches of a case -------------------------------------------------------------------------------------


def matches_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/matches"


def test_case_matches_read_the_case_as_the_caller_may(world, staff):
    response = client_for(staff["lab"]).get(matches_url(world["case"]), {"limit": 20})
    body = response.json()
    assert set(body) == {"case_id", "index_version", "semantic", "count", "results"}
    assert body["case_id"] == world["case"].pk
    found = [r["key"] for r in body["results"]]
    assert f"case:{world['case'].pk}" not in found  # not itself
    assert f"equipment:{world['welder'].pk}" in found  # from the 相談内容 the lead body may read
    welder = next(r for r in body["results"] if r["key"] == f"equipment:{world['welder'].pk}")
    assert "超音波" in welder["explanation"]["matched"] or "溶着" in welder["explanation"]["matched"]
    # As on the case page's panel, reading matches is not logged as reading the case: no case text is returned.
    assert not CaseAccessLog.objects.filter(case=world["case"]).exists()


def test_a_summary_only_receiver_gets_matches_from_the_summary_alone(world, staff, orgs):
    handoffs.handoff_request(
        actor=staff["lab"],
        case_id=world["case"].pk,
        to_organization_id=orgs["chiba_pref"].pk,
        reason="補助金の相談",
        consent_scope="summary",
    )

    def matched_words(user) -> set[str]:
        response = client_for(user).get(matches_url(world["case"]), {"limit": 50})
        assert response.status_code == 200, response.content
        return {word for r in response.json()["results"] for word in r["explanation"]["matched"]}

    assert {"超音波", "溶着"} & matched_words(staff["lab"])  # the lead body's matches use the 相談内容
    assert not {"超音波", "溶着"} & matched_words(staff["pref"])  # the receiver's only what it was given
    assert not CaseAccessLog.objects.filter(case=world["case"], user=staff["pref"]).exists()


def test_case_matches_judge_programs_for_the_cases_company_when_the_caller_reads_it(
    world, staff, orgs, chiba
):
    company = CompanyFactory(owner_organization=orgs["chiba_lab"], region=chiba, employees=320)
    case = case_services.case_create(
        actor=staff["lab"],
        data={
            "channel": "visit",
            "title": "樹脂成形品の強度評価",
            "text": "試験費用の補助も知りたい",
            "company_id": company.pk,
        },
        organization_id=orgs["chiba_lab"].pk,
    )
    query = {"kind": "program"}
    (program,) = client_for(staff["lab"]).get(matches_url(case), query).json()["results"]
    assert program["eligibility"]["status"] == "near_miss"
    handoffs.handoff_request(
        actor=staff["lab"],
        case_id=case.pk,
        to_organization_id=orgs["chiba_pref"].pk,
        reason="相談",
        consent_scope="summary",
    )
    (program,) = client_for(staff["pref"]).get(matches_url(case), query).json()["results"]
    assert program["eligibility"] is None  # a 概要のみ receiver is not given the company


def test_case_matches_kind_filter(world, staff):
    response = client_for(staff["lab"]).get(matches_url(world["case"]), {"kind": "program"})
    assert {r["kind"] for r in response.json()["results"]} == {"program"}


def test_case_matches_of_a_case_the_caller_may_not_see_is_404(world, staff):
    assert problem(client_for(staff["yama"]).get(matches_url(world["case"])), 404) == {}
    assert client_for(staff["pref"]).get(matches_url(world["case"])).status_code == 404
    assert problem(client_for().get(matches_url(world["case"])), 401) == {}
    assert client_for(staff["lab"]).get("/api/v1/cases/999999/matches").status_code == 404
    assert "case_id" in problem(client_for(staff["lab"]).get("/api/v1/cases/0/matches"), 422)
    for bad in ({"limit": 0}, {"limit": 1000}, {"kind": "patent"}):
        assert problem(client_for(staff["lab"]).get(matches_url(world["case"]), bad), 422)


# --- feedback --------------------------------------------------------------------------------------------------


def feedback_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/matches/feedback"


def test_feedback_is_recorded_with_rank_score_and_index_version(world, staff):
    client = client_for(staff["lab"])
    shown = client.get(matches_url(world["case"]), {"limit": 50}).json()["results"]
    item = next(r for r in shown if r["key"] == f"equipment:{world['welder'].pk}")
    response = post(client, feedback_url(world["case"]), {"item": item["key"], "useful": True})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["item"], body["kind"], body["useful"], body["rank"]) == (
        item["key"],
        "equipment",
        True,
        item["rank"],
    )
    assert body["score"] == pytest.approx(item["score"], abs=1e-3)
    record = MatchFeedback.objects.get(case=world["case"], user=staff["lab"])
    assert record.index_version == store.current_version()
    assert SECRET in record.query_text
    again = post(client, feedback_url(world["case"]), {"item": item["key"], "useful": False})
    assert again.json()["useful"] is False
    assert MatchFeedback.objects.filter(case=world["case"]).count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"item": "seed12", "useful": True}, "item"),
        ({"item": "patent:1", "useful": True}, "item"),
        ({"item": "seed:1"}, "useful"),
        ({"item": "seed:1", "useful": "yes"}, "useful"),
        ({"item": "seed:1", "useful": True, "rank": 1}, "rank"),
    ],
)
def test_bad_feedback_is_422(world, staff, body, field):
    errors = problem(post(client_for(staff["lab"]), feedback_url(world["case"]), body), 422)
    assert field in errors
    assert not MatchFeedback.objects.exists()


def test_feedback_on_an_item_the_caller_may_not_see_is_refused(world, staff):
    client = client_for(staff["yama"])
    assert (
        problem(post(client, feedback_url(world["case"]), {"item": "organization:1", "useful": True}), 404)
        == {}
    )
    own = client_for(staff["lab"])
    errors = problem(post(own, feedback_url(world["case"]), {"item": "seed:999999", "useful": True}), 422)
    assert errors["item"] == "指定された候補（研究シーズ 999999）は見つかりません。"
    assert (
        problem(post(client_for(), feedback_url(world["case"]), {"item": "seed:1", "useful": True}), 401)
        == {}
    )
    assert not MatchFeedback.objects.exists()


def test_every_matching_operation_documents_its_errors():
    schema = client_for().get("/api/v1/openapi.json").json()
    operations = [
        (path, method, op)
        for path, ops in schema["paths"].items()
        if path.endswith(("/search", "/matches", "/feedback"))
        for method, op in ops.items()
    ]
    assert len(operations) == 3
    for path, method, op in operations:
        assert PROBLEM in op["responses"]["422"]["content"], (method, path)
        if "{case_id}" in path:
            assert {"401", "404"} <= set(op["responses"]), (method, path)
    assert {} in schema["paths"]["/api/v1/search"]["get"]["security"]  # public: authentication is optional
    assert {} not in schema["paths"]["/api/v1/cases/{case_id}/matches"]["get"]["security"]


def test_a_token_searches_as_its_user(world, staff):
    _, raw = token_create(user=staff["lab"], name="script")
    hidden = f"seed:{world['hidden'].pk}"
    query = {"q": NEED, "kind": "seed"}
    assert hidden in keys(Client().get(SEARCH, query, HTTP_AUTHORIZATION=f"Bearer {raw}"))
    assert hidden not in keys(Client().get(SEARCH, query, HTTP_AUTHORIZATION="Bearer rk_not-a-token"))
    matches = Client().get(matches_url(world["case"]), HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert matches.status_code == 200
