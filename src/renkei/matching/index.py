"""The search index: every document of every kind analyzed into three BM25 fields plus a document vector.

Fields (see ``analysis``): ``words`` (Sudachi normalized forms and the A-mode parts of compounds), ``bigrams``
(character bigrams) and ``kanji`` (the single kanji of content words: 泡 meets 気泡, 擦れる meets 摩擦). The document
vector is the idf-weighted mean of the chiVe vectors of its words, centred on the corpus mean (``vectors``).

``SearchIndex.build`` analyzes in worker processes when there are many documents; ``save``/``load`` write and read
one directory, so a built index can be published as a version (``store``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .analysis import bigram_text
from .bm25 import FieldBuilder, FieldIndex, KeyedFieldBuilder
from .shards import iter_shards
from .vectors import DIM, WordVectors, word_vectors

FORMAT = "renkei-index/1"
FIELDS = ("words", "bigrams", "kanji")


@dataclass(slots=True)
class IndexDoc:
    key: str  # unique: "seed:12", or a benchmark id
    kind: str  # seed, researcher, equipment, test_service, program, organization … (any string)
    title: str
    text: str
    attrs: dict[str, Any] = field(default_factory=dict)  # filter attributes: region, organization, public …


def kanji_of(words: Iterable[str]) -> list[str]:
    return [ch for w in words for ch in w if "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"]


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
        builders["bigrams"] = KeyedFieldBuilder(bigram_text)  # bigram shards come as integer keys
        with ThreadPoolExecutor(max_workers=1) as loader:  # the vectors load while the workers analyze
            loading = loader.submit(word_vectors) if semantic else None
            for shard in iter_shards([(d.title, d.text) for d in docs], workers):
                for name, arrays in shard.items():
                    builders[name].add_shard(*arrays)
            vectors = loading.result() if loading is not None else None
        docvecs = mean = None
        # The fields are finished side by side (numpy sorts and gathers release the GIL); the words field first,
        # in this thread, because the document vectors need its idf.
        with ThreadPoolExecutor(max_workers=2) as pool:
            pending = {
                name: pool.submit(builders[name].finish, n_docs=n) for name in FIELDS if name != "words"
            }
            fields = {"words": builders["words"].finish(n_docs=n)}
            if vectors is not None:
                docvecs, mean = _document_vectors(builders["words"], fields["words"], vectors)
            fields.update((name, future.result()) for name, future in pending.items())
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
    Each distinct term is hashed once (the slow part); the weights of every posting are computed in one pass, so a
    document is then one gather and one matrix-vector product."""
    terms = sorted(builder.vocab, key=builder.vocab.__getitem__)
    rows = np.fromiter((vectors.row(t) for t in terms), dtype=np.int64, count=len(terms))
    ids, tf, sizes, offsets, _ = builder.flat()
    n = len(sizes)
    matrix = np.zeros((n, DIM), dtype=np.float32)
    if n and len(ids):
        posting_rows = rows[ids]
        weights = np.where(posting_rows >= 0, tf * words.idf[ids], 0.0).astype(np.float32)
        posting_rows = np.maximum(posting_rows, 0)
        totals = np.zeros(n, dtype=np.float64)
        present = sizes > 0
        totals[present] = np.add.reduceat(weights, offsets[:-1][present])
        table = vectors.matrix
        bounds = offsets.tolist()
        for i in np.flatnonzero(totals > 0).tolist():
            a, b = bounds[i], bounds[i + 1]
            matrix[i] = weights[a:b] @ table[posting_rows[a:b]]
        matrix /= np.maximum(totals, 1e-12)[:, None].astype(np.float32)
    mean = matrix.mean(axis=0) if n else np.zeros(DIM, dtype=np.float32)
    matrix -= mean
    matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-6)
    return matrix, mean.astype(np.float32)
