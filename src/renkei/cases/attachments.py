"""Attachments of a case: uploaded by the case's managers, read by whoever's consent scope includes the detail.

Files are stored under ``MEDIA_ROOT`` with a random name (the name a person gave is kept in the row, cleaned, and
only used for the download); MEDIA_ROOT is never served directly — every download goes through
``attachment_open``, which checks visibility and the consent scope and writes the access log.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from pathlib import PurePosixPath, PureWindowsPath
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from renkei.core.errors import FieldError, NotFound, ValidationFailed
from renkei.network.selectors import staff_context

from . import policies
from .choices import CONSENT_ORDER, AccessField, ConsentScope, EventKind
from .common import get_case_for_update, record_event
from .models import Case, CaseAttachment
from .selectors import log_access

MAX_NAME = 120
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_EXTENSION = re.compile(r"^\.[a-z0-9]{1,10}$")


def safe_filename(raw: str) -> str:
    """A name that is safe to show and to put in a Content-Disposition header: no path, no control or reserved
    characters, NFC, at most ``MAX_NAME`` characters with the extension kept."""
    name = PureWindowsPath(PurePosixPath(raw or "").name).name  # drop both kinds of directory part
    name = unicodedata.normalize("NFC", name)
    name = _UNSAFE.sub("_", name).strip(" .")
    if not name:
        return "添付ファイル"
    stem, dot, ext = name.rpartition(".")
    if dot and stem and len(ext) <= 10:
        return stem[: MAX_NAME - len(ext) - 1] + "." + ext
    return name[:MAX_NAME]


def _storage_name(display_name: str) -> str:
    suffix = PurePosixPath(display_name).suffix.lower()
    return uuid.uuid4().hex + (suffix if _EXTENSION.match(suffix) else "")


def case_attach(*, actor: User, case_id: int, upload: UploadedFile | None) -> CaseAttachment:
    """Attach a file to a case (managers only: the lead organization's writers and the region's secretariat)."""
    limit = settings.RENKEI_ATTACHMENT_MAX_BYTES
    if upload is None:
        raise ValidationFailed.from_errors([FieldError("file", "添付するファイルを選んでください。")])
    if not upload.size:
        raise ValidationFailed.from_errors([FieldError("file", "ファイルが空です（0バイト）。")])
    if upload.size > limit:
        raise ValidationFailed.from_errors(
            [
                FieldError(
                    "file",
                    f"ファイルが大きすぎます（{upload.size / 1024 / 1024:.1f} MB）。"
                    f"{limit / 1024 / 1024:.0f} MB 以下のファイルを添付してください。",
                )
            ]
        )
    name = safe_filename(upload.name or "")
    with transaction.atomic():
        case = get_case_for_update(actor, case_id)
        ctx = staff_context(actor)
        policies.require(
            policies.can_manage(ctx, case), "ファイルを添付できるのは主担当機関か事務局の職員です。"
        )
        org_id = policies.acting_organization(ctx, case) or case.lead_organization_id
        attachment = CaseAttachment(
            case=case,
            name=name,
            size=upload.size,
            uploaded_by_organization_id=org_id,
            created_by=actor,
        )
        attachment.file.save(_storage_name(name), upload, save=False)
        try:
            attachment.save()
            record_event(
                case,
                EventKind.NOTE,
                actor=actor,
                org_id=org_id,
                text=f"添付ファイル「{name}」を追加（{_size_label(upload.size)}）",
                attachment=attachment.pk,
            )
        except BaseException:
            attachment.file.delete(save=False)  # nothing half-written: no file without its row
            raise
    return attachment


def attachment_open(*, actor: User, attachment_id: int, via: str = "web") -> tuple[CaseAttachment, IO[Any]]:
    """The attachment and its open file, for a user whose consent scope includes the detail; logged."""
    attachment = (
        CaseAttachment.objects.filter(pk=attachment_id, case__in=Case.objects.visible_to(actor))
        .select_related("case", "case__received_by")
        .first()
    )
    if attachment is None:
        raise NotFound("添付ファイルが見つかりません。")
    ctx = staff_context(actor)
    case = attachment.case
    if CONSENT_ORDER[policies.scope_for(ctx, case)] < CONSENT_ORDER[ConsentScope.DETAIL]:
        raise NotFound("添付ファイルが見つかりません。")  # outside the consent scope: as if it did not exist
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise NotFound(
            "添付ファイルの保存先にファイルがありません（管理者にお問い合わせください）。"
        ) from None
    log_access(user=actor, ctx=ctx, case=case, fields=[AccessField.ATTACHMENT], via=via)
    return attachment, handle


def _size_label(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} バイト"
