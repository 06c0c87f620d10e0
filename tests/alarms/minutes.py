"""Constructed minute series for the alarm tests (made up here, not measured)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from lantian.alarms.evaluate import Minutes, minutes_from_arrow
from lantian.feeds.store import FEED_SCHEMA

DAY = dt.datetime(2026, 12, 3)


def minute_of(when: dt.datetime) -> int:
    return int(np.datetime64(when, "m").astype(np.int64))


def series(
    mn: str,
    pollutant: str,
    values: list[float] | np.ndarray,
    start: dt.datetime = DAY,
    valid: list[bool] | np.ndarray | None = None,
    flags: list[str] | None = None,
) -> pa.Table:
    """One device's consecutive minutes from ``start``."""
    n = len(values)
    ts = np.datetime64(start, "s") + np.arange(n) * np.timedelta64(60, "s")
    return pa.table(
        {
            "mn": [mn] * n,
            "ts": pa.array(ts, pa.timestamp("s")),
            "pollutant": [pollutant] * n,
            "value": pa.array(np.asarray(values, dtype=float), pa.float64()),
            "valid": pa.array(np.ones(n, bool) if valid is None else np.asarray(valid, bool)),
            "flag": flags or ["N"] * n,
        }
    )


def minutes(*tables: pa.Table) -> Minutes:
    return minutes_from_arrow(pa.concat_tables(tables))


def hours(*hourly: float, minutes_per_hour: int = 60) -> np.ndarray:
    """Minute values whose clock hours have the given means (constant within the hour)."""
    return np.repeat(np.asarray(hourly, dtype=float), minutes_per_hour)


def feed_table(
    mn: str, ts: np.ndarray, values: np.ndarray, pollutant: str = "PM10", factor: str = "a34002"
) -> pa.Table:
    """Feed-store rows (``FEED_SCHEMA``, minute data CN 2051) of one device at times ``ts``."""
    n = len(ts)
    values = np.asarray(values, dtype=float)
    return pa.table(
        {
            "mn": [mn] * n,
            "cn": ["2051"] * n,
            "ts": pa.array(np.asarray(ts).astype("datetime64[s]"), pa.timestamp("s")),
            "factor": [factor] * n,
            "pollutant": [pollutant] * n,
            "value": values,
            "min": values,
            "max": values,
            "flag": ["N"] * n,
            "valid": [True] * n,
            "station_code": [mn] * n,
            "network": ["dust"] * n,
            "source": ["simulated"] * n,
            "received": pa.array([0] * n, pa.timestamp("ms")),
        },
        schema=FEED_SCHEMA,
    )
