"""companies.services: every write, with every kind of bad input; nothing is half-written."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from renkei.companies.choices import Sector, SizeClass
from renkei.companies.models import Company
from renkei.companies.services import company_create, company_update
from renkei.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from renkei.network.choices import StaffRole

from .factories import CompanyFactory, MembershipFactory, UserFactory

NUMBER = "7000012050002"  # a valid 法人番号 (国税庁)
OTHER_NUMBER = "4000020120006"  # another valid one (千葉県)
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

VALID = {
    "corporate_number": "７０００－０１２０－５０００２",
    "name": "株式会社　テスト製作所",
    "kana": "てすとせいさくしょ",
    "jsic_code": "2511",  # ボイラ製造業 → 製造業その他
    "capital": "１０，０００，０００",
    "employees": "45人",
    "founded_on": "昭和55年4月1日",
    "postal_code": "〒260-8667",
    "municipality_code": "121011",  # 千葉市中央区
    "address": "市場町1-1",
    "phone": "043-223-2711",
    "url": "https://example.jp/",
    "technologies": "精密切削、ＩｏＴ",
    "consent_share_region": "はい",
}

# (key, bad value, message fragment) — each must be reported on that very field.
BAD_INPUTS = [
    ("corporate_number", "1000012050002", "チェックデジット"),
    ("corporate_number", "000012050002", "入力は 12 桁"),
    ("corporate_number", "70000120500AB", "数字以外"),
    ("jsic_code", "1234", "日本標準産業分類（第14回改定）にありません"),
    ("jsic_code", "251", "小分類"),
    ("jsic_code", "25", "中分類"),
    ("jsic_code", "E", "大分類"),
    ("employees", "-1", "0以上"),
    ("employees", "四十五", "整数"),
    ("capital", str(10**15 + 1), "大きすぎます"),
    ("capital", "1.5", "整数"),
    ("founded_on", "2999-01-01", "未来の日付"),
    ("founded_on", "令和6年2月30日", "形式"),
    ("postal_code", "260-866", "7桁"),
    ("postal_code", "٢٦٠٨٦٦٧", "7桁"),  # Arabic-Indic digits are not a 郵便番号
    ("municipality_code", "999999", "全国地方公共団体コードにありません"),
    ("municipality_code", "12999", "全国地方公共団体コードにありません"),
    ("name", "", "企業名を入力"),
    ("name", "テスト\x00製作所", "制御文字"),
    ("name", "株" * 201, "200文字以内"),
    ("kana", "テストKK漢字", "ひらがなまたはカタカナ"),
    ("phone", "043-223-2711 内線", "電話番号"),
    ("url", "javascript:alert(1)", "http://"),
    ("technologies", "切削\x00", "制御文字"),
    ("consent_share_region", "たぶん", "「はい」か「いいえ」"),
]
bad_ids = [f"{key}-{i}" for i, (key, _, _) in enumerate(BAD_INPUTS)]


@pytest.fixture
def member(make_staff):
    return make_staff("chiba_lab", StaffRole.MEMBER)


def field_errors(exc: ValidationFailed | Conflict) -> dict[str, list[str]]:
    return exc.field_errors


def assert_japanese(messages: list[str]) -> None:
    assert messages and all(JAPANESE.search(m) for m in messages)


def test_create_cleans_and_derives(member, orgs):
    company = company_create(actor=member, data=VALID)
    company.refresh_from_db()
    assert company.corporate_number == NUMBER
    assert company.name == "株式会社 テスト製作所"
    assert company.capital == 10_000_000 and company.employees == 45
    assert company.founded_on == dt.date(1980, 4, 1)
    assert company.postal_code == "260-8667"
    assert company.municipality_id == "121011"
    assert company.jsic_id == "2511"
    assert company.technologies == "精密切削、IoT"
    assert company.owner_organization == orgs["chiba_lab"]
    assert company.region == orgs["chiba_lab"].region
    assert company.created_by == member
    assert (company.size_class, company.sector) == (SizeClass.SME, Sector.MANUFACTURING)
    assert "製造業その他" in company.size_reason


def test_five_digit_municipality_code_without_check_digit_is_completed(member):
    company = company_create(actor=member, data={**VALID, "municipality_code": "12101"})
    assert company.municipality_id == "121011"


@pytest.mark.parametrize(("key", "value", "fragment"), BAD_INPUTS, ids=bad_ids)
def test_create_with_bad_input_names_the_field_and_writes_nothing(member, key, value, fragment):
    with pytest.raises(ValidationFailed) as info:
        company_create(actor=member, data={**VALID, key: value})
    errors = field_errors(info.value)
    assert list(errors) == [key]
    assert_japanese(errors[key])
    assert any(fragment in m for m in errors[key]), errors
    assert Company.objects.count() == 0


@pytest.mark.parametrize(("key", "value", "fragment"), BAD_INPUTS, ids=bad_ids)
def test_update_with_bad_input_names_the_field_and_changes_nothing(member, key, value, fragment):
    company = company_create(actor=member, data=VALID)
    before = Company.objects.filter(pk=company.pk).values().get()
    with pytest.raises(ValidationFailed) as info:
        company_update(actor=member, company_id=company.pk, data={"employees": "9", key: value})
    errors = field_errors(info.value)
    assert list(errors) == [key]
    assert any(fragment in m for m in errors[key]), errors
    assert Company.objects.filter(pk=company.pk).values().get() == before


def test_every_bad_field_is_reported_at_once(member):
    data = {**VALID, "corporate_number": "123", "postal_code": "1", "employees": "-5", "jsic_code": "0000"}
    with pytest.raises(ValidationFailed) as info:
        company_create(actor=member, data=data)
    assert set(info.value.field_errors) == {"corporate_number", "postal_code", "employees", "jsic_code"}
    assert Company.objects.count() == 0


def test_html_in_the_name_is_stored_verbatim(member):
    name = '<script>alert("x")</script><b>株式会社</b> & Co.'
    company = company_create(actor=member, data={**VALID, "name": name})
    company.refresh_from_db()
    assert company.name == name


def test_minimal_company_has_unknown_size(member):
    company = company_create(actor=member, data={"name": "名前だけ商店"})
    assert company.size_class == SizeClass.UNKNOWN
    assert company.corporate_number is None and company.jsic_id is None
    assert company.consent_recorded_on is None


def test_size_class_is_recomputed_on_update(member):
    company = company_create(
        actor=member, data={**VALID, "capital": 10 * 10**8, "employees": 500}
    )  # 製造業, 10億円, 500人
    assert company.size_class == SizeClass.LARGE
    company = company_update(actor=member, company_id=company.pk, data={"employees": "300"})
    assert company.size_class == SizeClass.SME
    company = company_update(
        actor=member, company_id=company.pk, data={"jsic_code": "5611"}
    )  # 百貨店 → 小売業
    assert (company.size_class, company.sector) == (SizeClass.LARGE, Sector.RETAIL)
    company = company_update(actor=member, company_id=company.pk, data={"employees": "5"})
    assert company.size_class == SizeClass.SMALL
    company = company_update(actor=member, company_id=company.pk, data={"jsic_code": ""})
    assert company.size_class == SizeClass.UNKNOWN
    stored = Company.objects.get(pk=company.pk)
    assert (stored.size_class, stored.sector, stored.employees) == (SizeClass.UNKNOWN, "", 5)


def test_update_changes_only_the_keys_given(member):
    company = company_create(actor=member, data=VALID)
    company_update(actor=member, company_id=company.pk, data={"phone": "０４３－２２３－２７１２"})
    stored = Company.objects.get(pk=company.pk)
    assert stored.phone == "043-223-2712"
    assert (
        stored.corporate_number == NUMBER and stored.employees == 45 and stored.url == "https://example.jp/"
    )


def test_update_ignores_keys_that_are_not_company_fields(member, orgs):
    company = company_create(actor=member, data=VALID)
    company_update(
        actor=member,
        company_id=company.pk,
        data={"owner_organization_id": orgs["chiba_bank_a"].pk, "size_class": "large", "name": "改名"},
    )
    stored = Company.objects.get(pk=company.pk)
    assert stored.name == "改名"
    assert stored.owner_organization == orgs["chiba_lab"]
    assert stored.size_class == SizeClass.SME


def test_duplicate_corporate_number_in_the_same_region_is_a_conflict(member, make_staff):
    company_create(actor=member, data=VALID)
    colleague = make_staff("chiba_pref", StaffRole.COORDINATOR)
    with pytest.raises(Conflict) as info:
        company_create(
            actor=colleague, data={**VALID, "name": "別名", "corporate_number": "7-0000-1205-0002"}
        )
    assert list(info.value.field_errors) == ["corporate_number"]
    assert_japanese(info.value.field_errors["corporate_number"])
    assert Company.objects.count() == 1


def test_same_corporate_number_is_allowed_in_another_region(member, make_staff, orgs):
    company_create(actor=member, data=VALID)
    yamagata = make_staff("yamagata_center", StaffRole.MEMBER)
    other = company_create(actor=yamagata, data={**VALID, "municipality_code": ""})
    assert other.corporate_number == NUMBER
    assert other.region == orgs["yamagata_center"].region
    assert Company.objects.filter(corporate_number=NUMBER).count() == 2


def test_update_to_a_number_already_used_in_the_region_is_a_conflict(member):
    company_create(actor=member, data=VALID)
    second = company_create(actor=member, data={**VALID, "corporate_number": OTHER_NUMBER, "name": "二社目"})
    with pytest.raises(Conflict):
        company_update(actor=member, company_id=second.pk, data={"corporate_number": NUMBER, "name": "変更"})
    stored = Company.objects.get(pk=second.pk)
    assert (stored.corporate_number, stored.name) == (OTHER_NUMBER, "二社目")
    # Keeping its own number is no conflict.
    assert company_update(actor=member, company_id=second.pk, data={"corporate_number": OTHER_NUMBER})


def test_consent_date_is_recorded_when_consent_changes(member):
    today = dt.date.today()
    company = company_create(actor=member, data=VALID)
    assert company.consent_recorded_on == today
    quiet = company_create(
        actor=member, data={**VALID, "corporate_number": "", "consent_share_region": "いいえ"}
    )
    assert quiet.consent_recorded_on is None

    long_ago = dt.date(2020, 4, 1)
    Company.objects.filter(pk=company.pk).update(consent_recorded_on=long_ago)
    company_update(actor=member, company_id=company.pk, data={"name": "改名", "consent_share_region": "はい"})
    assert Company.objects.get(pk=company.pk).consent_recorded_on == long_ago  # unchanged consent

    company_update(actor=member, company_id=company.pk, data={"consent_share_outside": "同意"})
    assert Company.objects.get(pk=company.pk).consent_recorded_on == today
    Company.objects.filter(pk=company.pk).update(consent_recorded_on=long_ago)
    company_update(actor=member, company_id=company.pk, data={"consent_share_region": "いいえ"})  # withdrawn
    stored = Company.objects.get(pk=company.pk)
    assert stored.consent_recorded_on == today and not stored.consent_share_region


def test_viewer_cannot_create(make_staff):
    viewer = make_staff("chiba_lab", StaffRole.VIEWER)
    with pytest.raises(PermissionDenied) as info:
        company_create(actor=viewer, data=VALID)
    assert JAPANESE.search(info.value.message)
    assert Company.objects.count() == 0


def test_user_without_membership_cannot_create(db):
    with pytest.raises(PermissionDenied):
        company_create(actor=UserFactory(), data=VALID)
    assert Company.objects.count() == 0


def test_member_cannot_name_an_organization_they_do_not_belong_to(member, orgs):
    for other in ("chiba_bank_a", "yamagata_center"):
        with pytest.raises(ValidationFailed) as info:
            company_create(actor=member, data=VALID, owner_organization_id=orgs[other].pk)
        assert list(info.value.field_errors) == ["owner_organization"]
        assert_japanese(info.value.field_errors["owner_organization"])
    assert Company.objects.count() == 0


def test_viewer_membership_does_not_make_an_organization_a_possible_owner(make_staff, orgs):
    user = make_staff("chiba_lab", StaffRole.MEMBER, username="two-hats")
    MembershipFactory(user=user, organization=orgs["chiba_pref"], role=StaffRole.VIEWER)
    with pytest.raises(ValidationFailed):
        company_create(actor=user, data=VALID, owner_organization_id=orgs["chiba_pref"].pk)
    company = company_create(actor=user, data=VALID, owner_organization_id=orgs["chiba_lab"].pk)
    assert company.owner_organization == orgs["chiba_lab"]


def test_superuser_must_name_an_existing_owner(superuser, orgs):
    with pytest.raises(ValidationFailed) as info:
        company_create(actor=superuser, data=VALID)
    assert list(info.value.field_errors) == ["owner_organization"]
    with pytest.raises(ValidationFailed) as info:
        company_create(actor=superuser, data=VALID, owner_organization_id=10**9)
    assert list(info.value.field_errors) == ["owner_organization"]
    company = company_create(actor=superuser, data=VALID, owner_organization_id=orgs["yamagata_pref"].pk)
    assert company.region == orgs["yamagata_pref"].region
    assert Company.objects.count() == 1


def test_who_may_update(make_staff, orgs):
    company = CompanyFactory(owner_organization=orgs["chiba_lab"], consent_share_region=True)
    # The region's secretariat may edit what the company agreed to share in the region …
    secretariat = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    assert company_update(actor=secretariat, company_id=company.pk, data={"employees": "12"}).employees == 12
    # … a plain member of another body sees it but may not edit it …
    pref_member = make_staff("chiba_pref", StaffRole.MEMBER)
    with pytest.raises(PermissionDenied):
        company_update(actor=pref_member, company_id=company.pk, data={"employees": "13"})
    # … a viewer of the owner may not edit …
    viewer = make_staff("chiba_lab", StaffRole.VIEWER)
    with pytest.raises(PermissionDenied):
        company_update(actor=viewer, company_id=company.pk, data={"employees": "13"})
    # … and a bank or another region does not even see it.
    for key in ("chiba_bank_a", "yamagata_center"):
        with pytest.raises(NotFound):
            company_update(
                actor=make_staff(key, StaffRole.SECRETARIAT), company_id=company.pk, data={"employees": "13"}
            )
    assert Company.objects.get(pk=company.pk).employees == 12


def test_update_of_a_missing_company_is_not_found(member):
    for company_id in (10**9, "abc"):
        with pytest.raises(NotFound):
            company_update(actor=member, company_id=company_id, data={"name": "x"})


def test_only_the_owner_organization_changes_consent(make_staff, orgs):
    """A coordinator of another body may edit a consented company, but not withdraw or widen its consent."""
    company = CompanyFactory(owner_organization=orgs["chiba_lab"], consent_share_region=True)
    coordinator = make_staff("chiba_pref", StaffRole.COORDINATOR)
    for key, value in (("consent_share_region", False), ("consent_share_outside", True)):
        with pytest.raises(ValidationFailed) as info:
            company_update(actor=coordinator, company_id=company.pk, data={key: value})
        assert list(info.value.field_errors) == [key]
        assert "登録した機関だけ" in info.value.field_errors[key][0]
    company.refresh_from_db()
    assert (company.consent_share_region, company.consent_share_outside) == (True, False)
    # Other fields, and the same consent value, are fine for the coordinator.
    company_update(
        actor=coordinator, company_id=company.pk, data={"products": "治具", "consent_share_region": True}
    )
    owner = make_staff("chiba_lab", StaffRole.MEMBER)
    company_update(actor=owner, company_id=company.pk, data={"consent_share_region": False})
    company.refresh_from_db()
    assert company.products == "治具" and company.consent_share_region is False


def test_parse_date_refuses_absurd_years_with_value_error():
    from renkei.companies.validation import parse_date

    for value in (
        "99999999999999999999-1-1",
        "令和99999999999999999999年1月1日",
        "99999999999999999999年1月1日",
    ):
        with pytest.raises(ValueError):
            parse_date(value)
