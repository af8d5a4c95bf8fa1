"""Matching as the rest of the product uses it: one call from a text (and who asks) to explained, visible results.

Visibility is decided twice, by the same rules as everywhere else:
* catalog items and organizations through their ``attrs`` in the index (public; or owned by one of the user's
  organizations; or maintained by a region the user runs as secretariat — ``CatalogQuerySet.visible_to``'s rule);
* cases through ``Case.objects.visible_to(user)`` on the candidate ids, in the database, before anything is shown —
  so a confidential case never reaches another organization's results, whatever the index holds.
Eligibility verdicts for programs come from ``catalog.eligibility`` when a company profile is given.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.utils import timezone

from renkei.catalog.eligibility import CompanyProfile, Verdict, evaluate
from renkei.catalog.models import Equipment, Researcher, ResearchSeed, SupportProgram, TestService
from renkei.core.errors import FieldError, ValidationFailed
from renkei.network.models import Organization
from renkei.network.selectors import staff_context

from . import documents as D
from .engine import DEFAULT_TUNING, MAX_QUERY_CHARS, search
from .explain import Explanation, explain
from .index import SearchIndex
from .store import ensure_index

MAX_LIMIT = 50
_OVERFETCH = 4

_MODELS = {
    "seed": ResearchSeed.objects.select_related("researcher", "institution", "source"),
    "researcher": Researcher.objects.select_related("organization", "source"),
    "equipment": Equipment.objects.select_related("organization", "source"),
    "test_service": TestService.objects.select_related("organization", "equipment", "source"),
    "program": SupportProgram.objects.select_related("organization", "source"),
    "organization": Organization.objects.select_related("region").prefetch_related(
        "roles__capabilities", "roles__accepts_categories", "fields"
    ),
}


@dataclass
class MatchItem:
    key: str
    kind: str
    object_id: int
    title: str
    subtitle: str
    score: float
    rank: int
    explanation: Explanation
    obj: Any = None
    verdict: Verdict | None = None
    organization_id: int | None = None

    @property
    def kind_label(self) -> str:
        return D.KIND_LABELS.get(self.kind, self.kind)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "kind_label": self.kind_label,
            "id": self.object_id,
            "title": self.title,
            "subtitle": self.subtitle,
            "score": round(self.score, 4),
            "rank": self.rank,
            "organization_id": self.organization_id,
            "explanation": self.explanation.as_dict(),
            "eligibility": self.verdict.to_dict() if self.verdict else None,
        }


@dataclass
class MatchResponse:
    text: str
    items: list[MatchItem] = field(default_factory=list)
    semantic: bool = False
    index_version: str = ""
    coverage: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.text,
            "index_version": self.index_version,
            "semantic": self.semantic,
            "results": [i.as_dict() for i in self.items],
        }


def _visibility_mask(index: SearchIndex, user) -> np.ndarray | None:  # noqa: ANN001
    ctx = staff_context(user)
    if ctx.is_superuser:
        return None
    mask = index.attr_mask("public", [True])
    if ctx.organization_ids:
        mask = mask | index.attr_mask("org", ctx.organization_ids)
    if ctx.secretariat_region_ids:
        mask = mask | index.attr_mask("region", ctx.secretariat_region_ids)
    if not ctx.is_staff_member:
        mask = mask & ~index.kind_mask(["case"]) if "case" in index.kind_names else mask
    return mask


def clean_query(text: str | None) -> str:
    value = (text or "").strip()
    if not value or not any(ch.isalnum() for ch in value):
        raise ValidationFailed.from_errors([FieldError("q", "探したい内容を入力してください。")])
    if len(value) > MAX_QUERY_CHARS:
        message = f"{MAX_QUERY_CHARS:,} 文字以内で入力してください（{len(value):,} 文字）。"
        raise ValidationFailed.from_errors([FieldError("q", message)])
    return value


def match(
    *,
    user,  # noqa: ANN001
    text: str | None,
    kinds: Iterable[str] | None = None,
    limit: int = 10,
    region_ids: Iterable[int] | None = None,
    network_ids: Iterable[int] | None = None,
    profile: CompanyProfile | None = None,
    eligible_only: bool = False,
    exclude_keys: Sequence[str] = (),
    today: dt.date | None = None,
    index: SearchIndex | None = None,
) -> MatchResponse:
    """Ranked, explained, visible results for ``text``. ``region_ids`` keeps items maintained by those regions (and
    national data); ``network_ids`` adds items whose owners belong to those partner networks."""
    value = clean_query(text)
    limit = max(1, min(int(limit), MAX_LIMIT))
    kinds = [k for k in (kinds or []) if k]
    unknown = [k for k in kinds if k not in D.KIND_LABELS]
    if unknown:
        message = f"種類「{unknown[0]}」はありません（{', '.join(D.KIND_LABELS)}）。"
        raise ValidationFailed.from_errors([FieldError("kind", message)])
    index = index or ensure_index()
    mask = _visibility_mask(index, user)
    if region_ids is not None or network_ids is not None:
        scope = index.attr_mask("region", [0, *(region_ids or [])])
        if network_ids:
            scope = scope | index.attr_mask("networks", network_ids)
        mask = scope if mask is None else (mask & scope)
    result = search(
        index, value, kinds=kinds or None, mask=mask, limit=limit * _OVERFETCH + len(exclude_keys)
    )
    hits = [h for h in result.hits if h.key not in set(exclude_keys)]
    hits = _drop_invisible_cases(hits, user)
    objects = _load(hits, user)
    today = today or timezone.localdate()
    items: list[MatchItem] = []
    weights = {
        "bigrams": DEFAULT_TUNING.bigram,
        "kanji": DEFAULT_TUNING.kanji * result.assist,
        "vector": DEFAULT_TUNING.vector * result.assist,
    }
    for hit in hits:
        obj = objects.get(hit.key)
        if obj is None:
            continue  # deleted since the index was built
        verdict = None
        if hit.kind == "program" and profile is not None:
            verdict = evaluate(obj.eligibility, profile, today=today)
            if eligible_only and verdict.status == "not_eligible":
                continue
        doc = D.to_document(hit.kind, obj)
        items.append(
            MatchItem(
                key=hit.key,
                kind=hit.kind,
                object_id=obj.pk,
                title=doc.title,
                subtitle=_subtitle(hit.kind, obj),
                score=hit.score,
                rank=len(items) + 1,
                explanation=explain(result.query, hit, doc.title, doc.text, weights=weights),
                obj=obj,
                verdict=verdict,
                organization_id=doc.attrs.get("org") or None,
            )
        )
        if len(items) >= limit:
            break
    return MatchResponse(value, items, result.semantic, index.meta.get("version", ""), result.coverage)


def _drop_invisible_cases(hits, user):  # noqa: ANN001, ANN202
    case_ids = [int(h.key.split(":")[1]) for h in hits if h.kind == "case"]
    if not case_ids:
        return hits
    from renkei.cases.models import Case  # noqa: PLC0415

    visible = set(Case.objects.visible_to(user).filter(pk__in=case_ids).values_list("pk", flat=True))
    return [h for h in hits if h.kind != "case" or int(h.key.split(":")[1]) in visible]


def _load(hits, user) -> dict[str, Any]:  # noqa: ANN001
    """The hits' objects. Catalog items are read through ``visible_to(user)`` again: the index's attributes decide
    the ranking, the database has the last word on what is shown (an item unpublished since the build drops out)."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for h in hits:
        by_kind[h.kind].append(int(h.key.split(":")[1]))
    out: dict[str, Any] = {}
    for kind, ids in by_kind.items():
        if kind == "case":
            from renkei.cases.models import Case  # noqa: PLC0415

            qs = Case.objects.select_related("lead_organization")
        else:
            qs = _MODELS.get(kind)
            if qs is None:
                continue
            if hasattr(qs, "visible_to"):
                qs = qs.visible_to(user)
        for obj in qs.filter(pk__in=ids):
            out[f"{kind}:{obj.pk}"] = obj
    return out


def _subtitle(kind: str, obj: Any) -> str:
    if kind == "seed":
        who = obj.researcher.name if obj.researcher else ""
        where = obj.institution.name if obj.institution else obj.institution_name
        return " ".join(x for x in (where, who) if x)
    if kind in ("equipment", "test_service", "researcher"):
        org = getattr(obj, "organization", None)
        return org.name if org else getattr(obj, "affiliation", "")
    if kind == "program":
        return obj.provider_name or (obj.organization.name if obj.organization else "")
    if kind == "organization":
        return f"{obj.get_kind_display()}・{obj.region.name}"
    if kind == "case":
        return f"{obj.receipt_number}・{obj.lead_organization.name if obj.lead_organization else ''}"
    return ""
