"""Printed documents of the case ledger: the referral letter (紹介状) of a hand-off, and a meeting's agenda.

The referral letter is a Japanese PDF that holds only what the company agreed to share.

The consent scope of the hand-off decides the fields, cumulatively (each scope includes the ones before):
- 概要のみ (summary): 件名・概要・相談区分・支援対象分野・事業段階 — no company name;
- 相談内容の詳細まで (detail): + 相談内容・企業名・業種・企業規模・所在地;
- 連絡先を含む (contacts): + 相談者の氏名・電話番号・メールアドレス.
Who may print it: the managers of the case (its lead organization, the region's secretariat) and the writers of the
receiving body while the hand-off is live. Each letter printed is written to the case's access log (紹介状, pdf).

The agenda (``agenda_pdf``, ``agenda_xlsx``) holds 会議次第 and 議題一覧 as ``meetings.meeting_detail`` shows them to
the reader: a case they may not see is 「（閲覧権限のない案件）」 and its receipt number.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.contrib.auth.models import User

from renkei.core.errors import NotFound, PermissionDenied
from renkei.core.pdf import render_pdf
from renkei.core.tabular_export import DATE, INT, ExportColumn, write_xlsx
from renkei.core.wareki import to_wareki
from renkei.network.selectors import StaffContext, staff_context

from . import meetings, policies
from .choices import CONSENT_ORDER, LIVE_HANDOFF_STATES, AccessField, ConsentScope
from .clocks import today
from .models import Case, Handoff, Meeting
from .selectors import log_access

# The labels each scope adds, in the order they are printed.
SCOPE_LABELS: dict[ConsentScope, tuple[str, ...]] = {
    ConsentScope.SUMMARY: ("件名", "概要", "相談区分", "支援対象分野", "事業段階"),
    ConsentScope.DETAIL: ("相談内容", "企業名", "業種", "企業規模", "所在地"),
    ConsentScope.CONTACTS: ("相談者氏名", "電話番号", "メールアドレス"),
}


@dataclass(frozen=True)
class LetterField:
    label: str
    value: str
    multiline: bool = False


def scope_labels(scope: ConsentScope) -> list[str]:
    """Every label a letter of this scope holds (the scopes up to and including it)."""
    return [
        label
        for s, labels in SCOPE_LABELS.items()
        if CONSENT_ORDER[s] <= CONSENT_ORDER[scope]
        for label in labels
    ]


def consent_statement(scope: ConsentScope) -> str:
    return (
        f"企業の同意に基づき、以下の範囲で情報を提供します: {scope.label}（{'・'.join(scope_labels(scope))}）"
    )


def _category(case: Case) -> str:
    if case.category is None:
        return "未分類"
    parent = case.category.parent
    return f"{parent.name} › {case.category.name}" if parent else case.category.name


def _location(case: Case) -> str:
    company = case.company
    if company is not None:
        place = ""
        if company.municipality is not None:
            place = f"{company.municipality.prefecture.name}{company.municipality.name}"
        place += company.address
        if place and company.postal_code:
            place = f"〒{company.postal_code} {place}"
        if place:
            return place
    return case.requester_prefecture.name if case.requester_prefecture else "—"


def _contact(case: Case) -> tuple[str, str, str]:
    name, phone, email = case.requester_name, case.requester_phone, case.requester_email
    if not (name or phone or email) and case.company is not None:
        person = case.company.contacts.order_by("-is_primary", "id").first()
        if person is not None:
            name, phone, email = person.name, person.phone, person.email
    return name or "—", phone or "—", email or "—"


def letter_fields(case: Case, scope: ConsentScope) -> list[LetterField]:
    """The fields a letter of ``scope`` holds, values included; nothing outside the scope is read."""
    fields = [
        LetterField("件名", case.title),
        LetterField("概要", case.summary or "—", multiline=True),
        LetterField("相談区分", _category(case)),
        LetterField("支援対象分野", case.target_field.name if case.target_field else "—"),
        LetterField("事業段階", case.get_stage_display() or "—"),
    ]
    if CONSENT_ORDER[scope] >= CONSENT_ORDER[ConsentScope.DETAIL]:
        company = case.company
        jsic = company.jsic if company is not None else None
        fields += [
            LetterField("相談内容", case.detail, multiline=True),
            LetterField(
                "企業名", company.name if company is not None else case.requester_company_name or "—"
            ),
            LetterField("業種", f"{jsic.code} {jsic.name}" if jsic is not None else "—"),
            LetterField("企業規模", company.get_size_class_display() if company is not None else "—"),
            LetterField("所在地", _location(case)),
        ]
    if scope == ConsentScope.CONTACTS:
        name, phone, email = _contact(case)
        fields += [
            LetterField("相談者氏名", name),
            LetterField("電話番号", phone),
            LetterField("メールアドレス", email),
        ]
    return fields


def can_print_letter(ctx: StaffContext, handoff: Handoff) -> bool:
    if policies.can_manage(ctx, handoff.case):
        return True
    return handoff.state in LIVE_HANDOFF_STATES and policies.can_respond(ctx, handoff)


def _handoff_for(actor: User, handoff_id: int) -> Handoff:
    handoff = (
        Handoff.objects.filter(pk=handoff_id, case__in=Case.objects.visible_to(actor))
        .select_related(
            "from_organization",
            "to_organization",
            "to_user",
            "case",
            "case__region",
            "case__category",
            "case__category__parent",
            "case__target_field",
            "case__requester_prefecture",
            "case__company",
            "case__company__jsic",
            "case__company__municipality__prefecture",
        )
        .first()
    )
    if handoff is None:
        raise NotFound("紹介・引継ぎが見つかりません。")
    return handoff


def referral_letter_pdf(*, actor: User, handoff_id: int) -> bytes:
    handoff = _handoff_for(actor, handoff_id)
    ctx = staff_context(actor)
    if not can_print_letter(ctx, handoff):
        raise PermissionDenied(
            "紹介状を出力できるのは、主担当機関・地域の事務局の職員と、紹介・引継ぎが有効な間の紹介先の職員です。"
        )
    case = handoff.case
    scope = ConsentScope(handoff.consent_scope)
    to_user = handoff.to_user
    pdf = render_pdf(
        "cases/pdf/letter.html",
        {
            "title": "紹介状",
            "handoff": handoff,
            "case": case,
            "sender": handoff.from_organization,
            "addressee": handoff.to_organization,
            "addressee_person": (f"{to_user.last_name} {to_user.first_name}".strip() or to_user.username)
            if to_user
            else "",
            "written_on": to_wareki(today()),
            "due_on": to_wareki(handoff.due_on),
            "fields": letter_fields(case, scope),
            "consent": consent_statement(scope),
        },
    )
    log_access(user=actor, ctx=ctx, case=case, fields=[AccessField.LETTER], via="pdf")
    return pdf


# ---------------------------------------------------------------------------------------------------------------
# the meeting agenda (会議次第 + 議題一覧): PDF and .xlsx, both built from meetings.meeting_detail, so both show
# a case only to a reader who may see it

AGENDA_COLUMNS = [
    ExportColumn("番号", INT, 6),
    ExportColumn("受付番号", width=18),
    ExportColumn("件名", width=40),
    ExportColumn("議題とした理由", width=24),
    ExportColumn("相談区分", width=20),
    ExportColumn("主担当", width=24),
    ExportColumn("段階", width=24),
    ExportColumn("状態", width=12),
    ExportColumn("期限の状況", width=14),
    ExportColumn("期限", DATE, 12),
    ExportColumn("期限の種類", width=10),
    ExportColumn("経過（営業日）", INT, 10),
    ExportColumn("目標（営業日）", INT, 10),
    ExportColumn("審議内容", width=50),
]


def agenda_xlsx(*, user: User, meeting_id: int) -> bytes:
    view = meetings.meeting_detail(user=user, meeting_id=meeting_id)
    rows = [
        [
            r.item.position,
            r.receipt_number,
            r.title,
            r.reason,
            r.category,
            r.lead_organization,
            r.step,
            r.status,
            r.sla_label,
            r.due_on,
            r.due_label,
            r.elapsed_days,
            r.target_days,
            r.discussion,
        ]
        for r in view.rows
    ]
    out = io.BytesIO()
    write_xlsx(AGENDA_COLUMNS, rows, out, title="議題一覧", count=len(rows))
    return out.getvalue()


def agenda_pdf(*, user: User, meeting_id: int) -> bytes:
    view = meetings.meeting_detail(user=user, meeting_id=meeting_id)
    return render_pdf(
        "cases/pdf/agenda.html",
        {
            "title": f"{view.meeting.title} 次第",
            "view": view,
            "meeting": view.meeting,
            "held_on": to_wareki(view.meeting.held_on),
            "made_on": to_wareki(today()),
            "case_rows": [r for r in view.rows if r.item.case_id],
            "other_rows": [r for r in view.rows if not r.item.case_id],
        },
    )


def agenda_filename(meeting: Meeting, suffix: str) -> str:
    return f"agenda-{meeting.held_on:%Y%m%d}-{meeting.pk}.{suffix}"
