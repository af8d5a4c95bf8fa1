"""The public search page (no login): one need in a person's own words → every resource of the network, explained.

A GET form, so a search is a URL people can share and it works without JavaScript (htmx swaps the results in
place when it is there). What is searched, what a user may see and why an item matched are the matching
service's (``matching.services.match``); what a company profile is and whether a program is for it are the
eligibility module's. This module reads the form, calls them, and lays out what they answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from renkei.cases.forms import resolve_company
from renkei.catalog.eligibility import CompanyProfile, Verdict
from renkei.catalog.eligibility import explain as explain_verdict
from renkei.catalog.models import CatalogSource
from renkei.companies.accounts import own_company
from renkei.companies.models import Company
from renkei.companies.selectors import company_detail
from renkei.core.errors import NotFound, RateLimited, ValidationFailed
from renkei.core.throttle import check_public_search, client_ip
from renkei.matching.services import MatchItem, match
from renkei.network.models import PartnerNetworkMember, Region
from renkei.network.selectors import staff_context

from ..lookups import jsic_suggestions, municipality_suggestions
from ..search_forms import MAX_RESULTS, NATIONAL, EligibilityForm, SearchForm
from .common import apply_errors

# matching kinds → the catalog pages' URL kinds
CATALOG_SLUGS = {
    "seed": "seeds",
    "researcher": "researchers",
    "equipment": "equipment",
    "test_service": "test-services",
    "program": "programs",
}


def item_url(kind: str, object_id: int) -> str:
    if kind in CATALOG_SLUGS:
        return reverse("web:catalog_detail", args=[CATALOG_SLUGS[kind], object_id])
    if kind == "organization":
        return reverse("web:organization_detail", args=[object_id])
    if kind == "case":
        return reverse("web:case_detail", args=[object_id])
    return ""


@dataclass
class ResultRow:
    """One result as the templates show it."""

    item: MatchItem
    url: str
    verdict: Verdict | None
    verdict_summary: str

    @property
    def explanation(self) -> Any:
        return self.item.explanation

    @property
    def source(self) -> CatalogSource | None:
        return getattr(self.item.obj, "source", None)

    @property
    def dom_id(self) -> str:
        return self.item.key.replace(":", "-")

    @property
    def is_unpublished(self) -> bool:
        return getattr(self.item.obj, "is_public", True) is False


def result_rows(items: list[MatchItem]) -> list[ResultRow]:
    return [
        ResultRow(
            item=i,
            url=item_url(i.kind, i.object_id),
            verdict=i.verdict,
            verdict_summary=explain_verdict(i.verdict) if i.verdict else "",
        )
        for i in items
    ]


def sources_of(objects: list[Any]) -> list[CatalogSource]:
    """The sources of the items shown, once each (their credit lines go under the list)."""
    found: dict[int, CatalogSource] = {}
    for obj in objects:
        source = getattr(obj, "source", None)
        if source is not None:
            found.setdefault(source.pk, source)
    return sorted(found.values(), key=lambda s: s.name)


def read_profile(
    request: HttpRequest, form: EligibilityForm, own: Company | None = None
) -> tuple[CompanyProfile | None, Company | None]:
    """The company profile asked for on ``form`` (typed, or — staff — a company they may see), or (None, None);
    the parser's Japanese errors are put on the form's fields.

    ``own``: a company login's own company (``companies.accounts.own_company``), used when no figure is typed
    (typed figures win: a company may try "what if")."""
    if not form.is_valid():
        return None, None
    if form.company_typed:
        company_id, problem = resolve_company(request.user, form.company_typed)
        if problem or company_id is None:
            form.add_error("company", problem or "企業を候補から選んでください。")
            return None, None
        try:
            company = company_detail(user=request.user, company_id=company_id)
        except NotFound as exc:
            form.add_error("company", exc.message)
            return None, None
        return CompanyProfile.from_company(company, stage=form.cleaned_data.get("stage") or None), company
    data = form.profile_input()
    if own is not None and not set(data) - {"stage"}:
        return CompanyProfile.from_company(own, stage=form.cleaned_data.get("stage") or None), own
    if not data:
        return None, None
    profile, errors = CompanyProfile.from_input(data, today=timezone.localdate())
    for error in errors:
        form.add_error(error.field if error.field in form.fields else None, error.message)
    return (None, None) if errors else (profile, None)


def _scope(data: dict[str, Any]) -> tuple[list[int] | None, list[int] | None]:
    """(region_ids, network_ids) for ``match`` from the region filter."""
    slug = data.get("region") or ""
    if not slug:
        return None, None
    if slug == NATIONAL:
        return [], None
    region = Region.objects.filter(slug=slug).first()
    if region is None:
        return None, None
    networks = None
    if data.get("networks"):
        networks = sorted(
            set(
                PartnerNetworkMember.objects.filter(organization__region=region).values_list(
                    "network_id", flat=True
                )
            )
        )
    return [region.pk], networks


def _search(request: HttpRequest, form: SearchForm, elig: EligibilityForm, context: dict[str, Any]) -> int:
    """Run the search into ``context``; the HTTP status (422 when a field needs correcting)."""
    own = context["own_company"]
    profile, company = read_profile(request, elig, own=own)
    context.update(profile=profile, company=company, judged_as_own=company is not None and company is own)
    if profile is not None:  # a program's link carries the profile to its own eligibility check
        asked = elig.profile_input()
        if company is not None:
            # a registered company is named again (staff), a company login's own one needs no naming at all
            named = {"company": elig.company_typed} if elig.company_typed else {}
            asked = {**named, **({"stage": asked["stage"]} if "stage" in asked else {})}
        context["profile_query"] = urlencode(asked)
    if not form.is_valid():
        return 422
    region_ids, network_ids = _scope(form.cleaned_data)
    limit = form.limit
    eligible_only = bool(profile and elig.cleaned_data.get("eligible_only"))
    try:
        response = match(
            user=request.user,
            text=form.cleaned_data.get("q"),
            kinds=form.cleaned_data.get("kind") or None,
            limit=min(limit + 1, MAX_RESULTS),
            region_ids=region_ids,
            network_ids=network_ids,
            profile=profile,
            eligible_only=eligible_only,
        )
    except ValidationFailed as exc:
        apply_errors(form, exc)
        return 422
    items = response.items[:limit]
    context.update(
        response=response,
        rows=result_rows(items),
        has_more=len(response.items) > limit and limit < MAX_RESULTS,
        more_n=MAX_RESULTS,
        sources=sources_of([i.obj for i in items]),
        eligible_only=eligible_only,
        filter_ignored=bool(elig.cleaned_data.get("eligible_only")) and profile is None,
    )
    return 422 if elig.errors else 200


@require_GET
def search_view(request: HttpRequest) -> HttpResponse:
    staff = staff_context(request.user).is_staff_member
    regions = list(
        Region.objects.filter(is_home=True).order_by("prefecture__code").values_list("slug", "name")
    )
    searched = "q" in request.GET  # a link with filters only shows the form, not an error
    data = request.GET if searched else None
    form = SearchForm(data, staff=staff, regions=regions)
    elig = EligibilityForm(data, staff=staff)
    context: dict[str, Any] = {
        "form": form,
        "elig": elig,
        "searched": searched,
        "staff": staff,
        "own_company": own_company(request.user),
        "nav_section": "search",
    }
    if searched:
        try:
            check_public_search(request.user, client_ip(request))
        except RateLimited as exc:
            context.update(rate_limited=exc.message)
            return render(request, "web/search/search.html", context, status=429)
    status = _search(request, form, elig, context) if searched else 200
    context["elig_open"] = bool(searched and (elig.is_used or elig.errors))
    return render(request, "web/search/search.html", context, status=status)


# -- suggestions for the typed profile (national reference data, the same for everyone) ----------------------
@require_GET
def search_jsic_suggest_view(request: HttpRequest) -> HttpResponse:
    """htmx: the <datalist> of 産業分類 細分類 for what is typed (the company form's lookup, without a login)."""
    return render(
        request,
        "web/companies/_jsic_options.html",
        {"jsic_options": jsic_suggestions(request.GET.get("jsic_code", ""))},
    )


@require_GET
def search_municipality_suggest_view(request: HttpRequest) -> HttpResponse:
    """htmx: the <datalist> of 市区町村 for what is typed (the company form's lookup, without a login)."""
    typed = request.GET.get("municipality", "")
    return render(
        request,
        "web/companies/_municipality_options.html",
        {"municipality_options": municipality_suggestions(typed)},
    )
