"""Shared fixtures: two regions (千葉県, 山形県), bodies of each kind, and a user per role."""

from __future__ import annotations

import pytest

from renkei.core.models import Prefecture
from renkei.network.choices import OrganizationKind, StaffRole

from .factories import PASSWORD, MembershipFactory, OrganizationFactory, RegionFactory, UserFactory


@pytest.fixture(autouse=True)
def _index_updates_manual(settings, tmp_path):
    """The matching index follows writes only when a test asks (``fresh_index``): a background rebuild thread must
    not read a test's database while the test rolls it back. Each test has its own index folder, so no test reads
    an index built from another test's (or the developer's) database."""
    settings.RENKEI_INDEX_UPDATES = "manual"
    settings.DATA_DIR = tmp_path


@pytest.fixture(autouse=True)
def _fresh_throttle_counts():
    """Public-search counts live in the process's cache: each test starts with none (every test client is 127.0.0.1)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    """PBKDF2 costs ~0.3 s per user; tests don't need it to be slow."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def chiba(db):
    return RegionFactory(prefecture=Prefecture.objects.get(code="12"), slug="chiba")


@pytest.fixture
def yamagata(db):
    return RegionFactory(prefecture=Prefecture.objects.get(code="06"), slug="yamagata")


@pytest.fixture
def orgs(chiba, yamagata):
    """A small two-region network: a secretariat body, an institute, two banks in Chiba; two bodies in Yamagata."""
    return {
        "chiba_pref": OrganizationFactory(
            name="千葉県 産業振興課", kind=OrganizationKind.GOVERNMENT, region=chiba
        ),
        "chiba_lab": OrganizationFactory(
            name="千葉県産業支援技術研究所", kind=OrganizationKind.GOVERNMENT, region=chiba
        ),
        "chiba_bank_a": OrganizationFactory(name="テスト銀行A", kind=OrganizationKind.FINANCE, region=chiba),
        "chiba_bank_b": OrganizationFactory(name="テスト銀行B", kind=OrganizationKind.FINANCE, region=chiba),
        "yamagata_pref": OrganizationFactory(
            name="山形県", kind=OrganizationKind.GOVERNMENT, region=yamagata
        ),
        "yamagata_center": OrganizationFactory(
            name="山形県工業技術センター", kind=OrganizationKind.GOVERNMENT, region=yamagata
        ),
    }


@pytest.fixture
def make_staff(orgs):
    """make_staff("chiba_lab", "coordinator") → a user with that role in that organization."""

    def make(org_key: str, role: str = StaffRole.MEMBER, username: str | None = None):
        user = UserFactory(username=username or f"{org_key}-{role}")
        MembershipFactory(user=user, organization=orgs[org_key], role=role)
        return user

    return make


@pytest.fixture
def superuser(db):
    user = UserFactory(username="root")
    user.is_superuser = True
    user.is_staff = True
    user.save()
    return user


@pytest.fixture
def case_config(orgs, chiba, yamagata):
    """The case ledger's configuration for the two test regions: windows, categories, SLA targets, ladders, rules."""
    from renkei.cases.models import CaseSettings, EscalationLadder, EscalationStep, RoutingRule, SlaPolicy
    from renkei.network.models import Category

    cats = {
        code: Category.objects.get_or_create(code=code, defaults={"name": name, "sort_order": i})[0]
        for i, (code, name) in enumerate(
            [
                ("technical", "技術的課題"),
                ("management", "経営的課題"),
                ("research", "研究課題"),
                ("funding", "資金"),
            ]
        )
    }
    CaseSettings.objects.create(region=chiba, window_organization=orgs["chiba_pref"])
    CaseSettings.objects.create(region=yamagata, window_organization=orgs["yamagata_pref"])
    SlaPolicy.objects.create(region=chiba, first_response_days=2, resolution_days=20)
    SlaPolicy.objects.create(
        region=chiba, category=cats["technical"], first_response_days=3, resolution_days=30
    )
    SlaPolicy.objects.create(region=yamagata, first_response_days=3, resolution_days=20)
    ladder = EscalationLadder.objects.create(region=yamagata, name="3段階の相談解決のスキーム")
    EscalationStep.objects.create(ladder=ladder, position=1, name="最初に相談を受けた機関", target_days=10)
    EscalationStep.objects.create(
        ladder=ladder, position=2, name="中小企業トータルサポート", owner_organization=orgs["yamagata_pref"]
    )
    step3 = EscalationStep.objects.create(
        ladder=ladder,
        position=3,
        name="連携支援室",
        owner_organization=orgs["yamagata_center"],
        is_external=True,
    )
    step3.categories.set([cats["technical"], cats["research"]])
    chiba_ladder = EscalationLadder.objects.create(region=chiba, name="千葉の連携支援")
    EscalationStep.objects.create(
        ladder=chiba_ladder, position=1, name="産業振興課の窓口", owner_organization=orgs["chiba_pref"]
    )
    EscalationStep.objects.create(
        ladder=chiba_ladder,
        position=2,
        name="産学官連携推進定例会議",
        owner_organization=orgs["chiba_pref"],
        meeting_kind="regular",
    )
    EscalationStep.objects.create(
        ladder=chiba_ladder, position=3, name="TKF", owner_organization=orgs["chiba_lab"], is_external=True
    )
    RoutingRule.objects.create(
        region=chiba,
        position=1,
        name="技術的課題は産技研",
        conditions={"categories": ["technical"]},
        lead_organization=orgs["chiba_lab"],
    )
    RoutingRule.objects.create(
        region=chiba, position=2, name="その他は窓口", conditions={}, lead_organization=orgs["chiba_pref"]
    )
    return {"categories": cats, "ladders": {"yamagata": ladder, "chiba": chiba_ladder}}


@pytest.fixture
def fresh_index(settings, tmp_path):
    """``fresh_index()`` after creating a test's data: rebuilds the matching index from this test's database, in
    this test's own data directory (an index left by another test would name rows that no longer exist)."""
    from renkei.matching import store

    settings.DATA_DIR = tmp_path

    def rebuild():
        return store.rebuild()

    return rebuild
