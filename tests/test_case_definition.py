"""The case-ledger definition (renkei-cases/1): validate everything first, errors by JSON path, write what differs."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from renkei.cases import classify, services
from renkei.cases.definition import FORMAT, cases_definition_dump, cases_definition_load
from renkei.cases.models import (
    Case,
    CaseSettings,
    EscalationLadder,
    EscalationStep,
    RoutingRule,
    SlaPolicy,
    TrainingExample,
)
from renkei.core.errors import ValidationFailed
from renkei.demo.loader import _create_users, _Say, read_data
from renkei.network.choices import StaffRole
from renkei.network.definition import network_definition_load
from renkei.network.models import Category, Region


@pytest.fixture
def categories(db) -> dict[str, Category]:
    technical, _ = Category.objects.get_or_create(code="technical", defaults={"name": "技術的課題"})
    out = {"technical": technical}
    for code, name in (("management", "経営的課題"), ("research", "研究課題"), ("funding", "資金")):
        out[code], _ = Category.objects.get_or_create(code=code, defaults={"name": name})
    out["technical-testing"], _ = Category.objects.get_or_create(
        code="technical-testing", defaults={"name": "試験・分析", "parent": technical}
    )
    return out


@pytest.fixture
def lab_staff(make_staff):
    return make_staff("chiba_lab", StaffRole.MEMBER, username="lab-taro")


def definition() -> dict[str, Any]:
    """A complete small definition for the test region 'chiba' (organizations of the conftest network)."""
    return {
        "format": FORMAT,
        "region": "chiba",
        "note": "テスト用の設定",
        "window": "千葉県 産業振興課",
        "public_intake": True,
        "handoff_reply_days": 4,
        "receipt_prefix": "CB-",
        "sla": [
            {"category": None, "first_response_days": 2, "resolution_days": 20},
            {"category": "technical", "first_response_days": 2, "resolution_days": 30},
        ],
        "routing_rules": [
            {
                "name": "技術的課題は産技研",
                "conditions": {"categories": ["technical"], "keywords": ["試験", "評価"]},
                "lead_organization": "千葉県産業支援技術研究所",
                "default_assignee": "lab-taro",
                "active": True,
                "note": "根拠: 000 §1(2)",
            },
            {
                "name": "その他は窓口",
                "conditions": {},
                "lead_organization": "千葉県 産業振興課",
                "default_assignee": None,
                "active": True,
                "note": "",
            },
        ],
        "ladders": [
            {
                "name": "千葉の流れ",
                "default": True,
                "description": "窓口 → 会議 → 外部",
                "steps": [
                    {"name": "窓口", "owner": "千葉県 産業振興課", "target_days": 10},
                    {
                        "name": "定例会議",
                        "owner": "千葉県 産業振興課",
                        "meeting": "regular",
                        "target_days": 20,
                    },
                    {
                        "name": "外部",
                        "owner": "千葉県産業支援技術研究所",
                        "categories": ["technical", "research"],
                        "external": True,
                    },
                ],
            }
        ],
        "training_examples": [
            {"category": "technical", "text": "樹脂部品の強度試験をお願いしたい。"},
            {"category": "technical", "text": "めっきの密着不良の原因を分析してほしい。"},
            {"category": "management", "text": "後継者がいないので事業承継の相談をしたい。"},
            {"category": "management", "text": "売上が落ちて資金繰りが厳しい。経営の立て直しを相談したい。"},
        ],
    }


def errors_of(exc: pytest.ExceptionInfo[ValidationFailed]) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def row_counts() -> tuple[int, ...]:
    models = (CaseSettings, SlaPolicy, RoutingRule, EscalationLadder, EscalationStep, TrainingExample)
    return tuple(m.objects.count() for m in models)


def test_load_writes_everything_and_a_reload_changes_nothing(orgs, categories, lab_staff):
    counts = cases_definition_load(data=definition())

    assert counts == {
        "sla": 2,
        "routing_rules": 2,
        "ladders": 1,
        "steps": 3,
        "training_examples": 4,
        "changed": counts["changed"],
    }
    assert counts["changed"] > 0
    settings = CaseSettings.objects.get(region__slug="chiba")
    assert settings.window_organization == orgs["chiba_pref"]
    assert (settings.handoff_reply_days, settings.receipt_prefix) == (4, "CB-")
    first = RoutingRule.objects.get(region__slug="chiba", position=1)
    assert first.lead_organization == orgs["chiba_lab"] and first.default_assignee == lab_staff
    assert first.conditions == {"categories": ["technical"], "keywords": ["試験", "評価"]}
    step3 = EscalationStep.objects.get(ladder__region__slug="chiba", position=3)
    assert step3.is_external and step3.owner_organization == orgs["chiba_lab"]
    assert set(step3.categories.values_list("code", flat=True)) == {"technical", "research"}
    assert EscalationStep.objects.get(ladder__region__slug="chiba", position=2).meeting_kind == "regular"
    assert EscalationLadder.objects.get(region__slug="chiba").is_default
    rule_ids = list(RoutingRule.objects.order_by("position").values_list("id", flat=True))
    updated = list(RoutingRule.objects.order_by("position").values_list("updated_at", flat=True))

    again = cases_definition_load(data=definition())

    assert again["changed"] == 0
    assert list(RoutingRule.objects.order_by("position").values_list("id", flat=True)) == rule_ids
    assert list(RoutingRule.objects.order_by("position").values_list("updated_at", flat=True)) == updated


def test_dump_round_trips(orgs, categories, lab_staff):
    cases_definition_load(data=definition())

    dumped = cases_definition_dump("chiba")

    assert dumped["format"] == FORMAT and dumped["region"] == "chiba"
    assert dumped["window"] == "千葉県 産業振興課"
    assert [r["name"] for r in dumped["routing_rules"]] == ["技術的課題は産技研", "その他は窓口"]
    assert dumped["routing_rules"][0]["default_assignee"] == "lab-taro"
    assert dumped["ladders"][0]["steps"][0]["owner"] == "千葉県 産業振興課"
    assert dumped["sla"][0] == {"category": None, "first_response_days": 2, "resolution_days": 20}
    assert cases_definition_load(data=copy.deepcopy(dumped))["changed"] == 0
    assert cases_definition_dump("chiba") == dumped


def test_rules_are_replaced_by_position_and_extra_ones_deleted(orgs, categories, lab_staff):
    cases_definition_load(data=definition())
    kept = RoutingRule.objects.get(region__slug="chiba", position=1).pk
    data = definition()
    data["routing_rules"] = [dict(data["routing_rules"][1], name="すべて窓口へ")]

    cases_definition_load(data=data)

    rules = list(RoutingRule.objects.filter(region__slug="chiba"))
    assert [(r.pk, r.position, r.name) for r in rules] == [(kept, 1, "すべて窓口へ")]
    assert rules[0].lead_organization == orgs["chiba_pref"] and rules[0].default_assignee is None


def test_absent_sections_are_left_alone(orgs, categories, lab_staff):
    cases_definition_load(data=definition())
    before = row_counts()
    data = {k: v for k, v in definition().items() if k not in ("sla", "ladders", "training_examples")}
    data["routing_rules"] = []

    cases_definition_load(data=data)

    assert RoutingRule.objects.filter(region__slug="chiba").count() == 0
    after = row_counts()
    assert after[:2] == before[:2] and after[3:] == before[3:]


def test_errors_name_the_json_path_and_nothing_is_written(orgs, categories, lab_staff):
    data = definition()
    data["window"] = "存在しない課"
    data["sla"][1]["category"] = "cooking"
    data["sla"].append({"category": None, "first_response_days": 3, "resolution_days": 2})
    data["routing_rules"][0]["lead_organization"] = "テスト大学"
    data["routing_rules"][0]["conditions"]["colour"] = ["red"]
    data["routing_rules"][1]["conditions"] = {"channels": ["fax"], "categories": ["nothing"]}
    data["routing_rules"][1]["default_assignee"] = "nobody"
    data["ladders"][0]["steps"][1]["owner"] = "どこか"
    data["ladders"][0]["steps"][2]["meeting"] = "party"
    data["ladders"][0]["steps"][0]["target_days"] = 0
    data["ladders"].append({"name": "二つ目", "default": True, "steps": [{"name": "A"}]})
    data["training_examples"][0]["text"] = ""
    data["surprise"] = 1

    with pytest.raises(ValidationFailed) as exc:
        cases_definition_load(data=data)

    errors = errors_of(exc)
    assert "存在しない課" in errors["window"]
    assert "cooking" in errors["sla[1].category"]
    assert "重複" in errors["sla[2].category"] and "解決の目標以下" in errors["sla[2].first_response_days"]
    assert "テスト大学" in errors["routing_rules[0].lead_organization"]
    assert "colour" in errors["routing_rules[0].conditions.colour"]
    assert "fax" in errors["routing_rules[1].conditions.channels[0]"]
    assert "nothing" in errors["routing_rules[1].conditions.categories[0]"]
    assert "nobody" in errors["routing_rules[1].default_assignee"]
    assert "どこか" in errors["ladders[0].steps[1].owner"]
    assert "party" in errors["ladders[0].steps[2].meeting"]
    assert "1〜365" in errors["ladders[0].steps[0].target_days"]
    assert "1つだけ" in errors["ladders[1].default"]
    assert "本文" in errors["training_examples[0].text"]
    assert "surprise" in errors["surprise"]
    assert row_counts() == (0, 0, 0, 0, 0, 0)


def test_wrong_format_and_unknown_region_are_refused(orgs, categories):
    with pytest.raises(ValidationFailed) as exc:
        cases_definition_load(data=dict(definition(), format="renkei-network/1", region="atlantis"))

    errors = errors_of(exc)
    assert "renkei-cases/1" in errors["format"]
    assert "atlantis" in errors["region"] and "chiba" in errors["region"]


def test_default_assignee_must_write_for_the_lead_organization(orgs, categories, make_staff):
    make_staff("chiba_bank_a", StaffRole.MEMBER, username="lab-taro")  # a real user, but of another body
    with pytest.raises(ValidationFailed) as exc:
        cases_definition_load(data=definition())

    assert (
        "主担当機関「千葉県産業支援技術研究所」の職員" in errors_of(exc)["routing_rules[0].default_assignee"]
    )


def test_a_step_in_use_cannot_be_dropped(orgs, categories, lab_staff, make_staff):
    cases_definition_load(data=definition())
    secretariat = make_staff("chiba_pref", StaffRole.SECRETARIAT)
    case = services.case_create(actor=secretariat, data={"text": "試験をお願いしたい", "channel": "phone"})
    assert case.step.position == 1
    services.case_classify(actor=secretariat, case_id=case.pk, category="technical")
    services.case_escalate(actor=secretariat, case_id=case.pk, reason="会議で検討")
    services.case_escalate(actor=secretariat, case_id=case.pk, reason="外部へ")
    assert Case.objects.get(pk=case.pk).step.position == 3
    data = definition()
    data["ladders"][0]["steps"] = data["ladders"][0]["steps"][:2]

    with pytest.raises(ValidationFailed) as exc:
        cases_definition_load(data=data)

    assert "1 件の相談案件が使っている" in errors_of(exc)["ladders[0].steps"]
    assert EscalationStep.objects.filter(ladder__region__slug="chiba").count() == 3


def test_training_examples_feed_the_suggestion(orgs, categories, lab_staff):
    classify.clear_cache()
    cases_definition_load(data=definition())
    region = Region.objects.get(slug="chiba")

    top = classify.suggest(region.pk, "製品の強度の試験と分析をお願いしたい", limit=1)

    assert top and top[0].category_id == categories["technical"].pk
    data = definition()
    data["training_examples"] = data["training_examples"][2:]
    cases_definition_load(data=data)
    assert TrainingExample.objects.filter(region=region, case__isnull=True).count() == 2
    top = classify.suggest(region.pk, "製品の強度の試験と分析をお願いしたい", limit=1)
    assert top[0].category_id == categories["management"].pk  # the cache saw the change


# -- the demo's configuration files ---------------------------------------------------------------------------
@pytest.fixture
def demo_network(db):
    config = read_data("demo.json")
    for name in config["definitions"]:
        network_definition_load(data=read_data(name))
    _create_users(config, _Say(None))
    return config


@pytest.mark.parametrize("name", ["cases-chiba.json", "cases-yamagata.json"])
def test_demo_configuration_loads_and_round_trips(demo_network, name):
    data = read_data(name)
    assert name in demo_network["case_definitions"]

    counts = cases_definition_load(data=data)

    assert counts["routing_rules"] == len(data["routing_rules"]) >= 6
    assert counts["training_examples"] >= 10 * 8  # at least ten per top-level category
    assert all(rule["note"].startswith("根拠: 0") for rule in data["routing_rules"])  # each cites the plan
    assert data["routing_rules"][-1]["conditions"] == {}  # the default rule comes last
    dumped = cases_definition_dump(data["region"])
    assert cases_definition_load(data=dumped)["changed"] == 0
    assert "架空" in " ".join(data["note"])


def test_demo_configuration_follows_the_plans(demo_network):
    for name in demo_network["case_definitions"]:
        cases_definition_load(data=read_data(name))
    chiba = cases_definition_dump("chiba")
    yamagata = cases_definition_dump("yamagata")

    assert chiba["window"] == "千葉県商工労働部産業振興課"
    steps = chiba["ladders"][0]["steps"]
    assert [s["meeting"] for s in steps] == ["", "regular", "support", ""]
    assert steps[1]["owner"] == "公益財団法人千葉県産業振興センター"
    assert steps[3]["owner"] == "千葉県産業支援技術研究所" and steps[3]["external"]
    ai = chiba["routing_rules"][0]
    assert ai["lead_organization"] == "国立研究開発法人産業技術総合研究所 柏センター"
    assert "AI" in ai["conditions"]["keywords"]

    assert yamagata["window"] == "中小企業トータルサポート"
    steps = yamagata["ladders"][0]["steps"]
    assert [s["owner"] for s in steps] == [
        None,
        "中小企業トータルサポート",
        "山形県工業技術センター連携支援室",
    ]
    assert steps[2]["categories"] == ["technical", "research"] and steps[2]["external"]
    leads = {r["name"]: r["lead_organization"] for r in yamagata["routing_rules"]}
    assert leads["経営的課題・販路・補助金 → 企業振興公社"] == "公益財団法人山形県企業振興公社"
    assert leads["技術的課題 → 工業技術センター"] == "山形県工業技術センター"
