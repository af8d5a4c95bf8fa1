"""The published index: versions, the pointer swap, staleness, updates after commit, and the services' rules
(visibility of catalog items and cases, explanations, eligibility verdicts) against a real database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from renkei.catalog import services as catalog
from renkei.catalog.eligibility import CompanyProfile
from renkei.core.errors import ValidationFailed
from renkei.matching import store
from renkei.matching.index import SearchIndex
from renkei.matching.models import IndexState
from renkei.matching.services import match
from renkei.network.choices import StaffRole


@pytest.fixture(autouse=True)
def _own_data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path  # this test's index versions only


@pytest.fixture
def lab(make_staff):
    return make_staff("chiba_lab", StaffRole.MEMBER)


@pytest.fixture
def tester(lab, orgs):
    return catalog.equipment_create(
        actor=lab,
        data={
            "organization": orgs["chiba_lab"].pk,
            "name": "万能材料試験機",
            "category": "試験・評価",
            "specifications": "樹脂・金属の引張、圧縮、曲げ試験。最大荷重 100kN。",
            "fee_summary": "1時間 2,500円",
        },
    )


@pytest.fixture
def hidden(lab, orgs):
    return catalog.equipment_create(
        actor=lab,
        data={
            "organization": orgs["chiba_lab"].pk,
            "name": "非公開の試作用チャンバー",
            "category": "環境試験",
            "specifications": "ゾルゲル膜の焼成に使う雰囲気炉。",
            "is_public": False,
        },
    )


def test_rebuild_publishes_a_version_and_every_reader_follows_the_pointer(db, tester):
    first = store.rebuild()
    index = store.current_index()
    assert index is not None and index.meta["version"] == first.version
    assert f"equipment:{tester.pk}" in index.position
    second = store.rebuild()
    assert second.version != first.version
    assert store.current_version() == second.version
    assert store.current_index().meta["version"] == second.version  # reloaded on the pointer change
    # a saved version loads back with the same answers
    loaded = SearchIndex.load(store.root() / second.version)
    assert loaded.keys == store.current_index().keys


def test_old_versions_are_pruned(db, tester):
    versions = [store.rebuild().version for _ in range(4)]
    kept = sorted(p.name for p in store.root().iterdir() if p.is_dir() and not p.name.startswith("."))
    assert versions[-1] in kept
    assert versions[0] not in kept
    assert len(kept) <= store.KEEP_VERSIONS


def test_a_catalog_write_marks_the_index_stale_and_the_task_brings_it_up_to_date(
    db, settings, lab, orgs, tester
):
    store.rebuild()
    assert not store.is_stale()
    settings.RENKEI_INDEX_UPDATES = "task"  # the immediate task backend runs the update right after commit
    with transaction.atomic():
        created = catalog.equipment_create(
            actor=lab,
            data={"organization": orgs["chiba_lab"].pk, "name": "電波暗室", "category": "電気・電子・EMC"},
        )
        assert store.is_stale()  # marked inside the writer's transaction
    # pytest-django's transaction is not committed, so run what on_commit would run
    from renkei.matching.tasks import update_index

    update_index.call()
    assert not store.is_stale()
    assert f"equipment:{created.pk}" in store.current_index().position


def test_manual_mode_only_marks(db, lab, orgs, tester):
    store.rebuild()
    catalog.equipment_create(
        actor=lab,
        data={"organization": orgs["chiba_lab"].pk, "name": "塩水噴霧試験機", "category": "環境試験"},
    )
    state = IndexState.objects.get(pk=1)
    assert state.changed_at > state.built_from
    assert store.rebuild_if_stale() is not None
    assert store.rebuild_if_stale() is None  # nothing changed since


def test_match_explains_and_hides_unpublished_items(db, tester, hidden, make_staff, orgs):
    store.rebuild()
    anonymous = match(user=AnonymousUser(), text="樹脂の引張強度を測りたい")
    assert anonymous.items and anonymous.items[0].key == f"equipment:{tester.pk}"
    explanation = anonymous.items[0].explanation
    assert "樹脂" in explanation.matched and "引張" in explanation.matched
    assert any(is_match and text == "樹脂" for text, is_match in explanation.snippet)
    # the unpublished instrument: its owner's staff see it, another body's staff and anonymous users do not
    query = "ゾルゲル膜の焼成"
    assert f"equipment:{hidden.pk}" not in {i.key for i in match(user=AnonymousUser(), text=query).items}
    outsider = make_staff("yamagata_center", StaffRole.MEMBER)
    assert f"equipment:{hidden.pk}" not in {i.key for i in match(user=outsider, text=query).items}
    owner = make_staff("chiba_lab", StaffRole.VIEWER)
    assert f"equipment:{hidden.pk}" in {i.key for i in match(user=owner, text=query).items}


@pytest.mark.parametrize(
    ("text", "field"), [("", "q"), ("   \u3000", "q"), ("。、", "q"), ("あ" * 10_001, "q")]
)
def test_bad_queries_are_field_errors(db, text, field):
    with pytest.raises(ValidationFailed) as caught:
        match(user=AnonymousUser(), text=text)
    assert caught.value.errors[0].field == field


def test_unknown_kind_is_refused(db):
    with pytest.raises(ValidationFailed) as caught:
        match(user=AnonymousUser(), text="樹脂", kinds=["spaceship"])
    assert caught.value.errors[0].field == "kind"
    assert "spaceship" in caught.value.errors[0].message


def test_program_results_carry_the_eligibility_verdict(db, make_staff, chiba):
    secretariat = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    program = catalog.program_create(
        actor=secretariat,
        data={
            "title": "ものづくり研究開発補助金",
            "kind": "補助金",
            "summary": "県内中小企業の新製品の研究開発に要する経費を補助します。",
            "region": chiba.pk,
            "eligibility": {"employees": {"max": 300}, "prefectures": ["12"]},
        },
    )
    store.rebuild()
    profile = CompanyProfile(employees=320, prefecture_code="12")
    response = match(
        user=AnonymousUser(),
        text="新製品の研究開発に使える補助金",
        profile=profile,
        today=dt.date(2026, 11, 22),
    )
    item = next(i for i in response.items if i.key == f"program:{program.pk}")
    assert item.verdict.status == "near_miss"
    assert any("320 人" in c.message and "20 人超え" in c.message for c in item.verdict.checks)
    far = CompanyProfile(employees=900, prefecture_code="12")
    kept = match(
        user=AnonymousUser(),
        text="新製品の研究開発に使える補助金",
        profile=far,
        eligible_only=True,
        today=dt.date(2026, 11, 22),
    )
    assert f"program:{program.pk}" not in {i.key for i in kept.items}


def test_a_case_never_reaches_a_body_that_may_not_see_it(db, case_config, orgs, make_staff, superuser):
    from renkei.cases import services as cases

    bank_a = make_staff("chiba_bank_a", StaffRole.MEMBER)
    case = cases.case_create(
        actor=bank_a,
        data={"text": "融資先の工場でゾルゲル膜の剥離が起きている。原因を調べたい", "channel": "visit"},
    )
    store.rebuild()
    query = "ゾルゲル膜の剥離"
    key = f"case:{case.pk}"
    assert key in {i.key for i in match(user=superuser, text=query).items}
    assert key in {i.key for i in match(user=bank_a, text=query).items}  # its own bank
    bank_b = make_staff("chiba_bank_b", StaffRole.SECRETARIAT)  # another bank, even as its "secretariat"
    other_region = make_staff("yamagata_center", StaffRole.MEMBER)
    for user in (bank_b, other_region, AnonymousUser()):
        assert key not in {i.key for i in match(user=user, text=query).items}
        assert key not in {i.key for i in match(user=user, text=query, kinds=["case"]).items}


def test_the_snippet_shows_the_text_as_written(db, lab, orgs):
    catalog.equipment_create(
        actor=lab,
        data={
            "organization": orgs["chiba_lab"].pk,
            "name": "CFRP引張試験機",
            "category": "試験・評価",
            "specifications": "複合材料（CFRP）の引張強度を測る。",
        },
    )
    store.rebuild()
    item = match(user=AnonymousUser(), text="cfrpの強度").items[0]
    marked = [text for text, is_match in item.explanation.snippet if is_match]
    assert "CFRP" in marked  # matched case-insensitively, shown as written
    assert "cfrp" not in "".join(text for text, _ in item.explanation.snippet)


def test_an_item_unpublished_since_the_build_is_not_shown(db, lab, tester):
    store.rebuild()
    key = f"equipment:{tester.pk}"
    assert key in {i.key for i in match(user=AnonymousUser(), text="樹脂の引張試験").items}
    catalog.equipment_update(actor=lab, equipment_id=tester.pk, data={"is_public": False})
    # the index (not rebuilt: manual mode) still says public; the database read decides
    assert key not in {i.key for i in match(user=AnonymousUser(), text="樹脂の引張試験").items}
    assert key in {i.key for i in match(user=lab, text="樹脂の引張試験").items}
