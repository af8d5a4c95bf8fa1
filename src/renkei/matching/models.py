"""The matching app's own records: when the searchable data last changed, and what coordinators said of matches."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from renkei.core.models import TimeStampedModel


class IndexState(models.Model):
    """One row: the moment the indexed data last changed, and the change the current index was built from.

    Catalog, organization and case writes bump ``changed_at`` in their own transaction (``signals``); a rebuild
    records the value it started from in ``built_from``, so a rebuild that raced a write is followed by another.
    """

    changed_at = models.DateTimeField("最終変更", null=True, blank=True)
    built_from = models.DateTimeField("索引の元になった変更", null=True, blank=True)
    version = models.CharField("索引の版", max_length=64, blank=True)
    documents = models.PositiveIntegerField("文書数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "検索インデックスの状態"

    def __str__(self) -> str:
        return self.version or "(未作成)"


class MatchFeedback(TimeStampedModel):
    """A coordinator's verdict on one suggestion for one case — evaluation and training data for the engine."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="match_feedback")
    item_key = models.CharField("候補", max_length=64, help_text="例: seed:12, program:3")
    kind = models.CharField("種類", max_length=20)
    useful = models.BooleanField("役に立つ")
    rank = models.PositiveSmallIntegerField("表示順位", null=True, blank=True)
    score = models.FloatField("スコア", null=True, blank=True)
    query_text = models.TextField("検索に使った文章", blank=True)
    index_version = models.CharField("索引の版", max_length=64, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = verbose_name_plural = "マッチングの評価"
        constraints = [
            models.UniqueConstraint(fields=["case", "item_key", "user"], name="matchfeedback_one_per_user"),
        ]
        indexes = [models.Index(fields=["kind", "useful"])]

    def __str__(self) -> str:
        return f"{self.case_id} {self.item_key} {'○' if self.useful else '×'}"
