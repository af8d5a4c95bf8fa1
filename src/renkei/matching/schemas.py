"""API schemas of matching: the search query (with an optional company profile), explained results, feedback.

A result's ``kind`` is the index's (``seed``, ``researcher``, ``equipment``, ``test_service``, ``program``,
``organization``, ``case``) and ``url`` the API address of the item itself (``/api/v1/catalog/seeds/12`` …).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any

from django.urls import reverse
from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool

from renkei.catalog.schemas import RegionKey, Stage, VerdictOut
from renkei.companies.choices import SizeClass
from renkei.core.api import MAX_ID, NO_NUL

from .documents import KIND_LABELS
from .engine import MAX_QUERY_CHARS
from .services import MAX_LIMIT, MatchItem, MatchResponse

Id = Annotated[int, Field(ge=1, le=MAX_ID)]

SearchKind = StrEnum("SearchKind", {k: k for k in KIND_LABELS})  # type: ignore[misc]
SearchKind.__doc__ = "、".join(f"{k}（{label}）" for k, label in KIND_LABELS.items())

ITEM_KEY = rf"^(?:{'|'.join(KIND_LABELS)}):[1-9][0-9]{{0,17}}$"
ProfileText = Annotated[str, Field(max_length=40, pattern=NO_NUL)]

# Where each kind's item is read in this API (relative to the API root).
_PATHS = {
    "seed": "catalog/seeds/{}",
    "researcher": "catalog/researchers/{}",
    "equipment": "catalog/equipment/{}",
    "test_service": "catalog/test-services/{}",
    "program": "catalog/programs/{}",
    "organization": "organizations/{}",
    "case": "cases/{}",
}


# --- inputs ----------------------------------------------------------------------------------------------------


class _MatchQuery(Schema):
    kind: list[SearchKind] = Field(
        [], max_length=len(KIND_LABELS), description="種類（繰り返し指定可。省略時はすべて）"
    )
    limit: int = Field(10, ge=1, le=MAX_LIMIT, description=f"件数（1〜{MAX_LIMIT}）")


class SearchQuery(_MatchQuery):
    q: str = Field(
        ...,
        max_length=MAX_QUERY_CHARS,
        pattern=NO_NUL,
        description=f"探したい内容（企業の言葉のままの文章で。{MAX_QUERY_CHARS:,}文字以内）",
    )
    region: RegionKey | None = Field(
        None, description="地域の ID または識別子（その地域の項目と全国の項目に絞ります）"
    )
    network: list[Id] = Field(
        [], max_length=20, description="連携ネットワークの ID（その参加機関の項目を加えます。繰り返し指定可）"
    )
    eligible_only: bool = Field(
        False, description="true で対象外の支援施策を除きます（企業の属性を指定したときだけ）"
    )
    company_id: Id | None = Field(
        None, description="企業の ID（職員が閲覧できる企業。支援施策の対象かどうかを判定します）"
    )
    size_class: SizeClass | None = Field(None, description="企業規模（支援施策の対象かどうかの判定に）")
    employees: ProfileText | None = Field(None, description="従業員数（「300人」「３００」も可）")
    capital: ProfileText | None = Field(None, description="資本金（円。「3億円」「3,000万円」も可）")
    jsic: ProfileText | None = Field(None, description="業種（産業分類コード E、09、0911 または 製造業）")
    prefecture: ProfileText | None = Field(None, description="所在都道府県（千葉県、千葉、12）")
    municipality: ProfileText | None = Field(None, description="所在市区町村（市川市、122033）")
    founded_year: ProfileText | None = Field(None, description="設立年（2019、令和元年、2019年4月）")
    stage: Stage | None = Field(None, description="事業段階")


class CaseMatchQuery(_MatchQuery):
    pass


class FeedbackIn(Schema):
    model_config = ConfigDict(extra="forbid")

    item: str = Field(..., max_length=40, pattern=ITEM_KEY, description="候補（結果の key。例: seed:12）")
    useful: StrictBool = Field(..., description="役に立つ（true）・立たない（false）")


# --- outputs ---------------------------------------------------------------------------------------------------


class TermPair(Schema):
    query: str = Field(..., description="探した文章の語")
    document: str = Field(..., description="候補の語")


class RelatedTerm(TermPair):
    cosine: float = Field(..., description="意味の近さ（コサイン類似度）")


class ExplanationOut(Schema):
    matched: list[str] = Field(..., description="一致した語")
    synonyms: list[TermPair] = Field(..., description="同義語での一致")
    partial: list[TermPair] = Field(..., description="漢字を共有する語（部分一致）")
    related: list[RelatedTerm] = Field(..., description="意味の近い語")
    shares: dict[str, float] = Field(
        ..., description="スコアの内訳（words: 語の一致、bigrams: 文字の一致、kanji: 漢字、vector: 意味）"
    )
    summary: str = Field(..., description="理由の要約")
    snippet: str = Field(..., description="候補の本文の抜粋（一致した箇所を【】で囲みます）")


class MatchOut(Schema):
    key: str = Field(..., description="候補の識別子（例: seed:12）。評価の送信に使います")
    kind: str
    kind_label: str
    id: int
    title: str
    subtitle: str = Field(..., description="機関・研究者など")
    score: float
    rank: int
    organization_id: int | None = Field(..., description="保有・実施する機関の ID")
    url: str | None = Field(..., description="この API での詳細の URL")
    explanation: ExplanationOut
    eligibility: VerdictOut | None = Field(
        ..., description="支援施策の対象かどうか（企業の属性を指定したときの支援施策だけ）"
    )


class SearchOut(Schema):
    query: str
    index_version: str = Field(..., description="答えた索引の版")
    semantic: bool = Field(..., description="意味の近さ（語ベクトル）を使ったか")
    count: int
    results: list[MatchOut]


class CaseMatchesOut(Schema):
    case_id: int
    index_version: str
    semantic: bool
    count: int
    results: list[MatchOut]


class FeedbackOut(Schema):
    case_id: int
    item: str
    kind: str
    useful: bool
    rank: int | None = Field(..., description="評価したときの表示順位（いまの候補にないときは null）")
    score: float | None
    index_version: str
    updated_at: dt.datetime

    @staticmethod
    def resolve_item(obj) -> str:
        return obj.item_key


# --- builders --------------------------------------------------------------------------------------------------


def item_url(kind: str, object_id: int) -> str | None:
    path = _PATHS.get(kind)
    return reverse("api:api-root") + path.format(object_id) if path else None


def match_out(item: MatchItem) -> dict[str, Any]:
    """One result as plain JSON values (scores and cosines come from numpy)."""
    data = item.as_dict()
    data["score"] = float(data["score"])
    data["url"] = item_url(item.kind, item.object_id)
    explanation = data["explanation"]
    explanation["shares"] = {k: float(v) for k, v in explanation["shares"].items()}
    for related in explanation["related"]:
        related["cosine"] = float(related["cosine"])
    return data


def search_out(response: MatchResponse) -> dict[str, Any]:
    results = [match_out(i) for i in response.items]
    return {
        "query": response.text,
        "index_version": response.index_version,
        "semantic": bool(response.semantic),
        "count": len(results),
        "results": results,
    }
