"""Boundaries and lines of sources as written in a register cell, checked and made GeoJSON.

A cell holds the vertices as ``lon,lat;lon,lat;…`` (the way positions are copied off a web map)
or as WKT ``POLYGON((lon lat, lon lat, …))`` / ``LINESTRING(lon lat, …)``. A polygon needs at
least three distinct vertices, a non-zero area and edges that do not cross (a bow-tie boundary is
refused); it is closed if the last vertex does not repeat the first. Positions are converted to
WGS-84 by the caller (:mod:`lantian.sources.coordinates`) before the result is stored as a GeoJSON
geometry (RFC 7946: ``[longitude, latitude]``, outer ring counter-clockwise).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from lantian.sources.coordinates import EARTH_RADIUS_KM

_WKT = re.compile(
    r"^\s*(POLYGON\s*\(\s*\((?P<ring>[^()]*)\)\s*\)|LINESTRING\s*\((?P<line>[^()]*)\))\s*$", re.I
)
_NUMBER = r"[+-]?(?:\d+\.?\d*|\.\d+)"


def parse_vertices(text: str) -> tuple[np.ndarray | None, str | None]:
    """An (n, 2) array of [lon, lat] from a cell, or (None, problem)."""
    match = _WKT.match(text)
    if match:
        body = match["ring"] if match["ring"] is not None else match["line"]
        pairs = [p.split() for p in body.split(",")]
    else:
        pairs = [
            re.split(r"\s*[,，\s]\s*", p.strip()) for p in re.split(r"[;；]", text) if p.strip()
        ]
    if any(len(p) != 2 or not all(re.fullmatch(_NUMBER, v) for v in p) for p in pairs):
        return None, "顶点应写作“经度,纬度;经度,纬度;…”或 WKT"
    return np.array(pairs, dtype=float).reshape(-1, 2), None


def _segments_cross(points: np.ndarray) -> bool:
    """Whether two non-adjacent edges of the closed ring ``points`` (n, 2) intersect."""
    a, b = points, np.roll(points, -1, axis=0)
    n = len(points)

    def orientation(p: np.ndarray, q: np.ndarray, r: np.ndarray) -> np.ndarray:
        return np.asarray(
            np.sign(
                (q[..., 0] - p[..., 0]) * (r[..., 1] - p[..., 1])
                - (q[..., 1] - p[..., 1]) * (r[..., 0] - p[..., 0])
            )
        )

    i, j = np.triu_indices(n, k=2)
    keep = ~((i == 0) & (j == n - 1))  # the first and last edges share a vertex
    i, j = i[keep], j[keep]
    o1 = orientation(a[i], b[i], a[j])
    o2 = orientation(a[i], b[i], b[j])
    o3 = orientation(a[j], b[j], a[i])
    o4 = orientation(a[j], b[j], b[i])
    return bool(np.any((o1 * o2 < 0) & (o3 * o4 < 0)))


def planar_area_m2(ring: np.ndarray) -> float:
    """Area of a WGS-84 ring [m²] on a local equirectangular projection (shoelace)."""
    lat0 = np.radians(ring[:, 1].mean())
    x = np.radians(ring[:, 0]) * np.cos(lat0) * EARTH_RADIUS_KM * 1000
    y = np.radians(ring[:, 1]) * EARTH_RADIUS_KM * 1000
    return float(0.5 * (np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def polygon_problem(ring: np.ndarray) -> str | None:
    """What is wrong with an open ring of [lon, lat] vertices as a boundary, or ``None``."""
    if len(ring) >= 2 and np.array_equal(ring[0], ring[-1]):
        ring = ring[:-1]
    if len(np.unique(ring, axis=0)) < 3:
        return "边界至少需要 3 个不同的顶点"
    if _segments_cross(ring):
        return "边界自相交（边与边交叉）"
    if abs(planar_area_m2(ring)) < 1.0:
        return "边界面积为零（顶点共线）"
    return None


def polygon_geojson(ring: np.ndarray) -> dict[str, Any]:
    """A GeoJSON Polygon of an open or closed ring, outer ring counter-clockwise."""
    if len(ring) >= 2 and np.array_equal(ring[0], ring[-1]):
        ring = ring[:-1]
    if planar_area_m2(ring) < 0:
        ring = ring[::-1]
    closed = np.vstack([ring, ring[:1]])
    return {"type": "Polygon", "coordinates": [closed.round(7).tolist()]}


def line_geojson(points: np.ndarray) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": points.round(7).tolist()}


def centre(geometry: dict[str, Any]) -> tuple[float, float]:
    """The mean vertex [lon, lat] of a Polygon's outer ring or a LineString (a label point), to
    1e-7° (≈ 1 cm), as positions are stored."""
    points = (
        geometry["coordinates"][0][:-1]
        if geometry["type"] == "Polygon"
        else geometry["coordinates"]
    )
    mean = np.asarray(points, dtype=float).mean(axis=0).round(7)
    return float(mean[0]), float(mean[1])


def vertices_text(geometry: dict[str, Any] | None) -> str:
    """The cell text of a geometry, as :func:`parse_vertices` reads it back."""
    if not geometry:
        return ""
    points = (
        geometry["coordinates"][0] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    return ";".join(f"{lon:.7f},{lat:.7f}" for lon, lat in points)
