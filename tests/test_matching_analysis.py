"""Analysis: the same terms for the same meaning whatever the width, case or spelling variant; long input chunked."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkei.matching.analysis import MAX_CHUNK_BYTES, analyze, bigrams, chunks, fold
from renkei.matching.engine import parse_query
from renkei.matching.synonyms import parse, synonyms


def words(text: str) -> list[str]:
    return analyze(text).words


def test_full_and_half_width_and_case_give_the_same_terms():
    assert words("ＩｏＴセンサーとＬＥＤ") == words("IoTセンサーとLED") == words("iotセンサーとled")
    assert words("ｾﾝｻｰ") == words("センサー")
    assert "iot" in words("ＩｏＴ")


@pytest.mark.parametrize(
    ("variant", "standard"),
    [
        ("センサ", "センサー"),
        ("モータ", "モーター"),
        ("ダンパ", "ダンパー"),
        ("コンピュータ", "コンピューター"),
    ],
)
def test_katakana_long_vowel_variants_meet(variant, standard):
    assert words(variant) == words(standard)
    # the bigram field drops the long-vowel mark, so it agrees too
    assert bigrams(fold(variant)) == bigrams(fold(standard))


def test_spelling_variants_share_the_normalized_form():
    assert words("成形") == words("成型")
    assert words("ＡＩ") == words("ai")


def test_function_words_and_symbols_are_dropped():
    terms = words("樹脂成形品の強度評価をしたい。")
    assert terms == ["樹脂", "成型", "品", "強度", "評価"]
    assert not {"の", "を", "し", "たい", "。"} & set(terms)


def test_compounds_keep_their_a_mode_parts():
    a = analyze("人工知能で熱可塑性樹脂を選ぶ")
    assert "人工知能" in a.words
    assert {"人工", "知能"} <= set(a.parts)
    assert "熱" in a.parts


def test_token_offsets_point_into_the_folded_text():
    a = analyze("ＰＩＤ制御の調整")
    for t in a.tokens:
        assert a.text[t.start : t.end] == t.surface


@pytest.mark.parametrize("text", ["", "   ", "\u3000\n\t", None, "。、！？"])
def test_empty_and_blank_input_gives_nothing(text):
    a = analyze(text)
    assert a.tokens == ()
    assert parse_query(text).empty


def test_input_over_sudachis_limit_is_chunked_and_fully_analyzed():
    sentence = "射出成形した樹脂部品の引張強度を評価する。"
    text = sentence * 4000  # ~240 KB of UTF-8, far over Sudachi's 49,149 bytes
    assert len(text.encode("utf-8")) > 49_149
    a = analyze(text)
    assert a.words.count("樹脂") == 4000
    assert all(len(piece.encode("utf-8")) <= MAX_CHUNK_BYTES for _, piece in chunks(fold(text)))


def test_a_single_endless_sentence_is_cut_by_bytes():
    text = "あ" * 30_000 + "樹脂" + "い" * 30_000  # no sentence end anywhere
    pieces = list(chunks(text))
    assert len(pieces) > 1
    assert "".join(p for _, p in pieces) == text
    assert all(len(p.encode("utf-8")) <= MAX_CHUNK_BYTES for _, p in pieces)
    for offset, piece in pieces:
        assert text[offset : offset + len(piece)] == piece


def test_a_ten_thousand_character_query_is_accepted():
    query = parse_query("金属部品の摩耗を評価したい。" * 800)
    assert not query.empty
    assert query.word_weights["摩耗"] > 1


def test_company_introduction_weighs_less_than_the_need():
    q = parse_query("燕三条の熱交換器メーカーです。配管を流れる泡の形を撮影したい")
    assert q.word_weights["泡"] == 1.0
    assert q.word_weights["メーカー"] == pytest.approx(0.5)


def test_synonym_expansion_adds_other_terms_of_the_group():
    table = parse(["# comment", "000001\t人工知能\tai\t!エーアイ"])
    assert {e.term for e in table.expand("人工知能")} == {"ai", "エーアイ"}
    assert table.expand("エーアイ") == []  # flagged: does not trigger expansion
    assert len(synonyms()) > 5000  # the shipped table is loaded


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_analysis_never_fails_and_offsets_hold(text):
    a = analyze(text)
    for t in a.tokens:
        assert a.text[t.start : t.end] == t.surface
    assert isinstance(bigrams(a.text), list)


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200))
def test_integer_bigrams_are_the_same_multiset_as_string_bigrams(text):
    from collections import Counter

    from renkei.matching.analysis import bigram_keys, bigram_text

    folded = fold(text)
    assert Counter(bigram_text(int(k)) for k in bigram_keys(folded)) == Counter(bigrams(folded))


def test_a_parallel_build_answers_exactly_as_a_sequential_one(monkeypatch):
    from renkei.matching import shards as shards_module
    from renkei.matching.engine import search
    from renkei.matching.index import IndexDoc, SearchIndex

    texts = [
        "射出成形した樹脂部品の引張強度を評価する。",
        "気液二相流の気泡を可視化する計測法。",
        "中小企業の設備投資に要する経費を補助します。",
        "電波暗室で EMC 試験（放射妨害波）を行う。",
        "ＩｏＴセンサーで設備の振動を監視し故障を予知する。",
    ]
    docs = [IndexDoc(f"d{i}", "seed", f"課題{i}", texts[i % len(texts)] * (1 + i % 3)) for i in range(60)]
    monkeypatch.setattr(shards_module, "PARALLEL_MIN_DOCS", 10)
    monkeypatch.setattr(shards_module, "BATCH_MIN", 7)  # several shards, merged in the parent
    sequential = SearchIndex.build(docs, workers=1, semantic=False)
    parallel = SearchIndex.build(docs, workers=2, semantic=False)
    for query in ("樹脂の強度", "泡を撮影したい", "設備投資の補助金", "ＥＭＣ", "振動"):
        a = [(h.key, round(h.score, 6)) for h in search(sequential, query, limit=20).hits]
        b = [(h.key, round(h.score, 6)) for h in search(parallel, query, limit=20).hits]
        assert a == b and a
