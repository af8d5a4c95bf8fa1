"""What the catalog importers share: sources, who may import, organization look-ups, the result, the bulk write.

Every importer validates every row first (with ``catalog.validation.clean`` and the rules of
``catalog.services.check_item_values``, the same as the services) and lists every bad row; nothing is written
unless every row is good, and then everything is written in one transaction with bulk INSERT/UPDATE in batches.
Rows already imported from the same source (same ``external_id``) are updated, never duplicated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from renkei.core.models import IndustryClass, IndustryLevel, Prefecture
from renkei.core.tabular import ImportResult
from renkei.core.text import nfkc, squash_spaces
from renkei.network.models import Organization, Region
from renkei.network.selectors import StaffContext

from ..models import CatalogSource, Equipment, Researcher, ResearchSeed, SupportProgram, TestService
from ..policies import can_write_for
from ..signals import catalog_imported

BATCH_SIZE = 500


@dataclass(frozen=True)
class SourceSpec:
    """A source as the importer records it (``CatalogSource`` is created or updated by name)."""

    name: str
    publisher: str = ""
    licence: str = ""
    attribution: str = ""
    url: str = ""
    is_fictitious: bool = False


KAKEN_SOURCE = SourceSpec(
    name="KAKEN 科学研究費助成事業データベース",
    publisher="国立情報学研究所",
    licence="CC BY 4.0",
    attribution="出典: KAKEN 科学研究費助成事業データベース（国立情報学研究所）、CC BY 4.0",
    url="https://kaken.nii.ac.jp/",
)
JGRANTS_SOURCE = SourceSpec(
    name="jGrants 補助金電子申請システム 公開API",
    publisher="デジタル庁",
    licence="政府標準利用規約（第2.0版）",
    attribution="出典: jGrants 補助金電子申請システム 公開API（デジタル庁）、政府標準利用規約（第2.0版）に基づき加工して作成",
    url="https://www.jgrants-portal.go.jp/",
)


@dataclass
class CatalogImportResult(ImportResult):
    """An ImportResult that also counts the items updated (re-imported) and the related records created."""

    updated: int = 0
    extra: dict[str, int] = field(default_factory=dict)  # e.g. {"研究者": 207}

    def summary(self) -> str:
        if self.errors or self.dry_run:
            base = super().summary()
            if self.dry_run and not self.errors and self.updated:
                base = base.replace(
                    "を登録できます", f"を登録できます（うち {self.updated:,} 件は登録済みの更新）"
                )
            return base
        parts = [f"{self.noun}: 新規 {self.created:,} 件・更新 {self.updated:,} 件"]
        parts += [f"{noun}: {n:,} 件" for noun, n in self.extra.items()]
        return f"取り込みました（全 {self.total_rows:,} 行）。" + "、".join(parts) + "。"


def refuse_importer(ctx: StaffContext, region: Region | None) -> str | None:
    """Why ``ctx`` may not import national (region None) or regional data; None when allowed."""
    if ctx.is_superuser:
        return None
    if region is None:
        if len(ctx.secretariat_region_ids) == 1:
            return None  # the secretariat's own region is used
        if ctx.secretariat_region_ids:
            return "取り込む地域を指定してください（複数の地域の事務局に所属しています）。"
        return "この取り込みができるのは、地域の事務局とシステム管理者だけです。"
    if region.pk in ctx.secretariat_region_ids:
        return None
    return f"{region.name}のデータを取り込めるのは、{region.name}の事務局とシステム管理者だけです。"


def importer_region(ctx: StaffContext, region: Region | None) -> Region | None:
    """The region the imported items belong to: the one named, else a secretariat's own, else none (national)."""
    if region is not None or ctx.is_superuser:
        return region
    if len(ctx.secretariat_region_ids) == 1:
        return Region.objects.get(pk=next(iter(ctx.secretariat_region_ids)))
    return None


def find_region(value: Region | int | str | None) -> Region | None:
    """A region by object, id, slug, name or prefecture name; None when not given. Raises LookupError."""
    if value is None or value == "":
        return None
    if isinstance(value, Region):
        return value
    text = nfkc(str(value))
    qs = Region.objects.select_related("prefecture")
    found = (
        qs.filter(pk=int(text)).first()
        if text.isdigit()
        else qs.filter(slug=text).first()
        or qs.filter(name=text).first()
        or qs.filter(prefecture__name=text).first()
    )
    if found is None:
        raise LookupError(f"地域「{text}」は登録されていません。")
    return found


# Legal-form prefixes people leave out when they name a body: 「千葉大学」 for 「国立大学法人千葉大学」.
_LEGAL_FORMS = re.compile(
    r"^(?:国立大学法人|公立大学法人|学校法人|国立研究開発法人|地方独立行政法人|独立行政法人|公益財団法人|"
    r"一般財団法人|公益社団法人|一般社団法人|株式会社|有限会社)\s*"
)


def organization_key(name: str) -> str:
    return _LEGAL_FORMS.sub("", squash_spaces(name)).replace(" ", "")


class OrganizationLookup:
    """Every organization loaded once; found by id, by exact name or by name without its legal form."""

    def __init__(self, region: Region | None = None) -> None:
        qs = Organization.objects.select_related("region")
        self.by_id = {o.pk: o for o in qs}
        self.region = region
        self.by_name: dict[str, list[Organization]] = {}
        for o in self.by_id.values():
            for key in {squash_spaces(o.name), organization_key(o.name), squash_spaces(o.short_name)} - {""}:
                self.by_name.setdefault(key, []).append(o)

    def find(self, value: Any) -> tuple[Organization | None, str | None]:
        """(organization, None), (None, None) when not in the network, or (None, reason) when ambiguous."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None, None
        if isinstance(value, int) or (isinstance(value, float) and value.is_integer()):
            return self.by_id.get(int(value)), None
        text = squash_spaces(str(value))
        if text.isdigit():
            return self.by_id.get(int(text)), None
        candidates = self.by_name.get(text) or self.by_name.get(organization_key(text)) or []
        unique = list({o.pk: o for o in candidates}.values())
        if self.region is not None and len(unique) > 1:
            unique = [o for o in unique if o.region_id == self.region.pk] or unique
        if len(unique) > 1:
            regions = "、".join(sorted({o.region.name for o in unique}))
            return (
                None,
                f"「{text}」という機関が複数の地域（{regions}）にあります。機関IDで指定してください。",
            )
        return (unique[0] if unique else None), None


def source_upsert(spec: SourceSpec) -> CatalogSource:
    source, _ = CatalogSource.objects.update_or_create(
        name=spec.name,
        defaults={
            "publisher": spec.publisher,
            "licence": spec.licence,
            "attribution": spec.attribution,
            "url": spec.url,
            "is_fictitious": spec.is_fictitious,
        },
    )
    return source


def source_touch(source: CatalogSource) -> None:
    """Record when the source was imported and how many items (of every kind) come from it now."""
    source.imported_at = timezone.now()
    source.item_count = sum(
        m.objects.filter(source=source).count()
        for m in (Researcher, ResearchSeed, Equipment, TestService, SupportProgram)
    )
    source.save(update_fields=["imported_at", "item_count", "updated_at"])


@dataclass(frozen=True)
class Stored:
    """An item already imported from the source: its pk and what decides who may change it."""

    pk: int
    owner_id: int | None
    region_id: int | None


class StoredItems:
    """external_id → the items already imported from ``source``, and whether the importer may update them.

    A re-import updates only what its actor could edit through the services: a region's secretariat cannot
    overwrite national data (or another region's) by importing the same file.
    """

    def __init__(
        self, model: type[models.Model], source: CatalogSource | None, ctx: StaffContext, *, noun: str
    ) -> None:
        self.ctx, self.noun = ctx, noun
        self.by_id: dict[str, Stored] = {}
        if source is not None:
            owner = f"{model.OWNER_FIELD}_id"
            rows = model.objects.filter(source=source).exclude(external_id="")
            for ext, pk, owner_id, region_id in rows.values_list("external_id", "pk", owner, "region_id"):
                self.by_id[ext] = Stored(pk, owner_id, region_id)
        self.region_names = dict(Region.objects.values_list("pk", "name"))

    def get(self, external_id: str) -> Stored | None:
        return self.by_id.get(external_id)

    def pk(self, external_id: str) -> int | None:
        stored = self.by_id.get(external_id)
        return stored.pk if stored else None

    def may_update(self, stored: Stored) -> bool:
        return can_write_for(self.ctx, organization_id=stored.owner_id, region_id=stored.region_id)

    def refusal(self, external_id: str) -> str | None:
        """Why the row ``external_id`` may not update its stored item (None when it may, or is new)."""
        stored = self.by_id.get(external_id)
        if stored is None or self.may_update(stored):
            return None
        where = self.region_names.get(stored.region_id, "") if stored.region_id else "全国"
        return (
            f"{external_id} の{self.noun}はすでに{where}のデータとして登録されているため、この取り込みでは変更できません"
            "（変更できるのは、その機関の職員と地域の事務局、システム管理者です）。"
        )


def bulk_upsert(
    model: type[models.Model],
    items: Sequence[models.Model],
    *,
    update_fields: Sequence[str],
    source: CatalogSource | None = None,
) -> int:
    """INSERT the items without a pk; UPDATE those with one whose ``update_fields`` differ from the stored row.

    Returns how many stored rows changed. New items get their pk back (SQLite ≥ 3.35 and PostgreSQL return it),
    so later rows can point at them. Comparing first keeps a re-import of an unchanged file cheap: Django's
    ``bulk_update`` writes one CASE per field and row, which costs seconds for a few hundred wide rows.
    Sends ``catalog_imported`` (bulk writes send no ``post_save``).
    """
    new = [i for i in items if i.pk is None]
    old = [i for i in items if i.pk is not None]
    if new:
        model.objects.bulk_create(new, batch_size=BATCH_SIZE)
    if not old:
        catalog_imported.send(sender=model, source=source, created=len(new), updated=0)
        return 0
    attnames = [model._meta.get_field(name).attname for name in update_fields]
    stored: dict[int, tuple] = {}
    for start in range(0, len(old), BATCH_SIZE):
        ids = [i.pk for i in old[start : start + BATCH_SIZE]]
        stored.update(
            (row[0], row[1:]) for row in model.objects.filter(pk__in=ids).values_list("pk", *attnames)
        )
    changed = [i for i in old if tuple(getattr(i, a) for a in attnames) != stored.get(i.pk)]
    now = timezone.now()
    for i in changed:
        i.updated_at = now
    if changed:
        model.objects.bulk_update(changed, [*update_fields, "updated_at"], batch_size=100)
    catalog_imported.send(sender=model, source=source, created=len(new), updated=len(changed))
    return len(changed)


def write_all(result: CatalogImportResult, write) -> bool:
    """Run ``write()`` in one transaction; a concurrent duplicate becomes a file error (nothing written)."""
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        result.add_file_error(
            "取り込みの最中に同じ番号の項目がほかの操作で登録されました。何も登録していません。もう一度取り込んでください。"
        )
        return False
    return True


def update_fields_of(model: type[models.Model], *, keep: Iterable[str] = ()) -> list[str]:
    """The concrete fields a re-import overwrites: not the pk, the creation stamps, the photo, nor ``keep`` (what
    staff may have changed and the source does not carry, such as 公開)."""
    skip = {"id", "created_at", "created_by", "updated_at", "photo", *keep}
    return [f.name for f in model._meta.concrete_fields if f.name not in skip]


# ---- Names people use for areas and industries → the codes of the eligibility rules --------------------------

# jGrants' regional groupings (地方) → 都道府県コード; national reference, not any one region's data.
AREA_GROUPS: dict[str, tuple[str, ...]] = {
    "北海道地方": ("01",),
    "東北地方": ("02", "03", "04", "05", "06", "07"),
    "関東地方": ("08", "09", "10", "11", "12", "13", "14"),
    "関東・甲信越地方": ("08", "09", "10", "11", "12", "13", "14", "15", "19", "20"),
    "甲信越地方": ("15", "19", "20"),
    "北陸地方": ("16", "17", "18"),
    "東海地方": ("21", "22", "23", "24"),
    "東海・北陸地方": ("16", "17", "18", "21", "22", "23", "24"),
    "中部地方": ("15", "16", "17", "18", "19", "20", "21", "22", "23"),
    "近畿地方": ("25", "26", "27", "28", "29", "30"),
    "中国地方": ("31", "32", "33", "34", "35"),
    "四国地方": ("36", "37", "38", "39"),
    "九州地方": ("40", "41", "42", "43", "44", "45", "46"),
    "九州・沖縄地方": ("40", "41", "42", "43", "44", "45", "46", "47"),
}
NATIONWIDE = {"全国", "全都道府県", "日本全国"}


class AreaLookup:
    """都道府県 names (千葉県, 千葉), codes (12) and 地方 groupings → 都道府県コード, loaded once."""

    def __init__(self) -> None:
        self.codes: dict[str, tuple[str, ...]] = dict(AREA_GROUPS)
        for code, name in Prefecture.objects.values_list("code", "name"):
            short = name if name == "北海道" else name[:-1]
            for key in (name, short, code, str(int(code))):
                self.codes[key] = (code,)

    def codes_for(self, names: Iterable[str]) -> tuple[list[str] | None, list[str]]:
        """(sorted codes, or None for nationwide; names not understood)."""
        out: set[str] = set()
        unknown: list[str] = []
        for raw in names:
            name = nfkc(raw).replace(" ", "")
            if not name:
                continue
            if name in NATIONWIDE:
                return None, []
            codes = self.codes.get(name)
            if codes is None:
                unknown.append(name)
            else:
                out.update(codes)
        return (sorted(out) if out else None), unknown


NOT_BUSINESS_MAJORS = frozenset({"S", "T"})  # 公務（他に分類されるものを除く）, 分類不能の産業


class IndustryLookup:
    """JSIC 大分類 names, and the parts of them people write alone (「運輸業」「郵便業」), → major letters."""

    def __init__(self) -> None:
        self.letters: dict[str, str] = {}
        self.codes: set[str] = set()
        for code, name in IndustryClass.objects.filter(level=IndustryLevel.MAJOR).values_list("code", "name"):
            self.codes.add(code)
            full = self._key(name)
            self.letters[full] = code
            self.letters[code.lower()] = code
            for part in re.split(r"[、,，]", nfkc(name)):
                if part.strip():
                    self.letters.setdefault(self._key(part), code)
        # Every industry a business can be in: all 大分類 but S 公務 and T 分類不能の産業. jGrants often lists the
        # 18 others for "any company"; treating that as a constraint would only turn verdicts into "unknown".
        self.all_codes = frozenset(self.codes - NOT_BUSINESS_MAJORS)
        self.detail_codes = set(IndustryClass.objects.values_list("code", flat=True))

    @staticmethod
    def _key(text: str) -> str:
        return nfkc(text).replace(" ", "").lower()

    def majors_for(self, names: Iterable[str]) -> tuple[list[str] | None, list[str]]:
        """(sorted major letters, or None when every business major (A–R) is named; names not understood)."""
        out: set[str] = set()
        unknown: list[str] = []
        for raw in names:
            key = self._key(raw)
            if not key:
                continue
            letter = self.letters.get(key)
            if letter is None:
                unknown.append(nfkc(raw))
            else:
                out.add(letter)
        if out >= self.all_codes:
            return None, unknown
        return (sorted(out) if out else None), unknown
