"""The case ledger: consultations, their append-only events, hand-offs, and the configuration that drives them
(routing rules, escalation ladders, SLA targets, classification examples) — all data, per region."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from renkei.companies.models import Company
from renkei.core.models import Prefecture, TimeStampedModel
from renkei.network.models import Category, Organization, Region, TargetField

from .choices import (
    OPEN_STATUSES,
    AccessField,
    BusinessStage,
    CaseStatus,
    Channel,
    ConsentScope,
    EventKind,
    HandoffState,
    MeetingKind,
    SlaBucket,
)

User = settings.AUTH_USER_MODEL


# ---------------------------------------------------------------------------------------------------------------
# Configuration (data, editable by the region's secretariat, exported/imported as JSON)


class CaseSettings(TimeStampedModel):
    """Per-region settings of the case ledger: the window (相談窓口) and the public form."""

    region = models.OneToOneField(Region, on_delete=models.CASCADE, related_name="case_settings")
    window_organization = models.ForeignKey(
        Organization,
        verbose_name="相談窓口",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Webフォームの相談や振分け前の相談を受け持つ機関（千葉: 産業振興課、山形: 中小企業トータルサポート）",
    )
    public_intake = models.BooleanField("Webフォームで相談を受け付ける", default=True)
    handoff_reply_days = models.PositiveSmallIntegerField("紹介・引継ぎへの回答期限（営業日）", default=5)
    receipt_prefix = models.CharField("受付番号の接頭辞", max_length=8, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "相談の設定"
        constraints = [
            models.UniqueConstraint(
                fields=["receipt_prefix"], condition=~Q(receipt_prefix=""), name="casesettings_unique_prefix"
            )
        ]

    def __str__(self) -> str:
        return f"{self.region} の相談設定"


class SlaPolicy(TimeStampedModel):
    """First-response and resolution targets in business days, per region and category (null = the default)."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="sla_policies")
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    first_response_days = models.PositiveSmallIntegerField("初回対応の目標（営業日）")
    resolution_days = models.PositiveSmallIntegerField("解決の目標（営業日）")

    class Meta:
        verbose_name = verbose_name_plural = "対応期限の目標"
        constraints = [
            models.UniqueConstraint(fields=["region", "category"], name="slapolicy_unique"),
            models.UniqueConstraint(
                fields=["region"], condition=Q(category__isnull=True), name="slapolicy_one_default"
            ),
            models.CheckConstraint(
                condition=Q(first_response_days__gte=1, resolution_days__gte=1), name="slapolicy_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.category or '既定'}: {self.first_response_days}/{self.resolution_days}"


class RoutingRule(TimeStampedModel):
    """One ordered rule: when every condition given holds, the case goes to ``lead_organization``.

    ``conditions`` is a JSON object; each key is optional and a missing key matches everything:
    ``categories`` / ``fields`` (codes, any of), ``keywords`` (any appears in the title or text, NFKC),
    ``size_classes``, ``jsic_prefixes`` (company's JSIC code starts with any), ``channels``, ``stages``.
    """

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="routing_rules")
    position = models.PositiveIntegerField("順序")
    name = models.CharField("ルール名", max_length=120)
    is_active = models.BooleanField("有効", default=True)
    conditions = models.JSONField("条件", default=dict, blank=True)
    lead_organization = models.ForeignKey(
        Organization, verbose_name="主担当機関", on_delete=models.PROTECT, related_name="+"
    )
    default_assignee = models.ForeignKey(
        User, verbose_name="既定の担当者", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField("根拠・備考", max_length=300, blank=True)

    class Meta:
        ordering = ["region_id", "position", "id"]
        verbose_name = verbose_name_plural = "振分けルール"
        constraints = [
            models.UniqueConstraint(fields=["region", "position"], name="routingrule_unique_position")
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.name}"


class EscalationLadder(TimeStampedModel):
    """An escalation scheme (山形: 3段階の相談解決のスキーム; 千葉: 窓口 → 定例会議 → 連携支援会議 → TKF)."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="ladders")
    name = models.CharField("名称", max_length=120)
    is_default = models.BooleanField("既定", default=True)
    description = models.TextField("説明", blank=True)

    class Meta:
        ordering = ["region_id", "id"]
        verbose_name = verbose_name_plural = "エスカレーションの段階"
        constraints = [
            models.UniqueConstraint(
                fields=["region"], condition=Q(is_default=True), name="ladder_one_default_per_region"
            )
        ]

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    ladder = models.ForeignKey(EscalationLadder, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField("段階")
    name = models.CharField("名称", max_length=120)
    owner_organization = models.ForeignKey(
        Organization,
        verbose_name="担当機関",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="空欄: 最初に相談を受けた機関（山形 Step1）",
    )
    target_days = models.PositiveSmallIntegerField("目標（営業日）", default=10)
    categories = models.ManyToManyField(
        Category,
        verbose_name="対象の相談区分",
        blank=True,
        related_name="+",
        help_text="空欄: すべて。例: 山形 Step3 は技術的課題・研究課題のみ",
    )
    meeting_kind = models.CharField(
        "会議で扱う",
        max_length=20,
        choices=MeetingKind.choices,
        blank=True,
        help_text="この段階の案件は会議の議題になる",
    )
    is_external = models.BooleanField("地域外の機関を含めて支援", default=False)
    description = models.TextField("説明", blank=True)

    class Meta:
        ordering = ["ladder_id", "position"]
        verbose_name = verbose_name_plural = "エスカレーションの各段階"
        constraints = [models.UniqueConstraint(fields=["ladder", "position"], name="step_unique_position")]

    def __str__(self) -> str:
        return f"Step {self.position}: {self.name}"


class TrainingExample(models.Model):
    """A labelled text for the category suggestion: seeded from the plans, or a case a person confirmed."""

    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    target_field = models.ForeignKey(
        TargetField, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField("本文")
    case = models.OneToOneField(
        "Case", null=True, blank=True, on_delete=models.CASCADE, related_name="training_example"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "分類の学習データ"

    def __str__(self) -> str:
        return f"{self.category_id}: {self.text[:30]}"


class ReceiptCounter(models.Model):
    """The last receipt number issued per region and 年度 (rows locked while a number is taken)."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    fiscal_year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["region", "fiscal_year"], name="receiptcounter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.fiscal_year}: {self.last}"


# ---------------------------------------------------------------------------------------------------------------
# The ledger


def visibility_branches(user, organization_ids: frozenset[int] | None = None) -> list[Q] | None:  # noqa: ANN001
    """THE visibility rule of the ledger (decision 0012), as plain conditions whose union is what ``user`` sees:
    the region's secretariat, the lead organization, and organizations with a live hand-off. A financial
    institution never sees a case another financial institution received. ``None`` means everything (superuser).

    Each branch is one indexable condition (no OR between tables), so a list page can take the top rows of each
    branch from its own index and merge them (``selectors.case_inbox``); ``visible_to`` ORs them together. The
    live hand-offs are read first as a list of case ids (one small query): ``id IN (list)`` lets PostgreSQL
    combine index scans, where ``id IN (subquery)`` inside an OR scans every case.
    ``organization_ids`` narrows the user's own bodies (the inbox's "my organization" box) — never widens them.
    """
    from renkei.network.choices import OrganizationKind
    from renkei.network.selectors import staff_context

    from .choices import LIVE_HANDOFF_STATES

    ctx = staff_context(user)
    if ctx.is_superuser and organization_ids is None:
        return None
    orgs = ctx.organization_ids if organization_ids is None else (organization_ids & ctx.organization_ids)
    if ctx.is_superuser:
        orgs = organization_ids or frozenset()
    regions = ctx.secretariat_region_ids if organization_ids is None else frozenset()
    finance = {o for o in orgs if ctx.kind_by_org.get(o) == OrganizationKind.FINANCE}
    branches: list[Q] = [Q(region_id__in=sorted(regions))] if regions else []
    handed: dict[int, set[int]] = {}
    if orgs:
        live = Handoff.objects.filter(state__in=LIVE_HANDOFF_STATES, to_organization_id__in=orgs)
        if regions:  # the region's secretariat sees those anyway
            live = live.exclude(case__region_id__in=regions)
        for case_id, org in live.values_list("case_id", "to_organization_id"):
            handed.setdefault(org, set()).add(case_id)
    # A lead body is always in its case's region (routing and ladders refuse others), so a secretariat's region
    # already covers the cases its own bodies lead.
    leads = sorted(o for o in orgs - finance if ctx.region_by_org.get(o) not in regions)
    if leads:
        branches.append(Q(lead_organization_id__in=leads))
    ids = sorted(set().union(*(handed.get(o, set()) for o in orgs - finance)))
    if ids:
        branches.append(Q(pk__in=ids))
    if finance:
        not_other_bank = ~Q(received_by__kind=OrganizationKind.FINANCE) | Q(
            received_by_id__in=sorted(finance)
        )
        branches.append(Q(lead_organization_id__in=sorted(finance)) & not_other_bank)
        ids = sorted(set().union(*(handed.get(o, set()) for o in finance)))
        if ids:
            branches.append(Q(pk__in=ids) & not_other_bank)
    return branches


_OPEN = sorted(OPEN_STATUSES)


class CaseQuerySet(models.QuerySet):
    def visible_to(self, user) -> CaseQuerySet:  # noqa: ANN001
        """What ``user`` may see: the union of ``visibility_branches`` (decision 0012)."""
        branches = visibility_branches(user)
        if branches is None:
            return self.all()
        if not branches:
            return self.none()
        q = branches[0]
        for branch in branches[1:]:
            q |= branch
        return self.filter(q)


class Case(TimeStampedModel):
    """One consultation (相談案件), from any channel, with one lead organization at a time."""

    region = models.ForeignKey(Region, verbose_name="地域", on_delete=models.PROTECT, related_name="cases")
    receipt_number = models.CharField("受付番号", max_length=24, unique=True)
    fiscal_year = models.PositiveSmallIntegerField("年度", db_index=True)
    received_at = models.DateTimeField("受付日時")
    channel = models.CharField("受付経路", max_length=20, choices=Channel.choices)
    received_by = models.ForeignKey(
        Organization, verbose_name="受付機関", on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField("件名", max_length=200)
    summary = models.TextField("概要", blank=True, help_text="紹介先に「概要のみ」で共有される内容")
    detail = models.TextField("相談内容", help_text="機密: 閲覧は記録されます")
    stage = models.CharField("事業段階", max_length=20, choices=BusinessStage.choices, blank=True)

    company = models.ForeignKey(
        Company, verbose_name="企業", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    requester_company_name = models.CharField("相談者の企業名", max_length=200, blank=True)
    requester_name = models.CharField("相談者氏名", max_length=100, blank=True)
    requester_email = models.EmailField("メールアドレス", blank=True)
    requester_phone = models.CharField("電話番号", max_length=30, blank=True)
    requester_prefecture = models.ForeignKey(
        Prefecture,
        verbose_name="所在都道府県",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    consent_outside_region = models.BooleanField(
        "地域外の機関への紹介に同意", default=False, help_text="企業の同意がなければ地域外へは紹介できません"
    )

    category = models.ForeignKey(
        Category, verbose_name="相談区分", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    target_field = models.ForeignKey(
        TargetField,
        verbose_name="支援対象分野",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    classification_confirmed = models.BooleanField("分類確定", default=False)
    suggested_category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    suggestion_confidence = models.FloatField(null=True, blank=True)

    status = models.CharField("状態", max_length=20, choices=CaseStatus.choices, default=CaseStatus.RECEIVED)
    status_changed_at = models.DateTimeField("状態の変更日時")
    lead_organization = models.ForeignKey(
        Organization, verbose_name="主担当機関", on_delete=models.PROTECT, related_name="lead_cases"
    )
    assignee = models.ForeignKey(
        User,
        verbose_name="担当者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
    )
    ladder = models.ForeignKey(
        EscalationLadder, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    step = models.ForeignKey(
        EscalationStep, verbose_name="段階", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    step_entered_on = models.DateField("段階の開始日", null=True, blank=True)

    # SLA clocks (business days), recomputed by cases.clocks on every change and by the daily refresh.
    first_response_days = models.PositiveSmallIntegerField("初回対応の目標（営業日）")
    resolution_days = models.PositiveSmallIntegerField("解決の目標（営業日）")
    first_responded_on = models.DateField("初回対応日", null=True, blank=True)
    finished_on = models.DateField("完了日", null=True, blank=True)
    first_response_due_on = models.DateField("初回対応期限", null=True, blank=True)
    resolution_due_on = models.DateField("解決期限", null=True, blank=True)
    sla_bucket = models.CharField(
        "期限の状況", max_length=12, choices=SlaBucket.choices, default=SlaBucket.ON_TIME
    )
    sla_next_change_on = models.DateField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = verbose_name_plural = "相談案件"
        indexes = [
            models.Index(fields=["region", "status", "-received_at"], name="case_region_status"),
            models.Index(fields=["lead_organization", "status", "-received_at"], name="case_lead_status"),
            models.Index(fields=["assignee", "status", "-received_at"], name="case_assignee_status"),
            models.Index(fields=["region", "-received_at"], name="case_region_received"),
            models.Index(fields=["lead_organization", "-received_at"], name="case_lead_received"),
            models.Index(fields=["sla_next_change_on"], name="case_sla_next"),
            models.Index(fields=["region", "sla_bucket", "status"], name="case_region_sla"),
            models.Index(fields=["step", "status"], name="case_step_status"),
            # The overdue dashboard: its aggregate reads only this index; its list of late cases is tiny.
            models.Index(
                fields=["region", "lead_organization", "sla_bucket"],
                include=["status", "id"],
                condition=Q(status__in=_OPEN),
                name="case_open_region_lead_sla",
            ),
            models.Index(
                fields=["region", "resolution_due_on", "id"],
                condition=Q(status__in=_OPEN, sla_bucket__in=[SlaBucket.LATE, SlaBucket.VERY_LATE]),
                name="case_late_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_number} {self.title}"

    @property
    def is_open(self) -> bool:
        from .choices import OPEN_STATUSES

        return self.status in OPEN_STATUSES

    @property
    def is_suspended(self) -> bool:
        return self.status == CaseStatus.WAITING


class CaseSuspension(models.Model):
    """A period the case waited on the company (企業回答待ち): its clocks did not run from ``started_on`` to
    ``ended_on`` (exclusive of the start day, inclusive of the end day; open while ``ended_on`` is null)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="suspensions")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["case_id", "started_on", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.started_on}–{self.ended_on or ''}"


class Handoff(TimeStampedModel):
    """A referral of a case to another organization (紹介・引継ぎ), with what the company agreed to share."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="handoffs")
    from_organization = models.ForeignKey(
        Organization, verbose_name="紹介元", on_delete=models.PROTECT, related_name="+"
    )
    to_organization = models.ForeignKey(
        Organization, verbose_name="紹介先", on_delete=models.PROTECT, related_name="received_handoffs"
    )
    to_user = models.ForeignKey(
        User,
        verbose_name="紹介先の担当者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reason = models.TextField("理由・依頼内容")
    consent_scope = models.CharField("共有の範囲", max_length=12, choices=ConsentScope.choices)
    state = models.CharField(
        "状態", max_length=12, choices=HandoffState.choices, default=HandoffState.REQUESTED
    )
    requested_at = models.DateTimeField("依頼日時")
    due_on = models.DateField("回答期限")
    responded_at = models.DateTimeField("受諾・辞退日時", null=True, blank=True)
    replied_at = models.DateTimeField("回答日時", null=True, blank=True)
    closed_at = models.DateTimeField("終了日時", null=True, blank=True)
    response_note = models.TextField("受諾・辞退の理由", blank=True)
    reply = models.TextField("回答内容", blank=True)
    is_external = models.BooleanField("地域外への紹介", default=False)
    requested_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["case_id", "requested_at", "id"]
        verbose_name = verbose_name_plural = "紹介・引継ぎ"
        indexes = [models.Index(fields=["to_organization", "state"], name="handoff_to_state")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.from_organization} → {self.to_organization}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ANN003
        raise TypeError("履歴は追記のみです（更新できません）")

    def delete(self):
        raise TypeError("履歴は追記のみです（削除できません）")


class CaseEvent(models.Model):
    """One entry of a case's history. Append-only: never updated or deleted; a correction is a new event."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField("種別", max_length=20, choices=EventKind.choices)
    at = models.DateTimeField("日時")
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=20, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=CaseStatus.choices, blank=True)
    text = models.TextField("内容", blank=True)
    data = models.JSONField(default=dict, blank=True)
    handoff = models.ForeignKey(
        Handoff, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["case_id", "at", "id"]
        verbose_name = verbose_name_plural = "案件の履歴"
        indexes = [models.Index(fields=["case", "at"], name="caseevent_case_at")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d}"

    def save(self, *args, **kwargs):  # noqa: ANN002, ANN003
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("履歴は追記のみです（更新できません）")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # noqa: ANN002, ANN003
        raise TypeError("履歴は追記のみです（削除できません）")


class CaseAttachment(TimeStampedModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField("ファイル", upload_to="cases/%Y/%m/")
    name = models.CharField("ファイル名", max_length=200)
    size = models.PositiveIntegerField("サイズ")
    uploaded_by_organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["case_id", "id"]
        verbose_name = verbose_name_plural = "添付ファイル"

    def __str__(self) -> str:
        return self.name


class CaseAccessLog(models.Model):
    """Who read a case's confidential fields (相談内容, 連絡先, 添付, 紹介状), and when."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="access_logs")
    user = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    organization = models.ForeignKey(Organization, null=True, on_delete=models.SET_NULL, related_name="+")
    fields = models.CharField("閲覧した項目", max_length=60)
    via = models.CharField("経路", max_length=20)  # web / api / pdf
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = verbose_name_plural = "閲覧記録"
        indexes = [models.Index(fields=["case", "-at"], name="accesslog_case_at")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.user_id} {self.fields}"

    @property
    def field_labels(self) -> list[str]:
        labels = dict(AccessField.choices)
        return [labels.get(f, f) for f in self.fields.split(",") if f]


# Meetings, notifications and the public form's throttle live in their own module (keeps this one readable).
from .models_meetings import ActionItem, AgendaItem, Meeting, Notification, PublicSubmission  # noqa: E402

__all__ = [
    "ActionItem",
    "AgendaItem",
    "Meeting",
    "Notification",
    "PublicSubmission",
]
