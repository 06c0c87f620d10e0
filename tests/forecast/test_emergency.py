"""The reduction check (10/20/30 % of society-wide emissions, standards.md §6.1) and the workbook."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from lantian.forecast.emergency import (
    EmergencyList,
    Enterprise,
    Measure,
    check,
    expected_reductions,
    load,
    required_shares,
    save,
)
from lantian.forecast.emergency_xlsx import (
    EmergencyImportError,
    read_emergency_workbook,
    write_emergency_workbook,
)

TOTALS = {"SO2": 1000.0, "NOx": 2000.0, "PM": 500.0, "VOCs": 800.0}
SHARES = required_shares("2018")


def enterprise(identifier: str, grade: str = "B", **baseline: float) -> Enterprise:
    emissions = {"SO2": 0.0, "NOx": 0.0, "PM": 0.0, "VOCs": 0.0, **baseline}
    return Enterprise(identifier, f"企业{identifier}", "水泥", "冷水滩区", grade, emissions)


def exactly_enough() -> EmergencyList:
    """One plant whose stop removes exactly 30 % of each pollutant; cuts of 1/3 and 2/3 give 10, 20 %."""
    plant = enterprise("E1", SO2=300.0, NOx=600.0, PM=150.0, VOCs=240.0)
    measures = [
        Measure("E1", "yellow", "cut", cut_share=1 / 3),
        Measure("E1", "orange", "cut", cut_share=2 / 3),
        Measure("E1", "red", "stop"),
    ]
    return EmergencyList("永州", TOTALS, [plant], measures)


def test_required_shares_are_the_table_10_20_30():
    assert SHARES["yellow"] == dict.fromkeys(("SO2", "NOx", "PM", "VOCs"), 0.10)
    assert SHARES["orange"]["NOx"] == 0.20
    assert SHARES["red"]["VOCs"] == 0.30
    assert required_shares("2018", {"red": 0.35})["red"]["SO2"] == 0.35
    with pytest.raises(KeyError, match="2018"):
        required_shares("1999")


def test_exactly_the_required_share_passes():
    result = check(exactly_enough(), SHARES)
    assert result["ok"], result["missing"]
    red_so2 = next(r for r in result["levels"] if r["level"] == "red" and r["pollutant"] == "SO2")
    assert red_so2 == {
        "level": "red",
        "pollutant": "SO2",
        "total": 1000.0,
        "required_share": 0.30,
        "required": 300.0,
        "achieved": 300.0,
        "achieved_share": 0.3,
        "shortfall": 0.0,
        "ok": True,
    }


def test_just_below_the_share_reports_the_shortfall():
    short = exactly_enough()
    short.enterprises[0].baseline["PM"] = 149.0  # red: 149 t of the 150 t required
    result = check(short, SHARES)
    assert not result["ok"]
    red_pm = next(r for r in result["levels"] if r["level"] == "red" and r["pollutant"] == "PM")
    assert (red_pm["achieved"], red_pm["shortfall"], red_pm["ok"]) == (149.0, 1.0, False)
    shortfalls = [m for m in result["missing"] if m["kind"] == "shortfall"]
    assert {(m["level"], m["pollutant"]) for m in shortfalls} == {
        ("yellow", "PM"),
        ("orange", "PM"),
        ("red", "PM"),
    }
    red = next(m for m in shortfalls if m["level"] == "red")
    assert (
        red["text_zh"]
        == "红色预警：PM减排量149吨/年，未达到全社会排放量的30%（150吨/年），缺口1吨/年"
    )


def test_reductions_by_kind_and_stated_values():
    plant = enterprise("E1", SO2=100.0, NOx=200.0)
    measures = [
        Measure("E1", "yellow", "stagger", reductions={"SO2": 5.0}),
        Measure("E1", "orange", "cut", cut_share=0.5, reductions={"NOx": 150.0}),
        Measure("E1", "red", "stop"),
    ]
    values = expected_reductions(EmergencyList("永州", TOTALS, [plant], measures))
    assert values[0, 0] == 5.0
    assert values[0, 1] != values[0, 1]
    assert values[1].tolist()[:2] == [50.0, 150.0]  # cut: share × baseline unless stated
    assert values[2].tolist()[:2] == [100.0, 200.0]  # stop: the whole baseline


def test_missing_measures_a_grade_exemption_and_falling_reductions():
    listed = exactly_enough()
    listed.enterprises.append(enterprise("E2", grade="C", SO2=10.0))
    listed.enterprises.append(enterprise("E3", grade="A", SO2=10.0))
    listed.measures.extend([Measure("E2", "yellow", "stop"), Measure("E2", "orange", "cut", 0.5)])
    listed.measures.append(Measure("E9", "red", "stop"))
    missing = check(listed, SHARES)["missing"]
    kinds = {(m["kind"], m.get("enterprise_id"), m.get("level")) for m in missing}
    assert ("no_measure", "E2", "red") in kinds
    assert not any(m.get("enterprise_id") == "E3" for m in missing)  # A grade: no measure required
    assert ("decreasing", "E2", "orange") in kinds
    assert ("unknown_enterprise", "E9", None) in kinds


def test_save_and_load_round_trip(tmp_path):
    listed = exactly_enough()
    save(tmp_path, listed)
    assert load(tmp_path, "永州") == listed
    with pytest.raises(FileNotFoundError, match="lantian emergency import"):
        load(tmp_path, "长沙")


def test_workbook_round_trip(tmp_path):
    listed = exactly_enough()
    path = tmp_path / "list.xlsx"
    write_emergency_workbook(listed, path, check(listed, SHARES))
    assert load_workbook(path).sheetnames == ["排放总量", "企业清单", "减排措施", "减排核算"]
    again = read_emergency_workbook(path, "永州")
    assert again.totals == listed.totals
    assert again.enterprises == listed.enterprises
    assert [(m.level, m.kind) for m in again.measures] == [
        (m.level, m.kind) for m in listed.measures
    ]
    assert check(again, SHARES)["ok"]


def test_bad_rows_are_reported_with_sheet_row_and_column(tmp_path):
    path = tmp_path / "bad.xlsx"
    write_emergency_workbook(exactly_enough(), path)
    workbook = load_workbook(path)
    workbook["企业清单"].append(["E1", "", "水泥", "零陵区", "E", "x", 0, 0, 0])
    workbook["减排措施"].append(["E7", "紫色", "停工", "150%", ""])
    workbook["减排措施"].append(["E1", "黄色", "限产", None, ""])
    workbook["排放总量"].append(["CO2", 5])
    workbook.save(path)
    with pytest.raises(EmergencyImportError) as caught:
        read_emergency_workbook(path, "永州")
    rejections = caught.value.rejections  # the registers' rejection type, file!sheet named
    assert {r.source.split("!")[0] for r in rejections} == {"bad.xlsx"}
    found = {(r.source.split("!")[1], r.line, r.field) for r in rejections}
    assert {
        ("企业清单", 3, "企业编号"),  # duplicate
        ("企业清单", 3, "企业名称"),
        ("企业清单", 3, "绩效分级"),
        ("企业清单", 3, "SO2基准排放量（吨/年）"),
        ("减排措施", 5, "企业编号"),
        ("减排措施", 5, "预警级别"),
        ("减排措施", 5, "措施类型"),
        ("减排措施", 5, "限产比例"),
        ("减排措施", 6, "限产比例"),
        ("排放总量", 6, "污染物"),
    } <= found


def test_not_a_workbook(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("not a zip")
    with pytest.raises(EmergencyImportError, match="xlsx"):
        read_emergency_workbook(path, "永州")
