"""The support network: regions, organizations (産/学/官/金/支援機関), their roles and staff, partner networks."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from renkei.core.models import Prefecture, TimeStampedModel

from .choices import OrganizationKind, StaffRole


class Region(TimeStampedModel):
    """A prefecture-wide support network (千葉県, 山形県 …), or a partner region whose bodies are listed."""

    prefecture = models.OneToOneField(Prefecture, on_delete=models.PROTECT, related_name="region")
    name = models.CharField("名称", max_length=40)
    slug = models.SlugField("識別子", max_length=40, unique=True)
    is_home = models.BooleanField(
        "本システムで連携支援を運営",
        default=False,
        help_text="オフの地域は連携先（地域外）として登録されています。",
    )
    plan_name = models.CharField("連携支援計画の名称", max_length=200, blank=True)

    class Meta:
        ordering = ["prefecture__code"]
        verbose_name = verbose_name_plural = "地域"

    def __str__(self) -> str:
        return self.name

    @property
    def code(self) -> str:
        """全国地方公共団体コード of the prefecture."""
        return self.prefecture.lgcode


class TargetField(models.Model):
    """支援対象分野 (成長ものづくり・ヘルスケア, デジタル, 先進ものづくり …); two levels, per region or national."""

    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="fields")
    code = models.SlugField("コード", max_length=60)
    name = models.CharField("名称", max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    sort_order = models.PositiveIntegerField("表示順", default=0)

    class Meta:
        ordering = ["region_id", "sort_order", "code"]
        verbose_name = verbose_name_plural = "支援対象分野"
        constraints = [models.UniqueConstraint(fields=["region", "code"], name="targetfield_unique_code")]

    def __str__(self) -> str:
        return self.name


class Capability(models.Model):
    """A capability tag (食品・醸造・化学・電子・機械・金属・EMC・信頼性評価 …)."""

    name = models.CharField("名称", max_length=60, unique=True)
    sort_order = models.PositiveIntegerField("表示順", default=0)

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = verbose_name_plural = "対応分野タグ"

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """相談区分 (技術的課題, 経営的課題, 研究課題, 資金, 販路, 人材, 知財 …), two levels."""

    code = models.SlugField("コード", max_length=60, unique=True)
    name = models.CharField("名称", max_length=120)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    sort_order = models.PositiveIntegerField("表示順", default=0)

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = verbose_name_plural = "相談区分"

    def __str__(self) -> str:
        return self.name


class OrganizationQuerySet(models.QuerySet):
    def public(self) -> OrganizationQuerySet:
        """The directory is public: every organization is listed (no confidential field lives here)."""
        return self.select_related("region", "parent")


class Organization(TimeStampedModel):
    name = models.CharField("名称", max_length=200)
    short_name = models.CharField("略称", max_length=60, blank=True)
    kana = models.CharField("よみがな", max_length=200, blank=True)
    kind = models.CharField("種別", max_length=20, choices=OrganizationKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name="上位機関",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    region = models.ForeignKey(
        Region, verbose_name="地域", on_delete=models.PROTECT, related_name="organizations"
    )
    postal_code = models.CharField("郵便番号", max_length=8, blank=True)
    address = models.CharField("住所", max_length=300, blank=True)
    representative_title = models.CharField("代表者役職", max_length=100, blank=True)
    representative_name = models.CharField("代表者氏名", max_length=100, blank=True)
    url = models.URLField("URL", blank=True)
    phone = models.CharField("電話番号", max_length=30, blank=True)
    email = models.EmailField("メールアドレス", blank=True)
    description = models.TextField("概要", blank=True)
    is_plan_member = models.BooleanField(
        "連携支援計画の構成機関",
        default=False,
        help_text="計画に名前のある地域経済牽引支援機関（9者11機関など）",
    )
    fields = models.ManyToManyField(
        TargetField, verbose_name="対応する支援対象分野", blank=True, related_name="+"
    )

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["region__prefecture__code", "name"]
        verbose_name = verbose_name_plural = "機関"
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="organization_unique_name")]
        indexes = [models.Index(fields=["kind"])]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        return self.name


class OrganizationRole(TimeStampedModel):
    """One line of the plan's ④役割 for an organization, with capability tags and accepted case categories."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="roles")
    text = models.TextField("役割")
    capabilities = models.ManyToManyField(
        Capability, verbose_name="対応分野タグ", blank=True, related_name="roles"
    )
    accepts_categories = models.ManyToManyField(
        Category, verbose_name="受け付ける相談区分", blank=True, related_name="roles"
    )
    sort_order = models.PositiveIntegerField("表示順", default=0)
    valid_from = models.DateField("適用開始日", null=True, blank=True)
    valid_to = models.DateField("適用終了日", null=True, blank=True)

    class Meta:
        ordering = ["organization_id", "sort_order", "id"]
        verbose_name = verbose_name_plural = "役割"

    def __str__(self) -> str:
        return f"{self.organization}: {self.text[:30]}"


class MembershipQuerySet(models.QuerySet):
    def active(self) -> MembershipQuerySet:
        """Registered and not ended by hand (includes memberships whose 着任日 is still ahead)."""
        return self.filter(is_active=True)

    def in_force(self, on: dt.date | None = None) -> MembershipQuerySet:
        """Active and within its dates on ``on`` (default today): only these grant rights.

        人事異動: a membership registered ahead of its 着任日, or whose 離任日 has passed, grants nothing.
        """
        on = on or dt.date.today()
        return self.active().filter(
            Q(started_on__isnull=True) | Q(started_on__lte=on), Q(ended_on__isnull=True) | Q(ended_on__gte=on)
        )


class Membership(TimeStampedModel):
    """A user's staff membership in an organization, with a role."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("権限", max_length=20, choices=StaffRole.choices, default=StaffRole.MEMBER)
    title = models.CharField(
        "役職・職名", max_length=100, blank=True, help_text="例: 研究開発コーディネーター"
    )
    is_active = models.BooleanField("有効", default=True)
    started_on = models.DateField("着任日", null=True, blank=True)
    ended_on = models.DateField("離任日", null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organization_id", "user_id"]
        verbose_name = verbose_name_plural = "職員の所属"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organization"], condition=Q(is_active=True), name="membership_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organization} ({self.get_role_display()})"


class PartnerNetwork(TimeStampedModel):
    """A network of bodies across regions (TKF, IMY 会議, 産業技術連携推進会議)."""

    name = models.CharField("名称", max_length=200, unique=True)
    short_name = models.CharField("略称", max_length=40, blank=True)
    description = models.TextField("概要", blank=True)
    url = models.URLField("URL", blank=True)
    founded_fiscal_year = models.PositiveSmallIntegerField("発足年度", null=True, blank=True)
    members = models.ManyToManyField(
        Organization, through="PartnerNetworkMember", related_name="partner_networks", verbose_name="構成機関"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = verbose_name_plural = "連携ネットワーク"

    def __str__(self) -> str:
        return self.short_name or self.name


class PartnerNetworkMember(models.Model):
    network = models.ForeignKey(PartnerNetwork, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="network_memberships"
    )
    note = models.CharField("備考", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "連携ネットワークの構成機関"
        constraints = [
            models.UniqueConstraint(fields=["network", "organization"], name="partnernetworkmember_unique")
        ]

    def __str__(self) -> str:
        return f"{self.network} / {self.organization}"
