"""Excel workbooks (``.xlsx``): the one guarded way to open them, and one sheet as columns of text.

:func:`open_workbook` is how every reader of an ``.xlsx`` opens it (the ledger's templates, the plan
workbook, the emergency reduction list, tidy measurement files): before openpyxl sees a byte, the
package is checked against the caller's :class:`WorkbookLimits` — its size, the number of parts,
every part's *actual* unpacked size (counted while inflating, not taken from the zip header), the
total, and the amount of markup (``<``) of every XML part, which is what parsing costs — and any
part declaring a ``<!DOCTYPE`` or ``<!ENTITY`` is refused (a workbook never needs one; entity tricks
need one). :func:`sheet_rows` then streams a sheet's rows, only the caller's columns, and stops with
an error at the row limit. Every refusal is a :class:`WorkbookError` naming the file (and sheet),
in English and Chinese, never an exception of the XML or zip layer.

:func:`read_sheet` turns one sheet into a header and columns of text (``2019-01-01 01:00:00`` for a
date cell, ``12.5`` for a number, ``""`` for an empty cell), so that the format readers
(:mod:`lantian.ingest.tidy`) validate every source with the same whole-column code.

:func:`append_row` is the writing side's guard: text from users that Excel would take for a formula
(``= + - @``, tab, carriage return first) is written as a text cell, never as a live formula; in
CSV, which has no text cells, :func:`csv_text` prefixes such text with ``'``.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import openpyxl
import pyarrow as pa
from openpyxl.cell.cell import Cell
from openpyxl.workbook.workbook import Workbook

from lantian.ingest.schema import FormatError

#: Members every ``.xlsx`` package has; a zip without them is an archive, not a workbook.
WORKBOOK_MEMBER = "xl/workbook.xml"
CONTENT_TYPES = "[Content_Types].xml"
_FORBIDDEN_MARKUP = (b"<!DOCTYPE", b"<!ENTITY")
_CHUNK = 1 << 20
#: Markup per cell a sheet may carry on average (``<c>``, ``<v>``, ``</v>``, ``</c>``, a row's
#: share, a shared string's ``<si><t>``…): the markup limit is this many times the cell limit.
MARKUP_PER_CELL = 8
MARKUP_ALLOWANCE = 20_000
"""Markup any workbook may carry besides its cells (styles, theme, relationships; Excel's own
take ~3,000 tags)."""
EXCEL_MAX_ROWS = 1_048_576


@dataclass(frozen=True)
class WorkbookLimits:
    """What a workbook may hold, chosen by each reader for what its template can need.

    ``cells`` bounds the cost of parsing (openpyxl spends ~10 µs a cell): the XML parts together
    may hold at most ``MARKUP_PER_CELL × cells + MARKUP_ALLOWANCE`` tags.
    """

    file_bytes: int = 10 * 2**20
    """The file as uploaded [bytes]."""
    unpacked_bytes: int = 32 * 2**20
    """All parts together, inflated [bytes]."""
    part_bytes: int = 16 * 2**20
    """Any one part, inflated [bytes]."""
    parts: int = 500
    """Members of the zip."""
    cells: int = 200_000
    """Cells across the sheets (through the markup they take)."""
    rows: int = 5000
    """Rows of a sheet that :func:`sheet_rows` reads (sheet rows, the header included)."""
    columns: int = 64
    """Columns of a sheet that :func:`sheet_rows` reads (the rest is not turned into values)."""


class WorkbookError(FormatError):
    """A workbook refused by :func:`open_workbook` or :func:`sheet_rows`; ``reason_zh`` in Chinese."""

    def __init__(self, source: str, reason: str, reason_zh: str):
        super().__init__(source, reason)
        self.reason_zh = reason_zh


def _check_part(archive: zipfile.ZipFile, member: zipfile.ZipInfo, source: str, limits) -> tuple:
    """(inflated bytes, markup count) of one part, read in chunks and stopped at the part limit."""
    size = markup = 0
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > limits.part_bytes:
                raise WorkbookError(
                    source,
                    f"part {member.filename} unpacks to more than {limits.part_bytes // 2**20} MB",
                    f"文件解压后过大（{member.filename} 超过 {limits.part_bytes // 2**20} MB）",
                )
            window = tail + chunk
            if any(token in window for token in _FORBIDDEN_MARKUP):
                raise WorkbookError(
                    source,
                    f"part {member.filename} declares a DOCTYPE or entity (not allowed in a workbook)",
                    f"文件内容 {member.filename} 含有 DOCTYPE 或实体声明，不予读取",
                )
            markup += chunk.count(b"<")
            tail = chunk[-16:]
    return size, markup


MAX_MEMBER_BYTES = 2**30
"""The largest member of a data archive (.zip of CSV/Parquet) that is read [bytes]."""


def read_member(
    archive: zipfile.ZipFile, member: zipfile.ZipInfo, source: str, limit: int = MAX_MEMBER_BYTES
) -> bytes:
    """A member of a data archive, refused (:class:`WorkbookError`) if it unpacks to more than
    ``limit`` — a zip bomb — before anything is inflated (zipfile stops at the declared size)."""
    if member.file_size > limit:
        raise WorkbookError(
            source,
            f"unpacks to {member.file_size:,} bytes, more than {limit:,}",
            f"解压后 {member.file_size:,} 字节，超过 {limit:,}",
        )
    return archive.read(member)


def check_package(source: str, data: bytes, limits: WorkbookLimits) -> None:
    """Refuse ``data`` unless it is an xlsx package within ``limits`` (see the module)."""
    if len(data) > limits.file_bytes:
        raise WorkbookError(
            source,
            f"the file is larger than {limits.file_bytes // 2**20} MB",
            f"文件超过 {limits.file_bytes // 2**20} MB",
        )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            if CONTENT_TYPES not in names or WORKBOOK_MEMBER not in names:
                raise zipfile.BadZipFile("no [Content_Types].xml or xl/workbook.xml")
            if len(members) > limits.parts:
                raise WorkbookError(
                    source, f"more than {limits.parts} parts", f"文件包含超过 {limits.parts} 个部件"
                )
            total = markup = 0
            for member in members:
                size, tags = _check_part(archive, member, source, limits)
                total, markup = total + size, markup + tags
                if total > limits.unpacked_bytes:
                    raise WorkbookError(
                        source,
                        "the workbook unpacks to too much data "
                        f"(more than {limits.unpacked_bytes // 2**20} MB)",
                        f"文件解压后过大（超过 {limits.unpacked_bytes // 2**20} MB）",
                    )
                if markup > MARKUP_PER_CELL * limits.cells + MARKUP_ALLOWANCE:
                    raise WorkbookError(
                        source,
                        f"the workbook holds more than about {limits.cells} cells",
                        f"文件的单元格超过约 {limits.cells} 个",
                    )
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, NotImplementedError) as error:
        raise WorkbookError(
            source, f"not an xlsx workbook ({error})", "不是有效的 xlsx 文件"
        ) from None
    except (
        OSError,
        ValueError,
        RuntimeError,
        zlib.error,
    ) as error:  # damaged deflate stream, bad CRC, …
        if isinstance(error, WorkbookError):
            raise
        raise WorkbookError(
            source, f"not a readable xlsx workbook ({error})", "不是有效的 xlsx 文件"
        ) from None


def open_workbook(source: str, data: bytes, limits: WorkbookLimits) -> Workbook:
    """The workbook in ``data`` (openpyxl, read-only, cached values), once :func:`check_package`
    has passed it; :class:`WorkbookError` naming ``source`` otherwise. Close it when done."""
    check_package(source, data, limits)
    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types (zip, XML, KeyError) on damaged files
        raise WorkbookError(
            source,
            f"not a readable .xlsx workbook ({error})",
            f"无法读取 xlsx 文件：{error}",
        ) from None


def sheet_rows(
    workbook: Workbook, sheet: str, source: str, limits: WorkbookLimits
) -> Iterator[tuple]:
    """The rows of ``sheet`` (tuples of cell values, the first ``limits.columns`` columns),
    streamed; :class:`WorkbookError` at the first non-empty row beyond ``limits.rows`` or on
    damaged sheet XML (which only shows while iterating)."""
    worksheet = workbook[sheet]
    rows = worksheet.iter_rows(values_only=True, max_col=limits.columns)
    number = 0
    try:
        for row in rows:
            number += 1
            if number > EXCEL_MAX_ROWS:
                raise ValueError(f"row numbers beyond Excel's {EXCEL_MAX_ROWS}")
            if number > limits.rows and any(value is not None for value in row):
                raise WorkbookError(
                    f"{source}!{sheet}",
                    f"{sheet!r} has more than {limits.rows} rows",
                    f"“{sheet}”超过 {limits.rows} 行",
                )
            if number <= limits.rows:
                yield row
    except WorkbookError:
        raise
    except Exception as error:  # the XML parser's errors (ParseError, …) and openpyxl's
        raise WorkbookError(
            f"{source}!{sheet}",
            f"damaged .xlsx sheet {sheet!r} ({error})",
            f"工作表“{sheet}”已损坏，无法读取（{error}）",
        ) from None


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""How text that a spreadsheet would take for a formula begins (OWASP, "CSV injection")."""


def text_safe(sheet, values: list) -> list:
    """``values`` for ``sheet.append``: a string beginning with :data:`FORMULA_START` becomes a
    text cell (openpyxl would otherwise write ``=HYPERLINK(…)`` as a live formula)."""
    return [_text_cell(sheet, v) if _formula_like(v) else v for v in values]


def csv_text(value: object) -> object:
    """``value`` for a CSV cell: text a spreadsheet would run as a formula gets a leading ``'``
    (OWASP's advice for CSV, which has no text type); numbers, also negative ones, stay as they
    are."""
    if not _formula_like(value):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def append_row(sheet, values: list) -> None:
    """Append ``values`` to ``sheet`` (normal or write-only), user text never as a formula."""
    sheet.append(text_safe(sheet, values))


def _formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def _text_cell(sheet, value: str) -> Cell:
    # a place from the start (openpyxl's WriteOnlyCell does the same): a write-only sheet — every
    # export of the API — takes a cell for its coordinate before it places it, and one without
    # failed there: any exported text beginning with = + - @ was a 500
    cell = Cell(sheet, row=1, column=1, value=value)
    cell.data_type = "s"
    return cell


DATA_LIMITS = WorkbookLimits(
    file_bytes=256 * 2**20,
    unpacked_bytes=2 * 2**30,
    part_bytes=2 * 2**30,
    cells=50_000_000,
    rows=EXCEL_MAX_ROWS,
    columns=256,
)
"""Limits of a measurement file in the tidy format: a year of hours of a city's stations and
pollutants in long form runs to ~10⁶ rows of a few columns."""


@dataclass(frozen=True)
class Sheet:
    """One sheet's cells as text: the header row, the data columns and their sheet row numbers."""

    name: str
    header: list[str]
    header_row: int
    columns: list[pa.Array]
    """One string array per header column, ``""`` for an empty cell."""
    rows: np.ndarray
    """The sheet row number (1-based) of each data row; wholly empty rows are left out."""
    overflow: np.ndarray
    """Per data row: the number of non-empty cells to the right of the header's last column."""


def is_workbook(archive: zipfile.ZipFile) -> bool:
    """Whether a zip archive is an Office Open XML workbook rather than an archive of files."""
    return WORKBOOK_MEMBER in archive.namelist()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _rows(
    source: str, data: bytes, sheet: str | None, limits: WorkbookLimits
) -> tuple[str, list[tuple]]:
    workbook = open_workbook(source, data, limits)
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise FormatError(
                source, f"no sheet {sheet!r}; sheets: {', '.join(workbook.sheetnames)}"
            )
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        worksheet.reset_dimensions()  # some writers record wrong dimensions; read every cell
        return worksheet.title, list(sheet_rows(workbook, worksheet.title, source, limits))
    finally:
        workbook.close()


def read_sheet(
    source: str, data: bytes, sheet: str | None = None, limits: WorkbookLimits = DATA_LIMITS
) -> Sheet:
    """The first sheet (or ``sheet``) of an ``.xlsx`` workbook given as bytes.

    The header is the first row with a non-empty cell; data rows are the non-empty rows below it.
    Raises :class:`FormatError` naming ``source`` for a damaged workbook, one beyond ``limits``, a
    missing sheet or a sheet without any cell.
    """
    title, rows = _rows(source, data, sheet, limits)
    filled = [index for index, row in enumerate(rows) if any(cell is not None for cell in row)]
    if not filled:
        raise FormatError(f"{source}!{title}", "empty sheet")
    header_index, data_indices = filled[0], filled[1:]
    header = [_cell_text(cell) for cell in rows[header_index]]
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    body = [rows[index] for index in data_indices]
    columns = [
        pa.array([_cell_text(row[j]) if j < len(row) else "" for row in body], pa.string())
        for j in range(width)
    ]
    overflow = np.array(
        [sum(cell is not None for cell in row[width:]) for row in body], dtype=np.int64
    )
    return Sheet(
        name=title,
        header=header,
        header_row=header_index + 1,
        columns=columns,
        rows=np.array(data_indices, dtype=np.int64) + 1,
        overflow=overflow.reshape(-1),
    )
