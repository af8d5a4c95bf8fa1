"""Catalog models, services and selectors: validation in Japanese, who may write, who may see."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile

from renkei.catalog import services
from renkei.catalog.models import (
    CatalogSource,
    Equipment,
    Researcher,
    ResearchSeed,
    SupportProgram,
    TestService,
)
from renkei.catalog.selectors import catalog_list, item_detail
from renkei.core.errors import NotFound, PermissionDenied, ValidationFailed
from renkei.network.choices import StaffRole

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def fields_of(exc: ValidationFailed) -> dict[str, list[str]]:
    return exc.field_errors


@pytest.fixture
def lab_member(make_staff):
    return make_staff("chiba_lab", StaffRole.MEMBER)


@pytest.fixture
def chamber(lab_member, orgs):
    return services.equipment_create(
        actor=lab_member,
        data={
            "organization": orgs["chiba_lab"].pk,
            "name": "恒温恒湿槽",
            "category": "環境試験",
            "fee_summary": "1時間 ８００円",
            "specifications": "温度 -40〜+150℃\n湿度 20〜98%RH",
        },
    )


# ---- Validation ------------------------------------------------------------------------------------------------


def test_equipment_create_cleans_input_and_takes_the_organizations_region(chamber, orgs, lab_member):
    assert chamber.region_id == orgs["chiba_lab"].region_id
    assert (chamber.category, chamber.fee_summary, chamber.external_use, chamber.is_public) == (
        "environment",
        "1時間 800円",
        True,
        True,
    )
    assert chamber.specifications == "温度 -40〜+150°C\n湿度 20〜98%RH"  # NFKC: ℃ → °C
    assert chamber.created_by == lab_member and chamber.source is None
    assert str(chamber) == "恒温恒湿槽"


def test_bad_input_gets_specific_japanese_errors_and_nothing_is_saved(lab_member, orgs):
    with pytest.raises(ValidationFailed) as exc:
        services.equipment_create(
            actor=lab_member,
            data={
                "organization": orgs["chiba_lab"].pk,
                "name": "",
                "category": "宇宙",
                "external_use": "たぶん",
            },
        )
    errors = fields_of(exc.value)
    assert errors["name"] == ["機器名を入力してください。"]
    assert errors["category"][0].startswith("分類は 分析・計測、試験・評価、")
    assert errors["external_use"] == ["外部利用可は「はい」か「いいえ」で入力してください。"]
    assert Equipment.objects.count() == 0


def test_equipment_needs_an_organization_and_unknown_fields_are_refused(lab_member):
    with pytest.raises(ValidationFailed) as exc:
        services.equipment_create(actor=lab_member, data={"name": "X線CT", "colour": "red"})
    errors = fields_of(exc.value)
    assert errors["organization"] == ["機器を持つ機関を指定してください。"]
    assert errors["colour"] == ["「colour」という項目はありません。"]


def test_test_service_fee_accepts_fullwidth_digits_and_refuses_words(lab_member, orgs, chamber):
    service = services.test_service_create(
        actor=lab_member,
        data={
            "organization": orgs["chiba_lab"].pk,
            "name": "塩水噴霧試験",
            "standard": "JIS Z 2371",
            "fee_yen": "１２，０００円",
            "equipment": chamber.pk,
        },
    )
    assert service.fee_yen == 12_000 and service.equipment == chamber and str(service) == "塩水噴霧試験"
    with pytest.raises(ValidationFailed) as exc:
        services.test_service_create(
            actor=lab_member, data={"organization": orgs["chiba_lab"].pk, "name": "硬さ", "fee_yen": "安い"}
        )
    assert fields_of(exc.value)["fee_yen"][0].startswith("手数料は数字で入力してください")


def test_test_service_equipment_must_belong_to_the_same_organization(make_staff, orgs, chamber):
    other = make_staff("chiba_pref", StaffRole.SECRETARIAT)  # may write for every Chiba body
    with pytest.raises(ValidationFailed) as exc:
        services.test_service_create(
            actor=other,
            data={"organization": orgs["chiba_pref"].pk, "name": "引張試験", "equipment": chamber.pk},
        )
    assert "別の機関の機器です" in fields_of(exc.value)["equipment"][0]


def test_program_rate_fiscal_year_and_eligibility(superuser, orgs):
    program = services.program_create(
        actor=superuser,
        data={
            "organization": orgs["chiba_pref"].pk,
            "title": "研究開発補助事業",
            "kind": "補助金",
            "rate_text": "補助対象経費の３／４以内",
            "cap_yen": "1,500万円",
            "opens_on": "2026-03-31",
            "closes_on": "令和8年5月31日",
            "purposes": "研究開発、設備投資",
            "eligibility": {"employees": {"min": None, "max": 300}, "prefectures": ["12"]},
        },
    )
    assert (program.rate_numerator, program.rate_denominator, program.rate_label) == (3, 4, "3/4")
    assert program.cap_yen == 15_000_000 and program.fiscal_year == 2025  # 2026-03-31 is in 令和7年度
    assert program.purposes == ["研究開発", "設備投資"] and program.region_id == orgs["chiba_pref"].region_id

    updated = services.program_update(actor=superuser, program_id=program.pk, data={"opens_on": "2026-04-01"})
    assert updated.fiscal_year == 2026
    updated = services.program_update(
        actor=superuser, program_id=program.pk, data={"fiscal_year": "令和9年度"}
    )
    assert updated.fiscal_year == 2027 and updated.title == "研究開発補助事業"


def test_program_errors_name_their_paths(superuser):
    with pytest.raises(ValidationFailed) as exc:
        services.program_create(
            actor=superuser,
            data={
                "title": "施策",
                "eligibility": {"employees": {"max": -1}},
                "opens_on": "2025-06-01",
                "closes_on": "2025-05-01",
                "rate_numerator": 4,
                "rate_denominator": 3,
                "purposes": ["宇宙開発"],
            },
        )
    errors = fields_of(exc.value)
    assert "eligibility.employees.max" in errors
    assert errors["closes_on"][0].startswith("受付締切日（2025-05-01）が受付開始日（2025-06-01）より前です")
    assert "補助率 4/3 は正しくありません" in errors["rate_numerator"][0]
    assert errors["purposes"][0].startswith("目的「宇宙開発」は使えません")
    assert SupportProgram.objects.count() == 0


# ---- Who may write ---------------------------------------------------------------------------------------------


def test_a_bank_and_another_organization_cannot_edit_the_labs_equipment(make_staff, chamber):
    for org_key in ("chiba_bank_a", "yamagata_center"):
        user = make_staff(org_key, StaffRole.SECRETARIAT)
        with pytest.raises(PermissionDenied):
            services.equipment_update(actor=user, equipment_id=chamber.pk, data={"name": "書き換え"})
    chamber.refresh_from_db()
    assert chamber.name == "恒温恒湿槽"


def test_the_regions_secretariat_and_a_superuser_may_edit(make_staff, superuser, chamber):
    secretariat = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    assert (
        services.equipment_update(
            actor=secretariat, equipment_id=chamber.pk, data={"location": "本館1階"}
        ).location
        == "本館1階"
    )
    assert (
        services.equipment_update(
            actor=superuser, equipment_id=chamber.pk, data={"maker": "エスペック"}
        ).maker
        == "エスペック"
    )


def test_viewers_cannot_write_and_members_cannot_register_for_another_body(make_staff, orgs, lab_member):
    viewer = make_staff("chiba_lab", StaffRole.VIEWER)
    with pytest.raises(PermissionDenied):
        services.equipment_create(actor=viewer, data={"organization": orgs["chiba_lab"].pk, "name": "SEM"})
    with pytest.raises(PermissionDenied) as exc:
        services.equipment_create(
            actor=lab_member, data={"organization": orgs["yamagata_center"].pk, "name": "SEM"}
        )
    assert "山形県の事務局" in exc.value.message


def test_a_member_cannot_move_an_item_to_a_body_it_does_not_belong_to(lab_member, orgs, chamber):
    with pytest.raises(PermissionDenied):
        services.equipment_update(
            actor=lab_member, equipment_id=chamber.pk, data={"organization": orgs["chiba_pref"].pk}
        )


def test_items_without_an_organization_belong_to_a_secretariats_region_or_the_nation(
    make_staff, superuser, chiba, lab_member
):
    secretariat = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    seed = services.seed_create(
        actor=secretariat, data={"title": "ナノシートの自己組織化", "institution_name": "福岡工業大学"}
    )
    assert seed.region == chiba and seed.institution is None and seed.institution_label == "福岡工業大学"
    national = services.program_create(actor=superuser, data={"title": "ものづくり補助金"})
    assert national.region is None
    with pytest.raises(PermissionDenied):
        services.program_update(actor=secretariat, program_id=national.pk, data={"title": "x"})
    with pytest.raises(ValidationFailed) as exc:
        services.seed_create(actor=lab_member, data={"title": "機関なしのシーズ"})
    assert "機関を決めずに登録できるのは地域の事務局だけです" in fields_of(exc.value)["institution"][0]


def test_seed_with_researcher_and_researcher_fields(make_staff, orgs):
    univ_staff = make_staff("chiba_lab", StaffRole.COORDINATOR)
    researcher = services.researcher_create(
        actor=univ_staff,
        data={
            "organization": orgs["chiba_lab"].pk,
            "name": "宮元 展義",
            "affiliation": "工学部 准教授",
            "fields": ["無機化学", "材料化学"],
            "kaken_researcher_number": "８０３９１２６７",
        },
    )
    assert (
        researcher.kaken_researcher_number == "80391267" and str(researcher) == "宮元 展義（工学部 准教授）"
    )
    seed = services.seed_create(
        actor=univ_staff,
        data={
            "institution": orgs["chiba_lab"].pk,
            "researcher": researcher.pk,
            "title": "人工筋肉",
            "keywords": "ナノシート、人工筋肉、ナノシート",
            "ip_status": "出願中",
            "stage": "応用研究",
        },
    )
    assert seed.keywords == ["ナノシート", "人工筋肉"] and (seed.ip_status, seed.stage) == (
        "pending",
        "applied",
    )
    with pytest.raises(ValidationFailed) as exc:
        services.researcher_create(
            actor=univ_staff,
            data={"organization": orgs["chiba_lab"].pk, "name": "X", "kaken_researcher_number": "123"},
        )
    assert fields_of(exc.value)["kaken_researcher_number"] == [
        "科研費研究者番号は数字8桁で入力してください（例: 80391267）。"
    ]


# ---- Photos ----------------------------------------------------------------------------------------------------


def test_equipment_photo_only_jpeg_or_png(
    lab_member, orgs, chamber, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationFailed) as exc:
        services.equipment_update(
            actor=lab_member,
            equipment_id=chamber.pk,
            data={},
            photo=SimpleUploadedFile("a.gif", b"GIF89a...."),
        )
    assert fields_of(exc.value)["photo"] == ["写真は JPEG（.jpg）か PNG（.png）の画像を選んでください。"]
    with pytest.raises(ValidationFailed) as exc:
        services.equipment_update(
            actor=lab_member, equipment_id=chamber.pk, data={}, photo=SimpleUploadedFile("a.png", b"<script>")
        )
    assert "PNG の画像ではありません" in fields_of(exc.value)["photo"][0]

    saved = services.equipment_update(
        actor=lab_member, equipment_id=chamber.pk, data={}, photo=SimpleUploadedFile("../../恒温槽.PNG", PNG)
    )
    assert saved.photo.name.startswith("catalog/equipment/") and saved.photo.name.endswith(".png")
    assert "恒温槽" not in saved.photo.name and (tmp_path / saved.photo.name).read_bytes() == PNG
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        removed = services.equipment_update(
            actor=lab_member, equipment_id=chamber.pk, data={}, remove_photo=True
        )
        assert (tmp_path / saved.photo.name).exists()  # kept until the change is committed
    assert callbacks and not removed.photo and not (tmp_path / saved.photo.name).exists()


# ---- Who may see -----------------------------------------------------------------------------------------------


def test_anonymous_users_see_only_public_items(lab_member, orgs, chamber, make_staff):
    hidden = services.equipment_create(
        actor=lab_member,
        data={"organization": orgs["chiba_lab"].pk, "name": "準備中の装置", "is_public": "いいえ"},
    )
    anonymous = AnonymousUser()
    assert list(catalog_list("equipment", anonymous)) == [chamber]
    with pytest.raises(NotFound):
        item_detail("equipment", hidden.pk, anonymous)
    other = make_staff("yamagata_center", StaffRole.SECRETARIAT)
    with pytest.raises(NotFound):
        item_detail("equipment", hidden.pk, other)
    assert item_detail("equipment", hidden.pk, lab_member) == hidden
    viewer = make_staff("chiba_lab", StaffRole.VIEWER)
    assert set(catalog_list("equipment", viewer)) == {chamber, hidden}
    assert set(catalog_list("equipment", make_staff("chiba_pref", StaffRole.SECRETARIAT))) == {
        chamber,
        hidden,
    }
    with pytest.raises(NotFound):  # an item the user cannot see cannot be edited either
        services.equipment_update(actor=other, equipment_id=hidden.pk, data={"name": "x"})


def test_catalog_list_filters(superuser, orgs, chiba):
    services.program_create(
        actor=superuser,
        data={
            "title": "全国の補助金",
            "kind": "補助金",
            "opens_on": "2025-04-01",
            "closes_on": "2025-06-30",
            "purposes": ["研究開発"],
        },
    )
    services.program_create(
        actor=superuser,
        data={
            "title": "千葉の融資",
            "kind": "融資",
            "organization": orgs["chiba_pref"].pk,
            "purposes": ["設備投資"],
        },
    )
    services.program_create(
        actor=superuser,
        data={
            "title": "山形の展示会出展",
            "kind": "展示会",
            "organization": orgs["yamagata_pref"].pk,
            "opens_on": "2026-04-01",
        },
    )
    anonymous = AnonymousUser()

    def titles(**kw) -> set[str]:
        return {p.title for p in catalog_list("programs", anonymous, **kw)}

    assert titles(region="chiba") == {"全国の補助金", "千葉の融資"}
    assert titles(program_kind="loan") == {"千葉の融資"}
    assert titles(fiscal_year=2026) == {"山形の展示会出展"}
    assert titles(purpose="研究開発") == {"全国の補助金"}
    assert titles(open_on=dt.date(2025, 7, 1)) == {"千葉の融資"}
    assert titles(q="ＳＥＭ 融資") == set() and titles(q="千葉 融資") == {"千葉の融資"}
    with pytest.raises(ValidationFailed):
        catalog_list("rockets", anonymous)


def test_str_of_every_model(superuser):
    source = CatalogSource.objects.create(name="KAKEN 科学研究費助成事業データベース")
    assert str(source) == "KAKEN 科学研究費助成事業データベース"
    assert str(Researcher(name="宮元 展義")) == "宮元 展義"
    assert str(ResearchSeed(title="人工筋肉")) == "人工筋肉"
    assert str(SupportProgram(title="ものづくり補助金")) == "ものづくり補助金"
    assert str(TestService(name="引張試験")) == "引張試験"
