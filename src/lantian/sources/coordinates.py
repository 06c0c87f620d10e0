"""Coordinates: WGS-84 stored; GCJ-02 (火星坐标) and BD-09 (百度坐标) converted on import.

Chinese web maps (高德/腾讯: GCJ-02; 百度: BD-09) show positions shifted by the obfuscation of
GB 20263 (国测局加偏); a position read off such a map must be converted before it is stored or
compared with the stations' coordinates. The forward transform WGS-84 → GCJ-02 is the formula that
the widely used open implementations agree on (e.g. wandergis/coordtransform, eviltransform), with
Krasovsky's semi-major axis a = 6378245 m and e² = 0.00669342162296594323; outside China's bounding
box (73.66–135.05 °E, 3.86–53.55 °N) GCJ-02 equals WGS-84. GCJ-02 → BD-09 and back are Baidu's
closed formulas (the BD-09 → GCJ-02 one is Baidu's published approximate inverse; a round trip
moves a point by up to ~22 cm). There is no closed inverse of GCJ-02: :func:`gcj02_to_wgs84` solves it by fixed-point
iteration to 1e-10° (≈ 0.01 mm), where the common one-step inverse errs by up to ~1 m.

Every function takes and returns NumPy arrays (or scalars) of longitude and latitude [°], whole
columns at once.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

PI = 3.1415926535897932384626
KRASOVSKY_A = 6378245.0
"""Semi-major axis of the Krasovsky 1940 ellipsoid used by the GCJ-02 transform [m]."""
KRASOVSKY_EE = 0.00669342162296594323
"""Its first eccentricity squared."""
BAIDU_X_PI = PI * 3000.0 / 180.0
EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG, R₁) for great-circle distances [km]."""
CHINA_BOUNDS = (73.66, 135.05, 3.86, 53.55)
"""(west, east, south, north) box outside which GCJ-02 applies no shift [°]."""

Array = np.ndarray


def _in_china(longitude: Array, latitude: Array) -> Array:
    west, east, south, north = CHINA_BOUNDS
    return (longitude > west) & (longitude < east) & (latitude > south) & (latitude < north)


def _shift_latitude(x: Array, y: Array) -> Array:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * PI) + 20.0 * np.sin(2.0 * x * PI)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * PI) + 40.0 * np.sin(y / 3.0 * PI)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * PI) + 320.0 * np.sin(y * PI / 30.0)) * 2.0 / 3.0
    return np.asarray(ret)


def _shift_longitude(x: Array, y: Array) -> Array:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * PI) + 20.0 * np.sin(2.0 * x * PI)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * PI) + 40.0 * np.sin(x / 3.0 * PI)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * PI) + 300.0 * np.sin(x / 30.0 * PI)) * 2.0 / 3.0
    return np.asarray(ret)


def wgs84_to_gcj02(longitude: ArrayLike, latitude: ArrayLike) -> tuple[Array, Array]:
    """WGS-84 → GCJ-02 [°]; unchanged outside China's bounding box."""
    lon, lat = np.asarray(longitude, dtype=float), np.asarray(latitude, dtype=float)
    d_lat = _shift_latitude(lon - 105.0, lat - 35.0)
    d_lon = _shift_longitude(lon - 105.0, lat - 35.0)
    radians = lat / 180.0 * PI
    magic = 1.0 - KRASOVSKY_EE * np.sin(radians) ** 2
    sqrt_magic = np.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((KRASOVSKY_A * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * PI)
    d_lon = (d_lon * 180.0) / (KRASOVSKY_A / sqrt_magic * np.cos(radians) * PI)
    inside = _in_china(lon, lat)
    return np.where(inside, lon + d_lon, lon), np.where(inside, lat + d_lat, lat)


def gcj02_to_wgs84(
    longitude: ArrayLike, latitude: ArrayLike, tolerance: float = 1e-10
) -> tuple[Array, Array]:
    """GCJ-02 → WGS-84 [°], the exact inverse of :func:`wgs84_to_gcj02` by fixed-point iteration.

    Each step moves the estimate by the forward transform's miss; the shift varies slowly (< 1e-5
    per degree), so it converges to ``tolerance`` [°] in a few steps (at most 30 are taken).
    """
    gcj_lon, gcj_lat = np.asarray(longitude, dtype=float), np.asarray(latitude, dtype=float)
    lon, lat = gcj_lon.copy(), gcj_lat.copy()
    for _ in range(30):
        forward_lon, forward_lat = wgs84_to_gcj02(lon, lat)
        miss_lon, miss_lat = forward_lon - gcj_lon, forward_lat - gcj_lat
        lon, lat = lon - miss_lon, lat - miss_lat
        if np.all(np.abs(miss_lon) < tolerance) and np.all(np.abs(miss_lat) < tolerance):
            break
    return lon, lat


def gcj02_to_bd09(longitude: ArrayLike, latitude: ArrayLike) -> tuple[Array, Array]:
    """GCJ-02 → BD-09 [°] (Baidu's formula)."""
    lon, lat = np.asarray(longitude, dtype=float), np.asarray(latitude, dtype=float)
    z = np.sqrt(lon * lon + lat * lat) + 0.00002 * np.sin(lat * BAIDU_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * BAIDU_X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(longitude: ArrayLike, latitude: ArrayLike) -> tuple[Array, Array]:
    """BD-09 → GCJ-02 [°] (Baidu's formula)."""
    x = np.asarray(longitude, dtype=float) - 0.0065
    y = np.asarray(latitude, dtype=float) - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * BAIDU_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * BAIDU_X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def bd09_to_wgs84(longitude: ArrayLike, latitude: ArrayLike) -> tuple[Array, Array]:
    """BD-09 → WGS-84 [°]: BD-09 → GCJ-02 → WGS-84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(longitude, latitude))


def wgs84_to_bd09(longitude: ArrayLike, latitude: ArrayLike) -> tuple[Array, Array]:
    """WGS-84 → BD-09 [°]: WGS-84 → GCJ-02 → BD-09."""
    return gcj02_to_bd09(*wgs84_to_gcj02(longitude, latitude))


def _identity(longitude: ArrayLike, latitude: ArrayLike) -> tuple[Array, Array]:
    return np.asarray(longitude, dtype=float), np.asarray(latitude, dtype=float)


TO_WGS84: dict[str, Callable[..., tuple[Array, Array]]] = {
    "wgs84": _identity,
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}
"""The coordinate systems an importer accepts (``--crs``) → their conversion to WGS-84."""
FROM_WGS84: dict[str, Callable[..., tuple[Array, Array]]] = {
    "wgs84": _identity,
    "gcj02": wgs84_to_gcj02,
    "bd09": wgs84_to_bd09,
}


def to_wgs84(crs: str, longitude: ArrayLike, latitude: ArrayLike) -> tuple[Array, Array]:
    """Convert positions given in ``crs`` (``wgs84``, ``gcj02`` or ``bd09``) to WGS-84 [°]."""
    try:
        convert = TO_WGS84[crs]
    except KeyError:
        raise ValueError(
            f"unknown coordinate system {crs!r}; valid: {', '.join(TO_WGS84)}"
        ) from None
    return convert(longitude, latitude)


def haversine_km(lon1: ArrayLike, lat1: ArrayLike, lon2: ArrayLike, lat2: ArrayLike) -> Array:
    """Great-circle distance [km] between points (broadcasting: pass ``lon1[:, None]`` for a matrix).

    The haversine formula on a sphere of radius :data:`EARTH_RADIUS_KM`; within a district its
    error against the ellipsoid is below 0.5 %.
    """
    x1, y1, x2, y2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    a = np.sin((y2 - y1) / 2) ** 2 + np.cos(y1) * np.cos(y2) * np.sin((x2 - x1) / 2) ** 2
    return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))


def unit_vectors(longitude: ArrayLike, latitude: ArrayLike) -> Array:
    """Positions [°] as unit vectors on the sphere, shape (n, 3).

    The cosine of the central angle between two positions is the dot product of their vectors, so
    a matrix of them is one matrix product (BLAS) instead of a haversine per pair; used to find
    nearest and nearby positions, whose distances are then computed exactly by :func:`haversine_km`.
    """
    lon = np.radians(np.asarray(longitude, dtype=float))
    lat = np.radians(np.asarray(latitude, dtype=float))
    return np.column_stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


BLOCK_ROWS = 4096
"""Rows of a cosine matrix computed at once (4096 × 2,000 stations ≈ 64 MB)."""


def nearest(
    from_lon: ArrayLike, from_lat: ArrayLike, to_lon: ArrayLike, to_lat: ArrayLike
) -> tuple[Array, Array]:
    """For each ``from`` position, the index of the nearest ``to`` position and its distance [km].

    Whole matrix in blocks of :data:`BLOCK_ROWS`: the largest dot product of unit vectors is the
    smallest central angle; the distance of the pair found is then the haversine's.
    """
    source, target = unit_vectors(from_lon, from_lat), unit_vectors(to_lon, to_lat)
    best = np.concatenate(
        [
            np.argmax(source[i : i + BLOCK_ROWS] @ target.T, axis=1)
            for i in range(0, len(source), BLOCK_ROWS)
        ]
        or [np.zeros(0, dtype=np.int64)]
    )
    target_lon, target_lat = np.asarray(to_lon, dtype=float), np.asarray(to_lat, dtype=float)
    return best, haversine_km(from_lon, from_lat, target_lon[best], target_lat[best])


def within(
    from_lon: ArrayLike, from_lat: ArrayLike, to_lon: ArrayLike, to_lat: ArrayLike, km: float
) -> tuple[Array, Array, Array]:
    """All pairs (i, j) with ``from[i]`` and ``to[j]`` at most ``km`` apart, and their distances.

    Candidates come from the cosine matrix (blocks of :data:`BLOCK_ROWS` rows) with a margin of
    1e-9 in the cosine (< 1 m at 3 km); each candidate's distance is then the haversine's, and the
    radius is applied to it, so the result is exactly the haversine's.
    """
    source, target = unit_vectors(from_lon, from_lat), unit_vectors(to_lon, to_lat)
    threshold = np.cos(min(km / EARTH_RADIUS_KM, np.pi)) - 1e-9
    rows: list[Array] = []
    columns: list[Array] = []
    for first in range(0, len(source), BLOCK_ROWS):
        i, j = np.nonzero(source[first : first + BLOCK_ROWS] @ target.T >= threshold)
        rows.append(i + first)
        columns.append(j)
    i = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    j = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
    a_lon, a_lat = np.asarray(from_lon, dtype=float), np.asarray(from_lat, dtype=float)
    b_lon, b_lat = np.asarray(to_lon, dtype=float), np.asarray(to_lat, dtype=float)
    distance = haversine_km(a_lon[i], a_lat[i], b_lon[j], b_lat[j])
    keep = distance <= km
    return i[keep], j[keep], distance[keep]
