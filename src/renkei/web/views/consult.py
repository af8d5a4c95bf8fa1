"""The public consultation form (no login): a company writes to the region's network and gets a receipt number.

What a person typed is never lost: a validation error re-renders every value; a rate limit shows the text back so
it can be copied. The receipt number is kept in the session (never in the URL) for the thanks page.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from renkei.cases.forms import PublicConsultForm
from renkei.cases.services import case_create_public
from renkei.core.errors import ApplicationError, RateLimited
from renkei.core.throttle import client_ip

SESSION_KEY = "renkei_consult_receipt"


def _apply_errors(form: PublicConsultForm, exc: ApplicationError) -> None:
    """Field errors on their fields; the honeypot's (a field people never see) and the rest above the form."""
    if not exc.errors:
        form.add_error(None, exc.message)
    for error in exc.errors:
        visible = error.field in form.fields and error.field != "website"
        form.add_error(error.field if visible else None, error.message)


def _page(request: HttpRequest, form: PublicConsultForm, status: int = 200) -> HttpResponse:
    return render(request, "web/consult/form.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def consult_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        form = PublicConsultForm()
        slug = request.GET.get("region", "")
        if slug in {value for value, _ in form.fields["region"].choices}:
            form.initial["region"] = slug  # a link from a region's page preselects it
        return _page(request, form)
    form = PublicConsultForm(request.POST)
    form.is_valid()  # only shapes the checkbox; every rule is the service's
    try:
        case = case_create_public(data=form.service_data(), client_ip=client_ip(request))
    except RateLimited as exc:
        return render(
            request,
            "web/consult/rate_limited.html",
            {"message": exc.message, "text": request.POST.get("text", "")},
            status=429,
        )
    except ApplicationError as exc:
        _apply_errors(form, exc)
        return _page(request, form, status=exc.status if exc.status in (409, 422) else 422)
    request.session[SESSION_KEY] = {
        "receipt_number": case.receipt_number,
        "region": case.region.name,
        "email": case.requester_email,
        "title": case.title,
    }
    return redirect("web:consult_thanks")


def consult_thanks_view(request: HttpRequest) -> HttpResponse:
    receipt = request.session.get(SESSION_KEY)
    if not receipt:
        return redirect("web:consult")
    return render(request, "web/consult/thanks.html", {"receipt": receipt})
