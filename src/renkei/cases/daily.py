"""The daily SLA job: refresh the clocks, tell people when a case gets worse, and mail a digest.

- ``sla_daily(on=)`` runs ``clocks.sla_refresh`` and notifies, for every case whose bucket worsened to 期限間近 /
  期限超過 / 大幅超過, its assignee (or, without one, the writers of its lead organization). A case is told about
  a bucket once per episode: running the job twice, or after the lazy refresh of a page, adds nothing.
- ``sla_digest(on=)`` mails each staff member one plain-text list, per organization, of its open cases at risk or
  late — read through ``Case.objects.visible_to(user)`` like every other read.
- ``sla_daily_task`` wraps both for ``renkei worker`` deployments and books itself for the next morning
  (``schedule_daily``); ``renkei sla refresh|digest`` runs them by hand or from cron.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django_tasks import task, task_backends
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult, get_date_max

from renkei.core.wareki import to_wareki
from renkei.network.choices import WRITER_ROLES
from renkei.network.models import Membership

from .choices import OPEN_STATUSES, SLA_SEVERITY, NotificationKind, SlaBucket
from .clocks import BucketChange, sla_refresh, today
from .models import Case, Notification
from .notify import notify

DIGEST_BUCKETS = (SlaBucket.AT_RISK, SlaBucket.LATE, SlaBucket.VERY_LATE)
DIGEST_ROWS_PER_ORGANIZATION = 50
DAILY_HOUR = 7  # the worker runs the job at 07:00 local time
CHUNK = 1000  # cases per query (well inside every database's limit on bound parameters)

_KIND = {
    SlaBucket.AT_RISK: NotificationKind.SLA_AT_RISK,
    SlaBucket.LATE: NotificationKind.SLA_LATE,
    SlaBucket.VERY_LATE: NotificationKind.SLA_LATE,
}


def _marker(bucket: str) -> str:
    """The start of a notification's text: it says which bucket it is about (and deduplicates by it)."""
    return f"【{SlaBucket(bucket).label}】"


def _writers_by_organization(organization_ids: Iterable[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    rows = (
        Membership.objects.in_force()
        .filter(organization_id__in=list(organization_ids), role__in=WRITER_ROLES, user__is_active=True)
        .values_list("organization_id", "user_id")
        .distinct()
    )
    for org_id, user_id in rows:
        out[org_id].append(user_id)
    return out


def notify_bucket_changes(changes: Iterable[BucketChange]) -> int:
    """Notify the changes that reached 期限間近 or worse; returns the notifications created.

    A case already told about the same bucket since its last status change is not told again."""
    worsened = {c.case_id: c.after for c in changes if c.worsened and c.after in _KIND}
    ids = sorted(worsened)
    created = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        cases = list(Case.objects.filter(pk__in=chunk, status__in=OPEN_STATUSES).select_related("assignee"))
        told = _already_told(cases)
        writers = _writers_by_organization({c.lead_organization_id for c in cases if not _has_assignee(c)})
        for case in cases:
            bucket = worsened[case.pk]
            if (case.pk, _marker(bucket)) in told:
                continue
            recipients = (
                [case.assignee_id] if _has_assignee(case) else writers.get(case.lead_organization_id, [])
            )
            created += len(
                notify(user_ids=recipients, kind=_KIND[bucket], case=case, text=_text(case, bucket))
            )
    return created


def _already_told(cases: list[Case]) -> set[tuple[int, str]]:
    since = {c.pk: c.status_changed_at for c in cases}
    markers = [_marker(b) for b in _KIND]
    rows = Notification.objects.filter(case_id__in=list(since), kind__in=set(_KIND.values())).values_list(
        "case_id", "text", "created_at"
    )
    return {
        (case_id, marker)
        for case_id, text, at in rows
        if at >= since[case_id]
        for marker in markers
        if text.startswith(marker)
    }


def _has_assignee(case: Case) -> bool:
    return case.assignee_id is not None and case.assignee.is_active


def _text(case: Case, bucket: str) -> str:
    due, what = _binding_due(case)
    deadline = f"（{what} {to_wareki(due)}）" if due else ""
    return f"{_marker(bucket)}{case.receipt_number} {case.title}{deadline}"


def _binding_due(case: Case) -> tuple[dt.date | None, str]:
    """The deadline that matters now: the first response until it is given, then the resolution."""
    if case.first_responded_on is None and case.first_response_due_on is not None:
        return case.first_response_due_on, "初回対応期限"
    return case.resolution_due_on, "解決期限"


def sla_daily(on: dt.date | None = None) -> dict[str, Any]:
    """Refresh every clock due by ``on`` (default today) and notify the cases that got worse."""
    day = on or today()
    changes = sla_refresh(on=day)
    with transaction.atomic():
        notifications = notify_bucket_changes(changes)
    by_bucket: dict[str, int] = {b: 0 for b in SlaBucket.values}
    for c in changes:
        by_bucket[c.after] += 1
    return {
        "date": day.isoformat(),
        "changes": len(changes),
        "worsened": sum(1 for c in changes if c.worsened),
        "notifications": notifications,
        "by_bucket": by_bucket,
    }


# ---------------------------------------------------------------------------------------------------------------
# the digest


def _digest_recipients() -> dict[int, set[int]]:
    """user id → organizations (writers, in force) that lead at least one open case at risk or late."""
    leading = (
        Case.objects.filter(status__in=OPEN_STATUSES, sla_bucket__in=DIGEST_BUCKETS)
        .order_by()
        .values("lead_organization_id")
        .distinct()
    )
    rows = (
        Membership.objects.in_force()
        .filter(organization_id__in=leading, role__in=WRITER_ROLES, user__is_active=True)
        .exclude(user__email="")
        .values_list("user_id", "organization_id")
    )
    out: dict[int, set[int]] = defaultdict(set)
    for user_id, org_id in rows:
        out[user_id].add(org_id)
    return out


def _sort_key(case: Case) -> tuple:
    due, _ = _binding_due(case)
    return (-SLA_SEVERITY[SlaBucket(case.sla_bucket)], due or dt.date.max, case.pk)


def digest_body(user: User, cases: list[Case], day: dt.date) -> str:
    name = f"{user.last_name} {user.first_name}".strip() or user.get_username()
    lines = [
        f"{name} 様",
        "",
        f"{to_wareki(day)}時点で、期限が近い・期限を過ぎた相談案件があります（{len(cases)}件）。",
        "対応状況の記録と、必要なら紹介・エスカレーションをお願いします。",
    ]
    by_org: dict[int, list[Case]] = defaultdict(list)
    for case in cases:
        by_org[case.lead_organization_id].append(case)
    for org_cases in sorted(by_org.values(), key=lambda cs: cs[0].lead_organization.name):
        org_cases.sort(key=_sort_key)
        counts = defaultdict(int)
        for case in org_cases:
            counts[case.sla_bucket] += 1
        summary = "・".join(
            f"{SlaBucket(b).label} {counts[b]}件" for b in reversed(DIGEST_BUCKETS) if counts[b]
        )
        lines += ["", f"■ {org_cases[0].lead_organization.name}（{summary}）"]
        for case in org_cases[:DIGEST_ROWS_PER_ORGANIZATION]:
            due, what = _binding_due(case)
            lines.append(f"・{case.receipt_number} {case.title}")
            lines.append(
                f"　{what}: {to_wareki(due) if due else '—'}　状況: {case.get_sla_bucket_display()}"
                f"　{settings.RENKEI_BASE_URL}/cases/{case.pk}/"
            )
        if len(org_cases) > DIGEST_ROWS_PER_ORGANIZATION:
            lines.append(
                f"　ほか {len(org_cases) - DIGEST_ROWS_PER_ORGANIZATION}件（受付箱で「期限の状況」で絞り込めます）"
            )
    lines += [
        "",
        f"受付箱: {settings.RENKEI_BASE_URL}/cases/",
        "",
        "※ このメールは renkei から毎朝自動で送信しています。",
    ]
    return "\n".join(lines) + "\n"


def sla_digest(on: dt.date | None = None) -> int:
    """One e-mail per staff member whose organizations lead open cases at risk or late; returns e-mails sent."""
    day = on or today()
    recipients = _digest_recipients()
    users = User.objects.in_bulk(list(recipients))
    sent = 0
    for user_id in sorted(recipients):
        user = users[user_id]
        cases = list(
            Case.objects.visible_to(user)
            .filter(
                lead_organization_id__in=recipients[user_id],
                status__in=OPEN_STATUSES,
                sla_bucket__in=DIGEST_BUCKETS,
            )
            .select_related("lead_organization")
            .order_by("id")
        )
        if not cases:
            continue
        late = sum(1 for c in cases if c.sla_bucket != SlaBucket.AT_RISK)
        subject = (
            f"[renkei] 期限の近い・過ぎた相談案件 {len(cases)}件（うち期限超過 {late}件）{to_wareki(day)}"
        )
        send_mail(subject, digest_body(user, cases, day), None, [user.email])
        sent += 1
    return sent


# ---------------------------------------------------------------------------------------------------------------
# the task and its schedule


@task()
def sla_daily_task(on: str | None = None) -> dict[str, Any]:
    """The daily job for ``renkei worker``: refresh, notify, digest; then book tomorrow's run."""
    day = dt.date.fromisoformat(on) if on else None
    try:
        result = sla_daily(on=day)
        result["digest_emails"] = sla_digest(on=day)
    finally:
        schedule_daily()  # tomorrow's run is booked even when today's failed
    return result


def next_run_at(now: dt.datetime | None = None) -> dt.datetime:
    now = timezone.localtime(now or timezone.now())
    run = now.replace(hour=DAILY_HOUR, minute=0, second=0, microsecond=0)
    return run if run > now else run + dt.timedelta(days=1)


def schedule_daily(now: dt.datetime | None = None) -> dt.datetime | None:
    """Book the next morning's run on a backend that can defer tasks (the database queue), unless one is booked.

    Returns when it will run (now, for one queued without a time), or None when the backend runs tasks at once."""
    backend = task_backends[sla_daily_task.backend]
    if not backend.supports_defer:
        return None
    booked = (
        DBTaskResult.objects.filter(task_path=sla_daily_task.module_path, status=TaskResultStatus.READY)
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )
    if booked is not None:
        return timezone.now() if booked >= get_date_max() else booked
    when = next_run_at(now)
    sla_daily_task.using(run_after=when).enqueue()
    return when
