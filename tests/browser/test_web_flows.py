"""Browser journeys through the Japanese UI: log in, register a company (a bad 法人番号 first), find it; the
public directory filtered by kind (with and without JavaScript); keyboard and phone-width checks."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from renkei.companies.models import Company
from renkei.network.choices import OrganizationKind, StaffRole

from ..factories import OrganizationFactory

pytestmark = pytest.mark.browser

BAD_NUMBER = "1000012050002"  # wrong check digit
GOOD_NUMBER = "7000012050002"


def log_in(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(password)
    page.locator("form.form").get_by_role("button", name="ログイン").click()
    expect(page.locator(".messages")).to_contain_text("ログインしました")


@pytest.fixture
def member(make_staff):
    return make_staff("chiba_lab", StaffRole.MEMBER, username="lab-member")


def test_register_company_with_a_bad_number_then_fix_it_and_find_it(page, member, password):
    log_in(page, "lab-member", password)
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="企業").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("企業の一覧")
    page.get_by_role("link", name="企業を登録").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("企業の登録")

    page.get_by_role("textbox", name="企業名", exact=True).fill("株式会社ブラウザ精工")
    page.get_by_label("企業名よみがな").fill("ぶらうざせいこう")
    page.get_by_label("法人番号").fill(BAD_NUMBER)
    page.get_by_label("資本金（円）").fill("３，０００万")  # a Japanese way to type it: the service decides
    page.get_by_label("従業員数（人）").fill("12")
    page.get_by_label("地域内の支援機関と情報を共有することに同意を得ている").check()
    page.get_by_role("button", name="登録する").click()

    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()  # app.js moves focus to the summary
    expect(summary).to_contain_text("法人番号のチェックデジット（先頭の1桁）が正しくありません")
    expect(summary).to_contain_text("資本金は整数で入力してください")
    number = page.get_by_label("法人番号")
    expect(number).to_have_value(BAD_NUMBER)
    expect(number).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("textbox", name="企業名", exact=True)).to_have_value("株式会社ブラウザ精工")
    expect(page.get_by_label("資本金（円）")).to_have_value("３，０００万")
    expect(page.get_by_label("地域内の支援機関と情報を共有することに同意を得ている")).to_be_checked()
    assert not Company.objects.exists()

    # The summary links to the field.
    summary.get_by_role("link", name=re.compile("法人番号")).click()
    expect(number).to_be_focused()

    # 資本金 "３，０００万" is not an integer either: both are reported; fix both.
    number.fill(GOOD_NUMBER)
    page.get_by_label("資本金（円）").fill("30000000")
    page.get_by_role("button", name="登録する").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("株式会社ブラウザ精工")
    expect(page.locator(".messages")).to_contain_text("企業「株式会社ブラウザ精工」を登録しました")
    assert Company.objects.get().corporate_number == GOOD_NUMBER

    page.get_by_role("link", name="企業", exact=True).first.click()
    results = page.locator("#company-results")
    expect(results).to_contain_text("株式会社ブラウザ精工")
    expect(results).to_contain_text(GOOD_NUMBER)

    # Searching updates the list in place (htmx) and the URL.
    page.get_by_label("キーワード").fill("ぶらうざ")
    expect(page).to_have_url(re.compile(r"q=%E3%81%B6"))
    expect(results).to_contain_text("株式会社ブラウザ精工")
    page.get_by_label("キーワード").fill("存在しない会社")
    expect(page.locator("#company-results")).to_contain_text("条件に合う企業はありません")


@pytest.fixture
def directory(orgs, chiba):
    OrganizationFactory(name="テスト大学", kind=OrganizationKind.ACADEMIA, region=chiba)
    OrganizationFactory(name="テスト高専", kind=OrganizationKind.ACADEMIA, region=chiba)


@pytest.mark.parametrize("javascript", [True, False], ids=["htmx", "no-js"])
def test_public_directory_filtered_by_kind(new_page, directory, javascript):
    page = new_page(javascript=javascript)
    page.goto("/organizations/")
    results = page.locator("#org-results")
    expect(results).to_contain_text("千葉県産業支援技術研究所")
    page.get_by_label("種別").select_option(label="学（大学・高専・研究機関）")
    if not javascript:
        page.get_by_role("button", name="絞り込む").click()
    expect(page).to_have_url(re.compile(r"kind=academia"))
    results = page.locator("#org-results")
    expect(results).to_contain_text("テスト大学")
    expect(results).to_contain_text("テスト高専")
    expect(results).not_to_contain_text("千葉県産業支援技術研究所")
    expect(results).not_to_contain_text("テスト銀行A")
    expect(page.locator("#result-count")).to_contain_text("2 機関（絞り込み中）")


def test_skip_link_is_the_first_stop_and_moves_to_main(page, db):
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="本文へ移動")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()


@pytest.mark.parametrize("path", ["/", "/organizations/", "/companies/", "/companies/new/", "/login/"])
def test_no_horizontal_scroll_on_a_phone(new_page, member, password, directory, path):
    page = new_page(width=375, height=740)
    if path.startswith("/companies"):
        log_in(page, "lab-member", password)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 375, f"{path}: {scroll_width}px wide at 375px"


def test_jsic_code_suggestions_appear_while_typing(page, member, password):
    log_in(page, "lab-member", password)
    page.goto("/companies/new/")
    page.get_by_label("産業分類（細分類コード）").press_sequentially("ボイラ")
    expect(page.locator('#jsic-options option[value="2511"]')).to_have_count(1)
