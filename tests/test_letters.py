"""The referral letter (紹介状): for each consent scope the withheld values are absent from the PDF's text and the
allowed ones present; who may print it; every letter is written to the access log."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from renkei.cases import handoffs, letters, services
from renkei.cases.choices import ConsentScope
from renkei.cases.models import CaseAccessLog
from renkei.core.errors import NotFound, PermissionDenied
from renkei.core.models import IndustryClass, Municipality
from renkei.network.choices import StaffRole

from .factories import CompanyFactory

TITLE = "樹脂部品の強度評価"
SUMMARY = "成形品の強度を評価する方法を探している"
DETAIL = "ポリプロピレン製ハウジングが低温で割れる。落下試験の条件を相談したい"
COMPANY = "株式会社房総テスト精工"
ADDRESS = "市場町9-9"
PERSON = "山田花子"
PHONE = "043-111-2222"
EMAIL = "hanako@example.jp"

SUMMARY_VALUES = (TITLE, SUMMARY, "技術的課題", "試作・実証・評価")
DETAIL_VALUES = (DETAIL, COMPANY, "金属加工機械製造業", "中小企業者", ADDRESS)
CONTACT_VALUES = (PERSON, PHONE, EMAIL)


def pdf_text(body: bytes) -> str:
    """The PDF's text without white space (WeasyPrint breaks long lines wherever the column ends)."""
    assert body.startswith(b"%PDF")
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(body)).pages)


def squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def lab(make_staff, orgs):
    org = orgs["chiba_lab"]
    org.address, org.postal_code, org.phone = "千葉市稲毛区天戸町1406-1", "263-0016", "043-231-4325"
    org.save()
    return make_staff("chiba_lab", StaffRole.MEMBER)


@pytest.fixture
def case(case_config, orgs, lab):
    jsic = IndustryClass.objects.filter(level=4, name__contains="金属加工機械製造業").first()
    company = CompanyFactory(
        owner_organization=orgs["chiba_lab"],
        name=COMPANY,
        jsic=jsic,
        capital=10_000_000,
        employees=40,
        municipality=Municipality.objects.get(code="121011"),
        address=ADDRESS,
        size_class="sme",
    )
    created = services.case_create(
        actor=lab,
        data={
            "text": DETAIL,
            "title": TITLE,
            "summary": SUMMARY,
            "channel": "visit",
            "company_id": company.pk,
            "contact_name": PERSON,
            "phone": PHONE,
            "email": EMAIL,
            "consent_outside_region": True,
            "stage": "prototype",
            "category": "technical",
        },
        organization_id=orgs["chiba_lab"].pk,
    )
    return created


def request_handoff(lab, case, orgs, scope: str, to: str = "yamagata_center"):
    return handoffs.handoff_request(
        actor=lab,
        case_id=case.pk,
        to_organization_id=orgs[to].pk,
        reason="落下試験の設備をお持ちの貴センターにご相談したい",
        consent_scope=scope,
    )


@pytest.mark.parametrize(
    ("scope", "shown", "withheld"),
    [
        (ConsentScope.SUMMARY, SUMMARY_VALUES, DETAIL_VALUES + CONTACT_VALUES),
        (ConsentScope.DETAIL, SUMMARY_VALUES + DETAIL_VALUES, CONTACT_VALUES),
        (ConsentScope.CONTACTS, SUMMARY_VALUES + DETAIL_VALUES + CONTACT_VALUES, ()),
    ],
)
def test_letter_holds_only_the_consented_fields(lab, case, orgs, scope, shown, withheld):
    handoff = request_handoff(lab, case, orgs, scope)
    text = pdf_text(letters.referral_letter_pdf(actor=lab, handoff_id=handoff.pk))
    for value in shown:
        assert squash(value) in text, value
    for value in withheld:
        assert squash(value) not in text, value
    assert "企業の同意に基づき、以下の範囲で情報を提供します:" in text
    assert squash(letters.consent_statement(ConsentScope(scope))) in text
    # 宛先, 差出 with its address and phone, 受付番号, 和暦 dates
    for value in (
        "山形県工業技術センター御中",
        "千葉県産業支援技術研究所",
        "天戸町1406-1",
        "043-231-4325",
        "紹介状",
    ):
        assert value in text
    assert case.receipt_number in text and "令和" in text
    assert "地域外の連携機関へのご紹介です" in text


def test_the_receiving_body_prints_it_while_the_handoff_is_live(lab, case, orgs, make_staff):
    handoff = request_handoff(lab, case, orgs, ConsentScope.DETAIL)
    receiver = make_staff("yamagata_center", StaffRole.MEMBER)
    text = pdf_text(letters.referral_letter_pdf(actor=receiver, handoff_id=handoff.pk))
    assert squash(COMPANY) in text and PHONE not in text
    log = CaseAccessLog.objects.filter(case=case, user=receiver).get()
    assert (log.fields, log.via, log.organization_id) == ("letter", "pdf", orgs["yamagata_center"].pk)
    assert log.field_labels == ["紹介状"]
    # a viewer of the receiving body sees the case but may not print the letter
    with pytest.raises(PermissionDenied):
        letters.referral_letter_pdf(
            actor=make_staff("yamagata_center", StaffRole.VIEWER), handoff_id=handoff.pk
        )
    # a body with nothing to do with the case: as if the hand-off did not exist
    with pytest.raises(NotFound):
        letters.referral_letter_pdf(actor=make_staff("chiba_bank_b", StaffRole.MEMBER), handoff_id=handoff.pk)
    handoffs.handoff_respond(
        actor=receiver, handoff_id=handoff.pk, action="decline", text="設備が更新中のため"
    )
    with pytest.raises(NotFound):
        letters.referral_letter_pdf(actor=receiver, handoff_id=handoff.pk)
    # the sending side still may (the record of what was sent)
    assert letters.referral_letter_pdf(actor=lab, handoff_id=handoff.pk).startswith(b"%PDF")
    assert CaseAccessLog.objects.filter(case=case, fields="letter", via="pdf").count() == 2


def test_the_secretariat_prints_it_and_a_bank_receiver_reads_the_summary(lab, case, orgs, make_staff):
    handoff = request_handoff(lab, case, orgs, ConsentScope.SUMMARY, to="chiba_bank_a")
    secretariat = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    text = pdf_text(letters.referral_letter_pdf(actor=secretariat, handoff_id=handoff.pk))
    assert "テスト銀行A御中" in text and "地域外" not in text
    bank = make_staff("chiba_bank_a", StaffRole.COORDINATOR)
    text = pdf_text(letters.referral_letter_pdf(actor=bank, handoff_id=handoff.pk))
    assert squash(SUMMARY) in text and squash(COMPANY) not in text and squash(DETAIL) not in text


def test_scope_labels_are_cumulative():
    assert letters.scope_labels(ConsentScope.SUMMARY) == [
        "件名",
        "概要",
        "相談区分",
        "支援対象分野",
        "事業段階",
    ]
    assert letters.scope_labels(ConsentScope.CONTACTS)[-3:] == ["相談者氏名", "電話番号", "メールアドレス"]
    assert len(letters.scope_labels(ConsentScope.DETAIL)) == 10
