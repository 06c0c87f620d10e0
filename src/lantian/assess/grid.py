"""Long measurement tables ↔ dense hour grids, the layout of :mod:`lantian.standards.averages`.

A grid is a float64 array (stations, hours): hour index 0 is the hour ending at 01:00 of the first
natural day (Beijing time), so each natural day is 24 consecutive columns; NaN = no value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

HOUR = np.timedelta64(1, "h")


@dataclass(frozen=True)
class HourGrid:
    """Hourly values of several stations over whole natural days."""

    stations: list[str]
    first_day: dt.date
    values: npt.NDArray[np.float64]
    """(stations, hours)."""

    @property
    def days(self) -> npt.NDArray[np.datetime64]:
        """The natural days covered, as ``datetime64[D]``."""
        n = self.values.shape[-1] // 24
        return np.datetime64(self.first_day, "D") + np.arange(n)

    @property
    def hour_ends(self) -> npt.NDArray[np.datetime64]:
        """``ts`` of each column: the end of the hour (hour-ending convention)."""
        start = np.datetime64(self.first_day, "h") + HOUR
        return start + np.arange(self.values.shape[-1]) * HOUR


def natural_day(ts: npt.ArrayLike) -> npt.NDArray[np.datetime64]:
    """The natural day of hour-ending timestamps: ``D 01:00 … D+1 00:00`` belong to day D."""
    return (np.asarray(ts, dtype="datetime64[s]") - HOUR).astype("datetime64[D]")


def hour_grid(
    table: pa.Table,
    stations: list[str],
    first_day: dt.date,
    last_day: dt.date,
) -> HourGrid:
    """Lay ``station_code, ts, value`` rows onto a (stations, hours) grid of whole natural days.

    Rows of other stations or outside the days are ignored; when a (station, hour) occurs twice
    the later row wins.
    """
    n_hours = ((last_day - first_day).days + 1) * 24
    grid = np.full((len(stations), n_hours), np.nan)
    station_index = _positions(table.column("station_code"), stations)
    ts = table.column("ts").to_numpy().astype("datetime64[s]")
    first_end = np.datetime64(first_day, "s") + np.timedelta64(3600, "s")
    hour_index = ((ts - first_end) // np.timedelta64(3600, "s")).astype(np.int64)
    keep = (station_index >= 0) & (hour_index >= 0) & (hour_index < n_hours)
    grid[station_index[keep], hour_index[keep]] = table.column("value").to_numpy()[keep]
    return HourGrid(stations=list(stations), first_day=first_day, values=grid)


def _positions(codes: pa.ChunkedArray, stations: list[str]) -> npt.NDArray[np.int64]:
    """Position of each row's station in ``stations``; −1 for a station not listed."""
    encoded = pc.dictionary_encode(codes).combine_chunks()
    order = {code: i for i, code in enumerate(stations)}
    dictionary = np.asarray(
        [order.get(code, -1) for code in encoded.dictionary.to_pylist()], dtype=np.int64
    )
    return dictionary[encoded.indices.to_numpy(zero_copy_only=False)]
