"""Meetings (定例会議, 連携支援会議) with their agenda and action items, notifications, and the public form's
throttle. Part of ``renkei.cases.models`` (imported there, so Django registers them with the cases app)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from renkei.core.models import TimeStampedModel
from renkei.network.models import Organization, Region

from .choices import MeetingKind, NotificationKind

User = settings.AUTH_USER_MODEL


# ---------------------------------------------------------------------------------------------------------------
# Meetings (定例会議, 連携支援会議)


class Meeting(TimeStampedModel):
    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="meetings")
    kind = models.CharField("種別", max_length=20, choices=MeetingKind.choices)
    title = models.CharField("会議名", max_length=200)
    held_on = models.DateField("開催日")
    place = models.CharField("場所", max_length=200, blank=True)
    organizer = models.ForeignKey(
        Organization, verbose_name="主催", on_delete=models.PROTECT, related_name="+"
    )
    minutes = models.TextField("議事概要", blank=True)
    is_held = models.BooleanField("開催済み", default=False)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = verbose_name_plural = "会議"

    def __str__(self) -> str:
        return f"{self.title}（{self.held_on}）"


class AgendaItem(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField("順序")
    case = models.ForeignKey(
        "Case", null=True, blank=True, on_delete=models.PROTECT, related_name="agenda_items"
    )
    title = models.CharField("議題", max_length=200)
    reason = models.CharField("議題とした理由", max_length=20, blank=True)  # escalated / overdue / other
    discussion = models.TextField("審議内容", blank=True)

    class Meta:
        ordering = ["meeting_id", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "position"], name="agendaitem_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class ActionItem(TimeStampedModel):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="actions")
    case = models.ForeignKey(
        "Case", null=True, blank=True, on_delete=models.PROTECT, related_name="action_items"
    )
    description = models.CharField("対応事項", max_length=300)
    owner_organization = models.ForeignKey(
        Organization, verbose_name="担当機関", on_delete=models.PROTECT, related_name="+"
    )
    due_on = models.DateField("期限", null=True, blank=True)
    done_on = models.DateField("完了日", null=True, blank=True)

    class Meta:
        ordering = ["meeting_id", "id"]

    def __str__(self) -> str:
        return self.description


# ---------------------------------------------------------------------------------------------------------------
# Notifications and the public form's throttle


class Notification(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField("種別", max_length=24, choices=NotificationKind.choices)
    case = models.ForeignKey("Case", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    text = models.CharField("内容", max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notification_user_unread")]

    def __str__(self) -> str:
        return self.text


class PublicSubmission(models.Model):
    """One public-form submission per row, by a keyed hash of the client address (for the rate limit only)."""

    client_hash = models.CharField(max_length=64, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.client_hash[:8]} {self.at}"
