"""The live path: alarms judged as the receiver commits, equal to ``alarms scan`` over the same
minutes and clock, restart-safe; and on a real ``lantian receive`` process fed by the simulator
with a device made to exceed (constructed and simulated data, not measured)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from lantian.alarms.live import LiveAlarms
from lantian.alarms.rules import load_rules
from lantian.alarms.scan import scan
from lantian.alarms.store import AlarmStore
from lantian.feeds.simulator import fleet
from lantian.feeds.store import FeedStore
from tests.alarms.minutes import feed_table
from tests.alarms.test_alarms_cli import DISTRICT

START = dt.datetime(2026, 11, 2, 22, 30)
"""Constructed minutes cross midnight, so that the live path's day change is exercised."""


def rows(mn: str, minutes: np.ndarray, values: np.ndarray) -> pa.Table:
    """Feed-store rows of one device's minutes (offsets from :data:`START`)."""
    ts = np.datetime64(START, "s") + np.asarray(minutes) * np.timedelta64(60, "s")
    return feed_table(mn, ts, values)


def arrivals() -> list[pa.Table]:
    """Three devices' minutes over 3 h, in commits of 7 minutes; device B's minutes arrive
    up to 6 minutes late, device C goes silent for 70 minutes (offline) and is stuck."""
    generator = np.random.default_rng(15)
    minutes = np.arange(180)
    a = np.where((minutes + 30) // 60 % 2 == 1, 230.0, 40.0) + generator.uniform(-5, 5, 180)
    b = np.where(minutes >= 60, 160.0, 120.0) + generator.uniform(-5, 5, 180)
    c_minutes = np.r_[np.arange(40), np.arange(110, 180)]
    c = np.r_[generator.uniform(10, 20, 40), np.full(70, 33.0)]
    commits = []
    for begin in range(0, 180, 7):
        end = begin + 7
        late = (minutes >= begin - 6) & (minutes < end - 6)
        part = [rows("A", minutes[begin:end], a[begin:end]), rows("B", minutes[late], b[late])]
        inside = (c_minutes >= begin) & (c_minutes < end)
        part.append(rows("C", c_minutes[inside], c[inside]))
        commits.append(pa.concat_tables(part))
    last = minutes >= 174
    commits.append(rows("B", minutes[last], b[last]))
    return commits


def rule_set(tmp_path):
    path = tmp_path / "district.toml"
    path.write_text(DISTRICT, encoding="utf-8")
    return load_rules(path)


def batch(tmp_path, feed: FeedStore, rules, newest: dt.datetime, lateness: int) -> list[dict]:
    """What ``alarms scan`` stores over the same minutes and clock (in a store of its own)."""
    days = [START.date(), START.date() + dt.timedelta(days=1)]
    found = scan(
        feed,
        AlarmStore(tmp_path / f"scan-{time.monotonic_ns()}"),
        rules,
        days[0],
        days[1],
        now=newest - dt.timedelta(minutes=lateness),
    )
    return found.to_pylist()


def test_live_alarms_equal_the_scan_with_late_minutes(tmp_path):
    rules = rule_set(tmp_path)
    feed = FeedStore(tmp_path / "feed")
    live = LiveAlarms(feed, AlarmStore(tmp_path / "alarms"), rules, lateness=10)
    live.open()
    handed: list[pa.Table] = []
    live.on_alarms.append(handed.append)
    for commit in arrivals():
        feed.commit(commit, {})
        live.committed(commit)
    stored = live.alarm_store.read().to_pylist()
    newest = START + dt.timedelta(minutes=179)
    assert stored == batch(tmp_path, feed, rules, newest, 10)
    kinds = {row["rule_id"] for row in stored}
    assert kinds == {"district-pm10-hour", "offline-60", "stuck-30"}  # not vacuous
    assert sum(t.num_rows for t in handed) == len(stored)  # each handed on once


def test_a_restart_recomputes_what_a_kill_lost(tmp_path):
    """Commits reach the feed store but not the alarm store (killed in between): the next
    start's scan stores them, and the evaluation goes on equal to the scan."""
    rules = rule_set(tmp_path)
    feed = FeedStore(tmp_path / "feed")
    alarm_store = AlarmStore(tmp_path / "alarms")
    commits = arrivals()
    first = LiveAlarms(feed, alarm_store, rules, lateness=10)
    first.open()
    for commit in commits[:12]:
        feed.commit(commit, {})
        first.committed(commit)
    for commit in commits[12:16]:
        feed.commit(commit, {})  # killed: never judged
    again = LiveAlarms(feed, alarm_store, rules, lateness=10)
    again.open()
    for commit in commits[16:]:
        feed.commit(commit, {})
        again.committed(commit)
    newest = START + dt.timedelta(minutes=179)
    assert alarm_store.read().to_pylist() == batch(tmp_path, feed, rules, newest, 10)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_receiver_fed_by_the_simulator_stores_the_exceeding_sites_alarms(tmp_path, workers):
    """A real ``lantian receive`` process, the simulator with one device made to exceed
    (``--exceed``): the alarms are in the alarm store while the receiver runs, and equal the
    scan over the same minutes. With ``--workers 2`` too: worker 0 judges every device's
    minutes, whichever process its connection reached."""
    from tests.feeds.conftest import DEVICES, start_receiver, wait_until

    home = tmp_path / "home"
    rules_file = tmp_path / "district.toml"
    rules_file.write_text(DISTRICT, encoding="utf-8")
    os.environ["LANTIAN_ALARM_RULES"] = str(rules_file)
    try:
        receiver = start_receiver(home, "--workers", str(workers))
    finally:
        del os.environ["LANTIAN_ALARM_RULES"]
    exceeding = fleet(DEVICES)[1].device.mn
    try:
        simulation = subprocess.run(
            [
                sys.executable,
                "-m",
                "lantian",
                "simulate",
                "hj212",
                "--devices",
                str(DEVICES),
                "--port",
                str(receiver.port),
                "--speed",
                "600",
                "--minutes",
                "90",
                "--start",
                "2026-12-01T08:00",
                "--no-faults",
                "--exceed",
                exceeding,
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert simulation.returncode == 0, simulation.stdout + simulation.stderr
        assert "模拟超标" in simulation.stdout
        alarm_store = AlarmStore(home / "alarms")

        def hour_alarm() -> bool:
            table = alarm_store.read()
            return "district-pm10-hour" in table.column("rule_id").to_pylist()

        assert wait_until(hour_alarm, 60), receiver.output.read_text()
    finally:
        assert receiver.stop() == 0
    stored = alarm_store.read()
    hourly = stored.filter(pc.equal(stored.column("rule_id"), "district-pm10-hour"))
    assert hourly.column("mn").to_pylist() == [exceeding]  # 08:00–08:59 of the exceeding device
    assert hourly.column("ts").to_pylist() == [dt.datetime(2026, 12, 1, 8)]
    rules = load_rules(rules_file)
    newest = dt.datetime(2026, 12, 1, 9, 29)
    found = scan(
        receiver.stored(),
        AlarmStore(tmp_path / "scan"),
        rules,
        dt.date(2026, 11, 30),
        dt.date(2026, 12, 1),
        now=newest - dt.timedelta(minutes=10),
    )
    assert stored.to_pylist() == found.to_pylist()


def test_exceed_refuses_a_device_it_does_not_play(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "lantian", "--home", str(tmp_path), "simulate", "hj212",
         "--devices", "2", "--exceed", "NOTPLAYED01", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "NOTPLAYED01" in result.stdout
    assert fleet(2)[0].device.mn in result.stdout  # names what it plays
