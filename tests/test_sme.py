"""中小企業 / 小規模企業者 status (中小企業基本法 第2条 and the 政令 exceptions).

The limits are written down here again from the law (see ../shared/DOMAIN.md, "Things that are easy to get
wrong"), not imported from ``renkei.companies.sme``, so that a typo in either shows up. The sector table is
checked against the 中小企業庁's correspondence of 業種 to 日本標準産業分類 for every 細分類 in the database.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from renkei.companies.choices import Sector, SizeClass
from renkei.companies.sme import classify_size, sector_for
from renkei.core.models import IndustryClass

PROPERTY = settings(max_examples=200, deadline=None)

OKU = 100_000_000  # 1億円
MAN = 10_000  # 1万円


@dataclass(frozen=True)
class Law:
    """One row of the law: limits (inclusive) and an example 細分類 of that sector."""

    sector: str
    capital: int
    employees: int
    small: int
    codes: tuple[tuple[str, str], ...]  # (JSIC 細分類, 大分類)


LAW = [
    Law(Sector.MANUFACTURING, 3 * OKU, 300, 20, (("2511", "E"), ("0611", "D"), ("4411", "H"), ("7911", "N"))),
    Law(Sector.WHOLESALE, 1 * OKU, 100, 5, (("5011", "I"), ("5211", "I"), ("5599", "I"))),
    Law(Sector.RETAIL, 5000 * MAN, 50, 5, (("5611", "I"), ("6011", "I"), ("6111", "I"), ("7611", "M"))),
    Law(Sector.SERVICES, 5000 * MAN, 100, 5, (("7411", "L"), ("3922", "G"), ("8211", "O"), ("7521", "M"))),
    Law(Sector.RUBBER, 3 * OKU, 900, 20, (("1921", "E"), ("1932", "E"), ("1999", "E"))),
    Law(Sector.SOFTWARE, 3 * OKU, 300, 5, (("3911", "G"), ("3914", "G"), ("3921", "G"))),
    Law(Sector.INN, 5000 * MAN, 200, 20, (("7511", "M"),)),
]
# 小規模企業者 exceptions by 政令: 宿泊業 (75) and 娯楽業 (80) ≤ 20 although they are services.
SMALL_20_SERVICES = (("7521", "M"), ("8011", "N"), ("8061", "N"))

CASES = [(law, code, major) for law in LAW for code, major in law.codes]
case_ids = [f"{law.sector}-{code}" for law, code, _ in CASES]

money = st.one_of(st.none(), st.integers(min_value=0, max_value=10**13))
people = st.one_of(st.none(), st.integers(min_value=0, max_value=100_000))


def small_limit(law: Law, code: str) -> int:
    return 20 if code.startswith(("75", "80")) else law.small


def expected(law: Law, code: str, capital: int | None, employees: int | None) -> str:
    """The law, stated the long way round."""
    if employees is not None and employees <= small_limit(law, code):
        return SizeClass.SMALL
    within = [
        capital is not None and capital <= law.capital,
        employees is not None and employees <= law.employees,
    ]
    if any(within):
        return SizeClass.SME
    if capital is None or employees is None:
        return SizeClass.UNKNOWN
    return SizeClass.LARGE


def classify(code: str, major: str, capital: int | None, employees: int | None):
    return classify_size(jsic_code=code, major_code=major, capital=capital, employees=employees)


@pytest.mark.parametrize(("law", "code", "major"), CASES, ids=case_ids)
def test_sector_of_example_codes(law, code, major):
    assert sector_for(code, major) == law.sector
    assert classify(code, major, None, None).sector == law.sector


@pytest.mark.parametrize(("law", "code", "major"), CASES, ids=case_ids)
def test_boundaries_exactly_at_the_limits(law, code, major):
    over_c, over_e = law.capital + 1, law.employees + 1
    assert classify(code, major, law.capital, over_e).size_class == SizeClass.SME  # capital at the limit
    assert classify(code, major, over_c, law.employees).size_class == SizeClass.SME  # employees at the limit
    assert classify(code, major, over_c, over_e).size_class == SizeClass.LARGE
    assert classify(code, major, 0, over_e).size_class == SizeClass.SME
    small = small_limit(law, code)
    assert classify(code, major, over_c, small).size_class == SizeClass.SMALL
    assert classify(code, major, None, small).size_class == SizeClass.SMALL
    assert classify(code, major, law.capital, small + 1).size_class == SizeClass.SME
    assert classify(code, major, None, small + 1).size_class == SizeClass.SME


@pytest.mark.parametrize(("law", "code", "major"), CASES, ids=case_ids)
def test_missing_values_are_unknown_only_when_the_known_one_fails(law, code, major):
    assert classify(code, major, None, None).size_class == SizeClass.UNKNOWN
    assert classify(code, major, law.capital, None).size_class == SizeClass.SME
    assert classify(code, major, law.capital + 1, None).size_class == SizeClass.UNKNOWN
    assert classify(code, major, None, law.employees).size_class in (SizeClass.SME, SizeClass.SMALL)
    assert classify(code, major, None, law.employees + 1).size_class == SizeClass.UNKNOWN
    verdict = classify(code, major, law.capital + 1, None)
    assert "従業員数が未登録" in verdict.reason
    assert "資本金が未登録" in classify(code, major, None, law.employees + 1).reason


@PROPERTY
@given(st.sampled_from(CASES), money, people)
@example(CASES[0], 3 * OKU, 301)
@example(CASES[-1], 5000 * MAN + 1, 200)
def test_classification_follows_the_law(case, capital, employees):
    law, code, major = case
    verdict = classify(code, major, capital, employees)
    assert verdict.size_class == expected(law, code, capital, employees)
    assert verdict.sector == law.sector
    assert verdict.reason  # always explained, in Japanese
    assert Sector(law.sector).label in verdict.reason


ORDER = {SizeClass.SMALL: 0, SizeClass.SME: 1, SizeClass.LARGE: 2}


@PROPERTY
@given(
    st.sampled_from(CASES),
    st.integers(min_value=0, max_value=10**12),
    st.integers(min_value=0, max_value=5000),
    st.integers(min_value=0, max_value=10**11),
    st.integers(min_value=0, max_value=1000),
)
def test_a_bigger_company_is_never_classified_smaller(case, capital, employees, more_capital, more_people):
    law, code, major = case
    before = classify(code, major, capital, employees).size_class
    after = classify(code, major, capital + more_capital, employees + more_people).size_class
    assert ORDER[after] >= ORDER[before]


@pytest.mark.parametrize(("code", "major"), SMALL_20_SERVICES)
def test_inns_and_amusement_are_small_up_to_20_employees(code, major):
    assert sector_for(code, major) in (Sector.SERVICES, Sector.INN)
    huge = 10 * OKU
    assert classify(code, major, huge, 20).size_class == SizeClass.SMALL
    assert classify(code, major, huge, 21).size_class != SizeClass.SMALL
    # An ordinary service business is small only up to 5.
    assert classify("7411", "L", huge, 6).size_class == SizeClass.SME


def test_rubber_exceptions_are_ordinary_manufacturing():
    for code in ("1911", "1931"):
        assert sector_for(code, "E") == Sector.MANUFACTURING
        assert classify(code, "E", 3 * OKU + 1, 301).size_class == SizeClass.LARGE
    assert classify("1921", "E", 3 * OKU + 1, 900).size_class == SizeClass.SME
    assert classify("1921", "E", 3 * OKU + 1, 901).size_class == SizeClass.LARGE


def test_unknown_industry_cannot_be_classified():
    for code, major in ((None, None), ("", ""), ("2511", None), (None, "E")):
        verdict = classify_size(jsic_code=code, major_code=major, capital=1, employees=1)
        assert verdict.size_class == SizeClass.UNKNOWN
        assert "業種" in verdict.reason


def official_sector(code: str, major: str) -> str:
    """中小企業庁's table (業種 ↔ 日本標準産業分類), written as the table reads, plus the 政令 exceptions."""
    middle, minor = int(code[:2]), code[:3]
    if code in ("1911", "1931"):
        return Sector.MANUFACTURING
    if middle == 19:
        return Sector.RUBBER
    if minor == "391" or code == "3921":
        return Sector.SOFTWARE
    if code == "7511":
        return Sector.INN
    if major == "I":
        return Sector.WHOLESALE if 50 <= middle <= 55 else Sector.RETAIL
    if major == "M":
        return Sector.RETAIL if middle in (76, 77) else Sector.SERVICES
    if major == "G":
        services = middle in (38, 39) or minor in ("411", "412", "415", "416")
        return Sector.SERVICES if services else Sector.MANUFACTURING
    if major == "K":
        return Sector.SERVICES if minor == "693" or middle == 70 else Sector.MANUFACTURING
    if major == "N":
        return Sector.MANUFACTURING if minor == "791" else Sector.SERVICES
    if major in ("L", "O", "P", "Q", "R"):
        return Sector.SERVICES
    return Sector.MANUFACTURING


def test_every_jsic_detail_code_maps_to_the_official_sector(db):
    rows = list(IndustryClass.objects.filter(level=4).values_list("code", "major_code"))
    assert len(rows) == 1473
    wrong = [(code, sector_for(code, major), official_sector(code, major)) for code, major in rows]
    wrong = [w for w in wrong if w[1] != w[2]]
    assert wrong == []


@pytest.mark.parametrize(
    ("code", "sector", "name_part"),
    [
        ("5211", Sector.WHOLESALE, "卸売"),
        ("5611", Sector.RETAIL, "百貨店"),
        ("6111", Sector.RETAIL, "無店舗"),
        ("7611", Sector.RETAIL, "食堂"),
        ("7711", Sector.RETAIL, "持ち帰り"),
        ("3911", Sector.SOFTWARE, "ソフトウェア"),
        ("3921", Sector.SOFTWARE, "情報処理"),
        ("3922", Sector.SERVICES, "情報提供"),
        ("4011", Sector.MANUFACTURING, "ポータル"),
        ("4131", Sector.MANUFACTURING, "新聞"),
        ("7911", Sector.MANUFACTURING, "旅行"),
        ("7511", Sector.INN, "旅館"),
        ("7111", Sector.SERVICES, "研究"),
        ("7421", Sector.SERVICES, "建築設計"),
        ("6931", Sector.SERVICES, "駐車場"),
        ("6811", Sector.MANUFACTURING, "建物売買"),
        ("1911", Sector.MANUFACTURING, "タイヤ"),
        ("1931", Sector.MANUFACTURING, "ベルト"),
        ("1932", Sector.RUBBER, "ホース"),
    ],
)
def test_sector_of_concrete_codes_from_the_database(db, code, sector, name_part):
    row = IndustryClass.objects.get(code=code)
    assert row.level == 4
    assert name_part in row.name
    assert sector_for(row.code, row.major_code) == sector
