"""Vocabularies of the case ledger. Labels are what staff read; values are stable API strings."""

from django.db import models


class CaseStatus(models.TextChoices):
    RECEIVED = "received", "受付"
    ROUTED = "routed", "振分済"
    IN_PROGRESS = "in_progress", "対応中"
    WAITING = "waiting", "企業回答待ち"
    RESOLVED = "resolved", "解決"
    REFERRED = "referred", "他機関紹介済"
    UNABLE = "unable", "対応不可"
    WITHDRAWN = "withdrawn", "取下げ"
    CLOSED = "closed", "クローズ"


# A case in one of these states is finished: its resolution clock has stopped.
FINISHED_STATUSES = frozenset(
    {CaseStatus.RESOLVED, CaseStatus.REFERRED, CaseStatus.UNABLE, CaseStatus.WITHDRAWN, CaseStatus.CLOSED}
)
OPEN_STATUSES = frozenset(set(CaseStatus) - FINISHED_STATUSES)


class Channel(models.TextChoices):
    WINDOW = "window", "窓口"
    PHONE = "phone", "電話"
    VISIT = "visit", "訪問"
    EMAIL = "email", "メール"
    WEB = "web", "Webフォーム"
    SEMINAR = "seminar", "セミナー・研究会"
    BANK = "bank", "金融機関紹介"
    COORDINATOR = "coordinator", "コーディネーターの発掘"
    SEED = "seed", "シーズ起点"
    OTHER = "other", "その他"


class BusinessStage(models.TextChoices):
    """事業段階 (004 §1(3)): support must fit the stage."""

    IDEA = "idea", "きっかけづくり・構想"
    RESEARCH = "research", "研究開発"
    FUNDING = "funding", "資金確保"
    PROTOTYPE = "prototype", "試作・実証・評価"
    COMMERCIALIZATION = "commercialization", "事業化"
    SALES = "sales", "販路開拓"


class HandoffState(models.TextChoices):
    REQUESTED = "requested", "依頼中"
    ACCEPTED = "accepted", "受諾"
    DECLINED = "declined", "辞退"
    REPLIED = "replied", "回答済"
    CLOSED = "closed", "終了"


# A live hand-off gives its receiving organization sight of the case (within the consent scope).
LIVE_HANDOFF_STATES = frozenset({HandoffState.REQUESTED, HandoffState.ACCEPTED, HandoffState.REPLIED})


class ConsentScope(models.TextChoices):
    """What a hand-off shares with the receiving body (ordered: each includes the ones before)."""

    SUMMARY = "summary", "概要のみ"
    DETAIL = "detail", "相談内容の詳細まで"
    CONTACTS = "contacts", "連絡先を含む"


CONSENT_ORDER = {ConsentScope.SUMMARY: 1, ConsentScope.DETAIL: 2, ConsentScope.CONTACTS: 3}


class SlaBucket(models.TextChoices):
    ON_TIME = "on_time", "期限内"
    AT_RISK = "at_risk", "期限間近"
    LATE = "late", "期限超過"
    VERY_LATE = "very_late", "大幅超過（3倍）"


SLA_SEVERITY = {SlaBucket.ON_TIME: 0, SlaBucket.AT_RISK: 1, SlaBucket.LATE: 2, SlaBucket.VERY_LATE: 3}


class EventKind(models.TextChoices):
    CREATED = "created", "受付"
    STATUS = "status", "状態変更"
    CLASSIFIED = "classified", "分類の確定"
    ROUTED = "routed", "振分け"
    ASSIGNED = "assigned", "担当者の指定"
    NOTE = "note", "メモ"
    ESCALATED = "escalated", "エスカレーション"
    HANDED_BACK = "handed_back", "差戻し"
    HANDOFF = "handoff", "紹介・引継ぎ"
    MEETING = "meeting", "会議"
    CORRECTION = "correction", "訂正"


class MeetingKind(models.TextChoices):
    REGULAR = "regular", "定例会議"
    SUPPORT = "support", "連携支援会議"
    OTHER = "other", "その他の会議"


class AccessField(models.TextChoices):
    DETAIL = "detail", "相談内容"
    CONTACTS = "contacts", "連絡先"
    ATTACHMENT = "attachment", "添付ファイル"
    LETTER = "letter", "紹介状"


class NotificationKind(models.TextChoices):
    ASSIGNED = "assigned", "担当の割当て"
    HANDOFF_REQUESTED = "handoff_requested", "紹介・引継ぎの依頼"
    HANDOFF_ACCEPTED = "handoff_accepted", "紹介・引継ぎの受諾"
    HANDOFF_DECLINED = "handoff_declined", "紹介・引継ぎの辞退"
    HANDOFF_REPLIED = "handoff_replied", "紹介先からの回答"
    ESCALATED = "escalated", "エスカレーション"
    SLA_AT_RISK = "sla_at_risk", "期限間近"
    SLA_LATE = "sla_late", "期限超過"
    PUBLIC_INTAKE = "public_intake", "Webフォームからの相談"
