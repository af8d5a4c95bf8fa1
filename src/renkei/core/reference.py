"""Loading the reference data shipped in ``renkei/core/data`` (see data/SOURCE.md)."""

from __future__ import annotations

import csv
import json
from importlib import resources

DATA = resources.files("renkei.core") / "data"


def read_prefectures() -> list[dict]:
    with (DATA / "prefectures.csv").open(encoding="utf-8-sig") as f:
        return [
            {
                "code": f"{int(r['pid']):02d}",
                "lgcode": r["lgcode"].zfill(6),
                "name": r["pref"],
                "kana": r["prefkana"],
                "name_en": r["pref_en"],
            }
            for r in csv.DictReader(f)
        ]


def read_municipalities() -> list[dict]:
    with (DATA / "municipalities.csv").open(encoding="utf-8-sig") as f:
        return [
            {
                "code": r["lgcode"].zfill(6),
                "prefecture_id": f"{int(r['pid']):02d}",
                "name": r["city"].replace(" ", ""),
                "kana": r["citykana"].replace(" ", ""),
            }
            for r in csv.DictReader(f)
        ]


def read_industry_classes() -> list[dict]:
    rows = json.loads((DATA / "jsic14.json").read_text(encoding="utf-8"))
    major_of: dict[str, str] = {}
    out = []
    for r in rows:  # parents precede children in the file
        major = r["code"] if r["level"] == 1 else major_of[r["parent"]]
        major_of[r["code"]] = major
        out.append(
            {
                "code": r["code"],
                "level": r["level"],
                "name": r["name"],
                "name_en": r["name_en"] or "",
                "parent_id": r["parent"],
                "major_code": major,
                "description": r["description"] or "",
                "examples": r["examples"] or [],
            }
        )
    return out


def load_reference_data(apps) -> None:
    """Insert (or refresh) prefectures, municipalities and JSIC.

    ``apps`` is the migration's historical registry, or ``django.apps.apps`` at run time.
    """
    Prefecture = apps.get_model("core", "Prefecture")
    Municipality = apps.get_model("core", "Municipality")
    IndustryClass = apps.get_model("core", "IndustryClass")
    Prefecture.objects.bulk_create(
        [Prefecture(**r) for r in read_prefectures()],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["lgcode", "name", "kana", "name_en"],
    )
    Municipality.objects.bulk_create(
        [Municipality(**r) for r in read_municipalities()],
        update_conflicts=True,
        unique_fields=["code"],
        update_fields=["prefecture", "name", "kana"],
        batch_size=500,
    )
    classes = read_industry_classes()
    for level in (1, 2, 3, 4):  # parents first so the foreign keys hold
        IndustryClass.objects.bulk_create(
            [IndustryClass(**r) for r in classes if r["level"] == level],
            update_conflicts=True,
            unique_fields=["code"],
            update_fields=["level", "name", "name_en", "parent", "major_code", "description", "examples"],
            batch_size=500,
        )
