"""The operational view of the devices: one service for ``lantian devices status``, the devices
page and ``/api/v1/devices``.

Per device (from the feed store, one DuckDB query): its last frame (received, and its
``DataTime``), its minute frames received in the last hour (data rate), the minutes of the day
without a minute frame (from 00:00 to now, or to its last minute when its clock runs ahead, as a
simulated one may), and the day's data flags other than ``N``. Simulated devices are labelled
模拟数据.

The public routes read :func:`recent_device_status`: one scan of the feed store per
:data:`STATUS_MAX_AGE` seconds, whatever the number of requests (the scan reads every frame ever
stored, so its cost grows with the store; anonymous requests must not each start one).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pyarrow as pa

from lantian.feeds.store import FeedStore
from lantian.times import beijing_now

SIMULATED = "模拟数据"
MEASURED = "实测"


def feed_store(feeds: Path) -> FeedStore:
    """The feed store of a feeds folder."""
    return FeedStore(Path(feeds) / "store")


def device_status(feeds: Path, now: dt.datetime | None = None) -> list[dict[str, object]]:
    """One row per device seen today or before (most recent first)."""
    now = now or beijing_now()
    today = dt.datetime.combine(now.date(), dt.time())
    connection = feed_store(feeds).connect()
    rows = connection.sql(
        """
        WITH per_device AS (
            SELECT mn, any_value(station_code) AS station_code, any_value(network) AS network,
                   bool_or(source = 'simulated') AS simulated,
                   max(received) AS last_received, max(ts) AS last_data_time,
                   count(DISTINCT ts) FILTER (cn = '2051' AND received >= $hour_ago)
                       AS minutes_last_hour,
                   count(DISTINCT ts) FILTER (cn = '2051' AND ts >= $today) AS minutes_today,
                   max(ts) FILTER (cn = '2051' AND ts >= $today) AS last_minute_today
            FROM feed GROUP BY mn
        ), flags AS (
            SELECT mn, string_agg(flag || '×' || n, ' ' ORDER BY flag) AS flags
            FROM (SELECT mn, flag, count(*) AS n FROM feed
                  WHERE ts >= $today AND flag NOT IN ('', 'N') GROUP BY ALL)
            GROUP BY mn
        )
        SELECT p.*, coalesce(f.flags, '') AS flags
        FROM per_device p LEFT JOIN flags f USING (mn)
        ORDER BY last_received DESC, mn
        """,
        params={"today": today, "hour_ago": now - dt.timedelta(hours=1)},
    ).to_arrow_table()
    return [_row(row, now, today) for row in rows.to_pylist()]


def _row(row: dict[str, object], now: dt.datetime, today: dt.datetime) -> dict[str, object]:
    end = max(now, row["last_minute_today"] or now)  # type: ignore[type-var]
    elapsed = int((min(end, today + dt.timedelta(days=1)) - today).total_seconds() // 60)
    return {
        "mn": row["mn"],
        "station_code": row["station_code"],
        "network": row["network"],
        "data": SIMULATED if row["simulated"] else MEASURED,
        "last_received": _text(row["last_received"]),
        "last_data_time": _text(row["last_data_time"]),
        "minutes_last_hour": row["minutes_last_hour"],
        "minutes_today": row["minutes_today"],
        "missing_minutes_today": max(0, elapsed - int(row["minutes_today"])),  # type: ignore[arg-type]
        "flags": row["flags"],
    }


def _text(value: object) -> str | None:
    if isinstance(value, dt.datetime):
        return value.replace(microsecond=0).isoformat(sep=" ")
    return None


STATUS_MAX_AGE = 10.0
"""Seconds the public routes reuse one scan of the devices' state (devices send once a minute)."""
_recent: dict[Path, tuple[float, str, list[dict[str, object]]]] = {}
_scanning = threading.Lock()


def recent_device_status(
    feeds: Path, max_age: float = STATUS_MAX_AGE
) -> tuple[str, list[dict[str, object]]]:
    """(``as_of``, :func:`device_status`) computed at most ``max_age`` seconds ago: one scan at a
    time, requests that arrive meanwhile take its answer (rows shared: not to be changed)."""
    key = Path(feeds).resolve()
    with _scanning:
        found = _recent.get(key)
        if found is not None and time.monotonic() - found[0] <= max_age:
            return found[1], found[2]
        rows = device_status(feeds)
        as_of = beijing_now(precise=True).isoformat(sep=" ", timespec="milliseconds")
        _recent[key] = (time.monotonic(), as_of, rows)
        return as_of, rows


def device_values(
    feeds: Path,
    mn: str,
    cn: str,
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
) -> pa.Table:
    """One device's stored values of one command (``2051`` minutes, ``2061`` hours, …), one row
    per time and factor, oldest first."""
    connection = feed_store(feeds).connect()
    return connection.sql(
        """
        SELECT ts, factor, pollutant, value, min, max, flag, valid, source
        FROM feed
        WHERE mn = $mn AND cn = $cn
          AND ($start IS NULL OR ts >= $start) AND ($end IS NULL OR ts < $end)
        ORDER BY ts, factor
        """,
        params={"mn": mn, "cn": cn, "start": start, "end": end},
    ).to_arrow_table()
