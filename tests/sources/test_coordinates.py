"""WGS-84 / GCJ-02 / BD-09 conversions against published pairs.

Reference pairs (all at 116.404, 39.915, Beijing) are those of wandergis/coordtransform, the most
widely used open converter, printed in its test/app.js and asserted to the last digit by the
ports that copy its test: coordtransform_rs (tests) and hutool's CoordinateUtilTest
("测试参考：https://github.com/wandergis/coordtransform"):

* bd09 → gcj02: 116.39762729119315, 39.90865673957631
* gcj02 → bd09: 116.41036949371029, 39.92133699351021
* wgs84 → gcj02: 116.41024449916938, 39.91640428150164

Its gcj02 → wgs84 (116.39775550083061, 39.91359571849836) is a one-step approximation; ours is the
exact inverse, so it is tested by returning the published forward pair to its start, and to within
1 m of the approximation. Tolerances: 1e-12° for closed formulas (floating-point order only).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantian.sources.coordinates import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    haversine_km,
    nearest,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
    within,
)

POINT = (116.404, 39.915)


@pytest.mark.parametrize(
    ("convert", "expected"),
    [
        (bd09_to_gcj02, (116.39762729119315, 39.90865673957631)),
        (gcj02_to_bd09, (116.41036949371029, 39.92133699351021)),
        (wgs84_to_gcj02, (116.41024449916938, 39.91640428150164)),
    ],
)
def test_published_pairs(convert, expected):
    lon, lat = convert(*POINT)
    assert float(lon) == pytest.approx(expected[0], abs=1e-12)
    assert float(lat) == pytest.approx(expected[1], abs=1e-12)


def test_exact_inverse_returns_the_published_forward_pair_to_its_start():
    lon, lat = gcj02_to_wgs84(116.41024449916938, 39.91640428150164)
    assert (float(lon), float(lat)) == pytest.approx(POINT, abs=1e-9)


def test_exact_inverse_is_within_a_metre_of_the_one_step_approximation():
    lon, lat = gcj02_to_wgs84(*POINT)
    km = haversine_km(lon, lat, 116.39775550083061, 39.91359571849836)
    assert km < 0.001


def test_outside_china_nothing_is_shifted():
    lon, lat = wgs84_to_gcj02(2.35, 48.85)  # Paris
    assert (float(lon), float(lat)) == (2.35, 48.85)


def test_whole_columns_at_once():
    lon = np.array([111.60, 111.61, 116.404])
    lat = np.array([26.43, 26.44, 39.915])
    gcj_lon, _gcj_lat = wgs84_to_gcj02(lon, lat)
    assert gcj_lon.shape == (3,)
    assert float(gcj_lon[2]) == pytest.approx(116.41024449916938, abs=1e-12)


def test_unknown_crs_lists_the_valid_ones():
    with pytest.raises(ValueError, match="wgs84, gcj02, bd09"):
        to_wgs84("cgcs2000", 111.6, 26.4)


def test_haversine_a_degree_of_latitude():
    # 1° of a great circle on the IUGG mean sphere (R = 6371.0088 km) is 111.1951 km
    assert float(haversine_km(111.6, 26.0, 111.6, 27.0)) == pytest.approx(111.1951, abs=1e-4)


china = st.tuples(st.floats(74.0, 134.5), st.floats(4.5, 53.0))


@given(china)
def test_gcj02_round_trip_is_exact_to_a_millimetre(point):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(*point))
    assert float(haversine_km(*point, *back)) < 1e-6


@given(china)
def test_bd09_round_trip_is_within_thirty_centimetres(point):
    # Baidu's published BD-09 → GCJ-02 formula is itself only an approximate inverse of its
    # GCJ-02 → BD-09 (up to 22 cm over China's box on a 400 × 400 grid); we keep the published
    # formula, as every converter does.
    back = bd09_to_wgs84(*wgs84_to_bd09(*point))
    assert float(haversine_km(*point, *back)) < 3e-4


@given(china)
def test_the_shift_is_the_few_hundred_metres_known_of_gcj02(point):
    # GCJ-02 offsets are 100–700 m across China; BD-09 adds about another kilometre at most
    shift = float(haversine_km(*point, *wgs84_to_gcj02(*point)))
    assert 0.0 < shift < 1.0


positions = st.lists(
    st.tuples(st.floats(111.4, 111.8), st.floats(26.2, 26.6)), min_size=1, max_size=40
)


@given(positions, positions, st.floats(0.1, 20.0))
def test_within_finds_exactly_the_pairs_the_haversine_finds(a, b, km):
    a_lon, a_lat = np.array(a).T
    b_lon, b_lat = np.array(b).T
    distance = haversine_km(a_lon[:, None], a_lat[:, None], b_lon, b_lat)
    i, j, found = within(a_lon, a_lat, b_lon, b_lat, km)
    assert set(zip(i.tolist(), j.tolist(), strict=True)) == set(
        zip(*np.nonzero(distance <= km), strict=True)
    )
    assert np.allclose(found, distance[i, j])


@given(positions, positions)
def test_nearest_is_the_haversine_nearest(a, b):
    a_lon, a_lat = np.array(a).T
    b_lon, b_lat = np.array(b).T
    distance = haversine_km(a_lon[:, None], a_lat[:, None], b_lon, b_lat)
    best, km = nearest(a_lon, a_lat, b_lon, b_lat)
    assert np.allclose(km, distance.min(axis=1), atol=1e-9)  # ties may pick either, same distance
    assert np.allclose(distance[np.arange(len(a)), best], km)
