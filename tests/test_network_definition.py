"""The network definition loader/dumper: upsert by natural keys, all-or-nothing, errors by JSON path."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from renkei.core.errors import ValidationFailed
from renkei.demo.loader import read_data
from renkei.network.definition import FORMAT, network_definition_dump, network_definition_load
from renkei.network.models import (
    Capability,
    Category,
    Organization,
    OrganizationRole,
    PartnerNetwork,
    PartnerNetworkMember,
    Region,
    TargetField,
)

MODELS = (Region, TargetField, Category, Capability, Organization, OrganizationRole, PartnerNetwork)


def definition() -> dict[str, Any]:
    """A small but complete definition: two regions, a parent/child pair, roles with tags and categories."""
    return {
        "format": FORMAT,
        "regions": [
            {
                "prefecture": "12",
                "name": "千葉県",
                "slug": "chiba",
                "is_home": True,
                "plan_name": "テスト連携支援計画",
                "fields": [
                    {"code": "digital", "name": "デジタル", "children": [{"code": "iot", "name": "IoT"}]},
                    {"code": "health", "name": "ヘルスケア"},
                ],
            },
            {"prefecture": "13", "name": "東京都", "slug": "tokyo", "is_home": False},
        ],
        "categories": [
            {"code": "unclassified", "name": "内容分類前"},
            {
                "code": "technical",
                "name": "技術的課題",
                "children": [{"code": "testing", "name": "試験・分析"}],
            },
        ],
        "capabilities": ["食品", "電子", "EMC"],
        "organizations": [
            {"region": "chiba", "name": "千葉県", "kind": "government", "is_plan_member": True},
            {
                "region": "chiba",
                "name": "テスト技術研究所",
                "parent": "千葉県",
                "kind": "官",
                "postal_code": "２６４００１７",
                "address": "千葉県千葉市若葉区テスト町1-1",
                "fields": ["iot", "health"],
                "roles": [
                    {
                        "text": "電子に関する技術相談",
                        "capabilities": ["電子", "EMC"],
                        "accepts_categories": ["technical", "testing"],
                    },
                    {"text": "依頼試験", "valid_from": "2024-04-01"},
                ],
            },
            {"region": "chiba", "name": "テスト銀行", "kind": "finance"},
            {"region": "tokyo", "name": "東京テスト研究センター", "kind": "government"},
        ],
        "partner_networks": [
            {
                "name": "テスト広域連携会議",
                "short_name": "TKN",
                "founded_fiscal_year": "平成17年度",
                "members": [
                    {"organization": "テスト技術研究所", "region": "chiba"},
                    {"organization": "東京テスト研究センター", "region": "tokyo", "note": "関東部会"},
                ],
            }
        ],
    }


def row_counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS} | {"members": PartnerNetworkMember.objects.count()}


def test_load_creates_everything_with_references_resolved(db):
    counts = network_definition_load(data=definition())

    assert counts["regions"] == 2 and counts["organizations"] == 4 and counts["organizations_created"] == 4
    assert counts["roles"] == 2 and counts["partner_network_members"] == 2
    chiba = Region.objects.get(prefecture_id="12")
    assert (chiba.slug, chiba.is_home, chiba.plan_name) == ("chiba", True, "テスト連携支援計画")
    assert Region.objects.get(slug="tokyo").is_home is False
    assert TargetField.objects.get(region=chiba, code="iot").parent.code == "digital"
    assert Category.objects.get(code="testing").parent.code == "technical"
    lab = Organization.objects.get(region=chiba, name="テスト技術研究所")
    assert lab.parent.name == "千葉県"
    assert lab.kind == "government"  # 「官」 is accepted for government
    assert lab.postal_code == "264-0017"  # full-width digits normalised
    assert sorted(f.code for f in lab.fields.all()) == ["health", "iot"]
    first, second = lab.roles.order_by("sort_order")
    assert sorted(c.name for c in first.capabilities.all()) == ["EMC", "電子"]
    assert sorted(c.code for c in first.accepts_categories.all()) == ["technical", "testing"]
    assert second.valid_from.isoformat() == "2024-04-01"
    network = PartnerNetwork.objects.get(name="テスト広域連携会議")
    assert network.founded_fiscal_year == 2005
    assert network.memberships.get(organization__name="東京テスト研究センター").note == "関東部会"


def test_loading_twice_changes_nothing_and_keeps_ids(db):
    network_definition_load(data=definition())
    before = row_counts()
    role_ids = sorted(OrganizationRole.objects.values_list("id", flat=True))
    org_ids = sorted(Organization.objects.values_list("id", flat=True))
    dumped = network_definition_dump()

    counts = network_definition_load(data=definition())

    assert counts["organizations_created"] == 0
    assert row_counts() == before
    assert sorted(OrganizationRole.objects.values_list("id", flat=True)) == role_ids
    assert sorted(Organization.objects.values_list("id", flat=True)) == org_ids
    assert network_definition_dump() == dumped


def test_roles_and_members_are_replaced_and_omitted_keys_become_blank(db):
    network_definition_load(data=definition())
    role_id = OrganizationRole.objects.get(text="電子に関する技術相談").pk
    data = definition()
    lab = data["organizations"][1]
    lab["roles"] = [{"text": "電子・EMCに関する技術相談", "capabilities": ["EMC"]}]
    del lab["address"]
    data["partner_networks"][0]["members"] = data["partner_networks"][0]["members"][:1]

    network_definition_load(data=data)

    org = Organization.objects.get(name="テスト技術研究所")
    roles = list(org.roles.all())
    assert [(r.pk, r.text) for r in roles] == [(role_id, "電子・EMCに関する技術相談")]
    assert [c.name for c in roles[0].capabilities.all()] == ["EMC"]
    assert not roles[0].accepts_categories.exists()
    assert org.address == ""
    assert list(PartnerNetworkMember.objects.values_list("organization__name", flat=True)) == [
        "テスト技術研究所"
    ]


def test_a_definition_may_refer_to_what_the_database_already_holds(db):
    base = definition()
    network_definition_load(data=base)
    addition = {
        "organizations": [
            {
                "region": "chiba",
                "name": "テスト試験場",
                "parent": "テスト技術研究所",
                "kind": "government",
                "fields": ["digital"],
                "roles": [{"text": "受託試験", "capabilities": ["食品"], "accepts_categories": ["testing"]}],
            }
        ],
        "partner_networks": [
            {"name": "別の会議", "members": [{"organization": "東京テスト研究センター", "region": "tokyo"}]}
        ],
    }

    network_definition_load(data=addition)

    child = Organization.objects.get(name="テスト試験場")
    assert child.parent.name == "テスト技術研究所"
    assert child.roles.get().accepts_categories.get().code == "testing"
    assert PartnerNetwork.objects.get(name="別の会議").members.get().name == "東京テスト研究センター"


def test_dump_then_load_of_the_demo_network_is_stable(db):
    for name in read_data("demo.json")["definitions"]:
        network_definition_load(data=read_data(name))
    first = network_definition_dump()
    before = row_counts()

    counts = network_definition_load(data=first)

    assert counts["organizations_created"] == 0
    assert row_counts() == before
    assert network_definition_dump() == first
    assert first["format"] == FORMAT
    assert {r["slug"] for r in first["regions"]} >= {"chiba", "yamagata", "tokyo"}


def test_dump_is_loadable_into_an_empty_database_with_the_same_result(db):
    network_definition_load(data=definition())
    dumped = network_definition_dump()
    for model in (PartnerNetwork, OrganizationRole):
        model.objects.all().delete()
    Organization.objects.filter(parent__isnull=False).delete()
    Organization.objects.all().delete()
    Region.objects.all().delete()
    Category.objects.filter(parent__isnull=False).delete()
    Category.objects.all().delete()
    Capability.objects.all().delete()

    network_definition_load(data=dumped)

    assert network_definition_dump() == dumped


def _set(path: str, value: Any):
    """A mutation setting ``data[path] = value``; path like 'organizations[1].parent'."""

    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        parts = path.replace("]", "").replace("[", ".").split(".")
        for part in parts[:-1]:
            target = target[int(part)] if part.isdigit() else target[part]
        last = parts[-1]
        if last.isdigit():
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


BAD = [
    ("organizations[1].parent", "存在しない県", "上位機関「存在しない県」が地域「chiba」に見つかりません"),
    ("organizations[1].kind", "大学", "種別「大学」は使えません"),
    ("organizations[2].region", "saitama", "地域「saitama」が見つかりません"),
    ("organizations[1].roles[0].capabilities[1]", "ＥＭＣ", "対応分野タグ「ＥＭＣ」が定義されていません"),
    ("organizations[1].roles[0].accepts_categories[0]", "tech", "相談区分「tech」が定義されていません"),
    ("organizations[1].fields[0]", "robot", "支援対象分野「robot」は地域「chiba」に定義されていません"),
    ("organizations[1].postal_code", "264-001", "郵便番号は数字7桁"),
    ("organizations[2].url", "www.example.jp", "URLは http:// または https://"),
    ("organizations[3].name", "", "名称を入力してください"),
    ("regions[1].prefecture", "99", "都道府県コード「99」はありません"),
    ("regions[1].slug", "chiba", "識別子「chiba」が重複しています"),
    ("partner_networks[0].members[1].organization", "大阪テスト研究所", "機関「大阪テスト研究所」が地域「tokyo」に見つかりません"),
    ("partner_networks[0].members[1].region", "osaka", "地域「osaka」が見つかりません"),
    ("partner_networks[0].founded_fiscal_year", "昔", "発足年度は 2005 または「平成17年度」"),
    ("organizations[0].parent", "テスト技術研究所", "上位機関の指定が循環しています"),
    ("organizations[2].name", "テスト技術研究所", "機関「テスト技術研究所」が地域「chiba」に重複しています"),
    ("organizations[2].typo", "x", "不明な項目「typo」があります"),
    ("categories[1].children[0].children", [{"code": "x", "name": "x"}], "相談区分は2階層までです"),
    ("capabilities", "食品", "一覧（JSON の配列）で指定してください"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "value", "message"), BAD, ids=[b[0] for b in BAD])
def test_each_bad_entry_is_reported_by_path_in_japanese_and_nothing_is_written(db, path, value, message):
    data = definition()
    _set(path, value)(data)

    with pytest.raises(ValidationFailed) as caught:
        network_definition_load(data=data)

    errors = caught.value.field_errors
    assert path in errors, errors
    assert any(message in m for m in errors[path]), errors[path]
    assert caught.value.status == 422
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_a_failed_reload_leaves_the_previous_state_untouched(db):
    network_definition_load(data=definition())
    before = network_definition_dump()
    data = definition()
    data["regions"][0]["plan_name"] = "変更後の計画名"
    data["organizations"][1]["roles"] = []
    data["partner_networks"][0]["members"][0]["organization"] = "ない機関"

    with pytest.raises(ValidationFailed):
        network_definition_load(data=data)

    assert network_definition_dump() == before


def test_every_problem_is_reported_at_once(db):
    data = definition()
    data["organizations"][1]["parent"] = "ない親"
    data["organizations"][1]["roles"][0]["capabilities"] = ["ない能力"]
    data["partner_networks"][0]["members"][0]["region"] = "nowhere"

    with pytest.raises(ValidationFailed) as caught:
        network_definition_load(data=data)

    assert set(caught.value.field_errors) == {
        "organizations[1].parent",
        "organizations[1].roles[0].capabilities[0]",
        "partner_networks[0].members[0].region",
    }


def test_parent_in_another_region_needs_parent_region(db):
    data = definition()
    data["organizations"][3]["parent"] = "千葉県"
    with pytest.raises(ValidationFailed) as caught:
        network_definition_load(data=copy.deepcopy(data))
    assert "organizations[3].parent" in caught.value.field_errors

    data["organizations"][3]["parent_region"] = "chiba"
    network_definition_load(data=data)

    tokyo_body = Organization.objects.get(name="東京テスト研究センター")
    assert (tokyo_body.region.slug, tokyo_body.parent.region.slug) == ("tokyo", "chiba")
    dumped = network_definition_dump()
    assert {"parent": "千葉県", "parent_region": "chiba"}.items() <= next(
        o for o in dumped["organizations"] if o["name"] == "東京テスト研究センター"
    ).items()


def test_a_definition_that_is_not_an_object_is_refused(db):
    with pytest.raises(ValidationFailed) as caught:
        network_definition_load(data=["not", "a", "definition"])  # type: ignore[arg-type]
    assert "$" in caught.value.field_errors
