"""Writes for the catalog: every write goes through here (forms, API, demo); the importers validate each row with
the same ``validation.clean`` and the same permission rule, then write in bulk.

``data`` holds raw input keyed by model field (see ``validation.FIELDS``) plus the relations, given by id:
``organization`` (equipment, test services, programs, researchers), ``institution`` and ``researcher`` (seeds),
``equipment`` (test services) and ``region`` (id or slug; only for items without an organization).
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import Any

from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction

from renkei.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from renkei.network.models import Organization, Region
from renkei.network.selectors import StaffContext, staff_context

from .choices import (
    KIND_EQUIPMENT,
    KIND_LABELS,
    KIND_PROGRAMS,
    KIND_RESEARCHERS,
    KIND_SEEDS,
    KIND_TEST_SERVICES,
)
from .eligibility import validate_rules
from .models import Equipment, Researcher, ResearchSeed, SupportProgram, TestService
from .policies import can_edit_item, require_catalog_writer, require_write_for
from .validation import clean, derive_fiscal_year

MODELS: dict[str, type[models.Model]] = {
    KIND_RESEARCHERS: Researcher,
    KIND_SEEDS: ResearchSeed,
    KIND_EQUIPMENT: Equipment,
    KIND_TEST_SERVICES: TestService,
    KIND_PROGRAMS: SupportProgram,
}
# The relations each kind takes in ``data``; the owner relation first.
RELATIONS: dict[str, tuple[str, ...]] = {
    KIND_RESEARCHERS: ("organization", "region"),
    KIND_SEEDS: ("institution", "researcher", "region"),
    KIND_EQUIPMENT: ("organization", "region"),
    KIND_TEST_SERVICES: ("organization", "equipment", "region"),
    KIND_PROGRAMS: ("organization", "region"),
}
OWNER_REQUIRED = {KIND_EQUIPMENT, KIND_TEST_SERVICES}
RELATION_LABELS = {
    "organization": "機関",
    "institution": "研究機関",
    "researcher": "研究者",
    "equipment": "使用機器",
    "region": "地域",
}

PHOTO_MAX_BYTES = 5 * 1024 * 1024
_PHOTO_TYPES = {".jpg": b"\xff\xd8\xff", ".jpeg": b"\xff\xd8\xff", ".png": b"\x89PNG\r\n\x1a\n"}


# ---- Public services ---------------------------------------------------------------------------------------


def researcher_create(*, actor: User, data: dict[str, Any]) -> Researcher:
    return _create(KIND_RESEARCHERS, actor=actor, data=data)


def researcher_update(*, actor: User, researcher_id: int, data: dict[str, Any]) -> Researcher:
    return _update(KIND_RESEARCHERS, actor=actor, item_id=researcher_id, data=data)


def seed_create(*, actor: User, data: dict[str, Any]) -> ResearchSeed:
    return _create(KIND_SEEDS, actor=actor, data=data)


def seed_update(*, actor: User, seed_id: int, data: dict[str, Any]) -> ResearchSeed:
    return _update(KIND_SEEDS, actor=actor, item_id=seed_id, data=data)


def equipment_create(*, actor: User, data: dict[str, Any], photo: UploadedFile | None = None) -> Equipment:
    return _create(KIND_EQUIPMENT, actor=actor, data=data, photo=photo)


def equipment_update(
    *,
    actor: User,
    equipment_id: int,
    data: dict[str, Any],
    photo: UploadedFile | None = None,
    remove_photo: bool = False,
) -> Equipment:
    return _update(
        KIND_EQUIPMENT, actor=actor, item_id=equipment_id, data=data, photo=photo, remove_photo=remove_photo
    )


def test_service_create(*, actor: User, data: dict[str, Any]) -> TestService:
    return _create(KIND_TEST_SERVICES, actor=actor, data=data)


def test_service_update(*, actor: User, test_service_id: int, data: dict[str, Any]) -> TestService:
    return _update(KIND_TEST_SERVICES, actor=actor, item_id=test_service_id, data=data)


test_service_create.__test__ = False  # type: ignore[attr-defined] - not pytest tests, despite their names
test_service_update.__test__ = False  # type: ignore[attr-defined]


def program_create(*, actor: User, data: dict[str, Any]) -> SupportProgram:
    return _create(KIND_PROGRAMS, actor=actor, data=data)


def program_update(*, actor: User, program_id: int, data: dict[str, Any]) -> SupportProgram:
    return _update(KIND_PROGRAMS, actor=actor, item_id=program_id, data=data)


# ---- The one write path --------------------------------------------------------------------------------------


@transaction.atomic
def _create(kind: str, *, actor: User, data: dict[str, Any], photo: UploadedFile | None = None) -> Any:
    ctx = staff_context(actor)
    require_catalog_writer(ctx, kind)
    fields, relations = _split(kind, data)
    cleaned = clean(kind, fields)
    errors = list(cleaned.errors)
    resolved = _resolve(kind, ctx, actor, relations, errors)
    owner = resolved.get(_owner_field(kind))
    if kind in OWNER_REQUIRED and owner is None and not any(e.field == "organization" for e in errors):
        errors.append(FieldError("organization", f"{KIND_LABELS[kind]}を持つ機関を指定してください。"))
    region_id = _region_id(ctx, kind, owner, resolved.get("region"), None, errors)
    errors += check_item_values(kind, cleaned.values, resolved)
    if photo is not None:
        errors += _check_photo(photo)
    if errors:
        raise ValidationFailed.from_errors(errors)
    require_write_for(ctx, kind, organization=owner, region_id=region_id)
    item = MODELS[kind](**cleaned.values, **resolved, created_by=actor)
    item.region_id = region_id
    finish_item(kind, item, explicit=cleaned.values)
    _check_unique_external_id(kind, item)
    if photo is not None:
        _store_photo(item, photo)
    item.save()
    return item


def _check_unique_external_id(kind: str, item: Any) -> None:
    """(source, 出典での番号) names one item: a second one is a field error, not a database error."""
    if item.source_id is None or not item.external_id:
        return
    taken = MODELS[kind].objects.filter(source_id=item.source_id, external_id=item.external_id)
    if item.pk is not None:
        taken = taken.exclude(pk=item.pk)
    if taken.exists():
        raise ValidationFailed.from_errors(
            [
                FieldError(
                    "external_id",
                    f"出典での番号「{item.external_id}」はこの出典のほかの項目で使われています。",
                )
            ]
        )


@transaction.atomic
def _update(
    kind: str,
    *,
    actor: User,
    item_id: int,
    data: dict[str, Any],
    photo: UploadedFile | None = None,
    remove_photo: bool = False,
) -> Any:
    ctx = staff_context(actor)
    require_catalog_writer(ctx, kind)
    model = MODELS[kind]
    try:
        item = model.objects.visible_to(actor).select_for_update().get(pk=item_id)
    except (model.DoesNotExist, ValueError, TypeError):
        raise NotFound(f"指定された{KIND_LABELS[kind]}は見つかりません。") from None
    if not can_edit_item(ctx, item):
        raise PermissionDenied(f"この{KIND_LABELS[kind]}を変更する権限がありません。")
    fields, relations = _split(kind, data)
    cleaned = clean(kind, fields, partial=True)
    errors = list(cleaned.errors)
    resolved = _resolve(kind, ctx, actor, relations, errors)
    owner_field = _owner_field(kind)
    owner = resolved[owner_field] if owner_field in resolved else getattr(item, owner_field)
    if kind in OWNER_REQUIRED and owner is None and not any(e.field == "organization" for e in errors):
        errors.append(FieldError("organization", f"{KIND_LABELS[kind]}を持つ機関を指定してください。"))
    region_id = _region_id(ctx, kind, owner, resolved.get("region"), item, errors)
    if kind == KIND_TEST_SERVICES and "equipment" not in resolved and item.equipment_id and owner is not None:
        # A change of organization must not keep another body's instrument: check the one it has.
        resolved["equipment"] = item.equipment
    errors += check_item_values(kind, cleaned.values, resolved, owner=owner)
    if photo is not None:
        errors += _check_photo(photo)
    if errors:
        raise ValidationFailed.from_errors(errors)
    if (owner.pk if owner else None, region_id) != (item.owner_id, item.region_id):
        require_write_for(ctx, kind, organization=owner, region_id=region_id)
    for key, value in {**cleaned.values, **resolved}.items():
        setattr(item, key, value)
    item.region_id = region_id
    finish_item(kind, item, explicit=cleaned.values)
    old_photo = item.photo.name if kind == KIND_EQUIPMENT and item.photo else ""
    if remove_photo and old_photo:
        item.photo = ""
    _check_unique_external_id(kind, item)
    if photo is not None:
        _store_photo(item, photo)
    item.save()
    if old_photo and item.photo.name != old_photo:
        storage = item.photo.storage
        transaction.on_commit(
            lambda: storage.delete(old_photo)
        )  # the old file goes only once the row says so
    return item


def _owner_field(kind: str) -> str:
    return MODELS[kind].OWNER_FIELD


def _split(kind: str, data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    if not isinstance(data, dict):
        raise ValidationFailed.from_errors([FieldError("data", "入力内容を項目ごとに指定してください。")])
    relations = {k: v for k, v in data.items() if k in RELATIONS[kind]}
    fields = {k: v for k, v in data.items() if k not in RELATIONS[kind]}
    return fields, relations


def _pk(value: Any) -> int | None:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _resolve(
    kind: str, ctx: StaffContext, actor: User, relations: dict[str, Any], errors: list[FieldError]
) -> dict[str, Any]:
    """Look up the related objects named by id; a relation given as empty/None clears it."""
    out: dict[str, Any] = {}
    for key, value in relations.items():
        if value in (None, ""):
            out[key] = None
            continue
        label = RELATION_LABELS[key]
        if key == "region":
            region = Region.objects.filter(slug=value).first() if isinstance(value, str) else None
            pk = _pk(value)
            if region is None and pk is not None:
                region = Region.objects.filter(pk=pk).first()
            if region is None:
                errors.append(FieldError("region", "指定された地域は存在しません。"))
            out["region"] = region
            continue
        pk = _pk(value)
        obj = None
        if pk is not None:
            if key in ("organization", "institution"):
                obj = Organization.objects.select_related("region").filter(pk=pk).first()
            elif key == "researcher":
                obj = Researcher.objects.visible_to(actor).filter(pk=pk).first()
            elif key == "equipment":
                obj = Equipment.objects.visible_to(actor).filter(pk=pk).first()
        if obj is None:
            errors.append(FieldError(key, f"指定された{label}は存在しません。"))
        out[key] = obj
    return out


def _region_id(
    ctx: StaffContext,
    kind: str,
    owner: Organization | None,
    region: Region | None,
    item: Any,
    errors: list[FieldError],
) -> int | None:
    """The item's region: its organization's; else the one named; else (new items) the secretariat's own."""
    if owner is not None:
        if region is not None and region.pk != owner.region_id:
            errors.append(
                FieldError(
                    "region", f"地域は機関「{owner.name}」の地域（{owner.region.name}）と同じにしてください。"
                )
            )
        return owner.region_id
    if region is not None:
        return region.pk
    if item is not None:
        return item.region_id
    if kind in OWNER_REQUIRED:
        return None  # the missing organization is the error
    if not ctx.is_superuser and len(ctx.secretariat_region_ids) == 1:
        return next(iter(ctx.secretariat_region_ids))
    if not ctx.is_superuser and not ctx.secretariat_region_ids:
        label = RELATION_LABELS[_owner_field(kind)]
        errors.append(
            FieldError(
                _owner_field(kind),
                f"{label}を指定してください（機関を決めずに登録できるのは地域の事務局だけです）。",
            )
        )
    elif not ctx.is_superuser:
        errors.append(FieldError("region", "地域を指定してください。"))
    return None


def check_item_values(
    kind: str, values: dict[str, Any], resolved: dict[str, Any], *, owner: Organization | None = None
) -> list[FieldError]:
    """Rules across fields and relations, shared with the importers."""
    errors: list[FieldError] = []
    if kind == KIND_PROGRAMS and values.get("eligibility"):
        errors += validate_rules(values["eligibility"])
    if kind == KIND_TEST_SERVICES:
        equipment = resolved.get("equipment")
        owner = resolved.get("organization", owner)
        if equipment is not None and owner is not None and equipment.organization_id != owner.pk:
            errors.append(
                FieldError(
                    "equipment",
                    f"使用機器は「{owner.name}」の機器から選んでください（「{equipment.name}」は別の機関の機器です）。",
                )
            )
    return errors


def finish_item(kind: str, item: Any, *, explicit: dict[str, Any]) -> None:
    """Derived values: a program's 年度 from its window (opening day, else deadline) unless a 年度 is given."""
    if kind == KIND_PROGRAMS and explicit.get("fiscal_year") is None:
        if item.fiscal_year is None or {"opens_on", "closes_on", "fiscal_year"} & explicit.keys():
            item.fiscal_year = derive_fiscal_year(item.opens_on, item.closes_on)


# ---- Photos --------------------------------------------------------------------------------------------------


def _check_photo(photo: UploadedFile) -> list[FieldError]:
    suffix = PurePosixPath(photo.name or "").suffix.lower()
    if suffix not in _PHOTO_TYPES:
        return [FieldError("photo", "写真は JPEG（.jpg）か PNG（.png）の画像を選んでください。")]
    if not photo.size:
        return [FieldError("photo", "写真のファイルが空です（0バイト）。")]
    if photo.size > PHOTO_MAX_BYTES:
        return [
            FieldError(
                "photo", f"写真が大きすぎます（{photo.size / 1024 / 1024:.1f} MB）。5 MB 以下にしてください。"
            )
        ]
    photo.seek(0)
    head = photo.read(8)
    photo.seek(0)
    if not head.startswith(_PHOTO_TYPES[suffix]):
        return [
            FieldError("photo", "写真の中身が JPEG・PNG の画像ではありません。画像ファイルを選んでください。")
        ]
    return []


def _store_photo(item: Equipment, photo: UploadedFile) -> None:
    """Stored under MEDIA_ROOT/catalog/equipment with a random name (the name people gave is not used)."""
    suffix = PurePosixPath(photo.name or "").suffix.lower().replace(".jpeg", ".jpg")
    item.photo.save(uuid.uuid4().hex + suffix, photo, save=False)
