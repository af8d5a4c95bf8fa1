"""The case ledger's staff pages through the Django test client on a real database: the inbox (filters, tabs,
capped count, a fixed number of queries), visibility (404 for another organization's case, bank isolation, what a
summary-only hand-off receiver does not see), every action on the case page (with and without htmx), attachments
and the access log, staff intake, the overdue dashboard, the routing tester and notifications."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from renkei.cases import handoffs, services
from renkei.cases.choices import AccessField, CaseStatus, ConsentScope, EventKind, HandoffState
from renkei.cases.models import (
    Case,
    CaseAccessLog,
    CaseAttachment,
    CaseEvent,
    Handoff,
    Notification,
    TrainingExample,
)
from renkei.network.choices import StaffRole
from renkei.network.models import PartnerNetwork, PartnerNetworkMember

from .factories import CompanyFactory, MembershipFactory, UserFactory

SECRET_TEXT = "試作金型の不具合原因XYZを調べたい（機密）"


def html(response) -> str:
    return response.content.decode("utf-8")


def login(client, user, password) -> None:
    assert client.login(username=user.username, password=password)


def staff_case(actor, org, **extra):
    data = {
        "text": SECRET_TEXT,
        "title": "金型の不具合相談",
        "summary": "金型の品質に関する相談",
        "channel": "phone",
        "company_name": "秘密工業株式会社",
        "contact_name": "相談 太郎",
        "email": "taro@secret.example.jp",
        "phone": "043-000-1111",
    }
    data.update(extra)
    return services.case_create(actor=actor, data=data, organization_id=org.pk)


def stat(page: str, label: str) -> str | None:
    """The number of the home page's statistic whose label starts with ``label``."""
    found = re.search(rf'"stat-value">(\d+)<small> 件</small></span><span class="stat-label">{label}', page)
    return found.group(1) if found else None


def respond(client, handoff: Handoff, action: str, text: str = "", **extra):
    return client.post(f"/cases/handoffs/{handoff.pk}/respond/", {"action": action, "text": text}, **extra)


def hand_off(people, orgs, case, to: str = "chiba_lab", scope: str = ConsentScope.SUMMARY) -> Handoff:
    """The Chiba secretariat hands ``case`` to ``orgs[to]`` with the consent scope ``scope``."""
    return handoffs.handoff_request(
        actor=people["secretariat"],
        case_id=case.pk,
        to_organization_id=orgs[to].pk,
        reason="ご支援をお願いします",
        consent_scope=scope,
    )


@pytest.fixture
def people(case_config, make_staff):
    return {
        "secretariat": make_staff("chiba_pref", StaffRole.SECRETARIAT),
        "window": make_staff("chiba_pref", StaffRole.MEMBER),
        "lab": make_staff("chiba_lab", StaffRole.MEMBER),
        "bank_a": make_staff("chiba_bank_a", StaffRole.MEMBER),
        "bank_b": make_staff("chiba_bank_b", StaffRole.MEMBER),
        "yamagata": make_staff("yamagata_center", StaffRole.MEMBER),
        "lab_viewer": make_staff("chiba_lab", StaffRole.VIEWER),
    }


@pytest.fixture
def case(people, orgs):
    """A case received by the Chiba window (lead: the window)."""
    return staff_case(people["window"], orgs["chiba_pref"])


# ---------------------------------------------------------------------------------------------------------------


class TestAccess:
    @pytest.mark.parametrize(
        "path", ["/cases/", "/cases/new/", "/cases/overdue/", "/cases/routing/", "/notifications/"]
    )
    def test_login_required(self, client, db, path):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/")

    def test_a_user_without_membership_is_refused(self, client, db, password):
        user = UserFactory(username="nobody")
        login(client, user, password)
        assert client.get("/cases/").status_code == 403

    def test_another_organizations_case_is_404_page_and_actions(self, client, people, case, password):
        login(client, people["yamagata"], password)
        assert client.get(f"/cases/{case.pk}/").status_code == 404
        for action, data in (
            ("classify", {"category": "technical"}),
            ("status", {"to_status": "in_progress"}),
            ("notes", {"text": "見えないはず"}),
            ("escalate", {"reason": "x"}),
        ):
            assert client.post(f"/cases/{case.pk}/{action}/", data).status_code == 404
        assert not CaseEvent.objects.filter(case=case, kind=EventKind.NOTE).exists()

    def test_bank_never_sees_another_banks_case(self, client, people, orgs, password):
        received = staff_case(people["bank_a"], orgs["chiba_bank_a"], title="銀行Aの取引先の相談")
        login(client, people["bank_b"], password)
        assert client.get(f"/cases/{received.pk}/").status_code == 404
        assert "銀行Aの取引先の相談" not in html(client.get("/cases/?box=all&status=all"))
        client.logout()
        login(client, people["bank_a"], password)
        assert "銀行Aの取引先の相談" in html(client.get("/cases/?box=org"))


class TestInbox:
    def test_tabs_and_columns(self, client, people, case, password):
        login(client, people["secretariat"], password)
        page = html(client.get("/cases/?box=all"))
        assert case.receipt_number in page and "金型の不具合相談" in page
        assert "秘密工業株式会社" in page  # the secretariat reads the company name
        for label in ("自分の担当", "所属機関", "すべて", "受付番号", "主担当機関 / 担当者", "期限"):
            assert label in page
        assert re.search(r'aria-current="page">すべて<', page)
        swapped = client.get("/cases/?box=all", HTTP_HX_REQUEST="true")  # htmx takes #case-results from it
        assert 'id="case-results"' in html(swapped) and case.receipt_number in html(swapped)
        assert "令和" in page  # 受付日 in 和暦

    def test_mine_lists_only_my_assigned_cases(self, client, people, orgs, password):
        mine = staff_case(people["window"], orgs["chiba_pref"], title="私の担当案件")
        staff_case(people["window"], orgs["chiba_pref"], title="誰の担当でもない案件")
        services.case_assign(actor=people["secretariat"], case_id=mine.pk, assignee_id=people["window"].pk)
        login(client, people["window"], password)
        page = html(client.get("/cases/?box=mine"))
        assert "私の担当案件" in page and "誰の担当でもない案件" not in page

    def test_filters_status_category_bucket_and_text(self, client, people, orgs, case_config, password):
        open_case = staff_case(
            people["window"], orgs["chiba_pref"], title="対応中の案件", category="technical"
        )
        done = staff_case(people["window"], orgs["chiba_pref"], title="解決した案件")
        services.case_transition(
            actor=people["secretariat"], case_id=done.pk, to_status=CaseStatus.IN_PROGRESS
        )
        services.case_transition(actor=people["secretariat"], case_id=done.pk, to_status=CaseStatus.RESOLVED)
        late = staff_case(people["window"], orgs["chiba_pref"], title="古い案件", received_at="2024-04-01")
        login(client, people["secretariat"], password)

        default = html(client.get("/cases/?box=all"))
        assert "対応中の案件" in default and "解決した案件" not in default  # 未完了 by default
        finished = html(client.get("/cases/?box=all&status=finished"))
        assert "解決した案件" in finished and "対応中の案件" not in finished
        technical = case_config["categories"]["technical"].pk
        by_category = html(client.get(f"/cases/?box=all&category={technical}"))
        assert "対応中の案件" in by_category and "古い案件" not in by_category
        by_bucket = html(client.get("/cases/?box=all&sla_bucket=very_late"))
        assert "古い案件" in by_bucket and "対応中の案件" not in by_bucket
        assert "大幅超過" in by_bucket
        by_text = html(client.get(f"/cases/?box=all&q={open_case.receipt_number}"))
        assert "対応中の案件" in by_text and "古い案件" not in by_text
        assert late.fiscal_year == 2024
        by_year = html(client.get("/cases/?box=all&fiscal_year=2024"))
        assert "古い案件" in by_year and "対応中の案件" not in by_year

    def test_bad_filter_values_are_ignored_not_500(self, client, people, case, password):
        login(client, people["secretariat"], password)
        response = client.get("/cases/?box=zzz&status=nope&sla_bucket=x&category=abc&page=-3")
        assert response.status_code == 200
        assert case.receipt_number in html(response)

    def test_at_most_15_queries_whatever_the_page_size(
        self, client, people, orgs, password, django_assert_max_num_queries
    ):
        for i in range(60):
            staff_case(people["window"], orgs["chiba_pref"], title=f"件名{i:02d}", company_name=f"企業{i}")
        login(client, people["secretariat"], password)
        client.get("/cases/?box=all")  # the lazy daily SLA refresh, once per process per day
        with django_assert_max_num_queries(15):
            first = client.get("/cases/?box=all")
        page = html(first)
        assert page.count('data-label="受付番号"') == 50
        assert "60 件" in page and "次の50件" in page
        with django_assert_max_num_queries(15):
            second = client.get("/cases/?box=all&page=2")
        assert html(second).count('data-label="受付番号"') == 10

    def test_capped_count_says_more_than(self, client, people, orgs, password, monkeypatch):
        monkeypatch.setattr("renkei.cases.selectors.COUNT_CAP", 55)
        for i in range(60):
            staff_case(people["window"], orgs["chiba_pref"], title=f"件名{i:02d}")
        login(client, people["secretariat"], password)
        assert "55件以上" in html(client.get("/cases/?box=all"))


class TestConsentScope:
    def test_summary_only_receiver_does_not_see_detail_or_contacts(
        self, client, people, orgs, case, password
    ):
        hand_off(people, orgs, case, scope=ConsentScope.SUMMARY)
        login(client, people["lab"], password)
        response = client.get(f"/cases/{case.pk}/")
        assert response.status_code == 200
        page = html(response)
        assert "金型の不具合相談" in page and "金型の品質に関する相談" in page  # title and summary
        for secret in (
            SECRET_TEXT,
            "秘密工業株式会社",
            "相談 太郎",
            "taro@secret.example.jp",
            "043-000-1111",
        ):
            assert secret not in page, secret
        assert "概要のみ" in page and "共有の範囲外" in page
        assert not CaseAccessLog.objects.filter(case=case, user=people["lab"]).exists()
        inbox = html(client.get("/cases/?box=org"))
        assert "金型の不具合相談" in inbox and "秘密工業株式会社" not in inbox and "（共有範囲外）" in inbox

    def test_detail_receiver_sees_detail_not_contacts_and_is_logged(
        self, client, people, orgs, case, password
    ):
        hand_off(people, orgs, case, scope=ConsentScope.DETAIL)
        login(client, people["lab"], password)
        page = html(client.get(f"/cases/{case.pk}/"))
        assert SECRET_TEXT in page and "秘密工業株式会社" in page
        assert "taro@secret.example.jp" not in page and "043-000-1111" not in page
        log = CaseAccessLog.objects.get(case=case, user=people["lab"])
        assert log.fields == AccessField.DETAIL and log.via == "web"
        assert "閲覧記録" not in page  # the access log is for the secretariat and the lead organization

    def test_secretariat_sees_everything_and_the_access_log(self, client, people, case, password):
        login(client, people["secretariat"], password)
        client.get(f"/cases/{case.pk}/")
        page = html(client.get(f"/cases/{case.pk}/"))
        assert SECRET_TEXT in page and "taro@secret.example.jp" in page and "043-000-1111" in page
        assert "閲覧記録" in page and "相談内容、連絡先" in page


class TestActions:
    def test_classify_through_the_page(self, client, people, case, password):
        login(client, people["secretariat"], password)
        page = html(client.get(f"/cases/{case.pk}/"))
        assert "分類を確定する" in page
        response = client.post(f"/cases/{case.pk}/classify/", {"category": "technical", "stage": "prototype"})
        assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
        case.refresh_from_db()
        assert (
            case.category.code == "technical" and case.classification_confirmed and case.stage == "prototype"
        )
        after = html(client.get(response["Location"]))
        assert "相談区分を「技術的課題」に確定しました。" in after
        assert "分類の確定" in after  # on the timeline

    def test_classify_without_a_category_names_the_field(self, client, people, case, password):
        login(client, people["secretariat"], password)
        response = client.post(f"/cases/{case.pk}/classify/", {"category": ""})
        assert response.status_code == 422
        assert "相談区分を選んでください。" in html(response)

    def test_suggestion_shows_its_confidence(self, client, people, orgs, case_config, password):
        for text in ("金型の加工精度を上げたい", "樹脂成形品の強度を試験したい", "金属の表面処理の不良"):
            TrainingExample.objects.create(category=case_config["categories"]["technical"], text=text)
        for text in ("事業承継の相談", "資金繰りと経営計画", "販路開拓の経営相談"):
            TrainingExample.objects.create(category=case_config["categories"]["management"], text=text)
        case = staff_case(people["window"], orgs["chiba_pref"], text="金型の加工と成形品の強度試験")
        assert case.suggested_category.code == "technical"
        login(client, people["secretariat"], password)
        page = html(client.get(f"/cases/{case.pk}/"))
        percent = round(case.suggestion_confidence * 100)
        assert f"提案: <strong>技術的課題</strong>（信頼度 {percent}%）" in page

    def test_route_by_rules_and_manually(self, client, people, orgs, case, password):
        login(client, people["secretariat"], password)
        services.case_classify(actor=people["secretariat"], case_id=case.pk, category="technical")
        page = html(client.get(f"/cases/{case.pk}/"))
        assert "技術的課題は産技研" in page  # which rule would apply
        response = client.post(f"/cases/{case.pk}/route/", {"mode": "rules"})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.lead_organization == orgs["chiba_lab"] and case.status == CaseStatus.ROUTED

        missing = client.post(f"/cases/{case.pk}/route/", {"mode": "manual"})
        assert missing.status_code == 422 and "主担当機関を選んでください" in html(missing)
        outside = client.post(
            f"/cases/{case.pk}/route/", {"mode": "manual", "lead_organization": orgs["yamagata_pref"].pk}
        )
        assert outside.status_code == 422  # not one of the region's bodies
        manual = client.post(
            f"/cases/{case.pk}/route/", {"mode": "manual", "lead_organization": orgs["chiba_pref"].pk}
        )
        assert manual.status_code == 302
        case.refresh_from_db()
        assert case.lead_organization == orgs["chiba_pref"]

    def test_status_with_and_without_a_reason(self, client, people, case, password):
        login(client, people["window"], password)
        response = client.post(f"/cases/{case.pk}/status/", {"to_status": "in_progress", "reason": ""})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.status == CaseStatus.IN_PROGRESS and case.first_responded_on is not None

        refused = client.post(f"/cases/{case.pk}/status/", {"to_status": "unable", "reason": "  "})
        assert refused.status_code == 422
        page = html(refused)
        assert "「対応不可」には理由の入力が必要です。" in page
        assert re.search(r"<details class=\"inline-details\" open>\s*<summary>対応不可", page)
        case.refresh_from_db()
        assert case.status == CaseStatus.IN_PROGRESS

        done = client.post(
            f"/cases/{case.pk}/status/", {"to_status": "unable", "reason": "技術的に対応できる機関がない"}
        )
        assert done.status_code == 302
        case.refresh_from_db()
        assert case.status == CaseStatus.UNABLE
        event = CaseEvent.objects.filter(case=case, kind=EventKind.STATUS).last()
        assert event.text == "技術的に対応できる機関がない" and event.from_status == CaseStatus.IN_PROGRESS

    def test_a_transition_not_in_the_table_is_a_conflict(self, client, people, case, password):
        login(client, people["window"], password)
        response = client.post(f"/cases/{case.pk}/status/", {"to_status": "closed"})
        assert response.status_code == 409
        assert "「受付」から「クローズ」には変更できません。" in html(response)

    def test_escalate_and_hand_back(self, client, people, orgs, case_config, password):
        case = staff_case(people["yamagata"], orgs["yamagata_center"], category="technical")
        yamagata_secretariat = UserFactory(username="ysec")
        MembershipFactory(
            user=yamagata_secretariat, organization=orgs["yamagata_pref"], role=StaffRole.SECRETARIAT
        )
        login(client, people["yamagata"], password)
        page = html(client.get(f"/cases/{case.pk}/"))
        assert "Step 1/3" in page and "Step 2 中小企業トータルサポート" in page
        no_reason = client.post(f"/cases/{case.pk}/escalate/", {"reason": ""})
        assert no_reason.status_code == 422 and "エスカレーションの理由を入力してください。" in html(
            no_reason
        )

        response = client.post(f"/cases/{case.pk}/escalate/", {"reason": "窓口では解決できない"})
        assert response.status_code == 302
        case.refresh_from_db()
        assert case.step.position == 2 and case.lead_organization == orgs["yamagata_pref"]
        # the body first contacted is no longer the lead and loses sight of the case
        assert response["Location"] == reverse("web:case_inbox")

        client.logout()
        login(client, yamagata_secretariat, password)
        back = client.post(f"/cases/{case.pk}/hand-back/", {"reason": "一次対応で足りる"})
        assert back.status_code == 302
        case.refresh_from_db()
        assert case.step.position == 1 and case.lead_organization == orgs["yamagata_center"]
        kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
        assert EventKind.ESCALATED in kinds and EventKind.HANDED_BACK in kinds

    def test_handoff_request_accept_reply_close(self, client, people, orgs, case, password):
        login(client, people["secretariat"], password)
        missing = client.post(f"/cases/{case.pk}/handoffs/", {"consent_scope": "summary", "reason": "x"})
        assert missing.status_code == 422 and "紹介先の機関を選んでください。" in html(missing)
        response = client.post(
            f"/cases/{case.pk}/handoffs/",
            {
                "to_organization": orgs["chiba_lab"].pk,
                "consent_scope": "detail",
                "reason": "強度試験をお願いします",
            },
        )
        assert response.status_code == 302
        handoff = Handoff.objects.get(case=case)
        assert handoff.state == HandoffState.REQUESTED and handoff.consent_scope == ConsentScope.DETAIL
        client.logout()

        login(client, people["lab"], password)
        page = html(client.get(f"/cases/{case.pk}/"))
        assert "受諾する" in page and "辞退する" in page and "依頼中" in page
        assert respond(client, handoff, "accept").status_code == 302
        empty_reply = respond(client, handoff, "reply")
        assert empty_reply.status_code == 422 and "回答内容を入力してください。" in html(empty_reply)
        assert respond(client, handoff, "reply", "試験できます").status_code == 302
        handoff.refresh_from_db()
        assert handoff.state == HandoffState.REPLIED and handoff.reply == "試験できます"
        close = client.post(f"/cases/handoffs/{handoff.pk}/close/", {"note": "完了"})
        assert close["Location"] == reverse("web:case_inbox")  # closed: the lab no longer sees the case
        handoff.refresh_from_db()
        assert handoff.state == HandoffState.CLOSED
        assert client.get(f"/cases/{case.pk}/").status_code == 404
        requester = Notification.objects.filter(user=people["secretariat"], case=case).values_list(
            "kind", flat=True
        )
        assert {"handoff_accepted", "handoff_replied"} <= set(requester)

    def test_handoff_decline_needs_a_reason(self, client, people, orgs, case, password):
        handoff = hand_off(people, orgs, case, scope=ConsentScope.SUMMARY)
        login(client, people["lab"], password)
        refused = respond(client, handoff, "decline")
        assert refused.status_code == 422 and "辞退の理由を入力してください。" in html(refused)
        declined = respond(client, handoff, "decline", "専門外です")
        assert declined.status_code == 302 and declined["Location"] == reverse("web:case_inbox")
        handoff.refresh_from_db()
        assert handoff.state == HandoffState.DECLINED and handoff.response_note == "専門外です"

    def test_external_handoff_needs_consent_and_links_the_letter(self, client, people, orgs, case, password):
        network = PartnerNetwork.objects.create(name="首都圏公設試連携")
        for key in ("chiba_lab", "yamagata_center"):
            PartnerNetworkMember.objects.create(network=network, organization=orgs[key])
        login(client, people["secretariat"], password)
        form = html(client.get(f"/cases/{case.pk}/"))
        assert '<optgroup label="地域外: 首都圏公設試連携">' in form
        assert "地域外の機関への紹介には企業の同意が必要です。この案件では同意を得ていません。" in form
        data = {
            "to_organization": orgs["yamagata_center"].pk,
            "consent_scope": "summary",
            "reason": "県外の知見",
        }
        refused = client.post(f"/cases/{case.pk}/handoffs/", data)
        assert refused.status_code == 403
        panel = html(refused).split('id="panel-handoffs"')[1].split("</section>")[0]
        assert "地域外の機関への紹介には、企業の同意" in panel  # inline, in the form that failed
        Case.objects.filter(pk=case.pk).update(consent_outside_region=True)
        ok = client.post(f"/cases/{case.pk}/handoffs/", data)
        assert ok.status_code == 302
        handoff = Handoff.objects.get(case=case)
        assert handoff.is_external
        assert f"/cases/handoffs/{handoff.pk}/letter.pdf" in html(client.get(f"/cases/{case.pk}/"))

    def test_receiver_may_not_manage(self, client, people, orgs, case, password):
        hand_off(people, orgs, case, scope=ConsentScope.DETAIL)
        login(client, people["lab"], password)
        page = html(client.get(f"/cases/{case.pk}/"))
        assert "状態の変更" not in page and "分類を確定する" not in page
        response = client.post(f"/cases/{case.pk}/classify/", {"category": "technical"})
        assert response.status_code == 403
        assert "分類を確定できるのは主担当機関か事務局の職員です。" in html(response)
        note = client.post(f"/cases/{case.pk}/notes/", {"text": "受け手のメモ"})
        assert note.status_code == 302  # a live hand-off's receiver may write notes

    def test_note_and_timeline(self, client, people, case, password):
        login(client, people["window"], password)
        empty = client.post(f"/cases/{case.pk}/notes/", {"text": "   "})
        assert empty.status_code == 422 and "メモを入力してください。" in html(empty)
        response = client.post(f"/cases/{case.pk}/notes/", {"text": "企業に電話。来週訪問。"})
        assert response.status_code == 302
        page = html(client.get(f"/cases/{case.pk}/"))
        timeline = page.split('id="timeline"')[1]
        assert "企業に電話。来週訪問。" in timeline and "メモ" in timeline and "受付" in timeline
        assert re.search(r"令和\d+年\d+月\d+日 \d\d:\d\d", timeline)

    def test_htmx_action_returns_the_case_body_with_a_message(self, client, people, case, password):
        login(client, people["window"], password)
        response = client.post(f"/cases/{case.pk}/notes/", {"text": "htmxのメモ"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        page = html(response)
        assert 'id="case-body"' in page and "メモを記録しました。" in page and "htmxのメモ" in page

    def test_htmx_error_is_inline_with_its_status(self, client, people, case, password):
        login(client, people["window"], password)
        response = client.post(f"/cases/{case.pk}/escalate/", {"reason": ""}, HTTP_HX_REQUEST="true")
        assert response.status_code == 422
        page = html(response)
        panel = page.split('id="panel-escalation"')[1].split("</section>")[0]
        assert (
            "エスカレーションの理由を入力してください。" in panel and 'class="error-summary compact"' in panel
        )

    def test_htmx_action_that_hides_the_case_redirects_the_client(self, client, people, orgs, case, password):
        handoff = hand_off(people, orgs, case, scope=ConsentScope.SUMMARY)
        login(client, people["lab"], password)
        response = respond(client, handoff, "decline", "専門外", HTTP_HX_REQUEST="true")
        assert response.status_code == 200 and response["HX-Redirect"] == reverse("web:case_inbox")


class TestAttachments:
    @pytest.fixture(autouse=True)
    def _media(self, settings, tmp_path):
        settings.MEDIA_ROOT = tmp_path

    def test_upload_download_and_access_log(self, client, people, case, password):
        login(client, people["window"], password)
        upload = SimpleUploadedFile("../../見積書 2025.pdf", b"%PDF-1.4 test", content_type="application/pdf")
        response = client.post(f"/cases/{case.pk}/attachments/", {"file": upload})
        assert response.status_code == 302
        attachment = CaseAttachment.objects.get(case=case)
        assert attachment.name == "見積書 2025.pdf" and attachment.size == 13
        assert "見積書" not in attachment.file.name and ".." not in attachment.file.name
        assert CaseEvent.objects.filter(
            case=case, kind=EventKind.NOTE, text__contains="見積書 2025.pdf"
        ).exists()

        page = html(client.get(f"/cases/{case.pk}/"))
        link = reverse("web:case_attachment_download", args=[attachment.pk])
        assert link in page
        before = CaseAccessLog.objects.filter(case=case, fields=AccessField.ATTACHMENT).count()
        download = client.get(link)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == b"%PDF-1.4 test"
        assert "attachment" in download["Content-Disposition"]
        assert CaseAccessLog.objects.filter(case=case, fields=AccessField.ATTACHMENT).count() == before + 1

    def test_too_large_and_empty_are_refused(self, client, people, case, password, settings):
        settings.RENKEI_ATTACHMENT_MAX_BYTES = 10
        login(client, people["window"], password)
        big = client.post(f"/cases/{case.pk}/attachments/", {"file": SimpleUploadedFile("a.txt", b"x" * 11)})
        assert big.status_code == 422 and "ファイルが大きすぎます" in html(big)
        none = client.post(f"/cases/{case.pk}/attachments/", {})
        assert none.status_code == 422 and "添付するファイルを選んでください。" in html(none)
        assert not CaseAttachment.objects.exists()

    def test_summary_receiver_cannot_download(self, client, people, orgs, case, password):
        login(client, people["window"], password)
        client.post(f"/cases/{case.pk}/attachments/", {"file": SimpleUploadedFile("memo.txt", b"secret")})
        attachment = CaseAttachment.objects.get()
        hand_off(people, orgs, case, scope=ConsentScope.SUMMARY)
        client.logout()
        login(client, people["lab"], password)
        assert "memo.txt" not in html(client.get(f"/cases/{case.pk}/"))
        assert client.get(reverse("web:case_attachment_download", args=[attachment.pk])).status_code == 404
        assert not CaseAccessLog.objects.filter(user=people["lab"], fields=AccessField.ATTACHMENT).exists()


class TestIntake:
    def test_new_case_with_a_visible_company(self, client, people, orgs, password):
        company = CompanyFactory(owner_organization=orgs["chiba_pref"], name="登録済み精工")
        login(client, people["window"], password)
        page = html(client.get("/cases/new/"))
        assert "相談の受付" in page and "受付経路" in page
        response = client.post(
            "/cases/new/",
            {
                "organization_id": orgs["chiba_pref"].pk,
                "channel": "visit",
                "received_at": "",
                "company": f"登録済み精工（ID {company.pk}）",
                "text": "工場の省エネを相談したい",
                "stage": "idea",
            },
        )
        assert response.status_code == 302
        case = Case.objects.get()
        assert (
            case.company == company
            and case.channel == "visit"
            and case.requester_company_name == "登録済み精工"
        )
        assert response["Location"] == f"/cases/{case.pk}/"

    def test_errors_keep_what_was_typed(self, client, people, orgs, password):
        CompanyFactory(
            owner_organization=orgs["chiba_bank_a"], name="銀行の非公開企業", consent_share_region=False
        )
        login(client, people["window"], password)
        response = client.post(
            "/cases/new/",
            {
                "organization_id": orgs["chiba_pref"].pk,
                "channel": "phone",
                "received_at": "明日かな",
                "company": "銀行の非公開企業",
                "title": "タイトルだけ",
                "text": "",
                "email": "bad@",
            },
        )
        assert response.status_code == 422
        page = html(response)
        assert "登録済みの企業に見つかりません" in page
        assert "相談内容を入力してください。" in page
        assert "受付日は 2024-04-01 や 令和6年4月1日 の形で入力してください。" in page
        assert 'value="明日かな"' in page and 'value="タイトルだけ"' in page and 'value="bad@"' in page
        assert not Case.objects.exists()

    def test_company_suggestions_only_visible_companies(self, client, people, orgs, password):
        CompanyFactory(owner_organization=orgs["chiba_pref"], name="候補精機")
        CompanyFactory(
            owner_organization=orgs["chiba_bank_a"], name="候補銀行顧客", consent_share_region=False
        )
        login(client, people["window"], password)
        page = html(client.get("/cases/suggest/company/?company=候補"))
        assert "候補精機（ID" in page and "候補銀行顧客" not in page

    def test_viewer_cannot_create(self, client, people, password):
        login(client, people["lab_viewer"], password)
        assert client.get("/cases/new/").status_code == 403


class TestOverdueAndRouting:
    def test_overdue_dashboard(self, client, people, orgs, password):
        late = staff_case(
            people["window"], orgs["chiba_pref"], title="遅れている案件", received_at="2024-04-01"
        )
        staff_case(people["window"], orgs["chiba_pref"], title="新しい案件")
        login(client, people["secretariat"], password)
        page = html(client.get("/cases/overdue/"))
        late_list = page.split("期限を超過している案件")[1]
        assert "千葉県 産業振興課" in page and "遅れている案件" in late_list and "新しい案件" not in late_list
        assert f"organization={orgs['chiba_pref'].pk}&amp;sla_bucket=very_late" in page
        assert late.sla_bucket == "very_late"
        link = f"/cases/?box=all&status=open&organization={orgs['chiba_pref'].pk}&sla_bucket=very_late"
        filtered = html(client.get(link))
        assert "遅れている案件" in filtered and "新しい案件" not in filtered

    def test_routing_rules_and_tester(self, client, people, password):
        login(client, people["lab"], password)
        page = html(client.get("/cases/routing/"))
        assert "技術的課題は産技研" in page and "相談区分" in page and "技術的課題" in page
        assert "条件なし（すべての相談）" in page
        tested = html(client.get("/cases/routing/?test=1&category=technical&text=試作"))
        assert "→ <strong>千葉県産業支援技術研究所</strong>" in tested
        other = html(client.get("/cases/routing/?test=1&category=management&text=経営"))
        assert "→ <strong>千葉県 産業振興課</strong>" in other
        assert "相談区分: 技術的課題のいずれでもありません" in other  # names, not codes
        assert "相談区分: 該当: 技術的課題" in tested

    def test_superuser_picks_the_region(self, client, superuser, case, yamagata, password):
        login(client, superuser, password)
        overdue = html(client.get("/cases/overdue/"))
        assert "すべての地域" in overdue and ">千葉県<" in overdue and ">山形県<" in overdue
        assert "千葉県 産業振興課</th>" in overdue  # the Chiba case counted under its lead organization
        assert "千葉県 産業振興課</th>" not in html(client.get(f"/cases/overdue/?region={yamagata.pk}"))
        routing = html(client.get(f"/cases/routing/?region={yamagata.pk}"))
        assert "振分けルール（山形県）" in routing and "振分けルールがまだありません" in routing


class TestNotificationsAndHome:
    def test_list_mark_one_and_all(self, client, people, orgs, case, password):
        services.case_assign(actor=people["secretariat"], case_id=case.pk, assignee_id=people["window"].pk)
        other = staff_case(people["secretariat"], orgs["chiba_pref"], title="二件目")
        services.case_assign(actor=people["secretariat"], case_id=other.pk, assignee_id=people["window"].pk)
        login(client, people["window"], password)
        page = html(client.get("/notifications/"))
        assert "未読 2 件" in page and "担当になりました" in page
        assert re.search(r'class="nav-badge">2<', html(client.get("/")))
        first = Notification.objects.filter(user=people["window"]).first()
        response = client.post(f"/notifications/{first.pk}/read/")
        assert response.status_code == 302
        first.refresh_from_db()
        assert first.read_at is not None
        opened = client.post(
            f"/notifications/{Notification.objects.filter(read_at__isnull=True).get().pk}/read/",
            {"open": "case"},
        )
        assert opened["Location"].startswith("/cases/")
        client.post("/notifications/read-all/")
        assert not Notification.objects.filter(user=people["window"], read_at__isnull=True).exists()

    def test_someone_elses_notification_is_404(self, client, people, case, password):
        services.case_assign(actor=people["secretariat"], case_id=case.pk, assignee_id=people["window"].pk)
        theirs = Notification.objects.get(user=people["window"])
        login(client, people["lab"], password)
        assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_home_shows_my_numbers(self, client, people, orgs, case, password):
        services.case_assign(actor=people["secretariat"], case_id=case.pk, assignee_id=people["window"].pk)
        staff_case(people["window"], orgs["chiba_pref"], received_at="2024-04-01")
        login(client, people["window"], password)
        page = html(client.get("/"))
        assert "自分が担当する未完了の相談" in page and "期限超過" in page and "未読の通知" in page
        assert stat(page, "自分が担当") == "1"
        assert stat(page, "所属機関の期限超過") == "1"
