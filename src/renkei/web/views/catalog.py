"""The catalog's public pages: lists of seeds, researchers, equipment, test services and programs with filters, and a
page per item with its source, 「似ている候補」 and — for programs — the eligibility check.

Everything is read through ``catalog.selectors`` (``visible_to``: an unpublished item is a 404 for everyone but
its organization's staff and its region's secretariat); similar items come from ``matching.services.match``.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from renkei.catalog.choices import KIND_LABELS, KINDS
from renkei.catalog.eligibility import CompanyProfile, Verdict, evaluate
from renkei.catalog.eligibility import explain as explain_verdict
from renkei.catalog.models import ResearchSeed, TestService
from renkei.catalog.selectors import catalog_list, item_detail
from renkei.companies.accounts import own_company
from renkei.core.errors import NotFound, ValidationFailed
from renkei.core.wareki import fiscal_year_label
from renkei.matching.documents import to_document
from renkei.matching.services import match
from renkei.network.models import Organization
from renkei.network.selectors import staff_context

from ..eligibility_text import describe_rules
from ..search_forms import CatalogFilterForm, EligibilityForm
from .common import paginate
from .search import CATALOG_SLUGS, ResultRow, read_profile, result_rows, sources_of

MATCH_KINDS = {slug: kind for kind, slug in CATALOG_SLUGS.items()}
KIND_FILTERS = {"equipment": ("category",), "programs": ("program_kind", "fiscal_year")}
SIMILAR_COUNT = 5
SIMILAR_QUERY_CHARS = 2_000  # the title and the start of the text say what an item is about


def _kind_or_404(kind: str) -> str:
    if kind not in KINDS:
        raise Http404("この種類の一覧はありません。")
    return kind


def _filter_choices(kind: str, user: Any) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(organizations that hold a visible item of this kind, fiscal years of visible programs)."""
    visible = catalog_list(kind, user).order_by()
    owner = visible.model.OWNER_FIELD
    organizations = list(
        Organization.objects.filter(pk__in=visible.values(f"{owner}_id"))
        .order_by("name")
        .values_list("pk", "name")
    )
    years: list[tuple[int, str]] = []
    if kind == "programs":
        found = visible.exclude(fiscal_year__isnull=True).values_list("fiscal_year", flat=True).distinct()
        years = [(y, fiscal_year_label(y)) for y in sorted(set(found), reverse=True)]
    return organizations, years


@require_GET
def catalog_list_view(request: HttpRequest, kind: str) -> HttpResponse:
    kind = _kind_or_404(kind)
    organizations, years = _filter_choices(kind, request.user)
    form = CatalogFilterForm(
        request.GET or None,
        kind_fields=KIND_FILTERS.get(kind, ()),
        organizations=organizations,
        fiscal_years=years,
    )
    filters = form.cleaned_data if form.is_valid() else {}
    items = catalog_list(
        kind,
        request.user,
        q=filters.get("q") or None,
        organization=filters.get("organization"),
        category=filters.get("category") or None,
        program_kind=filters.get("program_kind") or None,
        fiscal_year=filters.get("fiscal_year"),
    )
    page = paginate(request, items)
    return render(
        request,
        "web/catalog/list.html",
        {
            "kind": kind,
            "kind_label": KIND_LABELS[kind],
            "form": form,
            "page": page,
            "sources": sources_of(list(page.object_list)),
            "is_filtered": any(v not in (None, "") for v in filters.values()),
            "kinds": [(k, KIND_LABELS[k]) for k in KINDS],
            "nav_section": "search",
        },
        status=422 if form.errors else 200,
    )


def similar_rows(user: Any, kind: str, item: Any) -> list[ResultRow]:
    """「似ている候補」: a match on the item's own title and text, itself left out."""
    doc = to_document(MATCH_KINDS[kind], item)
    try:
        response = match(
            user=user,
            text=f"{doc.title}\n{doc.text}"[:SIMILAR_QUERY_CHARS],
            limit=SIMILAR_COUNT,
            exclude_keys=[doc.key],
        )
    except ValidationFailed:
        return []  # a title of symbols only: nothing to compare
    return result_rows(response.items)


def _program_context(request: HttpRequest, program: Any) -> dict[str, Any]:
    """The eligibility check of a program page: from the figures typed, a company staff picked, or — for a company
    login — its own registered figures, judged on page load without a submit."""
    staff = staff_context(request.user).is_staff_member
    own = own_company(request.user)
    asked = any(request.GET.get(k) for k in (*EligibilityForm.PROFILE_FIELDS, "stage", "company"))
    form = EligibilityForm(request.GET if asked else None, staff=staff, with_filter=False)
    verdict: Verdict | None = None
    if asked:
        profile, company = read_profile(request, form, own=own)
    elif own is not None:
        profile, company = CompanyProfile.from_company(own), own
    else:
        profile, company = None, None
    if profile is not None:
        verdict = evaluate(program.eligibility, profile, today=timezone.localdate())
    rules, rules_problem = describe_rules(program.eligibility)
    return {
        "elig": form,
        "asked": asked,
        "verdict": verdict,
        "verdict_summary": explain_verdict(verdict) if verdict else "",
        "company": company,
        "own_company": own,
        "judged_as_own": company is not None and company is own,
        "rules": rules,
        "rules_problem": rules_problem,
        "staff": staff,
    }


@require_GET
def catalog_detail_view(request: HttpRequest, kind: str, item_id: int) -> HttpResponse:
    kind = _kind_or_404(kind)
    try:
        item = item_detail(kind, item_id, request.user)
    except NotFound as exc:
        raise Http404(exc.message) from None
    context: dict[str, Any] = {
        "kind": kind,
        "kind_label": KIND_LABELS[kind],
        "item": item,
        "similar": similar_rows(request.user, kind, item),
        "sources": sources_of([item]),
        "nav_section": "search",
    }
    status = 200
    if kind == "programs":
        context.update(_program_context(request, item))
        status = 422 if context["elig"].errors else 200
    elif kind == "researchers":
        context["seeds"] = list(ResearchSeed.objects.visible_to(request.user).filter(researcher=item)[:50])
    elif kind == "equipment":
        context["test_services"] = list(TestService.objects.visible_to(request.user).filter(equipment=item))
    template = f"web/catalog/{kind.replace('-', '_')}_detail.html"
    return render(request, template, context, status=status)
