"""Benchmark: importing the real Hunan 2019 year (364 CNEMC files, 9.5 million cells) into the store.

Run: ``scripts/uv run python bench/bench_import.py``. Each method runs in its own process (so its
peak memory is its own), on the same files, in the same run:

* **pandas**: ``pandas.read_csv`` of every file and ``melt`` to long rows — the straightforward way;
* **parse floor**: PyArrow's multi-threaded ``read_csv`` of every file and a NumPy unpivot to long
  rows, storing nothing — the least any importer must do;
* **lantian import**: reading (about a month of files at a time, staged by month, as
  ``lantian import`` does), validation, deduplication, QC flags, the merge and the atomic commit
  into a fresh store.

It then times reading one station-year of hourly PM2.5 back from the store (median of 20).
Goals (issue #3): ≥ 5× pandas; ≥ 0.5× the parse floor's speed; station-year read < 50 ms.
Goal (issue #13): the import's peak memory ≤ 300 MiB (each method's peak RSS is its child
process's own ``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

from lantian.demo import HUNAN_2019, demo_file


def _members() -> list[bytes]:
    with zipfile.ZipFile(demo_file(HUNAN_2019)) as archive:
        return [archive.read(name) for name in sorted(archive.namelist())]


def run_pandas() -> int:
    import pandas as pd

    rows = 0
    with zipfile.ZipFile(demo_file(HUNAN_2019)) as archive:
        for name in sorted(archive.namelist()):
            frame = pd.read_csv(io.BytesIO(archive.read(name)))
            long = frame.melt(id_vars=["date", "hour", "type"], var_name="station_code").dropna(
                subset=["value"]
            )
            rows += len(long)
    return rows


def run_floor() -> int:
    import numpy as np
    import pyarrow.csv as pacsv

    rows = 0
    for data in _members():
        table = pacsv.read_csv(io.BytesIO(data))
        values = np.column_stack(
            [c.to_numpy(zero_copy_only=False).astype(float) for c in table.columns[3:]]
        )
        present = ~np.isnan(values.ravel())
        _ = np.repeat(table.column("type").to_numpy(zero_copy_only=False), values.shape[1])[present]
        rows += int(present.sum())
    return rows


def run_lantian() -> int:
    """As ``lantian import`` does it: read about a month of files at a time, stage by month."""
    from lantian.ingest.cnemc import read_measurement_chunks
    from lantian.store import MeasurementStore

    files: list[str] = []

    def chunks():
        for table, metadata in read_measurement_chunks(demo_file(HUNAN_2019)):
            files.extend(metadata["files"])
            yield table

    with tempfile.TemporaryDirectory() as folder:
        summary = MeasurementStore(folder).import_measurements(chunks(), files=files)
    return summary.added


METHODS = {"pandas": run_pandas, "floor": run_floor, "lantian": run_lantian}
MODULES = {
    "pandas": ["pandas"],
    "floor": ["numpy", "pyarrow.csv"],
    "lantian": ["lantian.ingest.cnemc", "lantian.store"],
}
"""Imported before the clock starts: the benchmark times the work, not Python's start-up."""


def measure(method: str) -> dict[str, float]:
    """Run one method in a child process; its wall time and peak resident memory."""
    output = subprocess.run(
        [sys.executable, __file__, "--only", method], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def station_year_read_ms() -> float:
    from lantian.ingest.cnemc import read_measurements
    from lantian.store import MeasurementStore

    measurements, metadata = read_measurements(demo_file(HUNAN_2019))
    with tempfile.TemporaryDirectory() as folder:
        store = MeasurementStore(folder)
        store.import_measurements(measurements, files=list(metadata["files"]))
        timings = []
        for _ in range(20):
            start = time.perf_counter()
            table = store.read(
                stations=["2478A"],
                pollutants=["PM2.5"],
                start=dt.datetime(2019, 1, 1, 0),
                end=dt.datetime(2020, 1, 1, 0),
            )
            timings.append(time.perf_counter() - start)
        assert table.num_rows > 8000
    return 1000 * statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=sorted(METHODS))
    args = parser.parse_args()
    if args.only:
        for module in MODULES[args.only]:
            importlib.import_module(module)
        start = time.perf_counter()
        rows = METHODS[args.only]()
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"seconds": seconds, "rows": rows, "peak_mib": peak}))
        return
    results = {name: measure(name) for name in METHODS}
    print("Hunan 2019: 364 CNEMC files, 9,514,920 cells (3,745,926 pollutant values)")
    for name, r in results.items():
        print(
            f"  {name:<8} {r['seconds']:6.2f} s   peak memory {r['peak_mib']:6.0f} MiB   rows {r['rows']:,}"
        )
    lantian = results["lantian"]["seconds"]
    print(
        f"lantian import vs pandas read_csv+melt: {results['pandas']['seconds'] / lantian:.1f}× faster (goal ≥ 5×)"
    )
    print(
        f"lantian import vs parse floor: {results['floor']['seconds'] / lantian:.2f}× the floor's speed (goal ≥ 0.5×)"
    )
    print(f"lantian import peak memory: {results['lantian']['peak_mib']:.0f} MiB (goal ≤ 300 MiB)")
    print(
        f"one station-year of hourly PM2.5 read back: {station_year_read_ms():.1f} ms median (goal < 50 ms)"
    )


if __name__ == "__main__":
    main()
