"""``renkei bench matching``: the shape DESIGN.md and the issue specify, the metrics, and bad folders."""

from __future__ import annotations

import json
import math

import pytest

from renkei.bench.matching import (
    DatasetError,
    mrr_at_10,
    ndcg_at_10,
    recall_at_10,
    run_folder,
    spearman,
)
from renkei.cli import main

CORPUS = [
    {
        "id": "d1",
        "kind": "seed",
        "title": "",
        "text": "射出成形した樹脂部品の引張強度を評価する試験方法を開発した。",
    },
    {
        "id": "d2",
        "kind": "seed",
        "title": "",
        "text": "気液二相流の気泡の立体構造を可視化する計測法を提案した。",
    },
    {
        "id": "d3",
        "kind": "program",
        "title": "",
        "text": "中小企業の設備投資に要する経費の一部を補助します。",
    },
    {
        "id": "d4",
        "kind": "equipment",
        "title": "万能材料試験機",
        "text": "金属・樹脂の引張、圧縮、曲げ試験。最大荷重100kN。",
    },
]
QUERIES = [
    {"id": "q1", "text": "樹脂成形品の強度評価をしたい"},
    {"id": "q2", "text": "配管を流れる泡の形を３Ｄで撮影したい"},
    {"id": "q3", "text": "新しい機械を買うお金の補助がほしい"},
    {"id": "q4", "text": "判定のない問い"},
]
QRELS = "q1\td1\t2\nq1\td4\t1\nq2\td2\t2\nq3\td3\t2\n"


@pytest.fixture
def dataset(tmp_path):
    folder = tmp_path / "mini"
    folder.mkdir()
    (folder / "corpus.jsonl").write_text(
        "\n".join(json.dumps(d, ensure_ascii=False) for d in CORPUS), "utf-8"
    )
    (folder / "queries.jsonl").write_text(
        "\n".join(json.dumps(q, ensure_ascii=False) for q in QUERIES), "utf-8"
    )
    (folder / "qrels.tsv").write_text(QRELS, "utf-8")
    return folder


def test_metrics_by_hand():
    rel = {"a": 2, "b": 1}
    assert ndcg_at_10(["a", "b"], rel) == pytest.approx(1.0)
    swapped = (1 / 1 + 3 / math.log2(3)) / (3 / 1 + 1 / math.log2(3))
    assert ndcg_at_10(["b", "a"], rel) == pytest.approx(swapped)
    assert ndcg_at_10(["x"], rel) == 0.0
    assert recall_at_10(["x", "b"], rel) == 0.5
    assert mrr_at_10(["x", "x2", "a"], rel) == pytest.approx(1 / 3)
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)


def test_retrieval_result_has_every_system_in_the_documented_shape(dataset):
    result = run_folder(dataset)
    assert result["dataset"] == "mini"
    assert result["n_queries"] == 3  # q4 has no judgement
    assert set(result["systems"]) == {"renkei", "substring", "bigram_bm25", "sudachi_bm25"}
    for figures in result["systems"].values():
        assert set(figures) == {"ndcg10", "recall10", "mrr10", "p50_ms", "p95_ms"}
        assert 0.0 <= figures["ndcg10"] <= 1.0
        assert figures["p95_ms"] >= figures["p50_ms"] >= 0
    assert result["index_build_s"] >= 0
    assert result["peak_rss_mb"] > 0
    # the engine finds the directly relevant document first for the plain-language need
    assert result["systems"]["renkei"]["mrr10"] == pytest.approx(1.0)


def test_pairs_folder_reports_spearman(tmp_path):
    folder = tmp_path / "sts"
    folder.mkdir()
    pairs = [
        {"id": "0", "a": "男性が自転車に乗っています。", "b": "男の人が自転車に乗っている。", "score": 4.8},
        {"id": "1", "a": "男性が自転車に乗っています。", "b": "女性が料理をしています。", "score": 0.2},
        {"id": "2", "a": "犬が公園を走っています。", "b": "公園で犬が走り回っている。", "score": 4.4},
        {"id": "3", "a": "犬が公園を走っています。", "b": "会議室に机が並んでいる。", "score": 0.0},
        {"id": "4", "a": "電車が駅に止まっている。", "b": "駅に列車が停車している。", "score": 4.0},
    ]
    (folder / "pairs.jsonl").write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in pairs), "utf-8")
    result = run_folder(folder)
    assert result["n_pairs"] == 5
    assert set(result["systems"]) == {"renkei", "substring", "bigram_bm25", "sudachi_bm25"}
    assert result["systems"]["renkei"]["spearman"] > 0.5


def test_cli_json_and_all(dataset, capsys):
    assert main(["bench", "matching", str(dataset), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dataset"] == "mini"
    assert main(["bench", "matching", "--all", str(dataset.parent), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [r["dataset"] for r in out] == ["mini"]


def test_bad_folders_are_clear_errors(tmp_path, capsys):
    assert main(["bench", "matching", str(tmp_path)]) == 2
    assert "corpus.jsonl も pairs.jsonl もありません" in capsys.readouterr().err
    (tmp_path / "corpus.jsonl").write_text('{"id": "a", "text": "x"}\n{broken\n', "utf-8")
    (tmp_path / "queries.jsonl").write_text("", "utf-8")
    (tmp_path / "qrels.tsv").write_text("", "utf-8")
    with pytest.raises(DatasetError, match="2: JSON として読めません"):
        run_folder(tmp_path)
    assert main(["bench", "matching"]) == 2
