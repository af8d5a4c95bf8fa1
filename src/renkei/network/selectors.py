"""Reads for the network app, and the staff context every permission check starts from."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Prefetch, Q, QuerySet

from renkei.core.text import nfkc

from .choices import WRITER_ROLES, OrganizationKind, StaffRole
from .models import Membership, Organization, OrganizationRole, PartnerNetwork, PartnerNetworkMember, Region


@dataclass(frozen=True)
class StaffContext:
    """Who a user is in the network: their active memberships, flattened for permission checks."""

    user_id: int | None
    is_superuser: bool = False
    roles_by_org: dict[int, str] = field(default_factory=dict)
    region_by_org: dict[int, int] = field(default_factory=dict)
    kind_by_org: dict[int, str] = field(default_factory=dict)

    @property
    def is_staff_member(self) -> bool:
        return self.is_superuser or bool(self.roles_by_org)

    @property
    def organization_ids(self) -> frozenset[int]:
        return frozenset(self.roles_by_org)

    @property
    def region_ids(self) -> frozenset[int]:
        return frozenset(self.region_by_org.values())

    @property
    def secretariat_region_ids(self) -> frozenset[int]:
        """Regions the user runs as secretariat. A financial institution is never a region's secretariat: a
        secretariat role given to a bank's staff grants nothing beyond the bank itself (banks keep their customers
        to themselves and see no one else's)."""
        return frozenset(
            self.region_by_org[o]
            for o, role in self.roles_by_org.items()
            if role == StaffRole.SECRETARIAT and self.kind_by_org.get(o) != OrganizationKind.FINANCE
        )

    @property
    def writer_org_ids(self) -> frozenset[int]:
        return frozenset(o for o, role in self.roles_by_org.items() if role in WRITER_ROLES)

    @property
    def non_finance_region_ids(self) -> frozenset[int]:
        """Regions in which the user belongs to a body that is not a financial institution."""
        return frozenset(
            self.region_by_org[o]
            for o in self.roles_by_org
            if self.kind_by_org[o] != OrganizationKind.FINANCE
        )

    def role_in(self, organization_id: int) -> str | None:
        return self.roles_by_org.get(organization_id)


_CACHE_ATTR = "_renkei_staff_context"


def staff_context(user: User | AnonymousUser | None) -> StaffContext:
    """The user's StaffContext, computed once per user object (i.e. once per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return StaffContext(user_id=None)
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    rows = (
        Membership.objects.in_force()
        .filter(user_id=user.pk)
        .values_list("organization_id", "role", "organization__region_id", "organization__kind")
    )
    ctx = StaffContext(
        user_id=user.pk,
        is_superuser=user.is_superuser,
        roles_by_org={o: r for o, r, _, _ in rows},
        region_by_org={o: g for o, _, g, _ in rows},
        kind_by_org={o: k for o, _, _, k in rows},
    )
    setattr(user, _CACHE_ATTR, ctx)
    return ctx


def forget_staff_context(user: User) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def organization_list(
    *,
    region: Region | int | str | None = None,
    kind: str | None = None,
    capability: str | None = None,
    q: str | None = None,
) -> QuerySet[Organization]:
    """The public organization directory, filtered. ``region`` may be a Region, its id or its slug."""
    qs = Organization.objects.public().annotate(
        staff_count=Count("memberships", filter=Q(memberships__is_active=True))
    )
    if region:
        if isinstance(region, Region):
            qs = qs.filter(region=region)
        elif isinstance(region, int) or str(region).isdigit():
            qs = qs.filter(region_id=int(region))
        else:
            qs = qs.filter(region__slug=region)
    if kind:
        qs = qs.filter(kind=kind)
    if capability:
        qs = qs.filter(roles__capabilities__name=capability)
    if q := nfkc(q):
        qs = qs.filter(Q(name__icontains=q) | Q(kana__icontains=q) | Q(short_name__icontains=q))
    return (
        qs.distinct()
        .prefetch_related("roles__capabilities")
        .order_by("region__prefecture__code", "parent_id", "name")
    )


def _partner_members() -> Prefetch:
    members = PartnerNetworkMember.objects.select_related("organization__region").order_by(
        "organization__region__prefecture__code", "organization__name"
    )
    return Prefetch("memberships", queryset=members)


def partner_network_list() -> QuerySet[PartnerNetwork]:
    """Every partner network with its member organizations (and their regions), in a fixed order."""
    return PartnerNetwork.objects.prefetch_related(_partner_members()).order_by("name")


def organization_detail(organization_id: int) -> Organization:
    return (
        Organization.objects.public()
        .prefetch_related(
            Prefetch(
                "roles",
                queryset=OrganizationRole.objects.prefetch_related("capabilities", "accepts_categories"),
            ),
            "fields",
            "children",
            Prefetch(
                "partner_networks",
                queryset=PartnerNetwork.objects.prefetch_related(_partner_members()).order_by("name"),
            ),
        )
        .get(pk=organization_id)
    )


def staff_visible_to(user: User) -> QuerySet[Membership]:
    """Staff memberships a user may see: superusers all; staff the memberships of their regions' bodies."""
    ctx = staff_context(user)
    qs = Membership.objects.select_related("user", "organization", "organization__region")
    if ctx.is_superuser:
        return qs
    if not ctx.is_staff_member:
        return qs.none()
    return qs.filter(organization__region_id__in=ctx.region_ids)


def writable_organizations(ctx: StaffContext) -> QuerySet[Organization]:
    """Organizations a user may register companies for: their writer memberships; all for a superuser."""
    if ctx.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(pk__in=ctx.writer_org_ids)


def staff_manageable_organizations(ctx: StaffContext) -> QuerySet[Organization]:
    """Organizations whose staff a user manages: the bodies of their secretariat regions (all for a superuser)."""
    if ctx.is_superuser:
        return Organization.objects.all()
    return Organization.objects.filter(region_id__in=ctx.secretariat_region_ids)


def regions_with_organizations() -> QuerySet[Region]:
    return (
        Region.objects.select_related("prefecture")
        .annotate(n_orgs=Count("organizations"))
        .filter(n_orgs__gt=0)
    )
