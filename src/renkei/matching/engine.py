"""Ranking: one query against every document of the index, fused from lexical fields and the semantic component.

score = words + w_bigram·bigrams + s·(w_kanji·kanji + w_vector·cosine)

* ``words``, ``bigrams`` and ``kanji`` are BM25 scores, each divided by its best score for this query, so the fields
  speak on one scale whatever the query's length.
* Query words in sentences that only introduce the company (「…のメーカーです」「所在地：…」) weigh half: the need is
  in the other sentences. Sudachi synonyms of a query word are added to ``words`` at 0.15 of its weight.
* ``s`` is how much this query needs help beyond its own words: 2·(1 − coverage)^1.5, where coverage is the share of the
  query's idf that the best lexical document contains. A query in the documents' own terms (a program's title, a
  research keyword) is answered lexically; a need in everyday words leans on the kanji and vector components.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from .analysis import Analysis, analyze, bigrams, fold
from .index import SearchIndex, kanji_of, weighted_vector
from .synonyms import synonyms
from .vectors import word_vectors

MAX_QUERY_CHARS = 10_000
VECTOR_CANDIDATES = 3_000

# Sentences that introduce the company rather than state the need.
_PROFILE = re.compile(
    r"(メーカー|会社|企業|工場|経営|運営|営ん|しています|しております|です。|業種|所在地|事業:|社員|従業員|創業|"
    r"株式会社|有限会社|\(株\)|\(有\))"
)
_SENTENCE = re.compile(r"[^。\n!?]*[。\n!?]?")


@dataclass(frozen=True)
class Tuning:
    bigram: float = 0.5
    kanji: float = 0.4
    vector: float = 0.5
    synonym: float = 0.15
    profile: float = 0.5
    assist_max: float = 2.0
    assist_power: float = 1.5


DEFAULT_TUNING = Tuning()


@dataclass
class ParsedQuery:
    text: str
    analysis: Analysis
    word_weights: dict[str, float]
    synonym_weights: dict[str, float]
    synonym_sources: dict[str, str]
    bigram_terms: list[str]
    kanji_terms: list[str]

    @property
    def empty(self) -> bool:
        return not self.word_weights and not self.bigram_terms


@dataclass
class Hit:
    doc: int
    key: str
    kind: str
    title: str
    score: float
    parts: dict[str, float] = field(default_factory=dict)


@dataclass
class SearchResult:
    query: ParsedQuery
    hits: list[Hit]
    coverage: float
    assist: float
    semantic: bool


def _profile_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for m in _SENTENCE.finditer(text):
        if m.group(0).strip() and _PROFILE.search(m.group(0)):
            spans.append((m.start(), m.end()))
    return spans


def parse_query(text: str | None, tuning: Tuning = DEFAULT_TUNING) -> ParsedQuery:
    folded = fold((text or "")[:MAX_QUERY_CHARS])
    a = analyze(folded, folded=True)
    spans = _profile_spans(folded) if len(a.tokens) > 3 else []
    weights: dict[str, float] = {}
    for t in a.tokens:
        w = tuning.profile if any(lo <= t.start < hi for lo, hi in spans) else 1.0
        for term in (t.norm, *[p for p in t.parts]):
            weights[term] = weights.get(term, 0.0) + w
    syn_weights: dict[str, float] = {}
    syn_sources: dict[str, str] = {}
    table = synonyms()
    for t in {tok.norm for tok in a.tokens}:
        for e in table.expand(t):
            words = e.term.split(" ")
            for w in words:
                if w in weights:
                    continue
                syn_weights[w] = max(
                    syn_weights.get(w, 0.0), tuning.synonym * weights.get(t, 1.0) / len(words)
                )
                syn_sources.setdefault(w, t)
    return ParsedQuery(
        text=folded,
        analysis=a,
        word_weights=weights,
        synonym_weights=syn_weights,
        synonym_sources=syn_sources,
        bigram_terms=bigrams(folded),
        kanji_terms=kanji_of(a.words),
    )


def _normalized(scores: np.ndarray) -> np.ndarray:
    top = float(scores.max()) if len(scores) else 0.0
    if top > 0:
        scores /= top
    return scores


def _coverage(index: SearchIndex, query: ParsedQuery, doc: int) -> float:
    words = index.fields["words"]
    mass = hit = 0.0
    for term in query.word_weights:
        idf = words.idf_of(term)
        mass += idf
        docs, _ = words.postings(term)
        if len(docs):
            i = int(np.searchsorted(docs, doc))
            if i < len(docs) and docs[i] == doc:
                hit += idf
    return hit / mass if mass else 1.0


def score_all(
    index: SearchIndex, query: ParsedQuery, tuning: Tuning = DEFAULT_TUNING, mask: np.ndarray | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray], float, float]:
    """Fused scores for every document (0 outside ``mask``), the per-component arrays, coverage and assist."""
    n = len(index)
    words = np.zeros(n, dtype=np.float32)
    index.fields["words"].add_scores(words, query.word_weights.items())
    index.fields["words"].add_scores(words, query.synonym_weights.items())
    grams = np.zeros(n, dtype=np.float32)
    index.fields["bigrams"].add_scores(grams, ((g, 1.0) for g in query.bigram_terms))
    if mask is not None:
        words *= mask
        grams *= mask
    coverage = _coverage(index, query, int(np.argmax(words))) if words.any() else 0.0
    assist = tuning.assist_max * (1.0 - coverage) ** tuning.assist_power
    _normalized(words)
    _normalized(grams)
    total = words + tuning.bigram * grams
    parts = {"words": words, "bigrams": grams}
    if assist > 0:
        kanji = np.zeros(n, dtype=np.float32)
        index.fields["kanji"].add_scores(kanji, ((k, 1.0) for k in query.kanji_terms))
        if mask is not None:
            kanji *= mask
        _normalized(kanji)
        total += assist * tuning.kanji * kanji
        parts["kanji"] = kanji
        vectors = word_vectors() if index.semantic else None
        if vectors is not None and index.docvecs is not None and index.mean_vector is not None:
            qv = weighted_vector(query.analysis.words, index.fields["words"], vectors)
            if qv.any():
                qv = qv - index.mean_vector
                qv /= max(float(np.linalg.norm(qv)), 1e-6)
                if n > VECTOR_CANDIDATES:
                    # The cosine re-ranks the best lexical candidates; a document with no lexical tie to the query
                    # at all is not worth a 300-dimension product over the whole collection.
                    pool = np.argpartition(-total, VECTOR_CANDIDATES)[:VECTOR_CANDIDATES]
                    cosine = np.zeros(n, dtype=np.float32)
                    cosine[pool] = index.docvecs[pool] @ qv
                else:
                    cosine = index.docvecs @ qv
                if mask is not None:
                    cosine *= mask
                np.maximum(cosine, 0.0, out=cosine)
                total += assist * tuning.vector * cosine
                parts["vector"] = cosine
    if mask is not None:
        total *= mask
    return total, parts, coverage, assist


def top_documents(scores: np.ndarray, limit: int) -> list[int]:
    candidates = np.flatnonzero(scores > 0)
    if len(candidates) == 0:
        return []
    if len(candidates) > limit:
        candidates = candidates[np.argpartition(-scores[candidates], limit)[:limit]]
    order = np.lexsort((candidates, -scores[candidates]))  # score, then document order: stable ties
    return candidates[order].tolist()


def search(
    index: SearchIndex,
    text: str | None,
    *,
    kinds: Iterable[str] | None = None,
    mask: np.ndarray | None = None,
    limit: int = 10,
    tuning: Tuning = DEFAULT_TUNING,
) -> SearchResult:
    query = parse_query(text, tuning)
    semantic = index.semantic and word_vectors() is not None
    if query.empty or len(index) == 0:
        return SearchResult(query, [], 0.0, 0.0, semantic)
    kind_mask = index.kind_mask(kinds)
    if kind_mask is not None:
        mask = kind_mask if mask is None else (mask & kind_mask)
    scores, parts, coverage, assist = score_all(index, query, tuning, mask)
    hits = [
        Hit(
            doc=d,
            key=index.keys[d],
            kind=index.kind_names[int(index.kinds[d])],
            title=index.titles[d],
            score=float(scores[d]),
            parts={name: float(arr[d]) for name, arr in parts.items()},
        )
        for d in top_documents(scores, limit)
    ]
    return SearchResult(query, hits, coverage, assist, semantic)
