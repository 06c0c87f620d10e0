"""Long measurement tables ↔ dense hour grids, the layout of :mod:`lantian.standards.averages`.

A grid is a float64 array (stations, hours): hour index 0 is the hour ending at 01:00 of the first
natural day (Beijing time), so each natural day is 24 consecutive columns; NaN = no value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from lantian.standards import BASIC_POLLUTANTS, daily_mean, mda8
from lantian.store.layout import grid_positions
from lantian.times import HOUR, days_between, hour_numbers

if TYPE_CHECKING:
    from lantian.store import MeasurementStore


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


@dataclass(frozen=True)
class DailyGrids:
    """Daily values of many stations: each array (stations, days), NaN = not a valid day."""

    stations: list[str]
    first_day: dt.date
    means: dict[str, npt.NDArray[np.float64]]
    """Daily means by pollutant [µg/m³; CO mg/m³]."""
    mda8: npt.NDArray[np.float64]
    """O3 MDA8 [µg/m³]."""


def daily_grids(
    store: MeasurementStore,
    first_day: dt.date,
    last_day: dt.date,
    standard: str,
    stations: list[str] | None = None,
) -> DailyGrids:
    """The six pollutants' daily means and the O3 MDA8 of every station, from the store's valid
    hourly values, computed month by month as each month is read (in the store's read threads).

    A natural day's statistics use only that day's hours (GB 3095 Table 4: the daily mean of ≥ 20
    hourly values; HJ 663: the MDA8 windows ending 08:00 … 24:00 of the day), so computing them per
    natural-day month gives the values of :func:`~lantian.standards.daily_mean` and
    :func:`~lantian.standards.mda8` over the whole period, without holding the period's hourly
    grid. ``standard`` is the HJ 663 rule set (``HJ663-2013``, ``HJ663-2026``).
    """
    pollutants = list(BASIC_POLLUTANTS)
    ozone = pollutants.index("O3")

    def month_statistics(
        grid: npt.NDArray[np.float64],
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        means = np.stack([daily_mean(grid[k], standard)[0] for k in range(len(pollutants))])
        return means, mda8(grid[ozone], standard)[0]

    codes, months = store.map_hourly_months(
        month_statistics, first_day, last_day, pollutants, stations
    )
    n_days = (last_day - first_day).days + 1
    means = np.full((len(pollutants), len(codes), n_days), np.nan)
    ozone_mda8 = np.full((len(codes), n_days), np.nan)
    for hour, (month_means, month_mda8) in months:
        days = slice(hour // 24, hour // 24 + month_mda8.shape[-1])
        means[:, :, days] = month_means
        ozone_mda8[:, days] = month_mda8
    return DailyGrids(
        stations=codes,
        first_day=first_day,
        means={p: means[k] for k, p in enumerate(pollutants)},
        mda8=ozone_mda8,
    )


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
    return hour_grids(table, stations, first_day, last_day, column=None)[""]


def hour_grids(
    table: pa.Table,
    stations: list[str],
    first_day: dt.date,
    last_day: dt.date,
    column: str | None = "type",
    keys: list[str] | None = None,
) -> dict[str, HourGrid]:
    """One grid per value of ``column`` (e.g. per CNEMC ``type`` or per ``pollutant``).

    ``keys`` limits the grids made (default: every value present). With ``column=None`` all rows
    form one grid, under the key ``""``.
    """
    n_hours = days_between(first_day, last_day) * 24
    first_hour = int(hour_numbers(np.datetime64(first_day, "h"))) + 1
    station_index, _, hour_index, keep = grid_positions(table, stations, first_hour, n_hours)
    values = table.column("value").to_numpy()
    if column is None:
        groups = {"": keep}
    else:
        encoded = pc.dictionary_encode(table.column(column)).combine_chunks()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        names = encoded.dictionary.to_pylist()
        groups = {
            name: keep & (codes == k)
            for k, name in enumerate(names)
            if keys is None or name in keys
        }
    grids = {}
    for name, rows in groups.items():
        grid = np.full((len(stations), n_hours), np.nan)
        grid[station_index[rows], hour_index[rows]] = values[rows]
        grids[name] = HourGrid(stations=list(stations), first_day=first_day, values=grid)
    return grids
