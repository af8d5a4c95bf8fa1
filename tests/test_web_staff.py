"""Staff pages: only a region's secretariat (or a superuser) manages its staff, through the network services."""

from __future__ import annotations

import pytest
from django.urls import reverse

from renkei.network.choices import StaffRole
from renkei.network.models import Membership

from .factories import MembershipFactory, UserFactory


def html(response) -> str:
    return response.content.decode("utf-8")


@pytest.fixture
def secretariat(make_staff):
    return make_staff("chiba_pref", StaffRole.SECRETARIAT, username="chiba-secretariat")


@pytest.fixture
def lab_member(orgs):
    user = UserFactory(username="lab-taro", first_name="太郎", last_name="研究")
    return MembershipFactory(user=user, organization=orgs["chiba_lab"], role=StaffRole.MEMBER, title="研究員")


@pytest.fixture
def yamagata_member(orgs):
    user = UserFactory(username="yamagata-hanako")
    return MembershipFactory(user=user, organization=orgs["yamagata_center"], role=StaffRole.MEMBER)


class TestAccess:
    @pytest.mark.parametrize("role", [StaffRole.COORDINATOR, StaffRole.MEMBER, StaffRole.VIEWER])
    def test_only_the_secretariat_manages_staff(self, client, make_staff, role, lab_member):
        client.force_login(make_staff("chiba_lab", role))
        for url in (
            reverse("web:staff_list"),
            reverse("web:staff_create"),
            reverse("web:staff_edit", args=[lab_member.pk]),
        ):
            response = client.get(url)
            assert response.status_code == 403, url
            assert "地域の事務局だけ" in html(response)

    def test_anonymous_goes_to_login(self, client, db):
        response = client.get(reverse("web:staff_list"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))

    def test_list_shows_the_region_only(self, client, secretariat, lab_member, yamagata_member):
        client.force_login(secretariat)
        text = html(client.get(reverse("web:staff_list")))
        assert "lab-taro" in text and "研究員" in text and "千葉県産業支援技術研究所" in text
        assert "yamagata-hanako" not in text

    def test_edit_of_another_regions_membership_is_404(self, client, secretariat, yamagata_member):
        client.force_login(secretariat)
        url = reverse("web:staff_edit", args=[yamagata_member.pk])
        assert client.get(url).status_code == 404
        response = client.post(url, {"organization": yamagata_member.organization_id, "role": "secretariat"})
        assert response.status_code == 404
        yamagata_member.refresh_from_db()
        assert yamagata_member.role == StaffRole.MEMBER

    def test_superuser_sees_every_region(self, client, superuser, lab_member, yamagata_member):
        client.force_login(superuser)
        text = html(client.get(reverse("web:staff_list")))
        assert "lab-taro" in text and "yamagata-hanako" in text


class TestCreate:
    def test_form_offers_the_regions_organizations(self, client, secretariat):
        client.force_login(secretariat)
        text = html(client.get(reverse("web:staff_create")))
        select = text[text.index('name="organization"') :]
        select = select[: select.index("</select>")]
        assert "千葉県産業支援技術研究所" in select and "山形県工業技術センター" not in select

    def test_add_an_existing_user(self, client, secretariat, orgs):
        UserFactory(username="new-coordinator")
        client.force_login(secretariat)
        response = client.post(
            reverse("web:staff_create"),
            {
                "username": "new-coordinator",
                "organization": orgs["chiba_lab"].pk,
                "role": StaffRole.COORDINATOR,
                "title": "研究開発コーディネーター",
            },
            follow=True,
        )
        assert (
            "new-coordinator さんを「千葉県産業支援技術研究所」のコーディネーターとして登録しました"
            in html(response)
        )
        membership = Membership.objects.get(user__username="new-coordinator")
        assert membership.organization == orgs["chiba_lab"]
        assert membership.role == StaffRole.COORDINATOR
        assert membership.title == "研究開発コーディネーター"
        assert membership.created_by == secretariat

    def test_unknown_username_is_a_field_error(self, client, secretariat, orgs):
        client.force_login(secretariat)
        response = client.post(
            reverse("web:staff_create"),
            {"username": "ghost", "organization": orgs["chiba_lab"].pk, "role": StaffRole.MEMBER},
        )
        assert response.status_code == 422
        text = html(response)
        assert "利用者「ghost」は登録されていません" in text
        assert 'id="id_username-error"' in text and 'value="ghost"' in text
        assert not Membership.objects.filter(user__username="ghost").exists()

    def test_organization_of_another_region_is_refused_by_the_service(self, client, secretariat, orgs):
        UserFactory(username="new-member")
        client.force_login(secretariat)
        response = client.post(
            reverse("web:staff_create"),
            {
                "username": "new-member",
                "organization": orgs["yamagata_center"].pk,
                "role": StaffRole.MEMBER,
                "title": "主任",
            },
        )
        assert response.status_code == 422
        text = html(response)
        assert (
            "「山形県工業技術センター」は別の地域（山形県）の機関のため、職員を登録・変更できません。" in text
        )
        assert 'id="id_organization-error"' in text
        assert 'value="new-member"' in text and 'value="主任"' in text
        assert not Membership.objects.filter(user__username="new-member").exists()

    def test_already_a_member_is_reported(self, client, secretariat, lab_member):
        client.force_login(secretariat)
        response = client.post(
            reverse("web:staff_create"),
            {"username": "lab-taro", "organization": lab_member.organization_id, "role": StaffRole.MEMBER},
        )
        assert response.status_code == 422
        assert "すでに「千葉県産業支援技術研究所」の職員として登録されています" in html(response)
        assert Membership.objects.filter(user__username="lab-taro").count() == 1


class TestEdit:
    def test_change_role_title_and_deactivate(self, client, secretariat, lab_member):
        client.force_login(secretariat)
        url = reverse("web:staff_edit", args=[lab_member.pk])
        text = html(client.get(url))
        assert 'value="研究員"' in text
        response = client.post(
            url,
            {
                "organization": lab_member.organization_id,
                "role": StaffRole.COORDINATOR,
                "title": "主任研究員",
            },
            follow=True,
        )
        assert response.redirect_chain == [(reverse("web:staff_list"), 302)]
        assert "lab-taro さんの所属を更新しました" in html(response)
        lab_member.refresh_from_db()
        assert lab_member.role == StaffRole.COORDINATOR
        assert lab_member.title == "主任研究員"
        assert lab_member.is_active is False  # the checkbox was left unticked
        assert lab_member.ended_on is not None
        # an inactive membership is listed only on request
        assert "lab-taro" not in html(client.get(reverse("web:staff_list")))
        assert "lab-taro" in html(client.get(reverse("web:staff_list"), {"inactive": "1"}))

    def test_other_regions_organization_shows_the_error_and_changes_nothing(
        self, client, secretariat, lab_member, orgs
    ):
        client.force_login(secretariat)
        url = reverse("web:staff_edit", args=[lab_member.pk])
        response = client.post(
            url,
            {
                "organization": orgs["yamagata_center"].pk,
                "role": StaffRole.SECRETARIAT,
                "title": "異動後の役職",
                "is_active": "on",
            },
        )
        assert response.status_code == 422
        text = html(response)
        assert (
            "「山形県工業技術センター」は別の地域（山形県）の機関のため、職員を登録・変更できません。" in text
        )
        assert 'id="id_organization-error"' in text
        assert 'value="異動後の役職"' in text  # the typed title is kept
        lab_member.refresh_from_db()
        assert lab_member.organization == orgs["chiba_lab"]
        assert lab_member.role == StaffRole.MEMBER
        assert lab_member.title == "研究員"
        assert lab_member.is_active is True

    def test_nonexistent_organization_is_a_field_error(self, client, secretariat, lab_member):
        client.force_login(secretariat)
        response = client.post(
            reverse("web:staff_edit", args=[lab_member.pk]),
            {"organization": 999999, "role": StaffRole.MEMBER, "is_active": "on"},
        )
        assert response.status_code == 422
        assert "指定された機関は存在しません" in html(response)
        lab_member.refresh_from_db()
        assert lab_member.organization_id != 999999
