"""Compile Sudachi's synonym source into the table the matching engine ships (src/renkei/matching/data/).

Usage: .venv/bin/python scripts/build_synonyms.py ../shared/data/sudachi-synonyms/synonyms.txt

Each group becomes one line: ``group<TAB>term<TAB>term…``; a term is the Sudachi normalized form of the word (the
words of a multi-word entry joined by a space), prefixed with ``!`` when the word must not trigger expansion (flag 1).
Entries flagged "never expand" (2) and proper-noun domains (company, person and place names) are left out: a need
that names 千葉 must not fetch documents that mention some other spelling of a company.
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

from renkei.matching.analysis import analyze, fold

SKIP_DOMAINS = {"(企業名)", "(人名)", "(旧企業名)", "(地名)", "(国名)", "(組織名)", "(企業名/交通)"}
OUT = Path(__file__).resolve().parent.parent / "src" / "renkei" / "matching" / "data" / "synonyms.tsv"


def main(source: str) -> int:
    groups: dict[str, dict[str, bool]] = defaultdict(dict)
    with open(source, encoding="utf-8", newline="") as fh:
        for row in csv.reader(fh):
            if len(row) < 9 or not row[0].strip():
                continue
            group, expand_flag, domain, word = row[0], (row[2] or "0"), row[7], row[8]
            if expand_flag == "2" or domain in SKIP_DOMAINS:
                continue
            words = analyze(word).words or ([fold(word)] if fold(word) else [])
            if not words:
                continue
            term = " ".join(words)
            triggers = expand_flag != "1"
            groups[group][term] = groups[group].get(term, False) or triggers
    lines = []
    for group in sorted(groups):
        terms = groups[group]
        if len(terms) < 2:
            continue
        cells = [t if trig else "!" + t for t, trig in sorted(terms.items())]
        lines.append(group + "\t" + "\t".join(cells))
    OUT.write_text(
        "# Compiled from Sudachi's synonym dictionary (WorksApplications/SudachiDict, src/main/text/synonyms.txt,\n"
        "# Apache License 2.0) by scripts/build_synonyms.py. group<TAB>normalized term… ('!' = does not trigger).\n"
        + "\n".join(lines)
        + "\n",
        encoding="utf-8",
    )
    print(f"{len(lines)} groups → {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/sudachi-synonyms/synonyms.txt"))
