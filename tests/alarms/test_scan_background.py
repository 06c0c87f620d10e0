"""The scan's background (DB13/2934-2019): the same hour's PM10 of the district's national
stations from the measurement store, which stamps an hour's end while minutes are stamped by
their start. Values constructed here (simulated)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pytest

from lantian.alarms.evaluate import DeviceFacts
from lantian.alarms.rules import load_rules
from lantian.alarms.scan import scan
from lantian.alarms.store import AlarmStore
from lantian.feeds.store import FeedStore
from lantian.ingest.schema import MEASUREMENT_SCHEMA
from lantian.store.measurements import MeasurementStore
from tests.alarms.test_alarms_cli import feed_rows

DAY = dt.date(2026, 11, 2)
EIGHT = dt.datetime(2026, 11, 2, 8)


def national_hours(values: dict[tuple[str, dt.datetime], float]) -> pa.Table:
    keys = list(values)
    return pa.table(
        {
            "station_code": [k[0] for k in keys],
            "ts": pa.array([k[1] for k in keys], pa.timestamp("s")),
            "pollutant": ["PM10"] * len(keys),
            "value": list(values.values()),
            "source": pa.array(["test"] * len(keys)).dictionary_encode(),
            "line": pa.array(range(len(keys)), pa.int32()),
        },
        schema=MEASUREMENT_SCHEMA,
    )


@pytest.mark.parametrize(("site", "alarmed"), [(180.0, False), (181.0, True)])
def test_district_background_is_the_hour_ending_at_the_next_hour(tmp_path, site, alarmed):
    measurements = MeasurementStore(tmp_path / "measurements")
    measurements.import_measurements(
        national_hours(
            {
                # the 08:00–08:59 hour is stored at 09:00 (CNEMC): 90 and 110 average 100
                ("2478A", EIGHT + dt.timedelta(hours=1)): 90.0,
                ("2481A", EIGHT + dt.timedelta(hours=1)): 110.0,
                # the hour stored at 08:00 (07:00–07:59) must not be used for 08:00–08:59
                ("2478A", EIGHT): 10.0,
                ("2481A", EIGHT): 10.0,
            }
        ),
        files=["constructed"],
        check_stations=False,
    )
    feed = FeedStore(tmp_path / "feed")
    feed.commit(feed_rows(np.full(60, site), EIGHT), {})
    rules_file = tmp_path / "district.toml"
    rules_file.write_text('use = ["hebei"]\n[background]\nstations = ["2478A", "2481A"]\n', "utf-8")
    found = scan(
        feed,
        AlarmStore(tmp_path / "alarms"),
        load_rules(rules_file),
        DAY,
        DAY,
        facts={"SIM0001": DeviceFacts(source_kind="site")},
        measurements=measurements,
    )
    assert found.num_rows == int(alarmed)
    if alarmed:
        row = found.to_pylist()[0]
        assert (row["ts"], row["background"], row["value"]) == (EIGHT, 100.0, 81.0)
