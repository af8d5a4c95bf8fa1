"""法人番号 (corporate number): normalization and check digit, as properties over every 12-digit body.

The check digit is re-implemented here from its legal definition (法人番号の指定等に関する省令 第2条):
    check digit = 9 − (Σ Pn × Qn mod 9), Qn = 1 for odd n and 2 for even n,
n counted from the lowest digit of the 12-digit body; the check digit is written FIRST.
These tests need no database.
"""

from __future__ import annotations

import re

from hypothesis import example, given, settings
from hypothesis import strategies as st
from stdnum.jp import cn as stdnum_cn

from renkei.companies.validation import normalize_corporate_number

PROPERTY = settings(max_examples=300, deadline=None)

CHECK_DIGIT_MESSAGE = "チェックデジット"
NON_DIGIT_MESSAGE = "数字以外"

# Real, published numbers (国税庁 法人番号公表サイト): 国税庁 itself and 千葉県.
REAL_NUMBERS = ["7000012050002", "4000020120006"]

bodies = st.text(alphabet="0123456789", min_size=12, max_size=12)
# Separators a person or a spreadsheet puts into a number, in every width.
HYPHENS = ["-", "－", "‐", "‑", "‒", "–", "—", "―", "−", "ー", "ｰ", "﹣"]
SPACES = [" ", "　", "\u00a0", "\u2009", "\u202f", "\t", "\u200b"]
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def check_digit_by_definition(body: str) -> int:
    """The 省令's formula, written out independently of python-stdnum."""
    assert len(body) == 12 and body.isdigit()
    total = 0
    for n, digit in enumerate(reversed(body), start=1):  # n = 1 is the lowest digit
        q = 1 if n % 2 == 1 else 2
        total += int(digit) * q
    return 9 - (total % 9)


def with_check_digit(body: str) -> str:
    return f"{check_digit_by_definition(body)}{body}"


def test_definition_matches_published_numbers():
    for number in REAL_NUMBERS:
        assert check_digit_by_definition(number[1:]) == int(number[0])
        assert normalize_corporate_number(number) == (number, None)


@PROPERTY
@given(bodies)
@example("000000000000")
@example("999999999999")
def test_stdnum_agrees_with_the_definition(body):
    digit = check_digit_by_definition(body)
    assert 1 <= digit <= 9  # never 0: an integer-typed cell cannot lose a leading zero
    assert stdnum_cn.calc_check_digit(body) == str(digit)


@PROPERTY
@given(bodies)
def test_every_body_with_its_check_digit_is_accepted(body):
    number = stdnum_cn.calc_check_digit(body) + body
    assert normalize_corporate_number(number) == (number, None)
    # An integer (as openpyxl returns a numeric Excel cell) is the same number.
    assert normalize_corporate_number(int(number)) == (number, None)


@PROPERTY
@given(bodies, st.integers(min_value=0, max_value=9))
def test_any_other_check_digit_is_rejected(body, wrong):
    right = check_digit_by_definition(body)
    if wrong == right:
        wrong = (wrong + 1) % 10
    value, message = normalize_corporate_number(f"{wrong}{body}")
    assert value is None
    assert CHECK_DIGIT_MESSAGE in message
    assert "先頭の1桁" in message


@PROPERTY
@given(st.text(alphabet="0123456789", min_size=1, max_size=40).filter(lambda s: len(s) != 13))
def test_any_length_other_than_13_names_the_actual_length(digits):
    value, message = normalize_corporate_number(digits)
    assert value is None
    assert "13桁" in message
    assert f"入力は {len(digits)} 桁" in message


@PROPERTY
@given(
    st.lists(st.sampled_from(list("0123456789")), min_size=13, max_size=13),
    st.integers(min_value=0, max_value=12),
    st.sampled_from(list("ABCXYZabcxyzＡＢｘアあ漢.+_/#") + ["٣", "०", "\x00"]),
)
def test_letters_and_foreign_digits_are_reported_as_non_digits(digits, position, letter):
    digits[position] = letter
    value, message = normalize_corporate_number("".join(digits))
    assert value is None
    assert NON_DIGIT_MESSAGE in message


@PROPERTY
@given(
    bodies,
    st.lists(st.sampled_from(HYPHENS + SPACES), min_size=0, max_size=14),
    st.randoms(use_true_random=False),
    st.booleans(),
)
def test_full_width_digits_hyphens_and_spaces_normalize_to_the_same_13_digits(body, separators, rnd, wide):
    number = with_check_digit(body)
    chars = list(number.translate(FULLWIDTH) if wide else number)
    for sep in separators:  # insert each separator between two digits
        chars.insert(rnd.randint(1, len(chars) - 1), sep)
    typed = "".join(chars)
    assert normalize_corporate_number(typed) == (number, None)
    assert normalize_corporate_number(f"　{typed} ") == (number, None)


def test_the_usual_printed_forms():
    number = REAL_NUMBERS[0]
    for typed in (
        "7-0000-1205-0002",
        "７０００－０１２０－５０００２",
        "7 0000 1205 0002",
        "７ ０００ ０１２ ０５０ ００２",
    ):
        assert normalize_corporate_number(typed) == (number, None)


def test_empty_input_is_no_number_and_no_error():
    for empty in (None, "", "  ", "　", "-"):
        assert normalize_corporate_number(empty) == (None, None)


def test_integral_float_from_a_spreadsheet_is_accepted_but_not_a_fraction():
    number = REAL_NUMBERS[0]
    assert normalize_corporate_number(float(number)) == (number, None)
    value, message = normalize_corporate_number(float(number) + 0.5)
    assert value is None and NON_DIGIT_MESSAGE in message


def test_messages_are_japanese():
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    for typed in ("123", "ABCDEFGHIJKLM", "1000012050002"):
        _, message = normalize_corporate_number(typed)
        assert message and japanese.search(message) and "法人番号" in message
