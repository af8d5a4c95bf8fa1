"""`renkei export|import case-settings`: a region's case configuration round-trips through a JSON file."""

from __future__ import annotations

import json

from renkei import cli
from renkei.cases.models import RoutingRule


def test_export_then_import_changes_nothing_and_a_bad_file_writes_nothing(case_config, tmp_path, capsys):
    out = tmp_path / "chiba.json"
    assert cli.main(["export", "case-settings", "--region", "chiba", "-o", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["format"] == "renkei-cases/1" and [r["name"] for r in data["routing_rules"]] == [
        "技術的課題は産技研",
        "その他は窓口",
    ]

    assert cli.main(["import", "case-settings", str(out)]) == 0
    assert "changed 0" in capsys.readouterr().out

    data["routing_rules"][0]["lead_organization"] = "どこにもない機関"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    before = list(RoutingRule.objects.order_by("position").values_list("name", "lead_organization_id"))
    assert cli.main(["import", "case-settings", str(bad)]) == 2
    assert "routing_rules[0].lead_organization" in capsys.readouterr().err
    assert (
        list(RoutingRule.objects.order_by("position").values_list("name", "lead_organization_id")) == before
    )


def test_a_dry_run_writes_nothing(case_config, tmp_path, capsys):
    out = tmp_path / "chiba.json"
    assert cli.main(["export", "case-settings", "--region", "chiba", "-o", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    data["routing_rules"][0]["name"] = "名前を変えた規則"
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert cli.main(["import", "case-settings", str(out), "--dry-run"]) == 0
    assert "書き込みはしていません" in capsys.readouterr().out
    assert not RoutingRule.objects.filter(name="名前を変えた規則").exists()


def test_export_needs_a_known_region(case_config, capsys):
    assert cli.main(["export", "case-settings"]) == 2
    assert cli.main(["export", "case-settings", "--region", "atlantis"]) == 2
    assert "atlantis" in capsys.readouterr().err
