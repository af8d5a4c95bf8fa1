"""The case page costs the same number of SQL queries however long the case's history is."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from renkei.cases import handoffs, services
from renkei.cases.choices import CaseStatus, ConsentScope
from renkei.network.choices import StaffRole


def _case(actor, org):
    data = {"text": "治具の設計相談", "channel": "phone", "title": "治具の相談"}
    return services.case_create(actor=actor, data=data, organization_id=org.pk)


def _queries(client, case_id: int) -> int:
    client.get(f"/cases/{case_id}/")  # warm per-process caches (calendar, the daily SLA refresh)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/cases/{case_id}/")
    assert response.status_code == 200
    return len(captured)


def test_case_page_queries_do_not_grow_with_history(client, case_config, orgs, make_staff, password):
    secretariat = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    assert client.login(username=secretariat.username, password=password)
    short = _case(secretariat, orgs["chiba_pref"])
    long = _case(secretariat, orgs["chiba_pref"])
    for i in range(12):
        services.case_note(actor=secretariat, case_id=long.pk, text=f"経過メモ {i}")
    for status in (CaseStatus.IN_PROGRESS, CaseStatus.WAITING, CaseStatus.IN_PROGRESS):
        services.case_transition(actor=secretariat, case_id=long.pk, to_status=status)
    for key in ("chiba_lab", "chiba_bank_a"):
        handoffs.handoff_request(
            actor=secretariat,
            case_id=long.pk,
            to_organization_id=orgs[key].pk,
            reason="ご支援のお願い",
            consent_scope=ConsentScope.DETAIL,
        )
    assert _queries(client, long.pk) == _queries(client, short.pk)
