"""Fictitious consultations for the demo, made through the real services by the demo users, with time travel.

``generate_demo_cases(config)`` (``config`` = the ``cases`` section of ``demo.json``) plans ``count`` cases per
region, received between ``first_day`` and today (a share of them in the last weeks so that the inbox and the
overdue dashboard have something to show today). Each case is a small script — a Python generator that performs
one step (intake, classification, routing, first response, notes, hand-offs and their answers, waiting on the
company, escalations up the region's ladder and hand-backs, the outcome, closing, a reopening) and yields the
moment of its next step. A scheduler runs every script's steps in time order with ``django.utils.timezone.now``
patched to the step's moment, so events, receipt numbers, SLA clocks and notifications carry their historical
dates. Steps that would fall after now are not taken: recent cases stay open where their script stopped.

Nothing region-specific is written here. Who receives a case and who answers a hand-off comes from the demo
users' memberships; where a case goes, from the region's routing rules and ladder (``cases-*.json``); hand-off
targets from the organizations' roles (accepted categories) and the partner networks; the wording from
``data/case-texts.json`` (fictitious texts; companies are the demo's fictitious companies). Deterministic: the
same seed, data and day give the same cases (each case draws from its own seeded random generator).

The demo's history sends no mail: ``quiet_case_mail()`` sends the after-commit tasks to django-tasks' dummy
backend while the demo loads, and the notifications of the past are marked as mailed (those older than two weeks as
read).
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import json
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from itertools import accumulate
from typing import Any
from unittest import mock

from django.contrib.auth.models import User
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone

from renkei.cases import handoffs, services
from renkei.cases.choices import CaseStatus, ConsentScope
from renkei.cases.clocks import sla_refresh
from renkei.cases.models import Case, CaseEvent, CaseSettings, Handoff, Notification
from renkei.companies.models import Company, Contact
from renkei.core.calendar import BusinessCalendar, load_business_calendar
from renkei.core.errors import ApplicationError
from renkei.network.choices import WRITER_ROLES, OrganizationKind, StaffRole
from renkei.network.models import (
    Category,
    Membership,
    Organization,
    PartnerNetworkMember,
    Region,
    TargetField,
)

S = CaseStatus
TEXTS = resources.files("renkei.demo") / "data" / "case-texts.json"
WORKDAY_MINUTES = 8 * 60 + 30  # 9:00–17:30
READ_AFTER_DAYS = 14

# How a case's story goes (shares of cases; the same for every region). Stalled: of the cases received in the last
# STALL_DAYS, those nobody has touched for a while.
P = dict(public_withdrawn=0.06, classify=0.93, route_other=0.15, manual_route=0.12, reroute=0.03, assign=0.6,
         handoff=0.32, decline=0.15, unanswered=0.15, wait=0.3, hand_back=0.25, stall=0.12, reopen=0.04,
         close=0.6, consent_outside=0.55)  # fmt: skip
STALL_DAYS = 150
ESCALATIONS = (0.74, 0.13, 0.07, 0.06)  # shares of 0, 1, 2, 3 escalations
OUTCOMES = ((S.RESOLVED, 0.68), (S.REFERRED, 0.12), (S.UNABLE, 0.10), (S.WITHDRAWN, 0.10))
SCOPES = ((ConsentScope.SUMMARY, 0.25), (ConsentScope.DETAIL, 0.6), (ConsentScope.CONTACTS, 0.15))


def _grouped(pairs: Any) -> dict[Any, set[Any]]:
    out: dict[Any, set[Any]] = {}
    for key, value in pairs:
        out.setdefault(key, set()).add(value)
    return out


def _pick(rng: random.Random, weighted: Any) -> Any:
    """One item of [(item, weight)] or {item: weight}."""
    pairs = list(weighted.items()) if isinstance(weighted, dict) else list(weighted)
    cumulative = list(accumulate(w for _, w in pairs))
    return pairs[bisect.bisect(cumulative, rng.random() * cumulative[-1])][0]


@contextmanager
def quiet_case_mail() -> Iterator[None]:
    """While the demo loads (and commits), background tasks go to django-tasks' dummy backend: the history of the
    demo sends no mail (receipts, notifications) and queues nothing for ``renkei worker``."""
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}):
        yield


class _Clock:
    """The patched ``timezone.now``: the moment of the step being run."""

    def __init__(self) -> None:
        self.now = timezone.now()

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class _Region:
    region: Region
    count: int
    window_id: int
    secretariat: list[User]
    intake: list[tuple[tuple[User, Organization], float]]
    fields: list[TargetField]
    companies: list[dict[str, Any]]


@dataclass
class _Plan:
    index: int
    region: _Region
    rng: random.Random
    received_at: dt.datetime
    public: bool
    user: User | None
    organization: Organization | None
    channel: str
    category: str
    template: dict[str, Any]
    company: dict[str, Any]
    linked: bool
    consent: bool
    field_code: str | None
    story: dict[str, Any] = field(default_factory=dict)
    live: dict[int, int] = field(default_factory=dict)  # organization → its live hand-off of this case

    @property
    def label(self) -> str:
        return f"{self.region.region.slug}#{self.index}"


class DemoCaseGenerator:
    def __init__(self, config: dict[str, Any], *, today: dt.date | None = None) -> None:
        self.config = config
        self.texts = json.loads(TEXTS.read_text(encoding="utf-8"))
        self.seed = config["seed"]
        self.end = (
            timezone.now() if today is None else timezone.make_aware(dt.datetime.combine(today, dt.time(18)))
        )
        self.today = timezone.localtime(self.end).date()
        self.calendar: BusinessCalendar = load_business_calendar()
        self.clock = _Clock()
        self.failures: list[str] = []
        self.steps = 0
        self.staff = self._staff()
        self.parent = dict(Category.objects.filter(parent__isnull=False).values_list("code", "parent__code"))
        orgs = Organization.objects.values_list("id", "kind", "parent_id", "region_id")
        self.org_kind, self.org_parent, self.org_region = ({o[0]: o[i] for o in orgs} for i in (1, 2, 3))
        roles = Organization.objects.filter(roles__accepts_categories__isnull=False)
        self.accepts = _grouped(roles.values_list("id", "roles__accepts_categories__code"))
        members = PartnerNetworkMember.objects.order_by("network_id", "organization_id")
        self.networks = _grouped(members.values_list("network_id", "organization_id"))

    # -- the network, read once ------------------------------------------------------------------------------
    def _staff(self) -> dict[int, list[User]]:
        """Writers in force per organization: one User object per person (its staff context is cached on it)."""
        users: dict[int, User] = {}
        staff: dict[int, list[User]] = {}
        rows = (
            Membership.objects.in_force()
            .filter(role__in=WRITER_ROLES, user__is_active=True)
            .select_related("user", "organization")
            .order_by("organization_id", "user__username")
        )
        self.secretariat_of: dict[int, list[User]] = {}
        for m in rows:
            user = users.setdefault(m.user_id, m.user)
            staff.setdefault(m.organization_id, []).append(user)
            if m.role == StaffRole.SECRETARIAT:
                self.secretariat_of.setdefault(m.organization.region_id, []).append(user)
        return staff

    def _region(self, spec: dict[str, Any]) -> _Region:
        region = Region.objects.get(slug=spec["region"])
        window_id = CaseSettings.objects.values_list("window_organization_id", flat=True).get(region=region)
        weights = self.config["intake_weights"]
        intake = []
        for org in Organization.objects.filter(region=region, pk__in=list(self.staff)).order_by("id"):
            finance = org.kind == OrganizationKind.FINANCE
            kind = "window" if org.pk == window_id else "finance" if finance else "other"
            intake += [((user, org), weights[kind]) for user in self.staff[org.pk]]
        fields = list(
            TargetField.objects.filter(region=region, children__isnull=True)
            .select_related("parent")
            .order_by("sort_order", "id")
        )
        contacts = dict(
            Contact.objects.filter(company__region=region, is_primary=True).values_list("company_id", "name")
        )
        keys = (
            "id",
            "name",
            "products",
            "owner_organization_id",
            "consent_share_region",
            "consent_share_outside",
        )
        companies = list(
            Company.objects.filter(region=region, is_fictitious=True).order_by("id").values(*keys)
        )
        for c in companies:
            c["contact"] = contacts.get(c["id"], "")
        secretariat = self.secretariat_of.get(region.pk, [])
        if not secretariat or not intake or not companies:
            raise ApplicationError(
                f"デモデータの誤り: {region.name}の事務局・職員・架空の企業がそろっていません。"
            )
        return _Region(region, spec["count"], window_id, secretariat, intake, fields, companies)

    # -- planning --------------------------------------------------------------------------------------------
    def plans(self) -> list[_Plan]:
        first = dt.date.fromisoformat(self.config["first_day"])
        span = (self.today - first).days
        out = []
        for spec in self.config["regions"]:
            region = self._region(spec)
            for i in range(region.count):
                rng = random.Random(f"{self.seed}:{region.region.slug}:{i}")
                if rng.random() < self.config["recent_share"]:
                    day = self.today - dt.timedelta(days=rng.randint(0, self.config["recent_days"]))
                else:
                    day = first + dt.timedelta(days=rng.randint(0, span))
                out.append(self._plan(region, i, rng, day))
            showcase = self.config.get("showcase", {})
            first_extra = region.count + showcase.get("count", 0)
            for i in range(region.count, first_extra):  # climbs the whole ladder: a live hand-off outside
                rng = random.Random(f"{self.seed}:{region.region.slug}:{i}")
                plan = self._plan(
                    region, i, rng, self.today - dt.timedelta(days=rng.randint(75, 90)), public=False
                )
                plan.category, plan.consent = showcase["category"], True
                plan.template = rng.choice(self.texts["problems"][plan.category])
                plan.story |= showcase["story"]
                out.append(plan)
            for i in range(first_extra, first_extra + self.config.get("public_pending", 0)):
                rng = random.Random(f"{self.seed}:{region.region.slug}:{i}")
                plan = self._plan(
                    region, i, rng, self.today - dt.timedelta(days=rng.randint(0, 2)), public=True
                )
                plan.story["pending"] = (
                    True  # sent from the public form in the last days: nobody has looked yet
                )
                out.append(plan)
        return out

    def _plan(
        self, region: _Region, index: int, rng: random.Random, day: dt.date, public: bool | None = None
    ) -> _Plan:
        if public is None:
            public = rng.random() < self.config["public_share"]
        user = org = None
        if public:  # any day, any hour
            moment = dt.datetime.combine(day, dt.time(7)) + dt.timedelta(minutes=rng.randint(0, 16 * 60))
            channel = "web"
        else:
            user, org = _pick(rng, region.intake)
            day = self.calendar.roll_forward(day)
            moment = dt.datetime.combine(day, dt.time(9)) + dt.timedelta(
                minutes=rng.randint(0, WORKDAY_MINUTES)
            )
            kind = "window" if org.pk == region.window_id else org.kind
            channels = self.config["channels"]
            channel = _pick(rng, channels.get(kind, channels["other"]))
        received_at = min(timezone.make_aware(moment), self.end - dt.timedelta(minutes=5))
        category = self._category(rng, org)
        template = rng.choice(self.texts["problems"][category])
        linked = not public and rng.random() < 0.7
        pool = region.companies
        if linked and user is not None and org is not None:
            finance = org.kind == OrganizationKind.FINANCE
            pool = [
                c
                for c in pool
                if c["owner_organization_id"] == org.pk or (c["consent_share_region"] and not finance)
            ]
        company = rng.choice(pool or region.companies)
        plan = _Plan(
            index=index,
            region=region,
            rng=rng,
            received_at=received_at,
            public=public,
            user=user,
            organization=org,
            channel=channel,
            category=category,
            template=template,
            company=company,
            linked=linked and bool(pool),
            consent=rng.random() < P["consent_outside"],
            field_code=self._field(rng, region, template),
        )
        plan.story = self._story(rng, public)
        plan.story["stall"] = plan.story["stall"] and (self.today - day).days <= STALL_DAYS
        return plan

    def _category(self, rng: random.Random, org: Organization | None) -> str:
        leaves = self.texts["problems"]
        if org is not None and rng.random() < 0.6:
            accepted = self.accepts.get(org.pk, set())
            own = sorted(c for c in leaves if c in accepted or self.parent.get(c) in accepted)
            if own:
                return rng.choice(own)
        return _pick(rng, self.config["category_weights"])

    def _field(self, rng: random.Random, region: _Region, template: dict[str, Any]) -> str | None:
        for hint in template.get("field", []):
            matches = [f for f in region.fields if hint in f.name or (f.parent and hint in f.parent.name)]
            if matches:
                return rng.choice(matches).code
        if region.fields and rng.random() < 0.6:
            return rng.choice(region.fields).code
        return None

    def _story(self, rng: random.Random, public: bool) -> dict[str, Any]:
        flags = ("classify", "route_other", "manual_route", "reroute", "handoff", "stall", "reopen", "close")
        story: dict[str, Any] = {key: rng.random() < P[key] for key in flags}
        escalations = _pick(rng, list(enumerate(ESCALATIONS)))
        return story | {
            "withdrawn_at_once": public and rng.random() < P["public_withdrawn"],
            "parent_code": rng.random() < 0.3,
            "response": _pick(rng, (("decline", P["decline"]), ("none", P["unanswered"]), ("accept", 0.7))),
            "waits": int(rng.random() < P["wait"]) + int(rng.random() < P["wait"] / 4),
            "notes": rng.choice((0, 0, 1, 1, 2)),
            "escalations": escalations,
            "hand_back": escalations > 0 and rng.random() < P["hand_back"],
            "outcome": _pick(rng, OUTCOMES),
            "pace": rng.choice((1, 1, 1, 2, 3)),
        }

    # -- running ---------------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        started = time.monotonic()
        plans = self.plans()
        queue: list[tuple[dt.datetime, int, Iterator[dt.datetime], _Plan]] = []
        for seq, plan in enumerate(sorted(plans, key=lambda p: (p.received_at, p.label))):
            queue.append((plan.received_at, seq, self._script(plan), plan))
        heapq.heapify(queue)
        seq = len(queue)
        with mock.patch("django.utils.timezone.now", self.clock):
            while queue:
                at, _, script, plan = heapq.heappop(queue)
                if at >= self.end:
                    continue
                self.clock.now = at
                self.steps += 1
                try:
                    following = next(script)
                except StopIteration:
                    continue
                except ApplicationError as exc:
                    self.failures.append(f"{plan.label} {timezone.localtime(at):%Y-%m-%d}: {exc.message}")
                    continue
                seq += 1
                heapq.heappush(queue, (max(following, at + dt.timedelta(minutes=1)), seq, script, plan))
        changes = sla_refresh(on=self.today)
        self._settle_notifications()
        return {
            "cases": len(plans),
            "steps": self.steps,
            "sla_changes": len(changes),
            "failures": self.failures,
            "seconds": round(time.monotonic() - started, 1),
        }

    def _settle_notifications(self) -> None:
        """The past was mailed already, and what is older than two weeks has been read."""
        Notification.objects.filter(emailed=False).update(emailed=True)
        cutoff = self.end - dt.timedelta(days=READ_AFTER_DAYS)
        Notification.objects.filter(read_at__isnull=True, created_at__lt=cutoff).update(
            read_at=F("created_at")
        )

    def later(self, rng: random.Random, low: int, high: int, pace: int = 1) -> dt.datetime:
        """A working moment ``low``–``high`` business days (× pace) after now; 0 means later the same day."""
        now = timezone.localtime(self.clock.now)
        days = rng.randint(low * pace, high * pace)
        if days == 0:
            moment = now + dt.timedelta(minutes=rng.randint(10, 120))
            if moment.date() == now.date() and moment.hour < 18:
                return moment
            days = 1
        day = self.calendar.add_business_days(now.date(), days)
        start = dt.datetime.combine(day, dt.time(9)) + dt.timedelta(minutes=rng.randint(0, WORKDAY_MINUTES))
        return timezone.make_aware(start)

    def actor_for(self, case: Case, rng: random.Random) -> User:
        staff = self.staff.get(case.lead_organization_id)
        return rng.choice(staff) if staff else rng.choice(self.secretariat_of[case.region_id])

    def _triage(self, plan: _Plan) -> User:
        window = self.staff.get(plan.region.window_id)
        return plan.rng.choice(window or plan.region.secretariat)

    # -- one case's story ------------------------------------------------------------------------------------
    def _script(self, plan: _Plan) -> Iterator[dt.datetime]:
        rng, story, texts = plan.rng, plan.story, self.texts
        pace = story["pace"]
        case = self._create(plan)
        if story.get("pending"):
            return
        if story["withdrawn_at_once"]:
            yield self.later(rng, 1, 3)
            self._status(case, self._triage(plan), S.WITHDRAWN, rng.choice(texts["withdrawn_reasons"]))
            return
        at_window = plan.public or plan.organization.pk == plan.region.window_id
        yield self.later(rng, 0, 1)
        if story["classify"]:
            parent = self.parent.get(plan.category)
            case = services.case_classify(
                actor=self._triage(plan) if at_window else plan.user,
                case_id=case.pk,
                category=parent if parent and story["parent_code"] else plan.category,
                target_field=plan.field_code,
                stage=plan.template.get("stage", ""),
            )
            if at_window or story["route_other"]:
                yield self.later(rng, 0, 1)
                case = self._route(plan, case, manual=story["manual_route"])
        yield self.later(rng, 0, 2, pace)
        case = self._status(case, self.actor_for(case, rng), S.IN_PROGRESS)
        staff = self.staff.get(case.lead_organization_id, [])
        if case.assignee_id is None and staff and rng.random() < P["assign"]:
            case = services.case_assign(
                actor=rng.choice(staff), case_id=case.pk, assignee_id=rng.choice(staff).pk
            )
        for _ in range(story["notes"]):
            yield self.later(rng, 1, 5, pace)
            services.case_note(
                actor=self.actor_for(case, rng), case_id=case.pk, text=rng.choice(texts["notes"])
            )
        if story["reroute"] and case.category_id:
            yield self.later(rng, 1, 4)
            case = self._route(plan, case, manual=True)
        if story["handoff"]:
            yield from self._handoff(
                plan, case, "bank" if plan.category.startswith("funding-loan") else "region"
            )
        for _ in range(story["waits"]):
            yield self.later(rng, 2, 8, pace)
            case = self._status(
                case, self.actor_for(case, rng), S.WAITING, rng.choice(texts["waiting_notes"])
            )
            yield self.later(rng, 3, 12, pace)
            case = self._status(case, self.actor_for(case, rng), S.IN_PROGRESS)
        for _ in range(story["escalations"]):
            yield self.later(rng, 4, 12, pace)
            step = services.next_step(case)
            if step is None:
                break
            reasons = texts["escalate_reasons"]
            reason = rng.choice(reasons["external"] if step.is_external else reasons[step.meeting_kind or ""])
            case = services.case_escalate(actor=self.actor_for(case, rng), case_id=case.pk, reason=reason)
            if step.is_external and (plan.consent or plan.company["consent_share_outside"] and plan.linked):
                yield from self._handoff(plan, case, "external")
            elif rng.random() < 0.5:
                yield from self._handoff(plan, case, "region")
        if story["hand_back"]:
            yield self.later(rng, 3, 10)
            if services.previous_step(case) is not None:
                reason = rng.choice(texts["hand_back_reasons"])
                case = services.case_hand_back(
                    actor=self.actor_for(case, rng), case_id=case.pk, reason=reason
                )
        if story["stall"]:
            return
        yield self.later(rng, 3, 15, pace)
        self._close_handoffs(plan, case)
        outcome = story["outcome"]
        reason = {S.UNABLE: "unable_reasons", S.WITHDRAWN: "withdrawn_reasons"}.get(outcome)
        case = self._status(
            case, self.actor_for(case, rng), outcome, rng.choice(texts[reason]) if reason else ""
        )
        if story["reopen"]:
            yield self.later(rng, 5, 20)
            case = self._status(
                case, self.actor_for(case, rng), S.IN_PROGRESS, rng.choice(texts["reopen_reasons"])
            )
            yield self.later(rng, 3, 10)
            case = self._status(case, self.actor_for(case, rng), S.RESOLVED)
        if story["close"]:
            yield self.later(rng, 5, 25)
            self._status(case, self.actor_for(case, rng), S.CLOSED)

    def _create(self, plan: _Plan) -> Case:
        rng, texts, company = plan.rng, self.texts, plan.company
        products = [p.split("（")[0] for p in (company["products"] or "").split("、") if p]
        product = rng.choice(products or texts["generic_products"])
        names = "、".join(products[:2]) or product
        side = "public" if plan.public else "staff"
        opening = rng.choice(texts[f"opening_{side}"]).format(company=company["name"], products=names)
        problem = plan.template["text"].format(product=product)
        data: dict[str, Any] = {
            "text": f"{opening}{problem}{rng.choice(texts[f'closing_{side}'])}",
            "title": plan.template["title"].format(product=product),
            "summary": plan.template["summary"],
            "consent_outside_region": plan.consent,
            "contact_name": company["contact"],
            "company_name": company["name"],
        }
        region = plan.region.region
        if plan.public:
            data |= {
                "email": f"soudan-{region.slug}-{plan.index:04d}@example.jp",
                "phone": f"000-0000-{plan.index:04d}",
                "prefecture": region.prefecture_id,
                "region": region.slug,
            }
            return services.case_create_public(data=data, client_ip=f"203.0.113.{plan.index % 250 + 1}")
        data["channel"] = plan.channel
        if plan.linked:
            data["company_id"] = company["id"]
        return services.case_create(actor=plan.user, data=data, organization_id=plan.organization.pk)

    def _route(self, plan: _Plan, case: Case, *, manual: bool) -> Case:
        rng, actor = plan.rng, self._triage(plan)
        candidates = self._accepting(plan, case) if manual else []
        if not candidates:  # the region's routing rules decide
            return services.case_route(actor=actor, case_id=case.pk)
        lead = rng.choice(candidates)
        staff = self.staff.get(lead, [])
        return services.case_route(
            actor=actor,
            case_id=case.pk,
            lead_organization_id=lead,
            assignee_id=rng.choice(staff).pk if staff else None,
            note=rng.choice(self.texts["route_notes"]),
        )

    def _accepting(self, plan: _Plan, case: Case) -> list[int]:
        """Non-financial organizations of the case's region whose roles accept its category (or its parent)."""
        codes = {plan.category, self.parent.get(plan.category)} - {None}
        return sorted(
            org
            for org, accepted in self.accepts.items()
            if accepted & codes
            and self.org_region[org] == case.region_id
            and org != case.lead_organization_id
            and org not in plan.live
            and self.org_kind[org] != OrganizationKind.FINANCE
        )

    def _handoff_target(self, plan: _Plan, case: Case, kind: str) -> int | None:
        rng = plan.rng
        if kind == "bank":  # the company's own bank, or a bank of the region (never another bank's customer)
            banks = [o for o, k in self.org_kind.items() if k == OrganizationKind.FINANCE]
            banks = [o for o in banks if self.org_region[o] == case.region_id]
            if self.org_kind[case.received_by_id] == OrganizationKind.FINANCE:
                banks = [case.received_by_id]
            elif plan.linked and plan.company["owner_organization_id"] in banks:
                banks = [plan.company["owner_organization_id"]]
            banks = [b for b in banks if b != case.lead_organization_id and b not in plan.live]
            return rng.choice(sorted(banks)) if banks else None
        if kind == "external":  # partner networks of the lead body (or of a body above it)
            anchors, org = set(), case.lead_organization_id
            while org:
                anchors.add(org)
                org = self.org_parent.get(org)
            networks = sorted((len(m), sorted(m)) for m in self.networks.values() if m & anchors)
            members = networks[0][1] if networks else []  # the closest (smallest) network: TKF, IMY会議 …
            outside = [o for o in members if self.org_region[o] != case.region_id and o not in plan.live]
            weights = {o: 10 if o in self.staff else 1 for o in outside}  # bodies with demo staff answer
            return _pick(rng, sorted(weights.items())) if weights else None
        candidates = set(self._accepting(plan, case))
        weighted = [(o, 3 if o in self.staff else 1) for o in sorted(candidates - set(plan.live))]
        return _pick(rng, weighted) if weighted else None

    def _handoff(self, plan: _Plan, case: Case, kind: str) -> Iterator[dt.datetime]:
        rng, texts = plan.rng, self.texts
        yield self.later(rng, 1, 4)
        target = self._handoff_target(plan, case, kind)
        if target is None:
            return
        handoff = handoffs.handoff_request(
            actor=self.actor_for(case, rng),
            case_id=case.pk,
            to_organization_id=target,
            reason=rng.choice(texts["handoff_reasons"][kind]),
            consent_scope=ConsentScope.CONTACTS if kind == "bank" else _pick(rng, SCOPES),
        )
        plan.live[target] = handoff.pk
        responders = self.staff.get(target, [])
        response = plan.story["response"]
        if responders and response != "none":
            yield self.later(rng, 0, 7)
            responder = rng.choice(responders)
            if response == "decline":
                text = rng.choice(texts["decline_reasons"])
                handoffs.handoff_respond(actor=responder, handoff_id=handoff.pk, action="decline", text=text)
                del plan.live[target]
                return
            handoffs.handoff_respond(actor=responder, handoff_id=handoff.pk, action="accept")
            yield self.later(rng, 2, 10)
            text = rng.choice(
                texts["replies_bank" if self.org_kind[target] == OrganizationKind.FINANCE else "replies"]
            )
            handoffs.handoff_respond(actor=responder, handoff_id=handoff.pk, action="reply", text=text)
            return  # the hand-off stays open until the case is finished (or the scripts stop today)
        if rng.random() < 0.5:  # no answer: the lead body gives up after a while (or it stays overdue)
            yield self.later(rng, 5, 12)
            self._close_handoffs(plan, case, only=target)

    def _close_handoffs(self, plan: _Plan, case: Case, only: int | None = None) -> None:
        for target in [only] if only is not None else sorted(plan.live):
            note = plan.rng.choice(self.texts["handoff_close_notes"])
            handoffs.handoff_close(
                actor=self.actor_for(case, plan.rng), handoff_id=plan.live.pop(target), note=note
            )

    def _status(self, case: Case, actor: User, to_status: str, reason: str = "") -> Case:
        return services.case_transition(actor=actor, case_id=case.pk, to_status=to_status, reason=reason)


def generate_demo_cases(
    config: dict[str, Any], *, today: dt.date | None = None, say: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Make the demo's fictitious cases (see the module docstring); returns counts, failures and seconds."""
    generator = DemoCaseGenerator(config, today=today)
    result = generator.run()
    result["handoffs"] = Handoff.objects.count()
    result["events"] = CaseEvent.objects.count()
    if say is not None:
        say(
            f"架空の相談案件 {result['cases']} 件（紹介・引継ぎ {result['handoffs']} 件、履歴 {result['events']} 件）を"
            f"作成しました（{result['seconds']} 秒）。"
        )
        for line in result["failures"][:10]:
            say(f"  作成できなかった手順: {line}")
    return result
