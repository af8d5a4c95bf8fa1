"""Dumping the network to a definition (the format ``network_definition_load`` reads)."""

from __future__ import annotations

from typing import Any

from ..models import Capability, Category, Organization, PartnerNetwork, Region, TargetField
from .shape import FORMAT


def _dump_tree(nodes: list[Any]) -> list[dict[str, Any]]:
    children: dict[int, list[Any]] = {}
    for node in nodes:
        if node.parent_id:
            children.setdefault(node.parent_id, []).append(node)
    out = []
    for node in nodes:
        if node.parent_id:
            continue
        item: dict[str, Any] = {"code": node.code, "name": node.name}
        if node.pk in children:
            item["children"] = [{"code": ch.code, "name": ch.name} for ch in children[node.pk]]
        out.append(item)
    return out


def _tree_order(nodes: list[Any]) -> dict[int, int]:
    """Position of each node when the tree is read top to bottom (parents before their children)."""
    roots = [n for n in nodes if not n.parent_id]
    order: dict[int, int] = {}
    for root in roots:
        order[root.pk] = len(order)
        for child in nodes:
            if child.parent_id == root.pk:
                order[child.pk] = len(order)
    for node in nodes:
        order.setdefault(node.pk, len(order))
    return order


def network_definition_dump() -> dict:
    """Everything the database holds, in the format ``network_definition_load`` reads."""
    regions = list(Region.objects.select_related("prefecture").order_by("prefecture__code"))
    slug = {r.pk: r.slug for r in regions}
    fields = list(TargetField.objects.filter(region__isnull=False).order_by("sort_order", "code"))
    categories = list(Category.objects.order_by("sort_order", "code"))
    category_order = _tree_order(categories)
    out: dict[str, Any] = {"format": FORMAT, "regions": [], "categories": _dump_tree(categories)}
    for r in regions:
        item: dict[str, Any] = {
            "prefecture": r.prefecture_id,
            "name": r.name,
            "slug": r.slug,
            "is_home": r.is_home,
        }
        if r.plan_name:
            item["plan_name"] = r.plan_name
        region_fields = _dump_tree([f for f in fields if f.region_id == r.pk])
        if region_fields:
            item["fields"] = region_fields
        out["regions"].append(item)
    out["capabilities"] = list(
        Capability.objects.order_by("sort_order", "name").values_list("name", flat=True)
    )

    orgs = (
        Organization.objects.select_related("parent", "region__prefecture")
        .prefetch_related("fields", "roles__capabilities", "roles__accepts_categories")
        .order_by("region__prefecture__code", "id")
    )
    out["organizations"] = []
    for org in orgs:
        item = {"region": slug[org.region_id], "name": org.name, "kind": org.kind}
        if org.parent:
            item["parent"] = org.parent.name
            if org.parent.region_id != org.region_id:
                item["parent_region"] = slug[org.parent.region_id]
        for key in (
            "short_name",
            "kana",
            "postal_code",
            "address",
            "representative_title",
            "representative_name",
        ):
            if getattr(org, key):
                item[key] = getattr(org, key)
        for key in ("url", "phone", "email", "description"):
            if getattr(org, key):
                item[key] = getattr(org, key)
        if org.is_plan_member:
            item["is_plan_member"] = True
        org_fields = sorted(org.fields.all(), key=lambda f: (f.sort_order, f.code))
        if org_fields:
            item["fields"] = [f.code for f in org_fields]
        roles = []
        for role in sorted(org.roles.all(), key=lambda r: (r.sort_order, r.pk)):
            spec: dict[str, Any] = {"text": role.text}
            caps = sorted(role.capabilities.all(), key=lambda c: (c.sort_order, c.name))
            if caps:
                spec["capabilities"] = [c.name for c in caps]
            cats = sorted(role.accepts_categories.all(), key=lambda c: category_order.get(c.pk, 0))
            if cats:
                spec["accepts_categories"] = [c.code for c in cats]
            if role.valid_from:
                spec["valid_from"] = role.valid_from.isoformat()
            if role.valid_to:
                spec["valid_to"] = role.valid_to.isoformat()
            roles.append(spec)
        if roles:
            item["roles"] = roles
        out["organizations"].append(item)

    out["partner_networks"] = []
    networks = PartnerNetwork.objects.prefetch_related("memberships__organization").order_by("name")
    for network in networks:
        item = {"name": network.name}
        for key in ("short_name", "description", "url", "founded_fiscal_year"):
            if getattr(network, key):
                item[key] = getattr(network, key)
        members = sorted(network.memberships.all(), key=lambda m: m.pk)
        item["members"] = [
            {"organization": m.organization.name, "region": slug[m.organization.region_id]}
            | ({"note": m.note} if m.note else {})
            for m in members
        ]
        out["partner_networks"].append(item)
    return out
