"""``cmd_import_catalog``: the handler the CLI wires as ``renkei import-catalog KIND FILE``."""

from __future__ import annotations

import io
import json

import pytest

from renkei.catalog.commands import cmd_import_catalog
from renkei.catalog.models import Equipment, ResearchSeed
from renkei.core.errors import CommandError
from renkei.demo.catalog import DATA


def test_kaken_dry_run_then_import(superuser, tmp_path):
    path = tmp_path / "kaken.csv"
    path.write_bytes((DATA / "fit_seeds_cleaned.csv").read_bytes())
    out = io.StringIO()

    assert cmd_import_catalog("kaken", path, dry_run=True, region=None, mapping=None, stdout=out) == 0
    assert out.getvalue().strip().endswith("検証のみ: 全 408 行を登録できます（何も書き込んでいません）。")
    assert ResearchSeed.objects.count() == 0

    out = io.StringIO()
    assert cmd_import_catalog("kaken", path, dry_run=False, region=None, mapping=None, stdout=out) == 0
    assert "研究シーズ: 新規 408 件・更新 0 件、研究者: 207 件" in out.getvalue()


def test_generic_import_with_mapping_and_bad_rows(superuser, orgs, tmp_path):
    table = tmp_path / "equipment.csv"
    table.write_text(
        "装置,設置機関,料金\n電波暗室,千葉県産業支援技術研究所,1時間 18000円\n,千葉県産業支援技術研究所,\n",
        encoding="utf-8",
    )
    mapping = tmp_path / "mapping.json"
    mapping.write_text(
        json.dumps({"装置": "name", "設置機関": "organization", "料金": "fee_summary"}), encoding="utf-8"
    )
    out = io.StringIO()

    status = cmd_import_catalog(
        "equipment", table, dry_run=False, region="chiba", mapping=mapping, stdout=out
    )

    assert status == 1 and "3行目 装置: 機器名を入力してください。" in out.getvalue()
    assert Equipment.objects.count() == 0


def test_unusable_requests_raise_command_error(superuser, tmp_path):
    missing = tmp_path / "none.csv"
    with pytest.raises(CommandError, match="ファイルが見つかりません"):
        cmd_import_catalog("kaken", missing, dry_run=False, region=None, mapping=None, stdout=io.StringIO())
    existing = tmp_path / "x.csv"
    existing.write_text("a\n", encoding="utf-8")
    with pytest.raises(CommandError, match="取り込む種類「rockets」はありません"):
        cmd_import_catalog(
            "rockets", existing, dry_run=False, region=None, mapping=None, stdout=io.StringIO()
        )
    with pytest.raises(CommandError, match="地域「火星」は登録されていません"):
        cmd_import_catalog(
            "seeds", existing, dry_run=False, region="火星", mapping=None, stdout=io.StringIO()
        )
    with pytest.raises(CommandError, match="利用者 nobody は見つかりません"):
        cmd_import_catalog(
            "seeds",
            existing,
            dry_run=False,
            region=None,
            mapping=None,
            stdout=io.StringIO(),
            as_user="nobody",
        )
