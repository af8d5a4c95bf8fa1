"""Intake: the public form and staff intake — validation in Japanese per field, the region a public consultation
lands in, the honeypot and rate limit, receipt numbers per region and 年度, the receipt mail, and nothing written
when anything is wrong. Also: the timeline is append-only."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from renkei.cases import services
from renkei.cases.choices import CaseStatus, Channel, EventKind, NotificationKind
from renkei.cases.models import (
    Case,
    CaseEvent,
    CaseSettings,
    Notification,
    PublicSubmission,
    ReceiptCounter,
)
from renkei.cases.validation import MAX_TEXT, clean_intake, parse_prefecture
from renkei.core.errors import PermissionDenied, RateLimited, ValidationFailed
from renkei.core.models import Prefecture
from renkei.network.choices import StaffRole

from .factories import CompanyFactory, MembershipFactory, RegionFactory, UserFactory

JST = ZoneInfo("Asia/Tokyo")


class FrozenNow:
    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.moment = timezone.now()
        monkeypatch.setattr(timezone, "now", lambda: self.moment)

    def set(self, day: dt.date, hour: int = 10, minute: int = 0) -> None:
        self.moment = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=JST).astimezone(dt.UTC)

    def advance(self, **delta: float) -> None:
        self.moment += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    frozen = FrozenNow(monkeypatch)
    frozen.set(dt.date(2025, 6, 2))
    return frozen


def public_data(**overrides) -> dict:
    data = {
        "company_name": "株式会社テスト",
        "contact_name": "山田太郎",
        "email": "taro@example.jp",
        "phone": "043-123-4567",
        "prefecture": "千葉県",
        "text": "樹脂成形品の強度評価をしたい",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def rows() -> dict[str, int]:
    return {
        "cases": Case.objects.count(),
        "events": CaseEvent.objects.count(),
        "counters": sum(ReceiptCounter.objects.values_list("last", flat=True)),
        "submissions": PublicSubmission.objects.count(),
        "notifications": Notification.objects.count(),
    }


def errors_of(exc: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return exc.value.field_errors


def refused_public(data: dict, ip: str = "192.0.2.1") -> dict[str, list[str]]:
    before = rows()
    with pytest.raises(ValidationFailed) as exc:
        services.case_create_public(data=data, client_ip=ip)
    assert rows() == before, "nothing may be written when the form is refused"
    return errors_of(exc)


# --- the public form: validation ---------------------------------------------------------------------------


def test_a_valid_public_consultation(case_config, orgs, make_staff, clock):
    window_staff = make_staff("chiba_pref", StaffRole.MEMBER)
    viewer = make_staff("chiba_pref", StaffRole.VIEWER)
    case = services.case_create_public(data=public_data(), client_ip="192.0.2.1")
    assert case.status == CaseStatus.RECEIVED
    assert case.channel == Channel.WEB
    assert case.region.slug == "chiba"
    assert case.received_by == case.lead_organization == orgs["chiba_pref"]
    assert case.receipt_number == "12-2025-000001"
    assert case.fiscal_year == 2025
    assert case.detail == "樹脂成形品の強度評価をしたい"
    assert case.title == "樹脂成形品の強度評価をしたい"  # derived from the text's first line
    assert case.requester_prefecture_id == "12"
    assert case.created_by is None
    events = list(CaseEvent.objects.filter(case=case))
    assert [(e.kind, e.to_status, e.actor) for e in events] == [
        (EventKind.CREATED, CaseStatus.RECEIVED, None)
    ]
    notified = set(Notification.objects.filter(case=case).values_list("user_id", "kind"))
    assert notified == {(window_staff.pk, NotificationKind.PUBLIC_INTAKE)}  # writers only, not viewers
    assert viewer.pk not in {u for u, _ in notified}


@pytest.mark.parametrize("blank", ["", "   ", "\n\t\r\n", "　　", None])
def test_empty_or_blank_text_is_refused_naming_text(case_config, clock, blank):
    errors = refused_public(public_data(text=blank))
    assert errors == {"text": ["相談内容を入力してください。"]}


def test_text_of_invisible_characters_only_is_refused(case_config, clock):
    errors = refused_public(public_data(text="\u200b\ufeff\u200b"))
    assert "text" in errors


def test_text_length_limit(case_config, clock):
    errors = refused_public(public_data(text="あ" * (MAX_TEXT + 1)))
    assert list(errors) == ["text"]
    assert "20,000文字以内" in errors["text"][0] and "20,001文字" in errors["text"][0]
    case = services.case_create_public(data=public_data(text="あ" * MAX_TEXT), client_ip="192.0.2.1")
    assert len(case.detail) == MAX_TEXT


def test_nul_and_control_characters_are_dropped_from_the_text_newlines_kept(case_config, clock):
    case = services.case_create_public(
        data=public_data(text="一行目\x00の相談\x07\r\n二行目\tタブ\x1b"), client_ip="192.0.2.1"
    )
    assert case.detail == "一行目の相談\n二行目\tタブ"
    assert "\x00" not in case.title


def test_control_characters_only_count_as_empty(case_config, clock):
    assert refused_public(public_data(text="\x00\x01\x7f")) == {"text": ["相談内容を入力してください。"]}


@pytest.mark.parametrize("key", ["title", "summary", "company_name", "contact_name"])
def test_nul_never_reaches_the_database_in_any_field(case_config, clock, key):
    values = clean_intake(public_data(**{key: "テスト\x00名"}), public=True)
    stored = {v for v in values.values() if isinstance(v, str)}
    assert not any("\x00" in v for v in stored)


def test_every_required_public_field_is_named_at_once(case_config, clock):
    errors = refused_public(
        {"company_name": " ", "contact_name": "", "email": "", "phone": "", "prefecture": "", "text": ""}
    )
    assert set(errors) == {"company_name", "contact_name", "email", "phone", "prefecture", "text"}
    assert errors["email"] == ["メールアドレスを入力してください。"]
    assert errors["prefecture"] == ["所在都道府県を入力してください。"]


@pytest.mark.parametrize(
    "email", ["taro@", "taro.example.jp", "taro@example", "ta ro@@example.jp", "x" * 250 + "@a.jp"]
)
def test_a_bad_email_is_refused(case_config, clock, email):
    errors = refused_public(public_data(email=email))
    assert errors == {"email": ["メールアドレスの形式が正しくありません（例: info@example.co.jp）。"]}


def test_a_full_width_email_is_normalized(case_config, clock):
    case = services.case_create_public(
        data=public_data(email="ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"), client_ip="192.0.2.1"
    )
    assert case.requester_email == "taro@example.jp"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("０４３－１２３－４５６７", "043-123-4567"),
        ("043ー123ー4567", "043-123-4567"),
        ("043−123−4567", "043-123-4567"),
        ("(043) 123-4567", "(043) 123-4567"),
        ("+81-43-123-4567", "+81-43-123-4567"),
    ],
)
def test_phone_numbers_with_full_width_digits(case_config, clock, raw, stored):
    case = services.case_create_public(data=public_data(phone=raw), client_ip="192.0.2.1")
    assert case.requester_phone == stored


@pytest.mark.parametrize("raw", ["043‐123‐4567", "043―123―4567"])
def test_phone_numbers_with_other_hyphens(case_config, clock, raw):
    case = services.case_create_public(data=public_data(phone=raw), client_ip="192.0.2.1")
    assert case.requester_phone == "043-123-4567"


@pytest.mark.parametrize("phone", ["電話番号", "12345", "043-123-4567 内線12", "0".ljust(31, "1")])
def test_a_bad_phone_is_refused(case_config, clock, phone):
    errors = refused_public(public_data(phone=phone))
    assert list(errors) == ["phone"]
    assert "電話番号" in errors["phone"][0]


@pytest.mark.parametrize("phone", ["------", "( ) ( )", "++++++"])
def test_a_phone_without_digits_is_refused(case_config, clock, phone):
    assert list(refused_public(public_data(phone=phone))) == ["phone"]


def test_an_unknown_prefecture_is_refused(case_config, clock):
    errors = refused_public(public_data(prefecture="架空県"))
    assert errors == {"prefecture": ["都道府県「架空県」が見つかりません（例: 千葉県、12）。"]}


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("12", "12"),
        ("１２", "12"),
        ("6", "06"),
        ("120006", "12"),
        ("千葉県", "12"),
        ("千葉", "12"),
        (" 山形 ", "06"),
        ("東京", "13"),
        ("大阪", "27"),
        ("北海道", "01"),
        ("京都府", "26"),
    ],
)
def test_prefecture_by_code_or_name(db, raw, code):
    found = parse_prefecture(raw)
    assert found is not None and found.code == code


def test_prefecture_kyoto_by_short_name(db):
    found = parse_prefecture("京都")
    assert found is not None and found.code == "26"


@pytest.mark.parametrize("raw", ["99", "0", "123", "千葉市", ""])
def test_prefecture_that_does_not_exist(db, raw):
    assert parse_prefecture(raw) is None


def test_field_length_limits(case_config, clock):
    errors = refused_public(
        public_data(company_name="社" * 201, contact_name="名" * 101, title="件" * 201, summary="概" * 2001)
    )
    assert set(errors) == {"company_name", "contact_name", "title", "summary"}


def test_a_bad_stage_is_refused_with_the_choices(case_config, clock):
    errors = refused_public(public_data(stage="宇宙開発"))
    assert list(errors) == ["stage"]
    assert "事業化" in errors["stage"][0]


def test_a_bad_consent_value_is_a_field_error(case_config, clock):
    errors = refused_public(public_data(consent_outside_region="たぶん"))
    assert list(errors) == ["consent_outside_region"]


# --- the public form: where it lands ---------------------------------------------------------------------


def test_the_region_follows_the_prefecture(case_config, orgs, clock):
    case = services.case_create_public(data=public_data(prefecture="山形県"), client_ip="192.0.2.1")
    assert case.region.slug == "yamagata"
    assert case.lead_organization == orgs["yamagata_pref"]
    assert case.receipt_number == "06-2025-000001"


def test_an_explicit_region_wins_over_the_prefecture(case_config, orgs, clock):
    case = services.case_create_public(
        data=public_data(prefecture="千葉県", region="yamagata"), client_ip="192.0.2.1"
    )
    assert case.region.slug == "yamagata"


def test_an_unknown_region_is_refused(case_config, clock):
    assert refused_public(public_data(region="atlantis")) == {"region": ["相談先の地域が見つかりません。"]}


def test_a_prefecture_outside_every_home_region_must_choose(case_config, clock):
    errors = refused_public(public_data(prefecture="東京都"))
    assert list(errors) == ["region"]
    assert "千葉県" in errors["region"][0] and "山形県" in errors["region"][0]
    case = services.case_create_public(
        data=public_data(prefecture="東京都", region="chiba"), client_ip="192.0.2.1"
    )
    assert case.region.slug == "chiba" and case.requester_prefecture_id == "13"


def test_a_single_home_region_takes_every_prefecture(case_config, yamagata, clock):
    CaseSettings.objects.filter(region=yamagata).update(public_intake=False)
    case = services.case_create_public(data=public_data(prefecture="東京都"), client_ip="192.0.2.1")
    assert case.region.slug == "chiba"


def test_a_region_that_closed_its_form_is_not_offered(case_config, yamagata, clock):
    CaseSettings.objects.filter(region=yamagata).update(public_intake=False)
    assert refused_public(public_data(prefecture="千葉県", region="yamagata")) == {
        "region": ["相談先の地域が見つかりません。"]
    }


def test_a_partner_region_never_takes_public_consultations(case_config, orgs, clock):
    RegionFactory(prefecture=Prefecture.objects.get(code="13"), slug="tokyo", is_home=False)
    errors = refused_public(public_data(prefecture="東京都", region="tokyo"))
    assert errors == {"region": ["相談先の地域が見つかりません。"]}


# --- honeypot and rate limit --------------------------------------------------------------------------------


def test_the_honeypot_refuses_silently_and_writes_nothing(case_config, clock):
    errors = refused_public(public_data(website="http://spam.example"))
    assert list(errors) == ["website"]


def test_the_rate_limit_per_address_and_hour(case_config, clock, settings):
    settings.RENKEI_PUBLIC_INTAKE_PER_HOUR = 2
    for _ in range(2):
        services.case_create_public(data=public_data(), client_ip="198.51.100.7")
    before = rows()
    with pytest.raises(RateLimited) as exc:
        services.case_create_public(data=public_data(), client_ip="198.51.100.7")
    assert exc.value.status == 429
    assert "1時間に2件まで" in exc.value.message
    assert rows() == before
    # Another address is not affected; an hour later the first one may send again.
    services.case_create_public(data=public_data(), client_ip="198.51.100.8")
    clock.advance(minutes=59)
    with pytest.raises(RateLimited):
        services.case_create_public(data=public_data(), client_ip="198.51.100.7")
    clock.advance(minutes=2)
    case = services.case_create_public(data=public_data(), client_ip="198.51.100.7")
    assert case.receipt_number == "12-2025-000004"


def test_the_rate_limit_stores_no_address(case_config, clock):
    services.case_create_public(data=public_data(), client_ip="198.51.100.7")
    stored = PublicSubmission.objects.get()
    assert "198.51.100.7" not in stored.client_hash and len(stored.client_hash) == 64


def test_refused_submissions_do_not_use_up_the_limit(case_config, clock, settings):
    settings.RENKEI_PUBLIC_INTAKE_PER_HOUR = 1
    refused_public(public_data(text=""), ip="198.51.100.9")
    services.case_create_public(data=public_data(), client_ip="198.51.100.9")


# --- receipt numbers -----------------------------------------------------------------------------------------


def test_receipt_numbers_are_sequential_per_region_and_fiscal_year(case_config, clock):
    numbers = []
    for prefecture in ("千葉県", "千葉県", "山形県", "千葉県", "山形県"):
        case = services.case_create_public(data=public_data(prefecture=prefecture), client_ip="192.0.2.1")
        numbers.append(case.receipt_number)
        clock.advance(seconds=1)
    assert numbers == [
        "12-2025-000001",
        "12-2025-000002",
        "06-2025-000001",
        "12-2025-000003",
        "06-2025-000002",
    ]


def test_receipt_numbers_restart_on_the_first_of_april(case_config, clock):
    clock.set(dt.date(2025, 3, 31), hour=23, minute=59)
    first = services.case_create_public(data=public_data(), client_ip="192.0.2.1")
    second = services.case_create_public(data=public_data(), client_ip="192.0.2.2")
    clock.set(dt.date(2025, 4, 1), hour=0, minute=0)
    third = services.case_create_public(data=public_data(), client_ip="192.0.2.3")
    assert [first.receipt_number, second.receipt_number, third.receipt_number] == [
        "12-2024-000001",
        "12-2024-000002",
        "12-2025-000001",
    ]
    assert [first.fiscal_year, third.fiscal_year] == [2024, 2025]


def test_the_region_prefix_is_configurable(case_config, chiba, clock):
    CaseSettings.objects.filter(region=chiba).update(receipt_prefix="CB-")
    case = services.case_create_public(data=public_data(), client_ip="192.0.2.1")
    assert case.receipt_number == "CB-2025-000001"


def test_a_staff_consultation_dated_last_fiscal_year_takes_that_years_number(case_config, make_staff, clock):
    staff = make_staff("chiba_lab", StaffRole.MEMBER)
    case = services.case_create(
        actor=staff, data={"text": "3月に電話で受けた相談", "channel": "phone", "received_at": "2025-03-31"}
    )
    assert case.fiscal_year == 2024 and case.receipt_number == "12-2024-000001"
    assert timezone.localtime(case.received_at).date() == dt.date(2025, 3, 31)


# --- the receipt mail ----------------------------------------------------------------------------------------


def test_the_receipt_is_mailed_after_commit(case_config, clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = services.case_create_public(data=public_data(), client_ip="192.0.2.1")
    receipts = [m for m in mail.outbox if m.to == ["taro@example.jp"]]
    assert len(receipts) == 1
    assert case.receipt_number in receipts[0].subject
    assert case.receipt_number in receipts[0].body and "山田太郎 様" in receipts[0].body


def test_no_mail_leaves_when_the_form_is_refused(case_config, clock, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        refused_public(public_data(email="bad@"))
    assert callbacks == [] and mail.outbox == []


# --- staff intake ----------------------------------------------------------------------------------------------


def test_staff_intake_at_the_only_writable_organization(case_config, orgs, make_staff, clock):
    staff = make_staff("chiba_lab", StaffRole.COORDINATOR)
    case = services.case_create(
        actor=staff, data={"text": "来所での相談", "channel": "窓口", "title": " 来所 "}
    )
    assert case.channel == Channel.WINDOW  # by label too
    assert case.title == "来所"
    assert case.received_by == case.lead_organization == orgs["chiba_lab"]
    assert case.created_by == staff
    event = CaseEvent.objects.get(case=case)
    assert (event.actor, event.actor_organization_id) == (staff, orgs["chiba_lab"].pk)


def test_staff_intake_requires_a_channel_but_not_contacts(case_config, make_staff, clock):
    staff = make_staff("chiba_lab", StaffRole.MEMBER)
    before = rows()
    with pytest.raises(ValidationFailed) as exc:
        services.case_create(actor=staff, data={"text": "", "channel": "fax"})
    assert set(errors_of(exc)) == {"text", "channel"}
    assert "受付経路「fax」はありません" in errors_of(exc)["channel"][0]
    with pytest.raises(ValidationFailed) as exc:
        services.case_create(actor=staff, data={"text": "相談"})
    assert errors_of(exc) == {"channel": ["受付経路を選んでください。"]}
    assert rows() == before


@pytest.mark.parametrize(
    ("received_at", "message"),
    [("2099-01-01", "未来の日付"), ("1999-12-31", "2000年以降"), ("昨日", "2024-04-01")],
)
def test_staff_intake_received_at(case_config, make_staff, clock, received_at, message):
    staff = make_staff("chiba_lab", StaffRole.MEMBER)
    with pytest.raises(ValidationFailed) as exc:
        services.case_create(
            actor=staff, data={"text": "相談", "channel": "phone", "received_at": received_at}
        )
    assert message in errors_of(exc)["received_at"][0]


def test_staff_intake_accepts_wareki(case_config, make_staff, clock):
    staff = make_staff("chiba_lab", StaffRole.MEMBER)
    case = services.case_create(
        actor=staff, data={"text": "相談", "channel": "phone", "received_at": "令和7年5月1日"}
    )
    assert timezone.localtime(case.received_at).date() == dt.date(2025, 5, 1)


def test_viewers_and_strangers_cannot_take_consultations(case_config, make_staff, clock):
    viewer = make_staff("chiba_lab", StaffRole.VIEWER)
    before = rows()
    with pytest.raises(PermissionDenied):
        services.case_create(actor=viewer, data={"text": "相談", "channel": "phone"})
    with pytest.raises(PermissionDenied):
        services.case_create(actor=UserFactory(username="nobody"), data={"text": "相談", "channel": "phone"})
    assert rows() == before


def test_a_former_member_cannot_take_consultations(case_config, orgs, clock):
    user = UserFactory(username="retired")
    MembershipFactory(
        user=user, organization=orgs["chiba_lab"], ended_on=dt.date.today() - dt.timedelta(days=1)
    )
    with pytest.raises(PermissionDenied):
        services.case_create(actor=user, data={"text": "相談", "channel": "phone"})


def test_staff_with_several_bodies_must_choose_and_only_their_own(case_config, orgs, clock):
    user = UserFactory(username="two-hats")
    MembershipFactory(user=user, organization=orgs["chiba_lab"], role=StaffRole.MEMBER)
    MembershipFactory(user=user, organization=orgs["chiba_pref"], role=StaffRole.MEMBER)
    with pytest.raises(ValidationFailed) as exc:
        services.case_create(actor=user, data={"text": "相談", "channel": "phone"})
    assert list(errors_of(exc)) == ["organization_id"]
    with pytest.raises(ValidationFailed) as exc:
        services.case_create(
            actor=user, data={"text": "相談", "channel": "phone"}, organization_id=orgs["chiba_bank_a"].pk
        )
    assert errors_of(exc) == {"organization_id": ["この機関の相談は登録できません。"]}
    case = services.case_create(
        actor=user, data={"text": "相談", "channel": "phone"}, organization_id=orgs["chiba_pref"].pk
    )
    assert case.received_by == orgs["chiba_pref"]


def test_staff_intake_with_a_company_category_and_field(case_config, orgs, make_staff, clock):
    staff = make_staff("chiba_lab", StaffRole.MEMBER)
    company = CompanyFactory(
        owner_organization=orgs["chiba_lab"], consent_share_outside=True, name="株式会社ラボ"
    )
    case = services.case_create(
        actor=staff,
        data={"text": "相談", "channel": "visit", "company_id": str(company.pk), "category": "technical"},
    )
    assert case.company == company
    assert case.requester_company_name == "株式会社ラボ"
    assert case.consent_outside_region is True  # the company's consent carries over
    assert case.category.code == "technical"
    assert (case.first_response_days, case.resolution_days) == (3, 30)  # Chiba's technical policy


def test_staff_intake_refuses_a_company_it_may_not_see(case_config, orgs, make_staff, clock):
    staff = make_staff("chiba_lab", StaffRole.MEMBER)
    hidden = CompanyFactory(owner_organization=orgs["chiba_bank_a"], consent_share_region=False)
    before = rows()
    with pytest.raises(ValidationFailed) as exc:
        services.case_create(
            actor=staff,
            data={"text": "相談", "channel": "visit", "company_id": hidden.pk, "category": "nothing"},
        )
    assert set(errors_of(exc)) == {"company_id", "category"}
    assert "相談区分「nothing」はありません" in errors_of(exc)["category"][0]
    assert rows() == before


# --- the append-only timeline ----------------------------------------------------------------------------------


def test_events_cannot_be_updated_or_deleted(case_config, make_staff, clock):
    staff = make_staff("chiba_lab", StaffRole.MEMBER)
    case = services.case_create(actor=staff, data={"text": "相談", "channel": "phone"})
    event = CaseEvent.objects.get(case=case)
    event.text = "書き換え"
    with pytest.raises(TypeError, match="追記のみ"):
        event.save()
    with pytest.raises(TypeError, match="追記のみ"):
        event.delete()
    with pytest.raises(TypeError, match="追記のみ"):
        CaseEvent.objects.filter(case=case).update(text="書き換え")
    with pytest.raises(TypeError, match="追記のみ"):
        CaseEvent.objects.filter(case=case).delete()
    with pytest.raises(TypeError, match="追記のみ"):
        case.events.all().delete()
    assert CaseEvent.objects.get(pk=event.pk).text == "電話で受付"
    with pytest.raises(TypeError, match="追記のみ"), transaction.atomic():
        CaseEvent.objects.bulk_update([event], ["text"])
    assert CaseEvent.objects.get(pk=event.pk).text == "電話で受付"
