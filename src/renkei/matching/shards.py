"""Index building in bulk: a batch of documents analyzed into one *shard* per field, in a worker process.

The per-morpheme work in Python is kept to reading Sudachi's word id: what a dictionary word contributes (its
normalized form if it is a content word, the A-mode parts of a compound, the kanji of its form) is worked out once
per process and kept as integer term ids (``Lexicon``). A batch is then counted with numpy: every occurrence's
word id is expanded into its terms, and (document, term) pairs are counted in one ``np.unique`` — the same way
character bigrams are counted as integers (``analysis.bigram_keys``).

A shard holds, per field, (vocabulary, term ids, counts, terms per document, lengths) — what
``FieldBuilder.add_shard`` takes — with only the terms the batch uses, so what travels back to the parent is a few
arrays and each distinct term once.

The result is the same multiset of terms per document as ``analysis.analyze`` (a test holds them together).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from itertools import chain

import numpy as np

from .analysis import (
    _OOV_WORD_ID,
    BIGRAM_KEY_BITS,
    _tokenizer,
    _word,
    bigram_keys_at,
    chunks,
    fold,
    without_long_vowels,
)

# Below this many documents one process analyzes everything (a pool costs more than it saves).
PARALLEL_MIN_DOCS = 2_000
# Documents per batch: enough to amortize numpy's per-call cost, few enough to keep a batch's arrays small.
BATCH_MIN, BATCH_MAX = 200, 1_000
# Out-of-vocabulary words are told apart by their normalized form, under keys above every Sudachi word id.
_OOV_KEY_BASE = 1 << 40
# Term ids of the words and kanji fields fit in 32 bits (a vocabulary of four billion terms is not a concern).
_TERM_BITS = 32


def _is_kanji(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


class _Vocab:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.terms: list[str] = []

    def id(self, term: str) -> int:
        tid = self.ids.get(term)
        if tid is None:
            tid = self.ids[term] = len(self.terms)
            self.terms.append(term)
        return tid


class Lexicon:
    """Word id → the term ids it contributes to the ``words`` and ``kanji`` fields (one per process)."""

    MAX_ROWS = 1_000_000  # bounds memory on endless distinct unknown words; the lexicon starts over past it

    def __init__(self) -> None:
        self.rows: dict[int, int] = {}
        self.oov: dict[tuple[str, int], int] = {}
        self.word_terms: list[tuple[int, ...]] = []
        self.kanji_terms: list[tuple[int, ...]] = []
        self.words = _Vocab()
        self.kanji = _Vocab()
        self._index: tuple[np.ndarray, np.ndarray] | None = None
        self._out = _tokenizer().tokenize("")  # the morpheme list Sudachi writes into (``keys_of``)

    def add(self, key: int, morpheme) -> None:  # noqa: ANN001
        norm, parts = _word(morpheme)
        if norm is None:
            words: tuple[int, ...] = ()
            kanji: tuple[int, ...] = ()
        else:
            words = tuple(self.words.id(t) for t in (norm, *parts))
            kanji = tuple(self.kanji.id(ch) for ch in norm if _is_kanji(ch))
        self.rows[key] = len(self.word_terms)
        self.word_terms.append(words)
        self.kanji_terms.append(kanji)

    def oov_key(self, morpheme) -> int:  # noqa: ANN001
        """A key for an unknown word (Sudachi's id names only its category), added on first sight; the same form
        may come as another part of speech (kept in one place, dropped in another), so both make the key."""
        form = (morpheme.normalized_form(), morpheme.part_of_speech_id())
        key = self.oov.get(form)
        if key is None:
            key = self.oov[form] = _OOV_KEY_BASE + len(self.oov)
            self.add(key, morpheme)
        return key

    def keys_of(self, text: str) -> tuple[str, list[int]]:
        """(folded text, one key per morpheme); words not yet in the lexicon are added on the way.

        Sudachi writes into one reused morpheme list (a fifth faster than a new list per call), so a new word is read
        from it before the next piece is tokenized."""
        value = fold(text)
        keys: list[int] = []
        if not value:
            return value, keys
        tokenizer = _tokenizer()
        rows = self.rows
        for _, piece in chunks(value):
            morphemes = tokenizer.tokenize(piece, out=self._out)
            ids = [m.word_id() for m in morphemes]
            if not ids:
                continue
            if max(ids) >= _OOV_WORD_ID:
                for i, wid in enumerate(ids):
                    if wid >= _OOV_WORD_ID:
                        ids[i] = self.oov_key(morphemes[i])
            missing = set(ids).difference(rows)
            if missing:
                for i, wid in enumerate(ids):
                    if wid in missing:
                        self.add(wid, morphemes[i])
                        missing.discard(wid)
            keys.extend(ids)
        return value, keys

    def rows_of(self, keys: np.ndarray) -> np.ndarray:
        """The lexicon row of every key (every key was added by ``keys_of``), by binary search in a sorted copy of
        the lexicon's keys — one numpy call for a whole batch instead of a dictionary lookup per morpheme."""
        known, rows = self._sorted()
        return rows[np.searchsorted(known, keys)]

    def _sorted(self) -> tuple[np.ndarray, np.ndarray]:
        if self._index is None or len(self._index[0]) != len(self.rows):
            keys = np.fromiter(self.rows.keys(), dtype=np.int64, count=len(self.rows))
            rows = np.fromiter(self.rows.values(), dtype=np.int64, count=len(self.rows))
            order = np.argsort(keys)
            self._index = (keys[order], rows[order])
        return self._index


class _PerThread(threading.local):
    lexicon: Lexicon | None = None


_LOCAL = _PerThread()


def lexicon(*, fresh: bool = False) -> Lexicon:
    """This thread's lexicon (a build in a background thread never shares one with another build)."""
    if _LOCAL.lexicon is None or fresh:
        _LOCAL.lexicon = Lexicon()
    return _LOCAL.lexicon


def count_pairs(
    doc_of: np.ndarray,
    keys: np.ndarray,
    n_docs: int,
    text_of: Callable[[int], str] | None,
    key_bits: int,
    key_space: int | None = None,
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One field of a batch from its occurrences (document number, integer term key below 2**key_bits): the
    shard's vocabulary (``text_of`` each distinct key; with None the sorted keys themselves), term ids, counts,
    distinct terms per document, lengths.
    ``key_space``: every key is below it (a lexicon's term ids), which allows a cheaper ranking.

    Document and key are packed into one integer, so the (document, term) pairs are counted with one plain sort;
    only the distinct pairs are then ranked into the shard's vocabulary."""
    if n_docs >= 1 << (63 - key_bits):
        raise ValueError(f"a batch of {n_docs} documents is too large to pack with {key_bits}-bit keys")
    lengths = np.bincount(doc_of, minlength=n_docs).astype(np.int64)
    if not len(keys):
        empty: list[str] | np.ndarray = [] if text_of is not None else np.zeros(0, np.int64)
        return empty, np.zeros(0, np.int32), np.zeros(0, np.float32), np.zeros(n_docs, np.int64), lengths
    pairs, counts = np.unique((doc_of << key_bits) | keys, return_counts=True)
    docs = pairs >> key_bits
    pair_keys = pairs & ((1 << key_bits) - 1)
    if key_space is not None:  # small integer keys: rank them with a mask instead of a second sort
        used = np.zeros(key_space, dtype=bool)
        used[pair_keys] = True
        vocab = np.flatnonzero(used)
        terms = (np.cumsum(used) - 1)[pair_keys]
    else:
        vocab, terms = np.unique(pair_keys, return_inverse=True)
    return (
        vocab if text_of is None else [text_of(int(k)) for k in vocab],
        terms.astype(np.int32),
        counts.astype(np.float32),
        np.bincount(docs, minlength=n_docs).astype(np.int64),
        lengths,
    )


def _expand(
    rows: np.ndarray, doc_of: np.ndarray, table: list[tuple[int, ...]]
) -> tuple[np.ndarray, np.ndarray]:
    """(document of each term occurrence, term id) for occurrences of lexicon ``rows`` expanded through ``table``."""
    present = np.zeros(len(table), dtype=bool)
    present[rows] = True
    unique = np.flatnonzero(present)
    rank = np.cumsum(present) - 1  # lexicon row → its place among the batch's distinct rows
    inverse = rank[rows]
    entries = [table[r] for r in unique.tolist()]
    sizes = np.fromiter(map(len, entries), dtype=np.int64, count=len(entries))
    flat = np.fromiter(chain.from_iterable(entries), dtype=np.int64, count=int(sizes.sum()))
    starts = np.zeros(len(sizes), dtype=np.int64)
    np.cumsum(sizes[:-1], out=starts[1:])
    occ_sizes = sizes[inverse]
    total = int(occ_sizes.sum())
    if not total:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    # position of each expanded term in ``flat``: its occurrence's start, plus its rank within the occurrence
    occ_ends = np.cumsum(occ_sizes)
    shift = np.repeat(starts[inverse] - (occ_ends - occ_sizes), occ_sizes)
    return np.repeat(doc_of, occ_sizes), flat[shift + np.arange(total, dtype=np.int64)]


def analyze_batch(batch: Sequence[tuple[str, str]]) -> dict[str, tuple]:
    """One shard per field (``words``, ``bigrams``, ``kanji``) of a batch of (title, text) pairs."""
    lex = lexicon()
    if len(lex.rows) > Lexicon.MAX_ROWS:  # bounded memory on endless distinct unknown words: start over
        lex = lexicon(fresh=True)
    n = len(batch)
    keys: list[int] = []
    per_doc = np.zeros(n, dtype=np.int64)
    texts: list[str] = []
    for i, (title, text) in enumerate(batch):
        folded, doc_keys = lex.keys_of(f"{title}\n{text}" if title else text)
        keys.extend(doc_keys)
        per_doc[i] = len(doc_keys)
        texts.append(without_long_vowels(folded))
    occ_doc = np.repeat(np.arange(n, dtype=np.int64), per_doc)
    occ_rows = None
    if keys:
        occ_rows = lex.rows_of(np.array(keys, dtype=np.int64))
    shard: dict[str, tuple] = {}
    for name, table, vocab in (
        ("words", lex.word_terms, lex.words.terms),
        ("kanji", lex.kanji_terms, lex.kanji.terms),
    ):
        if occ_rows is None:
            docs, terms = np.zeros(0, np.int64), np.zeros(0, np.int64)
        else:
            docs, terms = _expand(occ_rows, occ_doc, table)
        shard[name] = count_pairs(docs, terms, n, vocab.__getitem__, _TERM_BITS, len(vocab))
    # Bigrams of the whole batch in one pass: folded text has no line breaks, so joined by one, no bigram crosses
    # from a document into the next; each bigram's position tells its document.
    starts = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.fromiter((len(t) + 1 for t in texts), dtype=np.int64, count=n), out=starts[1:])
    gram_keys, at = bigram_keys_at("\n".join(texts))
    shard["bigrams"] = count_pairs(
        np.searchsorted(starts, at, side="right") - 1, gram_keys, n, None, BIGRAM_KEY_BITS
    )
    return shard


def iter_shards(pairs: Sequence[tuple[str, str]], workers: int | None = None) -> Iterator[dict[str, tuple]]:
    """Shards of (title, text) pairs in order, analyzed in ``workers`` processes when there are enough pairs."""
    workers = workers if workers is not None else min(os.cpu_count() or 1, 4)
    if workers <= 1 or len(pairs) < PARALLEL_MIN_DOCS:
        for start in range(0, max(len(pairs), 1), BATCH_MAX):
            yield analyze_batch(pairs[start : start + BATCH_MAX])
        return
    size = max(BATCH_MIN, min(BATCH_MAX, len(pairs) // (workers * 8)))
    batches = (pairs[i : i + size] for i in range(0, len(pairs), size))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(analyze_batch, batches)
