"""The station registry: which stations exist, where, in which city, and which of them are
evaluation stations (评价点) or control points (对照点).

Columns: ``station_code, name, city, district, longitude, latitude, network, evaluation,
control_point``. ``network`` is ``national``, ``provincial`` or ``micro``. City and area values use
stations with ``evaluation`` true only.
"""

from __future__ import annotations

from pathlib import Path

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
    ]
)


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
        },
        schema=REGISTRY_SCHEMA,
    )
