"""API routes of the catalog: public lists and details of every kind, staff create/change, and the eligibility check.

* ``GET /catalog/{kind}`` and ``GET /catalog/{kind}/{id}`` — no login needed; through ``selectors`` (hence
  ``visible_to``): a visitor reads published items only, staff also their organizations' and their region's
  unpublished ones. An item the caller may not see answers 404.
* ``POST /catalog/{kind}`` and ``PATCH /catalog/{kind}/{id}`` — staff, through ``services`` (403/404/422 as they
  decide). Each kind has its own typed routes (generated below from ``schemas.KIND_SCHEMAS``), so the OpenAPI
  schema says exactly what each kind takes and returns.
* ``POST /programs/{id}/eligibility`` — no login needed: a typed company profile (or a company the caller may see;
  for a company login with nothing typed, its own company) → the verdict of ``eligibility.evaluate``.

Authentication is optional on this router: the API mounts it with a token, the session or else a visitor
(``AnonymousUser``), so a script with a token reads what its user may read. Public routes say so in the OpenAPI schema
(``OPTIONAL_AUTH``: an empty security requirement); the staff routes, which share their paths with public ones, refuse
a visitor themselves (401, ``_staff``).

No ``from __future__ import annotations`` here: the handlers are made in a loop, and django-ninja reads their
annotations (the per-kind schemas) as objects, which it could not resolve from strings naming loop variables.
"""

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from ninja import Path, Query, Router, Status
from ninja.errors import AuthenticationError

from renkei.companies.accounts import own_company
from renkei.companies.models import Company
from renkei.companies.selectors import company_detail
from renkei.core.api import MAX_ID, Problem, paginate
from renkei.core.errors import FieldError, NotFound, ValidationFailed

from . import services
from .choices import (
    KIND_EQUIPMENT,
    KIND_LABELS,
    KIND_PROGRAMS,
    KIND_RESEARCHERS,
    KIND_SEEDS,
    KIND_TEST_SERVICES,
    KINDS,
)
from .eligibility import CompanyProfile, evaluate
from .schemas import KIND_SCHEMAS, EligibilityOut, ProfileIn, request_user
from .selectors import catalog_list, item_detail, model_for

PathId = Path[int, {"ge": 1, "le": MAX_ID}]

router = Router(tags=["カタログ（研究シーズ・機器・依頼試験・支援施策）"])

_READ = {404: Problem, 422: Problem}
_WRITE = {400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 422: Problem}

_CREATE = {
    KIND_SEEDS: services.seed_create,
    KIND_RESEARCHERS: services.researcher_create,
    KIND_EQUIPMENT: services.equipment_create,
    KIND_TEST_SERVICES: services.test_service_create,
    KIND_PROGRAMS: services.program_create,
}
_UPDATE = {
    KIND_SEEDS: (services.seed_update, "seed_id"),
    KIND_RESEARCHERS: (services.researcher_update, "researcher_id"),
    KIND_EQUIPMENT: (services.equipment_update, "equipment_id"),
    KIND_TEST_SERVICES: (services.test_service_update, "test_service_id"),
    KIND_PROGRAMS: (services.program_update, "program_id"),
}
# A public route: authentication is optional (added to the requirements the mount declares).
OPTIONAL_AUTH = {"security": [{}]}
_VISIBILITY_NOTE = (
    "ログイン不要です。公開の項目を返します（職員には、所属機関の項目と事務局を務める地域の項目も）。"
)

# --- the company profile (also read by GET /search) ---------------------------------------------------------

# API field → the key ``CompanyProfile.from_input`` reads; errors are named back with the API's field names.
PROFILE_INPUT_KEYS = {
    "size_class": "size_class",
    "employees": "employees",
    "capital": "capital",
    "jsic": "jsic_code",
    "prefecture": "prefecture",
    "municipality": "municipality",
    "founded_year": "founded",
    "stage": "stage",
}
_API_FIELD = {v: k for k, v in PROFILE_INPUT_KEYS.items()}


def profile_from(user: Any, values: dict[str, Any], *, own: Company | None = None) -> CompanyProfile | None:
    """The profile given by ``values`` (API field names; blanks ignored), or by ``company_id`` (a company the user may
    see, with at most ``stage`` beside it), or else by ``own`` (a company login's own company); None when nothing is
    given. Bad input → ValidationFailed per field."""
    given = {k: v for k, v in values.items() if k in PROFILE_INPUT_KEYS and v not in (None, "")}
    company_id = values.get("company_id")
    if company_id:
        others = sorted(set(given) - {"stage"})
        if others:
            message = f"company_id と企業の属性（{', '.join(others)}）は同時に指定できません。どちらかにしてください。"
            raise ValidationFailed.from_errors([FieldError("company_id", message)])
        company = company_detail(user=user, company_id=company_id)
        return CompanyProfile.from_company(company, stage=given.get("stage"))
    if own is not None and not set(given) - {"stage"}:
        return CompanyProfile.from_company(own, stage=given.get("stage"))
    if not given:
        return None
    profile, errors = CompanyProfile.from_input(
        {PROFILE_INPUT_KEYS[k]: v for k, v in given.items()}, today=timezone.localdate()
    )
    if errors:
        raise ValidationFailed.from_errors(
            [FieldError(_API_FIELD.get(e.field, e.field), e.message) for e in errors]
        )
    return profile


# --- catalog items, per kind -----------------------------------------------------------------------------------


def _staff(request: HttpRequest) -> User:
    """The caller of a staff route; a visitor (no token, no session) is refused with 401."""
    user = request_user(request)
    if not user.is_authenticated:
        raise AuthenticationError()
    return user


def _list_filters(kind: str, filters: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if kind == KIND_EQUIPMENT:
        extra["category"] = filters.category
    if kind == KIND_PROGRAMS:
        extra.update(
            fiscal_year=filters.fiscal_year,
            program_kind=filters.kind,
            purpose=filters.purpose,
            open_on=filters.open_on,
        )
    return extra


def _register(kind: str) -> None:  # noqa: C901 - four small handlers per kind
    schemas = KIND_SCHEMAS[kind]
    label = KIND_LABELS[kind]
    name = kind.replace("-", "_")
    create, (update, id_kwarg) = _CREATE[kind], _UPDATE[kind]

    def list_items(request: HttpRequest, filters: Query[schemas.filters]):  # type: ignore[name-defined]
        qs = catalog_list(
            kind,
            request_user(request),
            filters.q,
            region=filters.region,
            organization=filters.organization,
            **_list_filters(kind, filters),
        )
        return paginate(qs, filters)

    def get_item(request: HttpRequest, item_id: PathId):
        return item_detail(kind, item_id, request_user(request))

    def create_item(request: HttpRequest, payload: schemas.create):  # type: ignore[name-defined]
        actor = _staff(request)
        item = create(actor=actor, data=payload.model_dump(mode="json", exclude_none=True))
        return Status(201, item_detail(kind, item.pk, actor))

    def update_item(request: HttpRequest, item_id: PathId, payload: schemas.change):  # type: ignore[name-defined]
        actor = _staff(request)
        update(actor=actor, data=payload.model_dump(mode="json", exclude_unset=True), **{id_kwarg: item_id})
        return item_detail(kind, item_id, actor)

    for handler, verb in (
        (list_items, "list"),
        (get_item, "get"),
        (create_item, "create"),
        (update_item, "update"),
    ):
        handler.__name__ = f"{verb}_{name}"
        handler.__qualname__ = handler.__name__

    router.get(
        f"/catalog/{kind}",
        response={200: schemas.page, 422: Problem},
        openapi_extra=OPTIONAL_AUTH,
        operation_id=f"catalog_{name}_list",
        summary=f"{label}の一覧",
        description=_VISIBILITY_NOTE
        + " q は部分一致（空白区切りで AND）。需要の文章から探すときは /search を使います。",
    )(list_items)
    router.post(
        f"/catalog/{kind}",
        response={201: schemas.out, **_WRITE},
        operation_id=f"catalog_{name}_create",
        summary=f"{label}の登録（職員）",
        description=(
            "入力は画面・取込と同じ規則で検査します（全角数字・「1,500万円」・和暦の日付も可）。誤りは項目ごとに 422、"
            "登録できない機関・地域は 403 です。"
        ),
    )(create_item)
    router.get(
        f"/catalog/{kind}/{{item_id}}",
        response={200: schemas.out, **_READ},
        openapi_extra=OPTIONAL_AUTH,
        operation_id=f"catalog_{name}_get",
        summary=f"{label}の詳細",
        description=_VISIBILITY_NOTE + " 見る権限のない項目は 404 です。",
    )(get_item)
    router.patch(
        f"/catalog/{kind}/{{item_id}}",
        response={200: schemas.out, **_WRITE},
        operation_id=f"catalog_{name}_update",
        summary=f"{label}の変更（職員）",
        description="送った項目だけを変更します（null で空にします）。見る権限のない項目は 404、変更できない項目は 403 です。",
    )(update_item)


for _kind in KINDS:
    _register(_kind)


# Unknown kinds get a Japanese problem naming the kinds there are (not Django's page for an unknown URL).
@router.get("/catalog/{kind}", include_in_schema=False)
def unknown_kind(request: HttpRequest, kind: str):
    model_for(kind)  # raises for an unknown kind; a known one has its own route above
    raise NotFound("指定されたものは見つかりません。")


@router.get("/catalog/{kind}/{item_id}", include_in_schema=False)
def unknown_kind_item(request: HttpRequest, kind: str, item_id: str):
    model_for(kind)
    raise NotFound("指定されたものは見つかりません。")


# --- eligibility -----------------------------------------------------------------------------------------------


@router.post(
    "/programs/{program_id}/eligibility",
    response={200: EligibilityOut, 400: Problem, 404: Problem, 422: Problem},
    openapi_extra=OPTIONAL_AUTH,
    summary="支援施策の対象かどうか（対象要件の判定）",
    description=(
        "企業の規模・従業員数・資本金・業種・所在地・設立年・事業段階を入力すると、施策の対象要件ごとの判定と"
        "結論（対象・対象外・あと少しで対象・情報が不足）を返します。全角数字や「300人」「3億円」「令和元年」"
        "「千葉県」「製造業」も受け付けます。ログイン中の職員は company_id で閲覧できる企業を指定できます。"
        "企業ログインの利用者は、企業の属性を指定しなければ自社の登録情報で判定します。"
        "何も記録しません。見る権限のない施策は 404 です。"
    ),
)
@csrf_exempt  # writes nothing: a logged-in visitor's browser need not send a CSRF token
def program_eligibility(request: HttpRequest, program_id: PathId, payload: ProfileIn):
    user = request_user(request)
    program = item_detail(KIND_PROGRAMS, program_id, user)
    profile = profile_from(user, payload.model_dump(mode="json"), own=own_company(user)) or CompanyProfile()
    verdict = evaluate(program.eligibility, profile, today=timezone.localdate())
    return {"program": program, "profile": profile, "verdict": verdict.to_dict()}
