"""Browser journey of matching: a company types a need on the public search page, sees explained results, opens a
program and checks its eligibility from typed size / industry / region; a coordinator opens a case, the matches
panel loads by itself, and marks one suggestion useful."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from renkei.cases.intake import case_create
from renkei.catalog import services as catalog
from renkei.matching.models import MatchFeedback
from renkei.network.choices import StaffRole

pytestmark = pytest.mark.browser

NEED = "樹脂成形品の強度を測りたい"


@pytest.fixture
def network(superuser, orgs, case_config, make_staff, fresh_index):
    catalog.equipment_create(
        actor=superuser,
        data={
            "organization": orgs["chiba_lab"].pk,
            "name": "万能材料試験機",
            "category": "試験・評価",
            "specifications": "樹脂成形品・金属の引張強度と曲げ強度を測定する。",
            "fee_summary": "1時間 1,600円",
        },
    )
    program = catalog.program_create(
        actor=superuser,
        data={
            "organization": orgs["chiba_pref"].pk,
            "title": "樹脂成形品の強度評価支援補助金",
            "kind": "補助金",
            "summary": "樹脂成形品の強度試験・評価にかかる費用を補助する。",
            "rate_text": "2/3以内",
            "cap_yen": "500万円",
            "eligibility": {
                "size_classes": ["sme"],
                "employees": {"min": None, "max": 300},
                "prefectures": ["12"],
            },
        },
    )
    coordinator = make_staff("chiba_lab", StaffRole.COORDINATOR, username="lab-coordinator")
    case = case_create(
        actor=coordinator,
        data={
            "title": "樹脂部品の強度評価",
            "summary": "射出成形した樹脂部品の強度を評価したい",
            "text": "自動車部品の樹脂成形品について、引張強度と曲げ強度を測りたい。",
            "channel": "phone",
        },
        organization_id=orgs["chiba_lab"].pk,
    )
    fresh_index()
    return {"program": program, "case": case, "coordinator": coordinator}


def test_search_a_need_and_check_a_programs_eligibility(new_page, network):
    page = new_page()
    page.goto("/")
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="探す").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("支援の資源を探す")
    page.get_by_label("困りごと・やりたいことを入力").fill(NEED)
    page.get_by_role("button", name="探す", exact=True).click()

    results = page.locator("#search-results")
    expect(results.get_by_role("heading", level=2)).to_have_text(f"「{NEED}」に合う候補")
    tester = results.locator("article", has=page.get_by_role("link", name="万能材料試験機"))
    expect(tester.locator(".kind-badge")).to_have_text("機器")
    expect(tester.locator(".snippet mark").first).to_be_visible()
    expect(tester.locator(".snippet mark", has_text="強度").first).to_be_visible()
    expect(tester.locator(".why")).to_contain_text("入力と同じ言葉")
    assert "q=" in page.url  # a shareable URL (htmx pushed it)

    results.get_by_role("link", name="樹脂成形品の強度評価支援補助金").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("樹脂成形品の強度評価支援補助金")
    check = page.locator("#eligibility")
    check.get_by_label("企業規模").select_option(label="中小企業者")
    check.get_by_label("従業員数").fill("３２０")
    check.get_by_label("業種（日本標準産業分類）").fill("製造業")
    check.get_by_label("所在地（都道府県）").select_option(label="千葉県")
    check.get_by_role("button", name="判定する").click()
    verdict = page.locator(".verdict")
    expect(verdict.locator(".badge")).to_have_text("あと少しで対象")
    expect(verdict).to_contain_text("従業員数 320 人: 上限 300 人を 20 人超えています")
    expect(verdict).to_contain_text("所在地 千葉県: 対象地域（千葉県）内です")


def test_empty_query_lookups_and_a_phone_width(new_page, network):
    page = new_page(width=375, height=800)
    page.goto("/search/")
    page.get_by_text("対象になるか確認する（支援施策）").click()
    page.get_by_label("業種（日本標準産業分類）").press_sequentially("2422")
    expect(page.locator('#jsic-options option[value="2422"]')).to_be_attached()  # a lookup without a login
    page.get_by_label("所在地（市区町村）").press_sequentially("市川")
    expect(page.locator('#municipality-options option[value="122033"]')).to_be_attached()
    page.get_by_label("業種（日本標準産業分類）").fill("")
    page.get_by_label("所在地（市区町村）").fill("")
    page.get_by_role("button", name="探す", exact=True).click()
    field = page.get_by_label("困りごと・やりたいことを入力")
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("#search_q-error")).to_have_text("探したい内容を入力してください。")
    expect(field).to_have_attribute("aria-invalid", "true")
    field.fill(NEED)
    field.press("Enter")
    expect(page.locator("#search-results article").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing wider than the phone


def test_a_coordinator_marks_a_suggestion_useful(new_page, network, password):
    page = new_page()
    page.goto("/login/")
    page.get_by_label("ユーザー名").fill("lab-coordinator")
    page.get_by_label("パスワード").fill(password)
    page.locator("form.form").get_by_role("button", name="ログイン").click()
    page.goto(f"/cases/{network['case'].pk}/")
    panel = page.locator("#case-matches")
    first = panel.locator("article.result").first
    expect(first).to_be_visible()  # loaded by htmx after the page
    expect(panel).to_contain_text("件名・概要・相談内容から")
    expect(first.locator("mark").first).to_be_visible()
    useful = first.get_by_role("button", name="役に立つ", exact=True)
    expect(useful).to_have_attribute("aria-pressed", "false")
    useful.click()
    expect(first.locator(".feedback-state")).to_have_text("「役に立つ」と記録しました。")
    expect(first.get_by_role("button", name="役に立つ", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(first.get_by_role("button", name="役に立つ", exact=True)).to_be_focused()
    saved = MatchFeedback.objects.get()
    assert saved.useful is True and saved.user == network["coordinator"] and saved.rank == 1
