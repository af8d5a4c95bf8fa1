"""PDF documents (紹介状, 会議次第, 報告書): a Django template rendered to HTML and laid out by WeasyPrint, offline.

- WeasyPrint is the optional extra ``renkei[pdf]``. It is imported on the first PDF (the import takes ~0.5 s and
  needs Pango); without it ``render_pdf`` raises an ApplicationError that says how to install it.
- Nothing is fetched from the network. The URL fetcher accepts ``data:`` URLs and files inside our apps'
  ``static/`` and ``templates/`` directories (``{% static %}`` URLs are found through the staticfiles finders);
  anything else (http, https, ftp, other files) is refused — WeasyPrint logs a warning and renders the document
  without that resource.
- Fonts are the system's Noto Sans CJK JP (Debian: fonts-noto-cjk), chosen by ``pdf/base.html``. With
  libharfbuzz-subset0 installed WeasyPrint embeds only the glyphs used, so a page stays small and fast.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

from django.apps import apps
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string

from renkei.core.errors import ApplicationError

MISSING_WEASYPRINT = "PDF 出力には WeasyPrint が必要です（pip install 'renkei[pdf]'）"
_TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


class ResourceRefused(ValueError):
    """A URL the PDF renderer does not fetch."""


def render_pdf(template_name: str, context: Mapping[str, Any] | None = None) -> bytes:
    """Render ``template_name`` (usually extending ``pdf/base.html``) with ``context`` to PDF bytes."""
    weasyprint = _weasyprint()
    html = render_to_string(template_name, dict(context or {}))
    document = weasyprint.HTML(
        string=html, base_url=_TEMPLATES_DIR.as_uri() + "/", url_fetcher=_url_fetcher()
    )
    return document.write_pdf()


def resource_roots() -> tuple[Path, ...]:
    """The directories PDF resources may come from: ``static/`` and ``templates/`` of every renkei app."""
    roots = []
    for config in apps.get_app_configs():
        if config.name.split(".")[0] != "renkei":
            continue
        for sub in ("static", "templates"):
            path = Path(config.path, sub).resolve()
            if path.is_dir():
                roots.append(path)
    return tuple(roots)


def checked_url(url: str) -> str:
    """``url`` if the PDF renderer may fetch it (a static URL becomes its file: URL); else ResourceRefused."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "data":
        return url
    if scheme == "file":
        path = Path(url2pathname(parts.path))
        static_url = settings.STATIC_URL or "/static/"
        if parts.path.startswith(static_url):
            try:
                found = finders.find(url2pathname(parts.path[len(static_url) :]))
            except SuspiciousFileOperation:  # "/static/../../etc/passwd"
                found = None
            path = Path(found) if isinstance(found, str) else path
        resolved = path.resolve()
        if any(resolved.is_relative_to(root) for root in resource_roots()) and resolved.is_file():
            return resolved.as_uri()
    raise ResourceRefused(f"PDF の作成では外部のリソースを読み込みません: {url}")


def _weasyprint() -> ModuleType:
    try:
        # The optional extra renkei[pdf], imported on first use: see the module docstring.
        return importlib.import_module("weasyprint")
    except (ImportError, OSError) as exc:  # OSError: WeasyPrint is there but Pango is not
        raise ApplicationError(MISSING_WEASYPRINT) from exc


def _url_fetcher() -> Callable[[str], Any]:
    urls = importlib.import_module("weasyprint.urls")
    base = getattr(urls, "URLFetcher", None)
    if base is None:  # WeasyPrint before the URLFetcher class: a function returning a dict
        default_fetcher = importlib.import_module("weasyprint").default_url_fetcher
        return lambda url: default_fetcher(checked_url(url))
    return _offline_fetcher_class(base)(allowed_protocols=("data", "file"), allow_redirects=False)


@functools.cache
def _offline_fetcher_class(base: type) -> type:
    """WeasyPrint's own fetcher (it expects an instance of its class) with our check in front."""

    class OfflineURLFetcher(base):  # type: ignore[misc,valid-type]
        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
            return super().fetch(checked_url(url), headers)

    return OfflineURLFetcher
