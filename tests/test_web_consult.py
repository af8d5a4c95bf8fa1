"""The public consultation form /consult/: receipt number (kept in the session, e-mailed), every typed value kept
on a validation error, the honeypot, the per-address rate limit (429 page that still shows the typed text)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from renkei.cases.models import Case, Notification
from renkei.network.choices import StaffRole

URL = "/consult/"


def html(response) -> str:
    return response.content.decode("utf-8")


def input_tag(page: str, name: str) -> str:
    """The whole <input …> tag of the field ``name``."""
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, name
    return match.group(0)


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "company_name": "株式会社ちば精密",
        "contact_name": "千葉 花子",
        "email": "hanako@example.jp",
        "phone": "043-223-2711",
        "prefecture": "12",
        "region": "chiba",
        "title": "",
        "text": "樹脂成形品の強度評価をしたいのですが、どこに相談すればよいでしょうか。\n2行目の説明です。",
        "consent_outside_region": "on",
        "website": "",
    }
    data.update(overrides)
    return data


@pytest.fixture
def config(case_config):
    return case_config


class TestForm:
    def test_open_to_everyone_with_regions_and_47_prefectures(self, client, config):
        response = client.get(URL)
        assert response.status_code == 200
        page = html(response)
        assert "支援機関に相談する" in page
        assert page.count('<option value="') >= 47 + 2  # prefectures + regions
        assert 'value="chiba"' in page and 'value="yamagata"' in page
        assert "地域外の連携機関への紹介に同意する" in page

    def test_region_preselected_from_the_query(self, client, config):
        page = html(client.get(URL + "?region=yamagata"))
        assert '<option value="yamagata" selected>' in page

    def test_unknown_region_in_the_query_is_ignored(self, client, config):
        page = html(client.get(URL + "?region=nowhere"))
        select = page.split('name="region"')[1].split("</select>")[0]
        assert '<option value="" selected>' in select and 'chiba" selected' not in select

    def test_honeypot_is_hidden_from_people(self, client, config):
        page = html(client.get(URL))
        field = page.split('class="hp-field"')[1].split("</div>")[0]
        assert 'aria-hidden="true"' in page.split('class="hp-field"')[1][:40]
        assert 'name="website"' in field
        assert 'tabindex="-1"' in field and 'autocomplete="off"' in field


class TestSubmit:
    def test_happy_path_receipt_in_session_not_url_and_mailed(
        self, client, config, orgs, make_staff, django_capture_on_commit_callbacks
    ):
        window_staff = make_staff("chiba_pref", StaffRole.SECRETARIAT)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(URL, form_data(), REMOTE_ADDR="192.0.2.10")
        assert response.status_code == 302
        assert response["Location"] == reverse("web:consult_thanks")
        case = Case.objects.get()
        assert case.receipt_number not in response["Location"]
        assert case.lead_organization == orgs["chiba_pref"]
        assert case.channel == "web" and case.consent_outside_region is True
        assert case.detail.startswith("樹脂成形品の強度評価")
        assert case.title.startswith("樹脂成形品の強度評価")  # derived from the first line

        thanks = client.get(response["Location"])
        page = html(thanks)
        assert case.receipt_number in page
        assert "hanako@example.jp" in page
        assert "このあとの流れ" in page

        receipts = [m for m in mail.outbox if m.to == ["hanako@example.jp"]]
        assert len(receipts) == 1 and case.receipt_number in receipts[0].subject
        assert case.receipt_number in receipts[0].body
        assert Notification.objects.filter(user=window_staff, case=case).exists()

    def test_thanks_without_a_submission_goes_back_to_the_form(self, client, db):
        response = client.get(reverse("web:consult_thanks"))
        assert response.status_code == 302 and response["Location"] == URL

    def test_full_width_digits_in_the_phone_are_accepted(self, client, config):
        response = client.post(URL, form_data(phone="０４３－２２３－２７１１"), REMOTE_ADDR="192.0.2.11")
        assert response.status_code == 302
        assert Case.objects.get().requester_phone == "043-223-2711"

    def test_bad_input_keeps_every_typed_value_and_names_the_fields(self, client, config):
        typed = form_data(
            text="   ",
            email="hanako-at-example",
            company_name="<script>alert(1)</script>株式会社",
            contact_name="千葉 花子",
            phone="０４３－２２３－２７１１",
            title="試作の相談",
        )
        response = client.post(URL, typed, REMOTE_ADDR="192.0.2.12")
        assert response.status_code == 422
        page = html(response)
        summary = page.split('class="error-summary"')[1].split("</div>")[0]
        assert "相談内容: 相談内容を入力してください。" in summary
        assert "メールアドレス: メールアドレスの形式が正しくありません" in summary
        assert 'href="#id_text"' in summary and 'href="#id_email"' in summary
        assert 'value="hanako-at-example"' in page
        assert 'value="千葉 花子"' in page
        assert 'value="０４３－２２３－２７１１"' in page
        assert 'value="試作の相談"' in page
        assert '<option value="12" selected>' in page
        assert "checked" in input_tag(page, "consent_outside_region")
        # the script is shown, escaped, never executed
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;株式会社" in page
        assert 'aria-invalid="true"' in input_tag(page, "email")
        assert not Case.objects.exists()

    def test_a_long_text_is_refused_and_kept_whole(self, client, config):
        text = "あ" * 20_001
        response = client.post(URL, form_data(text=text), REMOTE_ADDR="192.0.2.13")
        assert response.status_code == 422
        page = html(response)
        assert "相談内容は20,000文字以内で入力してください（20,001文字あります）。" in page
        assert text in page  # nothing the person wrote is lost
        assert not Case.objects.exists()

    def test_missing_required_fields_are_each_named(self, client, config):
        response = client.post(
            URL, {"text": "相談です", "region": "chiba", "website": ""}, REMOTE_ADDR="192.0.2.14"
        )
        assert response.status_code == 422
        page = html(response)
        for message in ("企業名を入力してください", "お名前を入力してください", "電話番号を入力してください"):
            assert message in page
        assert "相談です" in page

    def test_honeypot_filled_is_refused_without_naming_the_hidden_field(self, client, config):
        response = client.post(URL, form_data(website="http://spam.example/"), REMOTE_ADDR="192.0.2.15")
        assert response.status_code == 422
        page = html(response)
        summary = page.split('class="error-summary"')[1].split("</div>")[0]
        assert "送信できませんでした" in summary
        assert "#id_website" not in summary
        assert not Case.objects.exists()

    def test_rate_limit_answers_429_and_shows_the_text_back(self, client, config, settings):
        settings.RENKEI_PUBLIC_INTAKE_PER_HOUR = 2
        for _ in range(2):
            assert client.post(URL, form_data(), REMOTE_ADDR="198.51.100.7").status_code == 302
        response = client.post(URL, form_data(text="三度目の相談内容です"), REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 429
        page = html(response)
        assert "送信が多すぎます" in page and "1時間に2件まで" in page
        assert "三度目の相談内容です" in page
        assert Case.objects.count() == 2
        # another address is not limited
        assert client.post(URL, form_data(), REMOTE_ADDR="198.51.100.8").status_code == 302

    def test_forwarded_for_is_not_trusted_by_default(self, client, config, settings):
        settings.RENKEI_PUBLIC_INTAKE_PER_HOUR = 1
        assert (
            client.post(
                URL, form_data(), REMOTE_ADDR="203.0.113.1", HTTP_X_FORWARDED_FOR="10.0.0.1"
            ).status_code
            == 302
        )
        again = client.post(URL, form_data(), REMOTE_ADDR="203.0.113.1", HTTP_X_FORWARDED_FOR="10.0.0.2")
        assert again.status_code == 429

    def test_forwarded_for_when_the_deployment_trusts_its_proxy(self, client, config, settings):
        settings.RENKEI_PUBLIC_INTAKE_PER_HOUR = 1
        settings.RENKEI_TRUST_X_FORWARDED_FOR = True
        assert (
            client.post(
                URL, form_data(), REMOTE_ADDR="203.0.113.1", HTTP_X_FORWARDED_FOR="10.0.0.1"
            ).status_code
            == 302
        )
        other = client.post(
            URL, form_data(), REMOTE_ADDR="203.0.113.1", HTTP_X_FORWARDED_FOR="10.0.0.2, 10.9.9.9"
        )
        assert other.status_code == 302

    def test_region_without_public_intake(self, client, config, chiba):
        chiba.case_settings.public_intake = False
        chiba.case_settings.save()
        response = client.post(URL, form_data(), REMOTE_ADDR="192.0.2.16")
        assert response.status_code == 422
        assert "相談先の地域が見つかりません" in html(response)
        assert not Case.objects.exists()

    def test_nav_offers_the_form_to_everyone(self, client, config):
        page = html(client.get("/"))
        assert 'href="/consult/"' in page
