"""What every command shares: the console, the store of ``--home``, output formats."""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import StrEnum

from rich.console import Console
from rich.table import Table

from lantian.settings import settings
from lantian.store import MeasurementStore

console = Console()
errors = Console(stderr=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


def store() -> MeasurementStore:
    """The measurement store of the current ``--home`` / ``LANTIAN_HOME``."""
    return MeasurementStore(settings().store_path)


def emit(rows: list[dict[str, object]], output: OutputFormat, title: str = "") -> None:
    """Print rows as a Rich table, JSON or CSV (UTF-8 with BOM so Excel reads the Chinese)."""
    if output is OutputFormat.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1, default=str) + "\n")
        return
    if output is OutputFormat.csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else [])
        writer.writeheader()
        writer.writerows(rows)
        sys.stdout.buffer.write(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8"))
        return
    table = Table(title=title or None)
    for column in rows[0] if rows else []:
        table.add_column(str(column))
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    console.print(table)
