"""Japanese text normalization shared by validation, search and import."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_HYPHENS = "-‐‑‒–—―−ｰーｰ－"


def nfkc(value: str | None) -> str:
    """NFKC-normalize and trim; full-width ASCII (ＩｏＴ, ２件) becomes half-width, half-width kana full-width."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def squash_spaces(value: str | None) -> str:
    return _SPACES.sub(" ", nfkc(value))


def digits_only(value: str | None, *, allowed_separators: str = _HYPHENS + " ") -> str:
    """Drop separators (hyphens of every width, spaces) after NFKC; other characters are kept for validation."""
    text = nfkc(value)
    return "".join(ch for ch in text if ch not in allowed_separators)


def to_hiragana(value: str) -> str:
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in value)


def to_katakana(value: str) -> str:
    return "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in value)
