"""Writing tables back for Excel: CSV (UTF-8 with BOM, or CP932) and .xlsx with a bold, frozen header row.

Cells that look like formulas are written as text; characters CP932 cannot hold are replaced and reported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .tabular import FORMULA_PREFIX, XLSX_SUFFIXES, TabularError

TEXT, INT, DATE, BOOL = "text", "int", "date", "bool"
EXPORT_ENCODINGS = {"utf-8-sig": "utf-8-sig", "utf-8": "utf-8", "cp932": "cp932", "shift_jis": "cp932"}
# Characters that Unicode text commonly holds but CP932 spells with a different code point (JIS vs. Microsoft).
_CP932_FIXES = str.maketrans(
    {"\u301c": "\uff5e", "\u2016": "\u2225", "\u2212": "\uff0d", "\u00a2": "\uffe0", "\u00a3": "\uffe1",
     "\u00ac": "\uffe2", "\u2014": "\u2015"}
)  # fmt: skip


@dataclass(frozen=True)
class ExportColumn:
    header: str
    kind: str = TEXT
    width: int = 16


def resolve_format(path: Path | None, fmt: str | None) -> str:
    if fmt:
        fmt = fmt.lower().lstrip(".")
    elif path is not None and path.suffix.lower() in XLSX_SUFFIXES:
        fmt = "xlsx"
    elif path is None or path.suffix.lower() in {".csv", ".txt", ""}:
        fmt = "csv"
    else:
        raise TabularError(
            f"書き出し形式「{path.suffix}」には対応していません。.csv か .xlsx を指定してください。"
        )
    if fmt not in {"csv", "xlsx"}:
        raise TabularError(f"書き出し形式「{fmt}」には対応していません。csv か xlsx を指定してください。")
    return fmt


@dataclass
class _Cp932Guard:
    """Replaces what CP932 cannot encode with '?' and remembers where (for one clear warning)."""

    replaced: int = 0
    example: str = ""

    def clean(self, text: str, row: int, column: str) -> str:
        text = text.translate(_CP932_FIXES)
        try:
            text.encode("cp932")
            return text
        except UnicodeEncodeError:
            out = "".join(ch if ch.encode("cp932", errors="ignore") else "?" for ch in text)
        lost = [ch for ch, o in zip(text, out, strict=True) if o == "?" and ch != "?"]
        self.replaced += len(lost)
        self.example = self.example or f"{row}行目 {column}「{lost[0]}」"
        return out


def _csv_cell(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if kind == BOOL:
        return "はい" if value else "いいえ"
    if kind == DATE and isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = str(value)
    if kind == TEXT and text.startswith(FORMULA_PREFIX):
        return "'" + text  # a spreadsheet must show it, not run it; the importer strips the apostrophe
    return text


def write_csv(
    columns: Sequence[ExportColumn], rows: Iterable[Sequence[Any]], out: IO[str], *, cp932: bool = False
) -> tuple[int, _Cp932Guard]:
    writer = csv.writer(out, lineterminator="\r\n")
    guard = _Cp932Guard()
    writer.writerow([c.header for c in columns])
    n = 0
    for values in rows:
        n += 1
        cells = [_csv_cell(v, c.kind) for v, c in zip(values, columns, strict=True)]
        if cp932:
            cells = [guard.clean(t, n + 1, c.header) if t else t for t, c in zip(cells, columns, strict=True)]
        writer.writerow(cells)
    return n, guard


def write_xlsx(
    columns: Sequence[ExportColumn], rows: Iterable[Sequence[Any]], out: IO[bytes], *, title: str, count: int
) -> int:
    """A one-sheet workbook: bold, frozen header with a filter; codes as text, dates as dates."""
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(title[:31])
    ws.freeze_panes = "A2"
    for i, c in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = c.width
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{count + 1}"
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8F1FE")
    wrap = Alignment(vertical="top", wrap_text=True)
    header = [WriteOnlyCell(ws, value=c.header) for c in columns]
    for cell in header:
        cell.font, cell.fill = bold, fill
    ws.append(header)
    formats = {DATE: "yyyy/mm/dd", INT: "#,##0", TEXT: "@"}
    n = 0
    for values in rows:
        n += 1
        cells: list[WriteOnlyCell | None] = []
        for v, c in zip(values, columns, strict=True):
            if v is None or v == "":
                cells.append(None)
                continue
            if c.kind == BOOL:
                v = "はい" if v else "いいえ"
            elif c.kind == TEXT:
                v = ILLEGAL_CHARACTERS_RE.sub("", str(v))
            cell = WriteOnlyCell(ws, value=v)
            if c.kind in formats:
                cell.number_format = formats[c.kind]
            if c.kind == TEXT:
                cell.data_type = "s"  # never a formula, even when it starts with "="
                if "\n" in v:
                    cell.alignment = wrap
            cells.append(cell)
        ws.append(cells)
    wb.save(out)
    return n


def _is_binary_stream(stream: Any) -> bool:
    return isinstance(stream, (io.RawIOBase, io.BufferedIOBase)) or (
        "b" in str(getattr(stream, "mode", "")) and not isinstance(stream, io.TextIOBase)
    )


def export_table(
    columns: Sequence[ExportColumn],
    rows: Iterable[Sequence[Any]],
    *,
    path: Path | None,
    stream: Any,
    encoding: str,
    fmt: str | None,
    title: str,
    count: int,
    warn: Callable[[str], None] | None = None,
) -> int:
    """Write ``rows`` to ``path`` or ``stream``: CSV to a text stream (or bytes), .xlsx to a binary stream.

    ``count`` is the number of rows (for the .xlsx filter range). Characters that CP932 cannot encode are
    replaced with '?' and ``warn`` (default: standard error) is told how many and where.
    """
    if path is None and stream is None:
        raise ValueError("export needs a path or a stream")
    path = Path(path) if path is not None else None
    fmt = resolve_format(path, fmt)
    if fmt == "xlsx":
        if path is not None:
            with path.open("wb") as fh:
                return write_xlsx(columns, rows, fh, title=title, count=count)
        if not _is_binary_stream(stream):
            raise TypeError("xlsx export needs a binary stream")
        return write_xlsx(columns, rows, stream, title=title, count=count)
    codec = EXPORT_ENCODINGS.get((encoding or "utf-8-sig").lower())
    if codec is None:
        raise TabularError(f"文字コード「{encoding}」には対応していません（utf-8-sig・utf-8・cp932）。")
    cp932 = codec == "cp932"
    if path is not None:
        with path.open("w", encoding=codec, newline="") as fh:
            n, guard = write_csv(columns, rows, fh, cp932=cp932)
    elif _is_binary_stream(stream) or (cp932 and hasattr(stream, "buffer")):
        # Bytes, or a console / redirected stdout asked for CP932: encode underneath the text layer.
        binary = stream if _is_binary_stream(stream) else stream.buffer
        if binary is not stream:
            stream.flush()
        wrapper = io.TextIOWrapper(binary, encoding=codec, newline="", write_through=True)
        try:
            n, guard = write_csv(columns, rows, wrapper, cp932=cp932)
        finally:
            wrapper.flush()
            wrapper.detach()
    else:
        if codec == "utf-8-sig":
            stream.write("\ufeff")
        n, guard = write_csv(columns, rows, stream, cp932=cp932)
    if guard.replaced:
        (warn or _warn_stderr)(
            f"Shift_JIS（CP932）で表せない文字 {guard.replaced:,} 個を「?」に置き換えました"
            f"（最初の例: {guard.example}）。文字を失わずに書き出すには UTF-8 を選んでください。"
        )
    return n


def _warn_stderr(message: str) -> None:
    print(f"警告: {message}", file=sys.stderr)


def export_queryset(
    queryset: Any,
    columns: Sequence[tuple[ExportColumn, str]],
    *,
    labels: dict[str, dict[Any, str]] | None = None,
    title: str,
    path: Path | str | None,
    stream: Any,
    encoding: str,
    fmt: str | None,
    warn: Callable[[str], None] | None = None,
) -> int:
    """Export a Django queryset: each column is (ExportColumn, value path for ``values_list``).

    ``labels`` maps a value path to {stored value: label} for columns shown as words (e.g. a choice's label).
    """
    paths = [p for _, p in columns]
    mapped = [(paths.index(p), table) for p, table in (labels or {}).items()]

    def rows() -> Iterator[list[Any]]:
        for row in queryset.values_list(*paths).iterator(chunk_size=2000):
            out = list(row)
            for i, table in mapped:
                out[i] = table.get(out[i], out[i])
            yield out

    return export_table(
        [c for c, _ in columns],
        rows(),
        path=Path(path) if path is not None else None,
        stream=stream,
        encoding=encoding,
        fmt=fmt,
        title=title,
        count=queryset.count(),
        warn=warn,
    )
