"""A table of cell text from a CSV file or one sheet of an ``.xlsx`` workbook, for the registries.

Registers kept by the offices (enterprises, sites, devices …) arrive as Excel workbooks or CSV
exports with Chinese headers. :func:`read_table_file` turns either into the one shape of
:class:`lantian.ingest.excel.Sheet` — the header row, one string column per header, and each data
row's row number (the sheet's row, or the CSV's line) — so that the register's validator reads
both the same way and names sheet, row and column in every error. CSV: UTF-8 (with or without BOM)
or GB18030, as :mod:`lantian.ingest.tidy` reads it. xlsx: opened by :mod:`lantian.ingest.excel`
within :data:`REGISTER_LIMITS` (size, parts, markup, rows, columns checked before parsing).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pyarrow as pa

from lantian.ingest import excel
from lantian.ingest.schema import FormatError
from lantian.ingest.text import decode_csv

REGISTER_LIMITS = excel.WorkbookLimits(
    file_bytes=10 * 2**20, cells=1_000_000, rows=50_001, columns=64
)
"""A register's workbook: up to 50,000 rows (a city's catering premises) of ≤ 64 columns."""
MAX_FILE_BYTES = REGISTER_LIMITS.file_bytes
"""Largest register file read, CSV or xlsx [bytes]."""
MAX_ROWS = REGISTER_LIMITS.rows - 1


def is_xlsx(data: bytes) -> bool:
    return data.startswith((b"PK\x03\x04", b"PK\x05\x06"))


def read_table_file(source: str, data: bytes, sheet: str | None = None) -> excel.Sheet:
    """The header and cell text of a CSV file or of ``sheet`` (default the first) of a workbook.

    Raises :class:`FormatError` naming ``source`` for a file too large, damaged, empty or not
    CSV/xlsx (an old ``.xls`` is refused with a hint).
    """
    if len(data) > MAX_FILE_BYTES:
        raise FormatError(source, f"file larger than {MAX_FILE_BYTES // 2**20} MB")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FormatError(source, "an old Excel .xls (or other OLE) file; save it as .xlsx or CSV")
    found = (
        excel.read_sheet(source, data, sheet, REGISTER_LIMITS)
        if is_xlsx(data)
        else _read_csv(source, data)
    )
    if len(found.rows) > MAX_ROWS:
        raise FormatError(source, f"more than {MAX_ROWS} rows")
    return found


def _read_csv(source: str, data: bytes) -> excel.Sheet:
    text, _ = decode_csv(source, data)
    try:
        records = list(csv.reader(io.StringIO(text.decode("utf-8"), newline="")))
    except csv.Error as error:  # e.g. a field over the csv module's limit (128 KiB)
        raise FormatError(source, f"not readable as CSV ({error})") from error
    if len(records) > REGISTER_LIMITS.rows:
        raise FormatError(source, f"more than {REGISTER_LIMITS.rows - 1} rows")
    filled = [i for i, record in enumerate(records) if any(cell.strip() for cell in record)]
    if not filled:
        raise FormatError(source, "empty file (no header line)")
    header = [cell.strip() for cell in records[filled[0]]]
    while header and header[-1] == "":
        header.pop()
    if len(header) > REGISTER_LIMITS.columns:
        raise FormatError(
            source, f"more than {REGISTER_LIMITS.columns} columns", line=filled[0] + 1
        )
    body = [records[i] for i in filled[1:]]
    width = len(header)
    return excel.Sheet(
        name=Path(source).name,
        header=header,
        header_row=filled[0] + 1,
        columns=[
            pa.array([row[j] if j < len(row) else "" for row in body], pa.string())
            for j in range(width)
        ],
        rows=np.array(filled[1:], dtype=np.int64) + 1,
        overflow=np.array([sum(bool(c.strip()) for c in row[width:]) for row in body], np.int64),
    )
