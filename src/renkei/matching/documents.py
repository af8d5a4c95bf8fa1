"""What the index holds, read from the database: every catalog item, every organization and every case.

A document's text is what a person would search it by; its ``attrs`` are what the filters and the visibility
check need without a query per hit:

* ``region`` — the id of the region that maintains it (0 for national data such as KAKEN or jGrants);
* ``org`` — the owning / providing organization (0 when none);
* ``public`` — published to everyone (catalog), or staff-only;
* ``networks`` — the partner networks (TKF, IMY …) the owning organization belongs to.

Cases go in by their title and shareable summary only — never the confidential 相談内容 or contacts — and even so
a case hit is shown only after ``Case.objects.visible_to(user)`` agrees (``services``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from renkei.catalog.models import Equipment, Researcher, ResearchSeed, SupportProgram, TestService
from renkei.network.models import Organization, PartnerNetworkMember

from .index import IndexDoc

KIND_LABELS = {
    "seed": "研究シーズ",
    "researcher": "研究者",
    "equipment": "機器",
    "test_service": "依頼試験",
    "program": "支援施策",
    "organization": "支援機関",
    "case": "過去の相談",
}
PUBLIC_KINDS = ("seed", "researcher", "equipment", "test_service", "program", "organization")


def _join(*values: object) -> str:
    out: list[str] = []
    for v in values:
        if not v:
            continue
        if isinstance(v, list | tuple):
            out.extend(str(x) for x in v if x)
        else:
            out.append(str(v))
    return "\n".join(out)


def _networks() -> dict[int, list[int]]:
    by_org: dict[int, list[int]] = defaultdict(list)
    for org_id, network_id in PartnerNetworkMember.objects.values_list("organization_id", "network_id"):
        by_org[org_id].append(network_id)
    return by_org


def _attrs(region_id: int | None, org_id: int | None, public: bool, networks: dict[int, list[int]]) -> dict:
    return {
        "region": region_id or 0,
        "org": org_id or 0,
        "public": bool(public),
        "networks": networks.get(org_id or 0, []),
    }


def seed_doc(s: ResearchSeed, networks: dict[int, list[int]]) -> IndexDoc:
    researcher = s.researcher.name if s.researcher else ""
    institution = s.institution.name if s.institution else s.institution_name
    return IndexDoc(
        f"seed:{s.pk}",
        "seed",
        s.title,
        _join(s.summary, s.keywords, s.fields, researcher, institution),
        _attrs(s.region_id, s.institution_id, s.is_public, networks),
    )


def researcher_doc(
    r: Researcher, networks: dict[int, list[int]], titles: list[str] | None = None
) -> IndexDoc:
    if titles is None:
        titles = list(ResearchSeed.objects.filter(researcher=r).values_list("title", flat=True))
    return IndexDoc(
        f"researcher:{r.pk}",
        "researcher",
        r.name,
        _join(r.affiliation, r.fields, titles),
        _attrs(r.region_id, r.organization_id, r.is_public, networks),
    )


def equipment_doc(e: Equipment, networks: dict[int, list[int]]) -> IndexDoc:
    return IndexDoc(
        f"equipment:{e.pk}",
        "equipment",
        e.name,
        _join(
            e.get_category_display(),
            e.maker,
            e.model_number,
            e.specifications,
            e.fee_summary,
            e.organization.name,
        ),
        _attrs(e.region_id or e.organization.region_id, e.organization_id, e.is_public, networks),
    )


def test_service_doc(t: TestService, networks: dict[int, list[int]]) -> IndexDoc:
    return IndexDoc(
        f"test_service:{t.pk}",
        "test_service",
        t.name,
        _join(
            "依頼試験",
            t.method,
            t.standard,
            t.equipment.name if t.equipment else "",
            t.fee_note,
            t.organization.name,
        ),
        _attrs(t.region_id or t.organization.region_id, t.organization_id, t.is_public, networks),
    )


def program_doc(p: SupportProgram, networks: dict[int, list[int]]) -> IndexDoc:
    return IndexDoc(
        f"program:{p.pk}",
        "program",
        p.title,
        _join(
            p.get_kind_display(),
            p.catch_phrase,
            p.summary,
            p.purposes,
            p.fields,
            p.eligibility_text,
            p.provider_name,
        ),
        _attrs(p.region_id, p.organization_id, p.is_public, networks),
    )


def organization_doc(o: Organization, networks: dict[int, list[int]]) -> IndexDoc:
    roles = list(o.roles.all())
    return IndexDoc(
        f"organization:{o.pk}",
        "organization",
        o.name,
        _join(
            o.get_kind_display(),
            o.description,
            [r.text for r in roles],
            sorted({c.name for r in roles for c in r.capabilities.all()}),
            sorted({c.name for r in roles for c in r.accepts_categories.all()}),
            [f.name for f in o.fields.all()],
        ),
        _attrs(o.region_id, o.pk, True, networks),
    )


def case_doc(c, networks: dict[int, list[int]] | None = None) -> IndexDoc:  # noqa: ANN001
    return IndexDoc(
        f"case:{c.pk}",
        "case",
        c.title,
        c.summary,
        {"region": c.region_id, "org": c.lead_organization_id or 0, "public": False, "networks": []},
    )


def to_document(kind: str, obj: object, networks: dict[int, list[int]] | None = None) -> IndexDoc:
    """The document of one object, exactly as the index holds it (for explanations)."""
    builder = {
        "seed": seed_doc,
        "researcher": researcher_doc,
        "equipment": equipment_doc,
        "test_service": test_service_doc,
        "program": program_doc,
        "organization": organization_doc,
        "case": case_doc,
    }[kind]
    return builder(obj, networks if networks is not None else {})


def _iter_all(include_cases: bool) -> Iterator[IndexDoc]:
    networks = _networks()
    for s in ResearchSeed.objects.select_related("researcher", "institution").order_by("pk").iterator(2000):
        yield seed_doc(s, networks)
    titles: dict[int, list[str]] = defaultdict(list)
    for researcher_id, title in ResearchSeed.objects.filter(researcher__isnull=False).values_list(
        "researcher_id", "title"
    ):
        titles[researcher_id].append(title)
    for r in Researcher.objects.order_by("pk").iterator(2000):
        yield researcher_doc(r, networks, titles.get(r.pk, []))
    for e in Equipment.objects.select_related("organization").order_by("pk").iterator(2000):
        yield equipment_doc(e, networks)
    for t in TestService.objects.select_related("organization", "equipment").order_by("pk").iterator(2000):
        yield test_service_doc(t, networks)
    for p in SupportProgram.objects.order_by("pk").iterator(2000):
        yield program_doc(p, networks)
    orgs = Organization.objects.prefetch_related("roles__capabilities", "roles__accepts_categories", "fields")
    for o in orgs.order_by("pk"):
        yield organization_doc(o, networks)
    if include_cases:
        from renkei.cases.models import Case  # noqa: PLC0415 — cases is not a dependency of the catalog

        rows = Case.objects.only("pk", "title", "summary", "region_id", "lead_organization_id").order_by("pk")
        for c in rows.iterator(5000):
            yield case_doc(c)


def all_documents(*, include_cases: bool = True) -> list[IndexDoc]:
    return list(_iter_all(include_cases))
