"""The case page and every action on it.

Each action is a small POST form that works without JavaScript (PRG back to the case page with a message) and with
htmx (the form posts with ``hx-post``; the response is the case page again, from which htmx takes ``#case-body``:
the panel that changed, the header and the timeline — with errors shown inline in the form that failed, answered
422/403/409 so that the status says what happened). A case the user may not see is a 404, before any form is read.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from renkei.cases import classify, policies
from renkei.cases.attachments import attachment_open, case_attach
from renkei.cases.choices import CaseStatus, ConsentScope, EventKind, HandoffState
from renkei.cases.escalation import ladder_steps
from renkei.cases.forms import (
    SERVICE_FIELD_ALIASES,
    AssignForm,
    AttachmentForm,
    ClassifyForm,
    HandoffCloseForm,
    HandoffRequestForm,
    HandoffRespondForm,
    NoteForm,
    ReasonForm,
    RouteForm,
    TransitionForm,
    handoff_target_choices,
)
from renkei.cases.handoffs import (
    handoff_close,
    handoff_overdue,
    handoff_request,
    handoff_respond,
    outside_consent,
)
from renkei.cases.models import Case, EscalationStep, Handoff
from renkei.cases.selectors import access_log_for, case_detail
from renkei.cases.services import (
    case_assign,
    case_classify,
    case_escalate,
    case_hand_back,
    case_note,
    case_route,
    case_transition,
    next_step,
    previous_step,
    route_preview,
    routing_facts,
)
from renkei.cases.workflow import TRANSITIONS, allowed_targets
from renkei.companies.models import Company
from renkei.core.errors import ApplicationError, NotFound, PermissionDenied
from renkei.network.choices import WRITER_ROLES
from renkei.network.models import Category, Membership, Organization
from renkei.network.selectors import staff_context

from ..templatetags.renkei_web import person_name
from .cases import apply_case_errors
from .common import staff_required

EVENT_ICONS = {
    EventKind.CREATED: "受",
    EventKind.STATUS: "状",
    EventKind.CLASSIFIED: "類",
    EventKind.ROUTED: "振",
    EventKind.ASSIGNED: "担",
    EventKind.NOTE: "記",
    EventKind.ESCALATED: "↑",
    EventKind.HANDED_BACK: "↓",
    EventKind.HANDOFF: "紹",
    EventKind.MEETING: "会",
    EventKind.CORRECTION: "訂",
}


class _Choices:
    """The options the case page's forms offer (each read once per request, only if a form needs it)."""

    def __init__(self, case: Case):
        self.case = case

    @cached_property
    def region_orgs(self) -> list[tuple[int, str]]:
        return list(
            Organization.objects.filter(region_id=self.case.region_id)
            .order_by("name")
            .values_list("pk", "name")
        )

    @cached_property
    def writers(self) -> list[Membership]:
        return list(
            Membership.objects.in_force()
            .filter(organization__region_id=self.case.region_id, role__in=WRITER_ROLES, user__is_active=True)
            .select_related("user", "organization")
            .order_by("organization__name", "user__last_name", "user__first_name", "user__username")
        )

    @cached_property
    def assignees_grouped(self) -> list[tuple[str, list[tuple[int, str]]]]:
        groups: dict[str, list[tuple[int, str]]] = {}
        for m in self.writers:
            groups.setdefault(m.organization.name, []).append((m.user_id, person_name(m.user)))
        return list(groups.items())

    @cached_property
    def lead_assignees(self) -> list[tuple[int, str]]:
        rows = [
            (m.user_id, person_name(m.user))
            for m in self.writers
            if m.organization_id == self.case.lead_organization_id
        ]
        return list(dict(rows).items())

    @cached_property
    def handoff_groups(self) -> list[tuple[str, list[tuple[int, str]]]]:
        return handoff_target_choices(self.case)


def make_form(slot: str, case: Case, choices: _Choices, data: Any = None, files: Any = None) -> forms.Form:
    """The form of one action slot ('classify', 'status:unable', 'respond:12' …), bound when data is given."""
    kind, _, key = slot.partition(":")
    if kind == "classify":
        return ClassifyForm(data, case=case)
    if kind == "route":
        initial = {"lead_organization": case.lead_organization_id}
        return RouteForm(
            data, organizations=choices.region_orgs, assignees=choices.assignees_grouped, initial=initial
        )
    if kind == "assign":
        return AssignForm(data, assignees=choices.lead_assignees, initial={"assignee": case.assignee_id})
    if kind == "status":
        return TransitionForm(data, prefix_id=f"status_{key}" if key else "status")
    if kind in ("escalate", "hand_back"):
        return ReasonForm(data, prefix_id=kind)
    if kind == "handoff":
        return HandoffRequestForm(data, groups=choices.handoff_groups)
    if kind == "respond":
        return HandoffRespondForm(data, handoff_id=int(key))
    if kind == "close":
        return HandoffCloseForm(data, handoff_id=int(key))
    if kind == "note":
        return NoteForm(data)
    if kind == "attach":
        return AttachmentForm(data, files, max_bytes=settings.RENKEI_ATTACHMENT_MAX_BYTES)
    raise ValueError(slot)


# ---------------------------------------------------------------------------------------------------------------
# the page


def render_case_page(
    request: HttpRequest,
    case_id: int,
    *,
    bound: dict[str, forms.Form] | None = None,
    flash: str = "",
    flash_error: bool = False,
    status: int = 200,
    handoff_to: int | None = None,
) -> HttpResponse:
    """``handoff_to``: an organization to preselect in the hand-off form, which is then shown open (a match's
    「この機関に紹介」 link)."""
    try:
        view = case_detail(user=request.user, case_id=case_id, via="web")
    except NotFound as exc:
        raise Http404(exc.message) from None
    case = view.case
    ctx = staff_context(request.user)
    choices = _Choices(case)
    bound = bound or {}

    if handoff_to and not bound:
        bound = {
            "handoff": HandoffRequestForm(
                groups=choices.handoff_groups, initial={"to_organization": handoff_to}
            )
        }

    def form(slot: str) -> forms.Form:
        return bound.get(slot) or make_form(slot, case, choices)

    context: dict[str, Any] = {
        "view": view,
        "case": case,
        "flash": flash,
        "flash_error": flash_error,
        "open_slot": next(iter(bound), ""),
        "clocks": _clock_rows(view),
        "events": [
            {
                "event": e,
                "icon": EVENT_ICONS.get(EventKind(e.kind), "・") if e.kind in EventKind.values else "・",
                "show_text": bool(
                    e.text
                ),  # a 概要のみ reader's events come without text (selectors.case_detail)
            }
            for e in view.events
        ],
        "steps": _ladder_steps(case),
        "handoffs": _handoff_rows(view, form),
        "note_form": form("note") if view.can_note else None,
        "withheld": _withheld(view),
        "consent_outside": outside_consent(case),
        "company_visible": bool(case.company_id)
        and view.shows_detail
        and Company.objects.visible_to(request.user).filter(pk=case.company_id).exists(),
    }
    if view.can_manage:
        context.update(_manager_panels(case, view, form, choices))
    if (
        policies.is_region_secretariat(ctx, case.region_id)
        or case.lead_organization_id in ctx.organization_ids
    ):
        context["access_logs"] = access_log_for(user=request.user, case_id=case.pk, case=case)
    return render(request, "web/cases/detail.html", context, status=status)


def _manager_panels(
    case: Case, view: Any, form: Callable[[str], forms.Form], choices: _Choices
) -> dict[str, Any]:
    out: dict[str, Any] = {"classify_form": form("classify"), "attach_form": form("attach")}
    out["suggestions"] = [] if case.classification_confirmed else _suggestions(case)
    if case.suggestion_confidence is not None:
        out["suggestion_percent"] = round(case.suggestion_confidence * 100)
    routable = any(t.via_routing for _, t in allowed_targets(case.status, include_routing=True))
    if routable:
        winner, _ = route_preview(case.region_id, routing_facts(case))
        names = dict(choices.region_orgs)
        out["route_form"] = form("route")
        out["route_winner"] = (winner, names.get(winner.lead_organization_id, "")) if winner else None
    out["assign_form"] = form("assign")
    out["status_form"] = form("status")
    out["plain_transitions"] = [(to, t) for to, t in view.transitions if not t.needs_reason]
    out["reason_transitions"] = [
        (to, t, form(f"status:{to}")) for to, t in view.transitions if t.needs_reason
    ]
    if case.is_open:
        nxt, prev = next_step(case), previous_step(case)
        out["next_step"] = (nxt, _step_owner(case, nxt)) if nxt else None
        out["previous_step"] = (prev, _step_owner(case, prev)) if prev else None
        out["escalate_form"] = form("escalate")
        out["hand_back_form"] = form("hand_back")
    out["handoff_form"] = form("handoff")
    out["outside_targets"] = any(label.startswith("地域外") for label, rows in choices.handoff_groups if rows)
    return out


def _suggestions(case: Case) -> list[tuple[str, int]]:
    """The classifier's current top three for this text (names and percentages), for managers deciding."""
    found = classify.suggest(case.region_id, f"{case.title}\n{case.detail}", limit=3)
    names = Category.objects.in_bulk([s.category_id for s in found])
    return [
        (names[s.category_id].name, round(s.probability * 100))
        for s in found
        if s.category_id in names and s.probability >= 0.01
    ]


def _step_owner(case: Case, step: EscalationStep) -> str:
    if step.owner_organization_id:
        return step.owner_organization.name  # loaded with the ladder's steps
    return f"最初に相談を受けた機関（{case.received_by.name}）"


def _ladder_steps(case: Case) -> list[EscalationStep]:
    return ladder_steps(case)


def _clock_rows(view: Any) -> list[dict[str, Any]]:
    case = view.case
    rows = []
    for label, state, target in (
        ("初回対応", view.clocks.first_response, case.first_response_days),
        ("解決", view.clocks.resolution, case.resolution_days),
    ):
        rows.append(
            {
                "label": label,
                "state": state,
                "target": target,
                "percent": min(100, round(state.used * 100)),
                "bucket_label": state.bucket.label,
            }
        )
    return rows


def _handoff_rows(view: Any, form: Callable[[str], forms.Form]) -> list[dict[str, Any]]:
    respondable = {h.pk for h in view.respondable}
    rows = []
    for h in view.handoffs:
        live = h.state in (HandoffState.REQUESTED, HandoffState.ACCEPTED, HandoffState.REPLIED)
        may_respond = h.pk in respondable
        actions = []
        if may_respond and h.state == HandoffState.REQUESTED:
            actions = [("accept", "受諾する"), ("decline", "辞退する")]
        elif may_respond and h.state == HandoffState.ACCEPTED:
            actions = [("reply", "回答する")]
        rows.append(
            {
                "h": h,
                "overdue": handoff_overdue(h),
                "respond_form": form(f"respond:{h.pk}") if actions else None,
                "actions": actions,
                "close_form": form(f"close:{h.pk}") if live and (view.can_manage or may_respond) else None,
                "letter": h.is_external and (view.can_manage or may_respond),
            }
        )
    return rows


def _withheld(view: Any) -> list[str]:
    """What a hand-off receiver does not read, for the notice on the page."""
    if view.scope == ConsentScope.SUMMARY:
        return ["相談内容の全文", "企業名", "添付ファイル", "相談者の連絡先"]
    if view.scope == ConsentScope.DETAIL:
        return ["相談者の連絡先"]
    return []


@require_GET
@staff_required
def case_detail_view(request: HttpRequest, case_id: int) -> HttpResponse:
    to = request.GET.get("to", "")  # a match's 「この機関に紹介」 preselects that body in the hand-off form
    return render_case_page(request, case_id, handoff_to=int(to) if to.isdecimal() and len(to) < 10 else None)


# ---------------------------------------------------------------------------------------------------------------
# running an action


def _visible_case(request: HttpRequest, case_id: int) -> Case:
    case = Case.objects.visible_to(request.user).select_related("region").filter(pk=case_id).first()
    if case is None:
        raise Http404("相談案件が見つかりません。")
    return case


def _run(
    request: HttpRequest, case_id: int, slot: str, action: Callable[[dict[str, Any]], str]
) -> HttpResponse:
    case = _visible_case(request, case_id)
    form = make_form(slot, case, _Choices(case), request.POST, request.FILES)
    if not form.is_valid():
        return render_case_page(request, case_id, bound={slot: form}, status=422)
    try:
        message = action(form.cleaned_data)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except PermissionDenied as exc:
        if not _names_a_field(form, exc):  # the form may not even be on this user's page: say it at the top
            return render_case_page(request, case_id, flash=exc.message, flash_error=True, status=exc.status)
        apply_case_errors(form, exc)
        return render_case_page(request, case_id, bound={slot: form}, status=exc.status)
    except ApplicationError as exc:
        apply_case_errors(form, exc)
        return render_case_page(request, case_id, bound={slot: form}, status=exc.status)
    return _done(request, case_id, message)


def _names_a_field(form: forms.Form, exc: ApplicationError) -> bool:
    return any(SERVICE_FIELD_ALIASES.get(e.field, e.field) in form.fields for e in exc.errors)


def _done(request: HttpRequest, case_id: int, message: str) -> HttpResponse:
    visible = Case.objects.visible_to(request.user).filter(pk=case_id).exists()
    if not visible:  # e.g. a hand-off declined or closed by its receiver: the case is no longer theirs to see
        messages.success(request, f"{message}（この案件は表示できなくなりました）")
        if request.htmx:
            return HttpResponseClientRedirect(reverse("web:case_inbox"))
        return redirect("web:case_inbox")
    if request.htmx:
        return render_case_page(request, case_id, flash=message)
    messages.success(request, message)
    return redirect("web:case_detail", case_id=case_id)


@require_POST
@staff_required
def case_classify_view(request: HttpRequest, case_id: int) -> HttpResponse:
    def act(d: dict[str, Any]) -> str:
        case = case_classify(
            actor=request.user,
            case_id=case_id,
            category=d.get("category") or "",
            target_field=d.get("target_field") or None,
            stage=d.get("stage") or "",
        )
        return f"相談区分を「{case.category.name}」に確定しました。"

    return _run(request, case_id, "classify", act)


@require_POST
@staff_required
def case_route_view(request: HttpRequest, case_id: int) -> HttpResponse:
    def act(d: dict[str, Any]) -> str:
        by_rules = (d.get("mode") or "rules") == "rules"
        case = case_route(
            actor=request.user,
            case_id=case_id,
            lead_organization_id=None if by_rules else d.get("lead_organization"),
            assignee_id=d.get("assignee"),
            note=d.get("note") or "",
        )
        how = "振分けルールにより" if by_rules else ""
        return f"{how}「{case.lead_organization.name}」に振り分けました。"

    return _run(request, case_id, "route", act)


@require_POST
@staff_required
def case_assign_view(request: HttpRequest, case_id: int) -> HttpResponse:
    def act(d: dict[str, Any]) -> str:
        case = case_assign(actor=request.user, case_id=case_id, assignee_id=d.get("assignee"))
        return (
            f"担当者を「{person_name(case.assignee)}」にしました。"
            if case.assignee
            else "担当者の指定を外しました。"
        )

    return _run(request, case_id, "assign", act)


@require_POST
@staff_required
def case_status_view(request: HttpRequest, case_id: int) -> HttpResponse:
    to_status = request.POST.get("to_status", "")
    case = _visible_case(request, case_id)
    transition = TRANSITIONS.get(case.status, {}).get(to_status)
    slot = f"status:{to_status}" if transition and transition.needs_reason else "status"

    def act(d: dict[str, Any]) -> str:
        updated = case_transition(
            actor=request.user, case_id=case_id, to_status=to_status, reason=d.get("reason") or ""
        )
        return f"状態を「{CaseStatus(updated.status).label}」にしました。"

    return _run(request, case_id, slot, act)


@require_POST
@staff_required
def case_escalate_view(request: HttpRequest, case_id: int) -> HttpResponse:
    def act(d: dict[str, Any]) -> str:
        case = case_escalate(actor=request.user, case_id=case_id, reason=d.get("reason") or "")
        return (
            f"Step {case.step.position}「{case.step.name}」へエスカレーションしました"
            f"（主担当: {case.lead_organization.name}）。"
        )

    return _run(request, case_id, "escalate", act)


@require_POST
@staff_required
def case_hand_back_view(request: HttpRequest, case_id: int) -> HttpResponse:
    def act(d: dict[str, Any]) -> str:
        case = case_hand_back(actor=request.user, case_id=case_id, reason=d.get("reason") or "")
        return f"Step {case.step.position}「{case.step.name}」へ差し戻しました（主担当: {case.lead_organization.name}）。"

    return _run(request, case_id, "hand_back", act)


@require_POST
@staff_required
def case_handoff_view(request: HttpRequest, case_id: int) -> HttpResponse:
    def act(d: dict[str, Any]) -> str:
        handoff = handoff_request(
            actor=request.user,
            case_id=case_id,
            to_organization_id=d["to_organization"],
            reason=d.get("reason") or "",
            consent_scope=d.get("consent_scope") or "",
        )
        return (
            f"「{handoff.to_organization.name}」へ紹介・引継ぎを依頼しました"
            f"（共有の範囲: {handoff.get_consent_scope_display()}）。"
        )

    return _run(request, case_id, "handoff", act)


def _handoff_case_id(request: HttpRequest, handoff_id: int) -> int:
    case_id = (
        Handoff.objects.filter(pk=handoff_id, case__in=Case.objects.visible_to(request.user))
        .values_list("case_id", flat=True)
        .first()
    )
    if case_id is None:
        raise Http404("紹介・引継ぎが見つかりません。")
    return case_id


_RESPONSE_MESSAGES = {
    "accept": "紹介・引継ぎを受諾しました。",
    "decline": "紹介・引継ぎを辞退しました。",
    "reply": "紹介元へ回答しました。",
}


@require_POST
@staff_required
def handoff_respond_view(request: HttpRequest, handoff_id: int) -> HttpResponse:
    def act(d: dict[str, Any]) -> str:
        handoff_respond(
            actor=request.user, handoff_id=handoff_id, action=d["action"], text=d.get("text") or ""
        )
        return _RESPONSE_MESSAGES[d["action"]]

    return _run(request, _handoff_case_id(request, handoff_id), f"respond:{handoff_id}", act)


@require_POST
@staff_required
def handoff_close_view(request: HttpRequest, handoff_id: int) -> HttpResponse:
    def act(d: dict[str, Any]) -> str:
        handoff = handoff_close(actor=request.user, handoff_id=handoff_id, note=d.get("note") or "")
        return f"「{handoff.to_organization.name}」への紹介・引継ぎを終了しました。"

    return _run(request, _handoff_case_id(request, handoff_id), f"close:{handoff_id}", act)


@require_POST
@staff_required
def case_note_view(request: HttpRequest, case_id: int) -> HttpResponse:
    def act(d: dict[str, Any]) -> str:
        case_note(actor=request.user, case_id=case_id, text=d.get("text") or "")
        return "メモを記録しました。"

    return _run(request, case_id, "note", act)


@require_POST
@staff_required
def case_attach_view(request: HttpRequest, case_id: int) -> HttpResponse:
    def act(d: dict[str, Any]) -> str:
        attachment = case_attach(actor=request.user, case_id=case_id, upload=d.get("file"))
        return f"添付ファイル「{attachment.name}」を追加しました。"

    return _run(request, case_id, "attach", act)


@require_GET
@staff_required
def attachment_download_view(request: HttpRequest, attachment_id: int) -> HttpResponse:
    """The file, for a reader whose consent scope includes the detail; the read is written to the access log."""
    try:
        attachment, handle = attachment_open(actor=request.user, attachment_id=attachment_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return FileResponse(handle, as_attachment=True, filename=attachment.name)
