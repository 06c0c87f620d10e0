"""Forecasts kept with their issue time: Parquet files under ``LANTIAN_HOME/forecasts/``.

Layout: ``forecasts/city=<city>/<issue_time %Y%m%dT%H%M>-<model>.parquet``, one file per city,
issue time and model, with the columns of :data:`FORECAST_SCHEMA`. A file is written to a
temporary name, fsynced, then moved into place with ``os.replace`` and the folder fsynced, so a
reader sees the old file or the new one, never a torn one. Issuing again at the same time with
the same model replaces that forecast (a re-run after a data correction); a different issue time
is a new file, so the history of what was forecast when is kept.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lantian.store.manifest import fsync_directory

FORECAST_SCHEMA = pa.schema(
    [
        ("city", pa.string()),
        ("issue_time", pa.timestamp("s")),
        ("model", pa.string()),
        ("model_version", pa.string()),
        ("lead", pa.int8()),
        ("day", pa.date32()),
        ("aqi", pa.float64()),
        ("level", pa.int8()),
        ("category", pa.string()),
        ("PM2.5", pa.float64()),
        ("O3_8h", pa.float64()),
        ("p_gt150", pa.float64()),
        ("p_gt200", pa.float64()),
        ("p_gt300", pa.float64()),
        ("created_at", pa.timestamp("s")),
    ]
)
"""``issue_time``: Beijing time the forecast was issued (it used data with ``ts`` ≤ it);
``lead`` 1 … 3 [days]; ``day``: the natural day forecast; ``aqi``: daily AQI (integer-rounded);
``level``/``category``: HJ 633 level and category; ``PM2.5`` daily mean and ``O3_8h`` MDA8 [µg/m³];
``p_gt150``, ``p_gt200``, ``p_gt300``: P(daily AQI > 150/200/300) [0–1] (the trained model's only;
files written before issue #17 read them as null);
``created_at``: when the file was written (UTC)."""


def forecasts_root(home: Path) -> Path:
    return Path(home) / "forecasts"


def write_forecast(home: Path, table: pa.Table) -> Path:
    """Store one issued forecast (one city, issue time and model) atomically; returns its path."""
    table = table.select(FORECAST_SCHEMA.names).cast(FORECAST_SCHEMA)
    keys = {name: set(table[name].to_pylist()) for name in ("city", "issue_time", "model")}
    if any(len(values) != 1 for values in keys.values()):
        raise ValueError(f"a forecast file holds one city, issue time and model, got {keys}")
    city, issue_time, model = (next(iter(keys[k])) for k in ("city", "issue_time", "model"))
    folder = forecasts_root(home) / f"city={city}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{issue_time:%Y%m%dT%H%M}-{model}.parquet"
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    os.close(handle)
    try:
        pq.write_table(table, temporary)
        with open(temporary, "rb") as written:
            os.fsync(written.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    fsync_directory(folder)
    return target


def read_forecasts(
    home: Path,
    city: str,
    model: str | None = None,
    issued_from: dt.datetime | None = None,
    issued_to: dt.datetime | None = None,
) -> pa.Table:
    """The stored forecasts of ``city`` (optionally one model, issue times in a closed range)."""
    folder = forecasts_root(home) / f"city={city}"
    files = sorted(folder.glob("*.parquet")) if folder.exists() else []
    if model:
        files = [f for f in files if f.stem.split("-", 1)[1] == model]
    tables = [pq.read_table(f, schema=FORECAST_SCHEMA) for f in files]
    if not tables:
        return FORECAST_SCHEMA.empty_table()
    table = pa.concat_tables(tables)
    times = table["issue_time"].to_pylist()
    keep = [
        (issued_from is None or t >= issued_from) and (issued_to is None or t <= issued_to)
        for t in times
    ]
    return table.filter(pa.array(keep)).sort_by(
        [("issue_time", "ascending"), ("lead", "ascending")]
    )
