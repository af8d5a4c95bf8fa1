"""Routing rules as data: order, every condition key, inactive rules, the trace, clean_conditions, case_route."""

from __future__ import annotations

import pytest

from renkei.cases import services
from renkei.cases.choices import CaseStatus, EventKind, NotificationKind
from renkei.cases.models import Case, CaseEvent, Notification, RoutingRule
from renkei.cases.routing import CONDITION_KEYS, RoutingFacts, clean_conditions
from renkei.companies.choices import SizeClass
from renkei.core.errors import Conflict, PermissionDenied, ValidationFailed
from renkei.core.models import IndustryClass
from renkei.network.choices import OrganizationKind, StaffRole
from renkei.network.models import Category, TargetField

from .factories import CompanyFactory, MembershipFactory, OrganizationFactory, UserFactory


@pytest.fixture
def region_rules(case_config, chiba, orgs):
    """Replace the fixture's Chiba rules by one rule per condition key, then a catch-all."""
    RoutingRule.objects.filter(region=chiba).delete()
    univ = OrganizationFactory(name="千葉大学", kind=OrganizationKind.ACADEMIA, region=chiba)
    leads = {key: OrganizationFactory(name=f"{key}の機関", region=chiba) for key in CONDITION_KEYS}
    conditions = {
        "categories": ["research"],
        "fields": ["digital"],
        "keywords": ["IoT", "ＡＩ"],
        "size_classes": [SizeClass.LARGE],
        "jsic_prefixes": ["29"],
        "channels": ["seminar"],
        "stages": ["funding"],
    }
    for position, key in enumerate(CONDITION_KEYS, start=1):
        RoutingRule.objects.create(
            region=chiba,
            position=position * 10,
            name=f"{key}のルール",
            conditions={key: conditions[key]},
            lead_organization=leads[key],
        )
    RoutingRule.objects.create(
        region=chiba, position=1000, name="その他", conditions={}, lead_organization=univ
    )
    return {"leads": leads, "catch_all": univ}


def preview(region, **facts):
    return services.route_preview(region.pk, RoutingFacts(**facts))


@pytest.mark.parametrize(
    ("key", "facts"),
    [
        ("categories", {"category": "research"}),
        ("categories", {"category": "research-seeds", "category_parent": "research"}),  # a child matches
        ("fields", {"field": "digital"}),
        ("fields", {"field": "digital-dx", "field_parent": "digital"}),
        ("keywords", {"text": "工場のｉｏｔ化を進めたい"}),  # NFKC and case-folded
        ("keywords", {"text": "AIで検査を自動化"}),  # a full-width keyword matches half-width text
        ("size_classes", {"size_class": SizeClass.LARGE}),
        ("jsic_prefixes", {"jsic_code": "2921"}),
        ("channels", {"channel": "seminar"}),
        ("stages", {"stage": "funding"}),
    ],
)
def test_each_condition_key_routes(chiba, region_rules, key, facts):
    winner, traces = preview(chiba, **facts)
    assert winner is not None
    assert winner.lead_organization_id == region_rules["leads"][key].pk
    assert winner.name == f"{key}のルール"
    held = [c for c in winner.checks if c.held]
    assert [c.key for c in held] == [key]
    assert held[0].label == CONDITION_KEYS[key]


def test_nothing_special_falls_through_to_the_catch_all(chiba, region_rules):
    winner, traces = preview(chiba, category="management", text="資金繰りの相談", channel="phone")
    assert winner.lead_organization_id == region_rules["catch_all"].pk
    assert [t.held for t in traces] == [False] * 7 + [True]
    reasons = {t.checks[0].key: t.checks[0].why for t in traces[:7]}
    assert reasons == {
        "categories": "相談区分が一致しません",
        "fields": "支援対象分野が一致しません",
        "keywords": "キーワードを含みません",
        "size_classes": "企業規模が一致しません",
        "jsic_prefixes": "産業分類が一致しません",
        "channels": "受付経路が一致しません",
        "stages": "事業段階が一致しません",
    }
    assert traces[-1].checks == []  # a rule without conditions matches everything


def test_the_trace_says_why_a_condition_held(chiba, region_rules):
    _, traces = preview(chiba, category="research", text="IoT", jsic_code="2921", channel="seminar")
    by_name = {t.name: t for t in traces}
    assert by_name["categoriesのルール"].checks[0].why == "該当: research"
    assert by_name["keywordsのルール"].checks[0].why == "含む: IoT"
    assert by_name["jsic_prefixesのルール"].checks[0].why == "該当: 29"
    assert by_name["channelsのルール"].checks[0].why == "該当: seminar"
    assert by_name["categoriesのルール"].checks[0].wanted == ["research"]


def test_rule_order_decides_and_every_rule_is_traced(chiba, region_rules):
    winner, traces = preview(chiba, category="research", channel="seminar")
    assert winner.name == "categoriesのルール"  # position 10 beats channels at 60
    assert [t.position for t in traces] == sorted(t.position for t in traces)
    assert [t.name for t in traces if t.held] == ["categoriesのルール", "channelsのルール", "その他"]


def test_all_conditions_of_a_rule_must_hold(chiba, orgs, case_config):
    RoutingRule.objects.filter(region=chiba).delete()
    RoutingRule.objects.create(
        region=chiba,
        position=1,
        name="技術かつセミナー",
        conditions={"categories": ["technical"], "channels": ["seminar"]},
        lead_organization=orgs["chiba_lab"],
    )
    winner, traces = preview(chiba, category="technical", channel="phone")
    assert winner is None
    assert [(c.key, c.held) for c in traces[0].checks] == [("categories", True), ("channels", False)]
    winner, _ = preview(chiba, category="technical", channel="seminar")
    assert winner.lead_organization_id == orgs["chiba_lab"].pk


def test_inactive_rules_are_skipped(chiba, region_rules):
    RoutingRule.objects.filter(region=chiba, name="categoriesのルール").update(is_active=False)
    winner, traces = preview(chiba, category="research", channel="seminar")
    assert winner.name == "channelsのルール"
    assert "categoriesのルール" not in [t.name for t in traces]


def test_rules_of_another_region_never_apply(case_config, yamagata, chiba):
    winner, traces = preview(yamagata, category="technical")
    assert winner is None and traces == []


def test_empty_values_in_a_condition_match_everything(chiba, orgs, case_config):
    RoutingRule.objects.filter(region=chiba).delete()
    RoutingRule.objects.create(
        region=chiba,
        position=1,
        name="空の条件",
        conditions={"keywords": ["", " "]},
        lead_organization=orgs["chiba_lab"],
    )
    winner, traces = preview(chiba, text="何でも")
    assert winner is not None and traces[0].checks == []


# --- clean_conditions ----------------------------------------------------------------------------------------


def test_clean_conditions_accepts_lists_and_comma_strings():
    assert clean_conditions(None) == {}
    assert clean_conditions("") == {}
    assert clean_conditions({}) == {}
    assert clean_conditions(
        {"keywords": "ＩｏＴ、AI, 画像処理", "categories": ["technical", " ", ""], "stages": []}
    ) == {"keywords": ["IoT", "AI", "画像処理"], "categories": ["technical"]}


def test_clean_conditions_names_every_bad_key():
    with pytest.raises(ValidationFailed) as exc:
        clean_conditions(
            {"category": ["technical"], "keywords": [1, 2], "channels": {"a": 1}, "fields": ["ok"]}
        )
    errors = exc.value.field_errors
    assert set(errors) == {"conditions.category", "conditions.keywords", "conditions.channels"}
    assert "条件「category」はありません" in errors["conditions.category"][0]
    assert "categories" in errors["conditions.category"][0]  # the message lists the keys one may use
    assert errors["conditions.keywords"] == ["文字列のリストで指定してください。"]


@pytest.mark.parametrize("raw", [["technical"], "technical", 3, 0.5])
def test_clean_conditions_wants_an_object(raw):
    with pytest.raises(ValidationFailed) as exc:
        clean_conditions(raw, field_prefix="rules.0.conditions")
    assert list(exc.value.field_errors) == ["rules.0.conditions"]


# --- case_route ---------------------------------------------------------------------------------------------


@pytest.fixture
def secretariat(make_staff, case_config):
    return make_staff("chiba_pref", StaffRole.SECRETARIAT)


def new_case(actor, **data):
    return services.case_create(actor=actor, data={"text": "相談内容です", "channel": "phone", **data})


def test_routing_by_the_rules_from_the_case(secretariat, orgs, chiba):
    case = new_case(secretariat, category="technical")
    routed = services.case_route(actor=secretariat, case_id=case.pk)
    assert routed.lead_organization == orgs["chiba_lab"]
    assert routed.status == CaseStatus.ROUTED
    event = CaseEvent.objects.filter(case=case, kind=EventKind.ROUTED).get()
    assert event.data["rule"] == "技術的課題は産技研"
    assert "ルール: 技術的課題は産技研" in event.text
    other = new_case(secretariat, category="management")
    assert services.case_route(actor=secretariat, case_id=other.pk).lead_organization == orgs["chiba_pref"]


def test_routing_facts_come_from_the_case_and_its_company(secretariat, orgs, chiba, region_rules):
    parent = Category.objects.get(code="research")
    child = Category.objects.create(code="research-seeds", name="シーズ探索", parent=parent)
    field = TargetField.objects.create(region=chiba, code="digital", name="デジタル")
    jsic = IndustryClass.objects.filter(level=4, code__startswith="29").first()
    company = CompanyFactory(owner_organization=orgs["chiba_pref"], jsic=jsic, size_class=SizeClass.LARGE)
    case = new_case(
        secretariat,
        title="ＩｏＴの件",
        category=child.code,
        target_field="digital",
        company_id=company.pk,
        stage="funding",
        channel="seminar",
    )
    facts = services.routing_facts(Case.objects.get(pk=case.pk))
    assert facts.category == "research-seeds" and facts.category_parent == "research"
    assert facts.field == "digital" and facts.field_parent == ""
    assert facts.size_class == SizeClass.LARGE and facts.jsic_code == jsic.code
    assert (facts.channel, facts.stage) == ("seminar", "funding")
    assert "IoT" in facts.text
    winner, traces = services.route_preview(chiba.pk, facts)
    assert winner.name == "categoriesのルール"
    assert all(t.held for t in traces)  # every single-key rule holds for this case
    assert field.region == chiba


def test_no_rule_matches_asks_for_a_lead(secretariat, chiba, orgs):
    RoutingRule.objects.filter(region=chiba, conditions={}).delete()
    case = new_case(secretariat, category="management")
    events = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(Conflict) as exc:
        services.case_route(actor=secretariat, case_id=case.pk)
    assert exc.value.field_errors["lead_organization_id"][0].startswith("当てはまる振分けルールがありません")
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RECEIVED
    assert CaseEvent.objects.filter(case=case).count() == events


def test_a_chosen_lead_must_be_in_the_region(secretariat, orgs):
    case = new_case(secretariat)
    with pytest.raises(ValidationFailed) as exc:
        services.case_route(
            actor=secretariat, case_id=case.pk, lead_organization_id=orgs["yamagata_center"].pk
        )
    assert "地域内の機関" in exc.value.field_errors["lead_organization_id"][0]
    with pytest.raises(ValidationFailed) as exc:
        services.case_route(actor=secretariat, case_id=case.pk, lead_organization_id=987654)
    assert exc.value.field_errors == {"lead_organization_id": ["主担当機関が見つかりません。"]}
    assert Case.objects.get(pk=case.pk).lead_organization == orgs["chiba_pref"]


def test_the_rules_default_assignee_is_assigned_and_notified(secretariat, chiba, orgs, make_staff):
    lab_member = make_staff("chiba_lab", StaffRole.MEMBER)
    lab_other = make_staff("chiba_lab", StaffRole.COORDINATOR)
    RoutingRule.objects.filter(region=chiba, position=1).update(default_assignee=lab_member)
    case = new_case(secretariat, category="technical")
    routed = services.case_route(actor=secretariat, case_id=case.pk)
    assert routed.assignee == lab_member
    notified = list(Notification.objects.filter(case=case).values_list("user_id", "kind"))
    assert notified == [(lab_member.pk, NotificationKind.ASSIGNED)]
    assert lab_other.pk not in [u for u, _ in notified]


def test_without_an_assignee_the_lead_bodys_writers_are_notified(secretariat, chiba, orgs, make_staff):
    writers = [make_staff("chiba_lab", role) for role in (StaffRole.MEMBER, StaffRole.COORDINATOR)]
    viewer = make_staff("chiba_lab", StaffRole.VIEWER)
    case = new_case(secretariat, category="technical")
    services.case_route(actor=secretariat, case_id=case.pk)
    notified = set(
        Notification.objects.filter(case=case, kind=NotificationKind.ASSIGNED).values_list(
            "user_id", flat=True
        )
    )
    assert notified == {w.pk for w in writers}
    assert viewer.pk not in notified


def test_an_assignee_must_write_for_the_lead_body(secretariat, orgs, make_staff):
    viewer = make_staff("chiba_lab", StaffRole.VIEWER)
    outsider = make_staff("chiba_pref", StaffRole.MEMBER)
    case = new_case(secretariat)
    for user in (viewer, outsider):
        with pytest.raises(ValidationFailed) as exc:
            services.case_route(
                actor=secretariat,
                case_id=case.pk,
                lead_organization_id=orgs["chiba_lab"].pk,
                assignee_id=user.pk,
            )
        assert list(exc.value.field_errors) == ["assignee_id"]
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RECEIVED


def test_a_bank_case_is_never_routed_to_another_bank(case_config, orgs, chiba):
    banker = UserFactory(username="bank-a")
    MembershipFactory(user=banker, organization=orgs["chiba_bank_a"], role=StaffRole.MEMBER)
    case = services.case_create(actor=banker, data={"text": "融資先の技術相談", "channel": "bank"})
    with pytest.raises(PermissionDenied) as exc:
        services.case_route(actor=banker, case_id=case.pk, lead_organization_id=orgs["chiba_bank_b"].pk)
    assert "金融機関" in exc.value.message
    # Nor through a rule.
    RoutingRule.objects.filter(region=chiba).delete()
    RoutingRule.objects.create(region=chiba, position=1, name="銀行B", lead_organization=orgs["chiba_bank_b"])
    with pytest.raises(PermissionDenied):
        services.case_route(actor=banker, case_id=case.pk)
    assert Case.objects.get(pk=case.pk).lead_organization == orgs["chiba_bank_a"]
    # To a non-bank body it goes.
    routed = services.case_route(actor=banker, case_id=case.pk, lead_organization_id=orgs["chiba_lab"].pk)
    assert routed.lead_organization == orgs["chiba_lab"]
