"""What coordinators say of a case's suggestions: one verdict per person, case and item; only on cases they may see
and items they may see; bad keys refused in Japanese with nothing written."""

from __future__ import annotations

import math

import pytest

from renkei.cases.intake import case_create
from renkei.catalog import services as catalog
from renkei.core.errors import NotFound, ValidationFailed
from renkei.matching.feedback import feedback_for_case, feedback_record, parse_item_key
from renkei.matching.models import MatchFeedback
from renkei.network.choices import StaffRole


@pytest.fixture
def lab(make_staff):
    return make_staff("chiba_lab", StaffRole.COORDINATOR)


@pytest.fixture
def case(lab, orgs, case_config):
    data = {
        "title": "樹脂部品の強度評価",
        "text": "射出成形した樹脂部品の強度を測りたい。",
        "channel": "phone",
    }
    return case_create(actor=lab, data=data, organization_id=orgs["chiba_lab"].pk)


@pytest.fixture
def seed(superuser, orgs):
    return catalog.seed_create(
        actor=superuser,
        data={
            "title": "樹脂の疲労強度評価",
            "summary": "繰返し荷重による樹脂の劣化",
            "institution": orgs["chiba_lab"].pk,
        },
    )


def _errors(exc: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return exc.value.field_errors


def test_a_second_click_changes_the_verdict_and_keeps_one_row(lab, case, seed):
    first = feedback_record(
        actor=lab,
        case_id=case.pk,
        item_key=f"seed:{seed.pk}",
        useful=True,
        rank=2,
        score=1.25,
        query_text="樹脂部品の強度評価",
        index_version="v1",
    )
    assert (first.kind, first.useful, first.rank, first.score, first.index_version) == (
        "seed",
        True,
        2,
        1.25,
        "v1",
    )
    second = feedback_record(actor=lab, case_id=case.pk, item_key=f" seed:{seed.pk} ", useful=False, rank=3)
    assert second.pk == first.pk and MatchFeedback.objects.count() == 1
    second.refresh_from_db()
    assert (second.useful, second.rank, second.item_key) == (False, 3, f"seed:{seed.pk}")
    assert feedback_for_case(case, lab) == {f"seed:{seed.pk}": False}


def test_each_person_has_their_own_verdict(lab, case, seed, make_staff, orgs):
    secretariat = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    feedback_record(actor=lab, case_id=case.pk, item_key=f"seed:{seed.pk}", useful=True)
    feedback_record(
        actor=secretariat, case_id=case.pk, item_key=f"organization:{orgs['chiba_pref'].pk}", useful=False
    )
    assert feedback_for_case(case, lab) == {f"seed:{seed.pk}": True}
    assert feedback_for_case(case.pk, secretariat) == {f"organization:{orgs['chiba_pref'].pk}": False}
    assert MatchFeedback.objects.count() == 2


def test_a_case_the_actor_may_not_see_is_not_found(case, seed, make_staff):
    stranger = make_staff("yamagata_center", StaffRole.COORDINATOR)
    with pytest.raises(NotFound) as exc:
        feedback_record(actor=stranger, case_id=case.pk, item_key=f"seed:{seed.pk}", useful=True)
    assert exc.value.message == "相談案件が見つかりません。"
    with pytest.raises(NotFound):
        feedback_record(actor=stranger, case_id=999_999, item_key=f"seed:{seed.pk}", useful=True)
    assert not MatchFeedback.objects.exists()


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "候補の指定「（空欄）」が正しくありません（例: seed:12）。"),
        ("seed", "候補の指定「seed」が正しくありません（例: seed:12）。"),
        ("seed:abc", "候補の指定「seed:abc」が正しくありません（例: seed:12）。"),
        ("<script>:1", "候補の指定「<script>:1」が正しくありません（例: seed:12）。"),
        ("robot:1", "候補の種類「robot」はありません"),
        ("seed:999999", "指定された候補（研究シーズ 999999）は見つかりません。"),
    ],
)
def test_bogus_item_keys_are_refused_in_japanese(lab, case, key, message):
    with pytest.raises(ValidationFailed) as exc:
        feedback_record(actor=lab, case_id=case.pk, item_key=key, useful=True)
    assert _errors(exc)["item_key"][0].startswith(message)
    assert not MatchFeedback.objects.exists()


def test_parse_item_key_reads_every_known_kind():
    assert parse_item_key("test_service:7") == ("test_service", 7)
    assert parse_item_key("case:12") == ("case", 12)


def test_an_item_the_actor_may_not_see_cannot_be_judged(lab, case, superuser, orgs, make_staff):
    hidden = catalog.seed_create(
        actor=superuser,
        data={"title": "未公開の研究", "institution": orgs["yamagata_center"].pk, "is_public": False},
    )
    with pytest.raises(ValidationFailed) as exc:
        feedback_record(actor=lab, case_id=case.pk, item_key=f"seed:{hidden.pk}", useful=True)
    assert "見つかりません" in _errors(exc)["item_key"][0]
    # the owner's staff could — on a case of their own
    owner = make_staff("yamagata_center", StaffRole.COORDINATOR)
    own_case = case_create(
        actor=owner,
        data={"title": "山形の相談", "text": "研究の相談", "channel": "phone"},
        organization_id=orgs["yamagata_center"].pk,
    )
    saved = feedback_record(actor=owner, case_id=own_case.pk, item_key=f"seed:{hidden.pk}", useful=True)
    assert saved.kind == "seed"


def test_the_case_itself_and_other_organizations_cases_are_not_suggestions(lab, case, orgs, make_staff):
    with pytest.raises(ValidationFailed):
        feedback_record(actor=lab, case_id=case.pk, item_key=f"case:{case.pk}", useful=True)
    other = make_staff("yamagata_center", StaffRole.COORDINATOR)
    theirs = case_create(
        actor=other,
        data={"title": "山形の相談", "text": "樹脂の相談", "channel": "phone"},
        organization_id=orgs["yamagata_center"].pk,
    )
    with pytest.raises(ValidationFailed):
        feedback_record(actor=lab, case_id=case.pk, item_key=f"case:{theirs.pk}", useful=False)
    assert not MatchFeedback.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"useful": "yes"}, "useful"),
        ({"useful": True, "rank": 0}, "rank"),
        ({"useful": True, "rank": "3"}, "rank"),
        ({"useful": True, "score": math.nan}, "score"),
        ({"useful": True, "score": "high"}, "score"),
    ],
)
def test_bad_values_are_field_errors(lab, case, orgs, values, field):
    with pytest.raises(ValidationFailed) as exc:
        feedback_record(
            actor=lab, case_id=case.pk, item_key=f"organization:{orgs['chiba_pref'].pk}", **values
        )
    assert field in _errors(exc)
    assert not MatchFeedback.objects.exists()
