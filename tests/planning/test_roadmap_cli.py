"""`lantian plan roadmap` as a user runs it (a real process), on a home with the demo's chain on
EXAMPLE data and no measurements: the base falls back to the plan's baseline and says so; every
format names the response model's basis and the example data."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from tests.planning.helpers import build_example_home


@pytest.fixture(scope="module")
def home(tmp_path_factory):
    return build_example_home(tmp_path_factory.mktemp("roadmap-cli") / "home")


def lantian(home, *args):
    command = [sys.executable, "-m", "lantian", "plan", "--home", str(home), "roadmap"]
    return subprocess.run(
        [*command, "--area", "冷水滩区中心城区", "--target-year", "2020", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_json_table_xlsx_and_html(home, tmp_path):
    done = lantian(home, "--format", "json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["base_concentration"] == 48.0  # no 2019 data stored: the plan's 2018 baseline
    assert doc["base_concentration_basis"] == "计划基准值（2018年）"
    assert doc["basis"] == "inventory"
    assert doc["example"] is True
    assert doc["cut_needed"] == 13.0
    assert doc["after_planned"] == pytest.approx(48.0 + doc["planned_change"], abs=0.01)
    table = lantian(home)
    assert "响应模型依据：清单一次排放占比" in table.stdout
    assert "示例数据" in table.stdout
    book_path = tmp_path / "路线图.xlsx"
    assert lantian(home, "--format", "xlsx", "-o", str(book_path)).returncode == 0
    book = load_workbook(book_path)
    assert book.sheetnames == ["路线图", "措施贡献", "缺口所需削减", "逐月对比"]
    assert all(str(book[s]["A1"].value).startswith("响应模型依据") for s in book.sheetnames)
    page = tmp_path / "路线图.html"
    assert lantian(home, "--format", "html", "-o", str(page)).returncode == 0
    assert "示例数据" in page.read_text(encoding="utf-8")


def test_no_inventory_for_the_base_year_is_a_clear_error(home):
    done = lantian(home, "--base-year", "2015")
    assert done.returncode == 2
    assert "2015 年的排放清单尚未编制" in done.stderr
