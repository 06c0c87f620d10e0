"""Benchmark: the annual HJ 663 evaluation of every station of a national-sized year.

Run: ``scripts/uv run python bench/bench_evaluation.py [--copies 21]``. The real Hunan 2019 data
(78 stations with data) are tiled ``--copies`` times under new station codes (21 → 1,638 stations,
about 77 million hourly values, the size of the national network) and imported into a fresh store
through the ordinary import path. Then, in the same run, on the same files:

* **lantian**: hourly grids from the store (valid values only) → daily means, MDA8 → every
  station's annual items (values, attainment, validity) — ``evaluation_arrays``;
* **pandas**: a straightforward pandas implementation of the same evaluation (groupby daily means
  with ≥ 20 h, rolling 8-h O3 with ≥ 6 h, MDA8 over windows ending 08–24 with ≥ 14 windows,
  annual means and percentiles);
* **single pass**: one DuckDB query computing only the daily means — the pass no evaluation can skip.

Goals (issue #4): ≥ 50× the pandas version; ≤ 2× the single pass.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time

import duckdb
import numpy as np
import pandas as pd

from lantian.demo import HUNAN_2019, demo_file
from lantian.ingest.cnemc import read_measurements
from lantian.standards import BASIC_POLLUTANTS, daily_mean, mda8, rule_set
from lantian.standards.evaluation import evaluation_arrays
from lantian.store import MeasurementStore

FIRST, LAST = dt.date(2019, 1, 1), dt.date(2019, 12, 31)


def build_store(folder: str, copies: int) -> MeasurementStore:
    table, metadata = read_measurements(demo_file(HUNAN_2019))
    store = MeasurementStore(folder)
    with duckdb.connect() as connection:
        connection.register("hunan", table)
        for month in range(1, 13):
            tiled = connection.sql(
                "SELECT station_code || '-' || lpad(k::VARCHAR, 2, '0') AS station_code, ts, pollutant, value, "
                "source, line FROM hunan, range($copies) AS r(k) "
                "WHERE month(ts - INTERVAL 1 HOUR) = $month AND year(ts - INTERVAL 1 HOUR) = 2019",
                params={"copies": copies, "month": month},
            ).to_arrow_table()
            store.import_measurements(tiled, files=list(metadata["files"]), check_stations=False)
    return store


def run_lantian(store: MeasurementStore) -> tuple[int, float]:
    rules = rule_set(FIRST)
    stations, grids = store.read_hourly_grid(FIRST, LAST, list(BASIC_POLLUTANTS))
    daily = {p: daily_mean(grids[p], rules.hj663)[0] for p in BASIC_POLLUTANTS}
    o3_mda8, _ = mda8(grids["O3"], rules.hj663)
    days = np.arange(np.datetime64(FIRST), np.datetime64(LAST) + 1)
    months = days.astype("datetime64[M]").astype(int) % 12 + 1
    items = evaluation_arrays(daily, o3_mda8, months, rules)
    pm25 = next(i for i in items if i["pollutant"] == "PM2.5" and i["metric"] == "annual_mean")
    return len(stations), float(np.nanmean(pm25["value"][~np.isnan(pm25["value"])]))


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


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        seconds, store = timed(build_store, folder, args.copies)
        files = store.files()
        with store.connect() as connection:
            n_values = connection.sql("SELECT count(*) FROM measurements").fetchall()[0][0]
        print(
            f"store: {n_values:,} hourly values, {args.copies} copies of Hunan 2019 (built in {seconds:.0f} s)"
        )
        single, groups = timed(run_single_pass, files)
        lantian, (stations, pm25) = timed(run_lantian, store)
        pandas_seconds, (pandas_stations, pandas_pm25) = timed(run_pandas, files)
    print(f"  single pass (daily means only): {single:7.2f} s  ({groups:,} station-pollutant-days)")
    print(
        f"  lantian evaluation:             {lantian:7.2f} s  ({stations:,} stations; mean PM2.5 {pm25:.2f})"
    )
    print(
        f"  pandas evaluation:              {pandas_seconds:7.2f} s  "
        f"({pandas_stations:,} stations; mean PM2.5 {pandas_pm25:.2f})"
    )
    print(f"lantian vs pandas: {pandas_seconds / lantian:.1f}× faster (goal ≥ 50×)")
    print(f"lantian vs the single pass: {lantian / single:.2f}× its time (goal ≤ 2×)")


if __name__ == "__main__":
    main()
