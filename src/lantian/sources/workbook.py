"""Registers in and out as files: a CSV of one register, or a workbook with a sheet per register.

Import (:func:`import_file`) reads every sheet first and stores only if none has a problem; every
problem of every sheet is reported together (:class:`~lantian.sources.tables.RegisterImportError`).
A workbook's sheets are found by their names (企业, 建筑工地, 堆场, 消纳场, 混凝土搅拌站, 道路,
餐饮单位, 监测设备); with ``register`` given, that register's sheet, or the first sheet. Sources
are stored before devices, so a device may sit on a source of the same workbook. Export
(:func:`write_workbook`) writes the same layout back, one sheet per register, so that an export
imports again unchanged.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pyarrow as pa
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import Session

from lantian.ingest.excel import Sheet, append_row, csv_text
from lantian.ingest.schema import FormatError
from lantian.ingest.sheets import is_xlsx, read_table_file
from lantian.plan.access import Actor
from lantian.sources.registry import ImportSummary, import_register, register_rows
from lantian.sources.tables import RegisterImportError, parse_register
from lantian.sources.vocabulary import TABLES


def _sheets(name: str, data: bytes, register: str | None) -> list[tuple[str, Sheet, str]]:
    """(register, sheet cells, source label) of each register found in the file."""
    if not is_xlsx(data):
        if register is None:
            raise FormatError(name, "a CSV file holds one register: give --kind")
        return [(register, read_table_file(name, data), name)]
    wanted = [register] if register else list(TABLES)
    found = []
    for key in wanted:
        try:
            sheet = read_table_file(name, data, TABLES[key].sheet)
        except FormatError as error:
            if not error.reason.startswith("no sheet"):
                raise
            if register is None:
                continue
            sheet = read_table_file(name, data)
        found.append((key, sheet, f"{name}!{sheet.name}"))
    if not found:
        sheets = "、".join(t.sheet for t in TABLES.values())
        raise FormatError(name, f"no register sheet; expected one of {sheets}")
    return found


def import_file(
    db: Session,
    actor: Actor,
    name: str,
    data: bytes,
    *,
    register: str | None = None,
    crs: str = "wgs84",
    stations: pa.Table | None = None,
    example: bool = False,
) -> list[ImportSummary]:
    """Import a CSV or workbook given as bytes (``name`` labels it in errors); all or nothing.

    Raises :class:`RegisterImportError` with every problem found, or :class:`FormatError` for a
    file that cannot be read. The caller's transaction is left to roll back on either.
    """
    parsed, rejections = [], []
    for key, sheet, source in _sheets(name, data, register):
        try:
            parsed.append((key, parse_register(sheet, TABLES[key], source, crs), source))
        except RegisterImportError as error:
            rejections += error.rejections
    if rejections:
        raise RegisterImportError(rejections)
    return [
        import_register(db, actor, key, records, source=source, stations=stations, example=example)
        for key, records, source in sorted(parsed, key=lambda p: list(TABLES).index(p[0]))
    ]


def _layout_rows(db: Session, actor: Actor, register: str) -> tuple[list[str], list[list[Any]]]:
    table = TABLES[register]
    rows = register_rows(db, actor, register)
    return table.headers, [[row[f.key] for f in table.fields] for row in rows]


def write_workbook(
    db: Session, actor: Actor, path: Path, registers: list[str] | None = None
) -> None:
    """Every register (or those named) as a sheet of an xlsx workbook in the offices' layout."""
    book = Workbook()
    book.remove(book.active)
    for register in registers or list(TABLES):
        headers, body = _layout_rows(db, actor, register)
        sheet = book.create_sheet(TABLES[register].sheet)
        append_row(sheet, headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in body:
            append_row(sheet, row)
        sheet.freeze_panes = "A2"
    book.save(path)


def register_csv(db: Session, actor: Actor, register: str) -> bytes:
    """One register as CSV in the offices' layout (UTF-8 with BOM, so that Excel reads it)."""
    headers, body = _layout_rows(db, actor, register)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows([["" if v is None else csv_text(v) for v in row] for row in body])
    return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
