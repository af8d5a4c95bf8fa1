"""Company pages (staff only). Everything goes through ``visible_to(user)``: what a user may not see is a 404.

Staff who may edit a company also issue its company logins (企業ログイン) here: the initial password goes through the
session to the redirected page, shown there once and never put in a URL or a message cookie."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

from renkei.companies.accounts import company_accounts, create_company_login, set_company_login_active
from renkei.companies.forms import WIDE_FIELDS, CompanyForm, CompanyLoginForm, CompanySearchForm
from renkei.companies.models import Company
from renkei.companies.selectors import company_detail, company_list
from renkei.companies.services import can_edit_company, company_create, company_update
from renkei.core.errors import ApplicationError, NotFound
from renkei.network.selectors import staff_context, writable_organizations

from ..lookups import jsic_suggestions, municipality_options_for, municipality_suggestions
from .common import (
    apply_errors,
    organization_choices,
    paginate,
    staff_required,
)

ISSUED_LOGIN_KEY = "renkei_issued_company_login"  # the session key of a just-issued login's initial password


@staff_required
def company_list_view(request: HttpRequest) -> HttpResponse:
    form = CompanySearchForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    companies = company_list(
        user=request.user, q=filters.get("q") or None, size_class=filters.get("size_class") or None
    )
    ctx = staff_context(request.user)
    return render(
        request,
        "web/companies/list.html",
        {
            "form": form,
            "page": paginate(request, companies),
            "is_filtered": bool(filters.get("q") or filters.get("size_class")),
            "can_write": ctx.is_superuser or bool(ctx.writer_org_ids),
        },
    )


def _company_or_404(request: HttpRequest, company_id: int):  # type: ignore[no-untyped-def]
    try:
        return company_detail(user=request.user, company_id=company_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


def _detail_page(
    request: HttpRequest, company: Company, *, login_form: CompanyLoginForm | None = None
) -> HttpResponse:
    jsic_path = []
    node = company.jsic
    while node is not None:
        jsic_path.insert(0, node)
        node = node.parent
    can_edit = can_edit_company(staff_context(request.user), company)
    context: dict[str, Any] = {
        "company": company,
        "jsic_path": jsic_path,
        "contacts": list(company.contacts.all()),
        "can_edit": can_edit,
    }
    issued = None
    if can_edit:
        # The initial password of a login issued just before (PRG): shown once, then gone from the session.
        pending = request.session.get(ISSUED_LOGIN_KEY)
        if pending and pending.get("company_id") == company.pk:
            issued = request.session.pop(ISSUED_LOGIN_KEY)
        context.update(
            accounts=list(company_accounts(company)),
            login_form=login_form or CompanyLoginForm(),
            issued_login=issued,
        )
    response = render(
        request,
        "web/companies/detail.html",
        context,
        status=422 if login_form is not None and login_form.errors else 200,
    )
    if issued:
        add_never_cache_headers(response)  # the password must not stay in a cache or the back button
    return response


@staff_required
def company_detail_view(request: HttpRequest, company_id: int) -> HttpResponse:
    return _detail_page(request, _company_or_404(request, company_id))


@require_POST
@staff_required
def company_login_create_view(request: HttpRequest, company_id: int) -> HttpResponse:
    """「ログインを発行」: a company login with a random initial password, shown once on the redirected page."""
    company = _company_or_404(request, company_id)
    if not can_edit_company(staff_context(request.user), company):
        raise DjangoPermissionDenied("この企業の企業ログインを発行する権限がありません。")
    form = CompanyLoginForm(request.POST)
    if form.is_valid():
        try:
            user, password = create_company_login(
                actor=request.user, company_id=company.pk, email=form.cleaned_data["email"]
            )
        except NotFound as exc:
            raise Http404(exc.message) from None
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            request.session[ISSUED_LOGIN_KEY] = {
                "company_id": company.pk,
                "email": user.email,
                "password": password,
            }
            return redirect(reverse("web:company_detail", args=[company.pk]) + "#logins")
    return _detail_page(request, company, login_form=form)


@require_POST
@staff_required
def company_login_active_view(request: HttpRequest, company_id: int, account_id: int) -> HttpResponse:
    """「停止」/「再開」 of a company login (``active`` = "1" resumes)."""
    active = request.POST.get("active") == "1"
    try:
        account = set_company_login_active(
            actor=request.user, company_id=company_id, account_id=account_id, active=active
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except ApplicationError as exc:
        raise DjangoPermissionDenied(exc.message) from None
    who = account.user.email or account.user.username
    messages.success(request, f"企業ログイン {who} を{'再開' if active else '停止'}しました。")
    return redirect(reverse("web:company_detail", args=[company_id]) + "#logins")


def _form_page(request: HttpRequest, form: CompanyForm, *, company=None) -> HttpResponse:  # type: ignore[no-untyped-def]
    return render(
        request,
        "web/companies/form.html",
        {
            "form": form,
            "company": company,
            "wide_fields": WIDE_FIELDS,
            "municipality_options": municipality_options_for(staff_context(request.user)),
            "jsic_options": jsic_suggestions(form["jsic_code"].value() or ""),
        },
        status=422 if form.errors else 200,
    )


@staff_required
def company_create_view(request: HttpRequest) -> HttpResponse:
    ctx = staff_context(request.user)
    owners = organization_choices(writable_organizations(ctx))
    if not owners:
        raise DjangoPermissionDenied(
            "企業を登録できるのは、支援機関の事務局・コーディネーター・担当者の権限を持つ職員です。"
        )
    if request.method != "POST":
        return _form_page(request, CompanyForm(owner_choices=owners))
    form = CompanyForm(request.POST, owner_choices=owners)
    if form.is_valid():
        try:
            company = company_create(
                actor=request.user,
                data=form.service_data(),
                owner_organization_id=form.cleaned_data["owner_organization"],
            )
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"企業「{company.name}」を登録しました。")
            return redirect("web:company_detail", company_id=company.pk)
    return _form_page(request, form)


@staff_required
def company_edit_view(request: HttpRequest, company_id: int) -> HttpResponse:
    company = _company_or_404(request, company_id)
    if not can_edit_company(staff_context(request.user), company):
        raise DjangoPermissionDenied("この企業の情報を変更する権限がありません。")
    if request.method != "POST":
        return _form_page(request, CompanyForm(initial=CompanyForm.initial_for(company)), company=company)
    form = CompanyForm(request.POST)
    if form.is_valid():
        try:
            company = company_update(actor=request.user, company_id=company.pk, data=form.service_data())
        except NotFound as exc:
            raise Http404(exc.message) from None
        except ApplicationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"企業「{company.name}」の情報を更新しました。")
            return redirect("web:company_detail", company_id=company.pk)
    return _form_page(request, form, company=company)


@require_GET
@staff_required
def jsic_suggest_view(request: HttpRequest) -> HttpResponse:
    """htmx: the <datalist> of 産業分類 細分類 matching what is typed in the code field."""
    return render(
        request,
        "web/companies/_jsic_options.html",
        {"jsic_options": jsic_suggestions(request.GET.get("jsic_code", ""))},
    )


@require_GET
@staff_required
def municipality_suggest_view(request: HttpRequest) -> HttpResponse:
    """htmx: the <datalist> of 市区町村 matching what is typed in the municipality field."""
    typed = request.GET.get("municipality_code", "")
    options = (
        municipality_suggestions(typed)
        if typed.strip()
        else municipality_options_for(staff_context(request.user))
    )
    return render(request, "web/companies/_municipality_options.html", {"municipality_options": options})
