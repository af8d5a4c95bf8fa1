"""Properties of eligibility (hypothesis): evaluation never raises and is consistent, meeting every bound is
eligible, the 10 % near-miss band, validation never raises on any JSON, normalization is idempotent and
meaning-preserving, and form input never raises.

Codes for the strategies come from the reference files shipped with ``renkei.core`` (no database at import);
verdicts use the reference loaded from the test database.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from renkei.catalog.eligibility import (
    CHECK_ORDER,
    INPUT_KEYS,
    RULE_KEYS,
    SIZE_CLASSES,
    STAGES,
    STATUS_LABELS,
    CompanyProfile,
    Reference,
    evaluate,
    explain,
    format_yen,
    normalize_rules,
    parse_quantity,
    validate_rules,
)
from renkei.catalog.eligibility_profile import PRECISIONS
from renkei.core.errors import FieldError, ValidationFailed
from renkei.core.reference import read_industry_classes, read_municipalities, read_prefectures

PROPERTY = settings(max_examples=300, deadline=None)
TODAY = dt.date(2025, 6, 15)

PREFS = sorted(r["code"] for r in read_prefectures())
MUNIS = sorted(r["code"] for r in read_municipalities())
_INDUSTRIES = read_industry_classes()
JSIC = sorted(r["code"] for r in _INDUSTRIES)
MAJOR = {r["code"]: r["major_code"] for r in _INDUSTRIES}
DETAILS = [c for c in JSIC if len(c) == 4]


def details_under(code: str) -> list[str]:
    if code.isalpha():
        return [c for c in DETAILS if MAJOR[c] == code]
    return [c for c in DETAILS if c.startswith(code)]


# Every test reads the reference data (prefectures, municipalities, JSIC) that migration core/0002 loads.
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def ref(django_db_setup, django_db_blocker) -> Reference:
    with django_db_blocker.unblock():
        return Reference.load()


# --- strategies ---------------------------------------------------------------------------------------------
def ranges(maximum: int):
    bound = st.none() | st.integers(min_value=0, max_value=maximum)
    return st.tuples(bound, bound).map(
        lambda t: {"min": min(t), "max": max(t)} if None not in t else {"min": t[0], "max": t[1]}
    )


VALID_RULES = st.fixed_dictionaries(
    {},
    optional={
        "size_classes": st.lists(st.sampled_from(SIZE_CLASSES), max_size=3),
        "employees": ranges(100_000),
        "capital": ranges(10**12),
        "company_age_years": ranges(150),
        "jsic": st.lists(st.sampled_from(JSIC), max_size=4),
        "prefectures": st.lists(st.sampled_from(PREFS), max_size=3),
        "municipalities": st.lists(st.sampled_from(MUNIS), max_size=3),
        "stages": st.lists(st.sampled_from(STAGES), max_size=4),
    },
)

_FULL_WIDTH = str.maketrans(
    "0123456789ABCDEFGHIJKLMNOPQRST", "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴ"
)


def _written(code: str):
    """How a person might write a code in a JSON file: as is, full-width, lower case."""
    return st.sampled_from([code, code.translate(_FULL_WIDTH), code.lower()])


WRITTEN_RULES = st.fixed_dictionaries(
    {},
    optional={
        "size_classes": st.lists(
            st.sampled_from([*SIZE_CLASSES, "中小企業者", "小規模企業者", "大企業"]), max_size=3
        ),
        "employees": ranges(100_000),
        "jsic": st.lists(st.sampled_from(JSIC).flatmap(_written), max_size=4),
        "prefectures": st.lists(
            st.sampled_from(PREFS).flatmap(lambda p: st.sampled_from([p, int(p)])), max_size=3
        ),
        "municipalities": st.lists(
            st.sampled_from(MUNIS).flatmap(lambda m: st.sampled_from([m, m[:5]])), max_size=3
        ),
        "stages": st.lists(st.sampled_from(STAGES), max_size=4),
    },
)

PROFILES = st.builds(
    CompanyProfile,
    size_class=st.none() | st.sampled_from([*SIZE_CLASSES, "unknown"]),
    employees=st.none() | st.integers(min_value=0, max_value=1_000_000),
    capital=st.none() | st.integers(min_value=0, max_value=10**13),
    jsic_code=st.none() | st.sampled_from(JSIC),
    prefecture_code=st.none() | st.sampled_from(PREFS),
    municipality_code=st.none() | st.sampled_from(MUNIS),
    founded_on=st.none() | st.dates(min_value=dt.date(1800, 1, 1), max_value=dt.date(2100, 12, 31)),
    stage=st.none() | st.sampled_from(STAGES),
    founded_precision=st.sampled_from(PRECISIONS),
)

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
# Arbitrary values under the real keys, so validation goes past the first check.
SHAPED_JSON = st.dictionaries(
    st.sampled_from(RULE_KEYS) | st.text(max_size=8),
    JSON
    | st.lists(JSON, max_size=4)
    | st.dictionaries(st.sampled_from(["min", "max", "avg"]), JSON, max_size=3),
    max_size=6,
)


def expected_rules_checked(normalized: dict) -> list[str]:
    present = set(normalized) | (
        {"location"} if {"prefectures", "municipalities"} & set(normalized) else set()
    )
    return [k for k in CHECK_ORDER if k in present]


# --- evaluation ---------------------------------------------------------------------------------------------
@PROPERTY
@given(
    rules=VALID_RULES,
    profile=PROFILES,
    today=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2060, 1, 1)),
)
def test_evaluate_never_raises_and_is_consistent(ref, rules, profile, today):
    verdict = evaluate(rules, profile, today=today, reference=ref)
    assert [c.rule for c in verdict.checks] == expected_rules_checked(normalize_rules(rules))
    outcomes = {c.outcome for c in verdict.checks}
    expected_status = (
        "not_eligible"
        if "fail" in outcomes
        else "near_miss"
        if "near" in outcomes
        else "unknown"
        if "unknown" in outcomes
        else "eligible"
    )
    assert verdict.status == expected_status
    assert ("unknown" in outcomes) == bool(verdict.missing)
    assert len(verdict.missing) == len(set(verdict.missing))
    assert all(c.message for c in verdict.checks)
    assert all(c.reason for c in verdict.checks if c.outcome != "pass")
    assert explain(verdict).startswith(
        STATUS_LABELS[verdict.status] if verdict.status != "unknown" else "判定"
    )


@PROPERTY
@given(data=st.data(), rules=VALID_RULES)
def test_a_profile_meeting_every_bound_is_eligible(ref, data, rules):
    values: dict = {}
    norm = normalize_rules(rules)

    def within(bounds: dict, spread: int) -> int:
        low = bounds["min"] or 0
        high = bounds["max"] if bounds["max"] is not None else low + spread
        return data.draw(st.integers(min_value=low, max_value=high))

    if "size_classes" in norm:
        values["size_class"] = data.draw(st.sampled_from(norm["size_classes"]))
    if "employees" in norm:
        values["employees"] = within(norm["employees"], 10_000)
    if "capital" in norm:
        values["capital"] = within(norm["capital"], 10**10)
    if "company_age_years" in norm:
        age = within(norm["company_age_years"], 100)
        values["founded_on"] = dt.date(TODAY.year - age, TODAY.month, data.draw(st.integers(1, TODAY.day)))
    if "jsic" in norm:
        values["jsic_code"] = data.draw(
            st.sampled_from(details_under(data.draw(st.sampled_from(norm["jsic"]))))
        )
    places = norm.get("prefectures", []) + norm.get("municipalities", [])
    if places:
        place = data.draw(st.sampled_from(places))
        values["municipality_code" if len(place) == 6 else "prefecture_code"] = place
    if "stages" in norm:
        values["stage"] = data.draw(st.sampled_from(norm["stages"]))
    verdict = evaluate(rules, CompanyProfile(**values), today=TODAY, reference=ref)
    assert verdict.status == "eligible", verdict.checks
    assert explain(verdict) == "対象"


@PROPERTY
@given(maximum=st.integers(min_value=1, max_value=10**6), data=st.data())
def test_employees_over_the_maximum_near_within_ten_percent(ref, maximum, data):
    band = maximum // 10
    rules = {"employees": {"max": maximum}}
    if band:
        near = maximum + data.draw(st.integers(min_value=1, max_value=band))
        assert (
            evaluate(rules, CompanyProfile(employees=near), today=TODAY, reference=ref).status == "near_miss"
        )
    far = maximum + data.draw(st.integers(min_value=band + 1, max_value=band + 1 + 10 * maximum))
    assert evaluate(rules, CompanyProfile(employees=far), today=TODAY, reference=ref).status == "not_eligible"
    inside = data.draw(st.integers(min_value=0, max_value=maximum))
    assert evaluate(rules, CompanyProfile(employees=inside), today=TODAY, reference=ref).status == "eligible"


@PROPERTY
@given(minimum=st.integers(min_value=10, max_value=10**12), data=st.data())
def test_capital_under_the_minimum_near_within_ten_percent(ref, minimum, data):
    rules = {"capital": {"min": minimum}}
    short = data.draw(st.integers(min_value=1, max_value=minimum))
    status = evaluate(rules, CompanyProfile(capital=minimum - short), today=TODAY, reference=ref).status
    assert status == ("near_miss" if short * 10 <= minimum else "not_eligible")


@PROPERTY
@given(maximum=st.integers(min_value=0, max_value=100), over=st.integers(min_value=0, max_value=5))
def test_company_age_near_within_one_year(ref, maximum, over):
    founded = dt.date(TODAY.year - maximum - over, TODAY.month, TODAY.day)
    status = evaluate(
        {"company_age_years": {"max": maximum}},
        CompanyProfile(founded_on=founded),
        today=TODAY,
        reference=ref,
    ).status
    assert status == {0: "eligible", 1: "near_miss"}.get(over, "not_eligible")


# --- validation and normalization ---------------------------------------------------------------------------
@PROPERTY
@given(rules=JSON | SHAPED_JSON)
def test_validate_never_raises_on_any_json(ref, rules):
    errors = validate_rules(rules)
    assert all(isinstance(e, FieldError) and e.field.startswith("eligibility") and e.message for e in errors)
    verdict = evaluate(rules, CompanyProfile(employees=10), today=TODAY, reference=ref)
    if errors:
        with pytest.raises(ValidationFailed) as exc:
            normalize_rules(rules)
        assert exc.value.errors == errors
        assert verdict.status == "unknown"
        assert [c.rule for c in verdict.checks] == ["rules"]
    else:
        assert validate_rules(normalize_rules(rules)) == []


@PROPERTY
@given(rules=VALID_RULES | WRITTEN_RULES, profile=PROFILES)
def test_normalize_is_valid_idempotent_and_keeps_the_meaning(ref, rules, profile):
    assert validate_rules(rules) == []
    normalized = normalize_rules(rules)
    assert validate_rules(normalized) == []
    assert validate_rules(normalized, known_codes=ref) == []
    assert normalize_rules(normalized) == normalized
    assert all(normalized[k] for k in normalized)  # nothing empty is kept
    assert evaluate(rules, profile, today=TODAY, reference=ref) == evaluate(
        normalized, profile, today=TODAY, reference=ref
    )


# --- input --------------------------------------------------------------------------------------------------
FORM_VALUE = st.none() | st.text(max_size=30) | st.integers(min_value=-(10**20), max_value=10**20)


@PROPERTY
@given(data=st.fixed_dictionaries({}, optional={key: FORM_VALUE for key in INPUT_KEYS}))
def test_from_input_never_raises(ref, data):
    profile, errors = CompanyProfile.from_input(data, today=TODAY, reference=ref)
    assert {e.field for e in errors} <= set(INPUT_KEYS)
    assert len({e.field for e in errors}) == len(errors)  # one error per field
    evaluate({"employees": {"max": 300}, "prefectures": ["12"]}, profile, today=TODAY, reference=ref)


@PROPERTY
@given(amount=st.integers(min_value=0, max_value=10**15))
def test_formatted_yen_reads_back(amount):
    assert parse_quantity(format_yen(amount).replace(" ", ""), suffixes=("円",)) == amount
