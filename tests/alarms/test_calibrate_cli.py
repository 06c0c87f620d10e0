"""``lantian alarms calibrate`` as a user runs it: a registered micro-station (simulated minutes:
a made-up sensor reading 1.5 × its national station + 10 + 0.3 × its own humidity, losing 30 %
of its sensitivity in the second month) against constructed national hours. Simulated, not
measured."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lantian.alarms.calibration import FitStore
from lantian.feeds.store import FeedStore
from lantian.ingest.schema import MEASUREMENT_SCHEMA
from lantian.plan.access import SYSTEM
from lantian.plan.database import open_ledger, transaction
from lantian.sources.models import RegisteredDevice
from lantian.store.measurements import MeasurementStore
from tests.alarms.minutes import feed_table
from tests.alarms.test_alarms_cli import lantian

MN = "SIMMICRO01"
STATION = "9999A"
START = dt.datetime(2026, 9, 1)
HOURS = 61 * 24  # September and October


def make_home(tmp_path):
    home = tmp_path / "home"
    rng = np.random.default_rng(15)
    hour = np.arange(HOURS)
    reference = 40 + 25 * np.sin(hour / 9.0) + rng.normal(0, 3, HOURS)
    humidity = 70 + 20 * np.sin(hour / 5.0)
    slope = np.where(hour < 30 * 24, 1.5, 1.05)  # October: sensitivity −30 % (drift)
    sensor = slope * reference + 10 + 0.3 * humidity
    store = MeasurementStore(home / "measurements")
    ends = np.datetime64(START, "s") + (hour + 1) * np.timedelta64(3600, "s")  # CNEMC: hour's end
    store.import_measurements(
        pa.table(
            {
                "station_code": [STATION] * HOURS,
                "ts": pa.array(ends, pa.timestamp("s")),
                "pollutant": ["PM2.5"] * HOURS,
                "value": reference,
                "source": pa.array(["constructed"] * HOURS).dictionary_encode(),
                "line": pa.array(hour, pa.int32()),
            },
            schema=MEASUREMENT_SCHEMA,
        ),
        files=["constructed"],
        check_stations=False,
    )
    minutes = np.datetime64(START, "s") + np.arange(HOURS * 60) * np.timedelta64(60, "s")
    feed = FeedStore(home / "feeds" / "store")
    feed.commit(
        pa.concat_tables(
            [
                feed_table(MN, minutes, np.repeat(sensor, 60), "PM2.5", "a34004"),
                feed_table(MN, minutes, np.repeat(humidity, 60), "humidity", "a01002"),
            ]
        ),
        {},
    )
    with transaction(open_ledger(f"sqlite:///{home / 'plan.sqlite3'}")) as db:
        db.info["actor"] = SYSTEM
        db.add(
            RegisteredDevice(
                mn=MN,
                name="小微站（模拟）",
                kind="micro",
                network="micro",
                station_code=MN,
                simulated=True,
                password_salt="00",
                password_hash="0" * 64,
                nearest_station_code=STATION,
                nearest_station_km=1.0,
            )
        )
    return home, store


def test_calibrate_fits_stores_and_flags_drift_leaving_official_values_alone(tmp_path):
    home, store = make_home(tmp_path)
    official = store.read()
    done = lantian(
        home, "alarms", "calibrate", "--from", "2026-09-01", "--to", "2026-10-31",
        "--device", MN, "--format", "json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    fits = json.loads(done.stdout)
    assert [(f["month"], f["drift"], f["humidity"]) for f in fits] == [
        ("2026-09", False, "device"),
        ("2026-10", True, "device"),
    ]
    september = fits[0]  # reference = (sensor − 10 − 0.3 RH) / 1.5
    assert abs(september["slope"] - 1 / 1.5) < 0.02
    assert abs(september["humidity_coefficient"] + 0.3 / 1.5) < 0.03
    assert september["bias_of_previous"] is None
    stored = FitStore(home / "calibration").read()
    assert stored.column("month").to_pylist() == ["2026-09", "2026-10"]
    assert stored.column("pollutant").to_pylist() == ["PM2.5", "PM2.5"]
    again = lantian(home, "alarms", "calibrate", "--from", "2026-10-01", "--to", "2026-10-31")
    assert again.returncode == 0, again.stderr
    assert "指示性数据" in again.stdout
    refit = FitStore(home / "calibration").read()
    assert refit.num_rows == 2  # a refit replaces its month
    assert refit.column("drift").to_pylist() == [False, True]  # against the stored September
    after = store.read()
    assert after.equals(official)  # the national values are untouched
    assert not pc.any(pc.equal(after.column("station_code"), MN)).as_py()


def test_stored_fits_round_trip(tmp_path):
    from lantian.alarms.calibration import STORED_SCHEMA

    row = {
        "pollutant": "PM2.5", "humidity": "none", "mn": MN, "month": "2026-09",
        "intercept": 1.5, "slope": 0.7, "humidity_coefficient": 0.0, "pairs": 500,
        "residual_scale": 2.5, "bias_of_previous": None, "slope_change": None, "drift": False,
    }  # fmt: skip
    fits = FitStore(tmp_path / "calibration")
    first = pa.Table.from_pylist([row], schema=STORED_SCHEMA)
    fits.save(first)
    assert fits.read().equals(first)
    fits.save(pa.Table.from_pylist([{**row, "slope": 0.8}], schema=STORED_SCHEMA))
    assert fits.read().column("slope").to_pylist() == [0.8]
    assert not list((tmp_path / "calibration").glob("*.tmp"))
