"""Alarms open cases (issue #15 part 1 → part 2): the live path's alarms of an EXAMPLE site's
dust monitor (示例; minutes constructed here, simulated) open one case for the site's unit,
the repeats append to it and the third escalates it; a rescan's same alarms change nothing; a
device outside the registry (the simulator's fleet) opens none."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
from sqlalchemy import func, select

from lantian.alarms.live import LiveAlarms, open_cases
from lantian.alarms.rules import load_rules
from lantian.alarms.scan import device_facts
from lantian.alarms.store import AlarmStore
from lantian.feeds.store import FeedStore
from lantian.plan.models import Case
from tests.alarms.minutes import feed_table

DEVICE = "EXAMPLE00DUST0001"  # on 示例GD01, a site without 监管单位: 区住建局
START = dt.datetime(2026, 12, 1, 8)


def pm10(mn: str, hourly: list[float]) -> pa.Table:
    values = np.repeat(np.asarray(hourly, float), 60)
    ts = np.datetime64(START, "s") + np.arange(len(values)) * np.timedelta64(60, "s")
    return feed_table(mn, ts, values)


def test_live_alarms_open_append_and_escalate_one_case(registry, tmp_path):
    db = registry
    rules_file = tmp_path / "district.toml"
    rules_file.write_text(
        'use = ["wuhan-pm10-hour-action", "any-device"]\n[[rule]]\nid = "any-device"\n'
        'kind = "absolute"\nname = "PM10 > 500"\nsource = "测试"\npollutant = "PM10"\n'
        'window = 60\nlimit = 500\nunit = "ug/m3"\n',
        encoding="utf-8",
    )
    feed = FeedStore(tmp_path / "feed")
    live = LiveAlarms(
        feed, AlarmStore(tmp_path / "alarms"), load_rules(rules_file), device_facts(db)
    )
    live.open()
    outcomes = []
    live.on_alarms.append(lambda alarms: outcomes.append(open_cases(db, alarms)))
    rows = pa.concat_tables(
        [pm10(DEVICE, [250, 260, 270, 20, 20]), pm10("LTSIM212NOTREGISTERED", [900] * 5)]
    )
    for hour in range(5):  # one commit per hour of minutes
        part = rows.filter(
            pa.compute.equal(pa.compute.hour(rows.column("ts")), pa.scalar(8 + hour, pa.int64()))
        )
        feed.commit(part, {})
        live.committed(part)
    total = sum(outcomes, start=type(outcomes[0])())
    assert (total["opened"], total["appended"], total["escalated"]) == (1, 2, 1)
    assert total["unregistered"] == 4  # the fleet device's hours 08–11 (12 not yet closed)
    case = db.scalar(select(Case).where(Case.origin == "alarm"))
    assert case.occurrences == 3
    assert case.unit.name == "区住建局"
    assert case.escalation == "inspect"
    again = open_cases(db, live.alarm_store.read())  # a rescan hands the same alarms again
    assert again["duplicate"] == 3
    assert again["opened"] == again["appended"] == 0
    assert db.scalar(select(func.count(Case.id)).where(Case.origin == "alarm")) == 1
