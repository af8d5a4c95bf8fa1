"""End-to-end through the services: intake → route → hand-off → resolve."""

from renkei.cases import handoffs, services
from renkei.cases.choices import CaseStatus, ConsentScope
from renkei.cases.models import Case, CaseEvent
from renkei.network.choices import StaffRole


def test_public_intake_route_handoff_resolve(case_config, orgs, make_staff):
    case = services.case_create_public(
        data={
            "company_name": "株式会社テスト",
            "contact_name": "山田太郎",
            "email": "taro@example.jp",
            "phone": "043-123-4567",
            "prefecture": "千葉県",
            "text": "樹脂成形品の強度評価をしたい",
        },
        client_ip="192.0.2.1",
    )
    assert case.status == CaseStatus.RECEIVED
    assert case.lead_organization == orgs["chiba_pref"]
    assert case.receipt_number.startswith("12-")
    secretariat = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    services.case_classify(actor=secretariat, case_id=case.pk, category="technical")
    case = services.case_route(actor=secretariat, case_id=case.pk)
    assert case.lead_organization == orgs["chiba_lab"]
    lab = make_staff("chiba_lab")
    assert Case.objects.visible_to(lab).filter(pk=case.pk).exists()
    bank = make_staff("chiba_bank_a")
    assert not Case.objects.visible_to(bank).filter(pk=case.pk).exists()
    h = handoffs.handoff_request(
        actor=lab,
        case_id=case.pk,
        to_organization_id=orgs["chiba_bank_a"].pk,
        reason="資金の相談",
        consent_scope=ConsentScope.SUMMARY,
    )
    assert Case.objects.visible_to(bank).filter(pk=case.pk).exists()
    handoffs.handoff_respond(actor=bank, handoff_id=h.pk, action="accept")
    services.case_transition(actor=lab, case_id=case.pk, to_status=CaseStatus.IN_PROGRESS)
    services.case_transition(actor=lab, case_id=case.pk, to_status=CaseStatus.WAITING)
    services.case_transition(actor=lab, case_id=case.pk, to_status=CaseStatus.IN_PROGRESS)
    case = services.case_transition(actor=lab, case_id=case.pk, to_status=CaseStatus.RESOLVED)
    assert case.finished_on is not None and case.first_responded_on is not None
    kinds = list(CaseEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert kinds[0] == "created" and kinds.count("status") == 4
