"""Frames to feed rows: units, value fields per command, flags, bad values, de-duplication and
split sets (constructed frames of a constructed device)."""

from __future__ import annotations

import datetime as dt

import pytest

from lantian.feeds.intake import Intake, feed_rows
from lantian.feeds.store import FeedStore
from lantian.ingest.hj212 import encode_frame, parse_frame
from lantian.sources.devices import Device

DEVICE = Device(
    mn="TEST0001",
    kind="dust",
    network="dust",
    station_code="T0001",
    factor_units={"a34001": "mg/m3", "a34004": "µg/m³"},
)
NOW = dt.datetime(2026, 12, 3, 9)


def frame(cn: str, cp: str, qn: str = "1", extra: str = ""):
    return parse_frame(
        encode_frame(f"QN={qn};ST=22;CN={cn};PW=x;MN=TEST0001;Flag=4;{extra}CP=&&{cp}&&")
    )


def rows_of(intake: Intake) -> dict:
    batch, _ = intake.drain()
    rows, bad = feed_rows(batch)
    return {(r["cn"], r["factor"]): r for r in rows.to_pylist()}, bad


def test_units_fields_flags_and_bad_values(tmp_path):
    intake = Intake(FeedStore(tmp_path))
    take = intake.take
    take(frame("2051", "DataTime=20261203080000;a34001-Avg=0.25,a34001-Max=0.4,a34001-Flag=N;"
                       "a34004-Avg=35,a34004-Flag=D;a21026-Avg=x1"), DEVICE, NOW, "l", 0, 1)  # fmt: skip
    take(
        frame("2011", "DataTime=20261203080030;a34004-Rtd=41.5;PM25-Avg=9"), DEVICE, NOW, "l", 1, 2
    )
    rows, bad = rows_of(intake)
    tsp = rows[("2051", "a34001")]
    assert tsp["value"] == pytest.approx(250.0)  # mg/m³ registered → µg/m³ stored
    assert tsp["max"] == pytest.approx(400.0)
    assert (tsp["flag"], tsp["valid"], tsp["pollutant"]) == ("N", True, "TSP")
    assert (rows[("2051", "a34004")]["flag"], rows[("2051", "a34004")]["valid"]) == ("D", False)
    assert rows[("2011", "a34004")]["value"] == 41.5  # real-time data: -Rtd
    assert rows[("2011", "a34004")]["ts"] == dt.datetime(2026, 12, 3, 8, 0, 30)
    assert [(b["code"], b["field"], b["value"]) for b in bad] == [("a21026", "Avg", "x1")]


def test_repeats_are_dropped_and_split_sets_wait_for_all_packets(tmp_path):
    intake = Intake(FeedStore(tmp_path))
    one = frame("2051", "DataTime=20261203080100;a34004-Avg=10")
    assert intake.take(one, DEVICE, NOW, "l", 0, 1) == "stored"
    assert intake.take(one, DEVICE, NOW, "l", 1, 2) == "duplicate"
    split = "Flag=7;PNUM=2;PNO={};"
    first = frame("2051", "DataTime=20261203080200;a34004-Avg=11", "q2", split.format(1))
    second = frame("2051", "a34002-Avg=22", "q2", split.format(2))
    assert intake.take(first, DEVICE, NOW, "l", 2, 3) == "held"
    assert intake.committed_cursors() == {"l": 2}  # a restart reads the held packet again
    assert intake.take(second, DEVICE, NOW, "l", 3, 4) == "stored"
    assert intake.committed_cursors() == {"l": 4}
    rows, _ = rows_of(intake)
    assert len(rows) == 2


def test_held_split_sets_in_several_logs_keep_each_logs_cursor_before_them(tmp_path):
    """Worker logs arrive in an order other than their names': each log's cursor stays before
    the held packets in it, whatever the order (``w2`` seen first, ``w1`` sorts first)."""
    intake = Intake(FeedStore(tmp_path))
    split = "Flag=7;PNUM={};PNO={};"
    a1 = frame("2051", "DataTime=20261203080200;a34004-Avg=11", "qa", split.format(3, 1))
    a2 = frame("2051", "a34002-Avg=22", "qa", split.format(3, 2))
    b1 = frame("2051", "DataTime=20261203080300;a34004-Avg=12", "qb", split.format(2, 1))
    b2 = frame("2051", "a34002-Avg=23", "qb", split.format(2, 2))
    w1, w2 = "2026-12-03.w1.hj212", "2026-12-03.w2.hj212"
    assert intake.take(a1, DEVICE, NOW, w2, 100, 200) == "held"
    assert intake.take(b1, DEVICE, NOW, w1, 500, 600) == "held"
    assert intake.take(frame("2051", "DataTime=20261203080400;a34004-Avg=1"), DEVICE, NOW, w2,
                       800, 900) == "stored"  # fmt: skip
    assert intake.committed_cursors() == {w2: 100, w1: 500}
    assert intake.take(a2, DEVICE, NOW, w1, 600, 700) == "held"  # set A's second log
    assert intake.take(b2, DEVICE, NOW, w2, 900, 1000) == "stored"  # set B whole
    assert intake.committed_cursors() == {w2: 100, w1: 600}  # each of A's packets read again


def test_devices_status_command_as_a_user_runs_it(tmp_path):
    import json
    import os
    import subprocess
    import sys

    # the command counts today's flags: it runs on the clock stopped at NOW (LANTIAN_NOW, Beijing),
    # the frames are of that day, and the answer is the same whenever the test runs
    store = FeedStore(tmp_path / "feeds" / "store")
    intake = Intake(store)
    for minute in range(3):
        flag = "N" if minute else "M"
        cp = f"DataTime={NOW:%Y%m%d}08{minute:02d}00;a34004-Avg=10,a34004-Flag={flag}"
        intake.take(frame("2051", cp, qn=str(minute)), DEVICE, NOW, "l", minute, minute + 1)
    batch, cursors = intake.drain()
    store.commit(feed_rows(batch)[0], cursors)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "lantian",
            "--home",
            str(tmp_path),
            "devices",
            "status",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "LANTIAN_NOW": NOW.isoformat()},
    )
    (row,) = json.loads(result.stdout)
    assert (row["mn"], row["data"], row["last_data_time"]) == (
        "TEST0001",
        "实测",
        "2026-12-03 08:02:00",
    )
    assert row["flags"] == "M×1"
    assert (row["minutes_today"], row["missing_minutes_today"]) == (3, 9 * 60 - 3)  # 00:00–09:00
