"""Query expansion with Sudachi's synonym dictionary (compiled by scripts/build_synonyms.py, Apache-2.0).

Sudachi's normalized form already unifies spelling variants (センサ/センサー/sensor); the table keeps the groups that
still hold different normalized terms after that (人工知能/AI, 成形/成型 are one; 不具合/故障/欠陥 are not).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Expansion:
    source: str  # the query term that triggered it
    term: str  # a normalized term; several words are joined by a space
    group: str


class SynonymTable:
    def __init__(self, groups: dict[str, list[tuple[str, bool]]]) -> None:
        self._groups = groups
        self._by_term: dict[str, list[str]] = {}
        for group, members in groups.items():
            for term, triggers in members:
                if triggers:
                    self._by_term.setdefault(term, []).append(group)

    def __len__(self) -> int:
        return len(self._groups)

    def expand(self, term: str) -> list[Expansion]:
        out: list[Expansion] = []
        seen = {term}
        for group in self._by_term.get(term, ()):
            for other, _ in self._groups[group]:
                if other not in seen:
                    seen.add(other)
                    out.append(Expansion(term, other, group))
        return out


def parse(lines) -> SynonymTable:
    groups: dict[str, list[tuple[str, bool]]] = {}
    for line in lines:
        line = line.rstrip("\n")
        if not line or line.startswith("#"):
            continue
        group, *cells = line.split("\t")
        groups[group] = [(c[1:], False) if c.startswith("!") else (c, True) for c in cells if c]
    return SynonymTable(groups)


@lru_cache(maxsize=1)
def synonyms() -> SynonymTable:
    with resources.files("renkei.matching").joinpath("data/synonyms.tsv").open(encoding="utf-8") as fh:
        return parse(fh)
