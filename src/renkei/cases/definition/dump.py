"""Dumping a region's case-ledger configuration (the format ``cases_definition_load`` reads)."""

from __future__ import annotations

from typing import Any

from renkei.core.errors import FieldError, ValidationFailed
from renkei.network.models import Category, Region, TargetField

from ..models import CaseSettings, EscalationLadder, RoutingRule, SlaPolicy, TrainingExample
from .load import FORMAT


def cases_definition_dump(region: Region | str) -> dict[str, Any]:
    """The region's configuration in the format ``cases_definition_load`` reads (dump → load changes nothing)."""
    if not isinstance(region, Region):
        found = Region.objects.filter(slug=region).first()
        if found is None:
            raise ValidationFailed.from_errors([FieldError("region", f"地域「{region}」が見つかりません。")])
        region = found
    settings_ = CaseSettings.objects.filter(region=region).select_related("window_organization").first()
    out: dict[str, Any] = {"format": FORMAT, "region": region.slug}
    if settings_ is not None:
        out |= {
            "window": settings_.window_organization.name,
            "public_intake": settings_.public_intake,
            "handoff_reply_days": settings_.handoff_reply_days,
            "receipt_prefix": settings_.receipt_prefix,
        }
    code = dict(Category.objects.values_list("id", "code"))
    field_code = dict(TargetField.objects.values_list("id", "code"))
    policies = SlaPolicy.objects.filter(region=region).order_by("category__sort_order", "category__code")
    out["sla"] = [
        {
            "category": code.get(p.category_id) if p.category_id else None,
            "first_response_days": p.first_response_days,
            "resolution_days": p.resolution_days,
        }
        for p in sorted(policies, key=lambda p: p.category_id is not None)
    ]
    out["routing_rules"] = [
        {
            "name": r.name,
            "conditions": r.conditions or {},
            "lead_organization": r.lead_organization.name,
            "default_assignee": r.default_assignee.username if r.default_assignee else None,
            "active": r.is_active,
            "note": r.note,
        }
        for r in RoutingRule.objects.filter(region=region)
        .select_related("lead_organization", "default_assignee")
        .order_by("position")
    ]
    out["ladders"] = []
    ladders = EscalationLadder.objects.filter(region=region).order_by("id")
    for ladder in ladders.prefetch_related("steps__categories", "steps__owner_organization"):
        steps = []
        for s in sorted(ladder.steps.all(), key=lambda s: s.position):
            steps.append(
                {
                    "name": s.name,
                    "owner": s.owner_organization.name if s.owner_organization else None,
                    "target_days": s.target_days,
                    "categories": [code[c.pk] for c in sorted(s.categories.all(), key=lambda c: c.pk)],
                    "meeting": s.meeting_kind,
                    "external": s.is_external,
                    "description": s.description,
                }
            )
        out["ladders"].append(
            {
                "name": ladder.name,
                "default": ladder.is_default,
                "description": ladder.description,
                "steps": steps,
            }
        )
    out["training_examples"] = [
        {"category": code[e.category_id]}
        | ({"field": field_code[e.target_field_id]} if e.target_field_id else {})
        | {"text": e.text}
        for e in TrainingExample.objects.filter(region=region, case__isnull=True).order_by("id")
    ]
    return out
