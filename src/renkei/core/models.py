"""Base models and national reference data (prefectures, municipalities, JSIC 第14回改定)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("作成日時", auto_now_add=True)
    updated_at = models.DateTimeField("更新日時", auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="作成者",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


class Prefecture(models.Model):
    """都道府県. ``code`` is the two-digit JIS X 0401 code; ``lgcode`` the 6-digit 全国地方公共団体コード."""

    code = models.CharField("都道府県コード", max_length=2, primary_key=True)
    lgcode = models.CharField("団体コード", max_length=6, unique=True)
    name = models.CharField("名称", max_length=10, unique=True)
    kana = models.CharField("よみ", max_length=20)
    name_en = models.CharField("英語名", max_length=40)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "都道府県"

    def __str__(self) -> str:
        return self.name


class Municipality(models.Model):
    """市区町村 (政令市の区を含む). ``code`` is the 6-digit 全国地方公共団体コード with its check digit."""

    code = models.CharField("団体コード", max_length=6, primary_key=True)
    prefecture = models.ForeignKey(Prefecture, on_delete=models.PROTECT, related_name="municipalities")
    name = models.CharField("名称", max_length=40)
    kana = models.CharField("よみ", max_length=60)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "市区町村"
        indexes = [models.Index(fields=["prefecture", "name"])]

    def __str__(self) -> str:
        return f"{self.prefecture.name}{self.name}"


class IndustryLevel(models.IntegerChoices):
    MAJOR = 1, "大分類"
    MIDDLE = 2, "中分類"
    MINOR = 3, "小分類"
    DETAIL = 4, "細分類"


class IndustryClass(models.Model):
    """日本標準産業分類 (第14回改定). Codes are unique across levels: A–T, 2, 3 and 4 digits."""

    code = models.CharField("分類コード", max_length=4, primary_key=True)
    level = models.PositiveSmallIntegerField("階層", choices=IndustryLevel.choices)
    name = models.CharField("名称", max_length=200)
    name_en = models.CharField("英語名", max_length=300, blank=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    major_code = models.CharField("大分類", max_length=1)
    description = models.TextField("説明", blank=True)
    examples = models.JSONField("例示", default=list, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = verbose_name_plural = "日本標準産業分類"
        indexes = [models.Index(fields=["level", "code"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CalendarDay(TimeStampedModel):
    """A per-installation exception to the national business calendar (``renkei.core.calendar``).

    ``is_closed=True``: an extra closed day (県民の日, an office closure); ``is_closed=False``: a working day that
    would otherwise be closed (a Saturday opening, working through 年末年始).
    """

    date = models.DateField("日付", unique=True)
    is_closed = models.BooleanField(
        "休業日", default=True, help_text="オフにすると、本来は休みの日を営業日にします。"
    )
    name = models.CharField("名称", max_length=100, blank=True, help_text="例: 県民の日、庁舎点検による休業")

    class Meta:
        ordering = ["date"]
        verbose_name = verbose_name_plural = "営業日カレンダーの個別設定"

    def __str__(self) -> str:
        kind = "休業日" if self.is_closed else "営業日"
        return f"{self.date.isoformat()} {kind} {self.name}".rstrip()
