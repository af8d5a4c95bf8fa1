"""Word vectors for the semantic component, read offline from the chiVe table that GiNZA's ``ja-ginza`` wheel ships.

The wheel (PyPI, MIT; its vectors are Works Applications' chiVe, Apache-2.0) holds a spaCy vector table: 20,000
rows × 300 dimensions for 480,443 keys — words are hashed with MurmurHash64A (seed 1) of their UTF-8, and rare words
share the row of their nearest frequent word. We read three files of it with numpy and msgpack and never import
spaCy or GiNZA (their pins would fight ours). The keys are Sudachi normalized forms, the same forms our analysis
produces, so a term of the index finds its vector directly.

The package is installed with ``pip install --no-deps ja-ginza==5.2.0`` (the Makefile does it). Without it the engine
runs lexical-only and says so (``renkei match --json`` and the bench report ``"semantic": false``).
"""

from __future__ import annotations

import importlib.util
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

DIM = 300
_M = 0xC6A4A7935BD1E995
_MASK = (1 << 64) - 1


def murmur64a(data: bytes, seed: int = 1) -> int:
    """MurmurHash64A, the hash spaCy uses for its string store (``hash_string``)."""
    n = len(data)
    h = (seed ^ ((n * _M) & _MASK)) & _MASK
    blocks = n // 8
    for i in range(blocks):
        k = int.from_bytes(data[8 * i : 8 * i + 8], "little")
        k = (k * _M) & _MASK
        k ^= k >> 47
        k = (k * _M) & _MASK
        h ^= k
        h = (h * _M) & _MASK
    if n & 7:
        h ^= int.from_bytes(data[blocks * 8 :], "little")
        h = (h * _M) & _MASK
    h ^= h >> 47
    h = (h * _M) & _MASK
    h ^= h >> 47
    return h


def _vocab_dir() -> Path | None:
    spec = importlib.util.find_spec("ja_ginza")
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        for candidate in sorted(Path(base).glob("ja_ginza-*/vocab")):
            if (candidate / "vectors").exists() and (candidate / "key2row").exists():
                return candidate
    return None


class WordVectors:
    """Unit-length word vectors by Sudachi normalized form (case-insensitive for Latin words)."""

    def __init__(self, matrix: np.ndarray, keys: np.ndarray, rows: np.ndarray, source: str) -> None:
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        self.matrix = (matrix / np.maximum(norms, 1e-6)).astype(np.float32)
        self._keys = keys
        self._rows = rows
        self.source = source
        self._cache: dict[str, int] = {}
        self._lock = threading.Lock()

    def row(self, term: str) -> int:
        """The row of ``term`` or -1; Latin words are also tried upper-cased and capitalized (ai → AI)."""
        hit = self._cache.get(term)
        if hit is not None:
            return hit
        found = self._lookup(term)
        if found < 0 and term.isascii() and term.isalpha():
            for variant in (term.upper(), term.capitalize()):
                found = self._lookup(variant)
                if found >= 0:
                    break
        with self._lock:
            if len(self._cache) > 500_000:
                self._cache.clear()
            self._cache[term] = found
        return found

    def _lookup(self, term: str) -> int:
        key = murmur64a(term.encode("utf-8"))
        i = int(np.searchsorted(self._keys, np.uint64(key)))
        if i < len(self._keys) and int(self._keys[i]) == key:
            return int(self._rows[i])
        return -1


@lru_cache(maxsize=1)
def word_vectors() -> WordVectors | None:
    """The installed table, or None when ``ja-ginza`` is not installed (lexical-only mode)."""
    folder = _vocab_dir()
    if folder is None:
        return None
    import msgpack  # noqa: PLC0415 — only needed when the table exists

    matrix = np.load(folder / "vectors", allow_pickle=False)
    table = msgpack.unpackb((folder / "key2row").read_bytes(), strict_map_key=False)
    keys = np.fromiter(table.keys(), dtype=np.uint64, count=len(table))
    rows = np.fromiter(table.values(), dtype=np.int32, count=len(table))
    order = np.argsort(keys)
    return WordVectors(matrix, keys[order], rows[order], source=str(folder))
