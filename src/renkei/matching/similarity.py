"""How alike two texts are (0–1): the similarity the engine uses to compare a need with a need, or a seed with a seed.

A weighted sum of three cosines: tf-idf over Sudachi words (with A-mode parts), tf-idf over character bigrams, and
the cosine of the idf-weighted chiVe sentence vectors (when the vector table is installed). The idf comes from the
collection the texts belong to (``fit``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .analysis import analyze, bigrams
from .vectors import DIM, word_vectors

W_WORDS, W_BIGRAMS, W_VECTOR = 0.45, 0.2, 0.35


def term_cosine(a: Counter, b: Counter, idf: dict[str, float], default: float) -> float:
    if not a or not b:
        return 0.0
    dot = sum(a[t] * b[t] * idf.get(t, default) ** 2 for t in a.keys() & b.keys())
    na = math.sqrt(sum((v * idf.get(t, default)) ** 2 for t, v in a.items()))
    nb = math.sqrt(sum((v * idf.get(t, default)) ** 2 for t, v in b.items()))
    return dot / (na * nb) if na and nb else 0.0


@dataclass
class SimilarityModel:
    word_idf: dict[str, float]
    bigram_idf: dict[str, float]
    default_idf: float

    @classmethod
    def fit(cls, texts: Iterable[str]) -> SimilarityModel:
        words_df: Counter = Counter()
        grams_df: Counter = Counter()
        n = 0
        for text in texts:
            a = analyze(text)
            words_df.update(set(a.words + a.parts))
            grams_df.update(set(bigrams(a.text)))
            n += 1
        n = max(n, 1)

        def idf(df: Counter) -> dict[str, float]:
            return {t: math.log1p((n - c + 0.5) / (c + 0.5)) for t, c in df.items()}

        return cls(idf(words_df), idf(grams_df), math.log1p((n + 0.5) / 0.5))

    def _vector(self, words: list[str]) -> np.ndarray | None:
        vectors = word_vectors()
        if vectors is None:
            return None
        acc = np.zeros(DIM, dtype=np.float32)
        for w in words:
            row = vectors.row(w)
            if row >= 0:
                acc += self.word_idf.get(w, self.default_idf) * vectors.matrix[row]
        norm = float(np.linalg.norm(acc))
        return acc / norm if norm else None

    def similarity(self, a: str, b: str) -> float:
        aa, ab = analyze(a), analyze(b)
        words = term_cosine(
            Counter(aa.words + aa.parts), Counter(ab.words + ab.parts), self.word_idf, self.default_idf
        )
        grams = term_cosine(
            Counter(bigrams(aa.text)), Counter(bigrams(ab.text)), self.bigram_idf, self.default_idf
        )
        va, vb = self._vector(aa.words), self._vector(ab.words)
        if va is None or vb is None:
            return (W_WORDS * words + W_BIGRAMS * grams) / (W_WORDS + W_BIGRAMS)
        return W_WORDS * words + W_BIGRAMS * grams + W_VECTOR * max(0.0, float(va @ vb))
