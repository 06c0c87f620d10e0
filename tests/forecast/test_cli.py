"""``lantian forecast``, ``warning`` and ``emergency`` end to end, and their documentation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer.main
from typer.testing import CliRunner

from lantian.cli.forecast import emergency_app, forecast_app
from lantian.cli.main import app
from lantian.forecast.emergency import EmergencyList, Enterprise, Measure
from lantian.forecast.emergency_xlsx import write_emergency_workbook
from lantian.forecast.storage import FORECAST_SCHEMA
from lantian.forecast.tables import known, table
from lantian.forecast.warnings import scheme_names

DOC = (Path(__file__).resolve().parents[2] / "docs" / "forecast.md").read_text("utf-8")
runner = CliRunner()


def test_forecast_command(hunan_store):
    home = str(hunan_store.root.parent)
    args = [
        "--home",
        home,
        "forecast",
        "--city",
        "永州",
        "--date",
        "2019-01-28",
        "--format",
        "json",
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["issue_time"] == "2019-01-28 00:00:00"
    assert [r["lead"] for r in data["forecast"]] == [1, 2, 3]
    assert len(data["stored"]) == 3


def test_forecast_errors(hunan_store):
    home = str(hunan_store.root.parent)
    assert runner.invoke(app, ["--home", home, "forecast"]).exit_code == 2
    result = runner.invoke(
        app, ["--home", home, "forecast", "--city", "火星", "--date", "2019-01-28"]
    )
    assert result.exit_code == 2


def test_warning_command(hunan_store):
    home = str(hunan_store.root.parent)
    args = ["--home", home, "warning", "--city", "永州", "--date", "2019-01-29"]
    result = runner.invoke(app, [*args, "--since", "2019-01-28", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scheme"] == "2018"
    assert len(data["decisions"]) == 2
    table_output = runner.invoke(app, [*args, "--since", "2019-01-28"])
    assert table_output.exit_code == 0
    assert "永州 2019-01-29" in table_output.stdout


def test_yongzhous_yellow_warning_of_2019_01_28_from_the_model(hunan_store):
    """Issue #17's must-show: the yellow warning Yongzhou issued on 2019-01-28 (daily AQI 234, 233,
    218 on 26–28 January) comes from the model's forecast made at 00:00 that day, with the
    probabilities behind it; the forecast days, not the observations alone, carry it."""
    home = str(hunan_store.root.parent)
    args = ["--home", home, "warning", "--city", "永州", "--date", "2019-01-28"]
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    assert (data["level"], data["basis"]) == ("yellow", "forecast")
    today = data["decisions"][-1]
    assert today["issue_time"] == "2019-01-28 00:00:00"
    first = today["forecast"][0]
    assert first["day"] == "2019-01-28"
    assert first["p_gt200"] >= data["probability_thresholds"]["200"][0]
    assert 0 <= first["p_gt300"] <= first["p_gt200"] <= first["p_gt150"] <= 1
    shown = runner.invoke(app, args)
    assert shown.exit_code == 0
    assert "黄色预警" in shown.stdout
    assert "P>200" in shown.stdout


def _workbook(path: Path) -> None:
    plant = Enterprise(
        "E1",
        "某水泥厂",
        "水泥",
        "冷水滩区",
        "B",
        dict.fromkeys(("SO2", "NOx", "PM", "VOCs"), 300.0),
    )
    measures = [Measure("E1", "yellow", "cut", 1 / 3), Measure("E1", "orange", "cut", 2 / 3)]
    measures.append(Measure("E1", "red", "stop"))
    totals = dict.fromkeys(("SO2", "NOx", "PM", "VOCs"), 1000.0)
    write_emergency_workbook(EmergencyList("永州", totals, [plant], measures), path)


def test_emergency_import_check_export(tmp_path):
    book = tmp_path / "list.xlsx"
    _workbook(book)
    home = ["--home", str(tmp_path / "home")]
    result = runner.invoke(app, [*home, "emergency", "import", str(book), "--city", "永州"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, [*home, "emergency", "check", "--city", "永州", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["ok"] is True
    out = tmp_path / "out.xlsx"
    result = runner.invoke(app, [*home, "emergency", "export", "--city", "永州", "-o", str(out)])
    assert result.exit_code == 0
    assert out.exists()
    missing = runner.invoke(app, [*home, "emergency", "check", "--city", "长沙"])
    assert missing.exit_code == 2


def test_emergency_check_fails_when_short(tmp_path):
    book = tmp_path / "list.xlsx"
    _workbook(book)
    from openpyxl import load_workbook

    workbook = load_workbook(book)
    workbook["排放总量"]["B2"] = 1001  # SO2: the red stop is now 300 of 300.3 t required
    workbook.save(book)
    home = ["--home", str(tmp_path / "home")]
    runner.invoke(app, [*home, "emergency", "import", str(book), "--city", "永州"])
    result = runner.invoke(app, [*home, "emergency", "check", "--city", "永州"])
    assert result.exit_code == 1
    assert "缺口" in result.stdout


def test_emergency_import_lists_row_errors(tmp_path):
    book = tmp_path / "bad.xlsx"
    _workbook(book)
    from openpyxl import load_workbook

    workbook = load_workbook(book)
    workbook["减排措施"].append(["E1", "紫色", "停产"])
    workbook.save(book)
    result = runner.invoke(
        app, ["--home", str(tmp_path), "emergency", "import", str(book), "--city", "永州"]
    )
    assert result.exit_code == 1
    assert "减排措施 第5行 预警级别" in result.stderr


def _commands(typer_app, prefix):
    return [f"lantian {prefix} {name}" for name in typer.main.get_group(typer_app).commands]


@pytest.mark.parametrize(
    "command",
    [
        "lantian forecast",
        "lantian warning",
        *_commands(forecast_app, "forecast"),
        *_commands(emergency_app, "emergency"),
    ],
)
def test_every_command_is_documented(command):
    assert f"`{command}" in DOC


@pytest.mark.parametrize(
    "name",
    [
        "warning_schemes",
        "warning_levels",
        "reduction_shares",
        "measure_kinds",
        "met_stations",
        "holidays",
        "localities.toml",
    ],
)
def test_every_table_is_documented(name):
    assert name in DOC


@pytest.mark.parametrize(
    "value", [*scheme_names(), *known("measure_kinds", "kind"), *FORECAST_SCHEMA.names]
)
def test_every_scheme_kind_and_stored_column_is_documented(value):
    assert f"`{value}`" in DOC


def test_every_warning_row_cites_a_source():
    for name in (
        "warning_schemes",
        "reduction_shares",
        "warning_levels",
        "measure_kinds",
        "met_stations",
        "holidays",
    ):
        assert all(row["source"] for row in table(name)), name
