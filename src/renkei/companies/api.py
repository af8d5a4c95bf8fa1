"""API routes for companies (staff only).

Reads go through ``selectors`` (hence ``Company.objects.visible_to``), writes through ``services``; a company the
caller may not see answers 404 — never 403 — so its existence does not leak.
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Path, Query, Router, Status

from renkei.core.api import MAX_ID, Problem, paginate

from .schemas import CompanyDetailOut, CompanyFilters, CompanyIn, CompanyPage, CompanyPatchIn
from .selectors import company_detail, company_list
from .services import company_create, company_update

PathId = Path[int, {"ge": 1, "le": MAX_ID}]

router = Router(tags=["企業"])

_WRITE_PROBLEMS = {400: Problem, 401: Problem, 403: Problem, 409: Problem, 422: Problem}


@router.get(
    "",
    response={200: CompanyPage, 401: Problem, 422: Problem},
    summary="企業の一覧",
    description="見る権限のある企業だけを返します（担当者の情報は含みません）。",
)
def list_companies(request: HttpRequest, filters: Query[CompanyFilters]):
    qs = company_list(
        user=request.auth,
        q=filters.q,
        size_class=filters.size_class,
        region_id=filters.region,
        owner_organization_id=filters.owner_organization,
    )
    return paginate(qs, filters)


@router.post(
    "",
    response={201: CompanyDetailOut, **_WRITE_PROBLEMS},
    summary="企業の登録",
    description="入力は画面・Excel 取込と同じ規則で検査します（全角数字可）。誤りは項目ごとに 422 で返します。",
)
def create_company(request: HttpRequest, payload: CompanyIn):
    company = company_create(
        actor=request.auth,
        data=payload.model_dump(exclude={"owner_organization"}),
        owner_organization_id=payload.owner_organization,
    )
    return Status(201, company_detail(user=request.auth, company_id=company.pk))


@router.get(
    "/{company_id}",
    response={200: CompanyDetailOut, 401: Problem, 404: Problem, 422: Problem},
    summary="企業の詳細",
    description="担当者（個人情報）を含みます。見る権限のない企業は 404 です。",
)
def get_company(request: HttpRequest, company_id: PathId):
    return company_detail(user=request.auth, company_id=company_id)


@router.patch(
    "/{company_id}",
    response={200: CompanyDetailOut, 404: Problem, **_WRITE_PROBLEMS},
    summary="企業の変更",
    description="送った項目だけを変更します。企業規模は変更後の値で判定し直します。",
)
def update_company(request: HttpRequest, company_id: PathId, payload: CompanyPatchIn):
    company_update(actor=request.auth, company_id=company_id, data=payload.model_dump(exclude_unset=True))
    return company_detail(user=request.auth, company_id=company_id)
