"""The three baselines ``renkei bench matching`` runs beside our engine, in the same process and on the same data.

* ``substring`` — what a LIKE search over the text gives: the query is cut at spaces and punctuation, and a
  document scores the total length of the pieces it contains (ties in corpus order).
* ``bigram_bm25`` — character bigrams of the NFKC, lower-cased text, split at spaces and punctuation, under BM25
  (k1 1.2, b 0.75): what pg_bigm or Elasticsearch's CJK bigram analyzer gives.
* ``sudachi_bm25`` — Sudachi mode C normalized forms with particles, auxiliaries, symbols and light words removed,
  under BM25: what a Sudachi or kuromoji analyzer with a part-of-speech stop filter gives.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np

from renkei.matching.analysis import analyze, fold
from renkei.matching.bm25 import FieldIndex
from renkei.matching.engine import top_documents
from renkei.matching.similarity import term_cosine

_SPLIT = re.compile(
    r"[\s、。，．・,.:;：；!?！？()（）「」『』【】\[\]{}<>＜＞\"'“”‘’/／|=＝+*＊#＃@＠&＆%％~〜\-]+"
)


def _plain_bigrams(text: str) -> list[str]:
    out: list[str] = []
    for run in _SPLIT.split(unicodedata.normalize("NFKC", text).lower()):
        if len(run) == 1:
            out.append(run)
        elif run:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


class SubstringBaseline:
    name = "substring"

    def __init__(self, texts: Sequence[str]) -> None:
        self.texts = [unicodedata.normalize("NFKC", t).lower() for t in texts]

    def search(self, query: str, limit: int = 10) -> list[int]:
        pieces = [p for p in _SPLIT.split(unicodedata.normalize("NFKC", query).lower()) if p]
        if not pieces:
            return []
        scores = np.zeros(len(self.texts), dtype=np.float32)
        for i, text in enumerate(self.texts):
            scores[i] = sum(len(p) for p in pieces if p in text)
        return top_documents(scores, limit)


class BigramBM25:
    name = "bigram_bm25"

    def __init__(self, texts: Sequence[str]) -> None:
        self.index = FieldIndex.build([_plain_bigrams(t) for t in texts])

    def search(self, query: str, limit: int = 10) -> list[int]:
        scores = np.zeros(self.index.n_docs, dtype=np.float32)
        self.index.add_scores(scores, ((g, 1.0) for g in _plain_bigrams(query)))
        return top_documents(scores, limit)


class SudachiBM25:
    name = "sudachi_bm25"

    def __init__(self, texts: Sequence[str]) -> None:
        self.index = FieldIndex.build([analyze(t).words for t in texts])

    def search(self, query: str, limit: int = 10) -> list[int]:
        scores = np.zeros(self.index.n_docs, dtype=np.float32)
        self.index.add_scores(scores, ((w, 1.0) for w in analyze(fold(query), folded=True).words))
        return top_documents(scores, limit)


BASELINES = (SubstringBaseline, BigramBM25, SudachiBM25)


# -- similarity of two sentences (jsts) ---------------------------------------------------------------------------
def _cosine(a: list[str], b: list[str], idf: dict[str, float] | None = None) -> float:
    """Cosine of two bags of terms, tf × idf (idf 1 for every term when none is given)."""
    return term_cosine(Counter(a), Counter(b), idf or {}, 1.0)


def substring_similarity(a: str, b: str) -> float:
    """Longest common substring over the shorter length (0–1)."""
    a, b = fold(a), fold(b)
    if not a or not b:
        return 0.0
    best = 0
    prev = [0] * (len(b) + 1)
    for ch in a:
        cur = [0] * (len(b) + 1)
        for j, other in enumerate(b, 1):
            if ch == other:
                cur[j] = prev[j - 1] + 1
                best = max(best, cur[j])
        prev = cur
    return best / min(len(a), len(b))


def bigram_similarity(a: str, b: str, idf: dict[str, float] | None = None) -> float:
    return _cosine(_plain_bigrams(a), _plain_bigrams(b), idf)


def sudachi_similarity(a: str, b: str, idf: dict[str, float] | None = None) -> float:
    return _cosine(analyze(a).words, analyze(b).words, idf)
