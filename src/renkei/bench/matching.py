"""``renkei bench matching DIR``: our engine and three baselines on one benchmark folder, in the same run.

A folder holds ``corpus.jsonl`` (id, kind, title, text), ``queries.jsonl`` (id, text) and ``qrels.tsv``
(query_id, doc_id, relevance 1–2), or ``pairs.jsonl`` (a, b, score) for a similarity set, which reports Spearman's
ρ instead. Each system indexes the corpus afresh with its production analysis and answers every query; we report
nDCG@10 (graded gains 2^rel − 1), Recall@10, MRR@10, p50/p95 latency per query (analysis included), our index build
time and the process's peak resident memory. ``--all DIR`` runs every such folder below DIR; ``--synthetic N``
measures build rate, latency and memory on N generated documents (``bench/matching_synthetic.py``).
Times are wall-clock and vary between runs; the tests check the shape of the result, never the times.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from renkei.matching.engine import search
from renkei.matching.index import IndexDoc, SearchIndex
from renkei.matching.similarity import SimilarityModel

from .matching_baselines import (
    BASELINES,
    bigram_similarity,
    substring_similarity,
    sudachi_similarity,
)

SYSTEMS = ("renkei", "substring", "bigram_bm25", "sudachi_bm25")


class DatasetError(Exception):
    pass


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{n}: JSON として読めません（{exc.msg}）") from exc
    return rows


def load_retrieval(folder: Path) -> tuple[list[dict], list[dict], dict[str, dict[str, int]]]:
    corpus = _read_jsonl(folder / "corpus.jsonl")
    queries = _read_jsonl(folder / "queries.jsonl")
    qrels: dict[str, dict[str, int]] = {}
    with (folder / "qrels.tsv").open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            cells = line.rstrip("\n").split("\t")
            if len(cells) < 3 or not cells[0]:
                if line.strip():
                    raise DatasetError(
                        f"{folder / 'qrels.tsv'}:{n}: query_id<TAB>doc_id<TAB>relevance ではありません"
                    )
                continue
            if cells[0] == "query_id":
                continue
            qrels.setdefault(cells[0], {})[cells[1]] = int(cells[2])
    for i, doc in enumerate(corpus):
        if "id" not in doc or "text" not in doc:
            raise DatasetError(f"corpus.jsonl の {i + 1} 行目に id と text が必要です")
    return corpus, queries, qrels


# -- metrics -------------------------------------------------------------------------------------------------------
def ndcg_at_10(ranked: Sequence[str], relevant: dict[str, int]) -> float:
    dcg = sum((2 ** relevant.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    idcg = sum((2**r - 1) / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at_10(ranked: Sequence[str], relevant: dict[str, int]) -> float:
    wanted = {d for d, r in relevant.items() if r > 0}
    return len(wanted.intersection(ranked[:10])) / len(wanted) if wanted else 0.0


def mrr_at_10(ranked: Sequence[str], relevant: dict[str, int]) -> float:
    for i, d in enumerate(ranked[:10]):
        if relevant.get(d, 0) > 0:
            return 1.0 / (i + 1)
    return 0.0


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _evaluate(
    run: Callable[[str], list[int]], ids: list[str], queries: list[dict], qrels: dict[str, dict[str, int]]
) -> dict[str, float]:
    ndcg, recall, mrr, times = [], [], [], []
    for q in queries:
        relevant = qrels.get(q["id"])
        if not relevant:
            continue
        started = time.perf_counter()
        ranked = [ids[i] for i in run(q["text"])]
        times.append((time.perf_counter() - started) * 1000)
        ndcg.append(ndcg_at_10(ranked, relevant))
        recall.append(recall_at_10(ranked, relevant))
        mrr.append(mrr_at_10(ranked, relevant))
    n = len(ndcg) or 1
    return {
        "ndcg10": round(sum(ndcg) / n, 4),
        "recall10": round(sum(recall) / n, 4),
        "mrr10": round(sum(mrr) / n, 4),
        "p50_ms": round(percentile(times, 0.5), 2),
        "p95_ms": round(percentile(times, 0.95), 2),
    }


def run_retrieval(folder: Path, *, systems: Sequence[str] = SYSTEMS) -> dict[str, Any]:
    corpus, queries, qrels = load_retrieval(folder)
    ids = [str(d["id"]) for d in corpus]
    judged = [q for q in queries if qrels.get(q["id"])]
    result: dict[str, Any] = {"dataset": folder.name, "n_queries": len(judged), "systems": {}}
    if "renkei" in systems:
        docs = [
            IndexDoc(ids[i], str(d.get("kind") or "document"), d.get("title") or "", d["text"])
            for i, d in enumerate(corpus)
        ]
        started = time.perf_counter()
        index = SearchIndex.build(docs)
        result["index_build_s"] = round(time.perf_counter() - started, 3)
        result["semantic"] = index.semantic
        search(index, "ウォームアップ")  # load the vector table before the clock runs

        def ours(text: str) -> list[int]:
            return [h.doc for h in search(index, text, limit=10).hits]

        result["systems"]["renkei"] = _evaluate(ours, ids, judged, qrels)
    texts = [((d.get("title") or "") + "\n" + d["text"]).strip() for d in corpus]
    for cls in BASELINES:
        if cls.name in systems:
            baseline = cls(texts)
            result["systems"][cls.name] = _evaluate(baseline.search, ids, judged, qrels)
    result["peak_rss_mb"] = peak_rss_mb()
    return result


# -- similarity (pairs.jsonl) ----------------------------------------------------------------------------------------
def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    def ranks(values: Sequence[float]) -> list[float]:
        order = sorted(range(len(values)), key=values.__getitem__)
        out = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                out[order[k]] = (i + j) / 2 + 1
            i = j + 1
        return out

    rx, ry = ranks(x), ranks(y)
    n = len(rx)
    if n < 2:
        return 0.0
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx) ** 0.5
    vy = sum((b - my) ** 2 for b in ry) ** 0.5
    return cov / (vx * vy) if vx and vy else 0.0


def run_pairs(folder: Path) -> dict[str, Any]:
    pairs = _read_jsonl(folder / "pairs.jsonl")
    gold = [float(p["score"]) for p in pairs]
    model = SimilarityModel.fit([s for p in pairs for s in (p["a"], p["b"])])
    systems: dict[str, Callable[[str, str], float]] = {
        "renkei": model.similarity,
        "substring": substring_similarity,
        "bigram_bm25": lambda a, b: bigram_similarity(a, b, model.bigram_idf),
        "sudachi_bm25": lambda a, b: sudachi_similarity(a, b, model.word_idf),
    }
    result: dict[str, Any] = {"dataset": folder.name, "n_pairs": len(pairs), "systems": {}}
    for name, fn in systems.items():
        times, scores = [], []
        for p in pairs:
            started = time.perf_counter()
            scores.append(fn(p["a"], p["b"]))
            times.append((time.perf_counter() - started) * 1000)
        result["systems"][name] = {
            "spearman": round(spearman(scores, gold), 4),
            "p50_ms": round(percentile(times, 0.5), 3),
            "p95_ms": round(percentile(times, 0.95), 3),
        }
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def run_folder(folder: Path) -> dict[str, Any]:
    if (folder / "pairs.jsonl").exists():
        return run_pairs(folder)
    if (folder / "corpus.jsonl").exists():
        return run_retrieval(folder)
    raise DatasetError(f"{folder}: corpus.jsonl も pairs.jsonl もありません")


def _table(result: dict[str, Any]) -> list[str]:
    lines = [f"# {result['dataset']}"]
    if "n_pairs" in result:
        lines.append(f"pairs {result['n_pairs']}, peak RSS {result['peak_rss_mb']} MB")
        lines.append(f"{'system':<14}{'spearman':>10}{'p50 ms':>9}{'p95 ms':>9}")
        for name, m in result["systems"].items():
            lines.append(f"{name:<14}{m['spearman']:>10.4f}{m['p50_ms']:>9.3f}{m['p95_ms']:>9.3f}")
        return lines
    lines.append(
        f"queries {result['n_queries']}, index build {result.get('index_build_s', 0)} s, "
        f"semantic {'on' if result.get('semantic') else 'off'}, peak RSS {result['peak_rss_mb']} MB"
    )
    lines.append(f"{'system':<14}{'nDCG@10':>9}{'R@10':>8}{'MRR@10':>8}{'p50 ms':>9}{'p95 ms':>9}")
    for name, m in result["systems"].items():
        lines.append(
            f"{name:<14}{m['ndcg10']:>9.4f}{m['recall10']:>8.4f}{m['mrr10']:>8.4f}{m['p50_ms']:>9.2f}{m['p95_ms']:>9.2f}"
        )
    best = max((m["ndcg10"] for n, m in result["systems"].items() if n != "renkei"), default=0.0)
    ours = result["systems"].get("renkei", {}).get("ndcg10")
    if ours is not None:
        lines.append(f"renkei − best baseline: {ours - best:+.4f} nDCG@10")
    return lines


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if args.synthetic:
        from .matching_synthetic import run_synthetic

        result = run_synthetic(args.synthetic, queries=args.queries)
        out.write(
            json.dumps(result, ensure_ascii=False, indent=1) + "\n" if args.json else _synthetic_lines(result)
        )
        return 0
    if args.all_dir:
        root = Path(args.all_dir)
        folders = sorted(
            p
            for p in root.iterdir()
            if p.is_dir() and ((p / "corpus.jsonl").exists() or (p / "pairs.jsonl").exists())
        )
        if not folders:
            raise DatasetError(f"{root}: ベンチマークのフォルダーがありません")
        results = [run_folder(f) for f in folders]
        if args.json:
            out.write(json.dumps(results, ensure_ascii=False, indent=1) + "\n")
        else:
            for r in results:
                out.write("\n".join(_table(r)) + "\n\n")
        return 0
    if not args.dir:
        raise DatasetError("ベンチマークのフォルダー DIR か --all DIR か --synthetic N を指定してください")
    result = run_folder(Path(args.dir))
    out.write(
        json.dumps(result, ensure_ascii=False, indent=1) + "\n"
        if args.json
        else "\n".join(_table(result)) + "\n"
    )
    return 0


def _synthetic_lines(result: dict[str, Any]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in result.items()) + "\n"
