"""POST /api/v1/public/consultations: the public consultation form as an API (no login, no CSRF).

201 with a receipt number and nothing else about the case; every problem named per field (422) and nothing written;
full-width input accepted; the per-address rate limit answers 429 problem+json.
"""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from django.test import Client

from renkei.cases.choices import Channel, NotificationKind
from renkei.cases.models import Case, CaseSettings, Notification
from renkei.network.choices import StaffRole

URL = "/api/v1/public/consultations"
PROBLEM = "application/problem+json"

VALID = {
    "company_name": "株式会社テスト精工",
    "contact_name": "山田 太郎",
    "email": "taro@example.jp",
    "phone": "043-123-4567",
    "prefecture": "千葉県",
    "text": "樹脂成形品の強度を評価したいが、社内に試験機がない。",
}


def submit(body: dict, *, client: Client | None = None, ip: str = "192.0.2.10"):
    client = client or Client()
    return client.post(URL, data=json.dumps(body), content_type="application/json", REMOTE_ADDR=ip)


def problem_fields(response) -> dict[str, str]:
    assert response["Content-Type"] == PROBLEM, response.content
    body = response.json()
    assert set(body) == {"type", "title", "status", "detail", "errors"}
    assert body["status"] == response.status_code
    return {e["field"]: e["message"] for e in body["errors"]}


def test_submission_gets_a_receipt_number_and_nothing_else(
    case_config, orgs, chiba, make_staff, django_capture_on_commit_callbacks
):
    window_staff = make_staff("chiba_pref", StaffRole.COORDINATOR)
    with django_capture_on_commit_callbacks(execute=True):
        response = submit(VALID)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"receipt_number", "region", "status", "status_label", "received_at"}
    assert re.fullmatch(r"12-\d{4}-\d{6}", body["receipt_number"])
    assert body["region"] == {"id": chiba.pk, "slug": "chiba", "name": chiba.name}
    assert (body["status"], body["status_label"]) == ("received", "受付")
    case = Case.objects.get(receipt_number=body["receipt_number"])
    assert case.channel == Channel.WEB
    assert case.lead_organization == orgs["chiba_pref"] == case.received_by
    assert case.detail == VALID["text"]
    assert (case.requester_company_name, case.requester_email) == ("株式会社テスト精工", "taro@example.jp")
    assert case.requester_prefecture_id == "12"
    assert case.created_by is None
    # The window is told, and the company gets its receipt by mail.
    assert Notification.objects.filter(
        user=window_staff, kind=NotificationKind.PUBLIC_INTAKE, case=case
    ).exists()
    receipts = [m for m in mail.outbox if m.to == ["taro@example.jp"]]
    assert len(receipts) == 1 and body["receipt_number"] in receipts[0].body


def test_region_follows_the_prefecture_or_the_slug(case_config, yamagata):
    by_name = submit({**VALID, "prefecture": "山形県"})
    assert by_name.status_code == 201, by_name.content
    assert by_name.json()["region"]["slug"] == "yamagata"
    assert by_name.json()["receipt_number"].startswith("06-")
    by_slug = submit({**VALID, "region": "yamagata"}, ip="192.0.2.11")
    assert by_slug.status_code == 201
    assert by_slug.json()["region"]["slug"] == "yamagata"


def test_full_width_input_is_accepted_and_normalized(case_config):
    response = submit(
        {
            **VALID,
            "company_name": "株式会社　ＡＢＣ工業",
            "email": "ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ",
            "phone": "０４３－１２３－４５６７",
            "prefecture": "１２",
            "text": "ＣＮＣ旋盤の加工精度を上げたい。",
        }
    )
    assert response.status_code == 201, response.content
    case = Case.objects.get(receipt_number=response.json()["receipt_number"])
    assert case.requester_company_name == "株式会社 ABC工業"
    assert case.requester_email == "taro@example.jp"
    assert case.requester_phone == "043-123-4567"
    assert case.requester_prefecture_id == "12"
    assert case.detail == "ＣＮＣ旋盤の加工精度を上げたい。"  # the consultation text is kept as typed


@pytest.mark.parametrize(
    ("change", "field", "message_part"),
    [
        pytest.param({"text": ""}, "text", "相談内容を入力", id="empty-text"),
        pytest.param({"text": " 　\n\t "}, "text", "相談内容を入力", id="whitespace-text"),
        pytest.param({"text": "あ" * 20_001}, "text", "20000文字以内", id="text-too-long"),
        pytest.param({"text": "相談\x00です"}, "text", "使用できない文字", id="nul-in-text"),
        pytest.param({"email": "taro@"}, "email", "メールアドレスの形式", id="bad-email"),
        pytest.param({"email": "taro example.jp"}, "email", "メールアドレスの形式", id="email-without-at"),
        pytest.param({"phone": "電話してください"}, "phone", "数字とハイフン", id="bad-phone"),
        pytest.param(
            {"prefecture": "アトランティス"}, "prefecture", "見つかりません", id="unknown-prefecture"
        ),
        pytest.param({"region": "atlantis"}, "region", "地域が見つかりません", id="unknown-region"),
        pytest.param({"region": "千葉"}, "region", "形式", id="region-not-a-slug"),
        pytest.param({"company_name": "   "}, "company_name", "企業名を入力", id="blank-company"),
        pytest.param({"company_name": "社" * 201}, "company_name", "200文字以内", id="long-company"),
        pytest.param({"title": "件" * 201}, "title", "200文字以内", id="long-title"),
        pytest.param({"stage": "someday"}, "stage", "指定できる値", id="bad-stage"),
        pytest.param(
            {"consent_outside_region": "はい"}, "consent_outside_region", "true か false", id="consent-text"
        ),
        pytest.param(
            {"website": "http://spam.example"}, "website", "指定できません", id="honeypot-not-in-api"
        ),
    ],
)
def test_bad_input_is_named_and_nothing_is_written(case_config, change, field, message_part):
    response = submit({**VALID, **change})
    assert response.status_code == 422, response.content
    fields = problem_fields(response)
    assert field in fields, fields
    assert message_part in fields[field]
    assert not Case.objects.exists()


def test_missing_fields_are_each_named(case_config):
    response = submit({"text": "相談です"})
    assert response.status_code == 422
    fields = problem_fields(response)
    assert set(fields) == {"company_name", "contact_name", "email", "phone", "prefecture"}
    assert all(message == "必須項目です。" for message in fields.values())
    assert not Case.objects.exists()


def test_missing_text_is_named(case_config):
    body = {k: v for k, v in VALID.items() if k != "text"}
    response = submit(body)
    assert response.status_code == 422
    assert list(problem_fields(response)) == ["text"]


def test_every_service_problem_is_reported_at_once(case_config):
    response = submit({**VALID, "text": "  ", "email": "x@", "phone": "abc", "prefecture": "どこか"})
    assert response.status_code == 422
    assert set(problem_fields(response)) == {"text", "email", "phone", "prefecture"}


def test_malformed_json_is_a_problem(case_config):
    response = Client().post(URL, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def test_rate_limit_per_address_answers_429(case_config, settings):
    settings.RENKEI_PUBLIC_INTAKE_PER_HOUR = 2
    assert submit(VALID, ip="198.51.100.7").status_code == 201
    assert submit(VALID, ip="198.51.100.7").status_code == 201
    refused = submit(VALID, ip="198.51.100.7")
    assert refused.status_code == 429
    assert refused["Content-Type"] == PROBLEM
    body = refused.json()
    assert body["status"] == 429 and "1時間に2件まで" in body["detail"]
    assert Case.objects.count() == 2
    # Another address is not limited; a refused submission did not count.
    assert submit(VALID, ip="198.51.100.8").status_code == 201
    assert Case.objects.count() == 3


def test_invalid_submissions_do_not_use_up_the_limit(case_config, settings):
    settings.RENKEI_PUBLIC_INTAKE_PER_HOUR = 1
    for _ in range(3):
        assert submit({**VALID, "text": ""}, ip="198.51.100.9").status_code == 422
    assert submit(VALID, ip="198.51.100.9").status_code == 201


def test_no_login_and_no_csrf_token_needed(case_config, make_staff):
    assert submit(VALID, client=Client(enforce_csrf_checks=True)).status_code == 201
    # A staff member's browser session does not turn the public form into a CSRF-checked write either.
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(make_staff("chiba_lab"))
    assert submit(VALID, client=staff, ip="192.0.2.12").status_code == 201


def test_region_without_public_intake_is_refused(case_config, chiba):
    CaseSettings.objects.filter(region=chiba).update(public_intake=False)
    response = submit({**VALID, "region": "chiba"})
    assert response.status_code == 422
    assert "region" in problem_fields(response)
    assert not Case.objects.exists()


def test_documented_without_security(client, db):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"][URL]["post"]
    assert operation.get("security", []) == []
    assert operation["summary"] == "相談の受付（公開フォーム）"
    assert set(operation["responses"]) >= {"201", "422", "429"}
    assert "application/problem+json" in operation["responses"]["429"]["content"]
    body_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    required = set(schema["components"]["schemas"][body_ref]["required"])
    assert required == {"company_name", "contact_name", "email", "phone", "prefecture", "text"}
