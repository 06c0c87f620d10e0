"""Benchmark: the forecast model's fit on a year of 14 cities, one thread vs all, and the backtest.

Run: ``uv run python bench/bench_forecast.py [--skip-backtest]``. Builds a temporary store of the
real Hunan 2019 data, then times in the same run: one fit of every target and lead at
issue 2019-12-01 with one OpenMP thread (what Lantian uses) and with all threads, and the full
rolling-origin backtest of ``lantian forecast backtest --year 2019``. Prints the times and ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

from lantian.demo import CONTROL_POINTS_HUNAN, HUNAN_2019, STATION_LIST, demo_file
from lantian.forecast import model
from lantian.forecast.backtest import run_backtest
from lantian.forecast.history import city_history
from lantian.ingest.cnemc import read_measurements
from lantian.store import MeasurementStore
from lantian.store.registry import registry_from_station_list


def build_store(folder: Path) -> MeasurementStore:
    store = MeasurementStore(folder / "measurements")
    store.put_stations(
        registry_from_station_list(demo_file(STATION_LIST), demo_file(CONTROL_POINTS_HUNAN))
    )
    table, metadata = read_measurements(demo_file(HUNAN_2019))
    store.import_measurements(table, files=list(metadata["files"]))
    return store


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-backtest", action="store_true")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = build_store(Path(folder))
        history = city_history(store, dt.date(2019, 1, 1), dt.date(2019, 12, 31))
        issue = history.day_index(dt.date(2019, 12, 1))
        one = timed(lambda: model.fit(history, issue))
        model.FIT_THREADS = None  # threadpoolctl: no limit
        every = timed(lambda: model.fit(history, issue))
        model.FIT_THREADS = 1
        print(f"fit (3 targets × 3 leads, {len(history.cities)} cities × {issue} days)")
        print(f"  one thread   {one:6.2f} s")
        print(f"  all threads  {every:6.2f} s   ({every / one:.2f}× the one-thread time)")
        if not arguments.skip_backtest:
            seconds = timed(lambda: run_backtest(history))
            print(f"backtest 2019 (weekly retraining, AQI only)  {seconds:6.1f} s")


if __name__ == "__main__":
    main()
