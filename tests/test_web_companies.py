"""Company pages: login and visibility (404 for what visible_to hides), search, create/edit with Japanese errors
that keep every typed value, escaping, and the form helpers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from renkei.companies.choices import SizeClass
from renkei.companies.models import Company, Contact
from renkei.network.choices import StaffRole
from renkei.network.models import Membership

from .factories import CompanyFactory, UserFactory

VALID_NUMBER = "7000012050002"  # a valid 法人番号 (国税庁)
BAD_NUMBER = "1000012050002"  # wrong check digit


def html(response) -> str:
    return response.content.decode("utf-8")


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "name": "株式会社テスト精工",
        "kana": "てすとせいこう",
        "corporate_number": VALID_NUMBER,
        "jsic_code": "2511",
        "founded_on": "昭和55年4月1日",
        "capital": "10,000,000",
        "employees": "45",
        "postal_code": "260-8667",
        "municipality_code": "121011",
        "address": "市場町1-1",
        "phone": "043-223-2711",
        "url": "https://example.jp/",
        "technologies": "精密切削、ＩｏＴ",
        "products": "",
        "certifications": "ISO 9001",
        "consent_share_region": "on",
    }
    data.update(overrides)
    return data


@pytest.fixture
def member(make_staff):
    return make_staff("chiba_lab", StaffRole.MEMBER)


@pytest.fixture
def lab_id(orgs) -> str:
    """The owner organization the member picks (a browser always sends the selected option)."""
    return str(orgs["chiba_lab"].pk)


@pytest.fixture
def companies(orgs, yamagata):
    """A shared company, a private one of the lab, a bank's customer, and a Yamagata company."""
    return {
        "shared": CompanyFactory(
            owner_organization=orgs["chiba_pref"], name="共有精機株式会社", kana="きょうゆうせいき"
        ),
        "lab_private": CompanyFactory(
            owner_organization=orgs["chiba_lab"], name="研究所の非公開企業", consent_share_region=False
        ),
        "bank_private": CompanyFactory(
            owner_organization=orgs["chiba_bank_a"], name="銀行の顧客企業", consent_share_region=False
        ),
        "yamagata": CompanyFactory(owner_organization=orgs["yamagata_center"], name="山形の共有企業"),
    }


class TestAccess:
    @pytest.mark.parametrize("name", ["company_list", "company_create", "company_import"])
    def test_login_required(self, client, db, name):
        response = client.get(reverse(f"web:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))

    def test_detail_login_required(self, client, companies):
        response = client.get(reverse("web:company_detail", args=[companies["shared"].pk]))
        assert response.status_code == 302

    def test_user_without_membership_is_refused_in_japanese(self, client, db):
        client.force_login(UserFactory(username="nobody"))
        response = client.get(reverse("web:company_list"))
        assert response.status_code == 403
        assert "支援機関の職員として登録された方だけ" in html(response)

    def test_detail_of_invisible_companies_is_404(self, client, member, companies):
        client.force_login(member)
        for key in ("bank_private", "yamagata"):
            for name in ("web:company_detail", "web:company_edit"):
                response = client.get(reverse(name, args=[companies[key].pk]))
                assert response.status_code == 404, (key, name)
                assert companies[key].name not in html(response)
        assert client.get(reverse("web:company_detail", args=[companies["shared"].pk])).status_code == 200
        assert (
            client.get(reverse("web:company_detail", args=[companies["lab_private"].pk])).status_code == 200
        )

    def test_a_bank_sees_only_its_own_customers(self, client, make_staff, companies):
        client.force_login(make_staff("chiba_bank_b", StaffRole.MEMBER))
        text = html(client.get(reverse("web:company_list")))
        assert "銀行の顧客企業" not in text and "共有精機株式会社" not in text
        assert "閲覧できる企業はまだありません" in text
        response = client.get(reverse("web:company_detail", args=[companies["bank_private"].pk]))
        assert response.status_code == 404

    def test_post_to_edit_an_invisible_company_changes_nothing(self, client, member, companies):
        client.force_login(member)
        target = companies["yamagata"]
        response = client.post(reverse("web:company_edit", args=[target.pk]), form_data(name="乗っ取り"))
        assert response.status_code == 404
        target.refresh_from_db()
        assert target.name == "山形の共有企業"

    def test_viewer_may_read_but_not_create_or_edit(self, client, make_staff, companies):
        viewer = make_staff("chiba_lab", StaffRole.VIEWER)
        client.force_login(viewer)
        detail = html(client.get(reverse("web:company_detail", args=[companies["lab_private"].pk])))
        assert reverse("web:company_edit", args=[companies["lab_private"].pk]) not in detail
        response = client.get(reverse("web:company_create"))
        assert response.status_code == 403
        assert "企業を登録できるのは" in html(response)
        response = client.post(reverse("web:company_edit", args=[companies["lab_private"].pk]), form_data())
        assert response.status_code == 403
        assert not Company.objects.filter(name="株式会社テスト精工").exists()


class TestList:
    def test_columns_and_visibility(self, client, member, companies):
        companies["shared"].corporate_number = VALID_NUMBER
        companies["shared"].jsic_id = "2511"
        companies["shared"].municipality_id = "121011"
        companies["shared"].size_class = SizeClass.SME
        companies["shared"].save()
        client.force_login(member)
        response = client.get(reverse("web:company_list"))
        text = html(response)
        assert response.status_code == 200
        for header in ("企業名", "法人番号", "業種", "規模", "市区町村", "登録機関"):
            assert f'<th scope="col">{header}</th>' in text
        assert "共有精機株式会社" in text and "研究所の非公開企業" in text
        assert "銀行の顧客企業" not in text and "山形の共有企業" not in text
        row = text[text.index("共有精機株式会社") :]
        row = row[: row.index("</tr>")]
        assert VALID_NUMBER in row and "ボイラ製造業" in row and "中央区" in row
        assert '<span class="badge badge-sme">中小企業者</span>' in row
        assert "千葉県 産業振興課" in row
        assert "2 社" in text

    @pytest.mark.parametrize(
        ("params", "expected"),
        [
            ({"q": "共有"}, ["共有精機株式会社"]),
            ({"q": "きょうゆう"}, ["共有精機株式会社"]),
            ({"q": "７０００"}, ["共有精機株式会社"]),  # full-width start of the 法人番号
            ({"q": "五軸加工"}, ["研究所の非公開企業"]),  # technology
            ({"size_class": "small"}, ["研究所の非公開企業"]),
        ],
    )
    def test_search_and_size_filter(self, client, member, companies, params, expected):
        shared = companies["shared"]
        shared.corporate_number = VALID_NUMBER
        shared.save()
        private = companies["lab_private"]
        private.technologies = "五軸加工、微細穴あけ"
        private.size_class = SizeClass.SMALL
        private.save()
        client.force_login(member)
        text = html(client.get(reverse("web:company_list"), params))
        results = text.split('id="company-results"', 1)[1]
        names = {"共有精機株式会社", "研究所の非公開企業"}
        for name in expected:
            assert name in results
        for name in names - set(expected):
            assert name not in results

    def test_pagination_50_per_page(self, client, member, orgs):
        for i in range(55):
            CompanyFactory(
                owner_organization=orgs["chiba_lab"], name=f"連番企業{i:03d}", kana=f"れんばん{i:03d}"
            )
        client.force_login(member)
        first = html(client.get(reverse("web:company_list")))
        assert first.count('<td data-label="企業名">') == 50
        assert "1 / 2 ページ" in first and "次の50件" in first
        second = html(client.get(reverse("web:company_list"), {"page": 2}))
        assert second.count('<td data-label="企業名">') == 5
        assert "連番企業054" in second and "前の50件" in second
        # an out-of-range page shows the last page rather than an error
        assert client.get(reverse("web:company_list"), {"page": 99}).status_code == 200


class TestCreate:
    def test_owner_choice_lists_only_writable_organizations(self, client, make_staff, orgs):
        user = make_staff("chiba_lab", StaffRole.MEMBER)
        Membership.objects.create(user=user, organization=orgs["chiba_bank_a"], role=StaffRole.VIEWER)
        client.force_login(user)
        text = html(client.get(reverse("web:company_create")))
        select = text[text.index('name="owner_organization"') :]
        select = select[: select.index("</select>")]
        assert "千葉県産業支援技術研究所" in select
        assert "テスト銀行A" not in select  # viewer there: not writable
        assert "山形県" not in select

    def test_bad_corporate_number_rerenders_with_japanese_error_and_typed_values(
        self, client, member, lab_id
    ):
        client.force_login(member)
        data = form_data(
            owner_organization=lab_id,
            corporate_number=BAD_NUMBER,
            capital="１，０００万",
            address="市場町１－１ テストビル",
        )
        response = client.post(reverse("web:company_create"), data)
        assert response.status_code == 422
        text = html(response)
        assert "法人番号のチェックデジット（先頭の1桁）が正しくありません" in text
        # the error summary links to the field; the field points at its error
        assert 'href="#id_corporate_number"' in text
        assert re.search(r'aria-describedby="id_corporate_number-error[^"]*"', text)
        assert 'id="id_corporate_number-error"' in text
        assert 'aria-invalid="true"' in text
        # every typed value is still there, as typed
        assert f'value="{BAD_NUMBER}"' in text
        assert 'value="株式会社テスト精工"' in text
        assert 'value="１，０００万"' in text
        assert 'value="市場町１－１ テストビル"' in text
        assert 'value="昭和55年4月1日"' in text
        assert re.search(r">\s*精密切削、ＩｏＴ</textarea>", text)
        assert re.search(r'name="consent_share_region"[^>]*checked', text)
        assert not Company.objects.exists()

    def test_several_errors_are_all_reported_on_their_fields(self, client, member, lab_id):
        client.force_login(member)
        response = client.post(
            reverse("web:company_create"),
            form_data(
                owner_organization=lab_id,
                name="",
                jsic_code="25",
                postal_code="123",
                url="javascript:alert(1)",
            ),
        )
        text = html(response)
        assert "企業名を入力してください" in text
        assert "細分類（4桁）で指定してください" in text
        assert "郵便番号は数字7桁" in text
        assert "URLは http://" in text
        for field in ("name", "jsic_code", "postal_code", "url"):
            assert f'id="id_{field}-error"' in text
        assert not Company.objects.exists()

    def test_valid_input_creates_and_shows_the_company(self, client, member, orgs, lab_id):
        client.force_login(member)
        response = client.post(
            reverse("web:company_create"),
            form_data(owner_organization=lab_id, corporate_number="７０００-０１２０-５０００２"),
        )
        company = Company.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("web:company_detail", args=[company.pk])
        assert company.corporate_number == VALID_NUMBER
        assert company.owner_organization == orgs["chiba_lab"]
        assert company.capital == 10_000_000 and company.founded_on == dt.date(1980, 4, 1)
        text = html(client.get(response["Location"]))
        assert "企業「株式会社テスト精工」を登録しました" in text

    def test_duplicate_corporate_number_is_a_field_error(self, client, member, orgs, lab_id):
        CompanyFactory(owner_organization=orgs["chiba_pref"], corporate_number=VALID_NUMBER)
        client.force_login(member)
        response = client.post(
            reverse("web:company_create"),
            form_data(
                owner_organization=lab_id,
            ),
        )
        text = html(response)
        assert response.status_code == 422
        assert "この法人番号の企業はすでにこの地域で登録されています" in text
        assert 'id="id_corporate_number-error"' in text
        assert Company.objects.count() == 1


class TestDetail:
    def test_all_fields_sme_status_wareki_contacts_consent(self, client, member, orgs, lab_id):
        client.force_login(member)
        client.post(
            reverse("web:company_create"),
            form_data(
                owner_organization=lab_id,
            ),
        )
        company = Company.objects.get()
        Contact.objects.create(
            company=company, name="山田 花子", department="技術部", email="hanako@example.jp"
        )
        text = html(client.get(reverse("web:company_detail", args=[company.pk])))
        assert len(re.findall(r"<h1[\s>]", text)) == 1
        assert "昭和55年4月1日" in text  # 設立 in 和暦
        assert "中小企業者</strong>に該当します" in text or "小規模企業者</strong>に該当します" in text
        assert company.size_reason in text
        assert "2511 ボイラ製造業" in text
        assert "E 製造業" in text  # the 大分類 above it
        assert "千葉県千葉市中央区市場町1-1" in text
        assert "1,000万円" in text and "45 人" in text
        assert "山田 花子" in text and "技術部" in text
        assert "同意あり" in text and "同意なし" in text
        assert reverse("web:company_edit", args=[company.pk]) in text

    def test_script_in_name_is_escaped(self, client, member, lab_id):
        client.force_login(member)
        evil = '<script>alert("x")</script>株式会社'
        response = client.post(
            reverse("web:company_create"),
            form_data(owner_organization=lab_id, name=evil, corporate_number=""),
        )
        assert response.status_code == 302, html(response)
        company = Company.objects.get()
        for url in (reverse("web:company_detail", args=[company.pk]), reverse("web:company_list")):
            text = html(client.get(url))
            assert '<script>alert("x")' not in text
            assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;株式会社" in text


class TestEdit:
    def test_edit_shows_stored_values_and_saves(self, client, member, lab_id):
        client.force_login(member)
        client.post(
            reverse("web:company_create"),
            form_data(
                owner_organization=lab_id,
            ),
        )
        company = Company.objects.get()
        url = reverse("web:company_edit", args=[company.pk])
        text = html(client.get(url))
        assert 'value="株式会社テスト精工"' in text and 'value="1980-04-01"' in text
        assert 'name="owner_organization"' not in text
        response = client.post(url, form_data(employees="350", capital="400000000"))
        assert response.status_code == 302
        company.refresh_from_db()
        assert company.employees == 350
        assert company.size_class == SizeClass.LARGE

    def test_edit_error_keeps_input_and_changes_nothing(self, client, member, lab_id):
        client.force_login(member)
        client.post(
            reverse("web:company_create"),
            form_data(
                owner_organization=lab_id,
            ),
        )
        company = Company.objects.get()
        response = client.post(
            reverse("web:company_edit", args=[company.pk]),
            form_data(name="新しい名前", employees="たくさん"),
        )
        assert response.status_code == 422
        text = html(response)
        assert "従業員数は整数で入力してください" in text
        assert 'value="新しい名前"' in text and 'value="たくさん"' in text
        company.refresh_from_db()
        assert company.name == "株式会社テスト精工"


class TestHelpers:
    def test_jsic_suggestions_by_name_and_code(self, client, member):
        client.force_login(member)
        text = html(client.get(reverse("web:jsic_suggest"), {"jsic_code": "ボイラ"}))
        assert '<datalist id="jsic-options">' in text
        assert '<option value="2511">2511 ボイラ製造業</option>' in text
        text = html(client.get(reverse("web:jsic_suggest"), {"jsic_code": "２５１"}))
        assert 'value="2511"' in text and 'value="2431"' not in text

    def test_municipality_suggestions_and_default_list(self, client, member):
        client.force_login(member)
        text = html(client.get(reverse("web:municipality_suggest"), {"municipality_code": "中央区"}))
        assert '<option value="121011">121011 千葉県千葉市中央区</option>' in text
        form = html(client.get(reverse("web:company_create")))
        assert 'list="municipality-options"' in form and 'list="jsic-options"' in form
        assert "121011 千葉県千葉市中央区" in form  # the user's region is offered without typing
        assert "山形県山形市" not in form

    def test_helpers_are_for_staff(self, client, db):
        response = client.get(reverse("web:jsic_suggest"), {"jsic_code": "25"})
        assert response.status_code == 302
