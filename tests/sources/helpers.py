"""Registers built by the tests (constructed rows, not real data)."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from lantian.sources.example import example_file


def csv_bytes(rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode("utf-8")


def workbook_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def example_rows(register: str) -> list[list[str]]:
    """The example register's CSV as rows (header first)."""
    with example_file(register).open(encoding="utf-8") as handle:
        return [list(row) for row in csv.reader(handle)]
