"""Hourly station data laid out for assessment, from CNEMC files (until the store of issue #3
serves the same grids)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow.compute as pc

from lantian.assess.grid import hour_grids
from lantian.ingest.cnemc import read_station_files
from lantian.ingest.stations import read_control_points, read_station_list
from lantian.standards import BASIC_POLLUTANTS, area_mean


@dataclass(frozen=True)
class StationHours:
    """Hourly values of many stations over whole natural days, with the station registry."""

    stations: list[str]
    first_day: dt.date
    values: dict[str, npt.NDArray[np.float64]]
    """(stations, hours) per pollutant id and per CNEMC ``type`` read (``AQI``, ``O3_8h`` …)."""
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


def load_cnemc_year(
    data: Path, station_list: Path, control_points: Path | None, year: int
) -> StationHours:
    """Read a year of CNEMC station files and the registry into :class:`StationHours`.

    The grid covers the natural days of ``year``: the hour ending 01:00 on 1 January to the hour
    ending 00:00 on 1 January of the next year.
    """
    table, _ = read_station_files(data)
    stations = sorted(pc.unique(pc.cast(table["station_code"], "string")).to_pylist())
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    grids = hour_grids(table, stations, first, last)
    registry, _ = read_station_list(station_list)
    names = dict(
        zip(registry["station_code"].to_pylist(), registry["name"].to_pylist(), strict=True)
    )
    cities = dict(
        zip(registry["station_code"].to_pylist(), registry["city"].to_pylist(), strict=True)
    )
    controls: set[str] = set()
    if control_points is not None:
        points, _ = read_control_points(control_points)
        controls = {
            code
            for code, flag in zip(
                points["station_code"].to_pylist(), points["control_point"].to_pylist(), strict=True
            )
            if flag
        }
    return StationHours(
        stations=stations,
        first_day=first,
        values={k: g.values for k, g in grids.items()},
        names=names,
        cities=cities,
        control_points=controls,
    )
