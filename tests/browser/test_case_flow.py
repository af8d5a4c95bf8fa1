"""Browser journeys of the case ledger: a company writes through the public form → the secretariat confirms the
category and routes it → hands it to a 公設試 → the 公設試 accepts → the lead resolves it (htmx actions); and the
public form with bad input keeps what was typed and says what is wrong (with and without JavaScript)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from renkei.cases.choices import CaseStatus, HandoffState
from renkei.cases.models import Case, Handoff
from renkei.cases.services import case_create
from renkei.network.choices import StaffRole

pytestmark = pytest.mark.browser

TEXT = "樹脂製品の新しい販路を探しています。\n展示会への出展と、取引先の紹介について相談したいです。"


def log_in(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.locator("form.form").get_by_role("button", name="ログイン").click()
    expect(page.locator(".messages")).to_contain_text("ログインしました")


def log_out(page) -> None:
    page.get_by_role("button", name="ログアウト").click()
    expect(page.locator(".messages")).to_contain_text("ログアウトしました")


def fill_public_form(page, **values: str) -> None:
    page.get_by_label("相談先の地域").select_option(label="千葉県")
    page.get_by_label("件名（任意）").fill(values.get("title", ""))
    page.get_by_label("相談内容").fill(values.get("text", TEXT))
    page.get_by_role("textbox", name="企業名", exact=True).fill(values.get("company", "株式会社ブラウザ樹脂"))
    page.get_by_label("お名前").fill(values.get("name", "樹脂 一郎"))
    page.get_by_label("メールアドレス").fill(values.get("email", "ichiro@example.jp"))
    page.get_by_label("電話番号").fill(values.get("phone", "０４３－１１１－２２２２"))
    page.get_by_label("所在都道府県").select_option(label="千葉県")
    page.get_by_label("地域外の連携機関への紹介に同意する").check()


@pytest.fixture
def network(case_config, make_staff):
    return {
        "secretariat": make_staff("chiba_pref", StaffRole.SECRETARIAT, username="pref-secretariat"),
        "lab": make_staff("chiba_lab", StaffRole.MEMBER, username="lab-member"),
    }


def test_public_form_to_resolution(new_page, network, orgs, password):
    # 1. A company writes in (no login).
    page = new_page()
    page.goto("/")
    page.get_by_role("link", name="相談する", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("支援機関に相談する")
    fill_public_form(page, title="販路開拓の相談")
    page.get_by_role("button", name="相談を送信する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ご相談を受け付けました")
    case = Case.objects.get()
    expect(page.locator(".receipt-number")).to_have_text(case.receipt_number)
    assert case.receipt_number not in page.url
    assert any(m.to == ["ichiro@example.jp"] and case.receipt_number in m.subject for m in mail.outbox)

    # 2. The secretariat finds it in the inbox, confirms the category and routes it by the rules.
    page = new_page()
    log_in(page, "pref-secretariat", password)
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="相談", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("相談案件")
    page.get_by_role("link", name="販路開拓の相談").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("販路開拓の相談")
    expect(page.locator("#case-head")).to_contain_text("受付")
    expect(page.locator("#panel-content")).to_contain_text("ichiro@example.jp")

    classify = page.locator("#panel-classify")
    classify.get_by_label("相談区分").select_option("management")
    classify.get_by_role("button", name="分類を確定する").click()
    flash = page.locator("#case-flash")
    expect(flash).to_contain_text("相談区分を「経営的課題」に確定しました。")
    expect(flash).to_be_focused()  # app.js moves focus to the message after the htmx swap
    expect(page.locator("#timeline")).to_contain_text("分類の確定")

    route = page.locator("#panel-route")
    expect(route).to_contain_text("その他は窓口")  # the rule that would apply
    route.get_by_role("button", name="振り分ける").click()
    expect(flash).to_contain_text("振分けルールにより「千葉県 産業振興課」に振り分けました。")
    expect(page.locator("#case-head .status")).to_have_text("振分済")

    # 3. …and hands it to the 公設試, sharing the detail but not the contacts.
    handoffs = page.locator("#panel-handoffs")
    handoffs.get_by_text("他の機関へ紹介・引継ぎを依頼する").click()
    handoffs.get_by_label("紹介先").select_option(label="千葉県産業支援技術研究所")
    handoffs.get_by_label("相談内容の詳細まで").check()
    handoffs.get_by_label("理由・依頼内容").fill("樹脂の評価と、展示会向けの試作品についてご支援ください。")
    handoffs.get_by_role("button", name="紹介・引継ぎを依頼する").click()
    expect(flash).to_contain_text("「千葉県産業支援技術研究所」へ紹介・引継ぎを依頼しました")
    expect(page.locator("#panel-handoffs .handoff")).to_contain_text("依頼中")
    log_out(page)

    # 4. The 公設試 sees it (without the contacts) and accepts.
    log_in(page, "lab-member", password)
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="相談", exact=True).click()
    page.get_by_role("tab", name="所属機関").or_(page.get_by_role("link", name="所属機関")).first.click()
    page.get_by_role("link", name="販路開拓の相談").click()
    expect(page.locator("#panel-content")).to_contain_text("展示会への出展")
    expect(page.locator("#case-body")).not_to_contain_text("ichiro@example.jp")
    expect(page.locator(".scope-notice")).to_contain_text("相談内容の詳細まで")
    page.get_by_role("button", name="受諾する").click()
    expect(page.locator("#case-flash")).to_contain_text("紹介・引継ぎを受諾しました。")
    expect(page.locator("#panel-handoffs .handoff")).to_contain_text("受諾")
    assert Handoff.objects.get().state == HandoffState.ACCEPTED
    log_out(page)

    # 5. The lead resolves the case.
    log_in(page, "pref-secretariat", password)
    page.goto(f"/cases/{case.pk}/")
    page.locator("#panel-status").get_by_role("button", name="解決", exact=True).click()
    expect(page.locator("#case-flash")).to_contain_text("状態を「解決」にしました。")
    expect(page.locator("#case-head .status")).to_have_text("解決")
    expect(page.locator("#timeline")).to_contain_text("振分済 → 解決")
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.lead_organization == orgs["chiba_pref"]


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_public_form_bad_input_keeps_what_was_typed(new_page, case_config, javascript):
    page = new_page(javascript=javascript)
    page.goto("/consult/?region=chiba")
    long_text = "計測機器の校正についての相談です。" * 3
    fill_public_form(page, text="   ", email="ichiro-at-example", company="<b>太字</b>商事")
    page.get_by_role("button", name="相談を送信する").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    if javascript:
        expect(summary).to_be_focused()
    expect(summary).to_contain_text("相談内容: 相談内容を入力してください。")
    expect(summary).to_contain_text("メールアドレス: メールアドレスの形式が正しくありません")
    email = page.get_by_label("メールアドレス")
    expect(email).to_have_value("ichiro-at-example")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("textbox", name="企業名", exact=True)).to_have_value("<b>太字</b>商事")
    expect(page.get_by_label("電話番号")).to_have_value("０４３－１１１－２２２２")
    expect(page.get_by_label("お名前")).to_have_value("樹脂 一郎")
    expect(page.get_by_label("所在都道府県")).to_have_value("12")
    expect(page.get_by_label("地域外の連携機関への紹介に同意する")).to_be_checked()
    assert not Case.objects.exists()

    summary.get_by_role("link", name=re.compile("相談内容")).click()
    expect(page.get_by_label("相談内容")).to_be_focused()
    page.get_by_label("相談内容").fill(long_text)
    page.get_by_label("メールアドレス").fill("ichiro@example.jp")
    page.get_by_role("button", name="相談を送信する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("ご相談を受け付けました")
    case = Case.objects.get()
    assert case.detail == long_text and case.requester_company_name == "<b>太字</b>商事"
    assert case.requester_phone == "043-111-2222"


def test_case_page_and_inbox_fit_a_phone(new_page, network, orgs, password):
    case = case_create(
        actor=network["secretariat"],
        data={"text": "スマートフォンで確認する相談", "channel": "phone", "company_name": "携帯精機"},
        organization_id=orgs["chiba_pref"].pk,
    )
    page = new_page(width=375, height=740)
    log_in(page, "pref-secretariat", password)
    for path in ("/cases/?box=all", f"/cases/{case.pk}/", "/cases/overdue/", "/cases/routing/"):
        page.goto(path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 375px"
