"""Text analysis for matching: one function turns Japanese text into the terms the index stores and a query asks.

Steps (the same for documents and queries, so they meet):
1. NFKC and case folding — ＩｏＴ, ｉｏｔ and IoT are one term; half-width katakana becomes full-width.
2. Sudachi (core dictionary, mode C) with its *normalized form*: センサ/センサー, モータ/モーター and 成形/成型 meet.
   Sudachi refuses input over about 49 KB, so long text is cut at sentence ends into chunks well under that.
3. Part-of-speech filtering: content words only (nouns, verbs, adjectives, adjectival nouns, counters and prefixes
   that carry meaning); particles, auxiliaries, symbols and a short list of light words are dropped.
4. The A-mode parts of a compound (人工知能 → 人工, 知能) are kept as a separate field, so a document that writes
   the parts apart still meets the compound.
5. Character bigrams of the folded text (with the long-vowel mark removed, so センサ and センサー agree) — the net
   for words Sudachi does not know.
Synonym expansion (Sudachi's synonym dictionary) is applied to queries only; see ``synonyms.py``.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from sudachipy import Config, Dictionary, SplitMode

# Sudachi's limit is 49,149 bytes of UTF-8 per call; stay well under it.
MAX_CHUNK_BYTES = 32_000
# Longer input is cut (a need, a seed summary or a program body is far shorter; this bounds the cost of a paste).
MAX_TEXT_CHARS = 200_000

_SENTENCE_END = re.compile(r"(?<=[。．！？!?\n])")
_SPACES = re.compile(r"\s+")
_LONG_VOWEL = str.maketrans("", "", "ー〜～")

# Part-of-speech (first level, second level) pairs that carry content. Sudachi's 非自立可能 verbs and nouns (する,
# ある, こと, もの …) and every particle/auxiliary/symbol are dropped.
_CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "接頭辞", "接尾辞", "副詞"}
_DROP_SUBPOS = {"非自立可能", "数詞"}
# Light words that pass the POS filter but mean nothing for matching.
STOPWORDS = frozenset(
    """
    する ある いる なる できる 出来る 思う 考える 行う 為る 居る 成る 言う いう 見る 受ける 用いる 使う
    こと もの ため 為 よう 様 等 など ほか 他 際 方 場合 中 上 下 前 後 時 年 月 日 度 的 化 性 者 用
    これ それ あれ どれ ここ そこ 本 当 各 同 該当 以上 以下 未満 以内 程度 頃 毎
    たい ない いい よい 良い 多い 少ない
    """.split()
)


@dataclass(frozen=True, slots=True)
class Token:
    surface: str
    norm: str
    pos: str
    start: int
    end: int
    parts: tuple[str, ...]
    synonym_groups: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the index and the explanation need of one text."""

    text: str  # the folded text the offsets refer to
    tokens: tuple[Token, ...]

    @property
    def words(self) -> list[str]:
        return [t.norm for t in self.tokens]

    @property
    def parts(self) -> list[str]:
        out: list[str] = []
        for t in self.tokens:
            out.extend(p for p in t.parts if _useful_part(p))
        return out


def fold(text: str | None) -> str:
    """NFKC + case folding + whitespace squashed; the one normalization every text of the engine goes through."""
    if not text:
        return ""
    value = unicodedata.normalize("NFKC", str(text)[:MAX_TEXT_CHARS]).casefold()
    return _SPACES.sub(" ", value).strip()


def display_form(text: str | None) -> str:
    """``fold`` without the case folding: the text as people wrote it, at the same offsets as the folded text when
    case folding kept every length (it does for Japanese and plain Latin; the caller compares the lengths)."""
    if not text:
        return ""
    value = unicodedata.normalize("NFKC", str(text)[:MAX_TEXT_CHARS])
    return _SPACES.sub(" ", value).strip()


def chunks(text: str, limit: int = MAX_CHUNK_BYTES) -> Iterator[tuple[int, str]]:
    """(offset, piece) pieces of ``text`` of at most ``limit`` UTF-8 bytes, cut after sentence ends when possible."""
    if len(text.encode("utf-8")) <= limit:
        yield 0, text
        return
    offset = 0
    buf: list[str] = []
    size = 0
    start = 0
    for sentence in _SENTENCE_END.split(text):
        if not sentence:
            continue
        n = len(sentence.encode("utf-8"))
        if n > limit:  # one endless "sentence": cut it by characters
            if buf:
                yield start, "".join(buf)
                buf, size = [], 0
            pos = 0
            while pos < len(sentence):
                piece = _cut_bytes(sentence[pos:], limit)
                yield offset + pos, piece
                pos += len(piece)
            offset += len(sentence)
            start = offset
            continue
        if size + n > limit and buf:
            yield start, "".join(buf)
            buf, size, start = [], 0, offset
        buf.append(sentence)
        size += n
        offset += len(sentence)
    if buf:
        yield start, "".join(buf)


def _cut_bytes(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")[:limit]
    return encoded.decode("utf-8", errors="ignore")


class _Sudachi(threading.local):
    """A tokenizer per thread (Sudachi tokenizers are not shared across threads)."""

    def __init__(self) -> None:
        self.tokenizer = _dictionary().tokenizer(mode=SplitMode.C)


# Sudachi's default path rewrites, less JoinNumericPlugin: numbers are dropped as 数詞 either way, and joining and
# normalizing digit runs was a fifth of the tokenizing time. Unknown katakana runs are still joined into one word.
_CONFIG = Config(
    pathRewritePlugin=[
        {
            "class": "com.worksap.nlp.sudachi.JoinKatakanaOovPlugin",
            "oovPOS": ["名詞", "普通名詞", "一般", "*", "*", "*"],
            "minLength": 3,
        }
    ]
)


@lru_cache(maxsize=1)
def _dictionary() -> Dictionary:
    return Dictionary(config=_CONFIG, dict="core")


_local: _Sudachi | None = None


def _tokenizer():
    global _local
    if _local is None:
        _local = _Sudachi()
    return _local.tokenizer


_POS_KEEP: dict[int, bool] = {}


def _pos_keeps(morpheme) -> bool:
    """Whether the part of speech carries content (cached by Sudachi's part-of-speech id)."""
    pid = morpheme.part_of_speech_id()
    keep = _POS_KEEP.get(pid)
    if keep is None:
        pos = morpheme.part_of_speech()
        keep = _POS_KEEP[pid] = pos[0] in _CONTENT_POS and pos[1] not in _DROP_SUBPOS
    return keep


def _keep_norm(norm: str) -> bool:
    if norm in STOPWORDS:
        return False
    if len(norm) == 1 and not (norm.isascii() and norm.isalnum()) and not _is_kanji(norm):
        return False  # single kana or symbol
    return True


def _useful_part(part: str) -> bool:
    if part in STOPWORDS:
        return False
    return len(part) > 1 or _is_kanji(part) or (part.isascii() and part.isalnum())


def _is_kanji(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def analyze(text: str | None, *, folded: bool = False) -> Analysis:
    """Content tokens of ``text`` (folded first unless ``folded``), with offsets into the folded text."""
    value = text if folded and text is not None else fold(text)
    if not value:
        return Analysis("", ())
    tokenizer = _tokenizer()
    out: list[Token] = []
    for base, piece in chunks(value):
        for m in tokenizer.tokenize(piece):
            if not _pos_keeps(m):
                continue
            norm = m.normalized_form().casefold()
            if not _keep_norm(norm):
                continue
            surface = m.surface()
            parts: tuple[str, ...] = ()
            if len(surface) > 2:
                split = m.split(SplitMode.A)
                if len(split) > 1:
                    parts = tuple(p.normalized_form().casefold() for p in split)
            out.append(
                Token(
                    surface=surface,
                    norm=norm,
                    pos=m.part_of_speech()[0],
                    start=base + m.begin(),
                    end=base + m.end(),
                    parts=parts,
                    synonym_groups=tuple(m.synonym_group_ids()),
                )
            )
    return Analysis(value, tuple(out))


_OOV_WORD_ID = (
    0xF000_0000  # Sudachi gives out-of-vocabulary words the dictionary number 15 (ids from 0xF0000000)
)


def _word(m) -> tuple[str | None, tuple[str, ...]]:  # noqa: ANN001
    """(normalized form, or None when the word is dropped; its useful A-mode parts) — the indexing path's view
    of one morpheme (``shards.Lexicon`` asks once per dictionary word)."""
    if not _pos_keeps(m):
        return None, ()
    norm = m.normalized_form().casefold()
    if not _keep_norm(norm):
        return None, ()
    parts: tuple[str, ...] = ()
    if m.end() - m.begin() > 2:
        split = m.split(SplitMode.A)
        if len(split) > 1:
            parts = tuple(p for p in (x.normalized_form().casefold() for x in split) if _useful_part(p))
    return norm, parts


def bigrams(folded_text: str) -> list[str]:
    """Character bigrams of the folded text, per run of non-space characters; a one-character run is kept whole."""
    text = folded_text.translate(_LONG_VOWEL)
    grams: list[str] = []
    for run in _runs(text):
        if len(run) == 1:
            grams.append(run)
        else:
            grams.extend(run[i : i + 2] for i in range(len(run) - 1))
    return grams


_PUNCT = re.compile(
    r"[\s、。，．・,.:;：；!?！？()（）「」『』【】\[\]{}<>＜＞\"'“”‘’/／|＿_=＝+*＊#＃@＠&＆%％~\-]+"
)


def _runs(text: str) -> list[str]:
    return [r for r in _PUNCT.split(text) if r]


# -- character bigrams as integers (the indexing path) -------------------------------------------------------------
# A bigram "ab" is the integer ((ord(a) + 1) << 21) | ord(b), a lone character "a" is ord(a): code points fit in 21
# bits, so the two never collide. Counting integers in numpy spares the worker one string and one dictionary entry
# per bigram occurrence; ``bigram_text`` turns a key back into the string the index stores.
_SHIFT = 21
_LOW = (1 << _SHIFT) - 1
BIGRAM_KEY_BITS = 2 * _SHIFT + 1  # (0x10FFFF + 1) << 21 | 0x10FFFF < 2**43
_SEPARATOR = np.fromiter(
    (bool(_PUNCT.fullmatch(chr(c))) if not 0xD800 <= c <= 0xDFFF else False for c in range(0x10000)),
    dtype=bool,
    count=0x10000,
)


def bigram_keys(folded_text: str) -> np.ndarray:
    """The bigrams of ``bigrams(folded_text)`` as integer keys (same multiset, any order)."""
    return bigram_keys_at(folded_text.translate(_LONG_VOWEL))[0]


def without_long_vowels(folded_text: str) -> str:
    return folded_text.translate(_LONG_VOWEL)


def bigram_keys_at(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(keys, positions) of the bigrams of ``text`` (already ``without_long_vowels``): each key with the position
    of its first character, so that one call can serve many documents joined by a separator."""
    if not text:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    cp = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.int64)
    sep = np.zeros(len(cp), dtype=bool)
    bmp = cp < 0x10000
    sep[bmp] = _SEPARATOR[cp[bmp]]
    keep = ~sep
    pairs = keep[:-1] & keep[1:]
    left_open = np.concatenate(([True], sep[:-1]))
    right_open = np.concatenate((sep[1:], [True]))
    singles = keep & left_open & right_open
    keys = np.concatenate((((cp[:-1][pairs] + 1) << _SHIFT) | cp[1:][pairs], cp[singles]))
    return keys, np.concatenate((np.flatnonzero(pairs), np.flatnonzero(singles)))


def bigram_text(key: int) -> str:
    return chr((key >> _SHIFT) - 1) + chr(key & _LOW) if key > _LOW else chr(key)
