"""Import research seeds from a KAKEN (科研費データベース) CSV export.

The header is KAKEN's: 研究課題/領域番号, 研究課題名, 研究課題名 (英文), 教員名, 研究代表者, キーワード, 研究分野,
研究内容, 研究内容 (英文). One ResearchSeed per row (external_id = 課題番号); its researcher is parsed from
研究代表者 (「宮元 展義 福岡工業大学, 工学部, 准教授 (80391267)」 → name, affiliation 「福岡工業大学 工学部 准教授」,
KAKEN researcher number 80391267) and registered once per researcher number (else per name and affiliation).
The institution is the affiliation's first part, linked to the network's organization of that name when there is
one. A row with neither 研究課題名 nor 研究内容 is an error; a missing 研究内容 alone is fine.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO

from django.contrib.auth.models import User

from renkei.core.tabular import RowError, TabularError, data_rows, read_table, undecodable_message
from renkei.core.text import nfkc, squash_spaces
from renkei.network.models import Region
from renkei.network.selectors import staff_context

from ..choices import KIND_SEEDS, IpStatus, SeedStage
from ..models import CatalogSource, Researcher, ResearchSeed
from ..validation import LABELS, clean
from .common import (
    KAKEN_SOURCE,
    CatalogImportResult,
    OrganizationLookup,
    Stored,
    StoredItems,
    bulk_upsert,
    importer_region,
    refuse_importer,
    source_touch,
    source_upsert,
    update_fields_of,
    write_all,
)

# Headers (NFKC, spaces removed) → our keys. KAKEN's 「研究課題名 (英文)」 must not be read as 研究課題名.
HEADERS = {
    "研究課題/領域番号": "number",
    "研究課題番号": "number",
    "研究課題名": "title",
    "研究課題名(英文)": "title_en",
    "教員名": "teacher",
    "研究代表者": "representative",
    "キーワード": "keywords",
    "研究分野": "fields",
    "研究内容": "summary",
    "研究内容(英文)": "summary_en",
}
REQUIRED = {
    "number": "研究課題/領域番号",
    "title": "研究課題名",
    "representative": "研究代表者",
    "summary": "研究内容",
}
SEED_COLUMNS = {"title": "研究課題名", "summary": "研究内容", "keywords": "キーワード", "fields": "研究分野"}
KAKEN_URL = "https://kaken.nii.ac.jp/ja/grant/KAKENHI-PROJECT-{}/"
_NUMBER_RE = re.compile(r"^[0-9A-Z][0-9A-Z-]{3,29}$")  # 25K22302, 25KJ2239, X00210----479096
_RESEARCHER_NUMBER_RE = re.compile(r"\(\s*(\d{8})\s*\)\s*$")


def header_key(text: Any) -> str:
    return nfkc(text).replace(" ", "").replace("\u3000", "")


@dataclass
class ParsedResearcher:
    name: str
    affiliation: str
    institution: str
    number: str


def parse_representative(text: str, teacher: str = "") -> ParsedResearcher | None:
    """「宮元 展義 福岡工業大学, 工学部, 准教授 (80391267)」 → name, affiliation, institution, number.

    ``teacher`` (教員名) tells where the name ends; without it the name is all but the last word before the
    first comma.
    """
    text = squash_spaces(text)
    if not text:
        return None
    number = ""
    if m := _RESEARCHER_NUMBER_RE.search(text):
        number = m.group(1)
        text = text[: m.start()].rstrip()
    teacher = squash_spaces(teacher)
    if teacher and text.startswith(teacher):
        name, rest = teacher, text[len(teacher) :].strip()
    else:
        head, _, tail = text.partition(",")
        words = head.split(" ")
        if len(words) > 1:
            name, rest = " ".join(words[:-1]), words[-1] + ("," + tail if tail else "")
        else:
            name, rest = teacher or head, tail
    parts = [p.strip() for p in rest.split(",") if p.strip()]
    return ParsedResearcher(
        name=name, affiliation=" ".join(parts), institution=parts[0] if parts else "", number=number
    )


def split_list(text: str) -> list[str]:
    """「単分散ナノシート / 積層型ナノファイバー / 人工筋肉」 → the three words (duplicates dropped)."""
    out: list[str] = []
    for part in re.split(r"\s+/\s+", squash_spaces(text)):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


@dataclass
class _Person:
    key: tuple[str, ...]
    parsed: ParsedResearcher
    first_row: int
    fields: list[str] = field(default_factory=list)
    obj: Researcher | None = None


def import_kaken(
    source: str | os.PathLike | BinaryIO | IO[bytes],
    *,
    actor: User,
    region: Region | None = None,
    dry_run: bool = False,
    filename: str | None = None,
) -> CatalogImportResult:
    """Validate every row and, unless ``dry_run`` or any row is bad, create or update all seeds and researchers.

    ``region``: the region that maintains the imported items (a secretariat's own by default; a superuser's
    import without a region is national data).
    """
    result = CatalogImportResult(dry_run=dry_run, noun="研究シーズ")
    ctx = staff_context(actor)
    if reason := refuse_importer(ctx, region):
        result.add_file_error(reason)
        return result
    region = importer_region(ctx, region)
    try:
        table = read_table(source, filename=filename, is_header=lambda h: header_key(h) in HEADERS)
    except TabularError as exc:
        result.add_file_error(exc.message)
        return result
    result.source_format = table.source_format
    index: dict[str, int] = {}
    unknown = []
    for i, h in enumerate(table.headers):
        key = HEADERS.get(header_key(h))
        if key is None:
            if h:
                unknown.append(h)
        elif key not in index:
            index[key] = i
    missing = [label for key, label in REQUIRED.items() if key not in index]
    if missing:
        result.add_file_error(
            f"KAKEN の CSV の見出しではありません。必須の列 {'、'.join(f'「{m}」' for m in missing)} がありません"
            f"（読み取った見出し: {'、'.join(h for h in table.headers if h) or 'なし'}）。"
        )
        return result
    if unknown:
        result.warnings.append(f"列 {'、'.join(f'「{h}」' for h in unknown)} は取り込みません。")

    orgs = OrganizationLookup(region)
    kaken = CatalogSource.objects.filter(name=KAKEN_SOURCE.name).first()
    stored = StoredItems(ResearchSeed, kaken, ctx, noun="研究シーズ")
    people = _existing_people(kaken)
    persons: dict[tuple[str, ...], _Person] = {}
    rows: list[tuple[int, dict[str, Any], str, tuple[str, ...] | None]] = []
    first_row_of: dict[str, int] = {}

    def cell(cells: Any, key: str) -> str:
        i = index.get(key)
        value = cells[i] if i is not None and i < len(cells) else None
        return "" if value is None else str(value).strip()

    for number_row, cells, undecodable in data_rows(table, result):
        if undecodable:
            result.errors.append(RowError(number_row, "", undecodable_message(table)))
            continue
        number = nfkc(cell(cells, "number")).upper()
        errors: list[RowError] = []
        if not number:
            errors.append(RowError(number_row, REQUIRED["number"], "研究課題番号がありません。"))
        elif not _NUMBER_RE.match(number):
            errors.append(
                RowError(
                    number_row, REQUIRED["number"], f"研究課題番号「{number[:20]}」の形式が正しくありません。"
                )
            )
        elif number in first_row_of:
            errors.append(
                RowError(
                    number_row,
                    REQUIRED["number"],
                    f"研究課題番号 {number} が {first_row_of[number]}行目と重複しています。",
                )
            )
        else:
            first_row_of[number] = number_row
            if reason := stored.refusal(number):
                errors.append(RowError(number_row, REQUIRED["number"], reason))
        title, summary = cell(cells, "title"), cell(cells, "summary")
        if not title and not summary:
            errors.append(RowError(number_row, REQUIRED["title"], "研究課題名と研究内容がどちらも空です。"))
        raw = {
            "title": title or summary[:60],
            "summary": summary,
            "keywords": split_list(cell(cells, "keywords")),
            "fields": split_list(cell(cells, "fields")),
        }
        cleaned = clean(KIND_SEEDS, raw)
        for e in cleaned.errors:
            if title or summary:
                column = SEED_COLUMNS.get(e.field, LABELS[KIND_SEEDS].get(e.field, e.field))
                errors.append(RowError(number_row, column, e.message))
        parsed = parse_representative(cell(cells, "representative"), cell(cells, "teacher"))
        person_key = None
        if parsed is not None and parsed.name:
            if len(parsed.name) > 100 or len(parsed.affiliation) > 300:
                errors.append(
                    RowError(
                        number_row, REQUIRED["representative"], "研究代表者の氏名または所属が長すぎます。"
                    )
                )
            person_key = ("n", parsed.number) if parsed.number else ("a", parsed.name, parsed.affiliation)
            person = persons.get(person_key)
            if person is None:
                person = persons[person_key] = _Person(person_key, parsed, number_row)
            for f in cleaned.values.get("fields", []):
                if f not in person.fields:
                    person.fields.append(f)
        result.errors.extend(errors)
        if not errors and not result.errors:
            rows.append((number_row, cleaned.values, number, person_key))
    if result.errors or dry_run:
        result.updated = sum(1 for _, _, n, _ in rows if stored.get(n))
        return result

    def write() -> None:
        src = source_upsert(KAKEN_SOURCE)
        researchers = []
        for person in persons.values():
            p = person.parsed
            org, _ = orgs.find(p.institution)
            known = people.get(person.key)
            obj = Researcher(
                pk=known.pk if known else None,
                name=p.name,
                affiliation=p.affiliation,
                organization=org,
                fields=person.fields[:100],
                kaken_researcher_number=p.number,
                external_id=p.number,
                region=region,
                source=src,
                created_by=actor,
            )
            person.obj = obj
            if known is None or stored.may_update(known):  # else only linked: someone else's researcher
                researchers.append(obj)
        researcher_fields = update_fields_of(
            Researcher, keep=("is_public", "kana", "researchmap_id", "region")
        )
        bulk_upsert(Researcher, researchers, update_fields=researcher_fields, source=src)
        seeds = []
        for _, values, number, person_key in rows:
            person = persons.get(person_key) if person_key else None
            p = person.parsed if person else None
            org, _ = orgs.find(p.institution) if p else (None, None)
            institution_name = "" if org is not None else (p.institution if p else "")
            seeds.append(
                ResearchSeed(
                    pk=stored.pk(number),
                    **values,
                    researcher=person.obj if person else None,
                    institution=org,
                    institution_name=institution_name[:200],
                    ip_status=IpStatus.UNKNOWN,
                    stage=SeedStage.BASIC,
                    contact_route=_contact_route(org.name if org else institution_name),
                    url=KAKEN_URL.format(number),
                    external_id=number,
                    region=region,
                    source=src,
                    created_by=actor,
                )
            )
        seed_fields = update_fields_of(
            ResearchSeed, keep=("is_public", "ip_status", "stage", "contact_route", "region")
        )
        bulk_upsert(ResearchSeed, seeds, update_fields=seed_fields, source=src)
        source_touch(src)
        result.updated = sum(1 for _, _, number, _ in rows if stored.get(number))
        result.created = len(seeds) - result.updated
        result.extra["研究者"] = len(persons)

    write_all(result, write)
    return result


def _contact_route(institution: str) -> str:
    return f"{institution}の産学連携窓口を通じて" if institution else "所属機関の産学連携窓口を通じて"


def _existing_people(kaken: CatalogSource | None) -> dict[tuple[str, ...], Stored]:
    """Researcher key (number, else name and affiliation) → those already imported from KAKEN."""
    if kaken is None:
        return {}
    out: dict[tuple[str, ...], Stored] = {}
    rows = Researcher.objects.filter(source=kaken).values_list(
        "pk", "kaken_researcher_number", "name", "affiliation", "organization_id", "region_id"
    )
    for pk, number, name, affiliation, owner_id, region_id in rows:
        out[("n", number) if number else ("a", name, affiliation)] = Stored(pk, owner_id, region_id)
    return out
