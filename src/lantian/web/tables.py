"""Tables the web serves: one column-oriented :class:`Frame`, written as JSON rows, CSV or xlsx.

Every JSON endpoint that returns a table, and every chart, is backed by a ``Frame``; the same
frame is offered as ``format=csv`` (UTF-8 with BOM, so Excel reads the Chinese) and
``format=xlsx`` (openpyxl), so the data behind every table and chart can be downloaded.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import orjson
from openpyxl import Workbook

from lantian.ingest.excel import append_row, csv_text


class Format(StrEnum):
    """What a table endpoint returns."""

    json = "json"
    csv = "csv"
    xlsx = "xlsx"


MEDIA_TYPES = {
    Format.json: "application/json",
    Format.csv: "text/csv; charset=utf-8",
    Format.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def plain(value: Any) -> Any:
    """A JSON-safe Python value: NumPy scalars unwrapped, NaN → ``None``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def column_list(values: Sequence[Any] | np.ndarray) -> list[Any]:
    """A column as a list of JSON-safe values (whole-column: NaN → None in one pass)."""
    if isinstance(values, np.ndarray):
        if values.dtype.kind == "f":
            return np.where(np.isnan(values), None, values.astype(object)).tolist()
        if values.dtype.kind == "M":
            unit = "D" if np.datetime_data(values.dtype)[0] == "D" else "s"
            return np.datetime_as_string(values, unit=unit).tolist()
        return values.tolist()
    return [plain(v) for v in values]


@dataclass
class Frame:
    """A table: named columns of equal length, plus metadata that JSON carries beside the rows."""

    columns: dict[str, list[Any]]
    meta: dict[str, Any] = field(default_factory=dict)
    name: str = "lantian"
    """Base of a download's file name (ASCII)."""
    plain: frozenset[str] = frozenset()
    """Columns known to hold only numbers, ``None`` and ISO dates (made from NumPy numeric and
    date arrays): CSV writes them as they are, without looking at each cell."""

    @classmethod
    def of(
        cls, columns: dict[str, Any], meta: dict[str, Any] | None = None, name: str = ""
    ) -> Frame:
        """A frame from NumPy arrays or sequences (converted to JSON-safe lists)."""
        plain = frozenset(k for k, v in columns.items() if _plain_array(v))
        return cls(
            {k: column_list(v) for k, v in columns.items()},
            dict(meta or {}),
            name or "lantian",
            plain,
        )

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def rows(self) -> list[dict[str, Any]]:
        names = list(self.columns)
        return [
            dict(zip(names, values, strict=True))
            for values in zip(*self.columns.values(), strict=True)
        ]

    def to_json(self) -> bytes:
        body = {**self.meta, "columns": list(self.columns), "rows": self.rows()}
        return dumps(body)

    def to_csv(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(self.columns)
        cells = (v if k in self.plain else _csv_column(v) for k, v in self.columns.items())
        writer.writerows(zip(*cells, strict=True))
        return b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")

    def to_xlsx(self) -> bytes:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(self.name[:31])
        append_row(sheet, list(self.columns))
        for row in zip(*self.columns.values(), strict=True):
            append_row(sheet, [cell(v) for v in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def encode(self, output: Format) -> bytes:
        """The frame in ``output``'s encoding."""
        return {Format.json: self.to_json, Format.csv: self.to_csv, Format.xlsx: self.to_xlsx}[
            output
        ]()


def cell(value: Any) -> Any:
    """A value a CSV or spreadsheet cell can hold: lists joined by commas, mappings as JSON."""
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _csv_column(values: list[Any]) -> list[Any]:
    """A column's CSV cells: numbers as they are, ``None`` empty (the csv module writes it so),
    text through :func:`~lantian.ingest.excel.csv_text` — column by column, so that the numeric
    columns of a series cost nothing per cell."""
    if all(v is None or type(v) in _NUMBERS for v in values):
        return values
    if all(v is None or type(v) is str for v in values):  # each distinct text once
        escaped: dict[str | None, Any] = {v: csv_text(v) for v in set(values) if v is not None}
        escaped[None] = None
        return [escaped[v] for v in values]
    return [None if v is None else csv_text(cell(v)) for v in values]


_NUMBERS = (int, float, bool)
EARLIEST_PLAIN_DATE = np.datetime64("0000-01-01")
"""ISO text of earlier dates starts with ``-``, which a spreadsheet would take for a formula."""


def _plain_array(values: Any) -> bool:
    """A NumPy array whose cells :func:`column_list` makes numbers, ``None`` or ISO dates."""
    if not isinstance(values, np.ndarray):
        return False
    if values.dtype.kind in "fiub":
        return True
    return values.dtype.kind == "M" and not (values < EARLIEST_PLAIN_DATE).any()


def dumps(body: Any) -> bytes:
    """Compact UTF-8 JSON (Chinese kept as is), NaN written as ``null`` (orjson: the series'
    rows are most of an API answer's time when written with the standard library)."""
    return orjson.dumps(
        body, default=_default, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    )


def _default(value: Any) -> Any:
    """What orjson does not know: NumPy scalars (as Python values), tuples of them, sets."""
    if isinstance(value, np.generic):
        return plain(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON: {type(value).__name__}")
