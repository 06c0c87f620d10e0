"""The monitoring method fed by a CEMS device of the HJ 212 feed store: hourly SO2, NOx, 烟尘 and
flue-gas flow as the receiver stores them (SO2 in µg/m³, the others in mg/m³, flow in m³/s),
the 18 h daily rule, and measurement taking the place of the mass balance. The device and its
hours are constructed here (simulated values, not real data)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from sqlalchemy import select

from lantian.feeds.store import FEED_SCHEMA, FeedStore
from lantian.inventory import load
from lantian.inventory.activity import import_activity
from lantian.inventory.service import build_inventory
from lantian.inventory.store import load_table
from lantian.plan.access import SYSTEM
from lantian.plan.database import transaction
from lantian.sources.models import RegisteredDevice, Source

from .helpers import csv_bytes, headers, row

MN = "TESTCEMS0001"


def hour_rows(day: dt.date, hours: int, so2_ug: float, flow_m3s: float) -> list[dict]:
    rows = []
    for hour in range(24):
        valid = hour < hours
        ts = dt.datetime.combine(day, dt.time(hour))
        for factor, pollutant, value in (
            ("a21026", "SO2", so2_ug),
            ("a21002", "NOx", 40.0),
            ("a34013", "smoke_dust", 5.0),
            ("a00000", "flue_gas_flow", flow_m3s),
        ):
            rows.append(
                {
                    "mn": MN,
                    "cn": "2061",
                    "ts": ts,
                    "factor": factor,
                    "pollutant": pollutant,
                    "value": value,
                    "min": None,
                    "max": None,
                    "flag": "N" if valid else "D",
                    "valid": valid,
                    "station_code": "TESTCEMS",
                    "network": "cems",
                    "source": "simulated",
                    "received": ts,
                }
            )
    return rows


@pytest.fixture
def feed(home, ledger):
    with transaction(ledger) as db:
        enterprise = db.scalar(select(Source).where(Source.code == "示例QY04"))
        db.info["actor"] = SYSTEM
        db.add(
            RegisteredDevice(
                mn=MN,
                name="测试 CEMS（模拟）",
                kind="cems",
                network="cems",
                station_code="TESTCEMS",
                source_id=enterprise.id,
                factor_units={"a21026": "mg/m3", "a00000": "m3/s"},
                simulated=True,
                password_salt="00",
                password_hash="0" * 64,
            )
        )
    store = FeedStore(home / "feeds" / "store")
    rows = hour_rows(dt.date(2019, 3, 1), 24, 50_000.0, 10.0) + hour_rows(
        dt.date(2019, 3, 2), 17, 50_000.0, 10.0
    )
    store.commit(pa.Table.from_pylist(rows, schema=FEED_SCHEMA), {})
    return store


def test_cems_days_and_the_18_hour_rule(feed, ledger):
    """2019-03-01, 24 valid hours: SO2 50 mg/m³ × (10 m³/s × 3600 s) × 24 h × 10⁻⁶ = 43.2 kg;
    NOx 40 × 36 000 × 24 × 10⁻⁶ = 34.56 kg; 烟尘 5 → 4.32 kg (TSP). 2019-03-02 has 17 valid
    hours: it does not count (HJ 75-2017, ≥ 18)."""
    with transaction(ledger) as db:
        build_inventory(db, SYSTEM, 2019, feed_root=feed.root)
    emissions = load(2019)
    cems = emissions.filter(pc.equal(emissions.column("method"), "online_monitoring"))
    got = dict(
        zip(cems.column("pollutant").to_pylist(), cems.column("tonnes").to_pylist(), strict=True)
    )
    assert got["SO2"] == pytest.approx(0.0432, rel=1e-12)
    assert got["NOx"] == pytest.approx(0.03456, rel=1e-12)
    assert got["TSP"] == pytest.approx(0.00432, rel=1e-12)
    assert set(cems.column("source_code").to_pylist()) == {"示例QY04"}
    days = load_table(2019, "cems_daily").to_pylist()
    march = {
        (d["pollutant"], d["day"]): d for d in days if d["day"].month == 3 and d["day"].day <= 2
    }
    assert march[("SO2", dt.date(2019, 3, 1))]["counted"] is True
    assert march[("SO2", dt.date(2019, 3, 2))]["valid_hours"] == 17
    assert march[("SO2", dt.date(2019, 3, 2))]["counted"] is False
    monthly = load_table(2019, "monthly").to_pylist()
    so2 = {r["month"]: r["tonnes"] for r in monthly if r["pollutant"] == "SO2"}
    assert so2[3] == pytest.approx(0.0432)
    assert so2[1] == pytest.approx(0.0)


def test_measurement_replaces_the_mass_balance_of_that_pollutant(feed, ledger):
    """The enterprise's coal mass balance gives SO2 2 × 1 000 t × 1 % × (1 − 0) = 20 t; its CEMS
    measured SO2, so the inventory holds the measured 0.0432 t, not the 20 t."""
    data = csv_bytes(
        [
            headers("combustion"),
            row("combustion", source_code="示例QY04", coal=1000, sulphur=1, retention=0),
        ]
    )
    with transaction(ledger) as db:
        import_activity(db, SYSTEM, "燃煤.csv", data, 2019, template="combustion")
    with transaction(ledger) as db:
        build_inventory(db, SYSTEM, 2019, feed_root=feed.root)
    emissions = load(2019)
    so2 = emissions.filter(pc.equal(emissions.column("pollutant"), "SO2")).to_pylist()
    assert [(r["method"], round(r["tonnes"], 6)) for r in so2] == [("online_monitoring", 0.0432)]


def test_without_feed_the_mass_balance_stands(ledger):
    data = csv_bytes(
        [
            headers("combustion"),
            row("combustion", source_code="示例QY04", coal=1000, sulphur=1, retention=0),
        ]
    )
    with transaction(ledger) as db:
        import_activity(db, SYSTEM, "燃煤.csv", data, 2019, template="combustion")
    with transaction(ledger) as db:
        build_inventory(db, SYSTEM, 2019)
    so2 = load(2019).filter(pc.equal(load(2019).column("pollutant"), "SO2")).to_pylist()
    assert [(r["method"], r["tonnes"]) for r in so2] == [("coal_so2", pytest.approx(20.0))]
