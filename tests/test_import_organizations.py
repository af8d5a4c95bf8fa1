"""Importing organizations: the secretariat of a region registers its bodies, parents anywhere in the file."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest

from renkei.network.choices import OrganizationKind, StaffRole
from renkei.network.importing import import_organizations
from renkei.network.models import Organization

HEADER = [
    "名称",
    "よみがな",
    "種別",
    "上位機関",
    "地域",
    "郵便番号",
    "住所",
    "代表者役職",
    "代表者氏名",
    "URL",
]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([header, *rows])
    return out.getvalue().encode(encoding)


def run(tmp_path, data: bytes, actor, name: str = "orgs.csv", **kwargs):
    path = tmp_path / name
    path.write_bytes(data)
    return import_organizations(path, actor=actor, **kwargs)


@pytest.fixture
def secretariat(make_staff):
    return make_staff("chiba_pref", StaffRole.SECRETARIAT)


ROWS = [
    # the child comes before its parent: order in the file does not matter
    ["ものづくり支援室", "ものづくりしえんしつ", "支援", "千葉県産業振興センター", "千葉県", "260-0026",
     "千葉市中央区中央港1-10-1", "室長", "山田 太郎", "https://example.jp/monozukuri"],
    ["千葉県産業振興センター", "ちばけんさんぎょうしんこうせんたー", "支援機関", "", "chiba", "2600026",
     "千葉市中央区中央港1-10-1", "理事長", "佐藤 花子", "https://example.jp/"],
    ["千葉工業テスト大学", "", "学", "", "千葉", "", "", "", "", ""],
    ["テスト信用金庫", "", "金", "", "12", "", "", "", "", ""],
    ["県内の研究所", "", "官", "千葉県 産業振興課", "", "", "", "", "", ""],  # parent already registered
]  # fmt: skip


def test_secretariat_imports_a_tree_of_bodies(tmp_path, secretariat, orgs, chiba):
    result = run(tmp_path, csv_bytes(ROWS), secretariat)
    assert result.ok, result.report_lines()
    assert (result.created, result.total_rows) == (5, 5)
    assert result.report_lines() == ["5 件の機関を登録しました（全 5 行）。"]
    center = Organization.objects.get(name="千葉県産業振興センター")
    child = Organization.objects.get(name="ものづくり支援室")
    assert child.parent == center
    assert center.kind == OrganizationKind.SUPPORT and center.region == chiba
    assert (center.postal_code, center.representative_title, center.representative_name) == (
        "260-0026",
        "理事長",
        "佐藤 花子",
    )
    assert Organization.objects.get(name="千葉工業テスト大学").kind == OrganizationKind.ACADEMIA
    assert Organization.objects.get(name="テスト信用金庫").kind == OrganizationKind.FINANCE
    lab = Organization.objects.get(name="県内の研究所")
    assert lab.parent == orgs["chiba_pref"] and lab.region == chiba  # 地域 left blank: the secretariat's own
    assert center.created_by == secretariat


def test_xlsx_import_and_dry_run(tmp_path, secretariat, orgs):
    wb = openpyxl.Workbook()
    wb.active.append(["機関名", "区分", "都道府県", "郵便番号"])
    wb.active.append(["テスト高専", "学（大学・高専・研究機関）", "千葉県", 2608667])
    buf = io.BytesIO()
    wb.save(buf)
    result = run(tmp_path, buf.getvalue(), secretariat, name="orgs.xlsx", dry_run=True)
    assert result.ok and result.created == 0
    assert not Organization.objects.filter(name="テスト高専").exists()
    result = run(tmp_path, buf.getvalue(), secretariat, name="orgs.xlsx")
    assert result.ok
    assert Organization.objects.get(name="テスト高専").postal_code == "260-8667"


def test_every_bad_row_is_reported_and_nothing_written(tmp_path, secretariat, orgs):
    before = Organization.objects.count()
    rows = [
        ["A機関", "", "大企業", "", "千葉県"],
        ["B機関", "", "官", "", "山形県"],
        ["C機関", "", "官", "", "火星"],
        ["D機関", "", "官", "存在しない親", "千葉県", "12345"],
        ["E機関", "", "官", "F機関", ""],
        ["F機関", "", "官", "E機関", ""],
        ["G機関", "", "官", "G機関", ""],
        ["テスト銀行A", "", "金", "", ""],
        ["H機関", "", "官", "", "", "", "", "", "", "ftp://example.jp"],
        ["H機関", "", "官", "", ""],
        ["", "", "官", "", ""],
    ]
    result = run(tmp_path, csv_bytes(rows), secretariat, dry_run=True)
    errors = {(e.row, e.column): e.message for e in result.errors}
    assert "産・学・官・金・支援機関" in errors[(2, "種別")]
    assert "山形県の事務局だけ" in errors[(3, "地域")]
    assert "「火星」は登録されていません" in errors[(4, "地域")]
    assert "郵便番号は数字7桁" in errors[(5, "郵便番号")]
    assert "「存在しない親」が千葉県の機関にもこのファイルにも見つかりません" in errors[(5, "上位機関")]
    assert "循環" in errors[(6, "上位機関")] and "循環" in errors[(7, "上位機関")]
    assert "自分自身" in errors[(8, "上位機関")]
    assert "すでに千葉県の機関として登録されています" in errors[(9, "名称")]
    assert "URL" in errors[(10, "URL")]
    assert "10行目と重複" in errors[(11, "名称")]
    assert "名称を入力してください" in errors[(12, "名称")]
    assert result.total_rows == 11
    assert Organization.objects.count() == before
    result = run(tmp_path, csv_bytes(rows), secretariat)
    assert not result.ok and Organization.objects.count() == before


def test_only_secretariat_or_superuser(tmp_path, make_staff, superuser, orgs):
    coordinator = make_staff("chiba_lab", StaffRole.COORDINATOR)
    result = run(tmp_path, csv_bytes(ROWS), coordinator)
    assert "地域の事務局とシステム管理者だけ" in result.errors[0].message
    assert not Organization.objects.filter(name="千葉県産業振興センター").exists()
    # a superuser must name the region of every row
    result = run(tmp_path, csv_bytes([["X機関", "", "官"]], header=["名称", "よみがな", "種別"]), superuser)
    assert "必須の列「地域」がありません" in result.errors[0].message
    result = run(tmp_path, csv_bytes([["X機関", "", "官", "", "yamagata"]]), superuser)
    assert result.ok
    assert Organization.objects.get(name="X機関").region.slug == "yamagata"


def test_cp932_organizations(tmp_path, secretariat, orgs):
    result = run(tmp_path, csv_bytes(ROWS, encoding="cp932"), secretariat)
    assert result.ok and result.created == 5
    assert "Shift_JIS" in result.source_format
