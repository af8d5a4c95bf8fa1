"""Why a document matched: the query's words found in it, the synonyms, the partial (kanji) and related (vector)
words, and a snippet with the matches marked — computed for the shown results only, from the document's text.

Everything here is read off the same analysis the index used, so the explanation names exactly what scored:
a word listed as matched is a term the document's ``words`` field holds; a synonym is one of the query's Sudachi
expansions; a related word is the document word closest in the chiVe vector space to a query word the document
lacks (shown with the cosine); a partial match shares a kanji with a query word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from .analysis import Analysis, analyze, display_form
from .engine import Hit, ParsedQuery
from .vectors import word_vectors

SNIPPET_CHARS = 140
EXPLAIN_CHARS = 6_000
MAX_RELATED = 3
MIN_RELATED_COSINE = 0.55
_KANJI = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")


@dataclass
class Explanation:
    matched: list[str] = field(default_factory=list)  # query words found (as the document writes them)
    synonyms: list[tuple[str, str]] = field(default_factory=list)  # (query word, document word)
    partial: list[tuple[str, str]] = field(
        default_factory=list
    )  # (query word, document word sharing a kanji)
    related: list[tuple[str, str, float]] = field(default_factory=list)  # (query word, document word, cosine)
    shares: dict[str, float] = field(default_factory=dict)  # share of the score per component (0–1)
    snippet: list[tuple[str, bool]] = field(default_factory=list)  # (text, is_match) pieces

    def summary(self) -> str:
        parts = []
        if self.matched:
            parts.append("一致: " + "・".join(self.matched[:8]))
        if self.synonyms:
            parts.append("同義語: " + "・".join(f"{q}≒{d}" for q, d in self.synonyms[:4]))
        if self.partial:
            parts.append("部分一致: " + "・".join(f"{q}→{d}" for q, d in self.partial[:4]))
        if self.related:
            parts.append("関連語: " + "・".join(f"{q}→{d}" for q, d, _ in self.related))
        return "／".join(parts) if parts else "文字列の部分的な一致"

    def as_dict(self) -> dict:
        return {
            "matched": self.matched,
            "synonyms": [{"query": q, "document": d} for q, d in self.synonyms],
            "partial": [{"query": q, "document": d} for q, d in self.partial],
            "related": [{"query": q, "document": d, "cosine": round(c, 3)} for q, d, c in self.related],
            "shares": {k: round(v, 3) for k, v in self.shares.items()},
            "summary": self.summary(),
            "snippet": "".join(f"【{t}】" if m else t for t, m in self.snippet),
        }


COMPONENT_LABELS = {
    "words": "語の一致",
    "bigrams": "文字の一致",
    "kanji": "漢字の一致",
    "vector": "意味の近さ",
}


def explain(
    query: ParsedQuery, hit: Hit, title: str, text: str, *, weights: dict[str, float] | None = None
) -> Explanation:
    body = f"{title}\n{text}" if title else text
    doc = analyze(
        body[:EXPLAIN_CHARS]
    )  # the shown snippet and reasons come from the first pages of a long text
    out = Explanation()
    query_words = query.word_weights
    whole = {t.norm for t in query.analysis.tokens}
    query_surface = {t.norm: t.surface for t in query.analysis.tokens}
    spans: list[tuple[int, int]] = []
    found: set[str] = set()
    doc_words: dict[str, str] = {}
    partial: list[tuple[str, str]] = []
    for t in doc.tokens:
        doc_words.setdefault(t.norm, t.surface)
        if t.norm in whole:
            spans.append((t.start, t.end))
            if t.norm not in found:
                found.add(t.norm)
                if len(t.surface) > 1 or _KANJI.match(
                    t.surface
                ):  # a lone letter (the d of 3D) explains nothing
                    out.matched.append(t.surface)
        elif t.norm in query_words or any(p in whole for p in t.parts):
            # a part of a query compound (町工場 → 工場), or a query word inside a document compound (泡 → 気泡)
            spans.append((t.start, t.end))
            source = next((q.norm for q in query.analysis.tokens if t.norm in q.parts), None)
            source = source or next((p for p in t.parts if p in whole), t.norm)
            if len(t.norm) > 1:
                partial.append((query_surface.get(source, source), t.surface))
        elif t.norm in query.synonym_weights:
            spans.append((t.start, t.end))
            source = query.synonym_sources.get(t.norm, "")
            pair = (query_surface.get(source, source), t.surface)
            if pair not in out.synonyms:
                out.synonyms.append(pair)
    # Content nouns of the query the document lacks: a document word sharing a kanji (部分一致), or the document word
    # nearest in the vector space (関連語). Verbs (探す, 入れる) are left out: they relate to everything.
    missing = [
        t.norm for t in query.analysis.tokens if t.pos == "名詞" and len(t.norm) > 1 and t.norm not in found
    ]
    missing = list(dict.fromkeys(missing))
    covered = {q for q, _ in partial}
    for w in missing:
        kanji = set(_KANJI.findall(w))
        if not kanji or query_surface.get(w, w) in covered:
            continue
        for norm, surface in doc_words.items():
            if norm != w and len(norm) > 1 and kanji.intersection(norm):
                partial.append((query_surface.get(w, w), surface))
                break
    out.partial = list(dict.fromkeys(partial))[:6]
    vectors = word_vectors()
    if vectors is not None and missing:
        out.related = _related(vectors, missing, doc_words, query_words, query_surface)
    total = sum(hit.parts.get(k, 0.0) * (weights or {}).get(k, 1.0) for k in COMPONENT_LABELS) or 1.0
    out.shares = {
        k: hit.parts.get(k, 0.0) * (weights or {}).get(k, 1.0) / total
        for k in COMPONENT_LABELS
        if k in hit.parts
    }
    shown = display_form(body[:EXPLAIN_CHARS])
    # the snippet shows the text as written (CFRP, not cfrp) when its offsets agree with the folded text's
    out.snippet = _snippet(shown if len(shown) == len(doc.text) else doc.text, spans)
    return out


@lru_cache(maxsize=512)
def _analysis(body: str) -> Analysis:
    """Documents come back across queries (the popular instrument, this year's programs): analyze each once."""
    return analyze(body)


def _related(vectors, missing, doc_words, query_words, query_surface) -> list[tuple[str, str, float]]:  # noqa: ANN001
    """For each missing query noun, the document word nearest in the vector space (one matrix product)."""
    candidates = [(n, s, vectors.row(n)) for n, s in doc_words.items() if n not in query_words and len(n) > 1]
    candidates = [(n, s, r) for n, s, r in candidates if r >= 0]
    asked = [(w, vectors.row(w)) for w in missing]
    asked = [(w, r) for w, r in asked if r >= 0]
    if not candidates or not asked:
        return []
    table = vectors.matrix
    sims = table[[r for _, r in asked]] @ table[[r for _, _, r in candidates]].T
    scored = []
    for i, (w, _) in enumerate(asked):
        j = int(np.argmax(sims[i]))
        if sims[i, j] >= MIN_RELATED_COSINE:
            scored.append((query_surface.get(w, w), candidates[j][1], float(sims[i, j])))
    return sorted(scored, key=lambda x: -x[2])[:MAX_RELATED]


def _snippet(text: str, spans: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    """The window of the text with the most matches, the matches marked."""
    if not text:
        return []
    if not spans:
        return [(text[:SNIPPET_CHARS] + ("…" if len(text) > SNIPPET_CHARS else ""), False)]
    spans = sorted(set(spans))
    best_start, best_count = spans[0][0], 0
    for i, (start, _) in enumerate(spans):
        count = sum(1 for s, _ in spans[i:] if s < start + SNIPPET_CHARS)
        if count > best_count:
            best_start, best_count = start, count
    lo = max(0, best_start - 20)
    hi = min(len(text), lo + SNIPPET_CHARS)
    pieces: list[tuple[str, bool]] = []
    if lo > 0:
        pieces.append(("…", False))
    pos = lo
    for s, e in spans:
        if e <= pos or s >= hi:
            continue
        s = max(s, pos)
        if s > pos:
            pieces.append((text[pos:s], False))
        pieces.append((text[s : min(e, hi)], True))
        pos = min(e, hi)
    if pos < hi:
        pieces.append((text[pos:hi], False))
    if hi < len(text):
        pieces.append(("…", False))
    return pieces
