"""``renkei bench cases``: the case ledger's pages at scale (10⁶ consultations), on SQLite or PostgreSQL.

Like ``bench import``, the measurement runs in a child process (``main``) against a throwaway database: a fresh
SQLite file in a temporary data directory, or a new schema ``renkei_bench_<random>`` in the PostgreSQL database of
``DATABASE_URL`` (dropped with everything in it when the child ends, also when it fails).

1. A synthetic generator writes ``cases`` consultations straight into the tables (executemany on SQLite, COPY on
   PostgreSQL — not through the services, which would take hours), with the columns the services would write:
   five home regions of ten bodies each (産学官金), staff, categories, SLA targets, ladders and routing rules;
   statuses by age (recent cases open, old ones finished or closed, a few stalled), the lead body that the
   category routes to, steps, assignees, and the SLA columns computed by ``cases.sla.clock_state`` with the
   business calendar's fast path; 1–4 events per case, hand-offs (some live, some to banks), suspensions.
2. Django's test ``Client``, logged in as realistic users — the secretariat of the biggest region, a member of one
   body (the region's 公設試), a bank — requests the inbox (``/cases/``, 50 rows, a mix of filters and pages),
   the case page (``/cases/<id>/``), the overdue dashboard (``/cases/overdue/``) and the API list
   (``/api/v1/cases``): p50/p95 over ``requests`` timed requests per page, then the SQL queries per page (the
   most seen over every URL of the mix, counted in a second pass so that capturing does not slow the timing).

Printed JSON: ``{"cases", "database", "pages": {"inbox"|"case"|"overdue"|"api_list": {"p50_ms", "p95_ms",
"queries"}}}`` and extras (generation rows/s, database size, the keyword search of the inbox measured apart,
queries per API page size, targets). Times are wall-clock and vary between runs; tests check the shape only.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import itertools
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from renkei.bench.cases_baseline import inbox_baseline
from renkei.cases.choices import FINISHED_STATUSES, SLA_SEVERITY, CaseStatus, HandoffState, SlaBucket
from renkei.cases.models import (
    Case,
    CaseEvent,
    CaseSettings,
    CaseSuspension,
    EscalationLadder,
    EscalationStep,
    Handoff,
    ReceiptCounter,
    RoutingRule,
    SlaPolicy,
)
from renkei.cases.sla import Clock, clock_state
from renkei.core.calendar import load_business_calendar
from renkei.core.models import Prefecture
from renkei.core.wareki import fiscal_year
from renkei.network.choices import OrganizationKind, StaffRole
from renkei.network.models import Category, Membership, Organization, Region

from .imports import _database, _drop_schema, _enter_schema, _schema_exists

SCHEMA_PREFIX = "renkei_bench_"
SEED = 20240401
TARGET_INBOX_P95_MS = 150
TARGET_QUERIES = 15
BATCH = 5_000
YEARS = 3.6  # R5, R6, R7 and the current fiscal year
_CHILD = "import django; django.setup(); from renkei.bench.cases import main; raise SystemExit(main())"

# (prefecture code, share of the cases): one big region, four smaller ones.
REGIONS = (("12", 0.40), ("06", 0.20), ("13", 0.15), ("11", 0.15), ("14", 0.10))
# Ten bodies per region: role in the synthetic network → kind.
BODIES = dict(window="government", lab="government", office="government", center="support", promotion="support",
              chamber="support", university="academia", college="academia", bank_a="finance", bank_b="finance")  # fmt: skip
S = CaseStatus
# Status by age in business days: recent cases are open, old ones finished (4 % left stalled: late, very late).
STATUS_BY_AGE = (
    (5, ((S.RECEIVED, 4), (S.ROUTED, 3), (S.IN_PROGRESS, 3))),
    (40, ((S.IN_PROGRESS, 50), (S.WAITING, 10), (S.ROUTED, 5), (S.RESOLVED, 35))),
    (10**6, ((S.IN_PROGRESS, 4), (S.RESOLVED, 64), (S.REFERRED, 12), (S.UNABLE, 10), (S.WITHDRAWN, 10))),
)
CATEGORIES = {  # parent → children; the lead body each routes to
    "technical": (("technical-testing", "technical-prototype", "technical-digital"), "lab"),
    "research": (("research-joint",), "university"),
    "management": (("management-base", "management-succession"), "center"),
    "funding": (("funding-loan", "funding-subsidy"), "promotion"),
    "market": ((), "center"),
    "hr": ((), "chamber"),
}
TITLES = (
    "樹脂成形品の強度試験", "異物の成分分析", "EMC事前試験", "設備のIoT化", "溶接品質の安定化",
    "新材料の共同研究", "事業承継の準備", "運転資金の融資", "設備導入の補助金", "展示会の出展",
    "若手技術者の研修", "めっきの密着不良", "AI画像検査の実証", "販路開拓の相談", "特許出願の相談",
)  # fmt: skip
DETAIL = (
    "{t}について相談したい。製品の品質と納期に影響しており、対応できる機関と進め方を知りたい。"
    "社内で検討した経緯と試作の状況は面談で説明する。架空のベンチマーク用データ（番号 {i}）。"
)


def run_cases_bench(
    *, cases: int = 1_000_000, database: str = "sqlite", requests: int = 30, out: TextIO | None = None
) -> dict[str, Any]:
    """Generate ``cases`` synthetic consultations in a throwaway database, measure the pages, return the figures.

    ``database``: "sqlite" (a temporary file) or "postgres" (a temporary schema in ``DATABASE_URL``).
    Progress lines (Japanese) go to ``out``.
    """
    if cases < 1 or requests < 1:
        raise ValueError("cases and requests must be at least 1")
    if database not in ("sqlite", "postgres"):
        raise ValueError('database must be "sqlite" or "postgres"')
    workdir = Path(tempfile.mkdtemp(prefix="renkei-bench-cases-"))
    env = {**os.environ, "RENKEI_DATA_DIR": str(workdir), "DJANGO_SETTINGS_MODULE": "renkei.settings"}
    env["RENKEI_TASK_BACKEND"] = "immediate"
    if database == "sqlite":
        env.pop("DATABASE_URL", None)
    elif not env.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        shutil.rmtree(workdir, ignore_errors=True)
        raise RuntimeError(
            "PostgreSQL で測るには DATABASE_URL（postgres://…）を設定してください"
            "（例: scripts/pg-throwaway.sh run renkei bench cases --database postgres）。"
        )
    schema = SCHEMA_PREFIX + secrets.token_hex(4)
    command = [
        sys.executable,
        "-c",
        _CHILD,
        *f"--cases {cases} --schema {schema} --requests {requests}".split(),
    ]
    stdout: list[str] = []
    stderr: list[str] = []
    try:
        proc = subprocess.Popen(  # noqa: S603
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1
        )
        assert proc.stderr is not None and proc.stdout is not None
        for line in proc.stderr:  # progress as it happens; the JSON comes last on stdout
            stderr.append(line)
            if out is not None and line.startswith("bench:"):
                print(line.removeprefix("bench:").rstrip(), file=out, flush=True)
        stdout = proc.stdout.readlines()
        returncode = proc.wait()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    lines = [line for line in stdout if line.startswith("{")]
    if returncode != 0 or not lines:
        tail = "".join(stderr[-15:]).strip()
        raise RuntimeError(f"相談案件の測定に失敗しました（終了コード {returncode}）。\n{tail}")
    result = json.loads(lines[-1])
    result["cleaned_up"] = bool(result.get("cleaned_up")) and not workdir.exists()
    return result


def cli(argv: list[str] | None = None, *, out: TextIO = sys.stdout) -> int:
    """``renkei bench cases --cases N [--database sqlite|postgres] [--requests R] [--json]``: progress on stderr,
    the figures on ``out`` (JSON with ``--json``, else one line per page)."""
    parser = argparse.ArgumentParser(
        prog="renkei bench cases", description="相談案件の画面とAPIの性能を測ります。"
    )
    add_arguments(parser)
    args = parser.parse_args(argv)
    result = run_cases_bench(cases=args.cases, database=args.database, requests=args.requests, out=sys.stderr)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2), file=out)
        return 0
    for page, f in result["pages"].items():
        print(f"{page}: p50 {f['p50_ms']} ms / p95 {f['p95_ms']} ms / SQL {f['queries']} 件", file=out)
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``renkei bench cases`` (for the ``renkei`` command's sub-parser)."""
    parser.add_argument("--cases", type=int, default=1_000_000, help="相談案件の件数（既定 1,000,000）")
    parser.add_argument(
        "--database", choices=("sqlite", "postgres"), default="sqlite", help="測るデータベース"
    )
    parser.add_argument("--requests", type=int, default=30, help="画面ごとの測定回数（既定 30）")
    parser.add_argument("--json", action="store_true", help="結果を JSON で出力する")


def _say(line: str) -> None:
    print(f"bench:{line}", file=sys.stderr, flush=True)


# ---- the child process: the synthetic network ------------------------------------------------------------------


class _Network:
    """Five home regions of ten bodies, a writer per body, the region's secretariat, categories and configuration."""

    def __init__(self) -> None:
        create_user = get_user_model().objects.create_user
        self.categories: dict[str, Category] = {}
        for i, (code, (children, _)) in enumerate(CATEGORIES.items()):
            top = self.categories[code] = Category.objects.create(
                code=code, name=f"区分 {code}", sort_order=i
            )
            for j, child in enumerate(children):
                self.categories[child] = Category.objects.create(
                    code=child, name=child, parent=top, sort_order=j
                )
        self.parent = {c.code: c.parent.code if c.parent else c.code for c in self.categories.values()}
        self.leaves = [c for c in self.categories if c not in CATEGORIES or not CATEGORIES[c][0]]
        self.regions: list[dict[str, Any]] = []
        for code, share in REGIONS:
            pref = Prefecture.objects.get(code=code)
            region = Region.objects.create(
                prefecture=pref, name=pref.name, slug=f"bench-{code}", is_home=True
            )
            orgs = {
                role: Organization.objects.create(
                    name=f"{pref.name} {role}（ベンチ）", kind=kind, region=region
                )
                for role, kind in BODIES.items()
            }
            staff = {role: create_user(username=f"bench-{role}-{code}", password=None) for role in orgs}
            for role, user in staff.items():
                Membership.objects.create(user=user, organization=orgs[role], role=StaffRole.MEMBER)
            secretariat = create_user(username=f"bench-secretariat-{code}", password=None)
            Membership.objects.create(
                user=secretariat, organization=orgs["window"], role=StaffRole.SECRETARIAT
            )
            CaseSettings.objects.create(region=region, window_organization=orgs["window"])
            policies = {None: (2, 20), "technical": (2, 30), "research": (3, 60)}
            for cat, (first, days) in policies.items():
                category = self.categories[cat] if cat else None
                SlaPolicy.objects.create(
                    region=region, category=category, first_response_days=first, resolution_days=days
                )
            ladder = EscalationLadder.objects.create(region=region, name="ベンチの段階")
            steps = [
                EscalationStep.objects.create(ladder=ladder, position=i, name=name, owner_organization=orgs[role],
                                              meeting_kind=meeting, is_external=i == 3)
                for i, (name, role, meeting) in enumerate(
                    (("窓口", "window", ""), ("定例会議", "center", "regular"), ("外部", "lab", "")), start=1
                )
            ]  # fmt: skip
            steps[2].categories.set([self.categories["technical"], self.categories["research"]])
            for i, (cat, role) in enumerate(
                (("technical", "lab"), ("research", "university"), (None, "window"))
            ):
                conditions = {"categories": [cat]} if cat else {}
                RoutingRule.objects.create(region=region, position=i + 1, name=f"ルール {i + 1}",
                                           conditions=conditions, lead_organization=orgs[role])  # fmt: skip
            self.regions.append(
                {"region": region, "share": share, "orgs": orgs, "staff": staff, "secretariat": secretariat,
                 "ladder": ladder, "steps": steps, "policies": policies,
                 "role_of": {o.pk: role for role, o in orgs.items()}}
            )  # fmt: skip
        self.cumulative = list(itertools.accumulate(r["share"] for r in self.regions))


# ---- the child process: the synthetic cases ----------------------------------------------------------------------


class _Generator:
    """Rows of cases, events, hand-offs and suspensions, as the services would have written them."""

    def __init__(self, network: _Network, today: dt.date) -> None:
        self.net = network
        self.today = today
        self.calendar = load_business_calendar()
        self.rng = random.Random(SEED)
        self.first_day = today - dt.timedelta(days=int(YEARS * 365))
        self.counters: dict[tuple[int, int], int] = {}
        self.handoff_id = 0
        self.tz = timezone.get_current_timezone()
        self.case_columns = [f.column for f in Case._meta.concrete_fields]
        self.case_defaults = {f.attname: f.get_default() for f in Case._meta.concrete_fields}

    def moment(self, day: dt.date, minute: int) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(9), tzinfo=self.tz) + dt.timedelta(minutes=minute)

    def rows(self, n: int) -> Iterator[tuple[list[tuple], list[tuple], list[tuple], list[tuple]]]:
        """Batches of (cases, events, hand-offs, suspensions) rows for case ids 1…n, oldest first."""
        span = (self.today - self.first_day).days
        days = sorted(self.first_day + dt.timedelta(days=self.rng.randint(0, span)) for _ in range(n))
        batch: tuple[list, list, list, list] = ([], [], [], [])
        for case_id, day in enumerate(days, start=1):
            self.case(case_id, self.calendar.roll_forward(day), batch)
            if len(batch[0]) >= BATCH:
                yield batch
                batch = ([], [], [], [])
        if batch[0]:
            yield batch

    def case(self, case_id: int, day: dt.date, batch: tuple[list, list, list, list]) -> None:  # noqa: PLR0915
        rng, cal, today = self.rng, self.calendar, self.today
        day = min(day, today)
        region = self.net.regions[bisect.bisect(self.net.cumulative, rng.random() * self.net.cumulative[-1])]
        orgs, staff = region["orgs"], region["staff"]
        leaf = rng.choice(self.net.leaves)
        parent = self.net.parent[leaf]
        lead_role = CATEGORIES[parent][1]
        received_role = _pick(
            rng, (("window", 5), (lead_role, 3), ("bank_a", 0.7), ("bank_b", 0.7), ("office", 0.6))
        )
        if received_role.startswith("bank"):
            lead_role = received_role  # a bank's customer stays with that bank
        age = cal.business_days_between(day, today)
        status = _pick(rng, next(table for limit, table in STATUS_BY_AGE if age <= limit))
        if status in FINISHED_STATUSES and age > 60 and rng.random() < 0.6:
            status = CaseStatus.CLOSED
        received_at = self.moment(day, rng.randint(0, 510))
        if status == CaseStatus.RECEIVED:
            lead_role = received_role if received_role != "office" else "window"
        lead = orgs[lead_role]
        category = None if status == CaseStatus.RECEIVED and rng.random() < 0.7 else self.net.categories[leaf]
        first_days, resolution_days = region["policies"].get(parent if parent in region["policies"] else None)
        responded = finished = None
        if status != CaseStatus.RECEIVED:
            responded = min(cal.add_business_days(day, rng.randint(0, 3)), today)
        if status in FINISHED_STATUSES:
            finished = min(cal.add_business_days(responded, rng.randint(2, 45)), today)
        suspensions: list[tuple[dt.date, dt.date | None]] = []
        if status == CaseStatus.WAITING:
            suspensions.append((max(responded, today - dt.timedelta(days=rng.randint(1, 14))), None))
        elif finished and rng.random() < 0.05:
            suspensions.append(
                (responded, min(cal.add_business_days(responded, rng.randint(1, 10)), finished))
            )
        first = clock_state(Clock(day, first_days, tuple(suspensions), responded), today, cal)
        resolution = clock_state(Clock(day, resolution_days, tuple(suspensions), finished), today, cal)
        bucket = max((first.bucket, resolution.bucket), key=lambda b: SLA_SEVERITY[SlaBucket(b)])
        changes = [d for d in (first.next_change_on, resolution.next_change_on) if d]
        step = region["steps"][0]
        if status != CaseStatus.RECEIVED and rng.random() < 0.15:
            step = (
                region["steps"][2]
                if parent in ("technical", "research") and rng.random() < 0.3
                else region["steps"][1]
            )
            lead = step.owner_organization
        fy = fiscal_year(day)
        key = (region["region"].pk, fy)
        self.counters[key] = self.counters.get(key, 0) + 1
        last_event = (
            self.moment(finished or responded or day, rng.randint(0, 510)) if responded else received_at
        )
        last_event = max(last_event, received_at)
        title = rng.choice(TITLES)
        actor = staff[received_role] if received_role in staff else region["secretariat"]
        values = dict(self.case_defaults)
        values.update(
            id=case_id, created_at=received_at, updated_at=last_event, created_by_id=actor.pk,
            region_id=region["region"].pk, receipt_number=f"{region['region'].prefecture_id}-{fy}-{self.counters[key]:07d}",
            fiscal_year=fy, received_at=received_at, channel=rng.choice(("window", "phone", "email", "visit", "web", "bank")),
            received_by_id=orgs[received_role].pk, title=title, summary=f"{title}の相談",
            detail=DETAIL.format(t=title, i=case_id), stage="", company_id=None,
            requester_company_name=f"ベンチ工業{case_id % 5000}（架空）", requester_name="架空 太郎",
            requester_email="", requester_phone="", requester_prefecture_id=None,
            consent_outside_region=rng.random() < 0.3, category_id=category.pk if category else None,
            target_field_id=None, classification_confirmed=category is not None,
            suggested_category_id=self.net.categories[rng.choice(self.net.leaves)].pk, suggestion_confidence=0.5,
            status=status, status_changed_at=last_event, lead_organization_id=lead.pk,
            assignee_id=staff[region["role_of"][lead.pk]].pk if status != CaseStatus.RECEIVED and rng.random() < 0.6 else None,
            ladder_id=region["ladder"].pk, step_id=step.pk, step_entered_on=day,
            first_response_days=first_days, resolution_days=resolution_days, first_responded_on=responded,
            finished_on=finished, first_response_due_on=first.due_on, resolution_due_on=resolution.due_on,
            sla_bucket=str(bucket), sla_next_change_on=min(changes) if changes else None,
        )  # fmt: skip
        cases, events, handoffs, spans = batch
        cases.append(tuple(values[f.attname] for f in Case._meta.concrete_fields))
        events.append(
            (case_id, "created", received_at, actor.pk, orgs[received_role].pk, "", "received", "受付", "{}")
        )
        if responded:
            events.append((case_id, "status", self.moment(responded, rng.randint(0, 510)), actor.pk, lead.pk,
                           "received", "in_progress", "対応開始", "{}"))  # fmt: skip
            if rng.random() < 0.5:
                events.append(
                    (case_id, "note", self.moment(responded, 520), actor.pk, lead.pk, "", "", "訪問", "{}")
                )
        if finished:
            events.append((case_id, "status", last_event, actor.pk, lead.pk, "in_progress", status, "", "{}"))
        for start, end in suspensions:
            spans.append((case_id, start, end))
        if rng.random() < 0.08 and status != CaseStatus.RECEIVED:
            self.handoff(case_id, region, lead, orgs[received_role], status, responded or day, handoffs)

    def handoff(self, case_id: int, region: dict, lead: Organization, received: Organization, status: str,
                day: dt.date, rows: list) -> None:  # fmt: skip
        rng = self.rng
        candidates = [o for o in region["orgs"].values() if o.pk != lead.pk]
        if received.kind == OrganizationKind.FINANCE:  # never to another bank
            candidates = [o for o in candidates if o.kind != OrganizationKind.FINANCE]
        target = rng.choice(candidates)
        if status in FINISHED_STATUSES:
            state = rng.choice((HandoffState.CLOSED,) * 4 + (HandoffState.DECLINED,))
        else:
            state = rng.choice((HandoffState.REQUESTED, HandoffState.ACCEPTED, HandoffState.REPLIED))
        requested = self.moment(day, rng.randint(0, 510))
        self.handoff_id += 1
        user = region["staff"][region["role_of"][lead.pk]]
        rows.append(
            (self.handoff_id, requested, requested, user.pk, case_id, lead.pk, target.pk, None, "ベンチの紹介",
             rng.choice(("summary", "detail", "contacts")), state, requested, self.calendar.add_business_days(day, 5),
             requested if state != HandoffState.REQUESTED else None, None,
             requested if state == HandoffState.CLOSED else None, "", "", False, user.pk)
        )  # fmt: skip


def _pick(rng: random.Random, weighted: Any) -> Any:
    pairs = list(weighted)
    cumulative = list(itertools.accumulate(w for _, w in pairs))
    return pairs[min(bisect.bisect(cumulative, rng.random() * cumulative[-1]), len(pairs) - 1)][0]


EVENT_COLUMNS = (
    "case_id",
    "kind",
    "at",
    "actor_id",
    "actor_organization_id",
    "from_status",
    "to_status",
    "text",
    "data",
)
HANDOFF_COLUMNS = (
    "id", "created_at", "updated_at", "created_by_id", "case_id", "from_organization_id", "to_organization_id",
    "to_user_id", "reason", "consent_scope", "state", "requested_at", "due_on", "responded_at", "replied_at",
    "closed_at", "response_note", "reply", "is_external", "requested_by_id",
)  # fmt: skip
SUSPENSION_COLUMNS = ("case_id", "started_on", "ended_on")


def _insert(model: type, columns: list[str] | tuple[str, ...], rows: list[tuple]) -> None:
    """Rows straight into ``model``'s table: COPY on PostgreSQL, executemany on SQLite (dates as Django stores
    them there: UTC text)."""
    if not rows:
        return
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    name = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {name} ({quoted}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        by_column = {f.column: f for f in model._meta.concrete_fields}
        moments = [i for i, c in enumerate(columns) if by_column[c].get_internal_type() == "DateTimeField"]
        days = [i for i, c in enumerate(columns) if by_column[c].get_internal_type() == "DateField"]
        adapted = []
        for row in rows:
            values = list(row)
            for i in moments:
                if values[i] is not None:
                    values[i] = values[i].astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
            for i in days:
                if values[i] is not None:
                    values[i] = values[i].isoformat()
            adapted.append(values)
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {name} ({quoted}) VALUES ({marks})", adapted)  # noqa: S608


def _generate(n: int) -> dict[str, Any]:
    started = time.perf_counter()
    network = _Network()
    today = timezone.localdate()
    generator = _Generator(network, today)
    counts = {"events": 0, "handoffs": 0, "suspensions": 0}
    with transaction.atomic():
        for cases, events, handoffs, spans in generator.rows(n):
            _insert(Case, generator.case_columns, cases)
            _insert(CaseEvent, EVENT_COLUMNS, events)
            _insert(Handoff, HANDOFF_COLUMNS, handoffs)
            _insert(CaseSuspension, SUSPENSION_COLUMNS, spans)
            for key, rows in (("events", events), ("handoffs", handoffs), ("suspensions", spans)):
                counts[key] += len(rows)
            if cases[-1][0] % 100_000 < BATCH:
                _say(f"  {cases[-1][0]:,} 件を生成しました（{time.perf_counter() - started:.0f} 秒）")
        counters = generator.counters.items()
        ReceiptCounter.objects.bulk_create(
            [ReceiptCounter(region_id=r, fiscal_year=y, last=n) for (r, y), n in counters]
        )
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(
                no_style(), [Case, CaseEvent, Handoff, CaseSuspension]
            ):
                cursor.execute(sql)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {"network": network, "seconds": seconds, **counts}


# ---- the child process: the measurement --------------------------------------------------------------------------


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _timed(clients: list[tuple[Client, list[str]]], requests: int) -> tuple[dict[str, float], list[str]]:
    """``requests`` GETs spread over the users' URL mixes; p50/p95 in ms, and the URLs that did not answer 200."""
    times, bad = [], []
    for client, urls in clients:
        client.get(urls[0])  # warm up (sessions, caches, the daily SLA refresh)
    for i in range(requests):
        client, urls = clients[i % len(clients)]
        url = urls[(i // len(clients)) % len(urls)]
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            bad.append(f"{url} → {response.status_code}")
    return {"p50_ms": round(statistics.median(times), 1), "p95_ms": round(_percentile(times, 0.95), 1)}, bad


def _queries(clients: list[tuple[Client, list[str]]]) -> int:
    most = 0
    for client, urls in clients:
        for url in urls:
            with CaptureQueriesContext(connection) as captured:
                client.get(url)
            most = max(most, len(captured.captured_queries))
    return most


def _measure(network: _Network, requests: int) -> dict[str, Any]:
    big = network.regions[0]
    users = {"secretariat": big["secretariat"], "member": big["staff"]["lab"], "bank": big["staff"]["bank_a"]}
    technical = network.categories["technical"].pk
    step2 = big["steps"][1].pk
    fy = fiscal_year(timezone.localdate())
    inbox_mix = [
        "/cases/", "/cases/?page=2", "/cases/?box=all", "/cases/?box=all&page=5", "/cases/?status=all",
        f"/cases/?category={technical}", "/cases/?sla_bucket=late&box=all", f"/cases/?step={step2}&box=all",
        f"/cases/?fiscal_year={fy - 1}&status=all&page=3", "/cases/?status=finished&page=20",
    ]  # fmt: skip
    api_mix = [
        "/api/v1/cases?limit=50", "/api/v1/cases?limit=50&offset=50", "/api/v1/cases?box=all&limit=50",
        "/api/v1/cases?status=all&limit=50&offset=200", f"/api/v1/cases?category_id={technical}&limit=50",
    ]  # fmt: skip
    clients = {}
    for name, user in users.items():
        client = Client()
        client.force_login(user)
        visible = Case.objects.visible_to(user).order_by("-received_at").values_list("id", flat=True)
        ids = list(visible[:200:20]) + list(visible[5000:5400:40])
        clients[name] = (client, [f"/cases/{i}/" for i in ids] or ["/cases/"])
    pages: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    mixes = {
        "inbox": lambda name: inbox_mix,
        "case": lambda name: clients[name][1],
        "overdue": lambda name: ["/cases/overdue/", f"/cases/overdue/?region={big['region'].pk}"],
        "api_list": lambda name: api_mix,
    }
    for page, mix in mixes.items():
        plan = [(clients[name][0], mix(name)) for name in users]
        figures, bad = _timed(plan, requests)
        figures["queries"] = _queries([(c, urls[:4]) for c, urls in plan])
        pages[page] = figures
        problems += bad
        _say(f"  {page}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms, SQL {figures['queries']} 件")
    search = [(clients[name][0], ["/cases/?q=試験", "/cases/?q=12-2025&box=all"]) for name in users]
    extra, bad = _timed(search, max(10, requests // 3))
    problems += bad
    by_limit = {}
    client = clients["secretariat"][0]
    for limit in (10, 50, 100):
        with CaptureQueriesContext(connection) as captured:
            client.get(f"/api/v1/cases?box=all&limit={limit}")
        by_limit[str(limit)] = len(captured.captured_queries)
    baseline = inbox_baseline(list(users.values()), technical=technical, step2=step2, fy=fy)
    _say(
        f"  inbox (selector): branches p95 {baseline['branches']['p95_ms']} ms, "
        f"single OR query p95 {baseline['single_or_query']['p95_ms']} ms"
    )
    return {
        "pages": pages,
        "inbox_selector_vs_baseline": baseline,
        "inbox_search": extra,
        "api_queries_by_limit": by_limit,
        "problems": problems[:20],
    }


def _size_mb(schema: str) -> float:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r'",
                [schema],
            )
            return round(float(cursor.fetchone()[0]) / 1024**2, 1)
    path = Path(connection.settings_dict["NAME"])
    return round(sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1024**2, 1)


def _child(cases: int, schema: str, requests: int) -> dict[str, Any]:
    postgres = connection.vendor == "postgresql"
    if postgres:
        _enter_schema(schema)
    try:
        call_command("migrate", interactive=False, verbosity=0)
        _say(f"{cases:,} 件の相談案件を生成しています…")
        generated = _generate(cases)
        measured = _measure(generated["network"], requests)
        rows = cases + generated["events"] + generated["handoffs"] + generated["suspensions"]
        pages = measured.pop("pages")
        result = {
            "cases": cases,
            "database": "postgres" if postgres else "sqlite",
            "pages": pages,
            **measured,
        }
        result |= {
            "database_version": _database(),
            **{k: generated[k] for k in ("events", "handoffs", "suspensions")},
            "generate_seconds": round(generated["seconds"], 1),
            "generate_rows_per_s": round(rows / generated["seconds"]),
            "database_mb": _size_mb(schema),
            "requests_per_page": requests,
            "users": ["secretariat of the biggest region", "member of its 公設試", "a bank"],
            "target_inbox_p95_ms": TARGET_INBOX_P95_MS,
            "target_queries": TARGET_QUERIES,
            "meets_targets": pages["inbox"]["p95_ms"] <= TARGET_INBOX_P95_MS
            and all(p["queries"] <= TARGET_QUERIES for p in pages.values()),
        }
    finally:
        if postgres:
            _drop_schema(schema)
    result["cleaned_up"] = not _schema_exists(schema) if postgres else True
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="renkei bench cases (child process)")
    parser.add_argument("--cases", type=int, required=True)
    parser.add_argument("--schema", required=True)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args(argv)
    if not args.schema.startswith(SCHEMA_PREFIX) or not args.schema.replace("_", "").isalnum():
        parser.error("invalid schema name")
    print(json.dumps(_child(args.cases, args.schema, args.requests), ensure_ascii=False), flush=True)
    return 0
