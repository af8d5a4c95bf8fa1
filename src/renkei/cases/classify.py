"""The category suggestion: a multinomial naive Bayes over character bigrams of the NFKC text, trained on the
region's examples (seeded ones and every case a person confirmed). A suggestion, never a decision.

Character bigrams need no dictionary and are robust to the absence of spaces in Japanese. The model is cached
per region and retrained when the examples change (their count, last id or labels move).
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, F, Max, Q, Sum

from renkei.core.text import nfkc

from .models import TrainingExample

_MAX_CHARS = 4000
_lock = threading.Lock()
_cache: dict[int | None, tuple[tuple, _Model]] = {}


def features(text: str) -> Counter[str]:
    folded = "".join(ch for ch in nfkc(text).casefold()[:_MAX_CHARS] if not ch.isspace())
    grams: Counter[str] = Counter(folded[i : i + 2] for i in range(len(folded) - 1))
    return grams


@dataclass(frozen=True)
class Suggestion:
    category_id: int
    probability: float


class _Model:
    def __init__(self, examples: list[tuple[int, str]]):
        self.doc_counts: Counter[int] = Counter()
        self.term_counts: dict[int, Counter[str]] = {}
        self.totals: Counter[int] = Counter()
        vocab: set[str] = set()
        for category_id, text in examples:
            grams = features(text)
            self.doc_counts[category_id] += 1
            self.term_counts.setdefault(category_id, Counter()).update(grams)
            self.totals[category_id] += sum(grams.values())
            vocab.update(grams)
        self.vocab_size = max(len(vocab), 1)
        self.n_docs = sum(self.doc_counts.values())

    def predict(self, text: str) -> list[Suggestion]:
        grams = features(text)
        if not self.n_docs or not grams:
            return []
        scores: dict[int, float] = {}
        for category_id, n in self.doc_counts.items():
            counts = self.term_counts[category_id]
            denominator = self.totals[category_id] + self.vocab_size
            score = math.log(n / self.n_docs)
            for gram, k in grams.items():
                score += k * math.log((counts.get(gram, 0) + 1) / denominator)
            scores[category_id] = score
        top = max(scores.values())
        exp = {c: math.exp(s - top) for c, s in scores.items()}
        total = sum(exp.values())
        ranked = sorted(exp.items(), key=lambda kv: -kv[1])
        return [Suggestion(c, v / total) for c, v in ranked]


def _examples(region_id: int | None):
    return TrainingExample.objects.filter(Q(region_id=region_id) | Q(region__isnull=True))


def suggest(region_id: int | None, text: str, *, limit: int = 3) -> list[Suggestion]:
    """The most likely categories for ``text`` with their probabilities (empty when there is nothing to learn from)."""
    # The examples' version: count, last id, and a checksum that moves when an example is relabelled in place.
    version = tuple(
        _examples(region_id)
        .aggregate(n=Count("id"), last=Max("id"), labels=Sum(F("id") * F("category_id")))
        .values()
    )
    with _lock:
        cached = _cache.get(region_id)
    if cached is None or cached[0] != version:
        rows = list(_examples(region_id).values_list("category_id", "text"))
        model = _Model(rows)
        with _lock:
            _cache[region_id] = (version, model)
    else:
        model = cached[1]
    return model.predict(text)[:limit]


def clear_cache() -> None:
    with _lock:
        _cache.clear()
