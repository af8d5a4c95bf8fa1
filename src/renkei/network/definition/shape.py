"""The shape of a network definition: allowed keys, and a checker that collects errors by JSON path."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from renkei.core.errors import FieldError
from renkei.core.text import nfkc
from renkei.core.wareki import ERAS

from ..choices import OrganizationKind

FORMAT = "renkei-network/1"

TOP_KEYS = ("format", "regions", "categories", "capabilities", "organizations", "partner_networks")
REGION_KEYS = ("prefecture", "name", "slug", "is_home", "plan_name", "fields")
NODE_KEYS = ("code", "name", "children")
ORG_TEXT = {  # key → (label, max length, required)
    "name": ("名称", 200, True),
    "short_name": ("略称", 60, False),
    "kana": ("よみがな", 200, False),
    "address": ("住所", 300, False),
    "representative_title": ("代表者役職", 100, False),
    "representative_name": ("代表者氏名", 100, False),
    "phone": ("電話番号", 30, False),
    "description": ("概要", 10_000, False),
}
ORG_KEYS = (
    *ORG_TEXT,
    "region",
    "kind",
    "parent",
    "parent_region",
    "postal_code",
    "url",
    "email",
    "is_plan_member",
    "fields",
    "roles",
)
ROLE_KEYS = ("text", "capabilities", "accepts_categories", "valid_from", "valid_to")
NETWORK_KEYS = ("name", "short_name", "description", "url", "founded_fiscal_year", "members")
MEMBER_KEYS = ("organization", "region", "note")

KIND_ALIASES = {
    "産": "industry",
    "学": "academia",
    "官": "government",
    "金": "finance",
    "支援機関": "support",
}
SLUG_RE = re.compile(r"^[-a-zA-Z0-9_]+$")
_URL_RE = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)
_FY_RE = re.compile(r"^(明治|大正|昭和|平成|令和)(元|\d{1,2})年度?$")


def kinds_hint() -> str:
    return "、".join(f"{value}（{label.split('（')[0]}）" for value, label in OrganizationKind.choices)


class Checker:
    """Walks a definition, collecting FieldErrors keyed by JSON path, and builds the write plan."""

    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def err(self, path: str, message: str) -> None:
        self.errors.append(FieldError(path, message))

    # -- shape -----------------------------------------------------------------------------------------------
    def obj(self, value: Any, path: str, keys: Iterable[str]) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.err(path or "$", "項目（JSON のオブジェクト）で指定してください。")
            return None
        allowed = set(keys)
        for key in value:
            if key not in allowed:
                self.err(f"{path}.{key}" if path else str(key), f"不明な項目「{key}」があります。")
        return value

    def items(self, d: dict[str, Any], key: str, path: str) -> list[Any]:
        value = d.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.err(join_path(path, key), "一覧（JSON の配列）で指定してください。")
            return []
        return value

    def text(
        self, d: dict[str, Any], key: str, path: str, label: str, max_length: int, required: bool = False
    ) -> str:
        value = d.get(key)
        where = join_path(path, key)
        if value is None:
            value = ""
        if not isinstance(value, str | int):
            self.err(where, f"{label}は文字列で指定してください。")
            return ""
        text = squash(value) if max_length < 1000 else str(value).strip()
        if required and not text:
            self.err(where, f"{label}を入力してください。")
        elif len(text) > max_length:
            self.err(where, f"{label}は{max_length:,}文字以内で入力してください（現在 {len(text):,} 文字）。")
        return text

    def boolean(self, d: dict[str, Any], key: str, path: str, label: str) -> bool:
        value = d.get(key, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            self.err(join_path(path, key), f"{label}は true か false で指定してください。")
            return False
        return value

    def names(self, d: dict[str, Any], key: str, path: str, label: str) -> list[tuple[str, str]]:
        """A list of strings → [(path of the item, text)]."""
        out = []
        for i, value in enumerate(self.items(d, key, path)):
            where = f"{join_path(path, key)}[{i}]"
            if not isinstance(value, str) or not squash(value):
                self.err(where, f"{label}は空でない文字列で指定してください。")
                continue
            out.append((where, squash(value)))
        return out

    def tree(
        self, value: dict[str, Any], key: str, path: str, label: str, max_length: int
    ) -> list[tuple[str, str, str | None, int]]:
        """Two-level {code, name, children} lists → [(code, name, parent code, sort order)]."""
        out: list[tuple[str, str, str, str | None, int]] = []
        for i, raw in enumerate(self.items(value, key, path)):
            where = f"{join_path(path, key)}[{i}]"
            node = self.obj(raw, where, NODE_KEYS)
            if node is None:
                continue
            code = self.code(node, where, label)
            name = self.text(node, "name", where, f"{label}の名称", max_length, required=True)
            if code:
                out.append((where, code, name, None, i))
            for j, raw_child in enumerate(self.items(node, "children", where)):
                child_path = f"{where}.children[{j}]"
                child = self.obj(raw_child, child_path, NODE_KEYS)
                if child is None:
                    continue
                if child.get("children"):
                    self.err(f"{child_path}.children", f"{label}は2階層までです。")
                child_code = self.code(child, child_path, label)
                child_name = self.text(child, "name", child_path, f"{label}の名称", max_length, required=True)
                if child_code:
                    out.append((child_path, child_code, child_name, code or None, j))
        seen: dict[str, str] = {}
        for where, code, *_ in out:
            if code in seen:
                self.err(f"{where}.code", f"コード「{code}」が重複しています（{seen[code]} と同じ）。")
            seen.setdefault(code, where)
        return [row[1:] for row in out]

    def code(self, d: dict[str, Any], path: str, label: str) -> str:
        value = nfkc(d.get("code") if isinstance(d.get("code"), str) else "")
        if not value:
            self.err(join_path(path, "code"), f"{label}のコードを入力してください。")
        elif not SLUG_RE.match(value) or len(value) > 60:
            self.err(
                join_path(path, "code"),
                f"{label}のコード「{value[:60]}」は半角英数字・ハイフン・下線の60文字以内で指定してください。",
            )
            return ""
        return value

    def url(self, d: dict[str, Any], key: str, path: str) -> str:
        url = self.text(d, key, path, "URL", 200)
        if url and not _URL_RE.match(url):
            self.err(join_path(path, key), "URLは http:// または https:// から始まる形式で入力してください。")
        return url

    def date(self, d: dict[str, Any], key: str, path: str, label: str) -> dt.date | None:
        value = d.get(key)
        if value in (None, ""):
            return None
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.err(join_path(path, key), f"{label}は 2024-04-01 の形式で指定してください。")
            return None


def squash(value: Any) -> str:
    """Trim and collapse whitespace; the characters themselves are kept as written (（）, ＩｏＴ …)."""
    return " ".join(str(value or "").split())


def join_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def fiscal_year(value: Any) -> int | None:
    """2005, "2005", "平成17年度" → 2005."""
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        year = value
    else:
        text = nfkc(str(value)).replace(" ", "")
        if m := _FY_RE.match(text):
            start = dict(ERAS)[m.group(1)]
            year = start.year + (1 if m.group(2) == "元" else int(m.group(2))) - 1
        else:
            year = int(text.removesuffix("年度"))
    if not 1868 <= year <= 2200:
        raise ValueError
    return year
