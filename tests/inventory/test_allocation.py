"""The 1 km grid, road lines cut along their length, towns and monthly profiles, checked against
hand computations on constructed sources (not real data)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lantian.inventory.allocation import (
    EARTH_RADIUS_KM,
    Grid,
    active_days_by_month,
    grid_sums,
    line_pieces,
    monthly,
    towns,
)
from lantian.inventory.build import EMISSIONS_SCHEMA

KM_LAT = 180 / (np.pi * EARTH_RADIUS_KM)
"""One kilometre north [°]."""


def test_cells_are_1_km_on_the_equirectangular_plane():
    grid = Grid(111.0, 26.0)
    km_lon = KM_LAT / np.cos(np.radians(26.0))
    lon = np.array([111.0 + 0.5 * km_lon, 111.0 + 1.5 * km_lon, 111.0 + 2.5 * km_lon, np.nan])
    lat = np.array([26.0 + 0.5 * KM_LAT, 26.0 + 3.5 * KM_LAT, 26.0, 26.0])
    x, y = grid.cells(lon, lat)
    assert x.tolist() == [0, 1, 2, -1]
    assert y.tolist() == [0, 3, 0, -1]
    centre_lon, centre_lat = grid.centres(np.array([1]), np.array([3]))
    assert centre_lon[0] == pytest.approx(111.0 + 1.5 * km_lon, abs=1e-12)
    assert centre_lat[0] == pytest.approx(26.0 + 3.5 * KM_LAT, abs=1e-12)


def test_a_road_is_shared_by_the_cells_it_crosses_in_proportion_to_its_length():
    """A straight 2 km road along a cell row from x = 0.5 km to 2.5 km: 0.5 km in cell 0, 1 km in
    cell 1, 0.5 km in cell 2 → shares 0.25, 0.5, 0.25 of its 8 t."""
    km_lon = KM_LAT / np.cos(np.radians(26.0))
    lon = np.array([111.0 + 0.5 * km_lon, 111.0 + 2.5 * km_lon])
    lat = np.array([26.0 + 0.5 * KM_LAT] * 2)
    line, plon, plat, weight = line_pieces(np.array([0, 2]), lon, lat, spacing_km=0.05)
    assert weight.sum() == pytest.approx(1.0)
    x, y, sums, missing = grid_sums(Grid(111.0, 26.0), line, plon, plat, weight, np.array([[8.0]]))
    assert x.tolist() == [0, 1, 2]
    assert y.tolist() == [0, 0, 0]
    assert sums[:, 0] == pytest.approx([2.0, 4.0, 2.0], rel=1e-3)
    assert missing[0] == pytest.approx(0.0)


def test_a_line_of_one_vertex_is_a_point():
    line, lon, _lat, weight = line_pieces(np.array([0, 1]), np.array([111.2]), np.array([26.3]))
    assert line.tolist() == [0]
    assert weight.tolist() == [1.0]
    assert lon[0] == 111.2


@settings(max_examples=60, deadline=None)
@example(
    [(111.89999999999999, 26.0, 1.0, 0)]
)  # × 100 rounds up to 11190.0: the corner was east of it
@given(
    st.lists(
        st.tuples(
            st.floats(111.0, 111.9),
            st.floats(26.0, 26.9),
            st.floats(0, 1e4),
            st.integers(0, 3),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_gridding_keeps_every_tonne(points):
    """Whatever the positions, the grid's cells sum to the sources' tonnes, per pollutant."""
    lon = np.array([p[0] for p in points])
    lat = np.array([p[1] for p in points])
    tonnes = np.zeros((len(points), 4))
    tonnes[np.arange(len(points)), [p[3] for p in points]] = [p[2] for p in points]
    index = np.arange(len(points))
    grid = Grid.covering(lon, lat)
    _, _, sums, missing = grid_sums(grid, index, lon, lat, np.ones(len(points)), tonnes)
    assert sums.sum(axis=0) == pytest.approx(tonnes.sum(axis=0), rel=1e-9, abs=1e-9)
    assert missing == pytest.approx(np.zeros(4), abs=1e-9)


def _rows(**columns) -> pa.Table:
    n = len(columns["tonnes"])
    base = {name: [None] * n for name in EMISSIONS_SCHEMA.names}
    base |= {"year": [2019] * n, "example": [False] * n, "factor_tonnes": [0.0] * n}
    return pa.table(base | columns, schema=EMISSIONS_SCHEMA)


def test_towns_sum_and_name_the_rows_without_a_town():
    table = _rows(
        town=["梅湾街道", "梅湾街道", None], pollutant=["TSP"] * 3, tonnes=[1.0, 2.0, 4.0]
    )
    assert towns(table).to_pylist() == [
        {"town": "梅湾街道", "pollutant": "TSP", "tonnes": 3.0},
        {"town": "（未填乡镇）", "pollutant": "TSP", "tonnes": 4.0},
    ]


def test_active_days_by_month():
    """A site from 2019-07-15 to 2019-09-10: 17 days in July, 31 in August, 10 in September."""
    days = active_days_by_month(
        2019, np.array(["2019-07-15"], "datetime64[D]"), np.array(["2019-09-10"], "datetime64[D]")
    )
    assert days[0].tolist() == [0, 0, 0, 0, 0, 0, 17, 31, 10, 0, 0, 0]


def test_monthly_profiles_by_site_dates_else_by_days_of_month():
    """Site 1 (58 t) works 17 + 31 + 10 = 58 days → 17, 31, 10 t in July–September; the road's
    365 t spread by days of month → 31 t in January, 28 t in February."""
    table = _rows(
        category=["扬尘源", "扬尘源"],
        pollutant=["TSP", "TSP"],
        template=["sites", "roads"],
        source_id=[1, 2],
        tonnes=[58.0, 365.0],
    )
    dates = {1: (dt.date(2019, 7, 15), dt.date(2019, 9, 10))}
    result = monthly(table, 2019, dates).to_pylist()
    by = {(r["basis"][:4], r["month"]): r["tonnes"] for r in result}
    assert by[("工地施工", 7)] == pytest.approx(17.0)
    assert by[("工地施工", 8)] == pytest.approx(31.0)
    assert by[("工地施工", 1)] == pytest.approx(0.0)
    assert by[("按月天数", 1)] == pytest.approx(31.0)
    assert by[("按月天数", 2)] == pytest.approx(28.0)
