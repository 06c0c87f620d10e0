"""Hourly station data of the store, laid out on hour grids for assessment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from lantian.standards import BASIC_POLLUTANTS, area_mean
from lantian.store import MeasurementStore
from lantian.store.registry import active_days, evaluation_stations
from lantian.times import year_days

if TYPE_CHECKING:
    from lantian.assess.scope import Scope


@dataclass(frozen=True)
class StationHours:
    """Hourly values of many stations over whole natural days, with the station registry."""

    stations: list[str]
    first_day: dt.date
    values: dict[str, npt.NDArray[np.float64]]
    """(stations, hours) grids of valid hourly values per pollutant id [µg/m³; CO mg/m³]."""
    names: dict[str, str]
    cities: dict[str, str]
    registry: pa.Table

    @property
    def last_day(self) -> dt.date:
        """The last natural day of the grids."""
        n_hours = next(iter(self.values.values())).shape[-1] if self.values else 0
        return self.first_day + dt.timedelta(days=n_hours // 24 - 1)

    @cached_property
    def _active_days(self) -> dict[str, tuple[dt.date, dt.date]]:
        return active_days(self.registry)

    def evaluation_stations(self, city: str) -> list[str]:
        """The city's evaluation stations with data during the period
        (:func:`lantian.store.registry.evaluation_stations`)."""
        wanted = evaluation_stations(self.registry, city, (self.first_day, self.last_day))
        held = set(self.stations)
        return [s for s in wanted if s in held]

    def area_hourly(self, stations: list[str]) -> dict[str, npt.NDArray[np.float64]]:
        """The area's hourly value per pollutant: mean of the stations' valid values per hour,
        each station counted only on the days it belongs to the network (registry
        ``active_from`` … ``active_to``)."""
        rows = [self.stations.index(s) for s in stations]
        inactive = self._inactive_hours(stations)
        values = {}
        for p in BASIC_POLLUTANTS:
            grid = self.values[p][rows]
            if inactive is not None:
                grid = np.where(inactive, np.nan, grid)
            values[p] = area_mean(grid)
        return values

    def _inactive_hours(self, stations: list[str]) -> npt.NDArray[np.bool_] | None:
        """(stations, hours): True where a station is outside its network days; None if none is."""
        periods = self._active_days
        n_hours = (self.last_day - self.first_day).days * 24 + 24
        bounds = [periods.get(code, (dt.date.min, dt.date.max)) for code in stations]
        if all(a <= self.first_day and self.last_day <= b for a, b in bounds):
            return None
        hour_day = np.datetime64(self.first_day, "D") + np.arange(n_hours) // 24
        first = np.array([a for a, _ in bounds], dtype="datetime64[D]")[:, None]
        last = np.array([b for _, b in bounds], dtype="datetime64[D]")[:, None]
        return (hour_day < first) | (hour_day > last)

    def station_hourly(self, station: str) -> dict[str, npt.NDArray[np.float64]]:
        """One station's hourly values per pollutant."""
        row = self.stations.index(station)
        return {p: self.values[p][row] for p in BASIC_POLLUTANTS}

    def scope_hourly(self, scope: Scope) -> dict[str, npt.NDArray[np.float64]]:
        """The hourly values of ``scope``: a station's own, a city's or an area's station mean."""
        if scope.kind == "station":
            return self.station_hourly(scope.name)
        return self.area_hourly(list(scope.stations))


def load_period(
    store: MeasurementStore,
    first_day: dt.date,
    last_day: dt.date,
    stations: list[str] | None = None,
) -> StationHours:
    """The valid hourly values of the stored stations (or ``stations``) over whole natural days.

    Values flagged invalid by quality control are left out (NaN), as HJ 663 statistics require.
    The grid runs from the hour ending 01:00 of ``first_day`` to the hour ending 00:00 after
    ``last_day``.
    """
    codes, values = store.read_hourly_grid(first_day, last_day, list(BASIC_POLLUTANTS), stations)
    registry = store.stations()
    column = {name: registry.column(name).to_pylist() for name in registry.column_names}
    known = column.get("station_code", [])

    def attribute(name: str, default: object) -> dict[str, Any]:
        return dict(zip(known, column.get(name, [default] * len(known)), strict=True))

    return StationHours(
        stations=codes,
        first_day=first_day,
        values=values,
        names=attribute("name", None),
        cities=attribute("city", None),
        registry=registry,
    )


def load_year(
    store: MeasurementStore, year: int, stations: list[str] | None = None
) -> StationHours:
    """:func:`load_period` over the natural days of ``year``."""
    return load_period(store, *year_days(year), stations)
