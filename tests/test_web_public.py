"""The public side of the web UI: layout, home, login/logout, the organization directory, the admin gate."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from renkei.network.choices import OrganizationKind, StaffRole
from renkei.network.models import Capability, OrganizationRole, PartnerNetwork, PartnerNetworkMember

from .factories import OrganizationFactory, UserFactory


def html(response) -> str:
    return response.content.decode("utf-8")


def h1_count(text: str) -> int:
    return len(re.findall(r"<h1[\s>]", text))


@pytest.fixture
def directory(orgs, chiba, yamagata):
    """Roles with capability tags, a child body, a bank, a university and a partner network across regions."""
    emc = Capability.objects.create(name="EMC", sort_order=1)
    food = Capability.objects.create(name="食品", sort_order=2)
    lab = orgs["chiba_lab"]
    lab.address = "千葉市稲毛区天戸町1406-18"
    lab.postal_code = "263-0016"
    lab.representative_title = "所長"
    lab.representative_name = "千葉 太郎"
    lab.url = "https://example.jp/lab/"
    lab.save()
    role = OrganizationRole.objects.create(organization=lab, text="技術相談・依頼試験・機器貸出")
    role.capabilities.add(emc)
    branch = OrganizationFactory(
        name="東葛テクノプラザ", kind=OrganizationKind.GOVERNMENT, region=chiba, parent=lab
    )
    uni = OrganizationFactory(name="テスト大学", kind=OrganizationKind.ACADEMIA, region=chiba)
    OrganizationRole.objects.create(organization=uni, text="共同研究").capabilities.add(food)
    network = PartnerNetwork.objects.create(name="首都圏テクノナレッジ・フリーウェイ", short_name="TKF")
    PartnerNetworkMember.objects.create(network=network, organization=lab)
    PartnerNetworkMember.objects.create(network=network, organization=orgs["yamagata_center"])
    return {"lab": lab, "branch": branch, "uni": uni, "network": network}


class TestLayout:
    def test_public_home_is_japanese_accessible_and_self_contained(self, client, directory):
        response = client.get("/")
        assert response.status_code == 200
        text = html(response)
        assert '<html lang="ja">' in text
        assert h1_count(text) == 1
        assert 'href="#main"' in text and 'id="main"' in text  # skip link to the main landmark
        assert "renkei 連携支援" in text
        assert "機関一覧" in text and "ログイン" in text
        # The public sees neither the company nor the staff menu.
        assert reverse("web:company_list") not in text
        assert reverse("web:staff_list") not in text
        # Nothing is loaded from another host (the product runs inside LGWAN).
        assert not re.search(r'(src|href)="(https?:)?//', text)
        assert "/static/django_htmx/htmx-2.min.js" in text
        assert "/static/renkei/tokens.css" in text and "/static/renkei/app.css" in text
        assert "日本標準産業分類" in text  # attribution line for the reference data

    def test_home_for_staff_shows_their_organizations_roles_and_counts(self, client, make_staff, orgs):
        user = make_staff("chiba_lab", StaffRole.COORDINATOR)
        client.force_login(user)
        text = html(client.get("/"))
        assert "千葉県産業支援技術研究所" in text
        assert "コーディネーター" in text
        assert "閲覧できる企業" in text
        # 4 organizations in the Chiba fixture network
        assert re.search(r"4<small> 機関</small></span><span class=\"stat-label\">千葉県の支援機関", text)
        assert reverse("web:company_list") in text
        assert reverse("web:staff_list") not in text  # a coordinator is not the secretariat
        assert reverse("admin:index") not in text

    def test_menu_for_secretariat_and_superuser(self, client, make_staff, superuser):
        client.force_login(make_staff("chiba_pref", StaffRole.SECRETARIAT))
        text = html(client.get("/"))
        assert reverse("web:staff_list") in text
        assert reverse("admin:index") not in text
        client.force_login(superuser)
        text = html(client.get("/"))
        assert reverse("admin:index") in text
        assert reverse("web:company_list") in text

    def test_static_files_are_served_with_the_design_tokens(self, client):
        tokens = b"".join(client.get("/static/renkei/tokens.css").streaming_content)
        assert b"--color-primitive-blue-900" in tokens
        app = b"".join(client.get("/static/renkei/app.css").streaming_content).decode()
        assert "Noto Sans JP" in app and "Hiragino Sans" in app and "Yu Gothic" in app
        assert "@import" not in app and "url(http" not in app
        htmx = b"".join(client.get("/static/django_htmx/htmx-2.min.js").streaming_content)
        assert b"htmx" in htmx
        licence = b"".join(client.get("/static/renkei/tokens.LICENSE.txt").streaming_content).decode()
        assert "MIT License" in licence and "デジタル庁" in licence

    def test_unknown_page_is_a_japanese_404(self, client, db):
        response = client.get("/no-such-page/")
        assert response.status_code == 404
        assert "ページが見つかりません" in html(response)


class TestLogin:
    def test_login_page_and_japanese_error(self, client, make_staff, password):
        make_staff("chiba_lab", StaffRole.MEMBER, username="taro")
        page = client.get(reverse("web:login"))
        text = html(page)
        assert h1_count(text) == 1
        assert '<label for="id_username">' in text and '<label for="id_password">' in text
        response = client.post(reverse("web:login"), {"username": "taro", "password": "wrong-password"})
        text = html(response)
        assert "正しいユーザー名とパスワードを入力してください" in text
        assert 'class="error-summary"' in text
        assert 'value="taro"' in text  # what was typed is kept
        assert "_auth_user_id" not in client.session

    def test_login_then_logout_by_post(self, client, make_staff, password):
        make_staff("chiba_lab", StaffRole.MEMBER, username="taro")
        response = client.post(reverse("web:login"), {"username": "taro", "password": password}, follow=True)
        assert "ログインしました" in html(response)
        assert "taro" in html(response)
        assert client.session.get("_auth_user_id")
        assert client.get(reverse("web:logout")).status_code == 405  # logging out needs a POST
        response = client.post(reverse("web:logout"), follow=True)
        assert "ログアウトしました" in html(response)
        assert "_auth_user_id" not in client.session


class TestOrganizationDirectory:
    def test_public_list_grouped_by_region_with_kind_parent_address_capabilities(self, client, directory):
        response = client.get(reverse("web:organization_list"))
        assert response.status_code == 200
        text = html(response)
        assert h1_count(text) == 1
        # grouped by region, in prefecture-code order: 山形県 (06) before 千葉県 (12)
        headings = re.findall(r'<h2 class="region-heading"[^>]*>([^<]+)<', text)
        assert headings == ["山形県", "千葉県"]
        assert text.index("山形県工業技術センター") < text.index("千葉県産業支援技術研究所")
        assert "〒263-0016 千葉市稲毛区天戸町1406-18" in text
        assert '<span class="tag">EMC</span>' in text
        assert ">学</span>" in text and "学（大学・高専・研究機関）" in text
        # the child shows its parent
        row = text[text.index("東葛テクノプラザ") :]
        assert "千葉県産業支援技術研究所" in row[: row.index("</tr>")]

    @pytest.mark.parametrize(
        ("params", "present", "absent"),
        [
            ({"kind": "academia"}, ["テスト大学"], ["千葉県産業支援技術研究所", "テスト銀行A"]),
            ({"kind": "finance"}, ["テスト銀行A", "テスト銀行B"], ["テスト大学"]),
            ({"region": "yamagata"}, ["山形県工業技術センター"], ["千葉県産業支援技術研究所"]),
            ({"capability": "EMC"}, ["千葉県産業支援技術研究所"], ["テスト大学", "テスト銀行A"]),
            ({"q": "テクノ"}, ["東葛テクノプラザ"], ["テスト大学", "山形県"]),
        ],
    )
    def test_filters(self, client, directory, params, present, absent):
        response = client.get(reverse("web:organization_list"), params)
        assert response.status_code == 200
        results = html(response).split('id="org-results"', 1)[1]
        for name in present:
            assert name in results
        for name in absent:
            assert f">{name}</a>" not in results
        assert "絞り込み中" in html(response)

    def test_no_match_says_so_and_bad_filter_is_ignored_safely(self, client, directory):
        text = html(client.get(reverse("web:organization_list"), {"q": "存在しない機関名"}))
        assert "条件に合う支援機関はありません" in text
        response = client.get(reverse("web:organization_list"), {"kind": "<script>alert(1)</script>"})
        assert response.status_code == 200
        text = html(response)
        assert "<script>alert(1)" not in text
        assert text.count("<script") == 2  # htmx and app.js only
        assert "正しく選択してください" in text

    def test_htmx_request_returns_the_page_for_hx_select(self, client, directory):
        response = client.get(reverse("web:organization_list"), {"kind": "academia"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert 'id="org-results"' in html(response) and 'id="result-count"' in html(response)

    def test_detail_public_without_staff(self, client, directory, make_staff):
        make_staff("chiba_lab", StaffRole.COORDINATOR, username="coordinator-hanako")
        lab = directory["lab"]
        response = client.get(reverse("web:organization_detail", args=[lab.pk]))
        assert response.status_code == 200
        text = html(response)
        assert h1_count(text) == 1
        assert "所長 千葉 太郎" in text
        assert "https://example.jp/lab/" in text
        assert "技術相談・依頼試験・機器貸出" in text
        assert "東葛テクノプラザ" in text  # child
        assert "TKF" in text and "山形県工業技術センター" in text  # partner network, other member…
        network_part = text[text.index('id="networks"') :]
        assert "山形県" in network_part[: network_part.index("</section>")]  # …with its region
        assert "coordinator-hanako" not in text
        assert 'id="staff"' not in text

    def test_detail_shows_staff_to_staff_of_the_region_only(self, client, directory, make_staff):
        make_staff("chiba_lab", StaffRole.COORDINATOR, username="coordinator-hanako")
        lab = directory["lab"]
        client.force_login(make_staff("chiba_pref", StaffRole.MEMBER))
        text = html(client.get(reverse("web:organization_detail", args=[lab.pk])))
        assert "coordinator-hanako" in text and "コーディネーター" in text
        client.force_login(make_staff("yamagata_pref", StaffRole.SECRETARIAT))
        text = html(client.get(reverse("web:organization_detail", args=[lab.pk])))
        assert 'id="staff"' in text
        assert "coordinator-hanako" not in text

    def test_unknown_organization_is_404(self, client, db):
        assert client.get(reverse("web:organization_detail", args=[999999])).status_code == 404


class TestAdminIsForSuperusersOnly:
    def test_staff_flag_alone_does_not_open_the_admin(self, client, make_staff):
        user = make_staff("chiba_pref", StaffRole.SECRETARIAT)
        user.is_staff = True
        user.save()
        client.force_login(user)
        response = client.get("/admin/")
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]

    def test_superuser_opens_the_admin(self, client, superuser):
        client.force_login(superuser)
        assert client.get("/admin/").status_code == 200

    def test_plain_user_cannot_log_into_the_admin(self, client, db, password):
        user = UserFactory(username="plain")
        user.is_staff = True
        user.save()
        client.post("/admin/login/?next=/admin/", {"username": "plain", "password": password})
        response = client.get("/admin/")
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
