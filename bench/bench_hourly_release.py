"""Benchmark: reading CNEMC's current hourly release (one national file per hour, issue #18).

Run: ``scripts/uv run python bench/bench_hourly_release.py [--hours 96]``. The real hour
2026-09-01 00:00 (reference folder, ``cnemc/2026/``) is written ``--hours`` times into a temporary
folder, then read in the same run by:

* **pandas**: ``pandas.read_csv`` of every file (``NA`` and ``/`` as missing) and ``melt`` of the six
  hourly columns to long rows — the straightforward way, checking nothing;
* **lantian**: :func:`lantian.ingest.cnemc_hourly.read_hourly_release` — the six values in the
  measurement schema, every row and cell checked, the ozone column decided per file, the station
  rows and CNEMC's published AQI kept.

It prints both times and the ratio (goal: no slower than pandas), then the time of
``check_release`` over the three 2026 hours in a fresh store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import tempfile
import time
from pathlib import Path

import pyarrow as pa

from lantian.demo import demo_file

HOURLY = ["so2", "no2", "co", "o3", "pm10", "pm2_5"]


def run_pandas(files: list[Path]) -> int:
    import pandas as pd

    rows = 0
    for path in files:
        frame = pd.read_csv(io.BytesIO(path.read_bytes()), na_values=["NA", "/"])
        long = frame.melt(id_vars=["timepoint", "stationcode"], value_vars=HOURLY).dropna()
        rows += len(long)
    return rows


def run_lantian(folder: Path) -> int:
    from lantian.ingest.cnemc_hourly import read_hourly_release

    table, _ = read_hourly_release(folder)
    return table.num_rows


def timed(run, *args) -> tuple[float, int]:
    start = time.perf_counter()
    rows = run(*args)
    return time.perf_counter() - start, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=96)
    hours = parser.parse_args().hours
    data = demo_file("cnemc/2026/2026-09-01T00.csv").read_bytes()
    with tempfile.TemporaryDirectory() as folder:
        files = []
        for n in range(hours):  # the same hour under other names: the reader checks the content
            path = Path(folder) / f"{n:05d}.csv"
            path.write_bytes(data)
            files.append(path)
        pandas_time, pandas_rows = timed(run_pandas, files)
        lantian_time, lantian_rows = timed(run_lantian, Path(folder))
    print(f"{hours} national hours, {lantian_rows:,} values ({pandas_rows:,} by pandas)")
    print(f"pandas read_csv + melt : {pandas_time:6.2f} s")
    print(
        f"lantian cnemc-hourly   : {lantian_time:6.2f} s   ({pandas_time / lantian_time:.2f}× pandas)"
    )
    print(
        f"per file: {1000 * lantian_time / hours:.1f} ms → a year of hours ≈ "
        f"{8760 * lantian_time / hours / 60:.1f} min"
    )
    check_time()


def check_time() -> None:
    from lantian.assess.release import check_release
    from lantian.ingest.cnemc_hourly import read_hourly_release
    from lantian.store import MeasurementStore

    with tempfile.TemporaryDirectory() as folder:
        store = MeasurementStore(Path(folder) / "measurements")
        parts = [
            read_hourly_release(demo_file("cnemc/2026/" + n))
            for n in ("2026-01-20T09.csv", "2026-03-05T09.csv", "2026-09-01T00.csv")
        ]
        store.import_measurements(
            pa.concat_tables([t for t, _ in parts]),
            files=["2026"],
            stations=pa.concat_tables([m["stations"] for _, m in parts]),
            published=pa.concat_tables([m["published"] for _, m in parts]),
        )
        start = time.perf_counter()
        check = check_release(store, dt.date(2026, 1, 1), dt.date(2026, 12, 31))
        took = time.perf_counter() - start
    print(f"check_release, 3 hours ({check.rows.num_rows:,} station-hours): {took:.2f} s")


if __name__ == "__main__":
    main()
