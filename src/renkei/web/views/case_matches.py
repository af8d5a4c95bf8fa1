"""The matches panel of a case: seeds, researchers, equipment, test services, programs, bodies and past cases that
fit the consultation, each with why — and the coordinator's 「役に立つ」/「役に立たない」.

The panel is its own request (lazy-loaded into the case page with htmx, a plain page without JavaScript), so the
case page costs no more than before. The query is the case as this viewer may read it (``case_detail`` decides:
a 概要のみ reader's query holds the title and summary, never the 相談内容 they were not given); the case itself is
left out of its own results, and every result goes through the matching service's visibility rules.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from renkei.cases.choices import FINISHED_STATUSES, LIVE_HANDOFF_STATES
from renkei.cases.forms import handoff_target_choices
from renkei.cases.selectors import CaseView, case_detail
from renkei.core.errors import NotFound, ValidationFailed
from renkei.matching.cases import case_profile, case_query_text
from renkei.matching.feedback import feedback_for_case, feedback_record
from renkei.matching.services import match
from renkei.matching.store import current_version

from .common import staff_required
from .search import ResultRow, result_rows, sources_of

PANEL_SIZE = 10
FEEDBACK_LABELS = {True: "役に立つ", False: "役に立たない"}


def dom_id(item_key: str) -> str:
    """An id fragment for one suggestion ("seed:12" → "seed-12"), safe whatever was posted."""
    return re.sub(r"[^a-z0-9_-]", "-", (item_key or "").lower())[:40] or "item"


def _case_view(request: HttpRequest, case_id: int) -> CaseView:
    try:
        # Not logged as a read: the panel shows catalog items, never the case's text (the page logs its reads).
        return case_detail(user=request.user, case_id=case_id, via="web", log=False)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _handoff_targets(view: CaseView) -> tuple[set[int], set[int]]:
    """(organizations this viewer may hand the case to now, organizations it is already handed to)."""
    case = view.case
    live = {h.to_organization_id for h in view.handoffs if h.state in LIVE_HANDOFF_STATES}
    if not view.can_manage or case.status in FINISHED_STATUSES:
        return set(), live
    targets = {pk for _, rows in handoff_target_choices(case) for pk, _ in rows}
    return targets - live, live


def _panel_context(request: HttpRequest, view: CaseView) -> dict[str, Any]:
    case = view.case
    profile = case_profile(request.user, view)
    rows: list[ResultRow] = []
    problem = ""
    try:
        response = match(
            user=request.user,
            text=case_query_text(view),
            limit=PANEL_SIZE,
            exclude_keys=[f"case:{case.pk}"],
            profile=profile,
        )
        rows = result_rows(response.items)
    except ValidationFailed:
        problem = "件名・概要に言葉が少ないため、候補を探せませんでした。"
    feedback = feedback_for_case(case, request.user)
    targets, live = _handoff_targets(view)
    entries = []
    for row in rows:
        org = row.item.organization_id if row.item.kind != "case" else None
        entries.append(
            {
                "row": row,
                "key": row.item.key,
                "dom_id": dom_id(row.item.key),
                "state": feedback.get(row.item.key),
                "handoff_to": org if org in targets else None,
                "handed": org in live,
            }
        )
    used = ["件名", "概要"] + (["相談内容"] if view.shows_detail else [])
    return {
        "case": case,
        "view": view,
        "entries": entries,
        "problem": problem,
        "used_fields": used,
        "profile_used": profile is not None,
        "sources": sources_of([r.item.obj for r in rows]),
    }


@require_GET
@staff_required
def case_matches_view(request: HttpRequest, case_id: int) -> HttpResponse:
    view = _case_view(request, case_id)
    context = _panel_context(request, view)
    if request.htmx:
        return render(request, "web/cases/_matches.html", context)
    return render(request, "web/cases/matches.html", {**context, "nav_section": "cases"})


def _number(raw: str | None, cast: Any) -> Any:
    text = (raw or "").strip()
    if not text:
        return None
    try:
        return cast(text)
    except ValueError:
        return text  # the service says what is wrong with it


@require_POST
@staff_required
def case_match_feedback_view(request: HttpRequest, case_id: int) -> HttpResponse:
    view = _case_view(request, case_id)
    key = (request.POST.get("item_key") or "").strip()
    raw_useful = request.POST.get("useful", "")
    rank = _number(request.POST.get("rank"), int)
    score = _number(request.POST.get("score"), float)
    block = {"case": view.case, "key": key, "dom_id": dom_id(key), "rank": rank, "score": score}
    try:
        feedback = feedback_record(
            actor=request.user,
            case_id=view.case.pk,
            item_key=key,
            useful={"1": True, "0": False}.get(raw_useful, raw_useful),  # type: ignore[arg-type]
            rank=rank,
            score=score,
            query_text=case_query_text(view),
            index_version=current_version() or "",
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except ValidationFailed as exc:
        if request.htmx:
            return render(
                request,
                "web/cases/_match_feedback.html",
                {**block, "state": None, "error": exc.message},
                status=422,
            )
        messages.error(request, exc.message)
        return redirect("web:case_matches", case_id=view.case.pk)
    said = f"「{FEEDBACK_LABELS[feedback.useful]}」と記録しました。"
    if request.htmx:
        return render(
            request, "web/cases/_match_feedback.html", {**block, "state": feedback.useful, "saved": said}
        )
    messages.success(request, f"候補の評価を{said}")
    return redirect(f"{reverse('web:case_matches', args=[view.case.pk])}#match-{dom_id(key)}")
