"""Benchmark: the annual HJ 663 evaluation of every station of a national-sized year.

Run: ``scripts/uv run python bench/bench_evaluation.py [--stations 1638]``.

The data are **synthetic** (seeded random values, not measured): a national year of 1,638
stations × 8,760 hours × 6 pollutants with realistic magnitudes, seasonal and diurnal cycles and
gaps (2 % of hours missing at random, one outage of 6 h – 5 days a month at 10 % of the
stations), about 84 million hourly values. The reference data hold only Hunan's year, so a
national year is made here. It is imported through the store's ordinary import path, as one import
streamed month by month, in a child process whose peak memory is printed.

Then, in the same run, on the same store:

* **lantian**: the store's valid hourly values, month by month → daily means, MDA8
  (``assess.grid.daily_grids``) → every station's annual items (values, attainment, validity) —
  ``evaluation_arrays``;
* **single pass**: one DuckDB query computing only the daily means — the pass no evaluation can skip;
* **pandas**: a straightforward pandas implementation of the same evaluation (groupby daily means
  with ≥ 20 h, rolling 8-h O3 with ≥ 6 h, MDA8 over windows ending 08–24 with ≥ 14 windows,
  annual means and percentiles);
* **before**: the same store rewritten in the older long layout (measured rows only, as stores
  written before the grid layout hold them), evaluated by lantian (a scatter per month), and the
  time ``lantian store migrate`` takes to convert it back.

Goals (issue #13): lantian ≤ 1× the single pass; ≥ 30× pandas (stretch 50×).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from lantian.assess.grid import daily_grids
from lantian.ingest.schema import MEASUREMENT_SCHEMA
from lantian.standards import rule_set
from lantian.standards.evaluation import evaluation_arrays
from lantian.store import MeasurementStore
from lantian.store.layout import long_rows

YEAR = 2019
FIRST, LAST = dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31)
NATIONAL_STATIONS = 1638
POLLUTANTS = ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5")
TYPICAL = np.array([10.0, 30.0, 0.8, 60.0, 70.0, 40.0])
"""Typical hourly levels [µg/m³; CO mg/m³], the scale of the synthetic values."""
SOURCE = "synthetic national year (seeded random values, not measured)"


def synthetic_month(month: int, stations: int, seed: int = YEAR) -> pa.Table:
    """One natural-day month of SYNTHETIC hourly values (MEASUREMENT_SCHEMA), seeded."""
    rng = np.random.default_rng([seed, month])
    first = dt.datetime(YEAR, month, 1, 1)
    following = dt.date(YEAR + (month == 12), month % 12 + 1, 1)
    n_hours = (following - first.date()).days * 24
    station_level = np.random.default_rng(seed).lognormal(0, 0.35, (stations, len(POLLUTANTS)))
    season = 1 + 0.35 * np.cos(2 * np.pi * (month - 1) / 12)
    factor = np.full((len(POLLUTANTS), n_hours), season)
    hour_of_day = (np.arange(n_hours) + 1) % 24
    factor[3] = (1 + 0.5 * np.sin(2 * np.pi * (hour_of_day - 9) / 24)) * (2 - season)  # O3
    level = TYPICAL[None, :, None] * station_level[:, :, None] * factor[None]
    values = np.round(level * rng.lognormal(0, 0.4, level.shape), 1)
    keep = rng.random(values.shape) > 0.02
    start = rng.integers(0, n_hours, stations)
    stop = start + rng.integers(6, 24 * 5, stations)
    hours = np.arange(n_hours)
    down = (
        (rng.random(stations) < 0.1)[:, None] & (hours >= start[:, None]) & (hours < stop[:, None])
    )
    keep &= ~down[:, None, :]
    s, p, h = np.nonzero(keep)
    codes = pa.array([f"SYN{i:04d}" for i in range(stations)])
    ts = np.datetime64(first, "s") + h.astype("timedelta64[h]")
    return pa.table(
        {
            "station_code": pa.DictionaryArray.from_arrays(s.astype(np.int32), codes),
            "ts": pa.array(ts.astype("datetime64[s]")),
            "pollutant": pa.DictionaryArray.from_arrays(p.astype(np.int32), pa.array(POLLUTANTS)),
            "value": values[keep],
            "source": pa.DictionaryArray.from_arrays(
                np.zeros(len(s), np.int32), pa.array([SOURCE])
            ),
            "line": pa.array(np.arange(1, len(s) + 1, dtype=np.int32)),
        }
    ).cast(MEASUREMENT_SCHEMA)


def build_store(folder: str, stations: int) -> dict[str, float]:
    """Import the synthetic year as one streamed import (run in a child process)."""
    months: Iterator[pa.Table] = (synthetic_month(m, stations) for m in range(1, 13))
    start = time.perf_counter()
    summary = MeasurementStore(folder).import_measurements(
        months, files=[SOURCE], check_stations=False
    )
    return {"seconds": time.perf_counter() - start, "added": summary.added}


def run_lantian(store: MeasurementStore) -> tuple[int, float]:
    rules = rule_set(FIRST)
    daily = daily_grids(store, FIRST, LAST, rules.hj663)
    days = np.arange(np.datetime64(FIRST), np.datetime64(LAST) + 1)
    months = days.astype("datetime64[M]").astype(int) % 12 + 1
    items = evaluation_arrays(daily.means, daily.mda8, months, rules)
    pm25 = next(i for i in items if i["pollutant"] == "PM2.5" and i["metric"] == "annual_mean")
    return len(daily.stations), float(np.nanmean(pm25["value"][~np.isnan(pm25["value"])]))


def run_pandas(files: list[str]) -> tuple[int, float]:
    frame = pd.concat(
        [
            pd.read_parquet(f, columns=["station_code", "ts", "pollutant", "value", "valid"])
            for f in files
        ]
    )
    frame = frame[frame["valid"]]
    frame["day"] = (frame["ts"] - pd.Timedelta(hours=1)).dt.floor("D")
    grouped = frame.groupby(["station_code", "pollutant", "day"])["value"].agg(["mean", "count"])
    daily = grouped.loc[grouped["count"] >= 20, "mean"].reset_index()
    o3 = frame[frame["pollutant"] == "O3"].set_index("ts").sort_index()
    rolled = []
    for station, group in o3.groupby("station_code"):
        hourly = group["value"].resample("1h").mean()
        moving = hourly.rolling(8, min_periods=6).mean().to_frame("avg")
        moving["day"] = (moving.index - pd.Timedelta(hours=1)).floor("D")
        moving["hour"] = (moving.index - pd.Timedelta(hours=1)).hour + 1
        windows = moving[moving["hour"] >= 8].groupby("day")["avg"].agg(["max", "count"])
        windows = windows[(windows["count"] >= 14) | (windows["max"] > 160)]
        rolled.append(windows["max"].rename("value").reset_index().assign(station_code=station))
    o3_mda8 = pd.concat(rolled)
    annual = daily.groupby(["station_code", "pollutant"])["mean"].agg(
        mean="mean", p95=lambda x: x.quantile(0.95), p98=lambda x: x.quantile(0.98)
    )
    o3_p90 = o3_mda8.groupby("station_code")["value"].quantile(0.90)
    pm25 = annual.xs("PM2.5", level="pollutant")["mean"].round()
    return int(o3_p90.size), float(pm25.mean())


def run_single_pass(files: list[str]) -> int:
    with duckdb.connect() as connection:
        result = connection.sql(
            f"SELECT station_code, pollutant, (ts - INTERVAL 1 HOUR)::DATE AS day, avg(value) AS mean, count(*) AS n "
            f"FROM read_parquet({files!r}) WHERE valid GROUP BY ALL"
        ).to_arrow_table()
    return result.num_rows


def long_layout_copy(store: MeasurementStore, folder: Path) -> MeasurementStore:
    """A copy of ``store`` with its month files in the older long layout."""
    shutil.copytree(store.root, folder)
    for path in MeasurementStore(folder).files():
        pq.write_table(long_rows(pq.read_table(path)), path, compression="lz4")
    return MeasurementStore(folder)


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def best_of(runs: int, function, *args):
    """The fastest of ``runs`` runs (the machine is shared: the minimum is the least disturbed)."""
    results = [timed(function, *args) for _ in range(runs)]
    return min(results, key=lambda r: r[0])


def build_in_child(folder: str, stations: int) -> dict[str, float]:
    output = subprocess.run(
        [sys.executable, __file__, "--build", folder, "--stations", str(stations)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    result["peak_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=NATIONAL_STATIONS)
    parser.add_argument("--runs", type=int, default=2, help="runs of each fast method (best kept)")
    parser.add_argument("--no-pandas", action="store_true", help="skip the (slow) pandas version")
    parser.add_argument("--build", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:
        print(json.dumps(build_store(args.build, args.stations)))
        return
    with tempfile.TemporaryDirectory() as folder:
        built = build_in_child(str(Path(folder) / "grid"), args.stations)
        store = MeasurementStore(Path(folder) / "grid")
        files = store.files()
        print(
            f"SYNTHETIC national year: {args.stations:,} stations × 8,760 h × 6 pollutants, "
            f"{built['added']:,} hourly values (seeded random, not measured)"
        )
        print(
            f"  import (one streamed import): {built['seconds']:7.2f} s   "
            f"peak memory {built['peak_mib']:,.0f} MiB (goal ≤ 2,048)"
        )
        single, groups = best_of(args.runs, run_single_pass, files)
        lantian, (stations, pm25) = best_of(args.runs, run_lantian, store)
        old = long_layout_copy(store, Path(folder) / "long")
        before, _ = best_of(args.runs, run_lantian, old)
        single_before, _ = best_of(args.runs, run_single_pass, old.files())
        migrated, count = timed(old.migrate)
        if not args.no_pandas:
            pandas_seconds, (pandas_stations, pandas_pm25) = timed(run_pandas, files)
    print(f"  single pass (daily means only): {single:7.2f} s  ({groups:,} station-pollutant-days)")
    print(
        f"  lantian evaluation:             {lantian:7.2f} s  ({stations:,} stations; mean PM2.5 {pm25:.2f})"
    )
    print(
        f"  before (long layout, scatter):  {before:7.2f} s  (single pass on it {single_before:.2f} s; "
        f"lantian store migrate: {migrated:.1f} s for {count} months)"
    )
    if not args.no_pandas:
        print(
            f"  pandas evaluation:              {pandas_seconds:7.2f} s  "
            f"({pandas_stations:,} stations; mean PM2.5 {pandas_pm25:.2f})"
        )
        print(
            f"lantian vs pandas: {pandas_seconds / lantian:.1f}× faster (goal ≥ 30×, stretch 50×)"
        )
    print(f"lantian vs the single pass: {lantian / single:.2f}× its time (goal ≤ 1×)")
    print(f"before: {before / single_before:.2f}× the single pass over the long layout")


if __name__ == "__main__":
    main()
