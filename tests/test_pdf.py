"""PDF rendering: Japanese text and fonts, A4 pages numbered "- n / N -", and no network access."""

from __future__ import annotations

import base64
import io
import logging
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image
from pypdf import PdfReader

from renkei.core.errors import ApplicationError
from renkei.core.pdf import MISSING_WEASYPRINT, ResourceRefused, checked_url, render_pdf

LETTER = """{% extends "pdf/base.html" %}{% load static %}
{% block meta %}<p>連携第{{ number }}号</p><p>令和7年4月1日</p>{% endblock %}
{% block title %}{{ title }}{% endblock %}
{% block content %}
<p class="addressee">{{ to }} 御中</p>
<p>{{ body }}</p>
{% for src in images %}<img src="{{ src }}" alt="" style="width:10mm;height:10mm">{% endfor %}
{% if stylesheet %}<link rel="stylesheet" href="{{ stylesheet }}">{% endif %}
<p class="ki">記</p>
<table class="fields">
  <tr><th>企業名</th><td>{{ company }}</td></tr>
  <tr><th>相談内容</th><td>{{ need }}</td></tr>
</table>
<p class="ijo">以上</p>
{% endblock %}
"""

AGENDA = """{% extends "pdf/base.html" %}
{% block title %}{{ title }}{% endblock %}
{% block content %}
<table>
  <thead><tr><th>番号</th><th>案件</th><th class="num">件数</th></tr></thead>
  <tbody>{% for i in rows %}<tr><td>{{ i }}</td><td>{{ item }}（その{{ i }}）</td><td class="num">{{ i }}</td></tr>{% endfor %}</tbody>
</table>
{% endblock %}
"""

CONTEXT = {
    "number": 12,
    "title": "紹介状",
    "to": "山形県工業技術センター",
    "body": "下記の企業をご紹介いたしますので、ご対応をお願いいたします。",
    "company": "株式会社房総精密",
    "need": "樹脂部品の強度評価試験を依頼したい",
}


@pytest.fixture
def templates(settings, tmp_path):
    """Test-only child templates of pdf/base.html, in a directory added to the template search path."""
    (tmp_path / "pdftest").mkdir()
    (tmp_path / "pdftest" / "letter.html").write_text(LETTER, encoding="utf-8")
    (tmp_path / "pdftest" / "agenda.html").write_text(AGENDA, encoding="utf-8")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path]}]
    return tmp_path


@pytest.fixture
def recording_server():
    """A local HTTP server that records every request it gets (to prove the renderer made none)."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            body = _png_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # noqa: A002 - the base class's signature
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def _png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 23, 193)).save(out, format="PNG")
    return out.getvalue()


def _text(reader: PdfReader) -> list[str]:
    return [page.extract_text() for page in reader.pages]


def _font_names(reader: PdfReader) -> set[str]:
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        for ref in fonts.values():
            names.add(str(ref.get_object()["/BaseFont"]))
    return names


def _image_count(reader: PdfReader) -> int:
    count = 0
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        count += sum(1 for ref in xobjects.values() if ref.get_object().get("/Subtype") == "/Image")
    return count


def test_japanese_document(templates):
    reader = PdfReader(io.BytesIO(render_pdf("pdftest/letter.html", {**CONTEXT, "images": []})))
    assert len(reader.pages) == 1
    text = _text(reader)[0]
    for expected in (
        "紹介状",
        "連携第12号",
        "山形県工業技術センター 御中",
        "株式会社房総精密",
        "樹脂部品の強度評価試験",
        "以上",
    ):
        assert expected in text
    assert "- 1 / 1 -" in text
    assert reader.metadata.title == "紹介状"
    page = reader.pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)  # A4 in pt
    fonts = _font_names(reader)
    assert any("Noto" in name and "CJK" in name for name in fonts), fonts


def test_long_table_breaks_across_numbered_pages(templates):
    pdf = render_pdf(
        "pdftest/agenda.html", {"title": "連携支援会議 次第", "rows": range(1, 121), "item": "試作支援"}
    )
    reader = PdfReader(io.BytesIO(pdf))
    pages = len(reader.pages)
    assert pages >= 2
    texts = _text(reader)
    for number, text in enumerate(texts, start=1):
        assert f"- {number} / {pages} -" in text
    assert "試作支援（その1）" in texts[0]
    assert "試作支援（その120）" in texts[-1]
    assert "番号" in texts[1]  # the table header repeats on the next page
    assert "連携支援会議 次第" in texts[1]  # and so does the title, as the running header


def test_nothing_is_fetched_from_the_network(templates, recording_server, caplog, tmp_path):
    base, hits = recording_server
    with urllib.request.urlopen(f"{base}/probe.png") as response:  # noqa: S310 - our own local server
        assert response.status == 200
    assert hits == ["/probe.png"]  # the server does record requests
    outside = tmp_path / "outside.png"
    outside.write_bytes(_png_bytes())
    data_url = "data:image/png;base64," + base64.b64encode(_png_bytes()).decode()
    images = [f"{base}/x.png", "http://example.com/x.png", outside.as_uri(), data_url]
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = render_pdf("pdftest/letter.html", {**CONTEXT, "images": images, "stylesheet": f"{base}/x.css"})
    reader = PdfReader(io.BytesIO(pdf))
    assert "株式会社房総精密" in _text(reader)[0]  # the document is still made
    assert hits == ["/probe.png"]  # …without a single request from the renderer
    refused = caplog.text
    for url in (f"{base}/x.png", "http://example.com/x.png", outside.as_uri(), f"{base}/x.css"):
        assert url in refused
    assert _image_count(reader) == 1  # only the data: image is embedded


def test_static_files_of_our_apps_are_allowed(templates, caplog):
    assert checked_url("file:///static/renkei/favicon.svg").endswith("/renkei/web/static/renkei/favicon.svg")
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        render_pdf("pdftest/letter.html", {**CONTEXT, "images": ["/static/renkei/favicon.svg"]})
    assert "favicon.svg" not in caplog.text
    for url in (
        "file:///etc/passwd",
        "file:///static/../../etc/passwd",
        "https://example.com/a.css",
        "ftp://x/y",
    ):
        with pytest.raises(ResourceRefused):
            checked_url(url)


def test_missing_weasyprint_is_a_clear_error(templates, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if the extra were not installed
    with pytest.raises(ApplicationError) as info:
        render_pdf("pdftest/letter.html", {**CONTEXT, "images": []})
    assert info.value.message == MISSING_WEASYPRINT
    assert "renkei[pdf]" in info.value.message
