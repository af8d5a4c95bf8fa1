"""API routes of matching: the public search (a need in the company's own words → explained results of every kind),
the matches of a case, and coordinators' feedback on them.

Handlers translate HTTP to ``services.match`` and the cases' selectors, nothing more. Visibility is the service's:
a visitor gets published catalog items and organizations; staff also their own unpublished items and the past
cases ``Case.objects.visible_to`` lets them read — so a confidential case never reaches another organization.
A case the caller may not see answers 404.

Two routers: ``router`` (``/search``, public: the API mounts it with optional authentication, as the catalog's) and
``cases_router`` (``/cases/{id}/matches…``, staff only, mounted under ``/cases``).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Path, Query, Router

from renkei.cases.selectors import case_detail
from renkei.catalog.api import OPTIONAL_AUTH, profile_from
from renkei.catalog.schemas import request_user
from renkei.companies.accounts import own_company
from renkei.core.api import MAX_ID, Problem
from renkei.core.errors import FieldError, ValidationFailed
from renkei.core.throttle import check_public_search, client_ip
from renkei.network.models import Region

from .cases import case_matches as matches_for_case
from .cases import case_profile
from .engine import MAX_QUERY_CHARS
from .feedback import feedback_record
from .schemas import (
    CaseMatchesOut,
    CaseMatchQuery,
    FeedbackIn,
    FeedbackOut,
    SearchOut,
    SearchQuery,
    match_out,
    search_out,
)
from .services import MAX_LIMIT, match

PathId = Path[int, {"ge": 1, "le": MAX_ID}]

router = Router(tags=["マッチング（検索）"])
cases_router = Router(tags=["マッチング（検索）"])


def _region_id(key: str) -> int:
    region = Region.objects.filter(pk=int(key)).first() if key.isdigit() else None
    region = region or Region.objects.filter(slug=key).first()
    if region is None:
        raise ValidationFailed.from_errors([FieldError("region", f"地域「{key}」は見つかりません。")])
    return region.pk


@router.get(
    "/search",
    response={200: SearchOut, 404: Problem, 422: Problem, 429: Problem},
    openapi_extra=OPTIONAL_AUTH,
    summary="まとめて探す（研究シーズ・研究者・機器・依頼試験・支援施策・機関）",
    description=(
        "企業の言葉のままの文章（例: 樹脂成形品の強度評価をしたい）から、連携体制のあらゆる資源を順位付けし、"
        "理由（一致した語・同義語・意味の近い語・本文の抜粋）を添えて返します。ログイン不要で、公開の項目を"
        "返します（職員には所属機関の非公開の項目と、見る権限のある過去の相談も）。企業の属性（規模・従業員数・"
        "資本金・業種・所在地・設立年）を指定すると、支援施策ごとに対象かどうかを判定します（企業ログインの利用者は、"
        "指定しなければ自社の登録情報で判定します）。q が空・"
        f"{MAX_QUERY_CHARS:,}文字を超える・未知の種類は 422 です。ログインせずに同じ接続元から1分間に"
        "多数（既定 60 回）検索すると 429 です。"
    ),
)
def search(request: HttpRequest, query: Query[SearchQuery]):
    user = request_user(request)
    check_public_search(user, client_ip(request))
    profile = profile_from(user, query.model_dump(mode="json"), own=own_company(user))
    response = match(
        user=user,
        text=query.q,
        kinds=[str(k) for k in query.kind],
        limit=query.limit,
        region_ids=[_region_id(query.region)] if query.region else None,
        network_ids=query.network or None,
        profile=profile,
        eligible_only=query.eligible_only,
    )
    return search_out(response)


# --- on a case -------------------------------------------------------------------------------------------------


@cases_router.get(
    "/{case_id}/matches",
    response={200: CaseMatchesOut, 401: Problem, 404: Problem, 422: Problem},
    summary="相談案件の候補（マッチング）",
    description=(
        "相談の件名・概要・相談内容（読める範囲）から、研究シーズ・研究者・機器・依頼試験・支援施策・機関・"
        "似た過去の相談を、理由を添えて返します（案件の画面の候補と同じ規則）。概要のみ共有された案件は件名と"
        "概要だけで探します。相談内容まで読め、相談企業も見られるときは、支援施策ごとにその企業が対象かどうかを"
        "判定します。見る権限のない案件は 404 です。"
    ),
)
def case_matches(request: HttpRequest, case_id: PathId, query: Query[CaseMatchQuery]):
    # Not logged as a read of the case (as on the case page's panel): what is returned are catalog items.
    view = case_detail(user=request.auth, case_id=case_id, via="api", log=False)
    kinds = [str(k) for k in query.kind]
    response = matches_for_case(
        request.auth, view, kinds=kinds, limit=query.limit, profile=case_profile(request.auth, view)
    )
    results = [match_out(i) for i in response.items]
    return {
        "case_id": case_id,
        "index_version": response.index_version,
        "semantic": bool(response.semantic),
        "count": len(results),
        "results": results,
    }


@cases_router.post(
    "/{case_id}/matches/feedback",
    response={200: FeedbackOut, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 422: Problem},
    summary="候補の評価（役に立つ・立たない）",
    description=(
        "相談案件の候補（item は結果の key）が役に立つかどうかを記録します（1人1候補に1件。送り直すと上書き）。"
        "評価はマッチングの評価・学習データになり、そのときの順位・スコア・索引の版も残します。"
        "見る権限のない案件は 404 です。"
    ),
)
def case_match_feedback(request: HttpRequest, case_id: PathId, payload: FeedbackIn):
    view = case_detail(user=request.auth, case_id=case_id, via="api", log=False)
    response = matches_for_case(request.auth, view, limit=MAX_LIMIT)
    shown = {item.key: item for item in response.items}
    if payload.item not in shown:  # ranked within its own kind, as a list filtered by kind shows it
        kind = payload.item.split(":")[0]
        shown = {
            item.key: item
            for item in matches_for_case(request.auth, view, kinds=[kind], limit=MAX_LIMIT).items
        }
    hit = shown.get(payload.item)
    try:
        return feedback_record(
            actor=request.auth,
            case_id=case_id,
            item_key=payload.item,
            useful=payload.useful,
            rank=hit.rank if hit else None,
            score=float(hit.score) if hit else None,
            query_text=response.text,
            index_version=response.index_version,
        )
    except (
        ValidationFailed
    ) as exc:  # the service names the candidate ``item_key``; this API calls it ``item``
        raise ValidationFailed.from_errors(
            [FieldError("item" if e.field == "item_key" else e.field, e.message) for e in exc.errors]
        ) from None
