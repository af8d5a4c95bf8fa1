"""Japanese text normalization (NFKC, spaces, separators, kana). No database."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from renkei.core.text import digits_only, nfkc, squash_spaces, to_hiragana, to_katakana

PROPERTY = settings(max_examples=300, deadline=None)

HIRAGANA = "".join(chr(c) for c in range(ord("ぁ"), ord("ゖ") + 1))
KATAKANA = "".join(chr(c) for c in range(ord("ァ"), ord("ヶ") + 1))


def test_nfkc_folds_widths_and_trims():
    assert nfkc("　ＩｏＴ　") == "IoT"
    assert nfkc("２件") == "2件"
    assert nfkc("ｶﾀｶﾅ") == "カタカナ"
    assert nfkc("ｶﾞ") == "ガ"
    assert nfkc(None) == ""
    assert nfkc(123) == "123"


def test_squash_spaces_collapses_every_kind_of_blank():
    assert squash_spaces("株式会社　 テスト\t\n製作所 ") == "株式会社 テスト 製作所"


def test_digits_only_drops_separators_of_every_width():
    assert digits_only("２６０－８６６７") == "2608667"
    assert digits_only("043‐223‐2711") == "0432232711"
    assert digits_only("7 0000\t1205\u200b0002") == "7000012050002"
    assert digits_only("E0911") == "E0911"  # other characters are kept for the validator to report


def test_digits_only_with_explicit_separators_keeps_the_rest():
    assert digits_only("12-34 56", allowed_separators="-") == "1234 56"


@PROPERTY
@given(st.text())
def test_nfkc_is_idempotent_and_trimmed(text):
    once = nfkc(text)
    assert nfkc(once) == once
    assert once == once.strip()
    assert unicodedata.is_normalized("NFKC", once)


@PROPERTY
@given(st.text())
def test_squash_spaces_leaves_no_runs_of_blanks(text):
    out = squash_spaces(text)
    assert "  " not in out
    assert "\t" not in out and "\n" not in out
    assert out == out.strip()


@PROPERTY
@given(st.text(alphabet="0123456789０１２３４５６７８９-－‐ー　 \t"))
def test_digits_only_leaves_only_ascii_digits_in_order(text):
    out = digits_only(text)
    assert out.isascii() and (out == "" or out.isdigit())
    expected = "".join(
        unicodedata.normalize("NFKC", ch) for ch in text if unicodedata.normalize("NFKC", ch).isdigit()
    )
    assert out == expected


@PROPERTY
@given(st.text(alphabet=HIRAGANA + "ー・ abc123"))
def test_hiragana_katakana_round_trip(text):
    katakana = to_katakana(text)
    assert not any(ch in HIRAGANA for ch in katakana)
    assert to_hiragana(katakana) == text


@PROPERTY
@given(st.text(alphabet=KATAKANA + "ー・ ABC"))
def test_katakana_hiragana_round_trip(text):
    hiragana = to_hiragana(text)
    assert not any(ch in KATAKANA for ch in hiragana)
    assert to_katakana(hiragana) == text


def test_kana_conversion_examples():
    assert to_hiragana("テスト・セイサクショ") == "てすと・せいさくしょ"
    assert to_katakana("ちば") == "チバ"
    assert to_hiragana("ヴァ") == "ゔぁ"
