"""Side effects that run after commit, as tasks (django-tasks): their failure never undoes the write that caused
them — a consultation with a receipt number exists even when the mail server is down."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def send_notification_emails(notification_ids: list[int]) -> int:
    from .models import Notification

    sent = 0
    rows = Notification.objects.filter(id__in=notification_ids, emailed=False).select_related("user", "case")
    for n in rows:
        if not n.user.email:
            continue
        subject = f"[renkei] {n.get_kind_display()}"
        if n.case_id:
            subject += f" {n.case.receipt_number}"
        body = f"{n.text}\n\n{settings.RENKEI_BASE_URL}/cases/{n.case_id}/\n" if n.case_id else n.text
        send_mail(subject, body, None, [n.user.email])
        Notification.objects.filter(pk=n.pk).update(emailed=True)
        sent += 1
    return sent


@task()
def send_receipt_email(case_id: int) -> bool:
    """The receipt mailed to whoever used the public form (受付番号, what happens next)."""
    from .models import Case

    case = Case.objects.select_related("region").filter(pk=case_id).first()
    if case is None or not case.requester_email:
        return False
    body = (
        f"{case.requester_name or 'ご担当者'} 様\n\n"
        f"{case.region.name}の産学官金連携支援ネットワークです。ご相談を受け付けました。\n\n"
        f"受付番号: {case.receipt_number}\n件名: {case.title}\n\n"
        "担当機関が決まりしだい、担当者からご連絡します（通常、数営業日以内）。\n"
        "お問い合わせの際は受付番号をお知らせください。\n"
    )
    send_mail(f"[renkei] ご相談を受け付けました（{case.receipt_number}）", body, None, [case.requester_email])
    return True
