"""The bulk indexing path (``shards.analyze_batch``) gives every document the same terms as the plain analysis."""

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkei.matching import shards
from renkei.matching.analysis import analyze, bigram_text, bigrams
from renkei.matching.index import kanji_of

TEXTS = [
    "射出成形した樹脂部品の引張強度を評価する。",
    "ＩｏＴセンサーで設備の振動を監視し、故障を予知したい。",
    "経済産業省 METI の https://www.meti.go.jp/ を参照。meti は略称。",  # unknown words, in a URL and outside
    "ﾃｽﾄﾓｼﾞﾓｼﾞ ぴょぴょぴょ ｘｙｚ 12345 ＡＢＣ",
    "",
    "   ",
    "人工知能" * 5,
    "あ" * 30_000,  # over Sudachi's input limit once encoded: cut into pieces
]


def reference(title: str, text: str) -> dict[str, tuple[Counter, int]]:
    a = analyze(f"{title}\n{text}" if title else text)
    folded, terms, parts = a.text, a.words, a.parts
    chars = kanji_of(terms)
    grams = bigrams(folded)
    return {
        "words": (Counter(terms + parts), len(terms) + len(parts)),
        "kanji": (Counter(chars), len(chars)),
        "bigrams": (Counter(grams), len(grams)),
    }


def per_document(shard: dict[str, tuple]) -> list[dict[str, tuple[Counter, int]]]:
    out: list[dict[str, tuple[Counter, int]]] = []
    for name, (vocab, ids, counts, sizes, lengths) in shard.items():
        if name == "bigrams":  # bigram shards name their terms by integer keys (analysis.bigram_keys)
            vocab = [bigram_text(int(k)) for k in vocab]
        offset = 0
        for doc, size in enumerate(sizes.tolist()):
            terms = Counter({vocab[ids[j]]: int(counts[j]) for j in range(offset, offset + size)})
            offset += size
            if len(out) <= doc:
                out.append({})
            out[doc][name] = (terms, int(lengths[doc]))
    return out


def test_a_batch_gives_each_document_the_terms_of_the_plain_analysis():
    pairs = [("タイトル" if i % 2 else "", t) for i, t in enumerate(TEXTS)]
    got = per_document(shards.analyze_batch(pairs))
    assert len(got) == len(pairs)
    for (title, text), doc in zip(pairs, got, strict=True):
        assert doc == reference(title, text), text[:20]
    assert got[2]["words"][0]["meti"] >= 1  # the unknown word counted where it is a noun


def test_a_second_batch_in_the_same_process_reuses_the_lexicon_and_agrees():
    first = per_document(shards.analyze_batch([("", TEXTS[0]), ("", TEXTS[2])]))
    again = per_document(shards.analyze_batch([("", TEXTS[2]), ("", TEXTS[0])]))
    assert first == again[::-1]


def test_an_empty_batch_is_an_empty_shard():
    shard = shards.analyze_batch([])
    assert set(shard) == {"words", "bigrams", "kanji"}
    for vocab, ids, _, sizes, lengths in shard.values():
        assert len(vocab) == len(ids) == len(sizes) == len(lengths) == 0


def test_a_batch_too_large_to_pack_is_refused_not_miscounted():
    import numpy as np

    with pytest.raises(ValueError, match="too large"):
        shards.count_pairs(np.zeros(1, np.int64), np.zeros(1, np.int64), 1 << 40, str, 32)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from(list("樹脂成形強度評価センサー振動ＩｏＴabc 123。、ーぴょ")), max_size=60
        ),
        min_size=1,
        max_size=6,
    )
)
def test_any_batch_agrees_with_the_plain_analysis(texts):
    got = per_document(shards.analyze_batch([("", t) for t in texts]))
    assert got == [reference("", t) for t in texts]


def test_postings_are_term_major_with_documents_ascending_and_match_a_plain_count():
    """The counting sort in ``FieldBuilder.finish`` (pieces of a few postings here) against a dictionary count; the
    engine's coverage looks documents up in a posting list by binary search, so their order matters."""
    import math
    import random

    from renkei.matching import bm25

    rng = random.Random(3)
    vocab = [f"t{i}" for i in range(40)]
    documents = [
        [rng.choice(vocab[: rng.randint(1, 40)]) for _ in range(rng.randint(0, 30))] for _ in range(300)
    ]
    builder = bm25.FieldBuilder()
    for terms in documents:
        builder.add(terms)
    original = bm25._term_major
    try:
        bm25._term_major = lambda *a: original(*a, chunk=37)  # many pieces, cut at document boundaries
        index = builder.finish()
    finally:
        bm25._term_major = original
    avgdl = sum(map(len, documents)) / len(documents)
    for term in vocab:
        docs, impacts = index.postings(term)
        expected = [i for i, terms in enumerate(documents) if term in terms]
        assert docs.tolist() == expected
        df = len(expected)
        idf = math.log1p((len(documents) - df + 0.5) / (df + 0.5))
        for doc, impact in zip(docs.tolist(), impacts.tolist(), strict=True):
            tf = documents[doc].count(term)
            norm = 1.2 * (1 - 0.75 + 0.75 * len(documents[doc]) / avgdl)
            assert math.isclose(impact, idf * tf * 2.2 / (tf + norm), rel_tol=1e-5)


def test_shards_named_by_integer_keys_merge_as_shards_named_by_strings():
    from renkei.matching import bm25

    batches = [[("", TEXTS[0]), ("", TEXTS[1])], [("", TEXTS[1]), ("", TEXTS[2])], [("", TEXTS[6])]]
    keyed = bm25.KeyedFieldBuilder(bigram_text)
    plain = bm25.FieldBuilder()
    for batch in batches:
        keys, ids, counts, sizes, lengths = shards.analyze_batch(batch)["bigrams"]
        keyed.add_shard(keys, ids, counts, sizes, lengths)
        plain.add_shard([bigram_text(int(k)) for k in keys], ids, counts, sizes, lengths)
    a, b = keyed.finish(), plain.finish()
    assert a.vocab == b.vocab
    for term in a.vocab:
        assert a.postings(term)[0].tolist() == b.postings(term)[0].tolist()
        assert a.postings(term)[1].tolist() == b.postings(term)[1].tolist()


@pytest.mark.parametrize("texts", [[], [""], ["", "。、"], ["樹脂", ""]])
def test_an_index_of_no_documents_or_empty_ones_builds_and_answers(texts):
    """The catalog of a new installation is empty; a document may have no text at all."""
    from renkei.matching.engine import search
    from renkei.matching.index import IndexDoc, SearchIndex

    index = SearchIndex.build([IndexDoc(f"d{i}", "seed", "", t) for i, t in enumerate(texts)])
    assert len(index) == len(texts)
    hits = search(index, "樹脂の強度").hits
    assert [h.key for h in hits] == (["d0"] if texts and texts[0] == "樹脂" else [])
