"""Reference data the eligibility rules need: names of prefectures, municipalities and JSIC classes.

Loaded from ``renkei.core.models`` in three queries and kept for the life of the process (the tables change only
by migration), so evaluating a company against 1,000 programs reads the database at most once. Tests and tools
may build a ``Reference`` from rows of their own with ``Reference(...)``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from renkei.companies.sme import SMALL_20_PREFIXES, sector_for
from renkei.core.models import IndustryClass, Municipality, Prefecture
from renkei.core.text import nfkc


@dataclass(frozen=True)
class Industry:
    name: str
    major: str  # 大分類 letter
    level: int  # 1 大分類 … 4 細分類


@dataclass(eq=False)
class Reference:
    """Code → name lookups. Compared (and hashed) by identity, so caches can be keyed by it."""

    prefectures: dict[str, str]  # "12" → "千葉県"
    municipalities: dict[str, tuple[str, str]]  # "122033" → ("市川市", "12")
    industries: dict[str, Industry]  # "E", "09", "091", "0911" → Industry
    _details_under: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    _size_groups: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict, repr=False)
    _prefecture_by_name: dict[str, str] | None = field(default=None, repr=False)
    _municipalities_by_name: dict[str, tuple[str, ...]] | None = field(default=None, repr=False)
    _industry_by_name: dict[str, str] | None = field(default=None, repr=False)

    @classmethod
    def load(cls) -> Reference:
        """Three queries: prefectures, municipalities, industry classes."""
        return cls(
            prefectures=dict(Prefecture.objects.values_list("code", "name")),
            municipalities={
                code: (name, pref)
                for code, name, pref in Municipality.objects.values_list("code", "name", "prefecture_id")
            },
            industries={
                code: Industry(name, major, level)
                for code, name, major, level in IndustryClass.objects.values_list(
                    "code", "name", "major_code", "level"
                )
            },
        )

    # --- names -------------------------------------------------------------------------------------------
    def prefecture_name(self, code: str) -> str:
        return self.prefectures.get(code, code)

    def municipality_label(self, code: str) -> str:
        """Prefecture and name: 122033 → 千葉県市川市 (the code itself when unknown)."""
        found = self.municipalities.get(code)
        if found is None:
            return code
        name, pref = found
        return f"{self.prefectures.get(pref, '')}{name}"

    def industry_name(self, code: str) -> str | None:
        found = self.industries.get(code)
        return found.name if found else None

    def industry_label(self, code: str) -> str:
        """Code and name: 0911 → 「0911 部分肉・冷凍肉製造業」; a major letter → its name alone (「製造業」)."""
        name = self.industry_name(code)
        if name is None:
            return code
        return name if code.isalpha() else f"{code} {name}"

    def major_of(self, code: str) -> str | None:
        """The 大分類 letter of a code of any level (a code missing from the table is read by its 中分類)."""
        if len(code) == 1 and code.isalpha():
            return code
        for candidate in (code, code[:2]):
            found = self.industries.get(candidate)
            if found is not None:
                return found.major
        return None

    # --- JSIC structure ----------------------------------------------------------------------------------
    def details_under(self, code: str) -> tuple[str, ...]:
        """Every 細分類 (4 digits) under ``code``; ``code`` itself when it is a 細分類 or unknown."""
        found = self._details_under.get(code)
        if found is None:
            if len(code) == 4 or (code not in self.industries and not code.isalpha()):
                found = (code,)
            elif code.isalpha():
                found = tuple(c for c, ind in self.industries.items() if ind.level == 4 and ind.major == code)
            else:
                found = tuple(
                    c for c, ind in self.industries.items() if ind.level == 4 and c.startswith(code)
                )
            self._details_under[code] = found
        return found

    def size_groups(self, code: str) -> tuple[tuple[str, str], ...]:
        """The distinct (sector, small-business rule) combinations among the 細分類 under ``code``.

        Each entry is (sector, a representative 細分類). One entry means ``code`` is specific enough for the
        中小企業基本法 classification; several mean a more specific code is needed.
        """
        found = self._size_groups.get(code)
        if found is None:
            seen: dict[tuple[str, bool], str] = {}
            for detail in self.details_under(code) or (code,):
                major = self.major_of(detail)
                if major is None:
                    continue
                key = (sector_for(detail, major), detail.startswith(SMALL_20_PREFIXES))
                seen.setdefault(key, detail)
            found = tuple((sector, detail) for (sector, _), detail in seen.items())
            self._size_groups[code] = found
        return found

    # --- lookups by name (the public form) ----------------------------------------------------------------
    def prefecture_by_name(self, text: str) -> str | None:
        """The code of 「千葉県」, 「千葉」, 「東京」 (None when there is none)."""
        if self._prefecture_by_name is None:
            table: dict[str, str] = {}
            for code, name in self.prefectures.items():
                table[name] = code
                if name != "北海道":
                    table.setdefault(name[:-1], code)
            self._prefecture_by_name = table
        return self._prefecture_by_name.get(nfkc(text))

    def municipalities_by_name(self, text: str) -> tuple[str, ...]:
        """Codes named 「市川市」 or 「千葉県市川市」 (one), 「府中市」 (two: 東京都, 広島県)."""
        if self._municipalities_by_name is None:
            table: dict[str, list[str]] = {}
            for code, (name, pref) in self.municipalities.items():
                table.setdefault(name, []).append(code)
                table.setdefault(f"{self.prefectures.get(pref, '')}{name}", []).append(code)
            self._municipalities_by_name = {k: tuple(v) for k, v in table.items()}
        return self._municipalities_by_name.get(nfkc(text).replace(" ", ""), ())

    def industry_by_name(self, text: str) -> str | None:
        """An exact JSIC name ("製造業", "食料品製造業") → its code (names repeat across levels rarely: the
        highest level wins)."""
        if self._industry_by_name is None:
            table: dict[str, str] = {}
            for code, ind in sorted(self.industries.items(), key=lambda item: item[1].level):
                table.setdefault(ind.name, code)
            self._industry_by_name = table
        return self._industry_by_name.get(nfkc(text))


_lock = threading.Lock()
_cached: Reference | None = None


def get_reference() -> Reference:
    """The process-wide reference, loaded from the database on first use."""
    global _cached
    if _cached is None:
        with _lock:
            if _cached is None:
                _cached = Reference.load()
    return _cached


def clear_reference_cache() -> None:
    """Forget the loaded reference (after ``load_reference_data`` changed the tables)."""
    global _cached
    with _lock:
        _cached = None
