"""An inverted index with BM25 impacts computed at build time (numpy arrays, no per-query Python loop over docs).

For each term the postings hold the document numbers and the term's BM25 contribution in that document
(idf × saturated, length-normalized tf), so a query is a few vectorized slice additions into one score array.
The arrays are saved with numpy (``save``/``load``) so every web worker answers from the same index version.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np


class FieldIndex:
    """One analyzed field (words, parts, bigrams …) of every document."""

    def __init__(
        self,
        vocab: dict[str, int],
        ptr: np.ndarray,
        docs: np.ndarray,
        impacts: np.ndarray,
        n_docs: int,
        idf: np.ndarray,
    ) -> None:
        self.vocab = vocab
        self.ptr = ptr
        self.docs = docs
        self.impacts = impacts
        self.n_docs = n_docs
        self.idf = idf

    @classmethod
    def build(
        cls,
        documents: Iterable[Sequence[str]],
        *,
        k1: float = 1.2,
        b: float = 0.75,
        n_docs: int | None = None,
    ) -> FieldIndex:
        builder = FieldBuilder()
        for terms in documents:
            builder.add(terms)
        return builder.finish(k1=k1, b=b, n_docs=n_docs)

    def add_scores(self, scores: np.ndarray, weighted_terms: Iterable[tuple[str, float]]) -> None:
        """Add each term's impacts × its weight into ``scores`` (one slot per document).

        A repeated term adds its weights up; the postings of all terms are then summed in one ``bincount`` pass
        (one scatter over the collection instead of one per term)."""
        weights: dict[int, float] = {}
        for term, weight in weighted_terms:
            tid = self.vocab.get(term)
            if tid is not None:
                weights[tid] = weights.get(tid, 0.0) + weight
        if not weights:
            return
        if len(weights) == 1:
            ((tid, weight),) = weights.items()
            lo, hi = self.ptr[tid], self.ptr[tid + 1]
            scores[self.docs[lo:hi]] += weight * self.impacts[lo:hi]
            return
        slices = [(self.ptr[t], self.ptr[t + 1], w) for t, w in weights.items()]
        docs = np.concatenate([self.docs[lo:hi] for lo, hi, _ in slices])
        values = np.concatenate([w * self.impacts[lo:hi] for lo, hi, w in slices])
        scores += np.bincount(docs, weights=values, minlength=len(scores)).astype(np.float32, copy=False)

    def postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        tid = self.vocab.get(term)
        if tid is None:
            return np.zeros(0, np.int32), np.zeros(0, np.float32)
        lo, hi = self.ptr[tid], self.ptr[tid + 1]
        return self.docs[lo:hi], self.impacts[lo:hi]

    def df(self, term: str) -> int:
        tid = self.vocab.get(term)
        return 0 if tid is None else int(self.ptr[tid + 1] - self.ptr[tid])

    def idf_of(self, term: str) -> float:
        tid = self.vocab.get(term)
        if tid is None:
            return math.log1p((self.n_docs + 0.5) / 0.5)
        return float(self.idf[tid])

    # -- persistence -------------------------------------------------------------------------------------------
    def save(self, path: Path, name: str) -> None:
        terms = sorted(self.vocab, key=self.vocab.__getitem__)
        np.savez(
            path / f"{name}.npz",
            ptr=self.ptr,
            docs=self.docs,
            impacts=self.impacts,
            idf=self.idf,
            n_docs=np.array([self.n_docs]),
        )
        (path / f"{name}.vocab").write_text("\n".join(terms), encoding="utf-8")

    @classmethod
    def load(cls, path: Path, name: str) -> FieldIndex:
        with np.load(path / f"{name}.npz") as z:
            arrays = {k: z[k] for k in z.files}
        text = (path / f"{name}.vocab").read_text(encoding="utf-8")
        terms = text.split("\n") if text else []
        vocab = {t: i for i, t in enumerate(terms)}
        return cls(
            vocab, arrays["ptr"], arrays["docs"], arrays["impacts"], int(arrays["n_docs"][0]), arrays["idf"]
        )


class FieldBuilder:
    """Collects one field as compact arrays (term ids and counts per document), so a large corpus never holds its
    analyzed text in memory at once; ``finish`` computes the BM25 impacts.

    Documents come one at a time (``add``/``add_counts``) or as a *shard* analyzed elsewhere (``add_shard``: a worker
    process's own vocabulary and arrays, remapped here with one dictionary lookup per distinct term of the shard)."""

    def __init__(self) -> None:
        self.vocab: dict[str, int] = {}
        self._ids: list[np.ndarray] = []
        self._tfs: list[np.ndarray] = []
        self._sizes: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []
        self._flat: tuple[np.ndarray, ...] | None = None

    def add(self, terms: Sequence[str]) -> None:
        self.add_counts(Counter(terms), len(terms))

    def add_counts(self, counts: Counter, length: int) -> None:
        """One document given as term → count (and its length in terms)."""
        vocab = self.vocab
        self._ids.append(
            np.fromiter((vocab.setdefault(t, len(vocab)) for t in counts), np.int32, len(counts))
        )
        self._tfs.append(np.fromiter(counts.values(), np.float32, len(counts)))
        self._sizes.append(np.array([len(counts)], dtype=np.int64))
        self._lengths.append(np.array([length], dtype=np.float32))
        self._flat = None

    def shard(self) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """This builder's documents as (vocabulary in id order, term ids, counts, terms per document, lengths)."""
        ids, tfs, sizes, _, lengths = self._flatten()
        return sorted(self.vocab, key=self.vocab.__getitem__), ids, tfs, sizes, lengths

    def add_shard(
        self, terms: list[str], ids: np.ndarray, tfs: np.ndarray, sizes: np.ndarray, lengths: np.ndarray
    ) -> None:
        """Documents built by another builder (``shard()``), appended in order."""
        vocab = self.vocab
        remap = np.fromiter((vocab.setdefault(t, len(vocab)) for t in terms), np.int32, len(terms))
        self._append(remap, ids, tfs, sizes, lengths)

    def _append(
        self, remap: np.ndarray, ids: np.ndarray, tfs: np.ndarray, sizes: np.ndarray, lengths: np.ndarray
    ) -> None:
        """A shard's documents, its term ids turned into this builder's by ``remap``."""
        self._ids.append(remap[ids] if len(ids) else np.zeros(0, np.int32))
        self._tfs.append(tfs.astype(np.float32, copy=False))
        self._sizes.append(sizes.astype(np.int64, copy=False))
        self._lengths.append(lengths.astype(np.float32, copy=False))
        self._flat = None

    def _flatten(self) -> tuple[np.ndarray, ...]:
        if self._flat is None:

            def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
                return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)

            sizes = cat(self._sizes, np.int64)
            offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
            np.cumsum(sizes, out=offsets[1:])
            self._flat = (
                cat(self._ids, np.int32),
                cat(self._tfs, np.float32),
                sizes,
                offsets,
                cat(self._lengths, np.float32),
            )
            self._ids, self._tfs = [self._flat[0]], [self._flat[1]]
            self._sizes, self._lengths = [self._flat[2]], [self._flat[4]]
        return self._flat

    def flat(self) -> tuple[np.ndarray, ...]:
        """(term ids, counts, terms per document, document offsets, lengths) of every added document."""
        return self._flatten()

    @property
    def n_docs(self) -> int:
        return len(self._flatten()[2])

    def doc_terms(self, doc: int) -> tuple[np.ndarray, np.ndarray]:
        """(term ids, counts) of one added document."""
        ids, tfs, _, offsets, _ = self._flatten()
        return ids[offsets[doc] : offsets[doc + 1]], tfs[offsets[doc] : offsets[doc + 1]]

    def finish(self, *, k1: float = 1.2, b: float = 0.75, n_docs: int | None = None) -> FieldIndex:
        ids, tf, sizes, _, dl = self._flatten()
        total = n_docs if n_docs is not None else len(sizes)
        if total > len(dl):
            dl = np.concatenate([dl, np.zeros(total - len(dl), np.float32)])
        vocab = self.vocab
        if not vocab:
            empty = np.zeros(0, np.float32)
            return FieldIndex({}, np.zeros(1, dtype=np.int64), np.zeros(0, np.int32), empty, total, empty)
        df_int = np.bincount(ids, minlength=len(vocab))
        ptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        np.cumsum(df_int, out=ptr[1:])
        d, tf = _term_major(ids, tf, sizes, ptr)
        df = df_int.astype(np.float32)
        avgdl = float(dl.mean()) if len(dl) and dl.mean() > 0 else 1.0
        idf = np.log1p((total - df + 0.5) / (df + 0.5)).astype(np.float32)
        doc_norm = (k1 * (1.0 - b + b * dl / avgdl)).astype(np.float32)  # per document, gathered per posting
        impacts = tf * np.float32(k1 + 1.0)
        impacts /= tf + doc_norm[d]
        impacts *= np.repeat(
            idf, df_int
        )  # postings are term-major: each term's idf repeated over its postings
        return FieldIndex(dict(vocab), ptr, d, impacts, total, idf)


class KeyedFieldBuilder(FieldBuilder):
    """A ``FieldBuilder`` whose shards name their terms by integer keys (sorted, unique per shard) instead of strings:
    merging a shard is a binary search in the keys seen so far, not a dictionary lookup per term; the strings are
    made once, for the final vocabulary, by ``decode``."""

    def __init__(self, decode: Callable[[int], str]) -> None:
        super().__init__()
        self._decode = decode
        self._sorted_keys = np.zeros(0, dtype=np.int64)  # every key seen, ascending
        self._sorted_ids = np.zeros(0, dtype=np.int32)  # their term ids
        self._keys_by_id: list[np.ndarray] = []

    def add_shard(  # type: ignore[override]
        self, keys: np.ndarray, ids: np.ndarray, tfs: np.ndarray, sizes: np.ndarray, lengths: np.ndarray
    ) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        known = self._sorted_keys
        pos = np.searchsorted(known, keys)
        hit = np.zeros(len(keys), dtype=bool)
        inside = pos < len(known)
        hit[inside] = known[pos[inside]] == keys[inside]
        remap = np.empty(len(keys), dtype=np.int32)
        remap[hit] = self._sorted_ids[pos[hit]]
        new = keys[~hit]
        if len(new):
            start = sum(len(k) for k in self._keys_by_id)
            new_ids = np.arange(start, start + len(new), dtype=np.int32)
            remap[~hit] = new_ids
            self._keys_by_id.append(new)
            merged = np.concatenate((known, new))
            order = np.argsort(merged, kind="stable")
            self._sorted_keys = merged[order]
            self._sorted_ids = np.concatenate((self._sorted_ids, new_ids))[order]
        self._append(remap, ids, tfs, sizes, lengths)

    def finish(self, **kwargs) -> FieldIndex:  # type: ignore[no-untyped-def]
        keys = np.concatenate(self._keys_by_id) if self._keys_by_id else np.zeros(0, np.int64)
        self.vocab = {self._decode(int(k)): i for i, k in enumerate(keys.tolist())}
        return super().finish(**kwargs)


def _term_major(
    ids: np.ndarray, tf: np.ndarray, sizes: np.ndarray, ptr: np.ndarray, chunk: int = 1 << 18
) -> tuple[np.ndarray, np.ndarray]:
    """(documents, counts) of doc-major postings rearranged term-major (``ptr``: where each term's postings
    start), documents ascending within a term.

    A counting sort in pieces: each piece of about ``chunk`` postings (cut at document boundaries) is sorted by term
    on its own — small sorts that stay in cache — and scattered to its terms' next free places. Pieces come in
    document order, so every term's documents stay in order."""
    n_docs = len(sizes)
    docs_of = np.repeat(np.arange(n_docs, dtype=np.int32), sizes)
    out_docs = np.empty(len(ids), dtype=np.int32)
    out_tf = np.empty(len(ids), dtype=np.float32)
    cursor = ptr[:-1].copy()
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    cuts = np.unique(np.searchsorted(offsets, np.arange(0, len(ids), chunk), side="right") - 1)
    bounds = [*offsets[cuts].tolist(), len(ids)]
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if a == b:
            continue
        order = np.argsort(ids[a:b], kind="stable")
        terms = ids[a:b][order]
        run_starts = np.flatnonzero(np.concatenate(([True], terms[1:] != terms[:-1])))
        run_sizes = np.diff(np.append(run_starts, len(terms)))
        run_terms = terms[run_starts]
        rank = np.arange(len(terms), dtype=np.int64) - np.repeat(run_starts, run_sizes)
        dest = np.repeat(cursor[run_terms], run_sizes) + rank
        out_docs[dest] = docs_of[a:b][order]
        out_tf[dest] = tf[a:b][order]
        cursor[run_terms] += run_sizes
    return out_docs, out_tf
