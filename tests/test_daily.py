"""The daily SLA job: notifications only when a case gets worse, never twice; the digest e-mail per person and
organization; the task and the command-line handlers."""

from __future__ import annotations

import argparse
import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from renkei.cases import daily, services
from renkei.cases.choices import CaseStatus, NotificationKind, SlaBucket
from renkei.cases.clocks import BucketChange
from renkei.cases.commands import CommandError, cmd_sla, cmd_worker
from renkei.cases.models import Case, Notification
from renkei.core.calendar import load_business_calendar
from renkei.core.wareki import to_wareki
from renkei.network.choices import StaffRole

from .factories import MembershipFactory, UserFactory


@pytest.fixture
def secretariat(make_staff):
    return make_staff("chiba_pref", StaffRole.SECRETARIAT)


@pytest.fixture
def pref_member(make_staff):
    return make_staff("chiba_pref", StaffRole.MEMBER)


@pytest.fixture
def lab(make_staff):
    return make_staff("chiba_lab", StaffRole.MEMBER)


def make_case(actor, org, title: str, *, days_ago: int = 0) -> Case:
    data = {"text": f"{title}について相談したい。", "title": title, "channel": "phone"}
    if days_ago:
        data["received_at"] = (timezone.localdate() - dt.timedelta(days=days_ago)).isoformat()
    return services.case_create(actor=actor, data=data, organization_id=org.pk)


def business_day(n: int) -> dt.date:
    return load_business_calendar().add_business_days(timezone.localdate(), n)


def sla_notes(case: Case) -> list[tuple[str, int, str]]:
    return list(
        Notification.objects.filter(
            case=case, kind__in=[NotificationKind.SLA_AT_RISK, NotificationKind.SLA_LATE]
        )
        .order_by("id")
        .values_list("kind", "user_id", "text")
    )


# --- sla_daily -------------------------------------------------------------------------------------------------


def test_notifies_the_lead_organization_once_per_worsening(
    case_config, orgs, secretariat, pref_member, make_staff
):
    make_staff("chiba_pref", StaffRole.VIEWER)  # viewers are not told
    case = make_case(secretariat, orgs["chiba_pref"], "試作品の評価")  # first response due in 2 business days
    assert daily.sla_daily(on=business_day(1))["notifications"] == 0

    at_risk = daily.sla_daily(on=business_day(2))
    assert at_risk["worsened"] == 1 and at_risk["by_bucket"]["at_risk"] == 1
    notes = sla_notes(case)
    assert {u for _, u, _ in notes} == {secretariat.pk, pref_member.pk}
    assert {k for k, _, _ in notes} == {NotificationKind.SLA_AT_RISK}
    case.refresh_from_db()
    assert notes[0][2] == (
        f"【期限間近】{case.receipt_number} 試作品の評価（初回対応期限 {to_wareki(case.first_response_due_on)}）"
    )

    again = daily.sla_daily(on=business_day(2))
    assert (again["changes"], again["notifications"]) == (0, 0)
    assert len(sla_notes(case)) == 2

    late = daily.sla_daily(on=business_day(3))
    assert late["by_bucket"]["late"] == 1 and late["notifications"] == 2
    assert [k for k, _, _ in sla_notes(case)][2:] == [NotificationKind.SLA_LATE] * 2
    assert daily.sla_daily(on=business_day(3))["notifications"] == 0
    very_late = daily.sla_daily(on=business_day(6))
    assert very_late["by_bucket"]["very_late"] == 1
    assert sla_notes(case)[-1][2].startswith("【大幅超過（3倍）】")


def test_the_assignee_alone_is_told(case_config, orgs, secretariat, pref_member):
    case = make_case(secretariat, orgs["chiba_pref"], "販路の相談")
    services.case_assign(actor=secretariat, case_id=case.pk, assignee_id=pref_member.pk)
    daily.sla_daily(on=business_day(2))
    assert [u for _, u, _ in sla_notes(case)] == [pref_member.pk]


def test_finished_cases_and_improvements_are_not_notified(case_config, orgs, secretariat):
    case = make_case(secretariat, orgs["chiba_pref"], "解決した相談")
    for status in (CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED):
        services.case_transition(actor=secretariat, case_id=case.pk, to_status=status)
    assert daily.sla_daily(on=business_day(40))["notifications"] == 0
    open_case = make_case(secretariat, orgs["chiba_pref"], "まだ対応中の相談")
    better = BucketChange(open_case.pk, SlaBucket.LATE, SlaBucket.AT_RISK)
    assert not better.worsened
    assert daily.notify_bucket_changes([better]) == 0
    assert sla_notes(case) == [] and sla_notes(open_case) == []


def test_a_change_seen_twice_is_told_once(case_config, orgs, secretariat):
    case = make_case(secretariat, orgs["chiba_pref"], "二度目の検出")
    change = BucketChange(case.pk, SlaBucket.ON_TIME, SlaBucket.LATE)
    assert daily.notify_bucket_changes([change]) == 1
    assert daily.notify_bucket_changes([change]) == 0
    # a reopened case starts a new episode: it is told again
    for status in (CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.IN_PROGRESS):
        services.case_transition(actor=secretariat, case_id=case.pk, to_status=status, reason="再相談")
    assert daily.notify_bucket_changes([change]) == 1


# --- sla_digest ------------------------------------------------------------------------------------------------


@pytest.fixture
def late_cases(case_config, orgs, secretariat, lab):
    return {
        "pref_late": make_case(secretariat, orgs["chiba_pref"], "窓口の遅れている相談", days_ago=30),
        "pref_fresh": make_case(secretariat, orgs["chiba_pref"], "今日の相談"),
        "lab_late": make_case(lab, orgs["chiba_lab"], "産技研の遅れている相談", days_ago=45),
    }


def test_digest_one_mail_per_person_one_list_per_organization(late_cases, orgs, secretariat, lab, make_staff):
    make_staff("chiba_bank_a", StaffRole.MEMBER)  # nothing late at the bank: no mail
    both = UserFactory(username="both", last_name="佐藤", first_name="一郎")
    MembershipFactory(user=both, organization=orgs["chiba_pref"], role=StaffRole.COORDINATOR)
    MembershipFactory(user=both, organization=orgs["chiba_lab"], role=StaffRole.MEMBER)
    mail.outbox.clear()
    day = timezone.localdate()
    assert daily.sla_digest(on=day) == 3
    by_to = {m.to[0]: m for m in mail.outbox}
    assert set(by_to) == {secretariat.email, lab.email, both.email}

    pref_mail = by_to[secretariat.email]
    assert pref_mail.subject.startswith("[renkei] 期限の近い・過ぎた相談案件 1件（うち期限超過 1件）")
    assert to_wareki(day) in pref_mail.subject
    body = pref_mail.body
    assert "■ 千葉県 産業振興課（大幅超過（3倍） 1件）" in body
    case = Case.objects.get(pk=late_cases["pref_late"].pk)
    assert f"・{case.receipt_number} 窓口の遅れている相談" in body
    assert f"初回対応期限: {to_wareki(case.first_response_due_on)}　状況: 大幅超過（3倍）" in body
    assert f"http://testserver-base/cases/{case.pk}/" in body
    assert late_cases["lab_late"].receipt_number not in body and "今日の相談" not in body

    assert late_cases["pref_late"].receipt_number not in by_to[lab.email].body
    two = by_to[both.email].body
    assert two.startswith("佐藤 一郎 様")
    assert two.index("■ 千葉県 産業振興課") < two.index("■ 千葉県産業支援技術研究所")
    assert late_cases["lab_late"].receipt_number in two and late_cases["pref_late"].receipt_number in two


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.RENKEI_BASE_URL = "http://testserver-base"


def test_no_digest_without_late_cases(case_config, orgs, secretariat):
    make_case(secretariat, orgs["chiba_pref"], "今日の相談")
    mail.outbox.clear()
    assert daily.sla_digest() == 0 and mail.outbox == []


# --- the task and the commands ---------------------------------------------------------------------------------


def test_the_task_runs_both(late_cases):
    mail.outbox.clear()
    result = daily.sla_daily_task.enqueue(on=business_day(2).isoformat())
    assert result.return_value["date"] == business_day(2).isoformat()
    assert result.return_value["digest_emails"] == len(mail.outbox) >= 2
    assert daily.schedule_daily() is None  # the immediate backend has nothing to book


def test_schedule_daily_books_one_run_on_the_database_queue(db, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    now = timezone.make_aware(dt.datetime(2025, 6, 10, 8, 30))
    when = daily.schedule_daily(now=now)
    assert timezone.localtime(when) == timezone.make_aware(dt.datetime(2025, 6, 11, 7, 0))
    assert daily.schedule_daily(now=now) == when
    assert DBTaskResult.objects.filter(task_path=daily.sla_daily_task.module_path).count() == 1
    early = timezone.make_aware(dt.datetime(2025, 6, 10, 6, 0))
    assert timezone.localtime(daily.next_run_at(early)).date() == dt.date(2025, 6, 10)


def test_cmd_sla(late_cases, capsys):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        cmd_sla(argparse.Namespace(sla_action="refresh", date="2025/13/01"))
    assert cmd_sla(argparse.Namespace(sla_action="refresh", date=business_day(2).isoformat())) == 0
    out = capsys.readouterr().out
    assert f"{business_day(2).isoformat()} 時点の対応期限を更新しました。" in out and "通知:" in out
    mail.outbox.clear()
    assert cmd_sla(argparse.Namespace(sla_action="digest", date=None)) == 0
    assert f"お知らせを {len(mail.outbox)} 人に送信しました。" in capsys.readouterr().out
    with pytest.raises(CommandError, match="refresh か digest"):
        cmd_sla(argparse.Namespace(sla_action="purge", date=None))


def test_cmd_worker_needs_the_database_queue(db):
    with pytest.raises(CommandError, match="RENKEI_TASK_BACKEND=database"):
        cmd_worker(argparse.Namespace(batch=True))
