"""The staff API of the case ledger: inbox, intake, detail within the consent scope, every action, hand-offs,
routing preview, overdue dashboard, notifications — and 404 for whatever the caller may not see."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from renkei.api.services import token_create
from renkei.cases import handoffs, services
from renkei.cases.choices import (
    CaseStatus,
    ConsentScope,
    EventKind,
    HandoffState,
    NotificationKind,
    SlaBucket,
)
from renkei.cases.models import Case, CaseAccessLog, CaseEvent, Handoff, Notification
from renkei.network.choices import StaffRole

from .factories import CompanyFactory, UserFactory

CASES = "/api/v1/cases"
PROBLEM = "application/problem+json"
SECRET_TEXT = "試作中の新素材の配合比率は 3:7 です"
SECRET_EMAIL = "hanako@secret.example.jp"


# --- helpers and fixtures --------------------------------------------------------------------------------------


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def post(client: Client, url: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def assert_problem(response, status: int) -> dict[str, str]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    return {e["field"]: e["message"] for e in body["errors"]}


@pytest.fixture
def staff(case_config, make_staff):
    return {
        "sec": make_staff("chiba_pref", StaffRole.SECRETARIAT),
        "pref": make_staff("chiba_pref", StaffRole.MEMBER),
        "lab": make_staff("chiba_lab", StaffRole.MEMBER),
        "lab_viewer": make_staff("chiba_lab", StaffRole.VIEWER),
        "bank_a": make_staff("chiba_bank_a", StaffRole.MEMBER),
        "bank_b": make_staff("chiba_bank_b", StaffRole.MEMBER),
        "yama": make_staff("yamagata_center", StaffRole.MEMBER),
        "yama_sec": make_staff("yamagata_pref", StaffRole.SECRETARIAT),
    }


def intake(actor, org, **data) -> Case:
    values = {
        "channel": "phone",
        "title": "新素材の強度評価",
        "text": SECRET_TEXT,
        "company_name": "株式会社ひみつ化学",
        "contact_name": "佐藤 花子",
        "email": SECRET_EMAIL,
        "phone": "043-000-1111",
        **data,
    }
    return services.case_create(actor=actor, data=values, organization_id=org.pk)


@pytest.fixture
def lab_case(staff, orgs) -> Case:
    """A case the lab received over the phone (lead: the lab)."""
    return intake(staff["lab"], orgs["chiba_lab"])


# --- intake ----------------------------------------------------------------------------------------------------


def test_staff_intake_creates_a_case_and_returns_it(staff, orgs, case_config):
    company = CompanyFactory(owner_organization=orgs["chiba_lab"], name="株式会社ラボ工業")
    response = post(
        client_for(staff["lab"]),
        CASES,
        {
            "organization_id": orgs["chiba_lab"].pk,
            "channel": "visit",
            "title": "めっき不良の原因調査",
            "text": "めっきの密着不良が続いている。",
            "summary": "めっき不良",
            "company_id": company.pk,
            "category": "technical",
            "stage": "prototype",
            "contact_name": "鈴木 一郎",
            "email": "ichiro@example.jp",
            "received_at": "2025-04-01T10:30:00+09:00",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    case = Case.objects.get(pk=body["id"])
    assert body["receipt_number"] == case.receipt_number
    assert (body["status"], body["channel"], body["channel_label"]) == ("received", "visit", "訪問")
    assert body["fiscal_year"] == 2025
    assert body["lead_organization"]["id"] == body["received_by"]["id"] == orgs["chiba_lab"].pk
    assert body["scope"] == "contacts"
    assert body["detail"] == "めっきの密着不良が続いている。"
    assert body["company"] == {"id": company.pk, "name": "株式会社ラボ工業"}
    assert body["requester_company_name"] == "株式会社ラボ工業"
    assert (body["requester_name"], body["requester_email"]) == ("鈴木 一郎", "ichiro@example.jp")
    assert body["category"]["code"] == "technical"
    assert (body["stage"], body["stage_label"]) == ("prototype", "試作・実証・評価")
    # The technical category's targets (3 / 30 business days) drive both clocks.
    assert body["clocks"]["first_response"]["target_days"] == 3
    assert body["clocks"]["resolution"]["target_days"] == 30
    assert body["clocks"]["first_response"]["stopped"] is False
    assert body["step"]["position"] == 1
    assert body["can_manage"] is True
    assert {t["to_status"] for t in body["transitions"]} == {"in_progress", "referred", "unable", "withdrawn"}
    assert CaseEvent.objects.filter(case=case, kind=EventKind.CREATED).count() == 1
    assert CaseAccessLog.objects.filter(case=case, user=staff["lab"], via="api").exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"text": "  "}, "text", id="blank-text"),
        pytest.param({"channel": "fax"}, "channel", id="unknown-channel"),
        pytest.param({"category": "no-such-category"}, "category", id="unknown-category"),
        pytest.param({"category": "9" * 19}, "category", id="category-beyond-an-id"),
        pytest.param({"title": "件" * 201}, "title", id="long-title"),
        pytest.param({"summary": "概\x00要"}, "summary", id="nul-in-summary"),
        pytest.param({"organization_id": 2**63}, "organization_id", id="organization-id-out-of-range"),
        pytest.param({"company_id": 0}, "company_id", id="company-id-zero"),
        pytest.param({"company_id": 10**9}, "company_id", id="company-not-visible"),
        pytest.param({"received_at": "2999-01-01T00:00:00+09:00"}, "received_at", id="future"),
        pytest.param({"received_at": "0001-01-01T00:00:00+14:00"}, "received_at", id="year-one"),
        pytest.param({"received_at": "令和6年4月1日"}, "received_at", id="not-iso"),
        pytest.param({"email": "x@"}, "email", id="bad-email"),
        pytest.param({"colour": "red"}, "colour", id="unknown-key"),
    ],
)
def test_staff_intake_names_the_bad_field_and_writes_nothing(staff, change, field):
    body = {"channel": "phone", "text": "相談です", **change}
    response = post(client_for(staff["lab"]), CASES, body)
    fields = assert_problem(response, 422)
    assert field in fields, fields
    assert not Case.objects.exists()


def test_viewers_cannot_register_cases(staff):
    response = post(client_for(staff["lab_viewer"]), CASES, {"channel": "phone", "text": "相談です"})
    assert_problem(response, 403)
    assert not Case.objects.exists()


# --- the inbox -------------------------------------------------------------------------------------------------


def test_inbox_lists_what_the_caller_may_see(staff, orgs, lab_case):
    other = intake(staff["yama"], orgs["yamagata_center"], title="山形の相談")
    lab_inbox = client_for(staff["lab"]).get(CASES).json()
    assert [row["id"] for row in lab_inbox["items"]] == [lab_case.pk]
    assert (lab_inbox["count"], lab_inbox["count_capped"], lab_inbox["limit"], lab_inbox["offset"]) == (
        1,
        False,
        50,
        0,
    )
    row = lab_inbox["items"][0]
    assert row["receipt_number"] == lab_case.receipt_number
    assert row["lead_organization"]["id"] == orgs["chiba_lab"].pk
    assert row["sla_bucket"] in SlaBucket.values
    assert "detail" not in row and "requester_email" not in row
    # The Chiba secretariat sees the lab's case among "all", never Yamagata's.
    everything = client_for(staff["sec"]).get(CASES, {"box": "all"}).json()
    assert [row["id"] for row in everything["items"]] == [lab_case.pk]
    assert client_for(staff["bank_a"]).get(CASES, {"box": "all"}).json()["count"] == 0
    assert [r["id"] for r in client_for(staff["yama"]).get(CASES).json()["items"]] == [other.pk]


def test_inbox_filters(staff, orgs, case_config, lab_case):
    technical = case_config["categories"]["technical"]
    second = intake(staff["lab"], orgs["chiba_lab"], title="資金の相談", category="funding")
    services.case_transition(
        actor=staff["lab"], case_id=second.pk, to_status=CaseStatus.WITHDRAWN, reason="辞退"
    )
    services.case_classify(actor=staff["lab"], case_id=lab_case.pk, category="technical")
    client = client_for(staff["lab"])

    def ids(**query) -> list[int]:
        response = client.get(CASES, query)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["items"]]

    assert ids() == [lab_case.pk]  # open cases by default
    assert ids(status="finished") == [second.pk]
    assert ids(status="withdrawn") == [second.pk]
    assert sorted(ids(status="all")) == sorted([lab_case.pk, second.pk])
    assert ids(status="all", category_id=technical.pk) == [lab_case.pk]
    assert ids(status="all", q="資金") == [second.pk]
    assert ids(status="all", q=lab_case.receipt_number) == [lab_case.pk]
    assert ids(status="all", organization_id=orgs["chiba_pref"].pk) == []
    assert ids(status="all", fiscal_year=lab_case.fiscal_year + 1) == []
    assert ids(box="mine") == []
    page = client.get(CASES, {"status": "all", "limit": 1, "offset": 1}).json()
    assert (page["count"], len(page["items"]), page["offset"]) == (2, 1, 1)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"box": "everyone"}, "box"),
        ({"status": "lost"}, "status"),
        ({"sla_bucket": "soon"}, "sla_bucket"),
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"category_id": 2**63}, "category_id"),
        ({"step_id": "one"}, "step_id"),
        ({"fiscal_year": 99999}, "fiscal_year"),
        ({"q": "a\x00b"}, "q"),
        ({"q": "あ" * 101}, "q"),
    ],
)
def test_inbox_refuses_bad_filters(staff, query, field):
    assert field in assert_problem(client_for(staff["lab"]).get(CASES, query), 422)


def test_inbox_page_costs_the_same_queries_whatever_its_size(staff, orgs):
    client = client_for(staff["lab"])
    client.get(CASES)  # the first read of the day refreshes the SLA clocks once

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(CASES, {"limit": 100}).status_code == 200
        return len(captured)

    for i in range(3):
        intake(staff["lab"], orgs["chiba_lab"], title=f"相談{i}")
    few = queries()
    for i in range(12):
        case = intake(staff["lab"], orgs["chiba_lab"], title=f"分類済み{i}", category="technical")
        services.case_assign(actor=staff["lab"], case_id=case.pk, assignee_id=staff["lab"].pk)
    assert queries() == few <= 15


def test_anonymous_callers_get_401(lab_case):
    assert_problem(Client().get(CASES), 401)
    assert_problem(Client().get(f"{CASES}/{lab_case.pk}"), 401)


# --- one case --------------------------------------------------------------------------------------------------


def test_detail_of_a_visible_case_is_logged(staff, lab_case):
    response = client_for(staff["sec"]).get(f"{CASES}/{lab_case.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["scope"] == "contacts" and body["detail"] == SECRET_TEXT
    assert body["requester_email"] == SECRET_EMAIL
    assert body["clocks"]["bucket"] in SlaBucket.values
    assert set(body["clocks"]["first_response"]) == {
        "elapsed_days",
        "target_days",
        "used",
        "bucket",
        "bucket_label",
        "due_on",
        "suspended",
        "stopped",
    }
    log = CaseAccessLog.objects.get(case=lab_case, user=staff["sec"])
    assert (log.via, log.fields) == ("api", "detail,contacts")


@pytest.mark.parametrize("who", ["yama", "bank_a", "pref"])
def test_a_case_of_another_body_is_404(staff, lab_case, who):
    client = client_for(staff[who])
    assert_problem(client.get(f"{CASES}/{lab_case.pk}"), 404)
    assert_problem(client.get(f"{CASES}/{lab_case.pk}/events"), 404)
    assert not CaseAccessLog.objects.exists()


def test_unknown_and_out_of_range_ids(staff, lab_case):
    client = client_for(staff["lab"])
    assert_problem(client.get(f"{CASES}/{lab_case.pk + 1000}"), 404)
    assert "case_id" in assert_problem(client.get(f"{CASES}/0"), 422)
    assert "case_id" in assert_problem(client.get(f"{CASES}/{2**63}"), 422)
    assert "case_id" in assert_problem(client.get(f"{CASES}/abc"), 422)


SCOPES = {
    # consent scope → (detail and company readable, contacts readable)
    ConsentScope.SUMMARY: (False, False),
    ConsentScope.DETAIL: (True, False),
    ConsentScope.CONTACTS: (True, True),
}


@pytest.mark.parametrize("scope", list(SCOPES))
def test_hand_off_receivers_read_only_their_consent_scope(staff, orgs, lab_case, scope):
    handoffs.handoff_request(
        actor=staff["lab"],
        case_id=lab_case.pk,
        to_organization_id=orgs["chiba_pref"].pk,
        reason="助成制度の案内をお願いします",
        consent_scope=scope,
    )
    response = client_for(staff["pref"]).get(f"{CASES}/{lab_case.pk}")
    assert response.status_code == 200, response.content
    body = response.json()
    shows_detail, shows_contacts = SCOPES[scope]
    assert body["scope"] == scope
    assert body["title"] == "新素材の強度評価"  # the summary is always shared
    assert (body["detail"] == SECRET_TEXT) is shows_detail
    assert (body["requester_company_name"] == "株式会社ひみつ化学") is shows_detail
    assert (body["requester_email"] == SECRET_EMAIL) is shows_contacts
    assert (body["requester_phone"] == "043-000-1111") is shows_contacts
    assert body["can_manage"] is False and body["transitions"] == []
    assert body["can_note"] is True
    assert body["respondable_handoff_ids"] == [body["handoffs"][0]["id"]]
    if not shows_detail:
        for key in ("detail", "company", "requester_company_name", "requester_prefecture"):
            assert body[key] is None
        assert SECRET_TEXT not in response.content.decode()
        assert "ひみつ化学" not in response.content.decode()
    if not shows_contacts:
        for key in ("requester_name", "requester_email", "requester_phone"):
            assert body[key] is None
        assert SECRET_EMAIL not in response.content.decode()
    logged = CaseAccessLog.objects.filter(case=lab_case, user=staff["pref"]).values_list("fields", flat=True)
    expected = {
        ConsentScope.SUMMARY: [],
        ConsentScope.DETAIL: ["detail"],
        ConsentScope.CONTACTS: ["detail,contacts"],
    }
    assert list(logged) == expected[scope]


def test_hand_off_receiver_loses_sight_when_it_declines(staff, orgs, lab_case):
    handoff = handoffs.handoff_request(
        actor=staff["lab"],
        case_id=lab_case.pk,
        to_organization_id=orgs["chiba_pref"].pk,
        reason="相談",
        consent_scope=ConsentScope.SUMMARY,
    )
    pref = client_for(staff["pref"])
    assert pref.get(f"{CASES}/{lab_case.pk}").status_code == 200
    declined = post(pref, f"/api/v1/handoffs/{handoff.pk}/decline", {"text": "担当外です"})
    assert declined.status_code == 200, declined.content
    assert declined.json()["state"] == "declined"
    assert_problem(pref.get(f"{CASES}/{lab_case.pk}"), 404)


# --- bank isolation --------------------------------------------------------------------------------------------


def test_a_bank_never_sees_another_banks_case(staff, orgs):
    case = intake(staff["bank_a"], orgs["chiba_bank_a"], title="運転資金の相談")
    bank_b = client_for(staff["bank_b"])
    assert_problem(bank_b.get(f"{CASES}/{case.pk}"), 404)
    assert bank_b.get(CASES, {"box": "all", "status": "all"}).json()["count"] == 0
    assert_problem(post(bank_b, f"{CASES}/{case.pk}/notes", {"text": "見えるか"}), 404)
    refused = post(
        client_for(staff["bank_a"]),
        f"{CASES}/{case.pk}/handoffs",
        {"to_organization_id": orgs["chiba_bank_b"].pk, "consent_scope": "summary", "reason": "協調融資"},
    )
    assert_problem(refused, 403)
    assert not Handoff.objects.exists()
    # The region's secretariat sees the bank's case; bank A sees its own.
    assert client_for(staff["sec"]).get(f"{CASES}/{case.pk}").status_code == 200
    assert client_for(staff["bank_a"]).get(f"{CASES}/{case.pk}").status_code == 200


# --- actions ---------------------------------------------------------------------------------------------------


def test_public_case_through_classify_route_assign_and_resolve(staff, orgs, case_config):
    case = services.case_create_public(
        data={
            "company_name": "株式会社テスト",
            "contact_name": "山田太郎",
            "email": "taro@example.jp",
            "phone": "043-123-4567",
            "prefecture": "千葉県",
            "text": "樹脂成形品の強度評価をしたい",
        },
        client_ip="192.0.2.1",
    )
    sec, lab = client_for(staff["sec"]), client_for(staff["lab"])
    url = f"{CASES}/{case.pk}"

    classified = post(sec, f"{url}/classification", {"category": "technical", "stage": "research"})
    assert classified.status_code == 200, classified.content
    body = classified.json()
    assert body["category"]["code"] == "technical" and body["classification_confirmed"] is True
    assert body["clocks"]["resolution"]["target_days"] == 30

    routed = post(sec, f"{url}/route", {"note": "ルールで振分け"})
    assert routed.status_code == 200, routed.content
    assert routed.json()["lead_organization"]["id"] == orgs["chiba_lab"].pk
    assert routed.json()["status"] == "routed"
    assert Notification.objects.filter(user=staff["lab"], kind=NotificationKind.ASSIGNED, case=case).exists()

    assigned = post(lab, f"{url}/assignee", {"assignee_id": staff["lab"].pk})
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["assignee"]["id"] == staff["lab"].pk
    assert [r["id"] for r in lab.get(CASES, {"box": "mine"}).json()["items"]] == [case.pk]

    started = post(lab, f"{url}/status", {"to_status": "in_progress"})
    assert started.status_code == 200, started.content
    assert started.json()["clocks"]["first_response"]["stopped"] is True
    waiting = post(lab, f"{url}/status", {"to_status": "waiting"})
    assert waiting.json()["clocks"]["resolution"]["suspended"] is True
    post(lab, f"{url}/status", {"to_status": "in_progress"})
    resolved = post(lab, f"{url}/status", {"to_status": "resolved", "reason": "試験機を紹介"})
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved" and resolved.json()["finished_on"] is not None

    unassigned = post(lab, f"{url}/assignee", {"assignee_id": None})
    assert unassigned.json()["assignee"] is None

    events = lab.get(f"{url}/events").json()
    kinds = [e["kind"] for e in events["items"]]
    assert events["count"] == len(kinds)
    assert kinds[:3] == ["created", "classified", "routed"]
    assert kinds.count("status") == 4 and kinds.count("assigned") == 2
    routed_event = events["items"][2]
    assert routed_event["actor"]["id"] == staff["sec"].pk
    assert routed_event["actor_organization"]["id"] == orgs["chiba_pref"].pk
    assert (routed_event["from_status"], routed_event["to_status"]) == ("received", "routed")


def test_status_changes_follow_the_table(staff, lab_case):
    lab = client_for(staff["lab"])
    url = f"{CASES}/{lab_case.pk}/status"
    assert "status" in assert_problem(post(lab, url, {"to_status": "closed"}), 409)
    assert "status" in assert_problem(post(lab, url, {"to_status": "routed"}), 409)
    assert "reason" in assert_problem(post(lab, url, {"to_status": "unable"}), 422)
    assert "to_status" in assert_problem(post(lab, url, {"to_status": "done"}), 422)
    assert "reason" in assert_problem(post(lab, url, {"to_status": "unable", "reason": "x" * 2001}), 422)
    assert Case.objects.get(pk=lab_case.pk).status == CaseStatus.RECEIVED
    viewer = client_for(staff["lab_viewer"])
    assert_problem(post(viewer, url, {"to_status": "in_progress"}), 403)


def test_notes_and_corrections(staff, lab_case):
    lab = client_for(staff["lab"])
    url = f"{CASES}/{lab_case.pk}/notes"
    created = post(lab, url, {"text": "来週、試験片を持参予定"})
    assert created.status_code == 201, created.content
    note = created.json()
    assert (note["kind"], note["kind_label"], note["case_id"]) == ("note", "メモ", lab_case.pk)
    assert note["actor"]["id"] == staff["lab"].pk and note["correction_of"] is None
    corrected = post(lab, url, {"text": "持参は再来週", "correction_of": note["id"]})
    assert corrected.status_code == 201
    assert (corrected.json()["kind"], corrected.json()["correction_of"]) == ("correction", note["id"])
    assert "text" in assert_problem(post(lab, url, {"text": "   "}), 422)
    assert "text" in assert_problem(post(lab, url, {"text": "あ" * 10_001}), 422)
    assert "correction_of" in assert_problem(post(lab, url, {"text": "x", "correction_of": 10**12}), 422)


def test_classification_refuses_unknown_codes(staff, lab_case):
    lab = client_for(staff["lab"])
    url = f"{CASES}/{lab_case.pk}/classification"
    assert "category" in assert_problem(post(lab, url, {"category": "nothing"}), 422)
    assert "target_field" in assert_problem(
        post(lab, url, {"category": "technical", "target_field": "nowhere"}), 422
    )
    assert "stage" in assert_problem(post(lab, url, {"category": "technical", "stage": "later"}), 422)
    assert "category" in assert_problem(post(lab, url, {}), 422)


def test_routing_to_a_body_outside_the_region_is_refused(staff, orgs, lab_case):
    lab = client_for(staff["lab"])
    url = f"{CASES}/{lab_case.pk}/route"
    response = post(lab, url, {"lead_organization_id": orgs["yamagata_center"].pk})
    assert "lead_organization_id" in assert_problem(response, 422)
    assert "assignee_id" in assert_problem(
        post(lab, url, {"lead_organization_id": orgs["chiba_lab"].pk, "assignee_id": staff["bank_a"].pk}), 422
    )


def test_routing_away_answers_with_the_summary_the_caller_still_may_read(staff, orgs, lab_case):
    response = post(
        client_for(staff["lab"]),
        f"{CASES}/{lab_case.pk}/route",
        {"lead_organization_id": orgs["chiba_pref"].pk},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["lead_organization"]["id"] == orgs["chiba_pref"].pk
    assert (body["scope"], body["detail"], body["requester_email"], body["can_manage"]) == (
        "summary",
        None,
        None,
        False,
    )
    assert_problem(client_for(staff["lab"]).get(f"{CASES}/{lab_case.pk}"), 404)


def test_escalate_and_hand_back_along_the_ladder(staff, orgs, case_config):
    case = intake(staff["yama"], orgs["yamagata_center"], title="山形の相談", category="technical")
    yama, yama_sec = client_for(staff["yama"]), client_for(staff["yama_sec"])
    assert "reason" in assert_problem(post(yama, f"{CASES}/{case.pk}/escalate", {"reason": " "}), 422)
    assert "reason" in assert_problem(post(yama, f"{CASES}/{case.pk}/escalate", {}), 422)

    escalated = post(yama, f"{CASES}/{case.pk}/escalate", {"reason": "自機関では解決できない"})
    assert escalated.status_code == 200, escalated.content
    body = escalated.json()
    assert body["step"]["position"] == 2
    assert body["lead_organization"]["id"] == orgs["yamagata_pref"].pk
    assert body["scope"] == "summary"  # the center handed the lead on and no longer reads the detail

    again = post(yama_sec, f"{CASES}/{case.pk}/escalate", {"reason": "技術的な検討が必要"})
    assert again.json()["step"]["position"] == 3
    assert again.json()["lead_organization"]["id"] == orgs["yamagata_center"].pk
    assert again.json()["scope"] == "contacts"  # the secretariat reads everything in its region
    assert_problem(post(yama_sec, f"{CASES}/{case.pk}/escalate", {"reason": "さらに"}), 409)

    back = post(yama_sec, f"{CASES}/{case.pk}/hand-back", {"reason": "情報不足"})
    assert back.status_code == 200, back.content
    assert back.json()["step"]["position"] == 2
    kinds = [e["kind"] for e in yama_sec.get(f"{CASES}/{case.pk}/events").json()["items"]]
    assert kinds.count("escalated") == 2 and kinds.count("handed_back") == 1


def test_hand_off_request_accept_reply_close(staff, orgs, lab_case):
    lab, bank = client_for(staff["lab"]), client_for(staff["bank_a"])
    created = post(
        lab,
        f"{CASES}/{lab_case.pk}/handoffs",
        {
            "to_organization_id": orgs["chiba_bank_a"].pk,
            "consent_scope": "detail",
            "reason": "設備資金の相談に乗ってください",
            "to_user_id": staff["bank_a"].pk,
        },
    )
    assert created.status_code == 201, created.content
    handoff = created.json()
    assert (handoff["state"], handoff["consent_scope"], handoff["is_external"]) == (
        "requested",
        "detail",
        False,
    )
    assert handoff["from_organization"]["id"] == orgs["chiba_lab"].pk
    assert handoff["to_user"]["id"] == staff["bank_a"].pk and handoff["overdue"] is False
    assert [r["id"] for r in bank.get(CASES, {"box": "mine"}).json()["items"]] == [lab_case.pk]

    base = f"/api/v1/handoffs/{handoff['id']}"
    assert_problem(post(lab, f"{base}/accept", {}), 403)  # only the receiving body answers
    assert "text" in assert_problem(post(bank, f"{base}/decline", {"text": ""}), 422)
    accepted = post(bank, f"{base}/accept", {"text": "承知しました"})
    assert accepted.status_code == 200, accepted.content
    assert (accepted.json()["state"], accepted.json()["response_note"]) == ("accepted", "承知しました")
    assert "state" in assert_problem(post(bank, f"{base}/accept", {}), 409)
    assert "text" in assert_problem(post(bank, f"{base}/reply", {}), 422)
    replied = post(bank, f"{base}/reply", {"text": "融資制度を案内しました"})
    assert (replied.json()["state"], replied.json()["reply"]) == ("replied", "融資制度を案内しました")
    assert Notification.objects.filter(
        user=staff["lab"], kind=NotificationKind.HANDOFF_REPLIED, case=lab_case
    ).exists()
    closed = post(lab, f"{base}/close", {"note": "完了"})
    assert closed.status_code == 200
    assert closed.json()["state"] == HandoffState.CLOSED and closed.json()["closed_at"] is not None
    assert_problem(bank.get(f"{CASES}/{lab_case.pk}"), 404)
    assert_problem(post(bank, f"{base}/close", {}), 404)  # out of sight once closed


def test_hand_off_outside_the_region_needs_consent(staff, orgs, lab_case):
    lab = client_for(staff["lab"])
    body = {"to_organization_id": orgs["yamagata_center"].pk, "consent_scope": "summary", "reason": "TKF"}
    assert "consent_scope" in assert_problem(post(lab, f"{CASES}/{lab_case.pk}/handoffs", body), 403)
    Case.objects.filter(pk=lab_case.pk).update(consent_outside_region=True)
    created = post(lab, f"{CASES}/{lab_case.pk}/handoffs", body)
    assert created.status_code == 201, created.content
    assert created.json()["is_external"] is True
    assert client_for(staff["yama"]).get(f"{CASES}/{lab_case.pk}").json()["scope"] == "summary"


@pytest.mark.parametrize(
    ("field", "body"),
    [
        ("consent_scope", {"to_organization_id": 1, "consent_scope": "everything", "reason": "x"}),
        ("to_organization_id", {"to_organization_id": 2**63, "consent_scope": "summary", "reason": "x"}),
        ("to_organization_id", {"to_organization_id": 10**12, "consent_scope": "summary", "reason": "x"}),
        ("reason", {"to_organization_id": 1, "consent_scope": "summary", "reason": "a\x00"}),
        (
            "to_user_id",
            {"to_organization_id": 1, "consent_scope": "summary", "reason": "x", "to_user_id": -1},
        ),
    ],
)
def test_hand_off_request_names_bad_fields(staff, lab_case, field, body):
    response = post(client_for(staff["lab"]), f"{CASES}/{lab_case.pk}/handoffs", body)
    assert field in assert_problem(response, 422)
    assert not Handoff.objects.exists()


ACTIONS = [
    ("status", {"to_status": "in_progress"}),
    ("classification", {"category": "technical"}),
    ("route", {"note": ""}),
    ("assignee", {"assignee_id": None}),
    ("notes", {"text": "メモ"}),
    ("escalate", {"reason": "理由"}),
    ("hand-back", {"reason": "理由"}),
    ("handoffs", {"to_organization_id": 1, "consent_scope": "summary", "reason": "理由"}),
]


@pytest.mark.parametrize(("action", "body"), ACTIONS, ids=[a for a, _ in ACTIONS])
@pytest.mark.parametrize("who", ["yama", "bank_b", "pref"])
def test_every_action_on_a_case_out_of_sight_is_404(staff, lab_case, action, body, who):
    events_before = CaseEvent.objects.filter(case=lab_case).count()
    response = post(client_for(staff[who]), f"{CASES}/{lab_case.pk}/{action}", body)
    assert_problem(response, 404)
    assert CaseEvent.objects.filter(case=lab_case).count() == events_before
    assert Case.objects.get(pk=lab_case.pk).status == CaseStatus.RECEIVED


@pytest.mark.parametrize("action", ["accept", "decline", "reply", "close"])
def test_every_action_on_a_hand_off_out_of_sight_is_404(staff, orgs, lab_case, action):
    handoff = handoffs.handoff_request(
        actor=staff["lab"],
        case_id=lab_case.pk,
        to_organization_id=orgs["chiba_bank_a"].pk,
        reason="資金",
        consent_scope=ConsentScope.SUMMARY,
    )
    body = {"note": "x"} if action == "close" else {"text": "x"}
    for who in ("yama", "bank_b"):
        assert_problem(post(client_for(staff[who]), f"/api/v1/handoffs/{handoff.pk}/{action}", body), 404)
    assert_problem(post(client_for(staff["bank_a"]), f"/api/v1/handoffs/{10**12}/{action}", body), 404)
    assert "handoff_id" in assert_problem(
        post(client_for(staff["bank_a"]), f"/api/v1/handoffs/{2**63}/{action}", body), 422
    )
    assert Handoff.objects.get(pk=handoff.pk).state == HandoffState.REQUESTED


# --- routing preview -------------------------------------------------------------------------------------------


def test_routing_preview_explains_every_rule(staff, orgs, chiba):
    sec = client_for(staff["sec"])
    response = post(sec, "/api/v1/routing/preview", {"region_id": chiba.pk, "category": "technical"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["winner"]["name"] == "技術的課題は産技研"
    assert body["winner"]["lead_organization"]["id"] == orgs["chiba_lab"].pk
    assert [t["held"] for t in body["traces"]] == [True, True]
    assert body["traces"][0]["checks"] == [
        {
            "key": "categories",
            "label": "相談区分",
            "wanted": ["technical"],
            "held": True,
            "why": "該当: technical",
        }
    ]
    other = post(
        sec, "/api/v1/routing/preview", {"region_id": chiba.pk, "category": "funding", "text": "融資"}
    )
    assert other.json()["winner"]["lead_organization"]["id"] == orgs["chiba_pref"].pk
    assert other.json()["traces"][0]["held"] is False
    assert not CaseEvent.objects.exists()


def test_routing_preview_is_for_staff_of_the_region(staff, chiba, yamagata):
    url = "/api/v1/routing/preview"
    assert_problem(post(client_for(staff["yama"]), url, {"region_id": chiba.pk}), 404)
    assert_problem(post(client_for(UserFactory(username="outsider")), url, {"region_id": chiba.pk}), 404)
    assert post(client_for(staff["bank_a"]), url, {"region_id": chiba.pk}).status_code == 200
    sec = client_for(staff["sec"])
    assert "category" in assert_problem(post(sec, url, {"region_id": chiba.pk, "category": "nothing"}), 422)
    assert "target_field" in assert_problem(
        post(sec, url, {"region_id": chiba.pk, "target_field": "nowhere"}), 422
    )
    assert "size_class" in assert_problem(post(sec, url, {"region_id": chiba.pk, "size_class": "huge"}), 422)
    assert "jsic_code" in assert_problem(post(sec, url, {"region_id": chiba.pk, "jsic_code": "E25"}), 422)
    assert "region_id" in assert_problem(post(sec, url, {"region_id": 0}), 422)


# --- overdue dashboard -----------------------------------------------------------------------------------------


def test_overdue_dashboard_counts_per_lead_organization(staff, orgs, chiba):
    late = intake(staff["lab"], orgs["chiba_lab"], title="古い相談", received_at="2024-04-01")
    fresh = intake(staff["lab"], orgs["chiba_lab"], title="新しい相談")
    assert Case.objects.get(pk=late.pk).sla_bucket == SlaBucket.VERY_LATE
    response = client_for(staff["sec"]).get(f"{CASES}/overdue", {"region_id": chiba.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert len(body["rows"]) == 1
    row = body["rows"][0]
    assert row["organization"] == {"id": orgs["chiba_lab"].pk, "name": orgs["chiba_lab"].name}
    assert row["counts"]["very_late"] == 1 and row["total"] == 2
    assert sum(row["counts"].values()) == 2
    assert [c["id"] for c in body["late"]] == [late.pk]
    assert fresh.pk not in [c["id"] for c in body["late"]]
    yama = client_for(staff["yama"]).get(f"{CASES}/overdue").json()
    assert yama == {"rows": [], "late": []}
    assert "region_id" in assert_problem(
        client_for(staff["sec"]).get(f"{CASES}/overdue", {"region_id": -1}), 422
    )


# --- notifications ---------------------------------------------------------------------------------------------


def test_notifications_list_and_read(staff, lab_case):
    services.case_assign(actor=staff["sec"], case_id=lab_case.pk, assignee_id=staff["lab"].pk)
    lab = client_for(staff["lab"])
    page = lab.get("/api/v1/notifications").json()
    assert page["count"] == page["unread"] == 1
    item = page["items"][0]
    assert (item["kind"], item["case_id"], item["read_at"]) == ("assigned", lab_case.pk, None)
    assert item["kind_label"] == "担当の割当て"
    # Someone else's notification is out of sight.
    assert_problem(post(client_for(staff["sec"]), f"/api/v1/notifications/{item['id']}/read", {}), 404)
    read = post(lab, f"/api/v1/notifications/{item['id']}/read", {})
    assert read.status_code == 200, read.content
    assert read.json()["read_at"] is not None
    again = post(lab, f"/api/v1/notifications/{item['id']}/read", {})
    assert again.json()["read_at"] == read.json()["read_at"]  # reading twice changes nothing
    assert Notification.objects.get(pk=item["id"]).read_at is not None
    after = lab.get("/api/v1/notifications").json()
    assert (after["count"], after["unread"]) == (1, 0)
    assert lab.get("/api/v1/notifications", {"unread": "true"}).json()["count"] == 0
    assert lab.get("/api/v1/notifications", {"unread": "false"}).json()["count"] == 1
    assert client_for(staff["sec"]).get("/api/v1/notifications").json()["count"] == 0
    assert "notification_id" in assert_problem(post(lab, "/api/v1/notifications/0/read", {}), 422)


# --- authentication --------------------------------------------------------------------------------------------


def test_token_auth_works_without_csrf(staff, lab_case):
    _, raw = token_create(user=staff["lab"])
    client = Client(enforce_csrf_checks=True, headers={"Authorization": f"Bearer {raw}"})
    listed = client.get(CASES)
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()["items"]] == [lab_case.pk]
    noted = post(client, f"{CASES}/{lab_case.pk}/notes", {"text": "トークンから"})
    assert noted.status_code == 201, noted.content
    assert noted.json()["actor"]["id"] == staff["lab"].pk


def test_session_post_without_csrf_token_is_403(staff, lab_case):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff["lab"])
    assert client.get(f"{CASES}/{lab_case.pk}").status_code == 200  # reads need no token
    refused = post(client, f"{CASES}/{lab_case.pk}/notes", {"text": "CSRF なし"})
    assert_problem(refused, 403)
    assert "CSRF" in refused.json()["detail"]
    assert not CaseEvent.objects.filter(kind=EventKind.NOTE).exists()
    csrf = "k" * 32
    client.cookies["csrftoken"] = csrf
    accepted = client.post(
        f"{CASES}/{lab_case.pk}/notes",
        data=json.dumps({"text": "CSRF あり"}),
        content_type="application/json",
        headers={"X-CSRFToken": csrf},
    )
    assert accepted.status_code == 201, accepted.content


# --- the OpenAPI document --------------------------------------------------------------------------------------

NEW_OPERATIONS = {
    ("/api/v1/public/consultations", "post"),
    ("/api/v1/cases", "get"),
    ("/api/v1/cases", "post"),
    ("/api/v1/cases/overdue", "get"),
    ("/api/v1/cases/{case_id}", "get"),
    ("/api/v1/cases/{case_id}/events", "get"),
    ("/api/v1/cases/{case_id}/status", "post"),
    ("/api/v1/cases/{case_id}/classification", "post"),
    ("/api/v1/cases/{case_id}/route", "post"),
    ("/api/v1/cases/{case_id}/assignee", "post"),
    ("/api/v1/cases/{case_id}/notes", "post"),
    ("/api/v1/cases/{case_id}/escalate", "post"),
    ("/api/v1/cases/{case_id}/hand-back", "post"),
    ("/api/v1/cases/{case_id}/handoffs", "post"),
    ("/api/v1/handoffs/{handoff_id}/accept", "post"),
    ("/api/v1/handoffs/{handoff_id}/decline", "post"),
    ("/api/v1/handoffs/{handoff_id}/reply", "post"),
    ("/api/v1/handoffs/{handoff_id}/close", "post"),
    ("/api/v1/routing/preview", "post"),
    ("/api/v1/notifications", "get"),
    ("/api/v1/notifications/{notification_id}/read", "post"),
}


def test_openapi_documents_every_new_operation_in_japanese(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    listed = {(path, method) for path, ops in schema["paths"].items() for method in ops}
    assert NEW_OPERATIONS <= listed
    for path, method in NEW_OPERATIONS:
        operation = schema["paths"][path][method]
        assert any("\u3040" <= ch <= "\u9fff" for ch in operation["summary"]), (path, operation["summary"])
        assert operation.get("description"), (path, method)
        errors = {s: r for s, r in operation["responses"].items() if int(s) >= 400}
        assert "422" in errors
        assert all("application/problem+json" in r["content"] for r in errors.values())
        if path.startswith("/api/v1/cases/{case_id}") or path.startswith("/api/v1/handoffs"):
            assert "404" in errors
    detail = schema["components"]["schemas"]["CaseDetailOut"]["properties"]
    assert {"scope", "detail", "requester_email", "clocks", "handoffs"} <= set(detail)
