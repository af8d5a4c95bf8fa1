"""Catalog importers: the real KAKEN and jGrants samples, generic CSV/.xlsx with column mapping, and bad files."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from renkei.catalog.importing import import_catalog_table, import_jgrants, import_kaken
from renkei.catalog.importing.jgrants import employees_rule, kind_from_title
from renkei.catalog.importing.kaken import parse_representative
from renkei.catalog.models import (
    CatalogSource,
    Equipment,
    Researcher,
    ResearchSeed,
    SupportProgram,
    TestService,
)
from renkei.catalog.signals import catalog_imported
from renkei.catalog.validation import parse_rate
from renkei.core.errors import ValidationFailed
from renkei.network.choices import OrganizationKind, StaffRole

from .factories import OrganizationFactory

DATA = resources.files("renkei.demo") / "data"
KAKEN_HEADER = "研究課題/領域番号,研究課題名,研究課題名 (英文),教員名,研究代表者,キーワード,研究分野,研究内容,研究内容 (英文)"


def kaken_bytes() -> bytes:
    return (DATA / "fit_seeds_cleaned.csv").read_bytes()


def jgrants_bytes() -> bytes:
    return (DATA / "jgrants_programs.jsonl").read_bytes()


def upload(data: bytes, name: str) -> io.BytesIO:
    f = io.BytesIO(data)
    f.name = name
    return f


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---- KAKEN -----------------------------------------------------------------------------------------------------


def test_parse_representative_splits_name_affiliation_and_number():
    p = parse_representative("宮元 展義 福岡工業大学, 工学部, 准教授 (80391267)", "宮元 展義")
    assert (p.name, p.affiliation, p.institution, p.number) == (
        "宮元 展義",
        "福岡工業大学 工学部 准教授",
        "福岡工業大学",
        "80391267",
    )
    p = parse_representative("東 隼也 福岡工業大学, 工学研究科, 特別研究員(DC1)", "")
    assert (p.name, p.affiliation, p.number) == ("東 隼也", "福岡工業大学 工学研究科 特別研究員(DC1)", "")


def test_kaken_real_file_imports_every_row_and_deduplicates_researchers(superuser):
    result = import_kaken(upload(kaken_bytes(), "fit_seeds_cleaned.csv"), actor=superuser)

    assert result.ok, result.report_lines()[:5]
    assert (result.total_rows, result.created, result.updated) == (408, 408, 0)
    assert ResearchSeed.objects.count() == 408
    # 178 researcher numbers + 29 people without one (by name and affiliation), as the file's SOURCE.txt says.
    assert Researcher.objects.count() == 207
    assert Researcher.objects.exclude(kaken_researcher_number="").count() == 178
    seed = ResearchSeed.objects.select_related("researcher", "source").get(external_id="25K22302")
    assert seed.title == "単分散ナノシートの階層的自己組織化による人工筋原繊維・人工筋束の創製"
    assert seed.keywords == ["単分散ナノシート", "積層型ナノファイバー", "人工筋肉"]
    assert seed.summary.startswith("本研究では、「単分散無機ナノシート(mNS)」を最小構造ユニットとし")
    assert seed.institution is None and seed.institution_name == "福岡工業大学"
    assert seed.url == "https://kaken.nii.ac.jp/ja/grant/KAKENHI-PROJECT-25K22302/"
    r = seed.researcher
    assert (r.name, r.affiliation, r.kaken_researcher_number) == (
        "宮元 展義",
        "福岡工業大学 工学部 准教授",
        "80391267",
    )
    assert r.seeds.count() == Researcher.objects.get(pk=r.pk).seeds.count() >= 1
    source = seed.source
    assert (source.name, source.publisher, source.licence) == (
        "KAKEN 科学研究費助成事業データベース",
        "国立情報学研究所",
        "CC BY 4.0",
    )
    assert "国立情報学研究所" in source.attribution and source.item_count == 408 + 207
    assert ResearchSeed.objects.filter(summary="").count() == 23  # empty 研究内容 alone is fine
    assert ResearchSeed.objects.get(external_id="25K14659").fields == []
    with_fields = ResearchSeed.objects.exclude(fields=[]).first()
    assert all(" / " not in f for f in with_fields.fields)


def test_kaken_reimport_updates_and_never_duplicates(superuser):
    import_kaken(upload(kaken_bytes(), "a.csv"), actor=superuser)
    seed = ResearchSeed.objects.get(external_id="25K22302")
    seed.is_public = False  # staff hid it: a re-import does not publish it again
    seed.title = "誰かが変えた題名"
    seed.save()

    result = import_kaken(upload(kaken_bytes(), "a.csv"), actor=superuser)

    assert result.ok and (result.created, result.updated) == (0, 408)
    assert ResearchSeed.objects.count() == 408 and Researcher.objects.count() == 207
    seed.refresh_from_db()
    assert seed.title.startswith("単分散ナノシート") and seed.is_public is False
    assert CatalogSource.objects.count() == 1


def test_kaken_links_an_institution_of_the_network(superuser, chiba):
    fit = OrganizationFactory(name="学校法人福岡工業大学", kind=OrganizationKind.ACADEMIA, region=chiba)
    rows = [
        KAKEN_HEADER.split(","),
        [
            "25K22302",
            "題名",
            "",
            "宮元 展義",
            "宮元 展義 福岡工業大学, 工学部, 准教授 (80391267)",
            "",
            "",
            "内容",
            "",
        ],
    ]

    result = import_kaken(upload(csv_bytes(rows), "k.csv"), actor=superuser, region=chiba)

    assert result.ok, result.report_lines()
    seed = ResearchSeed.objects.get()
    assert seed.institution == fit and seed.institution_name == "" and seed.region == chiba
    assert seed.researcher.organization == fit


def test_kaken_dry_run_writes_nothing(superuser):
    result = import_kaken(upload(kaken_bytes(), "a.csv"), actor=superuser, dry_run=True)

    assert result.ok and result.total_rows == 408
    assert ResearchSeed.objects.count() == Researcher.objects.count() == CatalogSource.objects.count() == 0
    assert result.summary().startswith("検証のみ")


def test_kaken_bad_rows_are_all_listed_and_nothing_is_written(superuser):
    good = [
        "25K00001",
        "題名",
        "",
        "山田 太郎",
        "山田 太郎 某大学, 工学部, 教授 (12345678)",
        "",
        "",
        "内容",
        "",
    ]
    rows = [
        KAKEN_HEADER.split(","),
        good,
        ["25K00002", "", "", "", "", "", "", "", ""],  # neither title nor summary
        ["25K00001", "別の題名", "", "", "", "", "", "", ""],  # duplicate number
        ["", "番号なし", "", "", "", "", "", "", ""],
    ]

    result = import_kaken(upload(csv_bytes(rows), "k.csv"), actor=superuser)

    assert not result.ok
    assert result.error_rows == [3, 4, 5]
    messages = " ".join(str(e) for e in result.errors)
    assert "研究課題名と研究内容がどちらも空です" in messages
    assert "4行目と重複" not in messages and "2行目と重複しています" in messages
    assert "研究課題番号がありません" in messages
    assert ResearchSeed.objects.count() == Researcher.objects.count() == 0


def test_kaken_wrong_header_empty_file_and_cp932(superuser):
    wrong = import_kaken(upload(csv_bytes([["企業名", "住所"], ["a", "b"]]), "x.csv"), actor=superuser)
    assert not wrong.ok and "KAKEN の CSV の見出しではありません" in wrong.file_errors[0].message

    empty = import_kaken(upload(b"", "x.csv"), actor=superuser)
    assert not empty.ok and "ファイルが空です" in empty.file_errors[0].message

    rows = [
        KAKEN_HEADER.split(","),
        ["25K00003", "樹脂の強度評価", "", "", "", "樹脂 / 強度", "", "ＣＦＲＰの研究", ""],
    ]
    sjis = import_kaken(upload(csv_bytes(rows, "cp932"), "sjis.csv"), actor=superuser)
    assert sjis.ok, sjis.report_lines()
    seed = ResearchSeed.objects.get(external_id="25K00003")
    assert seed.keywords == ["樹脂", "強度"] and seed.summary == "CFRPの研究" and seed.researcher is None


def test_kaken_needs_a_secretariat_or_superuser(make_staff, chiba):
    member = make_staff("chiba_lab", StaffRole.MEMBER)
    refused = import_kaken(upload(kaken_bytes(), "a.csv"), actor=member)
    assert not refused.ok and "事務局とシステム管理者だけ" in refused.file_errors[0].message

    secretariat = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    rows = [KAKEN_HEADER.split(","), ["25K00004", "題名", "", "", "", "", "", "", ""]]
    result = import_kaken(upload(csv_bytes(rows), "k.csv"), actor=secretariat)
    assert result.ok and ResearchSeed.objects.get().region == chiba  # the secretariat's own region


# ---- jGrants ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2/3以内", (2, 3)),
        ("補助対象経費の３／４", (3, 4)),
        ("１／２以内", (1, 2)),
        ("事業費の３分の１", (1, 3)),
        ("100%", (1, 1)),
        ("10/10", (1, 1)),
        ("補助対象経費の2/3以内（上限2,000万円/台）", (2, 3)),
        ("1/2 もしくは 2/3", None),
        ("1/2、1/3、5/12", None),
        ("定額", None),
        ("公募要領を参照", None),
        ("21％～55％（ZEBランク、建物用途により異なる）", None),
        ("", None),
    ],
)
def test_parse_rate(text, expected):
    assert parse_rate(text) == expected


def test_kind_and_employee_rules_from_jgrants_wording():
    assert kind_from_title("東京都環境保全資金融資あっせん") == "loan"
    assert kind_from_title("東京都環境保全資金融資保証債務履行補助金") == "subsidy"
    assert kind_from_title("令和８年度展示会出展助成事業") == "grant"
    assert kind_from_title("女性活躍情報公開促進奨励金　支給申請") == "grant"
    assert kind_from_title("ものづくり補助金") == "subsidy"
    assert employees_rule("300名以下") == ({"min": None, "max": 300}, None)
    assert employees_rule("901名以上") == ({"min": 901, "max": None}, None)
    assert employees_rule("従業員数の制約なし") == (None, None)
    assert employees_rule(None) == (None, None)
    assert employees_rule("少ない")[1].startswith("従業員数の条件「少ない」を読み取れません")


def test_jgrants_real_file_derives_eligibility_rates_and_windows(superuser):
    result = import_jgrants(upload(jgrants_bytes(), "jgrants_programs.jsonl"), actor=superuser)

    assert result.ok, result.report_lines()[:5]
    assert (result.total_rows, result.created) == (461, 461)
    assert SupportProgram.objects.count() == 461
    p = SupportProgram.objects.get(
        external_id="jgrants-a0WJ200000CDYBxMAP"
    )  # 全国, 901名以上, 30 industry names
    assert p.eligibility == {"employees": {"min": 901, "max": None}}
    assert (p.rate_text, p.rate_numerator, p.rate_denominator) == ("1/3以内", 1, 3)
    assert p.cap_yen == 6_500_000 and p.kind == "subsidy"
    assert (str(p.opens_on), str(p.closes_on), p.fiscal_year) == ("2026-04-01", "2026-12-18", 2026)
    assert "従業員数: 901名以上" in p.eligibility_text and "対象地域: 全国" in p.eligibility_text
    p = SupportProgram.objects.get(external_id="jgrants-a0WJ200000CDYkiMAH")  # 東京都, 医療・福祉
    assert p.eligibility == {"prefectures": ["13"], "jsic": ["P"]}
    p = SupportProgram.objects.get(external_id="jgrants-a0WJ200000CDY7yMAH")  # 補助対象経費の３／４, 鉱業…
    assert (p.rate_numerator, p.rate_denominator) == (3, 4) and p.eligibility == {"jsic": ["C"]}
    assert p.fiscal_year == 2025  # opens 2026-03-25: 令和7年度
    p = SupportProgram.objects.get(external_id="jgrants-a0WJ200000CDcO3MAL")  # 100%
    assert (p.rate_numerator, p.rate_denominator) == (1, 1) and p.kind == "grant"
    p = SupportProgram.objects.get(
        external_id="jgrants-a0W2x000003QZLqEAO"
    )  # 全国/…/地方, rates 1/2、1/3、5/12
    assert p.eligibility == {"jsic": ["G"]} and p.rate_numerator is None and p.rate_text == "1/2、1/3、5/12"
    p = SupportProgram.objects.get(
        external_id="jgrants-a0WJ200000CDYwlMAH"
    )  # 8 prefectures, no employee rule
    assert p.eligibility["prefectures"] == ["08", "09", "10", "11", "12", "13", "14", "19"]
    assert (
        "employees" not in p.eligibility and "jsic" not in p.eligibility
    )  # every business major: no constraint
    p = SupportProgram.objects.get(external_id="jgrants-a0WJ200000CDYjbMAH")  # 千葉県, 300名以下
    assert p.eligibility["prefectures"] == ["12"] and p.eligibility["employees"] == {"min": None, "max": 300}
    assert p.url == "https://www.jgrants-portal.go.jp/subsidy/a0WJ200000CDYjbMAH"
    src = p.source
    assert (src.name, src.publisher, src.licence) == (
        "jGrants 補助金電子申請システム 公開API",
        "デジタル庁",
        "政府標準利用規約（第2.0版）",
    )
    assert src.item_count == 461
    first_seen_datetime = SupportProgram.objects.filter(first_seen__isnull=False).count()
    assert first_seen_datetime == 461  # ISO date-times (2026-05-15T23:56:13+00:00) read as dates


def test_jgrants_reimport_is_idempotent(superuser):
    import_jgrants(upload(jgrants_bytes(), "j.jsonl"), actor=superuser)
    result = import_jgrants(upload(jgrants_bytes(), "j.jsonl"), actor=superuser)
    assert result.ok and (result.created, result.updated) == (0, 461)
    assert SupportProgram.objects.count() == 461


def test_jgrants_accepts_a_json_array(superuser):
    records = [json.loads(line) for line in jgrants_bytes().decode().splitlines()[:3]]
    data = json.dumps(records, ensure_ascii=False, indent=2).encode()
    result = import_jgrants(upload(data, "j.json"), actor=superuser)
    assert result.ok and SupportProgram.objects.count() == 3


def test_jgrants_broken_line_and_bad_values_are_row_errors_and_nothing_is_written(superuser):
    lines = jgrants_bytes().decode().splitlines()[:4]
    bad = json.loads(lines[3])
    bad["amount_max"] = "たくさん"
    bad["target_area"] = "火星"
    text = "\n".join([lines[0], lines[1], '{"id": "x", "title": ', json.dumps(bad, ensure_ascii=False)])

    result = import_jgrants(upload(text.encode(), "j.jsonl"), actor=superuser)

    assert not result.ok and result.error_rows == [3, 4]
    messages = [str(e) for e in result.errors]
    assert messages[0].startswith("3行目: JSON として読めません")
    assert any("amount_max" in m and "数字で入力してください" in m for m in messages)
    assert any("target_area" in m and "火星" in m for m in messages)
    assert SupportProgram.objects.count() == 0 and CatalogSource.objects.count() == 0


def test_jgrants_dry_run_and_empty_file(superuser):
    result = import_jgrants(upload(jgrants_bytes(), "j.jsonl"), actor=superuser, dry_run=True)
    assert result.ok and result.total_rows == 461 and SupportProgram.objects.count() == 0
    empty = import_jgrants(upload(b"\n\n", "j.jsonl"), actor=superuser)
    assert not empty.ok and "取り込む施策がありません" in empty.file_errors[0].message


# ---- Generic CSV / .xlsx ---------------------------------------------------------------------------------------


def test_generic_equipment_csv_with_aliases_fullwidth_digits_and_reimport(make_staff, orgs):
    member = make_staff("chiba_lab", StaffRole.MEMBER)
    rows = [
        ["ID", "機器名称", "メーカー", "型番", "分類", "仕様", "料金", "外部利用", "保有機関"],
        [
            "EQ-1",
            "恒温恒湿槽",
            "エスペック",
            "PR-3J",
            "環境試験",
            "-20〜+100℃",
            "1時間 ８００円",
            "はい",
            "千葉県産業支援技術研究所",
        ],
        [
            "EQ-2",
            "万能材料試験機",
            "島津製作所",
            "AG-X 100kN",
            "試験・評価",
            "最大荷重 100kN",
            "1時間 1,600円",
            "○",
            "",
        ],
    ]
    lab = orgs["chiba_lab"]

    result = import_catalog_table(
        "equipment", upload(csv_bytes(rows, "cp932"), "機器.csv"), actor=member, organization=lab.pk
    )

    assert result.ok, result.report_lines()
    assert Equipment.objects.count() == 2
    chamber = Equipment.objects.get(external_id="EQ-1")
    assert (chamber.organization, chamber.category, chamber.fee_summary, chamber.external_use) == (
        lab,
        "environment",
        "1時間 800円",
        True,
    )
    assert chamber.region_id == lab.region_id and chamber.source.name == "機器の取り込み: 機器.csv"

    rows[1][1] = "恒温恒湿槽（大型）"
    again = import_catalog_table(
        "equipment", upload(csv_bytes(rows), "機器.csv"), actor=member, organization=lab.pk
    )
    assert again.ok and (again.created, again.updated) == (0, 2)
    assert (
        Equipment.objects.count() == 2
        and Equipment.objects.get(external_id="EQ-1").name == "恒温恒湿槽(大型)"
    )  # NFKC


def test_generic_xlsx_with_explicit_mapping(make_staff, orgs, tmp_path):
    member = make_staff("chiba_lab", StaffRole.COORDINATOR)
    rows = [
        ["依頼試験メニュー"],  # a title row above the header
        ["メニュー", "準拠", "手数料額", "単位", "設置機関", "メモ"],
        ["金属材料引張試験", "JIS Z 2241", 5800, "1試料", "千葉県産業支援技術研究所", "試験片加工は別料金"],
        ["ビッカース硬さ試験", "JIS Z 2244", "３，２００円", "1点", "千葉県産業支援技術研究所", ""],
    ]
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps(
            {
                "メニュー": "name",
                "準拠": "standard",
                "手数料額": "fee_yen",
                "設置機関": "organization",
                "メモ": "fee_note",
            }
        ),
        encoding="utf-8",
    )

    result = import_catalog_table(
        "test-services", upload(xlsx_bytes(rows), "tests.xlsx"), actor=member, mapping=mapping
    )

    assert result.ok, result.report_lines()
    fees = dict(TestService.objects.values_list("standard", "fee_yen"))
    assert fees == {"JIS Z 2241": 5800, "JIS Z 2244": 3200}
    assert TestService.objects.get(standard="JIS Z 2241").fee_note == "試験片加工は別料金"


def test_generic_mapping_to_an_unknown_field_is_refused(superuser):
    result = import_catalog_table(
        "equipment", upload(csv_bytes([["a"], ["b"]]), "x.csv"), actor=superuser, mapping={"a": "colour"}
    )
    assert not result.ok and "対応づけ先「colour」は機器の項目ではありません" in result.file_errors[0].message


def test_generic_bad_rows_listed_nothing_written_and_other_region_refused(make_staff, orgs):
    member = make_staff("chiba_lab", StaffRole.MEMBER)
    rows = [
        ["試験項目", "手数料", "実施機関"],
        ["引張試験", "5,800", "千葉県産業支援技術研究所"],
        ["硬さ試験", "三千円", "千葉県産業支援技術研究所"],  # not a number
        ["塩水噴霧試験", "12000", "山形県工業技術センター"],  # another region's body
        ["", "100", "千葉県産業支援技術研究所"],  # no name
        ["EMC試験", "100", "存在しない機関"],
    ]

    result = import_catalog_table("test-services", upload(csv_bytes(rows), "t.csv"), actor=member)

    assert not result.ok and result.error_rows == [3, 4, 5, 6]
    by_row = {e.row: str(e) for e in result.errors}
    assert "手数料は数字で入力してください" in by_row[3]
    assert "「山形県工業技術センター」の職員か山形県の事務局" in by_row[4]
    assert "試験項目を入力してください" in by_row[5]
    assert "機関「存在しない機関」が登録されていません" in by_row[6]
    assert TestService.objects.count() == 0 and CatalogSource.objects.count() == 0


def test_generic_region_option_refuses_another_regions_organization(superuser, orgs, chiba):
    rows = [["機器名", "保有機関"], ["電波暗室", "山形県工業技術センター"]]
    result = import_catalog_table(
        "equipment", upload(csv_bytes(rows), "e.csv"), actor=superuser, region="chiba"
    )
    assert not result.ok and "「山形県工業技術センター」は千葉県の機関ではありません" in str(result.errors[0])


def test_generic_dry_run_writes_nothing(make_staff, orgs):
    member = make_staff("chiba_lab", StaffRole.MEMBER)
    rows = [["機器名", "保有機関"], ["X線CT", "千葉県産業支援技術研究所"]]
    result = import_catalog_table("equipment", upload(csv_bytes(rows), "e.csv"), actor=member, dry_run=True)
    assert result.ok and result.total_rows == 1 and Equipment.objects.count() == 0


def test_generic_programs_with_eligibility_columns(make_staff, orgs, chiba):
    secretariat = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    rows = [
        [
            "施策名",
            "種類",
            "補助率",
            "上限額",
            "従業員数上限",
            "資本金上限",
            "対象地域",
            "対象業種",
            "企業規模",
            "受付開始日",
            "目的",
        ],
        [
            "研究開発補助事業",
            "補助金",
            "2/3以内",
            "1,000万円",
            "３００",
            "3億円",
            "千葉県",
            "製造業、G",
            "中小企業者",
            "2025/4/1",
            "研究開発",
        ],
        ["展示会出展補助", "補助金", "1/2", "50万円", "", "", "全国", "", "", "令和7年5月1日", "販路開拓"],
    ]

    result = import_catalog_table("programs", upload(csv_bytes(rows), "p.csv"), actor=secretariat)

    assert result.ok, result.report_lines()
    rd = SupportProgram.objects.get(title="研究開発補助事業")
    assert rd.eligibility == {
        "employees": {"min": None, "max": 300},
        "capital": {"min": None, "max": 300_000_000},
        "size_classes": ["sme"],
        "prefectures": ["12"],
        "jsic": ["E", "G"],
    }
    assert (rd.cap_yen, rd.rate_numerator, rd.rate_denominator, rd.fiscal_year) == (10_000_000, 2, 3, 2025)
    assert rd.region == chiba and rd.organization is None and rd.purposes == ["研究開発"]
    expo = SupportProgram.objects.get(title="展示会出展補助")
    assert expo.eligibility == {} and expo.cap_yen == 500_000 and str(expo.opens_on) == "2025-05-01"


def test_generic_program_with_invalid_eligibility_json(superuser):
    rows = [["名称", "対象者の条件(JSON)"], ["施策A", '{"employees": {"max": -1}}'], ["施策B", "{壊れた"]]
    result = import_catalog_table("programs", upload(csv_bytes(rows), "p.csv"), actor=superuser)
    assert not result.ok and result.error_rows == [2, 3]
    assert "従業員数の上限は0以上の整数" in str(result.errors[0])
    assert "JSON" in str(result.errors[1])


def test_generic_viewer_cannot_import(make_staff):
    viewer = make_staff("chiba_lab", StaffRole.VIEWER)
    result = import_catalog_table("equipment", upload(csv_bytes([["機器名"], ["a"]]), "e.csv"), actor=viewer)
    assert not result.ok and "取り込めるのは" in result.file_errors[0].message


def test_a_secretariat_cannot_overwrite_national_data_by_reimporting_it(superuser, make_staff, chiba):
    rows = [KAKEN_HEADER.split(","), ["25K00005", "全国のシーズ", "", "", "", "", "", "内容", ""]]
    assert import_kaken(upload(csv_bytes(rows), "k.csv"), actor=superuser).ok
    secretariat = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    rows[1][1] = "千葉で書き換えた題名"

    result = import_kaken(upload(csv_bytes(rows), "k.csv"), actor=secretariat)

    assert not result.ok and "25K00005 の研究シーズはすでに全国のデータとして登録されている" in str(
        result.errors[0]
    )
    seed = ResearchSeed.objects.get()
    assert seed.title == "全国のシーズ" and seed.region is None


def test_a_reimport_keeps_the_region_of_items_already_imported(superuser, make_staff, chiba):
    secretariat = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    rows = [KAKEN_HEADER.split(","), ["25K00006", "千葉のシーズ", "", "", "", "", "", "内容", ""]]
    assert import_kaken(upload(csv_bytes(rows), "k.csv"), actor=secretariat).ok
    assert import_kaken(upload(csv_bytes(rows), "k.csv"), actor=superuser).ok  # no region given
    assert ResearchSeed.objects.get().region == chiba


def test_generic_reimport_by_another_body_is_refused(make_staff, orgs):
    rows = [["ID", "機器名", "保有機関"], ["EQ-9", "SEM", "千葉県産業支援技術研究所"]]
    lab = make_staff("chiba_lab", StaffRole.MEMBER)
    assert import_catalog_table(
        "equipment", upload(csv_bytes(rows), "e.csv"), actor=lab, source_name="共有"
    ).ok
    other = make_staff("yamagata_center", StaffRole.MEMBER)
    rows[1][2] = "山形県工業技術センター"

    result = import_catalog_table(
        "equipment", upload(csv_bytes(rows), "e.csv"), actor=other, source_name="共有"
    )

    assert not result.ok and "EQ-9 の機器はすでに千葉県のデータとして登録されている" in str(result.errors[0])
    assert Equipment.objects.get().organization == orgs["chiba_lab"]


def test_every_import_sends_catalog_imported_for_what_it_wrote(superuser):
    calls = []

    def receiver(sender, source, created, updated, **kwargs):
        calls.append((sender.__name__, source.name, created, updated))

    catalog_imported.connect(receiver)
    try:
        rows = [
            KAKEN_HEADER.split(","),
            [
                "25K00007",
                "題名",
                "",
                "山田 太郎",
                "山田 太郎 某大学, 工学部, 教授 (12345678)",
                "",
                "",
                "",
                "",
            ],
        ]
        import_kaken(upload(csv_bytes(rows), "k.csv"), actor=superuser)
        import_kaken(upload(csv_bytes(rows), "k.csv"), actor=superuser, dry_run=True)
    finally:
        catalog_imported.disconnect(receiver)
    source = "KAKEN 科学研究費助成事業データベース"
    assert calls == [("Researcher", source, 1, 0), ("ResearchSeed", source, 1, 0)]


def test_the_number_of_queries_does_not_grow_with_the_rows(make_staff, orgs):
    member = make_staff("chiba_lab", StaffRole.MEMBER)

    def queries(n: int, name: str) -> int:
        rows = [["ID", "機器名", "保有機関", "料金"]]
        rows += [[f"{name}-{i}", f"装置{i}", "千葉県産業支援技術研究所", "1時間 1,000円"] for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            result = import_catalog_table("equipment", upload(csv_bytes(rows), f"{name}.csv"), actor=member)
        assert result.ok and result.created == n
        return len(ctx.captured_queries)

    queries(1, "warm-up")  # the actor's staff context, cached on the user afterwards
    small, large = queries(3, "small"), queries(300, "large")
    # Only the INSERT batches grow (SQLite binds at most 999 parameters per statement): no query per row.
    assert large - small <= 300 // 40


def test_a_duplicate_source_number_is_a_field_error_not_a_database_error(superuser):
    from renkei.catalog import services

    import_kaken(upload(kaken_bytes(), "a.csv"), actor=superuser)
    first, second = ResearchSeed.objects.order_by("pk")[:2]
    with pytest.raises(ValidationFailed) as caught:
        services.seed_update(actor=superuser, seed_id=second.pk, data={"external_id": first.external_id})
    assert caught.value.errors[0].field == "external_id"
    assert first.external_id in caught.value.errors[0].message
    second.refresh_from_db()
    assert second.external_id != first.external_id


def test_amounts_and_rates_stay_inside_their_columns(make_staff, orgs):
    from renkei.catalog import services
    from renkei.catalog.validation import parse_rate
    from renkei.network.choices import StaffRole

    assert parse_rate("2147483648/2147483649") is None
    assert parse_rate("補助対象経費の３／４") == (3, 4)
    member = make_staff("chiba_lab", StaffRole.MEMBER)
    with pytest.raises(ValidationFailed) as caught:
        services.test_service_create(
            actor=member, data={"organization": orgs["chiba_lab"].pk, "name": "引張試験", "fee_yen": "30億円"}
        )
    assert caught.value.errors[0].field == "fee_yen"
    assert "2,147,483,647 まで" in caught.value.errors[0].message
