"""In-app notifications, and their e-mails sent after commit."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from renkei.core.errors import NotFound
from renkei.network.choices import WRITER_ROLES
from renkei.network.models import Membership

from .models import Case, Notification

MAX_TEXT = 300


def organization_recipients(organization_ids: Iterable[int]) -> list[int]:
    """The users who act for these organizations today (writers in force)."""
    return list(
        Membership.objects.in_force()
        .filter(organization_id__in=list(organization_ids), role__in=WRITER_ROLES, user__is_active=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def notify(
    *, user_ids: Iterable[int], kind: str, case: Case | None, text: str, exclude: int | None = None
) -> list[int]:
    """Create one notification per user (deduplicated; never to ``exclude``, usually the actor) and mail them
    after commit. Returns the notification ids."""
    ids = sorted({u for u in user_ids if u and u != exclude})
    if not ids:
        return []
    rows = Notification.objects.bulk_create(
        [Notification(user_id=u, kind=kind, case=case, text=text[:MAX_TEXT]) for u in ids]
    )
    created = [n.pk for n in rows if n.pk]
    if not created:  # backends that do not return ids from bulk_create
        created = list(
            Notification.objects.filter(user_id__in=ids, kind=kind, case=case)
            .order_by("-id")
            .values_list("id", flat=True)[: len(ids)]
        )
    transaction.on_commit(lambda: _enqueue_emails(created))
    return created


def _enqueue_emails(notification_ids: list[int]) -> None:
    from .tasks import send_notification_emails

    try:
        send_notification_emails.enqueue(notification_ids)
    except Exception:  # noqa: BLE001 — a mail failure never undoes what was committed
        import logging

        logging.getLogger(__name__).exception("通知メールの送信に失敗しました")


def unread_count(user) -> int:  # noqa: ANN001
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_list(*, user, unread: bool | None = None) -> QuerySet[Notification]:  # noqa: ANN001
    """The user's own notifications, newest first (unread only / read only / all)."""
    qs = Notification.objects.filter(user=user).select_related("case")
    if unread is not None:
        qs = qs.filter(read_at__isnull=unread)
    return qs.order_by("-created_at", "-id")


def notification_read(*, actor, notification_id: int) -> Notification:  # noqa: ANN001
    """Mark one of the actor's notifications read (idempotent); another person's answers 404."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().filter(pk=notification_id, user=actor).first()
        if notification is None:
            raise NotFound("通知が見つかりません。")
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
    return notification


def notification_read_all(*, actor) -> int:  # noqa: ANN001
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(read_at=timezone.now())
