"""Companies (SMEs) the network supports, their contacts (personal data) and consent to share."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from renkei.core.models import IndustryClass, Municipality, TimeStampedModel
from renkei.network.models import Organization, Region
from renkei.network.selectors import staff_context

from .choices import Sector, SizeClass


class CompanyQuerySet(models.QuerySet):
    def visible_to(self, user) -> CompanyQuerySet:
        """The one visibility rule for companies (see docs/decisions/0004-company-visibility.md).

        - superusers see everything;
        - staff see the companies their own organizations registered;
        - with the company's consent to share within the region, staff of every non-financial body of that
          region (secretariat included) see it too; a financial institution only ever sees its own customers.
        """
        ctx = staff_context(user)
        if ctx.is_superuser:
            return self
        if not ctx.is_staff_member:
            return self.none()
        return self.filter(
            Q(owner_organization_id__in=ctx.organization_ids)
            | Q(consent_share_region=True, region_id__in=ctx.non_finance_region_ids)
        )


class Company(TimeStampedModel):
    region = models.ForeignKey(
        Region, verbose_name="地域", on_delete=models.PROTECT, related_name="companies"
    )
    owner_organization = models.ForeignKey(
        Organization, verbose_name="登録機関", on_delete=models.PROTECT, related_name="companies"
    )
    corporate_number = models.CharField("法人番号", max_length=13, null=True, blank=True)
    name = models.CharField("企業名", max_length=200)
    kana = models.CharField("企業名よみがな", max_length=200, blank=True)
    jsic = models.ForeignKey(
        IndustryClass,
        verbose_name="産業分類（細分類）",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": 4},
    )
    capital = models.BigIntegerField("資本金（円）", null=True, blank=True)
    employees = models.PositiveIntegerField("従業員数", null=True, blank=True)
    founded_on = models.DateField("設立年月日", null=True, blank=True)
    postal_code = models.CharField("郵便番号", max_length=8, blank=True)
    municipality = models.ForeignKey(
        Municipality,
        verbose_name="市区町村",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    address = models.CharField("町名・番地・建物", max_length=300, blank=True)
    phone = models.CharField("電話番号", max_length=30, blank=True)
    url = models.URLField("URL", max_length=300, blank=True)
    technologies = models.TextField("技術・強み", blank=True)
    products = models.TextField("主な製品", blank=True)
    certifications = models.TextField(
        "認証・認定", blank=True, help_text="ISO 9001、千葉ものづくり認定製品 など"
    )
    size_class = models.CharField(
        "企業規模", max_length=10, choices=SizeClass.choices, default=SizeClass.UNKNOWN, editable=False
    )
    sector = models.CharField("業種区分", max_length=20, choices=Sector.choices, blank=True, editable=False)
    size_reason = models.CharField("企業規模の判定理由", max_length=300, blank=True, editable=False)
    consent_share_region = models.BooleanField("地域内の支援機関との情報共有に同意", default=False)
    consent_share_outside = models.BooleanField("地域外の連携機関との情報共有に同意", default=False)
    consent_recorded_on = models.DateField("同意の確認日", null=True, blank=True)
    is_fictitious = models.BooleanField("架空のデモデータ", default=False, editable=False)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        ordering = ["kana", "name", "id"]
        verbose_name = verbose_name_plural = "企業"
        constraints = [
            models.UniqueConstraint(
                fields=["region", "corporate_number"],
                condition=Q(corporate_number__isnull=False),
                name="company_unique_corporate_number_per_region",
            ),
            models.CheckConstraint(
                condition=Q(capital__gte=0) | Q(capital__isnull=True), name="company_capital_gte_0"
            ),
        ]
        indexes = [
            models.Index(fields=["region", "owner_organization"]),
            models.Index(fields=["name"]),
            models.Index(fields=["size_class"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_sme(self) -> bool:
        return self.size_class in (SizeClass.SMALL, SizeClass.SME)


class Contact(TimeStampedModel):
    """A person at a company (personal data: shown only with the company)."""

    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField("氏名", max_length=100)
    kana = models.CharField("よみがな", max_length=100, blank=True)
    department = models.CharField("部署", max_length=100, blank=True)
    title = models.CharField("役職", max_length=100, blank=True)
    email = models.EmailField("メールアドレス", blank=True)
    phone = models.CharField("電話番号", max_length=30, blank=True)
    is_primary = models.BooleanField("主担当", default=False)

    class Meta:
        ordering = ["-is_primary", "id"]
        verbose_name = verbose_name_plural = "企業の担当者"

    def __str__(self) -> str:
        return self.name


class CompanyAccount(TimeStampedModel):
    """A company's own login (企業ログイン): a user who acts as that company, never as staff.

    It lets the company use the public pages with its registered figures (the eligibility check); it grants no view
    of the company ledger, cases or any other company (docs/decisions/0016-company-logins.md).
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="利用者",
        on_delete=models.CASCADE,
        related_name="company_account",
    )
    company = models.ForeignKey(
        Company, verbose_name="企業", on_delete=models.CASCADE, related_name="accounts"
    )
    is_active = models.BooleanField("有効", default=True)

    class Meta:
        ordering = ["company_id", "created_at", "id"]
        verbose_name = verbose_name_plural = "企業ログイン"

    def __str__(self) -> str:
        return f"{self.user} — {self.company}"
