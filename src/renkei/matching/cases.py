"""What a case is matched by — one rule for the case page's panel and the API.

The query is the case's title and summary, and its 相談内容 only when this viewer may read it (a 概要のみ reader's
matches come from what they were given, nothing more). The case's company judges the programs only under the same
condition, and only if the viewer may see that company.
"""

from __future__ import annotations

from typing import Any

from renkei.cases.selectors import CaseView
from renkei.catalog.eligibility import STAGES, CompanyProfile
from renkei.companies.models import Company
from renkei.core.errors import ValidationFailed

from .engine import MAX_QUERY_CHARS
from .services import MatchResponse, clean_query, match


def case_query_text(view: CaseView) -> str:
    case = view.case
    parts = [case.title, case.summary]
    if view.shows_detail:
        parts.append(case.detail)
    return "\n".join(p for p in parts if p)[:MAX_QUERY_CHARS]


def case_stage(view: CaseView) -> str | None:
    """The case's 事業段階 in the eligibility rules' words (試作・実証・評価 → 試作), when it has one."""
    label = view.case.get_stage_display() if view.case.stage else ""
    return next((s for s in STAGES if label.startswith(s)), None)


def case_profile(user: Any, view: CaseView) -> CompanyProfile | None:
    case = view.case
    if not (case.company_id and view.shows_detail):
        return None
    company = Company.objects.visible_to(user).filter(pk=case.company_id).first()
    return CompanyProfile.from_company(company, stage=case_stage(view)) if company else None


def case_matches(
    user: Any,
    view: CaseView,
    *,
    kinds: list[str] | None = None,
    limit: int = 10,
    profile: CompanyProfile | None = None,
) -> MatchResponse:
    """Suggestions for a case (never the case itself); an empty response when its text has nothing to search by."""
    text = case_query_text(view)
    try:
        clean_query(text)
    except ValidationFailed:  # a title of signs only
        return MatchResponse(text)
    return match(
        user=user, text=text, kinds=kinds, limit=limit, profile=profile, exclude_keys=[f"case:{view.case.pk}"]
    )
