"""The search index: every document of every kind analyzed into three BM25 fields plus a document vector.

Fields (see ``analysis``): ``words`` (Sudachi normalized forms and the A-mode parts of compounds), ``bigrams``
(character bigrams) and ``kanji`` (the single kanji of content words: 泡 meets 気泡, 擦れる meets 摩擦). The document
vector is the idf-weighted mean of the chiVe vectors of its words, centred on the corpus mean (``vectors``).

``SearchIndex.build`` analyzes in worker processes when there are many documents; ``save``/``load`` write and read
one directory, so a built index can be published as a version (``store``).
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .analysis import bigram_keys, bigram_text, index_terms
from .bm25 import FieldBuilder, FieldIndex
from .vectors import DIM, WordVectors, word_vectors

FORMAT = "renkei-index/1"
FIELDS = ("words", "bigrams", "kanji")
# Below this many documents one process analyzes everything (a pool costs more than it saves).
PARALLEL_MIN_DOCS = 2_000


@dataclass(slots=True)
class IndexDoc:
    key: str  # unique: "seed:12", or a benchmark id
    kind: str  # seed, researcher, equipment, test_service, program, organization … (any string)
    title: str
    text: str
    attrs: dict[str, Any] = field(default_factory=dict)  # filter attributes: region, organization, public …


def kanji_of(words: Iterable[str]) -> list[str]:
    return [ch for w in words for ch in w if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"]


def _shard(batch: Sequence[tuple[str, str]]) -> dict[str, tuple]:
    """Analyze a batch of (title, text) pairs into one shard per field (run in a worker process): the worker keeps
    its own vocabulary, so what travels back is a few arrays and each distinct term once, not every posting.
    Bigrams are counted as integers for the whole batch at once (``analysis.bigram_keys``)."""
    words = FieldBuilder()
    kanji = FieldBuilder()
    gram_keys: list[np.ndarray] = []
    for title, text in batch:
        folded, terms, parts = index_terms(f"{title}\n{text}" if title else text)
        words.add_counts(Counter(terms + parts), len(terms) + len(parts))
        chars = kanji_of(terms)
        kanji.add_counts(Counter(chars), len(chars))
        gram_keys.append(bigram_keys(folded))
    return {"words": words.shard(), "bigrams": _bigram_shard(gram_keys), "kanji": kanji.shard()}


def _bigram_shard(keys: list[np.ndarray]) -> tuple:
    """(vocabulary, term ids, counts, terms per document, lengths) of the bigram field, from integer keys."""
    lengths = np.fromiter((len(k) for k in keys), dtype=np.int64, count=len(keys))
    if not lengths.sum():
        return [], np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(len(keys), np.int64), lengths
    docs = np.repeat(np.arange(len(keys), dtype=np.int64), lengths)
    vocab, term = np.unique(np.concatenate(keys), return_inverse=True)
    pairs, counts = np.unique(docs * len(vocab) + term, return_counts=True)
    doc_of, term_of = np.divmod(pairs, len(vocab))
    sizes = np.bincount(doc_of, minlength=len(keys))
    return (
        [bigram_text(int(k)) for k in vocab],
        term_of.astype(np.int32),
        counts.astype(np.float32),
        sizes,
        lengths,
    )


def iter_shards(pairs: Sequence[tuple[str, str]], workers: int | None = None) -> Iterator[dict[str, tuple]]:
    """Shards of (title, text) pairs in order, analyzed in ``workers`` processes when there are enough pairs."""
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if workers <= 1 or len(pairs) < PARALLEL_MIN_DOCS:
        yield _shard(pairs)
        return
    size = max(200, min(1000, len(pairs) // (workers * 8)))
    batches = (pairs[i : i + size] for i in range(0, len(pairs), size))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_shard, batches)


class SearchIndex:
    def __init__(
        self,
        *,
        keys: list[str],
        kinds: np.ndarray,
        kind_names: list[str],
        titles: list[str],
        attrs: list[dict[str, Any]],
        fields: dict[str, FieldIndex],
        docvecs: np.ndarray | None,
        mean_vector: np.ndarray | None,
        meta: dict[str, Any],
    ) -> None:
        self.keys = keys
        self.kinds = kinds
        self.kind_names = kind_names
        self.titles = titles
        self.attrs = attrs
        self.fields = fields
        self.docvecs = docvecs
        self.mean_vector = mean_vector
        self.meta = meta
        self.position = {k: i for i, k in enumerate(keys)}
        self._masks: dict[Any, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def semantic(self) -> bool:
        return self.docvecs is not None

    # -- building ----------------------------------------------------------------------------------------------
    @classmethod
    def build(
        cls, docs: Sequence[IndexDoc], *, workers: int | None = None, semantic: bool = True, version: str = ""
    ) -> SearchIndex:
        started = time.perf_counter()
        n = len(docs)
        builders = {name: FieldBuilder() for name in FIELDS}
        for shard in iter_shards([(d.title, d.text) for d in docs], workers):
            for name, arrays in shard.items():
                builders[name].add_shard(*arrays)
        fields = {name: builder.finish(n_docs=n) for name, builder in builders.items()}
        vectors = word_vectors() if semantic else None
        docvecs = mean = None
        if vectors is not None:
            docvecs, mean = _document_vectors(builders["words"], fields["words"], vectors)
        del builders
        kind_names = sorted({d.kind for d in docs})
        kind_no = {k: i for i, k in enumerate(kind_names)}
        meta = {
            "format": FORMAT,
            "version": version,
            "documents": n,
            "semantic": docvecs is not None,
            "vectors": getattr(vectors, "source", None),
            "build_seconds": round(time.perf_counter() - started, 3),
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        return cls(
            keys=[d.key for d in docs],
            kinds=np.array([kind_no[d.kind] for d in docs], dtype=np.int16),
            kind_names=kind_names,
            titles=[d.title for d in docs],
            attrs=[d.attrs for d in docs],
            fields=fields,
            docvecs=docvecs,
            mean_vector=mean,
            meta=meta,
        )

    # -- filters -----------------------------------------------------------------------------------------------
    def kind_mask(self, kinds: Iterable[str] | None) -> np.ndarray | None:
        if not kinds:
            return None
        wanted = tuple(sorted(set(kinds)))
        cached = self._masks.get(("kind", wanted))
        if cached is None:
            numbers = [i for i, k in enumerate(self.kind_names) if k in wanted]
            cached = np.isin(self.kinds, np.array(numbers, dtype=np.int16))
            self._masks[("kind", wanted)] = cached
        return cached

    def attr_mask(self, name: str, allowed: Iterable[Any]) -> np.ndarray:
        """Documents whose attribute ``name`` (a value or a list of values) meets ``allowed``; cached per call."""
        wanted = frozenset(allowed)
        key = ("attr", name, wanted)
        cached = self._masks.get(key)
        if cached is None:
            values = [a.get(name) for a in self.attrs]
            cached = np.fromiter(
                (bool(wanted.intersection(v)) if isinstance(v, list) else v in wanted for v in values),
                dtype=bool,
                count=len(values),
            )
            if len(self._masks) > 256:
                self._masks.clear()
            self._masks[key] = cached
        return cached

    # -- persistence -------------------------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name, index in self.fields.items():
            index.save(folder, name)
        arrays: dict[str, np.ndarray] = {"kinds": self.kinds}
        if self.docvecs is not None and self.mean_vector is not None:
            arrays["docvecs"] = self.docvecs
            arrays["mean_vector"] = self.mean_vector
        np.savez(folder / "documents.npz", **arrays)
        docs = {"keys": self.keys, "kind_names": self.kind_names, "titles": self.titles, "attrs": self.attrs}
        (folder / "documents.json").write_text(json.dumps(docs, ensure_ascii=False), encoding="utf-8")
        (folder / "meta.json").write_text(
            json.dumps(self.meta, ensure_ascii=False, indent=1), encoding="utf-8"
        )

    @classmethod
    def load(cls, folder: Path) -> SearchIndex:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT:
            raise ValueError(f"unknown index format {meta.get('format')!r} in {folder}")
        docs = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
        with np.load(folder / "documents.npz") as z:
            arrays = {k: z[k] for k in z.files}
        return cls(
            keys=docs["keys"],
            kinds=arrays["kinds"],
            kind_names=docs["kind_names"],
            titles=docs["titles"],
            attrs=docs["attrs"],
            fields={name: FieldIndex.load(folder, name) for name in FIELDS},
            docvecs=arrays.get("docvecs"),
            mean_vector=arrays.get("mean_vector"),
            meta=meta,
        )


def weighted_vector(terms: Iterable[str], words: FieldIndex, vectors: WordVectors) -> np.ndarray:
    """The idf-weighted mean of the unit vectors of ``terms`` (zeros when none has a vector)."""
    acc = np.zeros(DIM, dtype=np.float32)
    total = 0.0
    for term in terms:
        row = vectors.row(term)
        if row < 0:
            continue
        weight = words.idf_of(term)
        acc += weight * vectors.matrix[row]
        total += weight
    return acc / total if total else acc


def _document_vectors(
    builder: FieldBuilder, words: FieldIndex, vectors: WordVectors
) -> tuple[np.ndarray, np.ndarray]:
    """One unit row per document: the tf·idf-weighted mean of its words' vectors, centred on the corpus mean.
    Each distinct term is hashed once (the slow part); documents are then a gather and a weighted sum each."""
    terms = sorted(builder.vocab, key=builder.vocab.__getitem__)
    rows = np.fromiter((vectors.row(t) for t in terms), dtype=np.int64, count=len(terms))
    n = builder.n_docs
    matrix = np.zeros((n, DIM), dtype=np.float32)
    table = vectors.matrix
    idf = words.idf
    for i in range(n):
        ids, tf = builder.doc_terms(i)
        if not len(ids):
            continue
        r = rows[ids]
        keep = r >= 0
        if not keep.any():
            continue
        w = tf[keep] * idf[ids[keep]]
        matrix[i] = (w @ table[r[keep]]) / w.sum()
    mean = matrix.mean(axis=0) if n else np.zeros(DIM, dtype=np.float32)
    matrix -= mean
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-6)
    return matrix, mean.astype(np.float32)
