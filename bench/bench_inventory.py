"""Benchmark: a prefecture's 1 km gridded inventory with hourly profiles, ``lantian.inventory``
(whole-column NumPy) vs a straightforward pandas implementation, in the same run.

Run: ``uv run python bench/bench_inventory.py [--sources N] [--profiles P]``. Constructs
(simulated, not real) a prefecture of about 100 × 100 km around 冷水滩区 with N sources — 85 %
point and area sources (areas placed at their centre, as the build places a site), 15 % line
sources (roads of 2–8 vertices, a random walk of ~0.6 km steps) — each with annual tonnes of the 9
pollutants (SO2 NOx CO VOCs NH3 PM10 PM2.5 BC OC) and one of P hourly profiles of 8,760 hours.
Both implementations compute the same two results:

* the 1 km grid (cells × 9 pollutants), roads cut every 50 m and shared by the cells they cross
  in proportion to length;
* the prefecture's hourly emissions (9 pollutants × 8,760 hours) from the profiles.

Lantian: ``allocation.line_pieces`` (pieces by ``np.repeat`` and interpolation),
``allocation.grid_sums`` (``np.bincount``), ``allocation.hourly_totals`` (``np.bincount`` and one
matrix product). Baseline: pandas as one would first write it — roads cut segment by segment in
Python (``DataFrame.apply`` per road), cells by column arithmetic, ``melt`` + ``merge`` +
``groupby`` for the grid, ``merge`` of the per-profile sums with the long profile table and
``groupby(['pollutant', 'hour'])`` for the hours. Both run once untimed on a small case first; the
results are checked equal; each is timed as the best of a few runs (``--repeats``; the machine is
shared, the least disturbed run is the one that measures the code); prints both times and the
ratio (issue #16's goal: ≥ 20×).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from lantian.inventory.allocation import (
    EARTH_RADIUS_KM,
    Grid,
    grid_sums,
    hourly_totals,
    line_pieces,
)

POLLUTANTS = ("SO2", "NOx", "CO", "VOCs", "NH3", "PM10", "PM2.5", "BC", "OC")
HOURS = 8760
SPACING_KM = 0.05


def prefecture(sources: int, profiles: int, seed: int = 16) -> dict:
    """Constructed sources (simulated): positions, road vertices, tonnes, profiles."""
    rng = np.random.default_rng(seed)
    lines = int(sources * 0.15)
    points = sources - lines
    lon = rng.uniform(111.1, 112.1, points)
    lat = rng.uniform(25.9, 26.8, points)
    vertices = rng.integers(2, 9, lines)
    offsets = np.concatenate([[0], np.cumsum(vertices)])
    start_lon = np.repeat(rng.uniform(111.15, 112.05, lines), vertices)
    start_lat = np.repeat(rng.uniform(25.95, 26.75, lines), vertices)
    step = rng.normal(0, 0.006, (offsets[-1], 2))
    first = np.zeros(offsets[-1], bool)
    first[offsets[:-1]] = True
    step[first] = 0
    walk = np.cumsum(step, axis=0)
    walk -= np.repeat(walk[offsets[:-1]], vertices, axis=0)
    tonnes = rng.lognormal(0, 1.5, (sources, len(POLLUTANTS)))
    tonnes[rng.random((sources, len(POLLUTANTS))) < 0.4] = 0.0
    hourly = rng.gamma(2.0, 1.0, (profiles, HOURS))
    return {
        "point_lon": lon,
        "point_lat": lat,
        "offsets": offsets,
        "line_lon": start_lon + walk[:, 0],
        "line_lat": start_lat + walk[:, 1],
        "tonnes": tonnes,
        "profile": rng.integers(0, profiles, sources),
        "profiles": hourly / hourly.sum(axis=1, keepdims=True),
    }


def with_lantian(case: dict) -> tuple[pd.DataFrame, np.ndarray]:
    points = case["point_lon"].size
    line, lon, lat, weight = line_pieces(
        case["offsets"], case["line_lon"], case["line_lat"], SPACING_KM
    )
    source = np.concatenate([np.arange(points), points + line])
    lon = np.concatenate([case["point_lon"], lon])
    lat = np.concatenate([case["point_lat"], lat])
    weight = np.concatenate([np.ones(points), weight])
    grid = Grid.covering(lon, lat)
    x, y, sums, _ = grid_sums(grid, source, lon, lat, weight, case["tonnes"])
    table = pd.DataFrame(sums, columns=POLLUTANTS).assign(cell_x=x, cell_y=y)
    return table, hourly_totals(case["tonnes"], case["profile"], case["profiles"])


def _cut_road(lons: np.ndarray, lats: np.ndarray) -> list[tuple[float, float, float]]:
    """A road cut into pieces of ≤ 50 m, segment by segment: (lon, lat, length) of each."""
    pieces = []
    for a in range(len(lons) - 1):
        kx = EARTH_RADIUS_KM * np.pi / 180 * np.cos(np.radians((lats[a] + lats[a + 1]) / 2))
        ky = EARTH_RADIUS_KM * np.pi / 180
        length = float(np.hypot((lons[a + 1] - lons[a]) * kx, (lats[a + 1] - lats[a]) * ky))
        count = max(int(np.ceil(length / SPACING_KM)), 1)
        for k in range(count):
            t = (k + 0.5) / count
            pieces.append(
                (
                    lons[a] + t * (lons[a + 1] - lons[a]),
                    lats[a] + t * (lats[a + 1] - lats[a]),
                    length / count,
                )
            )
    return pieces


def with_pandas(case: dict) -> tuple[pd.DataFrame, np.ndarray]:
    points = case["point_lon"].size
    roads = pd.DataFrame(
        {
            "source": points + np.arange(case["offsets"].size - 1),
            "start": case["offsets"][:-1],
            "end": case["offsets"][1:],
        }
    )
    cut = roads.apply(
        lambda r: _cut_road(
            case["line_lon"][r["start"] : r["end"]], case["line_lat"][r["start"] : r["end"]]
        ),
        axis=1,
    )
    road_pieces = roads[["source"]].assign(piece=cut).explode("piece")
    road_pieces[["lon", "lat", "length"]] = pd.DataFrame(
        road_pieces["piece"].tolist(), index=road_pieces.index
    )
    road_pieces["weight"] = road_pieces["length"] / road_pieces.groupby("source")[
        "length"
    ].transform("sum")
    pieces = pd.concat(
        [
            pd.DataFrame(
                {
                    "source": np.arange(points),
                    "lon": case["point_lon"],
                    "lat": case["point_lat"],
                    "weight": 1.0,
                }
            ),
            road_pieces[["source", "lon", "lat", "weight"]],
        ],
        ignore_index=True,
    )
    lon0 = np.floor(pieces["lon"].min() * 100) / 100
    lat0 = np.floor(pieces["lat"].min() * 100) / 100
    kx = EARTH_RADIUS_KM * np.pi / 180 * np.cos(np.radians(lat0))
    ky = EARTH_RADIUS_KM * np.pi / 180
    pieces["cell_x"] = np.floor((pieces["lon"] - lon0) * kx).astype(int)
    pieces["cell_y"] = np.floor((pieces["lat"] - lat0) * ky).astype(int)
    emissions = pd.DataFrame(case["tonnes"], columns=POLLUTANTS).assign(
        source=np.arange(len(case["tonnes"]))
    )
    long = emissions.melt(id_vars="source", var_name="pollutant", value_name="tonnes")
    merged = pieces.merge(long, on="source")
    merged["tonnes"] = merged["tonnes"] * merged["weight"]
    grid = (
        merged.groupby(["cell_x", "cell_y", "pollutant"])["tonnes"]
        .sum()
        .unstack("pollutant")
        .fillna(0.0)
    )
    grid = grid[list(POLLUTANTS)].reset_index()
    long["profile"] = case["profile"][long["source"]]
    by_profile = long.groupby(["profile", "pollutant"], as_index=False)["tonnes"].sum()
    shapes = pd.DataFrame(
        {
            "profile": np.repeat(np.arange(case["profiles"].shape[0]), HOURS),
            "hour": np.tile(np.arange(HOURS), case["profiles"].shape[0]),
            "weight": case["profiles"].reshape(-1),
        }
    )
    hourly = by_profile.merge(shapes, on="profile")
    hourly["tonnes"] = hourly["tonnes"] * hourly["weight"]
    table = hourly.groupby(["pollutant", "hour"])["tonnes"].sum().unstack("hour")
    return grid, table.loc[list(POLLUTANTS)].to_numpy()


def _same(a: tuple[pd.DataFrame, np.ndarray], b: tuple[pd.DataFrame, np.ndarray]) -> None:
    left = a[0].sort_values(["cell_y", "cell_x"]).reset_index(drop=True)
    right = b[0].sort_values(["cell_y", "cell_x"]).reset_index(drop=True)
    assert len(left) == len(right), (len(left), len(right))
    assert (left[["cell_x", "cell_y"]].to_numpy() == right[["cell_x", "cell_y"]].to_numpy()).all()
    assert np.allclose(
        left[list(POLLUTANTS)].to_numpy(), right[list(POLLUTANTS)].to_numpy(), rtol=1e-9, atol=1e-9
    )
    assert np.allclose(a[1], b[1], rtol=1e-9, atol=1e-12)


def timed(function, case: dict, repeats: int):
    """The best of ``repeats`` runs (the machine is shared: the least disturbed run) and the result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function(case)
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=20_000)
    parser.add_argument("--profiles", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=4, help="best of N (pandas: of N/2)")
    options = parser.parse_args()
    warm = prefecture(200, 3)
    _same(with_lantian(warm), with_pandas(warm))
    case = prefecture(options.sources, options.profiles)
    fast, lantian_result = timed(with_lantian, case, options.repeats)
    slow, pandas_result = timed(with_pandas, case, max(1, options.repeats // 2))
    _same(lantian_result, pandas_result)
    lines = case["offsets"].size - 1
    print(
        f"prefecture (simulated): {options.sources} sources ({options.sources - lines} point/area, "
        f"{lines} roads), {len(POLLUTANTS)} pollutants, {options.profiles} profiles × {HOURS} h; "
        f"{len(lantian_result[0])} occupied 1 km cells"
    )
    print(f"lantian.inventory (NumPy): {fast:8.3f} s (best of {options.repeats})")
    print(f"pandas (straightforward):  {slow:8.3f} s (best of {max(1, options.repeats // 2)})")
    print(f"ratio: {slow / fast:.1f}× (goal ≥ 20×); results equal")


if __name__ == "__main__":
    main()
