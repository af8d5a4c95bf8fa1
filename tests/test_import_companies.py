"""Importing companies from CSV (UTF-8, UTF-8 with BOM, Shift_JIS) and .xlsx: good files, and every bad one."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import override_settings
from stdnum.jp import cn

from renkei import cli
from renkei.companies.choices import SizeClass
from renkei.companies.importing import CompanyBatchWriter, import_companies
from renkei.companies.models import Company
from renkei.companies.services import company_create, validator
from renkei.network.choices import StaffRole

from .factories import CompanyFactory

HEADER = [
    "法人番号", "企業名", "企業名よみがな", "産業分類コード", "資本金", "従業員数", "設立年月日",
    "郵便番号", "市区町村コード", "住所", "電話番号", "URL", "技術・強み", "主な製品", "認証・認定",
    "地域内共有の同意", "地域外共有の同意",
]  # fmt: skip


def number(base: str) -> str:
    """A valid 法人番号 for 12 digits."""
    return cn.calc_check_digit(base) + base


N1, N2, N3 = number("700110005901"), number("401000103051"), number("123456789012")
GOOD_ROWS = [
    [N1, "株式会社千葉精密", "ちばせいみつ", "2511", "10,000,000", "25", "1985-04-01", "260-8667",
     "121002", "中央区市場町1-1", "043-223-2711", "https://example.jp/", "精密切削、微細加工",
     "医療機器部品", "ISO 9001", "はい", "いいえ"],
    [N2, "房総フーズ有限会社", "ボウソウフーズ", "0111", "3000000", "8", "令和2年4月1日", "",
     "", "", "", "", "米の生産", "", "", "はい", "はい"],
    ["", "個人事業 ＡＢＣ工房", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""],
]  # fmt: skip


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    """What Excel writes: CRLF rows, quoted cells where needed (LF inside a cell)."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list], header: list[str] = HEADER, title_rows: int = 0) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for _ in range(title_rows):
        ws.append(["企業一覧（令和6年度）"])
    ws.append(header)
    for r in rows:
        ws.append(r)
    ws.append([])  # empty trailing rows are ignored
    ws.append([None, None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def writer(make_staff):
    return make_staff("chiba_lab", StaffRole.COORDINATOR)


def run(tmp_path, data: bytes, actor, name: str = "companies.csv", **kwargs):
    path = tmp_path / name
    path.write_bytes(data)
    return import_companies(path, actor=actor, **kwargs)


def assert_nothing_written():
    assert Company.objects.count() == 0


# ---- good files ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_good_csv_imports_in_every_encoding(tmp_path, writer, orgs, encoding):
    result = run(tmp_path, csv_bytes(GOOD_ROWS, encoding=encoding), writer)
    assert result.ok, result.report_lines()
    assert (result.created, result.total_rows) == (3, 3)
    assert ("Shift_JIS" in result.source_format) == (encoding == "cp932")
    first = Company.objects.get(corporate_number=N1)
    assert first.name == "株式会社千葉精密"
    assert first.owner_organization == orgs["chiba_lab"]
    assert first.region == orgs["chiba_lab"].region
    assert first.jsic_id == "2511"
    assert (first.capital, first.employees) == (10_000_000, 25)
    assert first.founded_on == dt.date(1985, 4, 1)
    assert (first.postal_code, first.municipality_id) == ("260-8667", "121002")
    assert first.consent_share_region and not first.consent_share_outside
    assert first.consent_recorded_on is not None
    assert first.size_class == SizeClass.SME  # computed exactly as company_create does
    assert first.created_by == writer
    second = Company.objects.get(corporate_number=N2)
    assert second.founded_on == dt.date(2020, 4, 1)
    assert second.size_class == SizeClass.SMALL
    third = Company.objects.get(corporate_number__isnull=True)
    assert third.name == "個人事業 ABC工房"  # NFKC: full-width ASCII became half-width
    assert third.size_class == SizeClass.UNKNOWN
    assert result.report_lines() == ["3 件の企業を登録しました（全 3 行）。"]


def test_good_xlsx_imports_with_excel_numbers_and_dates(tmp_path, writer):
    rows = [
        # 法人番号 / codes typed as numbers lose their leading zeros in Excel; dates are real dates.
        [int(N1), "株式会社千葉精密", "ちばせいみつ", 111, 10_000_000, 25, dt.datetime(1985, 4, 1),
         2608667, 121002, "中央区市場町1-1", 432232711, None, "精密加工", None, None, True, False],
        [N2, "房総フーズ有限会社", None, "0111", 3000000.0, 8, "2020/4/1"],
    ]  # fmt: skip
    result = run(tmp_path, xlsx_bytes(rows, title_rows=1), writer, name="一覧.xlsx")
    assert result.ok, result.report_lines()
    assert result.created == 2
    assert result.source_format == "Excel（.xlsx）"
    first = Company.objects.get(corporate_number=N1)
    assert first.jsic_id == "0111"
    assert first.postal_code == "260-8667"
    assert first.phone == "0432232711"
    assert first.founded_on == dt.date(1985, 4, 1)
    assert first.consent_share_region is True
    assert Company.objects.get(corporate_number=N2).capital == 3_000_000


def test_xlsx_row_numbers_count_title_rows(tmp_path, writer):
    rows = [[N1, "A社"], [N2, "B社", None, None, None, -1]]
    result = run(tmp_path, xlsx_bytes(rows, title_rows=2), writer, name="x.xlsx")
    assert [(e.row, e.column) for e in result.errors] == [(5, "従業員数")]
    assert_nothing_written()


def test_header_aliases_units_and_unknown_columns(tmp_path, writer):
    header = ["会社名", "フリガナ", "業種コード", "資本金（千円）", "【必須】従業員数", "備考"]
    rows = [["株式会社テスト", "テスト", "2511", "1,500", "10", "メモ"]]
    result = run(tmp_path, csv_bytes(rows, header=header), writer)
    assert result.ok, result.report_lines()
    company = Company.objects.get()
    assert (company.kana, company.jsic_id, company.capital, company.employees) == (
        "テスト",
        "2511",
        1_500_000,
        10,
    )
    assert any("備考" in w for w in result.warnings)
    assert any(line.startswith("注意: ") and "備考" in line for line in result.report_lines())


def test_stream_sources_with_filename(writer):
    upload = SimpleUploadedFile("from-browser.csv", csv_bytes(GOOD_ROWS[:1], encoding="cp932"))
    upload.read(10)  # a form looked at it first: the import still reads it from the start
    result = import_companies(upload, actor=writer, filename=upload.name)
    assert result.ok and result.created == 1
    xlsx = io.BytesIO(xlsx_bytes([[N2, "B社"]]))
    result = import_companies(xlsx, actor=writer, filename="b.xlsx")
    assert result.ok and result.created == 1


def test_html_and_script_in_a_name_are_stored_as_text(tmp_path, writer):
    name = '<script>alert("x")</script><b>株式会社</b>'
    result = run(tmp_path, csv_bytes([["", name]], header=["法人番号", "企業名"]), writer)
    assert result.ok
    assert Company.objects.get().name == name


def test_multiline_cells_keep_row_numbers(tmp_path, writer):
    rows = [["", "A社", "", "", "", "", "", "", "", "", "", "", "切削\n研削\n研磨"], ["", "B社", "", "9998"]]
    result = run(tmp_path, csv_bytes(rows), writer)
    assert [(e.row, e.column) for e in result.errors] == [(3, "産業分類コード")]
    assert_nothing_written()


# ---- dry run -------------------------------------------------------------------------------------------------


def test_dry_run_writes_nothing_and_reports_every_bad_row(tmp_path, writer):
    rows = [
        GOOD_ROWS[0],
        ["", "B社", "", "", "", "-3"],
        ["", "", "", "12"],
        ["", "D社", "", "", "", "", "2999-01-01"],
    ]
    result = run(tmp_path, csv_bytes(rows, header=HEADER[:7]), writer, dry_run=True)
    assert result.dry_run and not result.ok
    assert result.error_rows == [3, 4, 5]
    lines = result.report_lines()
    assert lines[0] == "3行目 従業員数: 従業員数は0以上で入力してください。"
    assert lines[1].startswith("4行目 企業名: 企業名を入力してください。 / 産業分類コード: ")
    assert "中分類" in lines[1]
    assert lines[2].startswith("5行目 設立年月日: ")
    assert lines[-1] == "検証のみ: 全 4 行のうち 3 行に誤りがあります（何も書き込んでいません）。"
    assert_nothing_written()


def test_dry_run_of_a_good_file_writes_nothing(tmp_path, writer):
    result = run(tmp_path, csv_bytes(GOOD_ROWS), writer, dry_run=True)
    assert result.ok and result.created == 0 and result.total_rows == 3
    assert result.report_lines() == ["検証のみ: 全 3 行を登録できます（何も書き込んでいません）。"]
    assert_nothing_written()


# ---- bad rows: the specific error, nothing written ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (N1[0] + str((int(N1[1]) + 1) % 10) + N1[2:], "チェックデジット"),  # one digit changed
        (N1[1:], "12 桁"),
        ("12345678901AB", "数字以外"),
    ],
    ids=["check-digit", "12-digits", "letters"],
)
def test_bad_corporate_numbers(tmp_path, writer, value, expected):
    result = run(tmp_path, csv_bytes([GOOD_ROWS[2], [value, "悪い番号の会社"]]), writer)
    assert not result.ok
    [error] = result.errors
    assert (error.row, error.column) == (3, "法人番号")
    assert expected in error.message
    assert "何も登録していません" in result.report_lines()[-1]
    assert_nothing_written()


def test_unknown_jsic_code(tmp_path, writer):
    result = run(tmp_path, csv_bytes([["", "A社", "", "2598"]]), writer)
    [error] = result.errors
    assert (error.row, error.column) == (2, "産業分類コード")
    assert "「2598」は日本標準産業分類（第14回改定）にありません" in error.message
    assert_nothing_written()


def test_negative_employees(tmp_path, writer):
    result = run(tmp_path, csv_bytes([GOOD_ROWS[0], ["", "A社", "", "", "", "－5"]]), writer)
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (3, "従業員数", "従業員数は0以上で入力してください。")
    ]
    assert_nothing_written()


def test_duplicate_corporate_numbers_in_file_and_in_region(tmp_path, writer, orgs):
    CompanyFactory(owner_organization=orgs["chiba_pref"], corporate_number=N2)
    CompanyFactory(owner_organization=orgs["yamagata_pref"], corporate_number=N3)  # another region: fine
    rows = [[N1, "A社"], [N1, "A社（重複）"], [N2, "B社"], [N3, "C社"]]
    result = run(tmp_path, csv_bytes(rows, header=["法人番号", "企業名"]), writer)
    assert [(e.row, e.column) for e in result.errors] == [(3, "法人番号"), (4, "法人番号")]
    assert "2行目と重複" in result.errors[0].message
    assert "すでにこの地域（千葉県）で登録されています" in result.errors[1].message
    assert Company.objects.count() == 2  # only the two made above


# ---- bad files -----------------------------------------------------------------------------------------------


def test_xlsx_without_the_name_column(tmp_path, writer):
    result = run(tmp_path, xlsx_bytes([[N1, "ちば"]], header=["法人番号", "よみがな"]), writer, name="a.xlsx")
    [error] = result.errors
    assert error.row == 0
    assert "必須の列「企業名」がありません" in error.message
    assert result.report_lines()[0].startswith("ファイル: 必須の列「企業名」がありません")
    assert result.report_lines()[-1] == "取り込みを中止しました。何も登録していません。"
    assert_nothing_written()


def test_cp932_file_with_one_broken_row(tmp_path, writer):
    good = csv_bytes([GOOD_ROWS[0], ["", "壊れた行の会社"], ["", "三番目の会社"]], encoding="cp932")
    lines = good.split(b"\r\n")
    lines[2] = lines[2].replace("壊れた".encode("cp932"), b"\x85\x40\x82")  # undecodable in CP932
    result = run(tmp_path, b"\r\n".join(lines), writer)
    [error] = result.errors
    assert error.row == 3
    assert "Shift_JIS（CP932）として読めない文字" in error.message
    assert result.report_lines()[0].startswith("3行目 Shift_JIS（CP932）として読めない文字")
    assert_nothing_written()


def test_utf8_file_with_one_broken_row(tmp_path, writer):
    data = csv_bytes(
        [["", "正しい会社"], ["", "壊れた会社"], ["", "別の会社"]], header=["法人番号", "企業名"]
    )
    data = data.replace("壊れた".encode(), "壊れた".encode()[:-1])
    result = run(tmp_path, data, writer)
    assert [(e.row, e.column) for e in result.errors] == [(3, "")]
    assert "UTF-8" in result.errors[0].message
    assert_nothing_written()


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20,
        "法人番号,企業名\r\n,株式会社テスト\r\n,かなカナ漢字の会社\r\n".encode("euc_jp"),
        "法人番号,企業名\r\n,株式会社テスト\r\n".encode("utf-16-le"),
    ],
    ids=["binary", "euc-jp", "utf-16-without-bom"],
)
def test_file_in_neither_utf8_nor_cp932(tmp_path, writer, data):
    result = run(tmp_path, data, writer)
    [error] = result.errors
    assert error.row == 0
    assert "UTF-8" in error.message and "Shift_JIS" in error.message
    assert_nothing_written()


def test_50mb_file_is_refused_before_reading(tmp_path, writer):
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: instant, and never read
    result = import_companies(path, actor=writer)
    [error] = result.errors
    assert "ファイルが大きすぎます（50 MB）" in error.message
    assert "20 MB まで" in error.message
    assert_nothing_written()


@override_settings(RENKEI_IMPORT_MAX_BYTES=1000)
def test_large_stream_is_refused(writer):
    result = import_companies(io.BytesIO(csv_bytes(GOOD_ROWS * 20)), actor=writer, filename="a.csv")
    assert "取り込めるのは" in result.errors[0].message
    upload = SimpleUploadedFile("a.csv", csv_bytes(GOOD_ROWS * 20))
    assert "ファイルが大きすぎます" in import_companies(upload, actor=writer).errors[0].message
    assert_nothing_written()


@pytest.mark.parametrize(
    "data",
    [
        csv_bytes(GOOD_ROWS),  # a CSV renamed .xlsx
        b"PK\x03\x04" + b"\x00" * 200,  # looks like a zip, is not
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 200,  # an old .xls / encrypted workbook
    ],
    ids=["csv", "fake-zip", "ole"],
)
def test_not_an_xlsx(tmp_path, writer, data):
    result = run(tmp_path, data, writer, name="companies.xlsx")
    [error] = result.errors
    assert error.row == 0 and "Excel" in error.message and ".xlsx" in error.message
    assert_nothing_written()


def test_a_zip_that_is_not_a_workbook(tmp_path, writer):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w/>")
    result = run(tmp_path, buf.getvalue(), writer, name="companies.xlsx")
    assert "Excel（.xlsx）ファイルとして読み込めません" in result.errors[0].message


def test_header_only_and_empty_files(tmp_path, writer):
    assert "データの行がありません" in run(tmp_path, csv_bytes([]), writer).errors[0].message
    assert "空です" in run(tmp_path, b"", writer).errors[0].message


def test_unclosed_quote(tmp_path, writer):
    data = csv_bytes([["", "A社"]], header=["法人番号", "企業名"]) + b',"B\xe7\xa4\xbe\r\n' + b"x" * 200_000
    result = run(tmp_path, data, writer)
    assert "CSV の形式が正しくありません" in result.errors[0].message
    assert_nothing_written()


def test_two_columns_for_the_same_field(tmp_path, writer):
    result = run(
        tmp_path, csv_bytes([["A社", "ア", "イ"]], header=["企業名", "よみがな", "フリガナ"]), writer
    )
    assert "列が2つあります" in result.errors[0].message
    assert_nothing_written()


# ---- permission ----------------------------------------------------------------------------------------------


def test_viewer_and_outsider_cannot_import(tmp_path, make_staff, orgs, db):
    viewer = make_staff("chiba_lab", StaffRole.VIEWER)
    result = run(tmp_path, csv_bytes(GOOD_ROWS), viewer)
    assert result.errors[0].column == "登録機関"
    assert "事務局・コーディネーター・担当者" in result.errors[0].message
    writer = make_staff("chiba_lab", StaffRole.MEMBER)
    result = run(tmp_path, csv_bytes(GOOD_ROWS), writer, owner_organization_id=orgs["yamagata_pref"].pk)
    assert "所属していない機関" in result.errors[0].message
    assert_nothing_written()


def test_superuser_names_the_owner(tmp_path, superuser, orgs):
    result = run(tmp_path, csv_bytes(GOOD_ROWS), superuser)
    assert result.errors[0].column == "登録機関"
    assert_nothing_written()
    result = run(tmp_path, csv_bytes(GOOD_ROWS), superuser, owner_organization_id=orgs["yamagata_center"].pk)
    assert result.ok
    assert set(Company.objects.values_list("region__slug", flat=True)) == {"yamagata"}


# ---- the command ---------------------------------------------------------------------------------------------


def test_renkei_import_command(tmp_path, writer, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes([["", "A社", "", "", "", "-1"]]))
    assert cli.main(["import", "companies", str(bad), "--dry-run", "--as-user", writer.username]) == 1
    out = capsys.readouterr().out
    assert "2行目 従業員数: 従業員数は0以上で入力してください。" in out
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(GOOD_ROWS, encoding="cp932"))
    assert cli.main(["import", "companies", str(good), "--as-user", writer.username]) == 0
    assert "3 件の企業を登録しました" in capsys.readouterr().out
    assert Company.objects.count() == 3


# ---- the batch insert ----------------------------------------------------------------------------------------


def test_batch_writer_writes_what_company_create_writes(writer, orgs):
    """Same derived fields and defaults as the service; a duplicate in the insert is Django's IntegrityError."""
    data = {"corporate_number": N1, "name": "A社", "jsic_code": "2511", "capital": "10000000", "employees": "25",
            "consent_share_region": "はい"}  # fmt: skip
    by_service = company_create(actor=writer, data=data)
    batch = CompanyBatchWriter(owner=orgs["chiba_lab"], actor=writer)
    with transaction.atomic():
        batch.insert([batch.row(batch.build(validator().clean({**data, "corporate_number": N2}).values))])
    by_import = Company.objects.get(corporate_number=N2)
    fields = ["name", "jsic_id", "capital", "employees", "size_class", "sector", "size_reason", "region_id",
              "owner_organization_id", "created_by_id", "consent_share_region", "consent_recorded_on",
              "is_fictitious", "kana", "postal_code", "url"]  # fmt: skip
    assert [getattr(by_import, f) for f in fields] == [getattr(by_service, f) for f in fields]
    assert by_import.created_at is not None and by_import.updated_at is not None
    duplicate = batch.row(batch.build(validator().clean(data).values))
    with pytest.raises(IntegrityError), transaction.atomic():
        batch.insert([duplicate])
    assert Company.objects.count() == 2
