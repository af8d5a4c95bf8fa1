"""Company import (upload → 確認（ドライラン） → 取り込む) and export (CSV / Excel).

The importer and exporter live in ``renkei.companies``; these views only move files between the browser and
them. An upload larger than ``RENKEI_IMPORT_MAX_BYTES`` is refused before its body is parsed.
"""

from __future__ import annotations

import io
import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET

from renkei.companies.exporting import export_companies
from renkei.companies.forms import CompanyImportForm
from renkei.companies.importing import import_companies
from renkei.core.errors import ApplicationError
from renkei.network.selectors import staff_context, writable_organizations

from .common import apply_errors, organization_choices, staff_required

SESSION_KEY = "renkei_company_imports"
MULTIPART_SLACK = 64 * 1024  # the form fields and multipart boundaries around the file
ALLOWED_SUFFIXES = (".csv", ".xlsx")
STASH_MAX_AGE_SECONDS = 24 * 60 * 60


def _max_bytes() -> int:
    return int(settings.RENKEI_IMPORT_MAX_BYTES)


def _human_size(size: int) -> str:
    """20971520 → '20 MB'; 1024 → '1 KB'."""
    if size >= 1024 * 1024:
        return f"{size / 1024 / 1024:.4g} MB"
    return f"{size / 1024:.4g} KB"


def _too_large_message() -> str:
    return (
        f"ファイルが大きすぎます（上限 {_human_size(_max_bytes())}）。"
        "ファイルを分割して、1回に取り込む量を減らしてください。"
    )


class LimitedUploadHandler(FileUploadHandler):
    """Stops reading an uploaded file as soon as it passes the limit (when no Content-Length told us)."""

    def __init__(self, request: HttpRequest, limit: int):
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.exceeded = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def _store_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _sweep(store: Path) -> None:
    """Forget checked uploads nobody confirmed within a day."""
    cutoff = time.time() - STASH_MAX_AGE_SECONDS
    for path in store.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)


def _stash(request: HttpRequest, upload: Any, owner_id: int) -> str:
    """Keep a checked upload on disk until the user confirms; the session maps a random token to it."""
    _sweep(_store_dir())
    token = secrets.token_urlsafe(16)
    suffix = Path(upload.name).suffix.lower()
    path = _store_dir() / f"{token}{suffix}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    stash = request.session.get(SESSION_KEY, {})
    stash[token] = {"path": str(path), "name": upload.name, "owner": owner_id}
    request.session[SESSION_KEY] = stash
    return token


def _unstash(request: HttpRequest, token: str) -> dict[str, Any] | None:
    stash = request.session.get(SESSION_KEY, {})
    entry = stash.pop(token, None)
    request.session[SESSION_KEY] = stash
    return entry


def _page(
    request: HttpRequest, form: CompanyImportForm, *, page_errors: list[str] | None = None, **context: Any
) -> HttpResponse:
    """The import page; ``page_errors`` are problems with the request itself (too large, expired step)."""
    failed = form.errors or page_errors or (context.get("result") and not context["result"].ok)
    status = 422 if failed else 200
    context["page_errors"] = page_errors or []
    context.setdefault("max_size", _human_size(_max_bytes()))
    return render(request, "web/companies/import.html", {"form": form, **context}, status=status)


@csrf_exempt
@staff_required
def company_import_view(request: HttpRequest) -> HttpResponse:
    owners = organization_choices(writable_organizations(staff_context(request.user)))
    if not owners:
        raise DjangoPermissionDenied(
            "企業を取り込めるのは、支援機関の事務局・コーディネーター・担当者の権限を持つ職員です。"
        )
    if request.method == "POST":
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > _max_bytes() + MULTIPART_SLACK:
            # Refused before the body is parsed: the CSRF check (which parses it) is not reached either,
            # and nothing is written.
            return _page(request, CompanyImportForm(owner_choices=owners), page_errors=[_too_large_message()])
        handler = LimitedUploadHandler(request, _max_bytes())
        request.upload_handlers.insert(0, handler)
        return _import_post(request, owners, handler)
    return _page(request, CompanyImportForm(owner_choices=owners))


@csrf_protect
def _import_post(
    request: HttpRequest, owners: list[tuple[int, str]], handler: LimitedUploadHandler
) -> HttpResponse:
    action = request.POST.get("action", "check")
    if handler.exceeded:
        return _page(request, CompanyImportForm(owner_choices=owners), page_errors=[_too_large_message()])
    if token := request.POST.get("token", ""):
        if action == "import":
            return _import_stashed(request, owners, token)
        if entry := _unstash(request, token):
            Path(entry["path"]).unlink(missing_ok=True)
        messages.info(request, "取り込みを取りやめました。ファイルは登録されていません。")
        return redirect("web:company_import")
    form = CompanyImportForm(request.POST, request.FILES, owner_choices=owners)
    if not form.is_valid():
        return _page(request, form)
    upload = form.cleaned_data["file"]
    owner_id = form.cleaned_data["owner_organization"]
    if upload.size > _max_bytes():
        form.add_error("file", _too_large_message())
        return _page(request, form)
    if not upload.name.lower().endswith(ALLOWED_SUFFIXES):
        form.add_error("file", "取り込めるのは CSV（.csv）か Excel（.xlsx）のファイルです。")
        return _page(request, form)
    dry_run = action != "import"
    try:
        result = import_companies(
            upload, actor=request.user, owner_organization_id=owner_id, dry_run=dry_run, filename=upload.name
        )
    except ApplicationError as exc:
        apply_errors(form, exc)
        return _page(request, form)
    if dry_run:
        token = _stash(request, upload, owner_id) if result.ok else ""
        return _page(request, form, result=result, dry_run=True, token=token, filename=upload.name)
    if not result.ok:
        return _page(request, form, result=result, dry_run=False, filename=upload.name)
    messages.success(request, f"{upload.name} から {result.created} 件の企業を登録しました。")
    return redirect("web:company_list")


def _import_stashed(request: HttpRequest, owners: list[tuple[int, str]], token: str) -> HttpResponse:
    form = CompanyImportForm(owner_choices=owners)
    entry = _unstash(request, token)
    if entry is None:
        return _page(
            request,
            form,
            page_errors=["確認済みのファイルが見つかりません。もう一度ファイルを選んで確認してください。"],
        )
    path = Path(entry["path"])
    try:
        result = import_companies(
            path,
            actor=request.user,
            owner_organization_id=entry["owner"],
            dry_run=False,
            filename=entry["name"],
        )
    except ApplicationError as exc:
        return _page(request, form, page_errors=[exc.message])
    finally:
        path.unlink(missing_ok=True)
    if not result.ok:
        return _page(request, form, result=result, dry_run=False, filename=entry["name"])
    messages.success(request, f"{entry['name']} から {result.created} 件の企業を登録しました。")
    return redirect("web:company_list")


def _download_name(suffix: str) -> str:
    return f"companies-{timezone.localdate():%Y%m%d}.{suffix}"


@require_GET
@staff_required
def company_export_csv_view(request: HttpRequest) -> HttpResponse:
    buffer = io.StringIO()
    export_companies(actor=request.user, stream=buffer, fmt="csv")
    text = buffer.getvalue()
    # UTF-8 with a BOM, so that Excel opens the Japanese text correctly.
    body = text.encode("utf-8") if text.startswith("\ufeff") else text.encode("utf-8-sig")
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_download_name("csv")}"'
    return response


@require_GET
@staff_required
def company_export_xlsx_view(request: HttpRequest) -> HttpResponse:
    buffer = io.BytesIO()
    export_companies(actor=request.user, stream=buffer, fmt="xlsx")
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_download_name("xlsx")}"'
    return response
