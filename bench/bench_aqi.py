"""Benchmark: hourly AQI of ≥ 10 million concentrations, whole-column vs. a per-value Python loop.

Run: ``uv run python bench/bench_aqi.py [--values N]``. Prints the throughput of both and their
ratio, measured in the same run on the same machine. The inputs are the real 2019 Hunan station-hours
(reference data, ``lantian.demo.demo_file``) tiled to the requested size, so the mix of segments is the real one. The
per-value baseline is timed on a sample (it would take minutes on all values) and scaled: its cost
per value does not depend on the data's size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pyarrow.compute as pc

from lantian.assess.grid import hour_grid
from lantian.demo import HUNAN_2019, demo_file
from lantian.ingest.cnemc import read_station_files
from lantian.standards import aqi_report
from lantian.standards.iaqi import breakpoints

POLLUTANTS = ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5")
COLUMNS = {"SO2": "SO2_1h", "NO2": "NO2_1h", "CO": "CO_1h", "O3": "O3_1h"}


def real_hours() -> dict[str, np.ndarray]:
    """The real station-hours of 2019 with all six pollutants present, per pollutant."""
    table, _ = read_station_files(demo_file(HUNAN_2019))
    types = pc.cast(table["type"], "string")
    stations = sorted(set(pc.cast(table["station_code"], "string").to_pylist()))
    grids = {
        p: hour_grid(
            table.filter(pc.equal(types, p)), stations, dt.date(2018, 12, 31), dt.date(2019, 12, 31)
        ).values.ravel()
        for p in POLLUTANTS
    }
    complete = np.all([~np.isnan(g) for g in grids.values()], axis=0)
    return {p: g[complete] for p, g in grids.items()}


def scaled_breakpoints(
    standard: str = "HJ633-2012",
) -> dict[str, tuple[tuple[int, ...], list[int]]]:
    """Breakpoints per pollutant, scaled to integers on the reporting grid (looked up once)."""
    table = {}
    for pollutant in POLLUTANTS:
        levels, points = breakpoints(COLUMNS.get(pollutant, f"{pollutant}_24h"), standard)
        scale = 10 if pollutant == "CO" else 1
        table[pollutant] = (levels, [round(p * scale) for p in points])
    return table


def per_value_aqi(values: dict[str, float], table: dict) -> int:
    """A straightforward scalar implementation: one station-hour at a time, exact integers."""
    best = 0
    for pollutant, concentration in values.items():
        levels, bps = table[pollutant]
        quantum = Decimal("0.1") if pollutant == "CO" else Decimal(1)
        rounded = Decimal(repr(float(concentration))).quantize(quantum, ROUND_HALF_EVEN)
        c = int(rounded / quantum)
        if c > bps[-1]:
            index = 500
        else:
            upper = max(1, next(i for i, bp in enumerate(bps) if bp >= c))
            lo, hi = bps[upper - 1], bps[upper]
            index = levels[upper - 1] - (
                -(levels[upper] - levels[upper - 1]) * (c - lo) // (hi - lo)
            )
        best = max(best, index)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--values", type=int, default=10_000_000, help="concentrations in all")
    parser.add_argument("--sample", type=int, default=20_000, help="station-hours for the loop")
    args = parser.parse_args()
    hours = real_hours()
    n_hours = -(-args.values // len(POLLUTANTS))
    reps = -(-n_hours // len(hours["SO2"]))
    tiled = {p: np.tile(v, reps)[:n_hours] for p, v in hours.items()}
    inputs = {COLUMNS.get(p, f"{p}_1h"): v for p, v in tiled.items()}

    start = time.perf_counter()
    report = aqi_report(inputs, "hourly", "HJ633-2012")
    columnar = time.perf_counter() - start

    sample = min(args.sample, n_hours)
    table = scaled_breakpoints()
    rows = [{p: float(tiled[p][i]) for p in POLLUTANTS} for i in range(sample)]
    start = time.perf_counter()
    loop = [per_value_aqi(row, table) for row in rows]
    looped = (time.perf_counter() - start) * n_hours / sample
    assert np.array_equal(np.asarray(loop, dtype=float), report.aqi[:sample]), (
        "implementations differ"
    )

    n_values = n_hours * len(POLLUTANTS)
    print(f"values: {n_values:,} ({n_hours:,} station-hours × 6 pollutants, real 2019 Hunan data)")
    print(
        f"whole-column aqi_report: {columnar:8.2f} s  {n_values / columnar / 1e6:8.2f} M values/s"
    )
    print(
        f"per-value Python loop:   {looped:8.2f} s  {n_values / looped / 1e6:8.2f} M values/s"
        f"  (timed on {sample:,} station-hours, scaled)"
    )
    print(f"speed ratio: {looped / columnar:.0f}×  (goal ≥ 100×)")


if __name__ == "__main__":
    main()
