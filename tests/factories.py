"""factory_boy factories for the test suite."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from renkei.companies.models import Company
from renkei.core.models import Prefecture
from renkei.network.choices import OrganizationKind, StaffRole
from renkei.network.models import Membership, Organization, Region

PASSWORD = "test-password-123"


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("prefecture",)

    prefecture = factory.LazyFunction(lambda: Prefecture.objects.get(code="12"))
    name = factory.LazyAttribute(lambda o: o.prefecture.name)
    slug = factory.LazyAttribute(lambda o: o.prefecture.name_en.lower())
    is_home = True


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"テスト支援機関{n}")
    kind = OrganizationKind.SUPPORT
    region = factory.SubFactory(RegionFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.jp")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = StaffRole.MEMBER


class CompanyFactory(factory.django.DjangoModelFactory):
    """Creates companies directly (bypassing the service) for read-side tests."""

    class Meta:
        model = Company

    owner_organization = factory.SubFactory(OrganizationFactory)
    region = factory.LazyAttribute(lambda o: o.owner_organization.region)
    name = factory.Sequence(lambda n: f"株式会社テスト製作所{n}")
    kana = factory.Sequence(lambda n: f"てすとせいさくしょ{n}")
    consent_share_region = True
