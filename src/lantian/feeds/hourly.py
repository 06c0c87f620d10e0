"""Hourly values of devices, into the measurement store under the device's network.

* From an hourly frame (CN 2061): its ``-Avg``.
* Otherwise from minute frames (CN 2051): the mean of the hour's valid minutes, when there are at
  least 45 of them — the hourly validity rule of GB 3095-2012 Table 4 (1 小时平均: 每小时至少有
  45 分钟的采样时间), as applied by HJ 663 (``tables/validity.csv``, ``hourly_min_minutes``).
  Fewer minutes: no value for that hour.

Time: HJ 212 stamps a period's statistics with the period's start (``DataTime=…080000`` is the
08 o'clock hour; minutes 08:00…08:59 make it) — Lantian's reading of the standard's examples. The
measurement store stamps the hour's end (CNEMC's convention), so the value of that hour is stored
at 09:00. An hour is rolled up once it is closed: the device has sent a later minute, or the
wall clock is :data:`GRACE` past its end.

Device stations enter the station registry as **non-evaluation** stations of their network
(``dust``, ``micro``, ``cems``), so that they never enter a city's or an area's values.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa

from lantian.feeds.store import FeedStore
from lantian.ingest.schema import MEASUREMENT_SCHEMA
from lantian.sources.devices import Device
from lantian.standards.averages import validity_threshold
from lantian.standards.pollutants import BASIC_POLLUTANTS
from lantian.standards.rulesets import rule_set
from lantian.store.measurements import ImportSummary, MeasurementStore
from lantian.store.registry import REGISTRY_SCHEMA
from lantian.times import beijing_now

GRACE = dt.timedelta(minutes=10)
KIND_NAMES = {
    "dust": "扬尘在线监测",
    "micro": "小微站",
    "cems": "烟气在线监测",
    "voc": "VOCs 在线监测",
    "national": "国控站",
}
SIMULATED_LABEL = "模拟数据"


def hourly_values(
    store: FeedStore, days: list[dt.date], now: dt.datetime | None = None
) -> pa.Table:
    """The closed device hours of ``days`` (MEASUREMENT_SCHEMA, ``source`` = ``hj212`` or
    ``simulated``)."""
    now = now or beijing_now()
    minimum = validity_threshold("hourly_min_minutes", rule_set(now.date()).hj663)
    pollutants = list(BASIC_POLLUTANTS)
    connection = store.connect(days)
    connection.register("pollutants", pa.table({"pollutant": pollutants}))
    return connection.sql(
        """
        WITH latest AS (
            SELECT mn, max(ts) AS last_ts FROM feed WHERE cn IN ('2011', '2051') GROUP BY mn
        ), reported AS (
            SELECT station_code, ts + INTERVAL 1 HOUR AS ts, pollutant, value, source
            FROM feed SEMI JOIN pollutants USING (pollutant)
            WHERE cn = '2061' AND valid AND value IS NOT NULL
        ), computed AS (
            SELECT station_code, date_trunc('hour', ts) + INTERVAL 1 HOUR AS ts, pollutant,
                   avg(value) AS value, any_value(source) AS source, any_value(mn) AS mn
            FROM feed SEMI JOIN pollutants USING (pollutant)
            WHERE cn = '2051' AND valid AND value IS NOT NULL
            GROUP BY ALL
            HAVING count(*) >= $minimum
        )
        SELECT station_code, ts, pollutant, value, source, 0::INTEGER AS line FROM reported
        UNION ALL
        SELECT c.station_code, c.ts, c.pollutant, c.value, c.source, 0::INTEGER AS line
        FROM computed c JOIN latest USING (mn)
        ANTI JOIN reported r ON r.station_code = c.station_code AND r.ts = c.ts
                             AND r.pollutant = c.pollutant
        WHERE c.ts <= latest.last_ts OR c.ts + $grace <= $now
        ORDER BY 1, 2, 3
        """,
        params={"minimum": minimum, "grace": GRACE, "now": now},
    ).to_arrow_table()


def device_stations(devices: list[Device], city: str | None = None) -> pa.Table:
    """Station-registry rows for devices: non-evaluation stations of the device's network, named
    by kind and MN (and labelled 模拟数据 when simulated), at the device's place (coordinates and
    town from the source registry; ``city`` the receiver's)."""
    names = [
        f"{KIND_NAMES.get(d.kind, d.kind)} {d.mn}"
        + (f"（{SIMULATED_LABEL}）" if d.simulated else "")
        for d in devices
    ]
    n = len(devices)
    return pa.table(
        {
            "station_code": [d.station_code for d in devices],
            "name": names,
            "city": [city] * n,
            "district": [None] * n,
            "town": [d.town for d in devices],
            "longitude": [d.longitude for d in devices],
            "latitude": [d.latitude for d in devices],
            "network": [d.network for d in devices],
            "evaluation": [False] * n,
            "control_point": [False] * n,
            "active_from": [d.installed for d in devices],
            "active_to": [d.removed for d in devices],
            "last_seen": [None] * n,
        },
        schema=REGISTRY_SCHEMA,
    )


PLACE_COLUMNS = (
    "name",
    "city",
    "town",
    "longitude",
    "latitude",
    "network",
    "active_from",
    "active_to",
)
"""What a device's station row says about it: re-registered when any of these changed."""


def changed_stations(current: pa.Table, rows: pa.Table) -> pa.Table:
    """The rows of ``rows`` that are new to the registry ``current`` or say something else
    about the station (its place moved, the registry renamed or retired the device)."""
    if not current.num_rows:
        return rows
    columns = [c for c in ("station_code", *PLACE_COLUMNS) if c in current.column_names]
    with duckdb.connect() as connection:
        connection.register("incoming", rows)
        connection.register("current", current.select(columns))
        return (
            connection.sql(
                f"SELECT i.* FROM incoming i ANTI JOIN (SELECT {', '.join(columns)} FROM current) c "
                f"ON {' AND '.join(f'i.{c} IS NOT DISTINCT FROM c.{c}' for c in columns)}"
            )
            .to_arrow_table()
            .cast(REGISTRY_SCHEMA)
        )


def store_hourly(
    feed: FeedStore,
    measurements: MeasurementStore,
    devices: list[Device],
    days: list[dt.date],
    now: dt.datetime | None = None,
    city: str | None = None,
) -> ImportSummary | None:
    """Roll the closed hours of ``days`` up into the measurement store (registering the
    devices' stations first); ``None`` when there was nothing to store."""
    table = hourly_values(feed, days, now)
    if not table.num_rows:
        return None
    codes = set(table.column("station_code").to_pylist())
    stations = changed_stations(
        measurements.stations(),
        device_stations([d for d in devices if d.station_code in codes], city),
    )
    if stations.num_rows:
        measurements.put_stations(stations)
    table = pa.table(
        {
            "station_code": table.column("station_code"),
            "ts": table.column("ts").cast(pa.timestamp("s")),
            "pollutant": table.column("pollutant"),
            "value": table.column("value"),
            "source": table.column("source").dictionary_encode(),
            "line": table.column("line"),
        },
        schema=MEASUREMENT_SCHEMA,
    )
    return measurements.import_measurements(table, files=["hj212"])
