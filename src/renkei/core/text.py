"""Japanese text normalization shared by validation, search and import."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_HYPHENS = "-‐‑‒–—―−ｰーｰ－⁃⸺⸻"
# Characters that print as nothing but arrive in pasted text (zero-width space/joiners, word joiner, BOM).
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"


def nfkc(value: str | None) -> str:
    """NFKC-normalize and trim; full-width ASCII (ＩｏＴ, ２件) becomes half-width, half-width kana full-width."""
    if value is None:
        return ""
    text = str(value)
    if text.isascii():  # NFKC leaves ASCII as it is; most cells of an import are ASCII
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


def squash_spaces(value: str | None) -> str:
    return _SPACES.sub(" ", nfkc(value))


def digits_only(value: str | None, *, allowed_separators: str = _HYPHENS + " ") -> str:
    """Drop separators (hyphens of every width, spaces) after NFKC; other characters are kept for validation.

    When a space is an allowed separator, so is every other kind of blank: tabs, line breaks and the zero-width
    characters that come with text pasted from web pages and PDFs.
    """
    text = nfkc(value)
    if text.isdigit() and text.isascii():
        return text
    text = text.translate(_deletions(allowed_separators))
    if " " in allowed_separators:
        text = "".join(ch for ch in text if not ch.isspace())
    return text


_DELETION_TABLES: dict[str, dict[int, None]] = {}


def _deletions(separators: str) -> dict[int, None]:
    """A str.translate table deleting ``separators`` (and the invisible characters when a space is one of them)."""
    table = _DELETION_TABLES.get(separators)
    if table is None:
        chars = separators + (_INVISIBLE if " " in separators else "")
        table = _DELETION_TABLES[separators] = dict.fromkeys(map(ord, chars))
    return table


def to_hiragana(value: str) -> str:
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in value)


def to_katakana(value: str) -> str:
    return "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in value)
