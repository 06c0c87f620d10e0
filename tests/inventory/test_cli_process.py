"""``lantian inventory`` as a user runs it: a real process, a fresh home, the SQLite ledger on
disk. The EXAMPLE activity data (示例数据) of the example registry go in, the year is built and
shown as JSON marked example; a template with a mistake is refused with its sheet, row and column
on stderr and exit 1; a district's factor is set and listed as 本地值 beside the 默认值."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import csv_bytes, headers, row


def lantian(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "LANTIAN_DATABASE_URL"}
    env |= {"LANTIAN_HOME": str(home), "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "lantian", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def example_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("inventory") / "home"
    done = lantian(home, "inventory", "import", "--year", "2019", "--example")
    assert done.returncode == 0, done.stderr
    assert "示例数据" in done.stdout
    assert "模拟数据" in done.stdout
    done = lantian(home, "inventory", "build", "--year", "2019")
    assert done.returncode == 0, done.stderr
    return home


def test_example_is_built_and_shown_marked_as_example(example_home):
    done = lantian(example_home, "inventory", "show", "--year", "2019", "--format", "json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["example"] is True
    assert document["version"] == "v0001"
    assert {r["pollutant"] for r in document["pollutants"]} >= {
        "PM10",
        "PM2.5",
        "TSP",
        "SO2",
        "NOx",
    }
    assert any(s["template"] == "catering" for s in document["skipped"])  # no factor: not guessed
    table = lantian(example_home, "inventory", "show", "--year", "2019")
    assert "示例数据，非真实清单" in table.stdout


def test_the_example_cems_feeds_the_monitoring_method(example_home):
    """示例QY04's SO2 comes from its simulated CEMS (the mass balance lacks its retention), and
    its outage days (fewer than 18 valid hours) do not count."""
    import pyarrow.compute as pc

    from lantian.inventory import load
    from lantian.inventory.store import load_table

    emissions = load(2019, root=example_home / "inventory")
    so2 = emissions.filter(pc.equal(emissions.column("pollutant"), "SO2")).to_pylist()
    assert [(r["source_code"], r["method"]) for r in so2] == [("示例QY04", "online_monitoring")]
    days = load_table(2019, "cems_daily", root=example_home / "inventory")
    so2_days = days.filter(pc.equal(days.column("pollutant"), "SO2"))
    counted = pc.sum(pc.cast(so2_days.column("counted"), "int64")).as_py()
    assert so2_days.num_rows == 365
    assert 350 <= counted < 365


def test_a_mistake_is_refused_by_row_and_column(example_home, tmp_path):
    path = tmp_path / "道路.csv"
    path.write_bytes(
        csv_bytes(
            [
                headers("roads"),
                row(
                    "roads",
                    source_code="示例DL01",
                    length_m="长",
                    traffic=1,
                    weight=1,
                    silt_loading=1,
                ),
            ]
        )
    )
    done = lantian(
        example_home, "inventory", "import", str(path), "--year", "2019", "--template", "roads"
    )
    assert done.returncode == 1
    assert "道路.csv 第2行 长度（米）：不是数字" in done.stderr


def test_a_district_factor_is_audited_and_listed_beside_the_defaults(example_home):
    done = lantian(
        example_home,
        "inventory",
        "override",
        "AP42-13.2.1-k-PM10",
        "--value",
        "0.7",
        "--low",
        "0.5",
        "--high",
        "0.9",
        "--from-year",
        "2019",
        "--source",
        "区监测站 2019 年道路积尘实测报告（测试用）",
    )
    assert done.returncode == 0, done.stderr
    listed = json.loads(
        lantian(example_home, "inventory", "factors", "--year", "2019", "--format", "json").stdout
    )
    kinds = {r["系数编号"]: r["类型"] for r in listed}
    assert kinds["AP42-13.2.1-k-PM10"] == "本地值"
    assert kinds["AP42-13.2.1-k-PM2.5"] == "默认值"
    before = json.loads(
        lantian(example_home, "inventory", "factors", "--year", "2018", "--format", "json").stdout
    )
    assert {r["系数编号"]: r["类型"] for r in before}["AP42-13.2.1-k-PM10"] == "默认值"
    audit = lantian(example_home, "audit", "verify")
    assert audit.returncode == 0, audit.stdout + audit.stderr
    refused = lantian(
        example_home,
        "inventory",
        "override",
        "AP42-13.2.1-k-PM10",
        "--value",
        "1",
        "--from-year",
        "2019",
        "--source",
        " ",
    )
    assert refused.returncode == 1
