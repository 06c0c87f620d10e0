"""The station registry: which stations exist, where, in which city, and which of them are
evaluation stations (评价点) or control points (对照点).

Columns: ``station_code, name, city, district, longitude, latitude, network, evaluation,
control_point, active_from, active_to``. ``network`` is ``national``, ``provincial`` or ``micro``.
``active_from`` … ``active_to`` are the first and last day the station belongs to the network (both
included; empty = open): stations join and leave the network, and a city's value on a day uses the
stations of that day.

:func:`evaluation_stations` is the one definition of "a city's evaluation stations" (评价点位; a city's
hourly value is the mean of its evaluation stations, 环办监测〔2018〕19号 §三(一) "城市纳入国家环境空气
质量监测网的所有评价点位"; ../shared/reference/standards.md §3.4): a station of the city that the
registry marks ``evaluation`` (true when the column is empty), is not a control point (对照点, never
part of a city's value), and belongs to the network on the day (or during the period) asked
for. The registry alone decides: a control point is one because its row says so, not because of its
name (CNEMC's ``(对照点)`` names are read into the column when the list is loaded).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from lantian.ingest.stations import read_control_points, read_station_list

REGISTRY_SCHEMA = pa.schema(
    [
        pa.field("station_code", pa.string()),
        pa.field("name", pa.string()),
        pa.field("city", pa.string()),
        pa.field("district", pa.string()),
        pa.field("longitude", pa.float64()),
        pa.field("latitude", pa.float64()),
        pa.field("network", pa.string()),
        pa.field("evaluation", pa.bool_()),
        pa.field("control_point", pa.bool_()),
        pa.field("active_from", pa.date32()),
        pa.field("active_to", pa.date32()),
    ]
)
Period = dt.date | tuple[dt.date, dt.date] | None
"""A day, a period (first day, last day), or ``None`` for any time."""


def registry_from_station_list(
    station_list: Path, control_points: Path | None = None, network: str = "national"
) -> pa.Table:
    """A registry from a CNEMC station list, with control points from a separate list.

    Control points, which are not evaluation stations: those named in ``control_points`` with
    对照点 = 是, and those CNEMC marks in their name, e.g. ``团泊洼(对照点)`` (23 stations of the
    2020 list). All others are evaluation stations.
    """
    stations, _ = read_station_list(station_list)
    controls = pa.array([], pa.string())
    if control_points is not None:
        points, _ = read_control_points(control_points)
        controls = points.filter(points.column("control_point")).column("station_code")
    marked = pc.match_substring(pc.cast(stations.column("name"), pa.string()), "对照点")
    is_control = pc.or_(
        pc.is_in(stations.column("station_code"), value_set=controls), pc.fill_null(marked, False)
    )
    n = stations.num_rows
    return pa.table(
        {
            "station_code": pc.cast(stations.column("station_code"), pa.string()),
            "name": pc.cast(stations.column("name"), pa.string()),
            "city": pc.cast(stations.column("city"), pa.string()),
            "district": pa.nulls(n, pa.string()),
            "longitude": pc.cast(stations.column("longitude"), pa.float64()),
            "latitude": pc.cast(stations.column("latitude"), pa.float64()),
            "network": pa.array([network] * n),
            "evaluation": pc.invert(is_control),
            "control_point": is_control,
            "active_from": pa.nulls(n, pa.date32()),
            "active_to": pa.nulls(n, pa.date32()),
        },
        schema=REGISTRY_SCHEMA,
    )


def _column(registry: pa.Table, name: str, default: object) -> list:
    if name in registry.column_names:
        return [default if v is None else v for v in registry.column(name).to_pylist()]
    return [default] * registry.num_rows


def _bounds(registry: pa.Table) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.datetime64]]:
    """Per registry row: the first and last day in the network (open ends as far as dates go)."""
    starts = _column(registry, "active_from", dt.date.min)
    ends = _column(registry, "active_to", dt.date.max)
    return np.array(starts, dtype="datetime64[D]"), np.array(ends, dtype="datetime64[D]")


def active_days(registry: pa.Table) -> dict[str, tuple[dt.date, dt.date]]:
    """Each station's first and last day in the network (``date.min``/``date.max`` when open)."""
    codes = _column(registry, "station_code", "")
    starts = _column(registry, "active_from", dt.date.min)
    ends = _column(registry, "active_to", dt.date.max)
    return {c: (a, b) for c, a, b in zip(codes, starts, ends, strict=True)}


def evaluation_mask(registry: pa.Table, on: Period = None) -> npt.NDArray[np.bool_]:
    """Per registry row: is it an evaluation station on ``on`` (a day, or any day of a period)?"""
    evaluation = np.array(_column(registry, "evaluation", True), dtype=bool)
    control = np.array(_column(registry, "control_point", False), dtype=bool)
    mask = evaluation & ~control
    if on is None:
        return mask
    first, last = on if isinstance(on, tuple) else (on, on)
    starts, ends = _bounds(registry)
    return mask & (starts <= np.datetime64(last, "D")) & (np.datetime64(first, "D") <= ends)


def evaluation_stations(registry: pa.Table, city: str, on: Period = None) -> list[str]:
    """The codes of ``city``'s evaluation stations on ``on`` (module docstring), sorted."""
    cities = np.array(_column(registry, "city", ""), dtype=object)
    codes = np.array(_column(registry, "station_code", ""), dtype=object)
    return sorted(codes[evaluation_mask(registry, on) & (cities == city)].tolist())


def evaluation_cities(registry: pa.Table, on: Period = None) -> list[str]:
    """The cities with at least one evaluation station on ``on``, in Unicode order."""
    cities = np.array(_column(registry, "city", ""), dtype=object)
    return sorted({c for c in cities[evaluation_mask(registry, on)].tolist() if c})
