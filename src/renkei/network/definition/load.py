"""Loading a network definition: validate everything (errors by JSON path), then upsert in one transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction

from renkei.core.errors import ValidationFailed
from renkei.core.models import Prefecture
from renkei.core.text import digits_only, nfkc

from ..choices import OrganizationKind
from ..models import (
    Capability,
    Category,
    Organization,
    OrganizationRole,
    PartnerNetwork,
    PartnerNetworkMember,
    Region,
    TargetField,
)
from .shape import (
    FORMAT,
    KIND_ALIASES,
    MEMBER_KEYS,
    NETWORK_KEYS,
    ORG_KEYS,
    ORG_TEXT,
    REGION_KEYS,
    ROLE_KEYS,
    SLUG_RE,
    TOP_KEYS,
    Checker,
    fiscal_year,
    kinds_hint,
    squash,
)


@dataclass
class _Org:
    path: str
    region: str
    name: str
    values: dict[str, Any]
    parent: tuple[str, str] | None
    fields: list[str]
    roles: list[dict[str, Any]]


@dataclass
class _Network:
    name: str
    values: dict[str, Any]
    members: list[tuple[tuple[str, str], str]]


@dataclass
class _Plan:
    regions: list[dict[str, Any]] = field(default_factory=list)
    fields: dict[str, list[tuple[str, str, str | None, int]]] = field(default_factory=dict)
    categories: list[tuple[str, str, str | None, int]] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    organizations: list[_Org] = field(default_factory=list)
    networks: list[_Network] = field(default_factory=list)


class _Reader(Checker):
    """Reads a whole definition into a _Plan, resolving references against the file and the database."""

    def __init__(self) -> None:
        super().__init__()
        self.plan = _Plan()
        self.region_paths: dict[str, str] = {}  # slug → path in the file
        self.known_regions: set[str] = set()
        self.region_of_id: dict[int, str] = {}  # database region id → its slug after the load
        self.parents: dict[tuple[str, str], tuple[str, str] | None] = {}  # every organization → its parent

    def read(self, data: Any) -> _Plan:
        top = self.obj(data, "", TOP_KEYS)
        if top is None:
            raise ValidationFailed.from_errors(self.errors)
        if top.get("format") not in (None, FORMAT):
            self.err(
                "format", f"形式「{top.get('format')}」には対応していません（{FORMAT} を指定してください）。"
            )
        self.regions(top)
        self.vocabularies(top)
        self.organizations(top)
        self.check_parents()
        self.networks(top)
        if self.errors:
            raise ValidationFailed.from_errors(self.errors)
        return self.plan

    def regions(self, top: dict[str, Any]) -> None:
        prefectures = dict(Prefecture.objects.values_list("code", "name"))
        slug_of_prefecture: dict[str, str] = {}
        for i, raw in enumerate(self.items(top, "regions", "")):
            where = f"regions[{i}]"
            r = self.obj(raw, where, REGION_KEYS)
            if r is None:
                continue
            code = nfkc(str(r.get("prefecture") or ""))
            code = code.zfill(2) if code.isdigit() else code
            if code not in prefectures:
                self.err(
                    f"{where}.prefecture",
                    f'都道府県コード「{code}」はありません（"01"〜"47" の2桁のコードで指定してください）。',
                )
                continue
            if code in slug_of_prefecture:
                self.err(f"{where}.prefecture", f"都道府県コード「{code}」の地域が重複しています。")
                continue
            slug = nfkc(str(r.get("slug") or ""))
            if not SLUG_RE.match(slug) or len(slug) > 40:
                self.err(
                    f"{where}.slug",
                    "識別子（slug）は半角英数字・ハイフン・下線の40文字以内で指定してください。",
                )
                continue
            if slug in self.region_paths:
                self.err(
                    f"{where}.slug", f"識別子「{slug}」が重複しています（{self.region_paths[slug]} と同じ）。"
                )
                continue
            slug_of_prefecture[code] = slug
            self.region_paths[slug] = where
            self.plan.regions.append(
                {
                    "prefecture_id": code,
                    "slug": slug,
                    "name": self.text(r, "name", where, "地域の名称", 40) or prefectures[code],
                    "is_home": self.boolean(r, "is_home", where, "is_home（本システムで運営）"),
                    "plan_name": self.text(r, "plan_name", where, "連携支援計画の名称", 200),
                }
            )
            self.plan.fields[slug] = self.tree(r, "fields", where, "支援対象分野", 120)
        for rid, prefecture, slug, name in Region.objects.values_list("id", "prefecture_id", "slug", "name"):
            self.region_of_id[rid] = slug_of_prefecture.get(prefecture, slug)
            if prefecture not in slug_of_prefecture and slug in self.region_paths:
                self.err(
                    f"{self.region_paths[slug]}.slug",
                    f"識別子「{slug}」はすでに別の地域（{name}）で使われています。",
                )
        self.known_regions = set(self.region_of_id.values()) | set(self.region_paths)

    def vocabularies(self, top: dict[str, Any]) -> None:
        self.field_codes: dict[str, set[str]] = {s: {f[0] for f in fs} for s, fs in self.plan.fields.items()}
        for region_id, code in TargetField.objects.filter(region__isnull=False).values_list(
            "region_id", "code"
        ):
            self.field_codes.setdefault(self.region_of_id[region_id], set()).add(code)
        self.plan.categories = self.tree(top, "categories", "", "相談区分", 120)
        self.category_codes = {x[0] for x in self.plan.categories}
        self.category_codes |= set(Category.objects.values_list("code", flat=True))
        seen: dict[str, str] = {}
        for where, name in self.names(top, "capabilities", "", "対応分野タグ"):
            if len(name) > 60:
                self.err(where, f"対応分野タグは60文字以内で指定してください（「{name[:20]}…」）。")
            elif name in seen:
                self.err(where, f"対応分野タグ「{name}」が重複しています（{seen[name]} と同じ）。")
            else:
                seen[name] = where
                self.plan.capabilities.append(name)
        self.capability_names = set(self.plan.capabilities)
        self.capability_names |= set(Capability.objects.values_list("name", flat=True))

    def region_ref(self, value: Any, path: str) -> str:
        slug = nfkc(str(value or ""))
        if slug not in self.known_regions:
            hint = "、".join(sorted(self.known_regions)) or "なし"
            self.err(path, f"地域「{slug}」が見つかりません（regions の slug で指定。登録済み: {hint}）。")
            return ""
        return slug

    def organizations(self, top: dict[str, Any]) -> None:
        rows = Organization.objects.values_list("region_id", "name", "parent__region_id", "parent__name")
        for region_id, name, parent_region_id, parent_name in rows:
            parent = (self.region_of_id[parent_region_id], parent_name) if parent_name else None
            self.parents[(self.region_of_id[region_id], name)] = parent
        org_paths: dict[tuple[str, str], str] = {}
        for i, raw in enumerate(self.items(top, "organizations", "")):
            where = f"organizations[{i}]"
            o = self.obj(raw, where, ORG_KEYS)
            if o is None:
                continue
            org = self.organization(o, where)
            if org is None:
                continue
            key = (org.region, org.name)
            if key in org_paths:
                self.err(
                    f"{where}.name",
                    f"機関「{org.name}」が地域「{org.region}」に重複しています（{org_paths[key]} と同じ）。",
                )
                continue
            org_paths[key] = where
            self.parents[key] = org.parent
            self.plan.organizations.append(org)

    def organization(self, o: dict[str, Any], where: str) -> _Org | None:
        values: dict[str, Any] = {
            key: self.text(o, key, where, label, n, required)
            for key, (label, n, required) in ORG_TEXT.items()
        }
        region = self.region_ref(o.get("region"), f"{where}.region")
        kind = nfkc(str(o.get("kind") or ""))
        values["kind"] = KIND_ALIASES.get(kind, kind)
        if not kind:
            self.err(f"{where}.kind", f"種別を指定してください（{kinds_hint()}）。")
        elif values["kind"] not in OrganizationKind.values:
            self.err(
                f"{where}.kind", f"種別「{kind}」は使えません。{kinds_hint()} のいずれかを指定してください。"
            )
        postal = digits_only(str(o.get("postal_code") or "")).removeprefix("〒")
        if postal and not (postal.isdigit() and len(postal) == 7):
            self.err(f"{where}.postal_code", "郵便番号は数字7桁で入力してください（例: 260-8667）。")
        values["postal_code"] = f"{postal[:3]}-{postal[3:]}" if postal else ""
        values["url"] = self.url(o, "url", where)
        values["email"] = self.text(o, "email", where, "メールアドレス", 254)
        if values["email"]:
            try:
                validate_email(values["email"])
            except ValidationError:
                self.err(f"{where}.email", "メールアドレスの形式が正しくありません。")
        values["is_plan_member"] = self.boolean(
            o, "is_plan_member", where, "is_plan_member（計画の構成機関）"
        )
        parent = None
        if o.get("parent") not in (None, ""):
            parent_region = region
            if o.get("parent_region") not in (None, ""):
                parent_region = self.region_ref(o["parent_region"], f"{where}.parent_region")
            parent = (parent_region, squash(o["parent"]))
        fields = []
        for path, code in self.names(o, "fields", where, "支援対象分野"):
            if region and code not in self.field_codes.get(region, set()):
                self.err(
                    path,
                    f"支援対象分野「{code}」は地域「{region}」に定義されていません（fields の code で指定）。",
                )
            fields.append(code)
        roles = [self.role(r, f"{where}.roles[{j}]") for j, r in enumerate(self.items(o, "roles", where))]
        if not region or not values["name"]:
            return None
        return _Org(where, region, values["name"], values, parent, fields, [r for r in roles if r])

    def role(self, raw: Any, path: str) -> dict[str, Any] | None:
        role = self.obj(raw, path, ROLE_KEYS)
        if role is None:
            return None
        caps = self.names(role, "capabilities", path, "対応分野タグ")
        for where, cap in caps:
            if cap not in self.capability_names:
                self.err(
                    where, f"対応分野タグ「{cap}」が定義されていません（capabilities に追加してください）。"
                )
        cats = self.names(role, "accepts_categories", path, "相談区分")
        for where, cat in cats:
            if cat not in self.category_codes:
                self.err(
                    where, f"相談区分「{cat}」が定義されていません（categories の code で指定してください）。"
                )
        return {
            "text": self.text(role, "text", path, "役割", 10_000, required=True),
            "capabilities": [x for _, x in caps],
            "categories": [x for _, x in cats],
            "valid_from": self.date(role, "valid_from", path, "適用開始日"),
            "valid_to": self.date(role, "valid_to", path, "適用終了日"),
        }

    def check_parents(self) -> None:
        for org in self.plan.organizations:
            if org.parent is None or not org.parent[0]:
                continue
            if org.parent not in self.parents:
                self.err(
                    f"{org.path}.parent",
                    f"上位機関「{org.parent[1]}」が地域「{org.parent[0]}」に見つかりません（機関の名称で指定してください）。",
                )
                continue
            chain, key = [org.name], org.parent
            while key is not None and key != (org.region, org.name) and len(chain) < 50:
                chain.append(key[1])
                key = self.parents.get(key)
            if key is not None:
                self.err(
                    f"{org.path}.parent",
                    f"上位機関の指定が循環しています（{' → '.join([*chain, org.name])}）。",
                )

    def networks(self, top: dict[str, Any]) -> None:
        paths: dict[str, str] = {}
        for i, raw in enumerate(self.items(top, "partner_networks", "")):
            where = f"partner_networks[{i}]"
            n = self.obj(raw, where, NETWORK_KEYS)
            if n is None:
                continue
            values = {
                "name": self.text(n, "name", where, "連携ネットワークの名称", 200, required=True),
                "short_name": self.text(n, "short_name", where, "略称", 40),
                "description": self.text(n, "description", where, "概要", 10_000),
                "url": self.url(n, "url", where),
            }
            try:
                values["founded_fiscal_year"] = fiscal_year(n.get("founded_fiscal_year"))
            except (ValueError, TypeError):
                self.err(
                    f"{where}.founded_fiscal_year",
                    "発足年度は 2005 または「平成17年度」の形式で指定してください。",
                )
            members: list[tuple[tuple[str, str], str]] = []
            for j, raw_member in enumerate(self.items(n, "members", where)):
                path = f"{where}.members[{j}]"
                m = self.obj(raw_member, path, MEMBER_KEYS)
                if m is None:
                    continue
                region = self.region_ref(m.get("region"), f"{path}.region")
                key = (region, squash(m.get("organization")))
                if not region:
                    continue
                if key not in self.parents:
                    self.err(f"{path}.organization", f"機関「{key[1]}」が地域「{region}」に見つかりません。")
                elif any(key == k for k, _ in members):
                    self.err(f"{path}.organization", f"機関「{key[1]}」が重複しています。")
                else:
                    members.append((key, self.text(m, "note", path, "備考", 200)))
            name = values["name"]
            if name in paths:
                self.err(
                    f"{where}.name", f"連携ネットワーク「{name}」が重複しています（{paths[name]} と同じ）。"
                )
            elif name:
                paths[name] = where
                self.plan.networks.append(_Network(name, values, members))


def _upsert_tree(model, rows: list[tuple[str, str, str | None, int]], **scope: Any) -> int:
    """Create/update two-level code trees (target fields of a region, categories); parents first."""
    by_code: dict[str, Any] = {}
    for code, name, parent, order in sorted(rows, key=lambda r: r[2] is not None):
        obj, _ = model.objects.update_or_create(
            code=code, **scope, defaults={"name": name, "parent": by_code.get(parent), "sort_order": order}
        )
        by_code[code] = obj
    return len(rows)


def _write_roles(
    org: Organization,
    roles: list[dict[str, Any]],
    capabilities: dict[str, Capability],
    categories: dict[str, Category],
) -> None:
    """Replace the organization's roles by ``roles``, updating existing rows in place (ids survive a reload)."""
    existing = list(org.roles.order_by("sort_order", "id"))
    for i, spec in enumerate(roles):
        role = existing[i] if i < len(existing) else OrganizationRole(organization=org)
        role.text, role.sort_order = spec["text"], i
        role.valid_from, role.valid_to = spec["valid_from"], spec["valid_to"]
        role.save()
        role.capabilities.set([capabilities[name] for name in spec["capabilities"]])
        role.accepts_categories.set([categories[code] for code in spec["categories"]])
    for role in existing[len(roles) :]:
        role.delete()


def _write_networks(plan: _Plan, find_org) -> tuple[int, int]:
    members_total = 0
    for spec in plan.networks:
        network, _ = PartnerNetwork.objects.update_or_create(name=spec.name, defaults=spec.values)
        wanted = {find_org(key).pk: note for key, note in spec.members}
        network.memberships.exclude(organization_id__in=list(wanted)).delete()
        current = {m.organization_id: m for m in network.memberships.all()}
        for org_id, note in wanted.items():
            if org_id not in current:
                PartnerNetworkMember.objects.create(network=network, organization_id=org_id, note=note)
            elif current[org_id].note != note:
                current[org_id].note = note
                current[org_id].save(update_fields=["note"])
        members_total += len(wanted)
    return len(plan.networks), members_total


@transaction.atomic
def network_definition_load(*, data: dict) -> dict[str, int]:
    """Validate ``data`` completely, then upsert it in one transaction.

    Raises ValidationFailed (FieldErrors keyed by JSON path, Japanese messages) and writes nothing when anything
    is wrong. Returns how many of each thing the definition holds (and how many organizations were new).
    """
    plan = _Reader().read(data)
    counts: dict[str, int] = {}
    for values in plan.regions:
        Region.objects.update_or_create(prefecture_id=values["prefecture_id"], defaults=values)
    counts["regions"] = len(plan.regions)
    regions = {r.slug: r for r in Region.objects.all()}
    counts["target_fields"] = sum(
        _upsert_tree(TargetField, rows, region=regions[slug]) for slug, rows in plan.fields.items()
    )
    counts["categories"] = _upsert_tree(Category, plan.categories)
    for order, name in enumerate(plan.capabilities):
        Capability.objects.update_or_create(name=name, defaults={"sort_order": order})
    counts["capabilities"] = len(plan.capabilities)

    saved: dict[tuple[str, str], Organization] = {}

    def find_org(key: tuple[str, str]) -> Organization:
        if key not in saved:
            saved[key] = Organization.objects.get(region=regions[key[0]], name=key[1])
        return saved[key]

    created = 0
    for spec in plan.organizations:
        org, is_new = Organization.objects.update_or_create(
            region=regions[spec.region], name=spec.name, defaults=spec.values
        )
        created += int(is_new)
        saved[(spec.region, spec.name)] = org
    capabilities = {c.name: c for c in Capability.objects.all()}
    categories = {c.code: c for c in Category.objects.all()}
    for spec in plan.organizations:
        org = saved[(spec.region, spec.name)]
        parent_id = find_org(spec.parent).pk if spec.parent else None
        if org.parent_id != parent_id:
            org.parent_id = parent_id
            org.save(update_fields=["parent", "updated_at"])
        org.fields.set(TargetField.objects.filter(region=org.region_id, code__in=spec.fields))
        _write_roles(org, spec.roles, capabilities, categories)
    counts["organizations"] = len(plan.organizations)
    counts["organizations_created"] = created
    counts["roles"] = sum(len(spec.roles) for spec in plan.organizations)
    counts["partner_networks"], counts["partner_network_members"] = _write_networks(plan, find_org)
    return counts
