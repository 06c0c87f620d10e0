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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
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


def repeated_keys(
    keys: Sequence[npt.NDArray[np.generic]],
    values: npt.NDArray[np.generic],
    order: npt.NDArray[np.intp] | None = None,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """The rows whose key occurs more than once: the one rule of duplicate rows, for every reader
    and the store's import. Returns two masks in the rows' order:

    ``repeated``: the same key and value as an earlier row, where every row of the key holds the
    same value (the first row is kept, the others are repeats: a notice, not an error);
    ``duplicate``: every row of a key whose rows hold different values (none can be chosen).

    ``keys`` are equal-length columns (together the key); ``values`` is what must agree (a value,
    or a whole row's text); ``order``, when the caller has one, sorts the rows by key with ties in
    row order (else it is computed). Whole-column: one sort.
    """
    n = len(values)
    if order is None:
        order = np.lexsort((np.arange(n), *reversed(list(keys))))
    first = np.ones(n, dtype=bool)
    for key in keys:
        ordered_key = key[order]
        first[1:] &= ordered_key[1:] == ordered_key[:-1]
    first[1:] = ~first[1:]
    repeated, duplicate = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    if first.all():  # no key twice: the common case, answered without looking at the values
        return repeated, duplicate
    ordered = values[order]
    changes = np.zeros(n, dtype=bool)
    changes[1:] = ~first[1:] & (ordered[1:] != ordered[:-1])
    if not changes.any():
        repeated[order] = ~first
        return repeated, duplicate
    differs = np.logical_or.reduceat(changes, np.flatnonzero(first))[np.cumsum(first) - 1]
    repeated[order] = ~first & ~differs
    duplicate[order] = differs
    return repeated, duplicate
