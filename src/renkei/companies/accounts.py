"""Company logins (企業ログイン): who is a company user, and issuing a login (docs/decisions/0016-company-logins.md).

A company login is a plain Django user with a ``CompanyAccount``: it stands for one company and is never staff.
Its only use is reading the public pages with the company's registered figures (the eligibility check); it sees
no company ledger (``Company.objects.visible_to`` gives it nothing), no case and no staff page.
"""

from __future__ import annotations

import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from renkei.core.errors import Conflict, FieldError, NotFound, PermissionDenied, ValidationFailed
from renkei.core.text import nfkc
from renkei.network.selectors import staff_context

from .models import Company, CompanyAccount
from .services import can_edit_company

_CACHE_ATTR = "_renkei_own_company"
_USERNAME_MAX = 150  # django.contrib.auth's username column
TAKEN = "このメールアドレスはすでに利用者として登録されています。"


def own_company(user: User | AnonymousUser | None) -> Company | None:
    """The company a company login stands for, or None (visitors, staff, superusers, inactive users or accounts).

    Computed once per user object (i.e. once per request), like ``staff_context``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if hasattr(user, _CACHE_ATTR):
        return getattr(user, _CACHE_ATTR)
    company = None
    if not staff_context(user).is_staff_member:  # staff (and superusers) act as staff, never as a company
        account = (
            CompanyAccount.objects.filter(user_id=user.pk, is_active=True)
            .select_related("company__jsic", "company__municipality__prefecture", "company__region")
            .first()
        )
        company = account.company if account else None
    setattr(user, _CACHE_ATTR, company)
    return company


def company_accounts(company: Company) -> QuerySet[CompanyAccount]:
    """The logins of a company, oldest first (for staff who may edit the company)."""
    return company.accounts.select_related("user").order_by("created_at", "id")


def _clean_email(value: str | None) -> str:
    email = nfkc(value)  # 全角 → 半角, trimmed
    if not email:
        raise ValidationFailed.from_errors([FieldError("email", "メールアドレスを入力してください。")])
    if len(email) > _USERNAME_MAX:
        raise ValidationFailed.from_errors(
            [FieldError("email", f"メールアドレスは{_USERNAME_MAX}文字以内で入力してください。")]
        )
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationFailed.from_errors(
            [FieldError("email", "メールアドレスの形式が正しくありません。")]
        ) from None
    return get_user_model().objects.normalize_email(email)  # the domain in lower case


def _company_to_manage(actor: User | None, company_id: int) -> Company:
    """The company; 404 if the actor may not see it, 403 if not edit it. ``actor=None`` is the system (the CLI)."""
    companies = Company.objects.all() if actor is None else Company.objects.visible_to(actor)
    try:
        company = companies.get(pk=company_id)
    except (Company.DoesNotExist, ValueError, TypeError):
        raise NotFound("指定された企業は見つかりません。") from None
    if actor is not None and not can_edit_company(staff_context(actor), company):
        raise PermissionDenied("この企業の企業ログインを発行する権限がありません。")
    return company


@transaction.atomic
def create_company_login(*, actor: User | None, company_id: int, email: str) -> tuple[User, str]:
    """Issue a login for a company: a user named by the e-mail address, with a random initial password.

    Returns (user, initial password); the password is not kept (only its hash), so it is shown once.
    ``actor`` must be allowed to edit the company (superusers always); ``None`` is the system (the CLI)."""
    company = _company_to_manage(actor, company_id)
    email = _clean_email(email)
    users = get_user_model().objects
    if users.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
        raise Conflict(TAKEN, field="email")
    password = secrets.token_urlsafe(12)
    try:
        with transaction.atomic():
            user = users.create_user(username=email, email=email, password=password)
    except IntegrityError:  # the same address issued at the same moment by someone else
        raise Conflict(TAKEN, field="email") from None
    CompanyAccount.objects.create(user=user, company=company, created_by=actor)
    return user, password


@transaction.atomic
def set_company_login_active(
    *, actor: User | None, company_id: int, account_id: int, active: bool
) -> CompanyAccount:
    """Stop (or resume) a company login: a stopped one is no company user any more (``own_company`` gives None), and
    the user cannot log in either. Who may: as for issuing (``_company_to_manage``)."""
    company = _company_to_manage(actor, company_id)
    account = (
        CompanyAccount.objects.select_for_update()
        .select_related("user")
        .filter(company=company, pk=account_id)
        .first()
    )
    if account is None:
        raise NotFound("指定された企業ログインは見つかりません。")
    account.is_active = active
    account.save(update_fields=["is_active", "updated_at"])
    user = account.user
    if user.is_active != active and not staff_context(user).is_staff_member:
        user.is_active = active
        user.save(update_fields=["is_active"])
    return account
