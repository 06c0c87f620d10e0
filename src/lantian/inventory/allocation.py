"""Where and when: the inventory on a 1 km grid and by town, and its monthly profiles.

**The grid.** Cells of ``size_km`` (1 km) on an equirectangular plane about the domain's
south-west corner (lon₀, lat₀): x = R·(λ − λ₀)·cos φ₀, y = R·(φ − φ₀), R = 6 371.0088 km (the
IUGG mean Earth radius). Across a district or a prefecture (≤ 200 km north–south) a cell's
east–west side differs from 1 km by less than the change of cos φ over the domain (< 2 % at 26° N
over 200 km); a cell is named by its integer column ``cell_x`` and row ``cell_y`` and carries
its centre's WGS-84 position.

**Pieces.** A source is cut into pieces (position, weight; the weights of a source sum to 1): a
point source or a site is one piece at its position; a road segment (a GeoJSON line in the
registry) is cut every ``spacing_km`` along its length, each piece weighted by the length it
stands for, so a road crossing three cells puts its emission into the three in proportion. All
of it whole-column NumPy: pieces by ``np.repeat`` and interpolation, cells by integer division,
sums by ``np.bincount`` — no loop over sources.

**Monthly profiles.** Each row's year is spread over the months by a profile of weights: the CEMS
days of its enterprise where the monitoring method made it (daily from CEMS, summed by month);
the days a construction site works in each month (its registry dates); otherwise the days of each
month (no monthly variation known: stated as such in ``basis``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EARTH_RADIUS_KM = 6371.0088
"""The IUGG mean Earth radius R₁ [km]."""
UNKNOWN_TOWN = "（未填乡镇）"


@dataclass(frozen=True)
class Grid:
    """A regular grid of ``size_km`` cells whose (0, 0) cell has its south-west corner at
    (``longitude0``, ``latitude0``)."""

    longitude0: float
    latitude0: float
    size_km: float = 1.0

    @classmethod
    def covering(cls, longitude: np.ndarray, latitude: np.ndarray, size_km: float = 1.0) -> Grid:
        """The grid whose corner is the south-west of the positions, rounded down to 0.01°."""
        ok = np.isfinite(longitude) & np.isfinite(latitude)
        if not ok.any():
            raise ValueError("no position to place a grid on")
        corner = []
        for values in (longitude[ok], latitude[ok]):
            low = float(values.min())
            rounded = float(np.floor(low * 100) / 100)
            corner.append(
                rounded - 0.01 if rounded > low else rounded
            )  # 111.89999… * 100 = 11190.0
        return cls(corner[0], corner[1], size_km)

    def _scale(self) -> tuple[float, float]:
        per_degree = EARTH_RADIUS_KM * np.pi / 180.0
        return per_degree * np.cos(np.radians(self.latitude0)), per_degree

    def cells(self, longitude: np.ndarray, latitude: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The column and row of each position (``-1`` where a position is missing or lies west
        or south of the grid)."""
        kx, ky = self._scale()
        x = np.floor((longitude - self.longitude0) * kx / self.size_km)
        y = np.floor((latitude - self.latitude0) * ky / self.size_km)
        ok = np.isfinite(x) & np.isfinite(y) & (x >= 0) & (y >= 0)
        return (
            np.where(ok, x, -1).astype(np.int64),
            np.where(ok, y, -1).astype(np.int64),
        )

    def centres(self, cell_x: np.ndarray, cell_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The WGS-84 position of each cell's centre [°]."""
        kx, ky = self._scale()
        return (
            self.longitude0 + (cell_x + 0.5) * self.size_km / kx,
            self.latitude0 + (cell_y + 0.5) * self.size_km / ky,
        )


def line_pieces(
    offsets: np.ndarray, longitude: np.ndarray, latitude: np.ndarray, spacing_km: float = 0.05
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Lines cut into pieces of at most ``spacing_km``, whole-column.

    ``offsets`` (length L + 1) delimits each line's vertices in ``longitude``/``latitude``
    (Arrow's list layout). Returns (line index, longitude, latitude, weight) of the pieces: each
    piece sits at the middle of its stretch and weighs its share of the line's length (a line's
    weights sum to 1; a line of no length is one piece of weight 1 at its first vertex).
    """
    vertex_line = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    same = vertex_line[1:] == vertex_line[:-1]
    start = np.flatnonzero(same)
    lon0, lat0 = longitude[start], latitude[start]
    lon1, lat1 = longitude[start + 1], latitude[start + 1]
    kx = EARTH_RADIUS_KM * np.pi / 180 * np.cos(np.radians((lat0 + lat1) / 2))
    ky = EARTH_RADIUS_KM * np.pi / 180
    length = np.hypot((lon1 - lon0) * kx, (lat1 - lat0) * ky)
    count = np.maximum(np.ceil(length / spacing_km), 1).astype(np.int64)
    segment = np.repeat(np.arange(start.size), count)
    first = np.cumsum(count) - count
    t = (np.arange(count.sum()) - np.repeat(first, count) + 0.5) / np.repeat(count, count)
    line = vertex_line[start][segment]
    piece_length = (length / count)[segment]
    total = np.bincount(line, weights=piece_length, minlength=len(offsets) - 1)
    lon = lon0[segment] + t * (lon1 - lon0)[segment]
    lat = lat0[segment] + t * (lat1 - lat0)[segment]
    weight = np.divide(
        piece_length, total[line], out=np.zeros_like(piece_length), where=total[line] > 0
    )
    flat = np.flatnonzero(total == 0)  # lines of one vertex or no length: one piece, weight 1
    firsts = offsets[:-1][flat]
    has_vertex = firsts < offsets[1:][flat]
    keep = weight > 0
    return (
        np.concatenate([line[keep], flat[has_vertex]]),
        np.concatenate([lon[keep], longitude[firsts[has_vertex]]]),
        np.concatenate([lat[keep], latitude[firsts[has_vertex]]]),
        np.concatenate([weight[keep], np.ones(int(has_vertex.sum()))]),
    )


def grid_sums(
    grid: Grid,
    piece_source: np.ndarray,
    piece_longitude: np.ndarray,
    piece_latitude: np.ndarray,
    piece_weight: np.ndarray,
    tonnes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Gridded emissions of many pollutants at once.

    ``tonnes`` is (sources × pollutants); the pieces give each source's share of a position.
    Returns ``cell_x``, ``cell_y`` of the occupied cells and their tonnes (cells × pollutants),
    and the tonnes per pollutant that had no position (not gridded).
    """
    cx, cy = grid.cells(piece_longitude, piece_latitude)
    placed = cx >= 0
    width = int(cx[placed].max()) + 1 if placed.any() else 1
    height = int(cy[placed].max()) + 1 if placed.any() else 1
    cell = (cy * width + cx)[placed]
    source, weight = piece_source[placed], piece_weight[placed]
    size = width * height
    occupied = np.flatnonzero(np.bincount(cell, minlength=size))
    out = np.empty((occupied.size, tonnes.shape[1]))
    by_pollutant = np.ascontiguousarray(tonnes.T)
    for column in range(tonnes.shape[1]):  # a handful of pollutants, one bincount over all pieces
        out[:, column] = np.bincount(
            cell, weights=by_pollutant[column][source] * weight, minlength=size
        )[occupied]
    gridded = np.bincount(source, weights=weight, minlength=tonnes.shape[0])
    missing = tonnes * (1.0 - np.clip(gridded, 0.0, 1.0))[:, None]
    return occupied % width, occupied // width, out, missing.sum(axis=0)


def _geometry_pieces(
    index: np.ndarray, geometries: list[Any], longitude: np.ndarray, latitude: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pieces of the sources ``index``: lines cut along, everything else at its position."""
    is_line = np.array([bool(g) and g.get("type") == "LineString" for g in geometries], dtype=bool)
    lines = [geometries[i]["coordinates"] for i in np.flatnonzero(is_line)]
    sizes = np.array([len(c) for c in lines], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)])
    vertices = np.array([p for c in lines for p in c], dtype=np.float64).reshape(-1, 2)
    line, lon, lat, weight = line_pieces(offsets, vertices[:, 0], vertices[:, 1])
    point = np.flatnonzero(~is_line)
    return (
        np.concatenate([index[is_line][line], index[point]]),
        np.concatenate([lon, longitude[point]]),
        np.concatenate([lat, latitude[point]]),
        np.concatenate([weight, np.ones(point.size)]),
    )


def grid_inventory(
    emissions: pa.Table, geometries: dict[int, Any], size_km: float = 1.0
) -> tuple[pa.Table, dict[str, Any]]:
    """The inventory on a grid: one row per occupied cell and pollutant.

    ``geometries`` maps a registry source id to its GeoJSON geometry (roads are cut along their
    line). Returns the grid table (``cell_x, cell_y, longitude, latitude, pollutant, tonnes``)
    and the grid's description (origin, size, the tonnes per pollutant without a position).
    """
    pollutant_names = sorted(set(emissions.column("pollutant").to_pylist()))
    longitude = emissions.column("longitude").to_numpy(zero_copy_only=False).astype(np.float64)
    latitude = emissions.column("latitude").to_numpy(zero_copy_only=False).astype(np.float64)
    ids = emissions.column("source_id").to_pylist()
    shapes = [geometries.get(i) if i is not None else None for i in ids]
    with_line = np.array([bool(s) and s.get("type") == "LineString" for s in shapes])
    positioned = np.isfinite(longitude) & np.isfinite(latitude)
    if not (positioned | with_line).any():
        empty = pa.table(
            {
                "cell_x": pa.array([], pa.int64()),
                "cell_y": pa.array([], pa.int64()),
                "longitude": pa.array([], pa.float64()),
                "latitude": pa.array([], pa.float64()),
                "pollutant": pa.array([], pa.string()),
                "tonnes": pa.array([], pa.float64()),
            }
        )
        return empty, {"size_km": size_km, "not_gridded": {}}
    rows = np.arange(emissions.num_rows)
    piece_row, piece_lon, piece_lat, piece_weight = _geometry_pieces(
        rows, shapes, longitude, latitude
    )
    grid = Grid.covering(piece_lon, piece_lat, size_km)
    column = np.searchsorted(
        pollutant_names, emissions.column("pollutant").to_numpy(zero_copy_only=False)
    )
    tonnes = np.zeros((emissions.num_rows, len(pollutant_names)))
    tonnes[rows, column] = emissions.column("tonnes").to_numpy(zero_copy_only=False)
    cell_x, cell_y, sums, missing = grid_sums(
        grid, piece_row, piece_lon, piece_lat, piece_weight, tonnes
    )
    lon, lat = grid.centres(cell_x, cell_y)
    n = cell_x.size
    table = pa.table(
        {
            "cell_x": np.repeat(cell_x, len(pollutant_names)),
            "cell_y": np.repeat(cell_y, len(pollutant_names)),
            "longitude": np.repeat(lon, len(pollutant_names)),
            "latitude": np.repeat(lat, len(pollutant_names)),
            "pollutant": np.tile(np.array(pollutant_names, dtype=object), n),
            "tonnes": sums.reshape(-1),
        }
    )
    table = table.filter(pc.greater(table.column("tonnes"), 0.0))
    description = {
        "longitude0": grid.longitude0,
        "latitude0": grid.latitude0,
        "size_km": size_km,
        "not_gridded": {
            p: float(m)
            for p, m, total in zip(pollutant_names, missing, tonnes.sum(axis=0), strict=True)
            if m > 1e-9 * total
        },
    }
    return table, description


def towns(emissions: pa.Table) -> pa.Table:
    """Tonnes by town (乡镇（街道）) and pollutant; rows without a town under ``（未填乡镇）``."""
    town = pc.fill_null(emissions.column("town"), UNKNOWN_TOWN)
    table = pa.table(
        {
            "town": town,
            "pollutant": emissions.column("pollutant"),
            "tonnes": emissions.column("tonnes"),
        }
    )
    summed = table.group_by(["town", "pollutant"], use_threads=False).aggregate([("tonnes", "sum")])
    return summed.rename_columns(["town", "pollutant", "tonnes"]).sort_by(
        [("town", "ascending"), ("pollutant", "ascending")]
    )


# --- monthly profiles ----------------------------------------------------------------------------


def _month_days(year: int) -> np.ndarray:
    return np.array(
        [
            (
                (dt.date(year, m + 1, 1) if m < 12 else dt.date(year + 1, 1, 1))
                - dt.date(year, m, 1)
            ).days
            for m in range(1, 13)
        ],
        dtype=np.float64,
    )


def active_days_by_month(year: int, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Days of each month of ``year`` within [start, end] (both counted), per row (rows × 12).

    ``start``/``end`` are ``datetime64[D]`` (NaT: open), whole-column.
    """
    first = np.array([np.datetime64(f"{year}-{m:02d}-01") for m in range(1, 13)])
    last = first + _month_days(year).astype("timedelta64[D]") - np.timedelta64(1, "D")
    lo = np.where(np.isnat(start), first[0], start)[:, None]
    hi = np.where(np.isnat(end), last[-1], end)[:, None]
    days = (np.minimum(hi, last[None, :]) - np.maximum(lo, first[None, :])).astype(np.int64) + 1
    return np.clip(days, 0, None).astype(np.float64)


def monthly(
    emissions: pa.Table,
    year: int,
    site_dates: dict[int, tuple[dt.date | None, dt.date | None]],
    cems_daily: pa.Table | None = None,
) -> pa.Table:
    """Tonnes by category, pollutant and month, with the basis of each row's profile."""
    n = emissions.num_rows
    weights = np.tile(_month_days(year), (n, 1))
    basis = np.full(n, "按月天数均匀分配（无月变化资料）", dtype=object)
    ids = emissions.column("source_id").to_pylist()
    template = np.array(emissions.column("template").to_pylist(), dtype=object)
    sites = np.flatnonzero((template == "sites") & np.array([i in site_dates for i in ids]))
    if sites.size:
        start = np.array([site_dates[ids[i]][0] or "NaT" for i in sites], dtype="datetime64[D]")
        end = np.array([site_dates[ids[i]][1] or "NaT" for i in sites], dtype="datetime64[D]")
        active = active_days_by_month(year, start, end)
        has = active.sum(axis=1) > 0
        weights[sites[has]] = active[has]
        basis[sites[has]] = "工地施工日期（登记表）"
    if cems_daily is not None and cems_daily.num_rows:
        weights, basis = _cems_months(emissions, cems_daily, weights, basis)
    shares = weights / weights.sum(axis=1, keepdims=True)
    tonnes = emissions.column("tonnes").to_numpy(zero_copy_only=False)[:, None] * shares
    table = pa.table(
        {
            "category": np.repeat(
                np.array(emissions.column("category").to_pylist(), dtype=object), 12
            ),
            "pollutant": np.repeat(
                np.array(emissions.column("pollutant").to_pylist(), dtype=object), 12
            ),
            "month": np.tile(np.arange(1, 13, dtype=np.int32), n),
            "basis": np.repeat(basis, 12),
            "tonnes": tonnes.reshape(-1),
        }
    )
    summed = table.group_by(
        ["category", "pollutant", "month", "basis"], use_threads=False
    ).aggregate([("tonnes", "sum")])
    return summed.rename_columns(["category", "pollutant", "month", "basis", "tonnes"]).sort_by(
        [("category", "ascending"), ("pollutant", "ascending"), ("month", "ascending")]
    )


def _cems_months(
    emissions: pa.Table, daily: pa.Table, weights: np.ndarray, basis: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    counted = daily.filter(daily.column("counted"))
    if not counted.num_rows:
        return weights, basis
    month = pc.month(counted.column("day"))
    keyed = (
        pa.table(
            {
                "key": pc.binary_join_element_wise(
                    pc.cast(counted.column("source_id"), pa.string()),
                    counted.column("pollutant"),
                    "|",
                ),
                "month": month,
                "tonnes": counted.column("tonnes"),
            }
        )
        .group_by(["key", "month"], use_threads=False)
        .aggregate([("tonnes", "sum")])
    )
    keys = keyed.column("key").to_numpy(zero_copy_only=False)
    unique, inverse = np.unique(keys, return_inverse=True)
    by_month = np.zeros((unique.size, 12))
    np.add.at(
        by_month,
        (inverse, keyed.column("month").to_numpy() - 1),
        keyed.column("tonnes_sum").to_numpy(),
    )
    row_keys = pc.binary_join_element_wise(
        pc.cast(emissions.column("source_id"), pa.string()), emissions.column("pollutant"), "|"
    )
    is_cems = np.array(emissions.column("method").to_pylist(), dtype=object) == "online_monitoring"
    position = pc.fill_null(pc.index_in(row_keys, value_set=pa.array(unique)), -1).to_numpy()
    rows = np.flatnonzero(is_cems & (position >= 0))
    found = by_month[position[rows]]
    good = found.sum(axis=1) > 0
    weights[rows[good]] = found[good]
    basis[rows[good]] = "CEMS 日排放量（在线监测）"
    return weights, basis


# --- hourly profiles -----------------------------------------------------------------------------


def hourly_totals(tonnes: np.ndarray, profile: np.ndarray, profiles: np.ndarray) -> np.ndarray:
    """Hourly emissions (pollutants × hours) of sources with annual ``tonnes`` (sources ×
    pollutants), each following its row ``profile`` of ``profiles`` (profiles × hours, each
    row's weights summing to 1): sources are summed per profile (``np.bincount``), then one matrix
    product spreads the sums over the hours."""
    by_profile = np.stack(
        [
            np.bincount(profile, weights=column, minlength=profiles.shape[0])
            for column in np.ascontiguousarray(tonnes.T)  # a handful of pollutants
        ]
    )
    return by_profile @ profiles
