"""Who may do what with a case. Every function answers from the StaffContext; none returns HTTP.

- Reading: ``Case.objects.visible_to`` (models.py) decides; ``scope_for`` says how much of a visible case a user
  reads (the consent scope of the hand-offs that let them see it).
- Managing (status, classification, routing, escalation, hand-offs, attachments): a writer of the lead
  organization, or the secretariat of the case's region.
- Notes: managers, and writers of an organization with a live hand-off.
- Answering a hand-off: writers of the receiving organization.
"""

from __future__ import annotations

from renkei.core.errors import PermissionDenied
from renkei.network.choices import WRITER_ROLES, OrganizationKind, StaffRole
from renkei.network.selectors import StaffContext

from .choices import CONSENT_ORDER, LIVE_HANDOFF_STATES, ConsentScope, EventKind
from .models import Case, Handoff

# What a 概要のみ reader reads of the timeline: the text of these events only (the rest: kind, actor, time).
SUMMARY_TEXT_EVENTS = frozenset({EventKind.CREATED, EventKind.ROUTED, EventKind.ASSIGNED})


def is_region_secretariat(ctx: StaffContext, region_id: int) -> bool:
    return ctx.is_superuser or region_id in ctx.secretariat_region_ids


def can_manage(ctx: StaffContext, case: Case) -> bool:
    if is_region_secretariat(ctx, case.region_id):
        return True
    return ctx.role_in(case.lead_organization_id) in WRITER_ROLES


def live_handoffs_for(ctx: StaffContext, case: Case) -> list[Handoff]:
    return [
        h
        for h in case.handoffs.all()
        if h.state in LIVE_HANDOFF_STATES and h.to_organization_id in ctx.organization_ids
    ]


def can_note(ctx: StaffContext, case: Case) -> bool:
    if can_manage(ctx, case):
        return True
    return any(ctx.role_in(h.to_organization_id) in WRITER_ROLES for h in live_handoffs_for(ctx, case))


def can_respond(ctx: StaffContext, handoff: Handoff) -> bool:
    return ctx.is_superuser or ctx.role_in(handoff.to_organization_id) in WRITER_ROLES


def scope_for(ctx: StaffContext, case: Case) -> ConsentScope:
    """How much of a visible case this user reads: everything for the secretariat and the lead organization,
    otherwise the widest consent scope among the live hand-offs to the user's organizations."""
    if ctx.is_superuser or case.region_id in ctx.secretariat_region_ids:
        return ConsentScope.CONTACTS
    if case.lead_organization_id in ctx.organization_ids:
        return ConsentScope.CONTACTS
    scopes = [ConsentScope(h.consent_scope) for h in live_handoffs_for(ctx, case)]
    if not scopes:
        return ConsentScope.SUMMARY
    return max(scopes, key=lambda s: CONSENT_ORDER[s])


def can_preview_routing(ctx: StaffContext, region_id: int) -> bool:
    """The routing rules and their tester: staff of a body of that region."""
    return ctx.is_superuser or region_id in ctx.region_ids


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def acting_organization(ctx: StaffContext, case: Case) -> int | None:
    """The organization a user acts for on this case (for the event's actor_organization)."""
    if case.lead_organization_id in ctx.organization_ids:
        return case.lead_organization_id
    for h in live_handoffs_for(ctx, case):
        return h.to_organization_id
    secretariat = [
        o
        for o, r in ctx.roles_by_org.items()
        if r == StaffRole.SECRETARIAT and ctx.region_by_org[o] == case.region_id
    ]
    if secretariat:
        return secretariat[0]
    return next(iter(sorted(ctx.organization_ids)), None)


def bank_conflict(case: Case, to_kind: str, to_id: int) -> bool:
    """True when giving the case to ``to_id`` would show one bank's customer to another bank."""
    received = case.received_by
    return (
        to_kind == OrganizationKind.FINANCE
        and received.kind == OrganizationKind.FINANCE
        and received.pk != to_id
    )
