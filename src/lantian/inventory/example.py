"""The EXAMPLE activity data of 冷水滩区 (``data/example/*.csv``): invented, labelled 示例数据.

For the bundled example registry (``lantian sources import --example``): one CSV per activity
template, in the template's layout, each row's 备注 saying 示例数据. The construction sites' rows
are what the template fills from the registry (areas, months from the sites' dates, measures
from their 八个必须); the other numbers (traffic, vehicle weights, silt loadings, coal burned, …)
are invented for the demonstration. Factor cells without a published value to cite are left
empty, so those rows give no emission and are listed as not computed — the example never makes up
a factor either. Stored rows are marked ``example``; every output built from them says 示例数据.

The example enterprise 示例QY04 (热电联产) gets a simulated CEMS device (``EXAMPLE000CEMS0001``,
模拟数据) and a year of simulated hourly data (CN 2061) in the feed store (:func:`simulate_cems`),
so that the example shows the monitoring method: its SO2, NOx and 烟尘 come from the CEMS, ≥ 18
valid hours a day.
"""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

import numpy as np
import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.feeds.store import FEED_SCHEMA, FeedStore
from lantian.inventory.activity import TEMPLATES, import_activity
from lantian.plan.access import Actor
from lantian.sources.models import RegisteredDevice
from lantian.sources.workbook import import_file

EXAMPLE_YEAR = 2019


def example_file(template: str) -> Path:
    """The example CSV of ``template``."""
    if template not in TEMPLATES:
        raise KeyError(f"unknown template {template!r}; valid: {', '.join(TEMPLATES)}")
    return Path(str(resources.files("lantian.inventory") / "data" / "example" / f"{template}.csv"))


def import_example_activity(
    db: Session, actor: Actor, year: int = EXAMPLE_YEAR, feed_root: Path | None = None
) -> dict[str, int]:
    """Import every example CSV for ``year`` (the example registry must be registered); with
    ``feed_root``, also register the example CEMS device and simulate its year in that feed store."""
    counts: dict[str, int] = {}
    if feed_root is not None:
        register_example_cems(db, actor)
        counts["cems_hours"] = simulate_cems(FeedStore(feed_root), year) // len(CEMS_LEVELS)
    for template in TEMPLATES:
        path = example_file(template)
        if path.is_file():
            counts |= import_activity(
                db,
                actor,
                f"示例/{path.name}",
                path.read_bytes(),
                year,
                template=template,
                example=True,
            )
    return counts


EXAMPLE_CEMS = "EXAMPLE000CEMS0001"
CEMS_REGISTER = (
    "设备编号（MN）,设备名称,设备类型,密码,所在污染源编号,监测因子,厂商,安装日期,备注\n"
    f"{EXAMPLE_CEMS},示例烟气在线监测（企业丁·热电联产）,CEMS,ex9001,示例QY04,"
    '"SO2(mg/m3)、NOx(mg/m3)、烟尘(mg/m3)、废气流量(m3/s)",示例厂商甲,2018-06-01,'
    "示例设备，数据为模拟数据\n"
)
CEMS_LEVELS = {
    # factor: (pollutant as the feed stores it, level, unit scale to the feed's unit)
    "a21026": ("SO2", 28.0, 1000.0),  # mg/m³ → the feed's µg/m³
    "a21002": ("NOx", 45.0, 1.0),  # mg/m³
    "a34013": ("smoke_dust", 4.0, 1.0),  # mg/m³
    "a00000": ("flue_gas_flow", 55.0, 1.0),  # m³/s
}
"""The simulated stack's typical levels: invented for the example (模拟数据), not measured."""


def register_example_cems(db: Session, actor: Actor) -> None:
    """Register the example CEMS device on 示例QY04 (simulated, 示例), unless it is registered."""
    if db.scalar(select(RegisteredDevice.id).where(RegisteredDevice.mn == EXAMPLE_CEMS)):
        return
    import_file(
        db, actor, "示例/cems.csv", CEMS_REGISTER.encode(), register="devices", example=True
    )


def simulate_cems(store: FeedStore, year: int = EXAMPLE_YEAR, seed: int = 212) -> int:
    """A year of simulated hourly CEMS data (CN 2061, source ``simulated``) of the example device
    in the feed store: each factor lognormal about its level with a daily cycle of the load, 2 %
    of hours flagged invalid and a few days of outage (fewer than 18 valid hours: they do not
    count). Returns the rows written (none when the year is already there)."""
    first = dt.datetime(year, 1, 1)
    if (
        store.connect([first.date()])
        .sql("SELECT count(*) FROM feed WHERE mn = $mn", params={"mn": EXAMPLE_CEMS})
        .fetchall()[0][0]
    ):
        return 0
    rng = np.random.default_rng(seed)
    hours = int((dt.datetime(year + 1, 1, 1) - first).total_seconds() // 3600)
    hour = np.arange(hours)
    ts = np.datetime64(first, "s") + hour * np.timedelta64(3600, "s")
    load = 0.8 + 0.2 * np.sin(2 * np.pi * ((hour % 24) - 6) / 24)
    valid = rng.random(hours) > 0.02
    outage = np.isin(hour // 24, rng.choice(hours // 24, 6, replace=False))
    valid &= ~(outage & (hour % 24 >= 4))
    tables = []
    for code, (pollutant, level, scale) in CEMS_LEVELS.items():
        value = level * load * rng.lognormal(0.0, 0.15, hours) * scale
        tables.append(
            pa.table(
                {
                    "mn": np.full(hours, EXAMPLE_CEMS),
                    "cn": np.full(hours, "2061"),
                    "ts": pa.array(ts, pa.timestamp("s")),
                    "factor": np.full(hours, code),
                    "pollutant": np.full(hours, pollutant),
                    "value": np.round(value, 3),
                    "min": pa.nulls(hours, pa.float64()),
                    "max": pa.nulls(hours, pa.float64()),
                    "flag": np.where(valid, "N", "D"),
                    "valid": valid,
                    "station_code": np.full(hours, EXAMPLE_CEMS),
                    "network": np.full(hours, "cems"),
                    "source": np.full(hours, "simulated"),
                    "received": pa.array(ts, pa.timestamp("s")).cast(pa.timestamp("ms")),
                }
            )
        )
    rows = pa.concat_tables(tables).cast(FEED_SCHEMA)
    store.commit(rows, {})
    return rows.num_rows
