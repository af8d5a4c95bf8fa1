"""The category suggestion: trained on examples and confirmed cases, a probability in [0, 1], retrained when the
examples change; confirming a case's classification writes (or replaces) its training example."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from renkei.cases import classify, services
from renkei.cases.choices import EventKind
from renkei.cases.classify import _Model, features
from renkei.cases.models import Case, CaseEvent, TrainingExample
from renkei.core.errors import PermissionDenied, ValidationFailed
from renkei.network.choices import StaffRole
from renkei.network.models import Category, TargetField

TECHNICAL = [
    "樹脂成形品の強度試験と評価をしたい",
    "金属部品の表面処理と硬さ試験の相談",
    "試作品の振動試験と強度の評価方法",
]
MANAGEMENT = [
    "事業承継と経営計画の作り方を相談したい",
    "販路開拓のための経営戦略と資金計画",
    "人材育成と経営改善の計画づくり",
]


@pytest.fixture(autouse=True)
def _fresh_model_cache():
    """The model cache is per process and keyed by (count, last id); ids are reused between rolled-back tests."""
    classify.clear_cache()
    yield
    classify.clear_cache()


@pytest.fixture
def secretariat(case_config, make_staff):
    return make_staff("chiba_pref", StaffRole.SECRETARIAT)


def seed(region, category, texts):
    for text in texts:
        TrainingExample.objects.create(region=region, category=category, text=text)


def new_case(actor, text):
    return services.case_create(actor=actor, data={"text": text, "channel": "phone"})


def test_no_examples_no_suggestion(secretariat, chiba):
    assert classify.suggest(chiba.pk, "強度試験") == []
    case = new_case(secretariat, "強度試験をしたい")
    assert case.suggested_category is None and case.suggestion_confidence is None


def test_a_suggestion_appears_once_examples_exist(secretariat, chiba, case_config):
    cats = case_config["categories"]
    seed(chiba, cats["technical"], TECHNICAL)
    seed(chiba, cats["management"], MANAGEMENT)
    case = new_case(secretariat, "製品の強度試験をお願いしたい")
    assert case.suggested_category == cats["technical"]
    assert 0.5 < case.suggestion_confidence <= 1.0
    other = new_case(secretariat, "経営計画と事業承継の相談")
    assert other.suggested_category == cats["management"]
    ranked = classify.suggest(chiba.pk, "製品の強度試験をお願いしたい", limit=5)
    assert [s.category_id for s in ranked] == [cats["technical"].pk, cats["management"].pk]
    assert abs(sum(s.probability for s in ranked) - 1.0) < 1e-9


def test_examples_of_another_region_are_not_used_but_shared_ones_are(
    secretariat, chiba, yamagata, case_config
):
    cats = case_config["categories"]
    seed(yamagata, cats["technical"], TECHNICAL)
    assert classify.suggest(chiba.pk, "強度試験") == []
    seed(None, cats["research"], ["大学との共同研究で新素材を開発したい"])
    assert [s.category_id for s in classify.suggest(chiba.pk, "共同研究")] == [cats["research"].pk]


def test_confirming_writes_a_training_example_and_replaces_the_previous_one(secretariat, chiba, case_config):
    cats = case_config["categories"]
    case = new_case(secretariat, "補助金を使って設備を入れたい")
    classified = services.case_classify(
        actor=secretariat, case_id=case.pk, category="management", stage="funding"
    )
    assert classified.category == cats["management"] and classified.classification_confirmed
    assert classified.stage == "funding"
    example = TrainingExample.objects.get(case=case)
    assert (example.category, example.region) == (cats["management"], chiba)
    assert "補助金を使って設備を入れたい" in example.text
    services.case_classify(actor=secretariat, case_id=case.pk, category=cats["funding"].pk)
    assert list(TrainingExample.objects.filter(case=case).values_list("category__code", flat=True)) == [
        "funding"
    ]
    events = list(CaseEvent.objects.filter(case=case, kind=EventKind.CLASSIFIED).order_by("id"))
    assert [e.text for e in events] == ["経営的課題", "資金"]
    assert events[1].data["before"] == [cats["management"].pk, None]


def test_the_model_retrains_when_the_examples_change(secretariat, chiba, case_config):
    cats = case_config["categories"]
    seed(chiba, cats["management"], MANAGEMENT)
    text = "製品の強度試験をお願いしたい"
    assert [s.category_id for s in classify.suggest(chiba.pk, text)] == [cats["management"].pk]
    seed(chiba, cats["technical"], TECHNICAL)
    assert classify.suggest(chiba.pk, text)[0].category_id == cats["technical"].pk
    # A confirmed case is an example too: confirming several strength-test cases as "research" shifts the model.
    for i in range(6):
        case = new_case(secretariat, f"強度試験の研究{i}をお願いしたい")
        services.case_classify(actor=secretariat, case_id=case.pk, category="research")
    assert classify.suggest(chiba.pk, "強度試験の研究をお願いしたい")[0].category_id == cats["research"].pk
    TrainingExample.objects.filter(category=cats["research"]).delete()
    assert cats["research"].pk not in [s.category_id for s in classify.suggest(chiba.pk, text)]


def test_the_model_retrains_when_an_example_is_relabelled(chiba, case_config):
    cats = case_config["categories"]
    seed(chiba, cats["management"], MANAGEMENT)
    seed(chiba, cats["technical"], TECHNICAL)
    text = "製品の強度試験をお願いしたい"
    assert classify.suggest(chiba.pk, text)[0].category_id == cats["technical"].pk
    TrainingExample.objects.filter(category=cats["technical"]).update(category=cats["research"])
    assert classify.suggest(chiba.pk, text)[0].category_id == cats["research"].pk


def test_the_suggestion_is_recorded_against_the_confirmation(secretariat, chiba, case_config):
    cats = case_config["categories"]
    seed(chiba, cats["technical"], TECHNICAL)
    seed(chiba, cats["management"], MANAGEMENT)
    agreed = new_case(secretariat, "強度試験の評価")
    services.case_classify(actor=secretariat, case_id=agreed.pk, category="technical")
    overruled = new_case(secretariat, "強度試験の評価をしたい")
    services.case_classify(actor=secretariat, case_id=overruled.pk, category="funding")
    flags = [
        CaseEvent.objects.get(case=c, kind=EventKind.CLASSIFIED).data["suggestion_agreed"]
        for c in (agreed, overruled)
    ]
    assert flags == [True, False]


def test_classification_refuses_unknown_codes_and_changes_nothing(secretariat, chiba, case_config):
    case = new_case(secretariat, "相談")
    with pytest.raises(ValidationFailed) as exc:
        services.case_classify(
            actor=secretariat, case_id=case.pk, category="", target_field="nowhere", stage="moon"
        )
    errors = exc.value.field_errors
    assert errors["category"] == ["相談区分を選んでください。"]
    assert errors["target_field"] == ["支援対象分野「nowhere」はありません。"]
    assert errors["stage"] == ["事業段階「moon」はありません。"]
    assert not TrainingExample.objects.filter(case=case).exists()
    assert not Case.objects.get(pk=case.pk).classification_confirmed


def test_a_target_field_of_another_region_is_refused(secretariat, chiba, yamagata):
    TargetField.objects.create(region=yamagata, code="yamagata-only", name="山形の分野")
    national = TargetField.objects.create(region=None, code="digital", name="デジタル")
    case = new_case(secretariat, "相談")
    with pytest.raises(ValidationFailed) as exc:
        services.case_classify(
            actor=secretariat, case_id=case.pk, category="technical", target_field="yamagata-only"
        )
    assert list(exc.value.field_errors) == ["target_field"]
    ok = services.case_classify(
        actor=secretariat, case_id=case.pk, category="technical", target_field="digital"
    )
    assert ok.target_field == national


def test_reclassifying_changes_the_sla_targets(secretariat, chiba):
    case = new_case(secretariat, "相談")
    assert (case.first_response_days, case.resolution_days) == (2, 20)
    case = services.case_classify(actor=secretariat, case_id=case.pk, category="technical")
    assert (case.first_response_days, case.resolution_days) == (3, 30)
    child = Category.objects.create(
        code="technical-test", name="試験・分析", parent=Category.objects.get(code="technical")
    )
    case = services.case_classify(actor=secretariat, case_id=case.pk, category=child.code)
    assert (case.first_response_days, case.resolution_days) == (3, 30)  # the parent's policy
    case = services.case_classify(actor=secretariat, case_id=case.pk, category="funding")
    assert (case.first_response_days, case.resolution_days) == (2, 20)  # the region's default


def test_a_viewer_cannot_confirm(secretariat, make_staff):
    case = new_case(secretariat, "相談")
    viewer = make_staff("chiba_pref", StaffRole.VIEWER)
    with pytest.raises(PermissionDenied):
        services.case_classify(actor=viewer, case_id=case.pk, category="technical")
    assert not TrainingExample.objects.exists()


# --- the model itself, without the database ----------------------------------------------------------------

TEXTS = st.text(alphabet=st.sampled_from("強度試験経営計画資金研究開発ＡＢＣabc 　\n、。"), max_size=40)


@hypothesis_settings(max_examples=200, deadline=None)
@given(examples=st.lists(st.tuples(st.integers(1, 4), TEXTS), max_size=12), text=TEXTS)
def test_probabilities_are_a_distribution(examples, text):
    ranked = _Model(examples).predict(text)
    assert all(0.0 <= s.probability <= 1.0 for s in ranked)
    if ranked:
        assert abs(sum(s.probability for s in ranked) - 1.0) < 1e-9
        assert [s.probability for s in ranked] == sorted((s.probability for s in ranked), reverse=True)
        assert {s.category_id for s in ranked} == {c for c, _ in examples}


def test_features_are_character_bigrams_of_the_normalized_text():
    assert features("ＡＢ c") == features("abc")
    assert set(features("強度試験")) == {"強度", "度試", "試験"}
    assert features("あ") == {}
