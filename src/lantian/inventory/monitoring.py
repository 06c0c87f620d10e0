"""The monitoring method (实测法) fed by the CEMS devices of the HJ 212 feed.

A CEMS device (设备类型 CEMS) registered on an enterprise (所在污染源编号) sends hourly data
(CN 2061) to the receiver, which stores them in the feed store in the glossary's units: SO2 in
µg/m³ (a device registering mg/m³ is scaled on intake), NOx and 烟尘 (``smoke_dust``) in mg/m³,
flue-gas flow ``a00000`` in m³/s (HJ 212-2017 附录B; its ``-Cou`` is the hour's m³). Per device,
pollutant and day, :func:`lantian.inventory.methods.online_monitoring` sums C × Q × T × 10⁻⁶ over
the valid hours and counts the day only with ≥ 18 valid hours (HJ 75-2017 data validity). The
year's emission is the sum of the counted days: a day without 18 valid hours contributes nothing
here (no substitution is made; the days counted are reported beside it, so a reader sees the
coverage). 烟尘 is total particulate matter and is reported as TSP.

One call for every device and pollutant at once: the composite index (device, pollutant, day)
is the day index of ``online_monitoring``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.feeds.store import FeedStore
from lantian.inventory.build import EMISSIONS_SCHEMA
from lantian.inventory.methods import online_monitoring
from lantian.sources.models import RegisteredDevice, Source

CEMS_POLLUTANTS = {"SO2": ("SO2", 1e-3), "NOx": ("NOx", 1.0), "smoke_dust": ("TSP", 1.0)}
"""Feed pollutant → (inventory pollutant, × to mg/m³)."""
FLOW = "flue_gas_flow"
SECONDS_PER_HOUR = 3600.0
DAILY_SCHEMA = pa.schema(
    [
        pa.field("source_id", pa.int64()),
        pa.field("mn", pa.string()),
        pa.field("pollutant", pa.string()),
        pa.field("day", pa.date32()),
        pa.field("tonnes", pa.float64()),
        pa.field("valid_hours", pa.int64()),
        pa.field("counted", pa.bool_()),
    ]
)
"""The CEMS days: emission [t] (NaN when the day does not count), valid hours, counted."""


def cems_devices(db: Session) -> dict[str, int]:
    """MN → source id of every CEMS device registered on a source."""
    return dict(
        db.execute(
            select(RegisteredDevice.mn, RegisteredDevice.source_id).where(
                RegisteredDevice.kind == "cems", RegisteredDevice.source_id.is_not(None)
            )
        ).all()
    )


def _hours(feed: FeedStore, mns: list[str], year: int) -> pa.Table:
    """Hourly rows of the CEMS devices in ``year``: mn, hour, pollutant, concentration, flow, valid."""
    days = [dt.date(year, 1, 1) + dt.timedelta(days=i) for i in range(366)]
    connection = feed.connect([d for d in days if d.year == year])
    connection.register("wanted", pa.table({"mn": pa.array(mns, pa.string())}))
    return connection.sql(
        """
        WITH hourly AS (
            SELECT mn, ts, pollutant, avg(value) AS value, bool_and(valid) AS valid
            FROM feed WHERE cn = '2061' AND mn IN (SELECT mn FROM wanted)
            GROUP BY mn, ts, pollutant
        ), flow AS (SELECT mn, ts, value AS flow, valid FROM hourly WHERE pollutant = $flow)
        SELECT c.mn, c.ts, c.pollutant, c.value AS concentration, f.flow,
               c.valid AND f.valid AND c.value IS NOT NULL AND f.flow IS NOT NULL AS valid
        FROM hourly c JOIN flow f USING (mn, ts)
        WHERE c.pollutant IN (SELECT unnest($pollutants::VARCHAR[]))
        ORDER BY c.mn, c.pollutant, c.ts
        """,
        params={"flow": FLOW, "pollutants": list(CEMS_POLLUTANTS)},
    ).to_arrow_table()


def cems_emissions(
    feed: FeedStore, devices: dict[str, int], year: int, sources: dict[int, Source]
) -> tuple[pa.Table, pa.Table]:
    """The CEMS rows of the inventory (``EMISSIONS_SCHEMA``) and their days (``DAILY_SCHEMA``)."""
    hours = _hours(feed, sorted(devices), year) if devices else None
    if hours is None or not hours.num_rows:
        return EMISSIONS_SCHEMA.empty_table(), DAILY_SCHEMA.empty_table()
    mn = hours.column("mn").to_numpy(zero_copy_only=False)
    feed_pollutant = hours.column("pollutant").to_numpy(zero_copy_only=False)
    keys, group = np.unique(
        np.char.add(np.char.add(mn.astype(str), "|"), feed_pollutant.astype(str)),
        return_inverse=True,
    )
    ts = hours.column("ts").to_numpy().astype("datetime64[D]")
    first = np.datetime64(f"{year}-01-01", "D")
    day = (ts - first).astype(np.int64)
    ndays = int((np.datetime64(f"{year + 1}-01-01", "D") - first).astype(np.int64))
    scale = np.array([CEMS_POLLUTANTS[p][1] for p in feed_pollutant])
    kg, valid_hours, counted = online_monitoring(
        group * ndays + day,
        np.nan_to_num(hours.column("concentration").to_numpy(zero_copy_only=False)) * scale,
        np.nan_to_num(hours.column("flow").to_numpy(zero_copy_only=False)) * SECONDS_PER_HOUR,
        hours.column("valid").to_numpy(zero_copy_only=False),
    )
    size = len(keys) * ndays
    kg = np.pad(kg, (0, size - kg.size), constant_values=np.nan)
    valid_hours = np.pad(valid_hours, (0, size - valid_hours.size))
    counted = np.pad(counted, (0, size - counted.size))
    key_mn = np.array([k.split("|")[0] for k in keys])
    key_pollutant = np.array([CEMS_POLLUTANTS[k.split("|")[1]][0] for k in keys])
    key_source = np.array([devices[m] for m in key_mn], dtype=np.int64)
    daily = pa.table(
        {
            "source_id": np.repeat(key_source, ndays),
            "mn": np.repeat(key_mn, ndays),
            "pollutant": np.repeat(key_pollutant, ndays),
            "day": pa.array(np.tile(first + np.arange(ndays), len(keys)), pa.date32()),
            "tonnes": kg * 1e-3,
            "valid_hours": valid_hours,
            "counted": counted,
        },
        schema=DAILY_SCHEMA,
    )
    tonnes = np.nansum((kg * 1e-3).reshape(len(keys), ndays), axis=1)
    rows = []
    for index, (source_id, pollutant) in enumerate(zip(key_source, key_pollutant, strict=True)):
        source = sources.get(int(source_id))
        rows.append(
            {
                "category": "化石燃料固定燃烧源"
                if source is not None
                and str(getattr(source, "industry_code", "") or "").startswith("D44")
                else "工艺过程源",
                "sector": (getattr(source, "industry_name", None) or "工业") if source else "工业",
                "fuel_product": "",
                "technology": "在线监测（CEMS）",
                "template": "cems",
                "method": "online_monitoring",
                "source_id": int(source_id),
                "source_code": source.code if source else None,
                "source_name": source.name if source else None,
                "town": source.town if source else None,
                "longitude": source.longitude if source else None,
                "latitude": source.latitude if source else None,
                "pollutant": str(pollutant),
                "tonnes": float(tonnes[index]),
                "factor_id": None,
                "factor_tonnes": 0.0,
                "factor_default": None,
                "example": bool(source.example) if source else False,
                "year": year,
            }
        )
    return pa.Table.from_pylist(rows, schema=EMISSIONS_SCHEMA), daily


def feed_cems(feed_root: Path):
    """The ``cems`` argument of :func:`lantian.inventory.build.build`, over the feed store."""

    def cems(db: Session, year: int, sources: dict[int, Source]) -> tuple[pa.Table, pa.Table]:
        return cems_emissions(FeedStore(feed_root), cems_devices(db), year, sources)

    return cems
