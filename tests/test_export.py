"""Exports: only what visible_to allows, Excel-friendly CSV and .xlsx, and a round trip back through the import."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest
from stdnum.jp import cn

from renkei import cli
from renkei.companies.exporting import export_companies
from renkei.companies.importing import import_companies
from renkei.companies.models import Company
from renkei.companies.services import company_create
from renkei.core.errors import PermissionDenied
from renkei.core.tabular import TabularError
from renkei.network.choices import StaffRole
from renkei.network.exporting import export_organizations
from renkei.network.importing import import_organizations
from renkei.network.models import Organization

from .factories import CompanyFactory, UserFactory

FIELDS = [
    "corporate_number", "name", "kana", "jsic_id", "capital", "employees", "founded_on", "postal_code",
    "municipality_id", "address", "phone", "url", "technologies", "products", "certifications",
    "consent_share_region", "consent_share_outside", "size_class", "sector",
]  # fmt: skip


def snapshot() -> list[tuple]:
    return sorted(Company.objects.values_list(*FIELDS), key=lambda r: r[1])


@pytest.fixture
def network(orgs, make_staff):
    """Companies of four bodies; the coordinator of chiba_lab sees its own and those shared in Chiba."""
    users = {
        "lab": make_staff("chiba_lab", StaffRole.COORDINATOR),
        "bank_b": make_staff("chiba_bank_b", StaffRole.MEMBER),
    }
    CompanyFactory(owner_organization=orgs["chiba_lab"], name="研究所の顧客", consent_share_region=False)
    CompanyFactory(owner_organization=orgs["chiba_pref"], name="県の共有企業", consent_share_region=True)
    CompanyFactory(owner_organization=orgs["chiba_pref"], name="県の非共有企業", consent_share_region=False)
    CompanyFactory(owner_organization=orgs["chiba_bank_b"], name="銀行Bの顧客", consent_share_region=False)
    CompanyFactory(owner_organization=orgs["yamagata_center"], name="山形の企業", consent_share_region=True)
    return users


def csv_names(text: str) -> set[str]:
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    return {r["企業名"] for r in rows}


def test_export_respects_visibility(network, superuser):
    out = io.StringIO()
    assert export_companies(actor=network["lab"], stream=out) == 2
    assert csv_names(out.getvalue()) == {"研究所の顧客", "県の共有企業"}
    out = io.StringIO()
    assert export_companies(actor=network["bank_b"], stream=out) == 1
    assert csv_names(out.getvalue()) == {"銀行Bの顧客"}  # a bank sees only its own customers
    out = io.StringIO()
    assert export_companies(actor=UserFactory(username="nobody"), stream=out) == 0
    assert out.getvalue().lstrip("\ufeff").startswith("法人番号,企業名,")
    buf = io.BytesIO()
    assert export_companies(actor=superuser, stream=buf, fmt="xlsx") == 5


@pytest.fixture
def rich(orgs, make_staff):
    """One company with every field filled in, made through the service."""
    user = make_staff("chiba_lab", StaffRole.COORDINATOR)
    company_create(
        actor=user,
        data={
            "corporate_number": cn.calc_check_digit("700110005901") + "700110005901",
            "name": '=HYPERLINK("http://evil.example")株式会社',
            "kana": "てすと",
            "jsic_code": "0111",
            "capital": "10000000",
            "employees": "25",
            "founded_on": "1985-04-01",
            "postal_code": "2608667",
            "municipality_code": "121002",
            "address": "中央区市場町1-1",
            "phone": "+81-43-223-2711",
            "url": "https://example.jp/",
            "technologies": "精密切削\n微細加工〜0.01mm",
            "products": "医療機器部品",
            "certifications": "ISO 9001",
            "consent_share_region": "はい",
            "consent_share_outside": "いいえ",
        },
    )
    company_create(actor=user, data={"name": "𠮷田製作所"})
    return user


def test_csv_round_trip(tmp_path, rich):
    path = tmp_path / "companies.csv"
    assert export_companies(actor=rich, path=path) == 2
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    text = data.decode("utf-8-sig")
    assert "'=HYPERLINK" in text  # shown as text by a spreadsheet, not run
    assert "1985-04-01" in text and "はい" in text and "0111" in text
    before = snapshot()
    Company.objects.all().delete()
    result = import_companies(path, actor=rich)
    assert result.ok, result.report_lines()
    assert result.warnings == []  # the export-only columns are known
    assert snapshot() == before


def test_xlsx_round_trip_and_format(tmp_path, rich):
    path = tmp_path / "companies.xlsx"
    assert export_companies(actor=rich, path=path) == 2
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    assert ws.freeze_panes == "A2"
    assert ws["A1"].value == "法人番号" and ws["A1"].font.b
    row = next(r for r in ws.iter_rows(min_row=2) if r[1].value.startswith("="))
    by_header = {ws.cell(1, c.column).value: c for c in row}
    assert by_header["企業名"].data_type == "s"  # text, not a formula
    assert by_header["設立年月日"].value == dt.datetime(1985, 4, 1)
    assert by_header["設立年月日"].is_date
    assert by_header["産業分類コード"].value == "0111"
    assert by_header["郵便番号"].value == "260-8667"
    assert by_header["資本金"].value == 10_000_000
    assert by_header["地域内共有の同意"].value == "はい"
    assert by_header["企業規模"].value == "中小企業者"
    before = snapshot()
    Company.objects.all().delete()
    result = import_companies(path, actor=rich)
    assert result.ok, result.report_lines()
    assert snapshot() == before


def test_cp932_export_replaces_what_it_cannot_encode(tmp_path, rich):
    warnings: list[str] = []
    path = tmp_path / "sjis.csv"
    assert export_companies(actor=rich, path=path, encoding="cp932", warn=warnings.append) == 2
    text = path.read_bytes().decode("cp932")
    assert "?田製作所" in text
    assert "微細加工～0.01mm" in text  # WAVE DASH becomes CP932's FULLWIDTH TILDE, not '?'
    [message] = warnings
    assert "1 個" in message and "𠮷" in message
    buf = io.BytesIO()
    export_companies(actor=rich, stream=buf, encoding="cp932", warn=warnings.append)
    assert buf.getvalue().decode("cp932") == text


def test_export_command(tmp_path, rich, capsys):
    out = tmp_path / "out.csv"
    assert (
        cli.main(["export", "companies", "-o", str(out), "--encoding", "cp932", "--as-user", rich.username])
        == 0
    )
    err = capsys.readouterr().err
    assert "2 件を" in err and "警告: Shift_JIS（CP932）で表せない文字 1 個" in err
    assert "𠮷" not in out.read_bytes().decode("cp932")


def test_bad_format_and_encoding(tmp_path, rich):
    with pytest.raises(TabularError, match="pdf"):
        export_companies(actor=rich, path=tmp_path / "x.pdf")
    with pytest.raises(TabularError, match="euc"):
        export_companies(actor=rich, stream=io.StringIO(), encoding="euc-jp")


def test_organizations_round_trip(tmp_path, make_staff, superuser, orgs):
    secretariat = make_staff("yamagata_pref", StaffRole.SECRETARIAT)
    rows = (
        "名称,略称,種別,上位機関,郵便番号,URL,連携支援計画の構成機関\r\n"
        "テスト財団,財団,支援機関,,990-8580,https://example.jp/,はい\r\n"
        "テスト財団 研究室,,支援機関,テスト財団,,,いいえ\r\n"
    )
    source = tmp_path / "orgs.csv"
    source.write_text(rows, encoding="utf-8")
    assert import_organizations(source, actor=secretariat).ok
    path = tmp_path / "orgs.xlsx"
    count = Organization.objects.count()
    assert export_organizations(actor=secretariat, path=path) == count
    ws = openpyxl.load_workbook(path).active
    assert ws.freeze_panes == "A2" and ws["A1"].font.b
    kinds = {r[0]: r[3] for r in ws.iter_rows(min_row=2, values_only=True)}
    assert kinds["テスト銀行A"] == "金" and kinds["テスト財団"] == "支援機関"

    def state():
        return sorted(
            Organization.objects.filter(name__startswith="テスト財団").values_list(
                "name",
                "short_name",
                "kind",
                "parent__name",
                "region__slug",
                "postal_code",
                "url",
                "is_plan_member",
            )
        )

    before = state()
    Organization.objects.filter(name="テスト財団 研究室").delete()
    Organization.objects.filter(name="テスト財団").delete()
    # Re-import the whole export as a superuser: the bodies still registered are reported, nothing is written.
    result = import_organizations(path, actor=superuser, dry_run=True)
    assert {e.row for e in result.errors} and all("すでに" in e.message for e in result.errors)
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    for row in range(ws.max_row, 1, -1):
        if not str(ws.cell(row, 1).value).startswith("テスト財団"):
            ws.delete_rows(row)
    wb.save(path)
    result = import_organizations(path, actor=superuser)
    assert result.ok, result.report_lines()
    assert state() == before


def test_organization_export_is_for_staff(db):
    with pytest.raises(PermissionDenied):
        export_organizations(actor=UserFactory(username="outsider"), stream=io.StringIO())
