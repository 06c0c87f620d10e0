"""``lantian alarms scan`` and ``lantian alarms list`` as a user runs them, over a feed store of
constructed minutes (simulated, not measured)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pyarrow as pa

from lantian.feeds.store import FeedStore
from tests.alarms.minutes import feed_table

DAY = dt.datetime(2026, 11, 2)
DISTRICT = """
use = ["data-quality", "district-pm10-hour"]
[[rule]]
id = "district-pm10-hour"
template = "district"
kind = "absolute"
name = "PM10 小时均值超 150"
pollutant = "PM10"
window = 60
limit = 150
unit = "ug/m3"
per_day = 1
source = "区县自定（测试）"
"""


def lantian(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "lantian", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", "LANTIAN_DATABASE_URL": ""},
    )


def feed_rows(values: np.ndarray, start: dt.datetime = DAY) -> pa.Table:
    ts = np.datetime64(start, "s") + np.arange(len(values)) * np.timedelta64(60, "s")
    return feed_table("SIM0001", ts, values)


def home_with_feed(tmp_path: Path) -> tuple[Path, Path]:
    home = tmp_path / "home"
    # 08:00–10:59: hours of 160, 100, 170 (+ noise so nothing is stuck); then silent until midnight
    noise = np.tile([0.0, 1.0, -1.0], 60)
    values = np.r_[np.full(60, 160.0), np.full(60, 100.0), np.full(60, 170.0)] + noise
    FeedStore(home / "feeds" / "store").commit(feed_rows(values, DAY + dt.timedelta(hours=8)), {})
    rules = tmp_path / "district.toml"
    rules.write_text(DISTRICT, encoding="utf-8")
    return home, rules


def test_scan_then_list_as_json_csv_and_xlsx(tmp_path):
    home, rules = home_with_feed(tmp_path)
    scanned = lantian(
        home, "alarms", "scan", "--from", "2026-11-02", "--to", "2026-11-02", "--rules", str(rules)
    )
    assert scanned.returncode == 0, scanned.stderr
    assert "3 条报警" in scanned.stdout
    listed = lantian(
        home, "alarms", "list", "--from", "2026-11-02", "--to", "2026-11-02", "--format", "json"
    )
    rows = json.loads(listed.stdout)
    assert [(r["rule_id"], r["level"], r["ts"][11:16]) for r in rows] == [
        ("district-pm10-hour", "预警", "08:00"),
        ("district-pm10-hour", "超标", "10:00"),
        ("offline-60", "预警", "11:00"),
    ]
    assert rows[0]["value"] == 160.0
    assert rows[0]["citation"] == "区县自定（测试）"
    assert len(json.loads(rows[0]["readings"])) == 60
    again = lantian(
        home, "alarms", "scan", "--from", "2026-11-02", "--to", "2026-11-02", "--rules", str(rules)
    )
    assert again.returncode == 0
    relisted = lantian(
        home, "alarms", "list", "--from", "2026-11-02", "--to", "2026-11-02", "--format", "json"
    )
    assert json.loads(relisted.stdout) == rows  # a rescan replaces, never duplicates
    csv_text = lantian(
        home, "alarms", "list", "--from", "2026-11-02", "--to", "2026-11-02", "--format", "csv"
    ).stdout
    assert csv_text.lstrip("\ufeff").startswith("报警编号,级别,规则")
    workbook = tmp_path / "报警.xlsx"
    lantian(
        home,
        "alarms",
        "list",
        "--from",
        "2026-11-01",
        "--to",
        "2026-11-03",
        "--format",
        "xlsx",
        "-o",
        str(workbook),
    )
    sheet = openpyxl.load_workbook(workbook).active
    assert sheet.max_row == 4
    table = lantian(
        home, "alarms", "list", "--from", "2026-11-02", "--to", "2026-11-02", "--level", "超标"
    )
    assert "超标" in table.stdout
    assert "预警" not in table.stdout


def test_scan_refuses_a_bad_rule_file_and_reversed_dates(tmp_path):
    home, rules = home_with_feed(tmp_path)
    rules.write_text('use = ["hunan"]\n', encoding="utf-8")
    bad = lantian(
        home, "alarms", "scan", "--from", "2026-11-02", "--to", "2026-11-02", "--rules", str(rules)
    )
    assert bad.returncode == 2
    assert "district.toml" in bad.stdout
    assert "hunan" in bad.stdout
    reversed_ = lantian(home, "alarms", "scan", "--from", "2026-11-03", "--to", "2026-11-02")
    assert reversed_.returncode == 2
    assert "before" in reversed_.stdout
