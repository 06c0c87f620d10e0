"""The one shape every reader returns: hourly measurements in the glossary's names.

| column | type | meaning |
| --- | --- | --- |
| ``station_code`` | string | e.g. ``2477A`` |
| ``ts`` | timestamp[s] | the **end** of the hour, Beijing time (UTC+8), naive |
| ``pollutant`` | string | ``SO2 NO2 CO O3 PM10 PM2.5`` |
| ``value`` | float64 | µg/m³; CO mg/m³ |
| ``source`` | dictionary<string> | the file (``archive.zip!member.csv`` inside archives) |
| ``line`` | int32 | 1-based line (CSV) or row (Excel) in ``source``, for error messages |

A reader never drops a row silently: a row it cannot take becomes a :class:`Rejection` naming file,
line, field and reason, and the caller decides (the importer stores the rest and reports them).
A file it cannot read at all raises :class:`FormatError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

MEASUREMENT_SCHEMA = pa.schema(
    [
        pa.field("station_code", pa.string(), nullable=False),
        pa.field("ts", pa.timestamp("s"), nullable=False),
        pa.field("pollutant", pa.string(), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("source", pa.dictionary(pa.int32(), pa.string()), nullable=False),
        pa.field("line", pa.int32(), nullable=False),
    ]
)


class FormatError(ValueError):
    """A file that cannot be read at all. The message starts with ``file: line N: field: ...``."""

    def __init__(self, source: str, reason: str, line: int | None = None, field: str | None = None):
        self.source, self.reason, self.line, self.field = source, reason, line, field
        where = (
            source
            + (f": line {line}" if line is not None else "")
            + (f": {field}" if field else "")
        )
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class Rejection:
    """One input row (or cell) not taken, and why."""

    source: str
    line: int
    field: str
    value: str
    reason: str
    """A short reason code: ``not_a_number``, ``negative``, ``unknown_station``, ``future_date``,
    ``unknown_pollutant``, ``bad_date``, ``duplicate`` …"""

    def __str__(self) -> str:
        where = f"{self.source}: line {self.line}" if self.line > 0 else self.source
        value = f" ({self.value!r})" if self.value else ""
        return f"{where}: {self.field}: {self.reason}{value}"


def empty_measurements() -> pa.Table:
    """A measurement table with no rows."""
    return MEASUREMENT_SCHEMA.empty_table()
