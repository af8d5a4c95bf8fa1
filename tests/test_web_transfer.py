"""Company import (確認（ドライラン） → 取り込む, all-or-nothing, size limit before reading) and export pages."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from renkei.companies.models import Company
from renkei.network.choices import StaffRole

from .factories import CompanyFactory

NUMBER_A = "7000012050002"
NUMBER_B = "3000012010001"
HEADER = "企業名,よみがな,法人番号,産業分類コード,資本金,従業員数,市区町村コード\n"


@pytest.fixture(autouse=True)
def isolated_uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    return settings.MEDIA_ROOT


def html(response) -> str:
    return response.content.decode("utf-8")


def upload(text: str, name: str = "companies.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


GOOD_CSV = (
    HEADER
    + f"株式会社一番製作所,いちばんせいさくしょ,{NUMBER_A},2511,10000000,45,121011\n"
    + f"二番工業株式会社,にばんこうぎょう,{NUMBER_B},2431,5000000,12,121011\n"
)
BAD_CSV = (
    HEADER
    + f"株式会社一番製作所,いちばんせいさくしょ,{NUMBER_A},2511,10000000,45,121011\n"
    + "法人番号の誤った会社,,1000012050002,2511,1000,3,121011\n"
    + ",よみだけ,,25,,,\n"
)


@pytest.fixture
def member(make_staff):
    return make_staff("chiba_lab", StaffRole.MEMBER)


@pytest.fixture
def lab_id(orgs) -> int:
    return orgs["chiba_lab"].pk


class TestImport:
    def test_page_has_file_input_and_both_steps(self, client, member):
        client.force_login(member)
        text = html(client.get(reverse("web:company_import")))
        assert 'type="file"' in text and 'enctype="multipart/form-data"' in text
        assert "確認（ドライラン）" in text
        assert "20 MB" in text

    def test_dry_run_lists_every_bad_row_and_writes_nothing(self, client, member, lab_id):
        client.force_login(member)
        response = client.post(
            reverse("web:company_import"),
            {"file": upload(BAD_CSV), "owner_organization": lab_id, "action": "check"},
        )
        assert response.status_code == 422
        text = html(response)
        rows = re.findall(
            r'<td data-label="行" class="num">(\d+)</td><td data-label="列">([^<]*)</td><td data-label="理由">([^<]*)</td>',
            text,
        )
        assert ("3", "法人番号") in {(r, c) for r, c, _ in rows}
        assert any(r == "3" and "チェックデジット" in m for r, _, m in rows)
        assert any(r == "4" and c == "企業名" and "企業名を入力" in m for r, c, m in rows)
        assert any(r == "4" and c == "産業分類コード" and "中分類" in m for r, c, m in rows)
        assert "2" not in {r for r, _, _ in rows}  # the good row is not reported
        assert "取り込む</button>" not in text.split('class="form"')[0]  # no confirm step for a bad file
        assert not Company.objects.exists()

    def test_dry_run_then_confirm_imports_all(self, client, member, lab_id, isolated_uploads):
        client.force_login(member)
        response = client.post(
            reverse("web:company_import"),
            {"file": upload(GOOD_CSV), "owner_organization": lab_id, "action": "check"},
        )
        assert response.status_code == 200
        text = html(response)
        assert "全 2 行を確認しました。問題はありません" in text
        assert not Company.objects.exists()  # a dry run writes nothing
        token = re.search(r'name="token" value="([^"]+)"', text).group(1)
        assert len(list(Path(isolated_uploads, "imports").iterdir())) == 1
        response = client.post(
            reverse("web:company_import"), {"token": token, "action": "import"}, follow=True
        )
        assert "companies.csv から 2 件の企業を登録しました" in html(response)
        assert set(Company.objects.values_list("name", flat=True)) == {
            "株式会社一番製作所",
            "二番工業株式会社",
        }
        assert set(Company.objects.values_list("owner_organization_id", flat=True)) == {lab_id}
        assert list(Path(isolated_uploads, "imports").iterdir()) == []  # the checked file is gone
        # the token is used up
        response = client.post(reverse("web:company_import"), {"token": token, "action": "import"})
        assert "確認済みのファイルが見つかりません" in html(response)
        assert Company.objects.count() == 2

    def test_cancel_after_dry_run_forgets_the_file(self, client, member, lab_id, isolated_uploads):
        client.force_login(member)
        text = html(
            client.post(
                reverse("web:company_import"),
                {"file": upload(GOOD_CSV), "owner_organization": lab_id, "action": "check"},
            )
        )
        token = re.search(r'name="token" value="([^"]+)"', text).group(1)
        response = client.post(
            reverse("web:company_import"), {"token": token, "action": "cancel"}, follow=True
        )
        assert "取り込みを取りやめました" in html(response)
        assert list(Path(isolated_uploads, "imports").iterdir()) == []
        assert not Company.objects.exists()

    def test_direct_import_is_all_or_nothing(self, client, member, lab_id):
        client.force_login(member)
        response = client.post(
            reverse("web:company_import"),
            {"file": upload(BAD_CSV), "owner_organization": lab_id, "action": "import"},
        )
        assert response.status_code == 422
        text = html(response)
        assert "企業は1件も登録されていません" in text
        assert not Company.objects.exists()  # the good first row was not written either

    def test_duplicate_of_an_existing_company_is_a_row_error(self, client, member, orgs, lab_id):
        CompanyFactory(owner_organization=orgs["chiba_pref"], corporate_number=NUMBER_B)
        client.force_login(member)
        response = client.post(
            reverse("web:company_import"),
            {"file": upload(GOOD_CSV), "owner_organization": lab_id, "action": "import"},
        )
        assert "すでにこの地域（千葉県）で登録されています" in html(response)
        assert Company.objects.count() == 1

    def test_owner_must_be_a_writable_organization(self, client, member, orgs):
        client.force_login(member)
        response = client.post(
            reverse("web:company_import"),
            {"file": upload(GOOD_CSV), "owner_organization": orgs["chiba_bank_a"].pk, "action": "import"},
        )
        assert response.status_code == 422
        assert 'id="id_owner_organization-error"' in html(response)
        assert not Company.objects.exists()

    def test_wrong_file_type(self, client, member, lab_id):
        client.force_login(member)
        response = client.post(
            reverse("web:company_import"),
            {"file": upload("hello", name="companies.pdf"), "owner_organization": lab_id, "action": "check"},
        )
        assert response.status_code == 422
        assert "CSV（.csv）か Excel（.xlsx）" in html(response)

    def test_oversized_upload_is_refused_before_the_body_is_read(self, client, member, lab_id, settings):
        settings.RENKEI_IMPORT_MAX_BYTES = 1024
        client.force_login(member)
        big = HEADER + "株式会社大きい,,,,,,\n" * 5000  # ~100 KB: past the limit plus the form's slack
        response = client.post(
            reverse("web:company_import"),
            {"file": upload(big), "owner_organization": lab_id, "action": "import"},
        )
        assert response.status_code == 422
        text = html(response)
        assert "ファイルが大きすぎます（上限 1 KB）" in text
        assert not Company.objects.exists()

    def test_oversized_file_is_stopped_while_streaming(self, client, member, lab_id, settings):
        settings.RENKEI_IMPORT_MAX_BYTES = 1024
        client.force_login(member)
        medium = HEADER + "株式会社ちょっと大きい,,,,,,\n" * 200  # ~7 KB: within the slack, over the limit
        response = client.post(
            reverse("web:company_import"),
            {"file": upload(medium), "owner_organization": lab_id, "action": "import"},
        )
        assert response.status_code == 422
        assert "ファイルが大きすぎます（上限 1 KB）" in html(response)
        assert not Company.objects.exists()

    def test_viewer_cannot_import(self, client, make_staff):
        client.force_login(make_staff("chiba_lab", StaffRole.VIEWER))
        response = client.get(reverse("web:company_import"))
        assert response.status_code == 403
        assert "企業を取り込めるのは" in html(response)


class TestExport:
    @pytest.fixture
    def visible(self, orgs, yamagata):
        CompanyFactory(owner_organization=orgs["chiba_lab"], name="見える株式会社", corporate_number=NUMBER_A)
        CompanyFactory(owner_organization=orgs["yamagata_center"], name="見えない株式会社")

    def test_csv_has_bom_japanese_headers_and_only_visible_rows(self, client, member, visible):
        client.force_login(member)
        response = client.get(reverse("web:company_export_csv"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert re.fullmatch(r'attachment; filename="companies-\d{8}\.csv"', response["Content-Disposition"])
        assert response.content.startswith(b"\xef\xbb\xbf")
        assert not response.content.startswith(b"\xef\xbb\xbf\xef\xbb\xbf")
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0][:3] == ["法人番号", "企業名", "企業名よみがな"]
        names = [row[1] for row in rows[1:]]
        assert names == ["見える株式会社"]

    def test_xlsx_opens_with_the_same_rows(self, client, member, visible):
        client.force_login(member)
        response = client.get(reverse("web:company_export_xlsx"))
        assert response.status_code == 200
        assert "spreadsheetml" in response["Content-Type"]
        book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
        rows = list(book.worksheets[0].iter_rows(values_only=True))
        assert rows[0][1] == "企業名"
        assert [r[1] for r in rows[1:]] == ["見える株式会社"]

    def test_export_needs_login(self, client, db):
        assert client.get(reverse("web:company_export_csv")).status_code == 302


def test_import_post_without_csrf_token_is_refused(member, lab_id):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(
        reverse("web:company_import"),
        {"file": upload(GOOD_CSV), "owner_organization": lab_id, "action": "import"},
    )
    assert response.status_code == 403
    assert not Company.objects.exists()
