"""What coordinators say of the suggestions on a case: 「役に立つ」/「役に立たない」, one verdict per person, case and
suggestion (a second click changes it). Kept with the rank, score, query and index version it was given for, as
evaluation and training data for the engine.

Who may record: anyone who may see the case (``Case.objects.visible_to``) — a hand-off receiver judging the
suggestions too. The suggestion must be one the person may see: a catalog item through ``visible_to``, an
organization, or another case they may see.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from renkei.cases.models import Case
from renkei.catalog.models import Equipment, Researcher, ResearchSeed, SupportProgram, TestService
from renkei.core.errors import FieldError, NotFound, ValidationFailed
from renkei.network.models import Organization

from .documents import KIND_LABELS
from .engine import MAX_QUERY_CHARS
from .models import MatchFeedback

_KEY = re.compile(r"^([a-z_]{1,20}):(\d{1,18})$")
_CATALOG = {
    "seed": ResearchSeed,
    "researcher": Researcher,
    "equipment": Equipment,
    "test_service": TestService,
    "program": SupportProgram,
}
MAX_RANK = 32_767  # PositiveSmallIntegerField


def parse_item_key(item_key: str | None) -> tuple[str, int]:
    """("seed", 12) from "seed:12"; ValidationFailed (field ``item_key``) in Japanese otherwise."""
    text = (item_key or "").strip()
    found = _KEY.match(text)
    if not found:
        shown = text[:40] or "（空欄）"
        raise ValidationFailed.from_errors(
            [FieldError("item_key", f"候補の指定「{shown}」が正しくありません（例: seed:12）。")]
        )
    kind, pk = found.group(1), int(found.group(2))
    if kind not in KIND_LABELS:
        names = "、".join(f"{k}（{label}）" for k, label in KIND_LABELS.items())
        raise ValidationFailed.from_errors(
            [FieldError("item_key", f"候補の種類「{kind}」はありません（{names}）。")]
        )
    return kind, pk


def _item_visible(actor: User, kind: str, pk: int, case_id: int) -> bool:
    if kind == "organization":
        return Organization.objects.filter(pk=pk).exists()
    if kind == "case":
        return pk != case_id and Case.objects.visible_to(actor).filter(pk=pk).exists()
    return _CATALOG[kind].objects.visible_to(actor).filter(pk=pk).exists()


def _clean_numbers(rank: Any, score: Any) -> tuple[int | None, float | None]:
    errors: list[FieldError] = []
    if rank is not None and (
        not isinstance(rank, int) or isinstance(rank, bool) or not 1 <= rank <= MAX_RANK
    ):
        errors.append(FieldError("rank", f"表示順位は 1〜{MAX_RANK:,} の整数です。"))
    if score is not None:
        if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
            errors.append(FieldError("score", "スコアは数値です。"))
        else:
            score = float(score)
    if errors:
        raise ValidationFailed.from_errors(errors)
    return rank, score


def feedback_record(
    *,
    actor: User,
    case_id: int,
    item_key: str,
    useful: bool,
    rank: int | None = None,
    score: float | None = None,
    query_text: str = "",
    index_version: str = "",
) -> MatchFeedback:
    """Record (or change) ``actor``'s verdict on one suggestion for one case."""
    kind, pk = parse_item_key(item_key)
    if not isinstance(useful, bool):
        raise ValidationFailed.from_errors(
            [FieldError("useful", "「役に立つ」か「役に立たない」かを選んでください。")]
        )
    rank, score = _clean_numbers(rank, score)
    with transaction.atomic():
        case = Case.objects.visible_to(actor).filter(pk=case_id).first()
        if case is None:
            raise NotFound("相談案件が見つかりません。")
        if not _item_visible(actor, kind, pk, case.pk):
            raise ValidationFailed.from_errors(
                [FieldError("item_key", f"指定された候補（{KIND_LABELS[kind]} {pk}）は見つかりません。")]
            )
        feedback, _ = MatchFeedback.objects.update_or_create(
            case=case,
            item_key=f"{kind}:{pk}",
            user=actor,
            defaults={
                "kind": kind,
                "useful": useful,
                "rank": rank,
                "score": score,
                "query_text": (query_text or "")[:MAX_QUERY_CHARS],
                "index_version": (index_version or "")[:64],
            },
        )
    return feedback


def feedback_for_case(case: Case | int, user: User) -> dict[str, bool]:
    """``{item_key: useful}``: what ``user`` said of this case's suggestions so far."""
    case_id = case if isinstance(case, int) else case.pk
    rows = MatchFeedback.objects.filter(case_id=case_id, user_id=user.pk).values_list("item_key", "useful")
    return dict(rows)
