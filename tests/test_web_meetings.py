"""Meeting pages, the agenda downloads, the referral letter download and the meetings API, over HTTP: logins,
404 for what a user may not see, Japanese errors that keep what was typed, and the agenda's visibility rule."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from renkei.cases import handoffs, meetings, services
from renkei.cases.choices import ConsentScope, EventKind, MeetingKind
from renkei.cases.models import ActionItem, AgendaItem, CaseAccessLog, CaseEvent, Meeting
from renkei.network.choices import StaffRole

pytestmark = pytest.mark.urls("tests.urls_meetings_test")

API = "/api/test-meetings/meetings"
PROBLEM = "application/problem+json"


def html(response) -> str:
    return response.content.decode("utf-8")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def make_case(actor, org, title: str, *, days_ago: int = 0):
    data = {"text": f"{title}について相談したい。", "title": title, "channel": "window"}
    if days_ago:
        data["received_at"] = (timezone.localdate() - dt.timedelta(days=days_ago)).isoformat()
    return services.case_create(actor=actor, data=data, organization_id=org.pk)


@pytest.fixture
def secretariat(make_staff):
    return make_staff("chiba_pref", StaffRole.SECRETARIAT)


@pytest.fixture
def lab(make_staff):
    return make_staff("chiba_lab", StaffRole.MEMBER)


@pytest.fixture
def setup(case_config, orgs, chiba, secretariat, lab):
    pref_case = make_case(secretariat, orgs["chiba_pref"], "窓口の期限超過案件", days_ago=30)
    lab_case = make_case(lab, orgs["chiba_lab"], "産技研の期限超過案件", days_ago=30)
    meeting = meetings.meeting_create(
        actor=secretariat,
        region_id=chiba.pk,
        kind=MeetingKind.REGULAR,
        title="第3回 定例会議",
        held_on="2025-06-10",
        place="県庁",
        organizer_id=orgs["chiba_pref"].pk,
    )
    return {"meeting": meeting, "pref_case": pref_case, "lab_case": lab_case}


# --- pages -----------------------------------------------------------------------------------------------------


def test_pages_need_a_login(setup):
    response = Client().get(reverse("web:meeting_list"))
    assert response.status_code == 302 and reverse("web:login") in response["Location"]


def test_list_by_fiscal_year_in_wareki(setup, secretariat, orgs, chiba):
    meetings.meeting_create(
        actor=secretariat,
        region_id=chiba.pk,
        kind=MeetingKind.SUPPORT,
        title="連携支援会議（前年度）",
        held_on="2025-03-18",
        organizer_id=orgs["chiba_pref"].pk,
    )
    page = html(client_for(secretariat).get(reverse("web:meeting_list")))
    assert page.index(">令和7年度</h2>") < page.index("第3回 定例会議") < page.index(">令和6年度</h2>")
    assert "令和7年6月10日" in page and "連携支援会議（前年度）" in page
    filtered = html(client_for(secretariat).get(reverse("web:meeting_list"), {"fy": "2024"}))
    assert "連携支援会議（前年度）" in filtered and "第3回 定例会議" not in filtered


def test_create_keeps_what_was_typed_and_says_what_is_wrong(setup, secretariat, orgs):
    client = client_for(secretariat)
    data = {
        "organizer": orgs["chiba_pref"].pk,
        "kind": "regular",
        "title": "",
        "held_on": "６月のどこか",
        "place": "県庁本庁舎",
    }
    response = client.post(reverse("web:meeting_create"), data)
    assert response.status_code == 422
    page = html(response)
    assert "会議名を入力してください。" in page and "開催日は 2025-04-01 や 令和7年4月1日 の形で" in page
    assert 'value="６月のどこか"' in page and 'value="県庁本庁舎"' in page
    assert Meeting.objects.count() == 1
    response = client.post(
        reverse("web:meeting_create"), {**data, "title": "第4回 定例会議", "held_on": "令和7年7月8日"}
    )
    meeting = Meeting.objects.get(title="第4回 定例会議")
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:meeting_detail", args=[meeting.pk]
    )
    assert meeting.held_on == dt.date(2025, 7, 8)


def test_a_viewer_cannot_create(setup, make_staff):
    viewer = make_staff("chiba_bank_a", StaffRole.VIEWER)
    assert client_for(viewer).get(reverse("web:meeting_create")).status_code == 403


def test_build_discuss_act_and_close(setup, secretariat, orgs):
    client = client_for(secretariat)
    meeting = setup["meeting"]
    url = reverse("web:meeting_detail", args=[meeting.pk])
    response = client.post(reverse("web:meeting_agenda_build", args=[meeting.pk]), follow=True)
    page = html(response)
    assert "2件の案件を議題に追加しました。" in page
    assert "窓口の期限超過案件" in page and "産技研の期限超過案件" in page
    item = AgendaItem.objects.get(case=setup["pref_case"])

    response = client.post(
        reverse("web:meeting_item_update", args=[meeting.pk, item.pk]),
        {f"item{item.pk}-discussion": "x" * 20_001},
    )
    assert response.status_code == 422 and "審議内容は20,000文字以内で入力してください" in html(response)
    response = client.post(
        reverse("web:meeting_item_update", args=[meeting.pk, item.pk]),
        {f"item{item.pk}-discussion": "産技研に試験を依頼する"},
    )
    assert response.status_code == 302 and response["Location"] == f"{url}#item-{item.pk}"
    assert AgendaItem.objects.get(pk=item.pk).discussion == "産技研に試験を依頼する"

    response = client.post(
        reverse("web:meeting_action_create", args=[meeting.pk]),
        {"description": "", "owner_organization": "", "case": "", "due_on": "いつか"},
    )
    assert response.status_code == 422
    page = html(response)
    assert "対応事項を入力してください。" in page and 'value="いつか"' in page
    assert "担当機関は千葉県の機関から選んでください。" in page
    client.post(
        reverse("web:meeting_action_create", args=[meeting.pk]),
        {
            "description": "落下試験の条件を検討",
            "owner_organization": orgs["chiba_lab"].pk,
            "case": setup["pref_case"].pk,
            "due_on": "2025-07-31",
        },
    )
    action = ActionItem.objects.get()
    assert action.case_id == setup["pref_case"].pk and action.due_on == dt.date(2025, 7, 31)
    client.post(reverse("web:meeting_action_complete", args=[meeting.pk, action.pk]))
    assert ActionItem.objects.get(pk=action.pk).done_on == timezone.localdate()

    client.post(
        reverse("web:meeting_minutes", args=[meeting.pk]), {"minutes": "2件を審議した。", "is_held": "on"}
    )
    meeting.refresh_from_db()
    assert meeting.minutes == "2件を審議した。" and meeting.is_held
    page = html(client.get(url))
    assert "議題を作成" not in page and "開催済み" in page
    # on the case's timeline: put on the agenda, discussed, an action item, its completion
    assert CaseEvent.objects.filter(case=setup["pref_case"], kind=EventKind.MEETING).count() == 4


def test_agenda_page_and_downloads_hide_what_a_user_may_not_see(setup, secretariat, lab, make_staff):
    meeting = setup["meeting"]
    meetings.agenda_build(actor=secretariat, meeting_id=meeting.pk)
    item = AgendaItem.objects.get(case=setup["pref_case"])
    meetings.agenda_item_update(actor=secretariat, item_id=item.pk, discussion="機密の審議内容")
    client = client_for(lab)
    page = html(client.get(reverse("web:meeting_detail", args=[meeting.pk])))
    assert "産技研の期限超過案件" in page
    assert "窓口の期限超過案件" not in page and "機密の審議内容" not in page
    assert "（閲覧権限のない案件）" in page and setup["pref_case"].receipt_number in page
    assert "閲覧権限のない案件が1件あります" in page
    assert "議題を作成" not in page  # the lab does not manage the pref's meeting

    response = client.get(reverse("web:meeting_agenda_xlsx", args=[meeting.pk]))
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.xlsx"')
    titles = [
        r[2] for r in openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)
    ]
    assert titles == ["件名", "（閲覧権限のない案件）", "産技研の期限超過案件"]
    response = client.get(reverse("web:meeting_agenda_pdf", args=[meeting.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")

    outsider = client_for(make_staff("yamagata_pref", StaffRole.SECRETARIAT))
    for name in (
        "web:meeting_detail",
        "web:meeting_agenda_pdf",
        "web:meeting_agenda_xlsx",
        "web:meeting_edit",
    ):
        assert outsider.get(reverse(name, args=[meeting.pk])).status_code == 404
    assert outsider.post(reverse("web:meeting_agenda_build", args=[meeting.pk])).status_code == 404


def test_a_reader_cannot_change_the_meeting(setup, lab):
    meeting = setup["meeting"]
    client = client_for(lab)
    assert client.post(reverse("web:meeting_agenda_build", args=[meeting.pk])).status_code == 403
    assert client.post(reverse("web:meeting_minutes", args=[meeting.pk]), {"minutes": "x"}).status_code == 403
    assert not AgendaItem.objects.exists()


def test_referral_letter_download(setup, lab, orgs, make_staff):
    handoff = handoffs.handoff_request(
        actor=lab,
        case_id=setup["lab_case"].pk,
        to_organization_id=orgs["chiba_bank_a"].pk,
        reason="資金の相談",
        consent_scope=ConsentScope.SUMMARY,
    )
    url = reverse("web:handoff_letter_pdf", args=[handoff.pk])
    assert url == f"/cases/handoffs/{handoff.pk}/letter.pdf"
    response = client_for(lab).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="referral-{handoff.pk}.pdf"'
    assert CaseAccessLog.objects.filter(case=setup["lab_case"], fields="letter", via="pdf").count() == 1
    for user in (make_staff("chiba_bank_b", StaffRole.MEMBER), make_staff("chiba_bank_a", StaffRole.VIEWER)):
        assert client_for(user).get(url).status_code == 404
    assert client_for(lab).get(reverse("web:handoff_letter_pdf", args=[handoff.pk + 99])).status_code == 404


# --- API -------------------------------------------------------------------------------------------------------


def post(client: Client, url: str, body: dict):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def test_api_meetings(setup, secretariat, lab, orgs, chiba, make_staff):
    client = client_for(secretariat)
    bad = post(
        client,
        API,
        {
            "region": chiba.pk,
            "organizer": orgs["chiba_pref"].pk,
            "kind": "weekly",
            "title": "x",
            "held_on": "2025-06-10",
        },
    )
    assert bad.status_code == 422 and bad["Content-Type"] == PROBLEM
    assert [e["field"] for e in bad.json()["errors"]] == ["kind"]
    wrong = post(
        client,
        API,
        {
            "region": chiba.pk,
            "organizer": orgs["yamagata_pref"].pk,
            "kind": "support",
            "title": "x",
            "held_on": "2025-06-10",
        },
    )
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "organizer_id"

    created = post(
        client,
        API,
        {
            "region": chiba.pk,
            "organizer": orgs["chiba_pref"].pk,
            "kind": "regular",
            "title": "第5回 定例会議",
            "held_on": "2025-09-09",
        },
    )
    assert created.status_code == 201, created.content
    meeting_id = created.json()["id"]
    assert created.json()["kind_label"] == "定例会議" and created.json()["items"] == []

    built = post(client, f"{API}/{meeting_id}/agenda", {})
    assert built.status_code == 200 and built.json()["added"] == 2
    items = built.json()["meeting"]["items"]
    assert [i["title"] for i in items] == ["窓口の期限超過案件", "産技研の期限超過案件"]
    assert post(client, f"{API}/{meeting_id}/agenda", {}).json()["added"] == 0

    item_id = items[0]["id"]
    patched = client.patch(
        f"{API}/{meeting_id}/items/{item_id}",
        data=json.dumps({"discussion": "審議した"}),
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["discussion"] == "審議した"
    action = post(
        client,
        f"{API}/{meeting_id}/actions",
        {"description": "報告する", "owner_organization": orgs["chiba_lab"].pk, "case": items[1]["case_id"]},
    )
    assert action.status_code == 201 and action.json()["can_complete"] is True
    done = post(
        client, f"{API}/{meeting_id}/actions/{action.json()['id']}/complete", {"done_on": "2025-09-30"}
    )
    assert done.status_code == 200 and done.json()["done_on"] == "2025-09-30"
    again = post(client, f"{API}/{meeting_id}/actions/{action.json()['id']}/complete", {})
    assert again.status_code == 409 and again["Content-Type"] == PROBLEM

    minutes = client.patch(
        f"{API}/{meeting_id}",
        data=json.dumps({"minutes": "議事概要", "is_held": True}),
        content_type="application/json",
    )
    assert minutes.status_code == 200 and minutes.json()["is_held"] is True
    listed = client.get(API, {"fiscal_year": 2025}).json()
    assert listed["count"] == 2 and {m["item_count"] for m in listed["items"]} == {0, 2}

    # the lab reads the meeting, but not the pref's case on it; it may not change the meeting
    seen = client_for(lab).get(f"{API}/{meeting_id}").json()
    hidden = next(i for i in seen["items"] if not i["visible"])
    assert (
        hidden["title"] == "（閲覧権限のない案件）"
        and hidden["case_id"] is None
        and hidden["discussion"] == ""
    )
    assert hidden["receipt_number"] == setup["pref_case"].receipt_number
    assert seen["can_manage"] is False
    denied = post(client_for(lab), f"{API}/{meeting_id}/agenda", {})
    assert denied.status_code == 403 and denied["Content-Type"] == PROBLEM

    outsider = client_for(make_staff("yamagata_center", StaffRole.MEMBER))
    assert outsider.get(f"{API}/{meeting_id}").status_code == 404
    assert outsider.get(API).json()["count"] == 0
    assert post(outsider, f"{API}/{meeting_id}/agenda", {}).status_code == 404
    assert Client().get(API).status_code == 401
