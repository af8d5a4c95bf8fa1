"""The demo catalog: the real KAKEN and jGrants samples and the fictitious equipment, tests and programs."""

from __future__ import annotations

import json

from renkei.catalog.models import (
    CatalogSource,
    Equipment,
    Researcher,
    ResearchSeed,
    SupportProgram,
    TestService,
)
from renkei.demo.catalog import DATA, load_demo_catalog
from renkei.demo.loader import read_data
from renkei.network.definition import network_definition_load


def load_network() -> None:
    for name in read_data("demo.json")["definitions"]:
        network_definition_load(data=read_data(name))


def test_demo_catalog_loads_real_samples_and_marked_fiction_idempotently(superuser):
    load_network()
    lines: list[str] = []

    counts = load_demo_catalog(superuser, lines.append)

    assert counts == {
        "seeds": 408,
        "researchers": 207,
        "programs": 461 + 17,
        "equipment": 63,
        "test-services": 40,
    }
    assert len(lines) == 5 and "デモ用の架空データ" in lines[-1]
    demo = CatalogSource.objects.get(is_fictitious=True)
    assert demo.item_count == 63 + 40 + 17 and "架空" in demo.attribution
    assert Equipment.objects.exclude(source=demo).count() == 0
    assert set(Equipment.objects.values_list("organization__region__slug", flat=True)) >= {
        "chiba",
        "yamagata",
        "tokyo",
    }
    chamber = Equipment.objects.get(external_id="DEMO-EQ-018")
    assert chamber.name == "10m法電波暗室" and chamber.category == "electrical"
    assert chamber.organization.name == "千葉県東葛テクノプラザ"
    esd = TestService.objects.select_related("equipment").get(external_id="DEMO-TS-016")
    assert (esd.standard, esd.fee_yen, esd.equipment.name) == ("JIS C 61000-4-2", 6600, "静電気放電試験器")
    fund = SupportProgram.objects.get(external_id="DEMO-PG-009")
    assert fund.eligibility["employees"] == {"min": None, "max": 100}
    assert (fund.rate_numerator, fund.rate_denominator, fund.fiscal_year) == (2, 3, 2025)
    assert fund.region.slug == "chiba" and fund.organization.name == "公益財団法人千葉県産業振興センター"
    startup = SupportProgram.objects.get(external_id="DEMO-PG-017")
    assert startup.eligibility["municipalities"] == ["062031", "062049"]

    again = load_demo_catalog(superuser)

    assert again == counts
    assert (ResearchSeed.objects.count(), Researcher.objects.count(), SupportProgram.objects.count()) == (
        408,
        207,
        478,
    )
    assert Equipment.objects.count() == 63 and TestService.objects.count() == 40


def test_demo_catalog_data_files_carry_their_credit_and_fiction_notes():
    assert "CC BY 4.0" in (DATA / "kaken-SOURCE.txt").read_text(encoding="utf-8")
    assert "政府標準利用規約" in (DATA / "jgrants-SOURCE.txt").read_text(encoding="utf-8")
    for name in ("equipment.json", "test-services.json", "programs.json"):
        assert "架空" in json.loads((DATA / name).read_text(encoding="utf-8"))["note"]
