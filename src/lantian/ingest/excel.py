"""Excel workbooks (``.xlsx``) as columns of cell text, with their sheet row numbers.

Officials' exports arrive as ``.xlsx``; this module only turns one sheet into a header and columns of
text (``2019-01-01 01:00:00`` for a date cell, ``12.5`` for a number, ``""`` for an empty cell), so that
the format readers (:mod:`lantian.ingest.tidy`) validate every source with the same whole-column code.
The workbook is opened in openpyxl's read-only mode; its rows are turned into columns once.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass

import numpy as np
import openpyxl
import pyarrow as pa

from lantian.ingest.schema import FormatError

#: Members every ``.xlsx`` package has; a zip without them is an archive, not a workbook.
WORKBOOK_MEMBER = "xl/workbook.xml"


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


def _rows(source: str, data: bytes, sheet: str | None) -> tuple[str, list[tuple]]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types (zip, XML, KeyError) on damaged files
        raise FormatError(source, f"not a readable .xlsx workbook ({error})") from error
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise FormatError(
                source, f"no sheet {sheet!r}; sheets: {', '.join(workbook.sheetnames)}"
            )
        worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
        worksheet.reset_dimensions()  # some writers record wrong dimensions; read every cell
        try:
            return worksheet.title, list(worksheet.iter_rows(values_only=True))
        except Exception as error:  # damaged sheet XML surfaces only while iterating
            raise FormatError(
                source, f"damaged .xlsx sheet {worksheet.title!r} ({error})"
            ) from error
    finally:
        workbook.close()


def read_sheet(source: str, data: bytes, sheet: str | None = None) -> Sheet:
    """The first sheet (or ``sheet``) of an ``.xlsx`` workbook given as bytes.

    The header is the first row with a non-empty cell; data rows are the non-empty rows below it.
    Raises :class:`FormatError` naming ``source`` for a damaged workbook, a missing sheet or a sheet
    without any cell.
    """
    title, rows = _rows(source, data, sheet)
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
