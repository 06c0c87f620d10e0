"""Rows out: a terminal table, CSV (UTF-8 with BOM, so Excel opens the Chinese), xlsx or HTML."""

from __future__ import annotations

import csv
import html
import io
import json
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font
from rich.table import Table

from lantian.cli.common import OutputFormat, console
from lantian.ingest.excel import append_row, csv_text


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def terminal_table(rows: list[dict[str, object]], title: str = "") -> Table:
    """``rows`` as a terminal table whose cells wrap (fold) rather than end in "…": on an
    80-column terminal or a pipe, Chinese column names and values are printed whole."""
    table = Table(title=title or None)
    for column in list(rows[0]) if rows else []:
        table.add_column(str(column), overflow="fold")
    for row in rows:
        table.add_row(*(_cell(value) for value in row.values()))
    return table


def emit(rows: list[dict[str, object]], output: OutputFormat, title: str = "") -> None:
    """Print rows as a table, JSON or CSV on stdout."""
    if output is OutputFormat.json:
        write_json(rows, None)
    else:
        write_rows(rows, output.value, None, title)


def write_json(value: object, path: Path | None) -> None:
    """``value`` as indented UTF-8 JSON (Chinese as is) to ``path``, or stdout when None."""
    text = json.dumps(value, ensure_ascii=False, indent=1, default=str) + "\n"
    if path is None:
        sys.stdout.write(text)
    else:
        path.write_text(text, encoding="utf-8")


def write_rows(
    rows: list[dict[str, object]], kind: str, path: Path | None, title: str = ""
) -> None:
    """Write ``rows`` as ``table``, ``csv``, ``xlsx`` or ``html`` to ``path`` (stdout when None)."""
    columns = list(rows[0]) if rows else []
    if kind == "table":
        console.print(terminal_table(rows, title))
        return
    if kind == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=columns)
        writer.writeheader()
        writer.writerows({k: csv_text(v) for k, v in row.items()} for row in rows)
        data = b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
    elif kind == "xlsx":
        book = Workbook()
        sheet = book.active
        sheet.title = (title or "Lantian")[:31].replace("/", "-").replace(":", "-")
        append_row(sheet, columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            append_row(sheet, [row[c] for c in columns])
        buffer_bytes = io.BytesIO()
        book.save(buffer_bytes)
        data = buffer_bytes.getvalue()
    elif kind == "html":
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(r[c]))}</td>" for c in columns) + "</tr>"
            for r in rows
        )
        data = (
            f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<h1>{html.escape(title)}</h1><table border=1><thead><tr>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table></html>"
        ).encode()
    else:
        raise ValueError(f"unknown output kind {kind!r}")
    if path is None:
        if kind == "xlsx" and sys.stdout.isatty():
            raise SystemExit("xlsx output needs --output FILE")
        sys.stdout.buffer.write(data)
    else:
        path.write_bytes(data)
        console.print(f"已写入 written: {path}")
