"""The demo data: ``renkei demo`` (and ``renkei demo --no-serve``) calls ``load_demo``.

What it loads, all from ``renkei/demo/data/`` (nothing about a region is written in this module):
- the network definitions listed in ``demo.json`` (``common.json`` categories and capability tags; ``chiba.json``
  and ``yamagata.json`` from the two prefectures' 連携支援計画; ``partners.json`` the partner regions and the
  TKF, IMY 会議 and 産業技術連携推進会議 networks) through ``network.definition.network_definition_load``;
- demo users, each with a membership made by ``network.services.membership_create`` — except a user with a
  ``company`` key, which is a company login (企業ログイン) of that fictitious company instead of staff;
- fictitious companies (``demo.companies``) made by ``companies.services.company_create`` with
  ``is_fictitious=True``, each with one or two fictitious contact persons;
- the catalog (``demo.catalog``): the real KAKEN and jGrants samples through the catalog importers, with their
  attribution, and fictitious equipment, 依頼試験 and regional programs;
- the case ledger's configuration of each home region listed in ``demo.json`` → ``case_definitions``
  (``cases-chiba.json``, ``cases-yamagata.json``: window, SLA targets, routing rules and escalation ladder from the
  plans, training examples) through ``cases.definition.cases_definition_load``;
- fictitious consultations over three fiscal years and the current one (``demo.cases``), made through the case
  services by the demo users with time travel (``demo.json`` → ``cases``). The demo's history sends no mail.
Last, the matching index is built once (writes during the load only mark it stale).

Demo logins — **the password of every demo user is ``renkei-demo``** (``demo.json`` → ``password``):
admin (システム管理者), chiba-secretariat, chiba-coordinator, chiba-lab, chiba-bank, chiba-viewer,
yamagata-secretariat, yamagata-coordinator, yamagata-center, yamagata-bank, and the staff who answer the demo's
hand-offs: chiba-medical, chiba-aist, chiba-keiyo-bank, tkf-tokyo, yamagata-kosha, yamagata-univ,
yamagata-renkei, imy-iwate; and chiba-company, the company login of a fictitious Chiba manufacturer (the program
pages and the search judge eligibility from its registered figures). Never use them in production.

Idempotent: once fictitious companies exist the demo counts as loaded and a second run changes nothing. A first run
is one transaction, so it either loads everything or nothing.
"""

from __future__ import annotations

import bisect
import json
import random
import time
from importlib import resources
from itertools import accumulate
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction

from renkei.cases.definition import cases_definition_load
from renkei.cases.models import Case, Handoff
from renkei.companies.models import Company, CompanyAccount, Contact
from renkei.companies.services import company_create, contact_create
from renkei.core.errors import ApplicationError
from renkei.core.text import nfkc
from renkei.matching.store import current_version, updates_paused
from renkei.matching.store import rebuild as rebuild_index
from renkei.network.definition import network_definition_load
from renkei.network.models import Membership, Organization, OrganizationRole, PartnerNetwork, Region
from renkei.network.services import membership_create

from .cases import generate_demo_cases, quiet_case_mail
from .catalog import load_demo_catalog
from .companies import fictitious_contacts, generate_company_rows

DATA = resources.files("renkei.demo") / "data"


def read_data(name: str) -> dict[str, Any]:
    """One JSON file of ``renkei/demo/data``."""
    return json.loads((DATA / name).read_text(encoding="utf-8"))


class _Say:
    """Progress lines in Japanese, written to ``out`` as they happen (or nowhere)."""

    def __init__(self, out: TextIO | None) -> None:
        self.out = out

    def __call__(self, line: str) -> None:
        if self.out is not None:
            print(line, file=self.out, flush=True)


def _organization(region_slug: str, name: str) -> Organization:
    try:
        return Organization.objects.get(region__slug=region_slug, name=name)
    except Organization.DoesNotExist:
        raise ApplicationError(
            f"デモデータの誤り: 地域「{region_slug}」に機関「{name}」がありません（demo.json）。"
        ) from None


def _create_users(config: dict[str, Any], say: _Say) -> User:
    """Create the demo users (existing accounts are left as they are) and their memberships; returns the admin."""
    users = get_user_model().objects
    # Every demo user has the same password: hash it once (a PBKDF2 hash takes about a second) and share it.
    password_hash = make_password(config["password"])
    admin = None
    for spec in config["users"]:
        username = spec["username"]
        user = users.filter(username=username).first()
        if user is None:
            create = users.create_superuser if spec.get("superuser") else users.create_user
            user = create(
                username=username,
                email=f"{username}@example.jp",
                password=None,
                last_name=spec.get("last_name", ""),
                first_name=spec.get("first_name", ""),
            )
            user.password = password_hash
            user.save(update_fields=["password"])
        elif spec.get("superuser"):
            say(f"利用者 {username} はすでにあるため、そのまま使います（パスワードは変更しません）。")
        if spec.get("superuser"):
            admin = user
    if admin is None or not admin.is_superuser:
        raise ApplicationError(
            "デモデータの誤り: demo.json にスーパーユーザー（superuser: true）がありません。"
        )
    for spec in config["users"]:
        if spec.get("superuser") or spec.get("company"):
            continue  # a company login belongs to no body (its company is linked once the companies exist)
        user = users.get(username=spec["username"])
        organization = _organization(spec["region"], spec["organization"])
        if not Membership.objects.active().filter(user=user, organization=organization).exists():
            membership_create(
                actor=admin,
                user_id=user.pk,
                organization_id=organization.pk,
                role=spec["role"],
                title=spec.get("title", ""),
            )
    say(f"デモ用の利用者 {len(config['users'])} 人を用意しました。")
    return admin


def _create_companies(config: dict[str, Any], admin: User, say: _Say) -> None:
    """Fictitious companies per home region, owned by the bodies (and weights) listed in demo.json."""
    n_contacts = 0
    for spec in config["companies"]:
        region = Region.objects.get(slug=spec["region"])
        owners = [(_organization(region.slug, o["organization"]), o) for o in spec["owners"]]
        cumulative = list(accumulate(o["weight"] for _, o in owners))
        rng = random.Random(f"renkei-demo-owners:{spec['seed']}")
        rows = generate_company_rows(
            spec["count"], seed=spec["seed"], region_prefecture_code=region.prefecture_id
        )
        say(f"{region.name}: 架空の企業 {len(rows)} 社を登録しています…")
        for row in rows:
            owner, owner_spec = owners[bisect.bisect(cumulative, rng.random() * cumulative[-1])]
            if "consent_share_region" in owner_spec:
                # A bank's customers agree to share less often: a bank never shows another bank its customers.
                row["consent_share_region"] = rng.random() < owner_spec["consent_share_region"]
                row["consent_share_outside"] = row["consent_share_region"] and rng.random() < 0.2
            company = company_create(
                actor=admin, data=row, owner_organization_id=owner.pk, is_fictitious=True
            )
            for person in fictitious_contacts(rng, 1 + (rng.random() < 0.4)):
                contact_create(actor=admin, company_id=company.pk, data=person)
                n_contacts += 1
    say(f"架空の企業の担当者 {n_contacts} 人を登録しました。")


def _create_company_logins(config: dict[str, Any], admin: User, say: _Say) -> None:
    """Link each demo user with a ``company`` key to that fictitious company of its region (a company login)."""
    for spec in config["users"]:
        if not spec.get("company"):
            continue
        name = nfkc(spec["company"])  # stored names went through the validator's NFKC: （架空） → (架空)
        company = Company.objects.filter(region__slug=spec["region"], name=name, is_fictitious=True).first()
        if company is None:
            raise ApplicationError(
                f"デモデータの誤り: 地域「{spec['region']}」に架空の企業「{spec['company']}」がありません（demo.json）。"
            )
        user = get_user_model().objects.get(username=spec["username"])
        CompanyAccount.objects.get_or_create(user=user, defaults={"company": company, "created_by": admin})
        say(f"企業ログイン {user.username} を「{company.name}」に用意しました。")


_COUNT_LABELS = (
    ("regions", "地域"),
    ("target_fields", "支援対象分野"),
    ("categories", "相談区分"),
    ("capabilities", "対応分野タグ"),
    ("organizations", "機関"),
    ("roles", "役割"),
    ("partner_networks", "連携ネットワーク"),
)


def _summary(config: dict[str, Any], *, already_loaded: bool) -> dict[str, Any]:
    existing = set(
        get_user_model()
        .objects.filter(username__in=[u["username"] for u in config["users"]])
        .values_list("username", flat=True)
    )
    logins = [f"{u['username']} — {u['label']}" for u in config["users"] if u["username"] in existing]
    return {
        "logins": logins,
        "password": config["password"],
        "already_loaded": already_loaded,
        "regions": Region.objects.count(),
        "organizations": Organization.objects.count(),
        "roles": OrganizationRole.objects.count(),
        "partner_networks": PartnerNetwork.objects.count(),
        "users": len(logins),
        "companies": Company.objects.filter(is_fictitious=True).count(),
        "contacts": Contact.objects.filter(company__is_fictitious=True).count(),
        "cases": Case.objects.count(),
        "handoffs": Handoff.objects.count(),
    }


def load_demo(out: TextIO | None = None) -> dict[str, Any]:
    """Load the demo network, users and fictitious companies once; print progress in Japanese to ``out``.

    Returns ``{"logins": ["admin — システム管理者", …], "password": …, "already_loaded": bool, and counts}``.
    """
    say = _Say(out)
    config = read_data("demo.json")
    if Company.objects.filter(is_fictitious=True).exists():
        say("デモデータはすでに読み込まれています（何も変更しませんでした）。")
        summary = _summary(config, already_loaded=True)
        if current_version() is None:
            built = rebuild_index()
            say(f"検索インデックスを作成しました（{built.documents:,} 件、{built.seconds:.1f} 秒）。")
    else:
        started = time.monotonic()
        say("デモデータを読み込みます。")
        with quiet_case_mail(), updates_paused(), transaction.atomic():
            for name in config["definitions"]:
                counts = network_definition_load(data=read_data(name))
                parts = [f"{label} {counts[key]}" for key, label in _COUNT_LABELS if counts[key]]
                say(f"連携体制の定義 {name}: {'、'.join(parts)}")
            admin = _create_users(config, say)
            _create_companies(config, admin, say)
            _create_company_logins(config, admin, say)
            load_demo_catalog(admin, say)
            for name in config.get("case_definitions", []):
                counts = cases_definition_load(data=read_data(name))
                say(
                    f"相談の設定 {name}: 振分けルール {counts['routing_rules']}、段階 {counts['steps']}、"
                    f"対応期限の目標 {counts['sla']}、分類の学習用の例文 {counts['training_examples']}"
                )
            if "cases" in config:
                generate_demo_cases(config["cases"], say=say)
        summary = _summary(config, already_loaded=False)
        built = rebuild_index()
        say(f"検索インデックスを作成しました（{built.documents:,} 件、{built.seconds:.1f} 秒）。")
        say(
            f"デモデータの読み込みが完了しました（機関 {summary['organizations']}、"
            f"企業 {summary['companies']} 社、相談案件 {summary['cases']} 件、{time.monotonic() - started:.1f} 秒）。"
        )
    say(f"デモ用ログインのパスワードはすべて「{summary['password']}」です。")
    return summary
