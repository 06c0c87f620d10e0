"""Activity files built by the tests (constructed rows, not real data)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from lantian.inventory.activity import TEMPLATES


def csv_bytes(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def workbook_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    """A workbook with a sheet per template key (its Chinese sheet name), rows as given."""
    book = Workbook()
    book.remove(book.active)
    for key, rows in sheets.items():
        sheet = book.create_sheet(TEMPLATES[key].table.sheet)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def headers(key: str) -> list[str]:
    return TEMPLATES[key].table.headers


def row(key: str, **cells: object) -> list[object]:
    """A row of ``key``'s layout with the given cells (by glossary key), the rest empty."""
    return [cells.get(f.key, "") for f in TEMPLATES[key].table.fields]
