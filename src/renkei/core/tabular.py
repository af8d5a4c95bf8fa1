"""Tables people make in Excel: reading CSV (UTF-8 / Shift_JIS) and .xlsx, and import results.

Writing them back lives in ``tabular_export.py``.

Reading is strict about what it cannot understand and says so in Japanese: a file that is too large, not a real
.xlsx, in neither UTF-8 nor Shift_JIS (CP932), or with a row whose bytes cannot be decoded. The importers of each
app (``companies/importing.py``, ``network/importing.py``) map the headers to their fields and validate the rows;
this module knows nothing about companies or organizations.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any, BinaryIO

import openpyxl
from django.conf import settings

from .errors import ApplicationError
from .text import nfkc

# ---- Results -------------------------------------------------------------------------------------------------

FILE_ROW = 0  # RowError.row for a problem with the whole file (size, format, encoding, headers, permission)


@dataclass(frozen=True)
class RowError:
    """One problem: ``row`` is the row number a person sees in Excel (header = 1; 0 = the whole file)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = "ファイル" if self.row == FILE_ROW else f"{self.row}行目"
        return f"{where} {self.column}: {self.message}" if self.column else f"{where}: {self.message}"


@dataclass
class ImportResult:
    """What an import did (or, with ``dry_run``, would do). Nothing is written unless ``ok``."""

    dry_run: bool = False
    noun: str = "件"
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created: int = 0
    total_rows: int = 0
    source_format: str = ""

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def file_errors(self) -> list[RowError]:
        return [e for e in self.errors if e.row == FILE_ROW]

    @property
    def error_rows(self) -> list[int]:
        return sorted({e.row for e in self.errors if e.row != FILE_ROW})

    def add_file_error(self, message: str, column: str = "") -> None:
        self.errors.append(RowError(FILE_ROW, column, message))

    def report_lines(self) -> list[str]:
        """Japanese lines: file problems, warnings, one line per bad row, and a summary."""
        lines = [str(e) for e in self.file_errors]
        lines += [f"注意: {w}" for w in self.warnings]
        by_row: dict[int, list[RowError]] = {}
        for e in self.errors:
            if e.row != FILE_ROW:
                by_row.setdefault(e.row, []).append(e)
        for row in sorted(by_row):
            parts = [f"{e.column}: {e.message}" if e.column else e.message for e in by_row[row]]
            lines.append(f"{row}行目 " + " / ".join(parts))
        lines.append(self.summary())
        return lines

    def summary(self) -> str:
        prefix = "検証のみ: " if self.dry_run else ""
        if self.file_errors:
            return f"{prefix}取り込みを中止しました。何も登録していません。"
        if self.errors:
            tail = (
                "（何も書き込んでいません）。"
                if self.dry_run
                else "。何も登録していません。誤りを直してもう一度取り込んでください。"
            )
            return (
                f"{prefix}全 {self.total_rows:,} 行のうち {len(self.error_rows):,} 行に誤りがあります{tail}"
            )
        if self.dry_run:
            return f"検証のみ: 全 {self.total_rows:,} 行を登録できます（何も書き込んでいません）。"
        return f"{self.created:,} 件の{self.noun}を登録しました（全 {self.total_rows:,} 行）。"


class TabularError(ApplicationError):
    """The file as a whole cannot be read (size, format, encoding, headers)."""

    status = 422
    title = "ファイルを読み込めません"
    code = "import_file_rejected"


# ---- Reading -------------------------------------------------------------------------------------------------

CSV_SUFFIXES = {".csv", ".txt", ".tsv", ""}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_XLSX_EXPANSION = 25  # an .xlsx may expand to 25× the upload limit; more is a zip bomb or a mistake
HEADER_SCAN_ROWS = 10


@dataclass
class Table:
    """The first sheet / the CSV. ``rows`` yields (excel_row_number, cells, undecodable) once, as it reads.

    Reading is lazy so a large file is never held twice (as cells and as cleaned values); a damaged file can
    therefore also raise TabularError while ``rows`` is being iterated.
    """

    headers: list[str]
    header_row: int
    rows: Iterator[tuple[int, Sequence[Any], bool]]
    source_format: str
    encoding: str = ""


def _megabytes(n: int) -> str:
    mb = n / (1024 * 1024)
    return f"{mb:.0f} MB" if mb >= 10 or mb.is_integer() else f"{mb:.1f} MB"


def too_large_message(size: int | None, limit: int) -> str:
    actual = f"（{_megabytes(size)}）" if size is not None else ""
    return (
        f"ファイルが大きすぎます{actual}。取り込めるのは {_megabytes(limit)} までです。"
        "ファイルを分けて取り込んでください。"
    )


def read_source(
    source: str | os.PathLike | BinaryIO | IO[bytes],
    *,
    filename: str | None = None,
    max_bytes: int | None = None,
) -> tuple[bytes, str]:
    """The file's bytes and name. Refuses anything over the limit before reading it."""
    limit = settings.RENKEI_IMPORT_MAX_BYTES if max_bytes is None else max_bytes
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        try:
            size = path.stat().st_size
        except OSError:
            raise TabularError(f"ファイルが見つかりません: {path.name}") from None
        if size > limit:
            raise TabularError(too_large_message(size, limit))
        with path.open("rb") as fh:
            data = fh.read(limit + 1)
        name = filename or path.name
    else:
        size = getattr(
            source, "size", None
        )  # Django's UploadedFile knows its size; else read at most limit+1
        if isinstance(size, int) and size > limit:
            raise TabularError(too_large_message(size, limit))
        if hasattr(source, "seek"):  # an upload a form has already looked at: read it from the start
            try:
                source.seek(0)
            except (OSError, ValueError):
                pass
        data = source.read(limit + 1)
        if isinstance(data, str):
            raise TypeError("import source must be opened in binary mode")
        name = filename or os.path.basename(str(getattr(source, "name", "") or ""))
    if len(data) > limit:
        raise TabularError(too_large_message(None, limit))
    if not data:
        raise TabularError("ファイルが空です。")
    return data, name


def read_table(
    source: str | os.PathLike | BinaryIO | IO[bytes],
    *,
    filename: str | None = None,
    is_header: Callable[[str], bool] | None = None,
    max_bytes: int | None = None,
) -> Table:
    """Read a CSV or the first sheet of an .xlsx. ``is_header`` helps find the header row below a title row."""
    data, name = read_source(source, filename=filename, max_bytes=max_bytes)
    suffix = Path(name).suffix.lower()
    limit = settings.RENKEI_IMPORT_MAX_BYTES if max_bytes is None else max_bytes
    if suffix in XLSX_SUFFIXES or (suffix in CSV_SUFFIXES | {".xls"} and data.startswith(_ZIP_MAGIC)):
        return _read_xlsx(data, is_header=is_header, limit=limit)
    if data.startswith(_OLE_MAGIC) or suffix == ".xls":
        raise TabularError(
            "古い Excel 形式（.xls）やパスワード付きの Excel ファイルは読み込めません。"
            "Excel で「Excel ブック（.xlsx）」または「CSV UTF-8」形式で保存し直してください。"
        )
    if suffix not in CSV_SUFFIXES:
        raise TabularError(
            f"「{suffix}」形式のファイルには対応していません。CSV（.csv）または Excel（.xlsx）を指定してください。"
        )
    return _read_csv(data, is_header=is_header)


# ---- CSV ------------------------------------------------------------------------------------------------------

_UTF8_LABEL = "UTF-8"
_CP932_LABEL = "Shift_JIS（CP932）"
# Python's cp932 decodes these bytes "successfully" into characters no Japanese file means (0x80, 0xA0,
# 0xFD–0xFF) or into 外字 (user-defined characters): treat them as undecodable.
_CP932_SUSPICIOUS = re.compile("[\x80\ue000-\uf8ff]")
_HALFWIDTH_KANA = re.compile("[\uff61-\uff9f]")
_NOT_TEXT = (
    "文字コードを判別できません。UTF-8 でも Shift_JIS（CP932）でもないファイルです。"
    "Excel で「CSV UTF-8（コンマ区切り）」または「CSV（コンマ区切り）」として保存し直してください。"
)


def _iter_lines(text: str) -> Iterator[str]:
    """Lines with their ends, split on LF only (CRLF stays for the csv module); CR-only files (old Macs) too."""
    if "\n" not in text and "\r" in text:
        text = text.replace("\r", "\n")
    start, end = 0, len(text)
    while start < end:
        stop = text.find("\n", start)
        stop = end if stop < 0 else stop + 1
        yield text[start:stop]
        start = stop


def decode_csv_bytes(data: bytes) -> tuple[Iterable[str], set[int], str, str]:
    """Decode to lines. Returns (lines, indexes of undecodable lines, encoding, label).

    UTF-8 (with or without BOM) is tried first; a Shift_JIS line is essentially never valid UTF-8, while UTF-8
    often decodes as (garbled) CP932, so when the file as a whole is not valid UTF-8 each line votes.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _iter_lines(data.decode("utf-16")), set(), "utf-16", "UTF-16"
        except UnicodeDecodeError:
            raise TabularError(_NOT_TEXT) from None
    bom = data.startswith(codecs.BOM_UTF8)
    body = data[3:] if bom else data
    if b"\x00" in body:
        raise TabularError(_NOT_TEXT)
    label = f"{_UTF8_LABEL}（BOM付き）" if bom else _UTF8_LABEL
    try:
        return _iter_lines(body.decode("utf-8")), set(), "utf-8", label
    except UnicodeDecodeError:
        pass
    raw_lines = list(io.BytesIO(body))  # split on LF only, as Excel ends rows with CRLF
    utf8_ok: list[bool] = []
    cp932_text: list[str | None] = []
    non_ascii = n_utf8 = n_cp932 = 0
    for raw in raw_lines:
        if raw.isascii():
            utf8_ok.append(True)
            cp932_text.append(raw.decode("ascii"))
            continue
        non_ascii += 1
        try:
            raw.decode("utf-8")
            utf8_ok.append(True)
            n_utf8 += 1
        except UnicodeDecodeError:
            utf8_ok.append(False)
        try:
            text: str | None = raw.decode("cp932")
        except UnicodeDecodeError:
            text = None
        if text is not None and _CP932_SUSPICIOUS.search(text):
            text = None
        n_cp932 += text is not None
        cp932_text.append(text)
    if bom or (n_utf8 and n_utf8 * 2 >= non_ascii):
        lines = [raw.decode("utf-8", errors="replace") for raw in raw_lines]
        broken = {i for i, ok in enumerate(utf8_ok) if not ok}
        return lines, broken, "utf-8", label
    if n_cp932 and n_cp932 * 2 >= non_ascii:
        lines = [
            t if t is not None else raw.decode("cp932", errors="replace")
            for raw, t in zip(raw_lines, cp932_text, strict=True)
        ]
        _refuse_euc_jp(body, lines)
        broken = {i for i, t in enumerate(cp932_text) if t is None}
        return lines, broken, "cp932", _CP932_LABEL
    raise TabularError(_NOT_TEXT)


def _refuse_euc_jp(body: bytes, lines: list[str]) -> None:
    """EUC-JP decodes as CP932 into mostly half-width katakana; say what the file really is."""
    sample = "".join(lines[:2000])
    non_ascii = sum(1 for ch in sample if ord(ch) > 0x7F)
    if non_ascii and len(_HALFWIDTH_KANA.findall(sample)) > 0.6 * non_ascii:
        try:
            body.decode("euc_jp")
        except UnicodeDecodeError:
            return
        raise TabularError(
            "このファイルは EUC-JP で保存されているようです。UTF-8 または Shift_JIS（CP932）で保存し直してください。"
        )


def is_blank_row(cells: Sequence[Any]) -> bool:
    return all(v is None or (v.__class__ is str and not v.strip()) for v in cells)


def _pick_header(records: list[Sequence[Any]], is_header: Callable[[str], bool] | None) -> int | None:
    """Index of the header among the first records: the first non-blank one naming a known column."""
    first = None
    seen = 0
    for i, cells in enumerate(records):
        if is_blank_row(cells):
            continue
        if first is None:
            first = i
        if is_header is None or any(is_header(str(c)) for c in cells if c is not None and str(c).strip()):
            return i
        seen += 1
        if seen >= HEADER_SCAN_ROWS:
            break
    return first


def _read_csv(data: bytes, *, is_header: Callable[[str], bool] | None) -> Table:
    lines, broken, encoding, label = decode_csv_bytes(data)
    lines = iter(lines)
    first = next(lines, None)
    if first is None:
        raise TabularError("ファイルが空です。")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    records = _csv_records(csv.reader(chain([first], lines), delimiter=delimiter), broken)
    head = list(islice(records, HEADER_SCAN_ROWS * 3))
    header_index = _pick_header([c for c, _ in head], is_header)
    if header_index is None:
        raise TabularError("ファイルにデータがありません（見出し行が見つかりません）。")
    header_cells, header_bad = head[header_index]
    if header_bad:
        raise TabularError(f"{header_index + 1}行目（見出し行）に{label}として読めない文字が含まれています。")
    rest = chain(head[header_index + 1 :], records)
    rows = (
        (i, [c.strip() for c in cells], bad) for i, (cells, bad) in enumerate(rest, start=header_index + 2)
    )
    kind = "TSV" if delimiter == "\t" else "CSV"
    return Table(
        headers=[h.strip() for h in header_cells],
        header_row=header_index + 1,
        rows=rows,
        source_format=f"{kind}（{label}）",
        encoding=encoding,
    )


def _csv_records(reader: Any, broken: set[int]) -> Iterator[tuple[list[str], bool]]:
    """(cells, undecodable) per record; a record is undecodable if any physical line of it was."""
    consumed = 0
    n = 0
    try:
        for cells in reader:
            n += 1
            start, consumed = consumed, reader.line_num
            yield cells, bool(broken) and any(i in broken for i in range(start, consumed))
    except csv.Error as exc:
        raise TabularError(
            f"CSV の形式が正しくありません（{n + 1}行目付近）。"
            '引用符（"）の閉じ忘れや、1つのセルが長すぎないかを確認してください。'
        ) from exc


# ---- .xlsx ----------------------------------------------------------------------------------------------------

_NOT_XLSX = (
    "Excel（.xlsx）ファイルとして読み込めません。ファイルが壊れているか、別の形式のファイルの拡張子を "
    ".xlsx に変えたものです。Excel で開いて「Excel ブック（.xlsx）」として保存し直してください。"
)


def _check_zip(data: bytes, limit: int) -> None:
    if not data.startswith(_ZIP_MAGIC):
        if data.startswith(_OLE_MAGIC):
            raise TabularError(
                "古い Excel 形式（.xls）またはパスワード付きのファイルです。パスワードを外し、"
                "「Excel ブック（.xlsx）」として保存し直してください。"
            )
        raise TabularError(_NOT_XLSX)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise TabularError(_NOT_XLSX) from None
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise TabularError(_NOT_XLSX)
    if sum(i.file_size for i in infos) > _XLSX_EXPANSION * limit:
        raise TabularError("Excel ファイルの中身が大きすぎます。ファイルを分けて取り込んでください。")


def _read_xlsx(data: bytes, *, is_header: Callable[[str], bool] | None, limit: int) -> Table:
    _check_zip(data, limit)
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of errors on damaged files
        raise TabularError(_NOT_XLSX) from None
    records = _xlsx_records(wb)
    head = list(islice(records, HEADER_SCAN_ROWS * 3))
    header_index = _pick_header(head, is_header)
    if header_index is None:
        records.close()
        raise TabularError("最初のシートにデータがありません（見出し行が見つかりません）。")
    headers = ["" if v is None else str(v).strip() for v in head[header_index]]
    rest = chain(head[header_index + 1 :], records)
    rows = ((i, cells, False) for i, cells in enumerate(rest, start=header_index + 2))
    return Table(headers=headers, header_row=header_index + 1, rows=rows, source_format="Excel（.xlsx）")


def _xlsx_records(wb: Any) -> Iterator[tuple[Any, ...]]:
    """The rows of the first sheet; the workbook is closed when they are read (or the reading stops)."""
    try:
        if not wb.worksheets:
            raise TabularError("Excel ファイルにシートがありません。")
        ws = wb.worksheets[0]
        ws.reset_dimensions()  # files from other tools often carry a wrong dimension
        for cells in ws.iter_rows(values_only=True):
            yield tuple(v.strip() if isinstance(v, str) else v for v in cells)
    except TabularError:
        raise
    except Exception:  # noqa: BLE001 - read-only mode parses lazily: damage shows up while iterating
        raise TabularError(_NOT_XLSX) from None
    finally:
        wb.close()


# ---- Headers -------------------------------------------------------------------------------------------------

_BRACKETS = re.compile(r"【[^】]*】|\[[^\]]*\]|<[^>]*>")
_TRAILING_PARENS = re.compile(r"\([^()]*\)$")
_DECORATION = re.compile(r"[\s※*＊★☆◎●○]+")


def normalize_header(text: Any) -> str:
    """``【必須】企業名（全角）※`` → ``企業名``; ``JSIC コード`` → ``jsicコード``; keys stay as they are."""
    t = nfkc(text)
    t = _BRACKETS.sub("", t)
    t = _DECORATION.sub("", t)
    while _TRAILING_PARENS.search(t):
        t = _TRAILING_PARENS.sub("", t)
    t = t.removesuffix("必須").removesuffix("任意")
    return t.lower()


@dataclass
class ColumnMap:
    """Which column of the file holds which field: ``index[key]`` and the header as typed, ``header[key]``."""

    index: dict[str, int]
    header: dict[str, str]
    errors: list[str]
    warnings: list[str]


def map_columns(
    headers: Sequence[str],
    *,
    aliases: dict[str, str],
    labels: dict[str, str],
    required: Sequence[str] = (),
    ignored: Iterable[str] = (),
) -> ColumnMap:
    """Map typed headers to field keys.

    ``aliases`` maps normalized headers (see ``normalize_header``) to keys, ``labels`` keys to their Japanese
    name; ``ignored`` names columns an export writes that an import does not read. A missing required column or
    a field given twice is an error; an unknown header is a warning (its values are not imported).
    """
    ignored_norm = {normalize_header(h) for h in ignored}
    index: dict[str, int] = {}
    header: dict[str, str] = {}
    errors: list[str] = []
    warnings: list[str] = []
    unknown: list[str] = []
    for i, typed in enumerate(headers):
        if not typed:
            continue
        norm = normalize_header(typed)
        key = aliases.get(norm)
        if key is None:
            if norm not in ignored_norm:
                unknown.append(typed)
            continue
        if key in index:
            errors.append(
                f"{labels.get(key, key)}の列が2つあります（「{header[key]}」と「{typed}」）。どちらか一方にしてください。"
            )
            continue
        index[key] = i
        header[key] = typed
    for key in required:
        if key not in index:
            errors.append(
                f"必須の列「{labels.get(key, key)}」がありません。見出し行に「{labels.get(key, key)}」の列を追加してください"
                f"（読み取った見出し: {'、'.join(h for h in headers if h) or 'なし'}）。"
            )
    if unknown:
        names = "、".join(f"「{h}」" for h in unknown)
        warnings.append(
            f"列 {names} は項目名として認識できないため取り込みません（使える列名: {'、'.join(labels.values())}）。"
        )
    return ColumnMap(index=index, header=header, errors=errors, warnings=warnings)


def open_table(
    source: Any,
    *,
    filename: str | None,
    result: ImportResult,
    aliases: dict[str, str],
    labels: dict[str, str],
    required: Sequence[str],
    ignored: Iterable[str] = (),
) -> tuple[Table, ColumnMap] | None:
    """Read and map a table, recording any file-level problem in ``result`` (then None is returned)."""
    try:
        table = read_table(source, filename=filename, is_header=lambda h: normalize_header(h) in aliases)
    except TabularError as exc:
        result.add_file_error(exc.message)
        return None
    result.source_format = table.source_format
    columns = map_columns(table.headers, aliases=aliases, labels=labels, required=required, ignored=ignored)
    for message in columns.errors:
        result.add_file_error(message)
    result.warnings.extend(columns.warnings)
    if columns.errors:
        return None
    return table, columns


def data_rows(table: Table, result: ImportResult) -> Iterator[tuple[int, Sequence[Any], bool]]:
    """The non-blank rows of ``table``, counted in ``result.total_rows``.

    A damaged file found while reading, or a file without data rows, becomes a file-level error in ``result``.
    """
    try:
        for row in table.rows:
            if not is_blank_row(row[1]):
                result.total_rows += 1
                yield row
    except TabularError as exc:
        result.add_file_error(exc.message)
        return
    if result.total_rows == 0:
        result.add_file_error("取り込むデータの行がありません（見出し行だけです）。")


def undecodable_message(table: Table) -> str:
    label = _CP932_LABEL if table.encoding == "cp932" else table.encoding.upper()
    return f"{label}として読めない文字（または外字）が含まれています。この行を直して保存し直してください。"


FORMULA_PREFIX = ("=", "+", "-", "@", "\t", "\r")


def strip_formula_guard(value: Any) -> Any:
    """Undo the apostrophe our CSV export puts before text that a spreadsheet would run as a formula."""
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in FORMULA_PREFIX:
        return value[1:]
    return value
