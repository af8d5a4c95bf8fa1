"""``renkei bench matching --synthetic N``: build rate, query latency and memory with N documents in the index.

The documents are made from the sentences of the real samples the demo ships (KAKEN research summaries and jGrants
program texts, ``demo/data``): each synthetic document takes a title and two to six sentences drawn at random, so
the vocabulary and the lengths are those of a real catalog, at any size. Queries are fragments of other sentences
(15–60 characters), the length of a typed need. Seeded, so two runs index the same corpus.
"""

from __future__ import annotations

import csv
import gc
import json
import random
import re
import time
from importlib import resources
from typing import Any

from renkei.matching.engine import search
from renkei.matching.index import IndexDoc, SearchIndex

from .matching import peak_rss_mb, percentile

KINDS = ("seed", "program", "equipment", "test_service", "researcher", "organization")
_SENTENCE = re.compile(r"(?<=[。．！？])")


def _sentences() -> tuple[list[str], list[str]]:
    data = resources.files("renkei.demo").joinpath("data")
    titles: list[str] = []
    sentences: list[str] = []
    with data.joinpath("fit_seeds_cleaned.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            titles.append(row.get("研究課題名") or "")
            sentences.extend(
                s.strip() for s in _SENTENCE.split(row.get("研究内容") or "") if len(s.strip()) > 10
            )
    with data.joinpath("jgrants_programs.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            titles.append(record.get("title") or "")
            body = (record.get("detail_text") or "")[:3000]
            sentences.extend(s.strip() for s in _SENTENCE.split(body) if 10 < len(s.strip()) < 300)
    return [t for t in titles if t], sentences


def synthetic_documents(n: int, seed: int = 20261122) -> list[IndexDoc]:
    rng = random.Random(seed)
    titles, sentences = _sentences()
    docs = []
    for i in range(n):
        kind = KINDS[i % len(KINDS)]
        body = "".join(rng.choice(sentences) for _ in range(rng.randint(2, 6)))
        docs.append(IndexDoc(f"{kind}:{i}", kind, rng.choice(titles), body, {"region": rng.choice("abcd")}))
    return docs


def synthetic_queries(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    _, sentences = _sentences()
    out = []
    for _ in range(n):
        s = rng.choice(sentences)
        length = rng.randint(15, 60)
        start = rng.randint(0, max(0, len(s) - length))
        out.append(s[start : start + length])
    return out


def run_synthetic(n: int, *, queries: int = 200) -> dict[str, Any]:
    docs = synthetic_documents(n)
    texts = synthetic_queries(queries)
    chars = sum(len(d.title) + len(d.text) for d in docs)
    gc.collect()
    started = time.perf_counter()
    index = SearchIndex.build(docs)
    build_s = time.perf_counter() - started
    del docs
    gc.collect()
    search(index, "ウォームアップ")
    times = []
    kind_times = []
    for text in texts:
        t0 = time.perf_counter()
        search(index, text, limit=10)
        times.append((time.perf_counter() - t0) * 1000)
    for text in texts[:50]:
        t0 = time.perf_counter()
        search(index, text, limit=10, kinds=["seed", "program"])
        kind_times.append((time.perf_counter() - t0) * 1000)
    return {
        "dataset": f"synthetic-{n}",
        "documents": n,
        "characters": chars,
        "n_queries": len(texts),
        "semantic": index.semantic,
        "index_build_s": round(build_s, 2),
        "build_docs_per_s": round(n / build_s, 1) if build_s else None,
        "p50_ms": round(percentile(times, 0.5), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
        "p95_ms_kind_filter": round(percentile(kind_times, 0.95), 2),
        "peak_rss_mb": peak_rss_mb(),
        "targets": {"p95_ms": 30, "build_docs_per_s": 2000},
    }
