"""The station registry: which stations exist, where, in which city, and which of them are
evaluation stations (评价点) or control points (对照点).

Columns: ``station_code, name, city, district, town, longitude, latitude, network, evaluation,
control_point, active_from, active_to, last_seen``. ``network`` is ``national``, ``provincial``,
or a device network of the live feeds (``dust``, ``micro``, ``cems``: the devices' places —
coordinates and 乡镇/街道 ``town`` from the source registry — never evaluation stations).
``active_from`` … ``active_to`` are the first and last day the station belongs to the network
(both included; empty = open): stations join and leave the network, and a city's value on a day
uses the stations of that day. ``last_seen`` is the latest hour (``ts``) of CNEMC's hourly
release that described the station (null for a station known only from a station list).

A station list is not needed for national data: :func:`merge_release_stations` registers the
stations of CNEMC's current release from the files themselves, ``active_from`` the natural day of
the first hour they appear in.

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
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from lantian.ingest.schema import Rejection
from lantian.ingest.stations import read_control_points, read_station_list

REGISTRY_SCHEMA = pa.schema(
    [
        pa.field("station_code", pa.string()),
        pa.field("name", pa.string()),
        pa.field("city", pa.string()),
        pa.field("district", pa.string()),
        pa.field("town", pa.string()),
        pa.field("longitude", pa.float64()),
        pa.field("latitude", pa.float64()),
        pa.field("network", pa.string()),
        pa.field("evaluation", pa.bool_()),
        pa.field("control_point", pa.bool_()),
        pa.field("active_from", pa.date32()),
        pa.field("active_to", pa.date32()),
        pa.field("last_seen", pa.timestamp("s")),
    ]
)
#: A station whose coordinates move by more than this between two descriptions is reported
#: (``station_moved``) [degrees; 0.0005° ≈ 50 m, above the 4-decimal rounding of CNEMC's files].
COORDINATE_TOLERANCE = 0.0005
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
            "town": pa.nulls(n, pa.string()),
            "longitude": pc.cast(stations.column("longitude"), pa.float64()),
            "latitude": pc.cast(stations.column("latitude"), pa.float64()),
            "network": pa.array([network] * n),
            "evaluation": pc.invert(is_control),
            "control_point": is_control,
            "active_from": pa.nulls(n, pa.date32()),
            "active_to": pa.nulls(n, pa.date32()),
            "last_seen": pa.nulls(n, pa.timestamp("s")),
        },
        schema=REGISTRY_SCHEMA,
    )


def _column(registry: pa.Table, name: str, default: object) -> list[Any]:
    if name in registry.column_names:
        return [default if v is None else v for v in registry.column(name).to_pylist()]
    return [default] * registry.num_rows


def _filled(registry: pa.Table, name: str, default: object, kind: pa.DataType) -> pa.ChunkedArray:
    """Column ``name`` as ``kind`` with nulls (or the whole column when absent) as ``default``."""
    if name not in registry.column_names:
        return pa.chunked_array([pa.array([default] * registry.num_rows, kind)], kind)
    return pc.fill_null(registry.column(name).cast(kind), pa.scalar(default, kind))


def active_days(registry: pa.Table) -> dict[str, tuple[dt.date, dt.date]]:
    """Each station's first and last day in the network (``date.min``/``date.max`` when open)."""
    codes = _column(registry, "station_code", "")
    starts = _column(registry, "active_from", dt.date.min)
    ends = _column(registry, "active_to", dt.date.max)
    return {c: (a, b) for c, a, b in zip(codes, starts, ends, strict=True)}


def _mask(registry: pa.Table, on: Period) -> pa.ChunkedArray:
    evaluation = _filled(registry, "evaluation", True, pa.bool_())
    control = _filled(registry, "control_point", False, pa.bool_())
    mask = pc.and_(evaluation, pc.invert(control))
    if on is None:
        return mask
    first, last = on if isinstance(on, tuple) else (on, on)
    starts = _filled(registry, "active_from", dt.date.min, pa.date32())
    ends = _filled(registry, "active_to", dt.date.max, pa.date32())
    in_network = pc.and_(
        pc.less_equal(starts, pa.scalar(last, pa.date32())),
        pc.less_equal(pa.scalar(first, pa.date32()), ends),
    )
    return pc.and_(mask, in_network)


def evaluation_mask(registry: pa.Table, on: Period = None) -> npt.NDArray[np.bool_]:
    """Per registry row: is it an evaluation station on ``on`` (a day, or any day of a period)?"""
    return np.asarray(_mask(registry, on).to_numpy(zero_copy_only=False), dtype=bool)


def evaluation_stations(registry: pa.Table, city: str, on: Period = None) -> list[str]:
    """The codes of ``city``'s evaluation stations on ``on`` (module docstring), sorted."""
    cities = _filled(registry, "city", "", pa.string())
    keep = pc.and_(_mask(registry, on), pc.equal(cities, city))
    codes: list[str] = registry.column("station_code").filter(keep).to_pylist()
    return sorted(codes)


def evaluation_cities(registry: pa.Table, on: Period = None) -> list[str]:
    """The cities with at least one evaluation station on ``on``, in Unicode order."""
    cities = _filled(registry, "city", "", pa.string()).filter(_mask(registry, on))
    return sorted({c for c in pc.unique(cities).to_pylist() if c})


def city_of_area(
    areas: Iterable[str], registry: pa.Table, city_names: Iterable[str] = ()
) -> dict[str, str]:
    """Lantian's city name for each of CNEMC's ``area`` names (``永州市`` → ``永州``).

    The registry and the rankings use CNEMC's station-list names (``永州``, ``阿坝州``,
    ``临夏州``); the release names the area in full (``永州市``, ``阿坝藏族羌族自治州``). In order:

    1. the city the registry gives most of the area's stations already known (``registry`` with
       an ``area`` column: the release rows joined to the registry);
    2. a name of ``city_names`` equal to the area, to it without ``市`` or ``地区``, to its
       ``…地区`` form (``海东市`` → ``海东地区``), or,
       for an autonomous prefecture (``…自治州``), the ``…州`` name whose stem starts the area;
    3. the area without a final ``市``; otherwise the area as written.
    """
    known = _majority_city(registry)
    names = set(city_names)
    stems = {n[:-1]: n for n in names if n.endswith("州") and len(n) >= 3}
    result = {}
    for area in set(areas):
        if area in known:
            result[area] = known[area]
            continue
        stem = area.removesuffix("市")
        candidates = [area, stem, area.removesuffix("地区"), stem + "地区"]
        found = next((c for c in candidates if c in names), None)
        if found is None and area.endswith("自治州"):
            found = next(
                (stems[s] for s in sorted(stems, key=len, reverse=True) if area.startswith(s)),
                None,
            )
        if found is None and area.endswith("市") and len(area) > 2:
            found = area[:-1]
        result[area] = found or area
    return result


def _majority_city(joined: pa.Table) -> dict[str, str]:
    if not joined.num_rows or "area" not in joined.column_names:
        return {}
    with duckdb.connect() as connection:
        connection.register("joined", joined)
        rows = connection.execute(
            "SELECT area, arg_max(city, n) FROM (SELECT area, city, count(*) AS n FROM joined "
            "WHERE city IS NOT NULL GROUP BY area, city) GROUP BY area"
        ).fetchall()
    return dict(rows)


def merge_release_stations(
    current: pa.Table, incoming: pa.Table, city_names: Iterable[str] = ()
) -> tuple[pa.Table, list[Rejection], int]:
    """The registry with the stations of CNEMC's hourly release files added or brought up to date.

    Parameters
    ----------
    current : the registry (possibly empty, possibly from a 2020 station list).
    incoming : the release's station rows (``RELEASE_STATION_SCHEMA`` of
        :mod:`lantian.ingest.cnemc_hourly`): one per station and file.
    city_names : Lantian's city names, to name the city of a new station (:func:`city_of_area`).

    Returns
    -------
    (registry, notices, added): the merged registry; a ``station_moved`` notice (file, line,
    ``longitude``/``latitude``, old → new) for every station whose coordinates changed by more than
    :data:`COORDINATE_TOLERANCE` between two descriptions in time order (the registry's first); and
    how many stations were new.

    Rules: a new station is registered with its name, its city (from ``area``), its coordinates,
    ``control_point`` when its name carries ``(对照点)``, and ``active_from`` = the natural day of
    its first hour in the files (so it joins its city's value from then). A known station keeps its
    city and its ``active_from`` (an open start stays open; a start the release set moves earlier
    when older files come in) and stays a control point once marked; it takes the name and
    coordinates of the latest hour seen (a station list counts as older than any release file).
    """
    if not incoming.num_rows:
        return current, [], 0
    registry = _conform(current)
    with duckdb.connect() as connection:
        connection.register("registry", registry)
        connection.register("incoming", incoming)
        joined = connection.sql(
            "SELECT i.area, r.city FROM incoming i JOIN registry r USING (station_code)"
        ).to_arrow_table()
        areas = pc.unique(incoming.column("area")).to_pylist()
        cities = city_of_area(areas, joined, city_names)
        connection.register(
            "area_city", pa.table({"area": list(cities), "city": list(cities.values())})
        )
        notices = _moves(connection)
        latest = connection.sql(
            "SELECT station_code, arg_max(name, ts) AS name, arg_max(area, ts) AS area, "
            "arg_max(longitude, ts) AS longitude, arg_max(latitude, ts) AS latitude, "
            "bool_or(control_point) AS control_point, "
            "CAST(min(ts) - INTERVAL 1 HOUR AS DATE) AS first_day, max(ts) AS last_seen "
            "FROM incoming GROUP BY station_code"
        ).to_arrow_table()
        connection.register("latest", latest)
        added = connection.execute(
            "SELECT count(*) FROM latest WHERE station_code NOT IN (SELECT station_code FROM registry)"
        ).fetchall()[0][0]
        merged = connection.sql(
            """
            SELECT l.station_code,
                   CASE WHEN r.last_seen IS NULL OR l.last_seen >= r.last_seen
                        THEN l.name ELSE r.name END AS name,
                   coalesce(r.city, a.city) AS city,
                   r.district,
                   r.town,
                   CASE WHEN r.last_seen IS NULL OR l.last_seen >= r.last_seen
                        THEN l.longitude ELSE r.longitude END AS longitude,
                   CASE WHEN r.last_seen IS NULL OR l.last_seen >= r.last_seen
                        THEN l.latitude ELSE r.latitude END AS latitude,
                   coalesce(r.network, 'national') AS network,
                   NOT (coalesce(r.control_point, false) OR l.control_point) AND coalesce(r.evaluation, true)
                       AS evaluation,
                   coalesce(r.control_point, false) OR l.control_point AS control_point,
                   CASE WHEN r.station_code IS NULL THEN l.first_day
                        WHEN r.active_from IS NULL THEN NULL
                        ELSE least(r.active_from, l.first_day) END AS active_from,
                   r.active_to,
                   greatest(r.last_seen, l.last_seen) AS last_seen
            FROM latest l LEFT JOIN registry r USING (station_code)
            LEFT JOIN area_city a ON a.area = l.area
            UNION ALL BY NAME
            SELECT * FROM registry WHERE station_code NOT IN (SELECT station_code FROM latest)
            ORDER BY station_code
            """
        ).to_arrow_table()
    return merged.cast(REGISTRY_SCHEMA), notices, int(added)


def _conform(registry: pa.Table) -> pa.Table:
    """``registry`` with every column of :data:`REGISTRY_SCHEMA` (nulls where it had none)."""
    n = registry.num_rows
    columns = {
        f.name: registry.column(f.name).cast(f.type)
        if f.name in registry.column_names
        else pa.nulls(n, f.type)
        for f in REGISTRY_SCHEMA
    }
    return pa.table(columns, schema=REGISTRY_SCHEMA)


def _moves(connection: duckdb.DuckDBPyConnection) -> list[Rejection]:
    """``station_moved`` notices: consecutive descriptions of a station, in time order."""
    rows = connection.execute(
        f"""
        WITH described AS (
            SELECT station_code, longitude, latitude, last_seen AS ts, 0 AS step,
                   'registry' AS source, 0 AS line
            FROM registry WHERE longitude IS NOT NULL AND station_code IN (SELECT station_code FROM incoming)
            UNION ALL
            SELECT station_code, longitude, latitude, ts, 1, source, line FROM incoming
            WHERE longitude IS NOT NULL AND latitude IS NOT NULL
        ), ordered AS (
            SELECT *, lag(longitude) OVER w AS old_lon, lag(latitude) OVER w AS old_lat
            FROM described
            WINDOW w AS (PARTITION BY station_code ORDER BY ts NULLS FIRST, step, source, line)
        )
        SELECT source, line, station_code, old_lon, old_lat, longitude, latitude FROM ordered
        WHERE abs(longitude - old_lon) > {COORDINATE_TOLERANCE}
           OR abs(latitude - old_lat) > {COORDINATE_TOLERANCE}
        ORDER BY source, line
        """
    ).fetchall()
    return [
        Rejection(
            str(source),
            int(line),
            "longitude,latitude",
            f"{code}: {old_lon},{old_lat} → {lon},{lat}",
            "station_moved",
        )
        for source, line, code, old_lon, old_lat, lon, lat in rows
    ]
