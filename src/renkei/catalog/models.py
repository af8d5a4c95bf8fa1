"""The catalog of the network's resources: research seeds and researchers, equipment and test services (依頼試験),
support programs (支援施策) with their eligibility rules as data, and the sources they were imported from.

Every item has an owner for permissions: its ``organization`` (the body that holds it; required for equipment and
test services) and its ``region`` (the region that maintains it: the organization's region, or the region whose
secretariat registered it; NULL for national data such as KAKEN or jGrants managed by the system administrator).
Imported items link to their ``source`` and are identified there by ``external_id`` (KAKEN 課題番号, jGrants id),
so a re-import updates instead of duplicating; items typed by staff have no source.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.db.models import Q

from renkei.core.models import TimeStampedModel
from renkei.network.models import Organization, Region
from renkei.network.selectors import staff_context

from .choices import EquipmentCategory, IpStatus, ProgramKind, SeedStage


class CatalogSource(TimeStampedModel):
    """Where imported items come from, with the licence and the credit line the UI must show."""

    name = models.CharField("名称", max_length=200, unique=True)
    publisher = models.CharField("提供者", max_length=200, blank=True)
    licence = models.CharField("利用条件", max_length=200, blank=True, help_text="例: CC BY 4.0")
    attribution = models.TextField(
        "出典の表示", blank=True, help_text="画面に表示するクレジット（そのまま表示）"
    )
    url = models.URLField("URL", max_length=500, blank=True)
    is_fictitious = models.BooleanField(
        "デモ用の架空データ",
        default=False,
        help_text="オンのとき、この出典の項目は実在しない架空のデータです。",
    )
    imported_at = models.DateTimeField("最終取り込み日時", null=True, blank=True)
    item_count = models.PositiveIntegerField("件数", default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = verbose_name_plural = "出典"

    def __str__(self) -> str:
        return self.name


class CatalogQuerySet(models.QuerySet):
    def public(self) -> CatalogQuerySet:
        return self.filter(is_public=True)

    def visible_to(self, user: User | AnonymousUser | None) -> CatalogQuerySet:
        """Public items for everyone; unpublished ones also for the staff of the owning organization (any role),
        the secretariat of the item's region, and superusers."""
        ctx = staff_context(user)
        if ctx.is_superuser:
            return self.all()
        condition = Q(is_public=True)
        if ctx.organization_ids:
            condition |= Q(**{f"{self.model.OWNER_FIELD}_id__in": ctx.organization_ids})
        if ctx.secretariat_region_ids:
            condition |= Q(region_id__in=ctx.secretariat_region_ids)
        return self.filter(condition)


class CatalogItem(TimeStampedModel):
    """What every catalog item has: owner, publication, provenance."""

    region = models.ForeignKey(
        Region,
        verbose_name="管理する地域",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="空欄は全国のデータ（システム管理者が管理）",
    )
    is_public = models.BooleanField(
        "公開", default=True, help_text="オフにすると機関の職員と事務局だけが見られます。"
    )
    source = models.ForeignKey(
        CatalogSource,
        verbose_name="出典",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    external_id = models.CharField("出典での番号", max_length=100, blank=True)

    objects = CatalogQuerySet.as_manager()

    OWNER_FIELD = "organization"  # the foreign key to the owning Organization

    class Meta:
        abstract = True

    @property
    def owner_id(self) -> int | None:
        return getattr(self, f"{self.OWNER_FIELD}_id")

    @classmethod
    def source_constraint(cls, name: str) -> models.UniqueConstraint:
        return models.UniqueConstraint(
            fields=["source", "external_id"],
            condition=Q(source__isnull=False) & ~Q(external_id=""),
            name=name,
        )


class Researcher(CatalogItem):
    name = models.CharField("氏名", max_length=100)
    kana = models.CharField("よみがな", max_length=100, blank=True)
    affiliation = models.CharField("所属", max_length=300, blank=True, help_text="大学・部局・職")
    organization = models.ForeignKey(
        Organization,
        verbose_name="所属機関",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="researchers",
    )
    fields = models.JSONField("研究分野", default=list, blank=True)
    researchmap_id = models.CharField("researchmap ID", max_length=100, blank=True)
    kaken_researcher_number = models.CharField("科研費研究者番号", max_length=8, blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = verbose_name_plural = "研究者"
        constraints = [CatalogItem.source_constraint("researcher_unique_external_id")]
        indexes = [models.Index(fields=["kaken_researcher_number"]), models.Index(fields=["is_public"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.affiliation}）" if self.affiliation else self.name


class ResearchSeed(CatalogItem):
    title = models.CharField("研究テーマ", max_length=300)
    summary = models.TextField("概要", blank=True)
    keywords = models.JSONField("キーワード", default=list, blank=True)
    fields = models.JSONField("研究分野", default=list, blank=True)
    researcher = models.ForeignKey(
        Researcher,
        verbose_name="研究者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="seeds",
    )
    institution = models.ForeignKey(
        Organization,
        verbose_name="研究機関",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="seeds",
    )
    institution_name = models.CharField(
        "研究機関名",
        max_length=200,
        blank=True,
        help_text="連携体制に登録されていない機関（例: 福岡工業大学）",
    )
    ip_status = models.CharField(
        "知的財産", max_length=20, choices=IpStatus.choices, default=IpStatus.UNKNOWN
    )
    stage = models.CharField("研究段階", max_length=20, choices=SeedStage.choices, blank=True)
    contact_route = models.CharField(
        "問い合わせ方法", max_length=300, blank=True, help_text="例: 産学連携窓口を通じて"
    )
    url = models.URLField("URL", max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = verbose_name_plural = "研究シーズ"
        constraints = [CatalogItem.source_constraint("seed_unique_external_id")]
        indexes = [models.Index(fields=["is_public", "region"])]

    def __str__(self) -> str:
        return self.title

    OWNER_FIELD = "institution"

    @property
    def institution_label(self) -> str:
        """The institution inside the network, or the name of one outside it."""
        return self.institution.name if self.institution_id else self.institution_name


class Equipment(CatalogItem):
    organization = models.ForeignKey(
        Organization, verbose_name="保有機関", on_delete=models.PROTECT, related_name="equipment"
    )
    name = models.CharField("機器名", max_length=200)
    maker = models.CharField("メーカー", max_length=200, blank=True)
    model_number = models.CharField("型式", max_length=200, blank=True)
    category = models.CharField(
        "分類", max_length=20, choices=EquipmentCategory.choices, default=EquipmentCategory.OTHER
    )
    specifications = models.TextField("仕様", blank=True)
    location = models.CharField("設置場所", max_length=200, blank=True)
    external_use = models.BooleanField("外部利用可", default=True)
    fee_summary = models.CharField("利用料金", max_length=300, blank=True, help_text="例: 1時間 2,500円")
    photo = models.FileField("写真", upload_to="catalog/equipment/", blank=True, max_length=200)

    class Meta:
        ordering = ["organization_id", "name", "id"]
        verbose_name = verbose_name_plural = "機器"
        constraints = [CatalogItem.source_constraint("equipment_unique_external_id")]
        indexes = [models.Index(fields=["is_public", "category"])]

    def __str__(self) -> str:
        return self.name


class TestService(CatalogItem):
    """依頼試験: a test or analysis a public institute runs on request."""

    __test__ = False  # not a pytest test class, despite its name

    organization = models.ForeignKey(
        Organization, verbose_name="実施機関", on_delete=models.PROTECT, related_name="test_services"
    )
    name = models.CharField("試験項目", max_length=200)
    method = models.CharField(
        "試験方法", max_length=300, blank=True, help_text="例: JIS Z 2241 金属材料引張試験方法"
    )
    standard = models.CharField("規格番号", max_length=100, blank=True, help_text="例: JIS Z 2241")
    unit = models.CharField("単位", max_length=60, blank=True, help_text="例: 1試料、1件")
    fee_yen = models.PositiveIntegerField("手数料（円）", null=True, blank=True)
    fee_note = models.CharField("料金の備考", max_length=300, blank=True)
    equipment = models.ForeignKey(
        Equipment,
        verbose_name="使用機器",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="test_services",
    )

    class Meta:
        ordering = ["organization_id", "name", "id"]
        verbose_name = verbose_name_plural = "依頼試験"
        constraints = [CatalogItem.source_constraint("testservice_unique_external_id")]
        indexes = [models.Index(fields=["is_public", "region"]), models.Index(fields=["standard"])]

    def __str__(self) -> str:
        return self.name


class SupportProgram(CatalogItem):
    """支援施策: a subsidy, grant, loan, expert dispatch … with its eligibility rules as data.

    ``eligibility`` follows ``renkei-eligibility/1`` (see ``catalog/eligibility.py``); a missing key is no
    constraint. ``eligibility_text`` keeps the wording people wrote, for people.
    """

    title = models.CharField("名称", max_length=300)
    provider_name = models.CharField("実施機関名", max_length=200, blank=True)
    organization = models.ForeignKey(
        Organization,
        verbose_name="実施機関",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="programs",
    )
    kind = models.CharField("種類", max_length=20, choices=ProgramKind.choices, default=ProgramKind.SUBSIDY)
    purposes = models.JSONField("目的", default=list, blank=True)
    fields = models.JSONField("分野", default=list, blank=True)
    summary = models.TextField("概要", blank=True)
    catch_phrase = models.CharField("キャッチフレーズ", max_length=300, blank=True)
    eligibility = models.JSONField("対象者の条件", default=dict, blank=True)
    eligibility_text = models.TextField("対象者（原文）", blank=True)
    rate_text = models.CharField("補助率（原文）", max_length=500, blank=True)
    rate_numerator = models.PositiveIntegerField("補助率（分子）", null=True, blank=True)
    rate_denominator = models.PositiveIntegerField("補助率（分母）", null=True, blank=True)
    cap_yen = models.BigIntegerField("上限額（円）", null=True, blank=True)
    opens_on = models.DateField("受付開始日", null=True, blank=True)
    closes_on = models.DateField("受付締切日", null=True, blank=True)
    fiscal_year = models.PositiveSmallIntegerField("年度", null=True, blank=True)
    url = models.URLField("URL", max_length=500, blank=True)
    first_seen = models.DateField("初回掲載日", null=True, blank=True)
    last_updated = models.DateField("最終更新日", null=True, blank=True)

    class Meta:
        ordering = ["-fiscal_year", "title", "id"]
        verbose_name = verbose_name_plural = "支援施策"
        constraints = [
            CatalogItem.source_constraint("program_unique_external_id"),
            models.CheckConstraint(
                condition=Q(rate_numerator__isnull=True, rate_denominator__isnull=True)
                | Q(rate_numerator__isnull=False, rate_denominator__gt=0),
                name="program_rate_pair",
            ),
        ]
        indexes = [
            models.Index(fields=["kind"]),
            models.Index(fields=["fiscal_year"]),
            models.Index(fields=["is_public", "region"]),
            models.Index(fields=["closes_on"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def rate_label(self) -> str:
        if self.rate_numerator is None or not self.rate_denominator:
            return self.rate_text
        return f"{self.rate_numerator}/{self.rate_denominator}"
