"""Hourly station data of the store, laid out on hour grids for assessment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from lantian.standards import BASIC_POLLUTANTS, area_mean
from lantian.store import MeasurementStore

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
    control_points: set[str]

    def evaluation_stations(self, city: str) -> list[str]:
        """The city's stations without its control point (对照点)."""
        return [
            s for s in self.stations if self.cities.get(s) == city and s not in self.control_points
        ]

    def area_hourly(self, stations: list[str]) -> dict[str, npt.NDArray[np.float64]]:
        """The area's hourly value per pollutant: mean of the stations' valid values per hour."""
        rows = [self.stations.index(s) for s in stations]
        return {p: area_mean(self.values[p][rows]) for p in BASIC_POLLUTANTS}

    def station_hourly(self, station: str) -> dict[str, npt.NDArray[np.float64]]:
        """One station's hourly values per pollutant."""
        row = self.stations.index(station)
        return {p: self.values[p][row] for p in BASIC_POLLUTANTS}

    def scope_hourly(self, scope: Scope) -> dict[str, npt.NDArray[np.float64]]:
        """The hourly values of ``scope``: a station's own, a city's or an area's station mean."""
        if scope.kind == "station":
            return self.station_hourly(scope.name)
        return self.area_hourly(scope.stations)


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

    def attribute(name: str, default: object) -> dict:
        return dict(zip(known, column.get(name, [default] * len(known)), strict=True))

    return StationHours(
        stations=codes,
        first_day=first_day,
        values=values,
        names=attribute("name", None),
        cities=attribute("city", None),
        control_points={c for c, flag in attribute("control_point", False).items() if flag},
    )


def load_year(
    store: MeasurementStore, year: int, stations: list[str] | None = None
) -> StationHours:
    """:func:`load_period` over the natural days of ``year``."""
    return load_period(store, dt.date(year, 1, 1), dt.date(year, 12, 31), stations)
