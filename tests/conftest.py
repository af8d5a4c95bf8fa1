"""Shared fixtures: two regions (千葉県, 山形県), bodies of each kind, and a user per role."""

from __future__ import annotations

import pytest

from renkei.core.models import Prefecture
from renkei.network.choices import OrganizationKind, StaffRole

from .factories import PASSWORD, MembershipFactory, OrganizationFactory, RegionFactory, UserFactory


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
