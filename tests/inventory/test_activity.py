"""Activity templates: written from the registry, read by the registry's reader layer, imported
all or nothing with every problem named by sheet, row and column. Rows are constructed here or
are the bundled EXAMPLE (示例数据)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from lantian.ingest.schema import FormatError
from lantian.ingest.sheets import read_table_file
from lantian.inventory.activity import (
    TEMPLATES,
    ActivityImportError,
    activity_rows,
    import_activity,
    site_months,
    template_workbook,
)
from lantian.inventory.example import import_example_activity
from lantian.inventory.models import ActivityRow
from lantian.plan.access import SYSTEM, Actor
from lantian.plan.database import transaction
from lantian.plan.errors import LedgerPermissionError

from .helpers import csv_bytes, headers, row, workbook_bytes


def problems(ledger, data: bytes, name: str = "活动水平.xlsx", **options) -> list[tuple]:
    with pytest.raises(ActivityImportError) as raised, transaction(ledger) as db:
        import_activity(db, SYSTEM, name, data, 2019, **options)
    with transaction(ledger) as db:
        assert db.scalar(select(func.count(ActivityRow.id))) == 0  # nothing stored
    return [(r.source, r.line, r.field, r.reason) for r in raised.value.rejections]


def test_template_is_filled_from_the_registry(ledger):
    with transaction(ledger) as db:
        data = template_workbook(db, SYSTEM, 2019)
    sites = read_table_file("t.xlsx", data, "施工扬尘")
    assert sites.header == headers("sites")
    cells = dict(zip(sites.header, [c[0].as_py() for c in sites.columns], strict=True))
    # 示例GD01: 房建, 18 000 m² disturbed, 2019-01-01 → 2021-03-30: all 12 months of 2019
    assert cells["工地编号"] == "示例GD01"
    assert cells["工地类别"] == "建筑施工"
    assert cells["施工面积（平方米）"] == "18000"
    assert cells["施工月数（月）"] == "12"
    assert cells["边界围挡（达标）"] == "否"
    assert cells["道路硬化措施（达标）"] == "是"
    roads = read_table_file("t.xlsx", data, "道路扬尘")
    assert roads.columns[roads.header.index("长度（米）")].to_pylist() == ["2200", "1400", "900"]
    assert [s for s in (t.table.sheet for t in TEMPLATES.values())] == [
        name
        for name in __import__("openpyxl").load_workbook(__import__("io").BytesIO(data)).sheetnames
    ]


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        ("2019-01-01", "2021-03-30", 12.0),  # the whole year
        ("2019-07-01", "2019-12-31", 6.0),  # 184 days × 12 / 365 = 6.05 → 6.0 (one decimal)
        ("2018-01-01", "2018-12-31", 0.0),  # ended before the year
    ],
)
def test_site_months(start, end, months):
    import datetime as dt

    assert site_months(dt.date.fromisoformat(start), dt.date.fromisoformat(end), 2019) == months


def test_example_imports_and_is_marked(ledger):
    with transaction(ledger) as db:
        counts = import_example_activity(db, SYSTEM, 2019)
    assert counts["sites"] == 10
    assert counts["roads"] == 3
    with transaction(ledger) as db:
        stored = activity_rows(db, SYSTEM, 2019)
        assert all(r.example for rows in stored.values() for r in rows)
        assert stored["sites"][0].source_id is not None


def test_every_problem_of_every_sheet_by_sheet_row_and_column(ledger):
    """The registry reader's cell problems, then the inventory's own checks (a sheet whose cells
    do not read is checked further once they do)."""
    data = workbook_bytes(
        {
            "sites": [
                headers("sites"),
                row("sites", source_code="示例GD01", source_type="建筑施工", area=10, months=6),
                row("sites", source_code="不存在的工地", source_type="建筑施工", area=1, months=1),
                row("sites", source_code="示例DL01", source_type="建筑施工", area=1, months=1),
            ],
            "roads": [
                headers("roads"),
                row(
                    "roads",
                    source_code="示例DL01",
                    length_m=1,
                    traffic=1,
                    weight=1,
                    silt_loading=1,
                    efficiency=120,
                ),
                row(
                    "roads", source_code="示例DL01", length_m=1, traffic=1, weight=1, silt_loading=1
                ),
            ],
            "yards": [
                headers("yards"),
                row("yards", source_code="示例DC01", pollutant="TSP", handled="十"),
            ],
            "catering": [
                headers("catering"),
                row(
                    "catering",
                    source_code="示例CY01",
                    pollutant="PM2.5",
                    stoves=2,
                    hours=10,
                    factor=1.0,
                ),
            ],
            "emission_factor": [
                headers("emission_factor"),
                row(
                    "emission_factor",
                    category="工艺过程源",
                    pollutant="VOCs",
                    activity=1,
                    activity_unit="t",
                    factor=1,
                    factor_unit="磅/吨",
                    factor_source="x",
                ),
            ],
        }
    )
    found = problems(ledger, data)
    assert ("活动水平.xlsx!堆场扬尘", 2, "物料装卸量（吨）", "not_a_number") in found
    assert ("活动水平.xlsx!施工扬尘", 3, "工地编号", "unknown_source") in found
    assert (
        "活动水平.xlsx!施工扬尘",
        4,
        "工地编号",
        "unknown_source",
    ) in found  # a road, not a site
    assert ("活动水平.xlsx!道路扬尘", 2, "控制效率（%）", "bad_percent") in found
    assert ("活动水平.xlsx!道路扬尘", 3, "道路编号", "duplicate") in found
    assert ("活动水平.xlsx!餐饮油烟", 2, "系数来源", "empty") in found
    assert ("活动水平.xlsx!排放系数法", 2, "排放系数单位", "bad_choice") in found


def test_missing_column_unknown_column_and_csv_without_template(ledger):
    rows = [["工地编号", "奇怪的列"], ["示例GD01", "x"]]
    found = problems(ledger, csv_bytes(rows), "sites.csv", template="sites")
    assert ("sites.csv", 1, "奇怪的列", "unknown_column") in found
    assert ("sites.csv", 1, "工地类别", "missing_column") in found
    with pytest.raises(FormatError, match="give --template"), transaction(ledger) as db:
        import_activity(db, SYSTEM, "sites.csv", csv_bytes(rows), 2019)


def test_a_reimport_replaces_the_years_rows_of_that_template_only(ledger):
    with transaction(ledger) as db:
        import_example_activity(db, SYSTEM, 2019)
        import_example_activity(db, SYSTEM, 2020)
    data = csv_bytes(
        [
            headers("roads"),
            row("roads", source_code="示例DL02", length_m=1, traffic=1, weight=1, silt_loading=1),
        ]
    )
    with transaction(ledger) as db:
        import_activity(db, SYSTEM, "roads.csv", data, 2019, template="roads")
    with transaction(ledger) as db:
        assert [r.row_key for r in activity_rows(db, SYSTEM, 2019)["roads"]] == ["示例DL02"]
        assert len(activity_rows(db, SYSTEM, 2019)["sites"]) == 10
        assert len(activity_rows(db, SYSTEM, 2020)["roads"]) == 3


def test_a_leader_may_not_import(ledger):
    leader = Actor(id=None, name="领导", role="leader")
    with pytest.raises(LedgerPermissionError), transaction(ledger) as db:
        import_activity(db, leader, "x.csv", b"", 2019, template="roads")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cells=st.lists(st.text(max_size=12), min_size=4, max_size=4))
def test_any_cell_text_is_stored_or_named_never_a_crash(ledger, cells):
    """Arbitrary text in a road row's number cells: imported when every cell reads as a number
    within its range, otherwise refused with every bad cell named — never another exception."""
    data = csv_bytes([headers("roads")[:1] + headers("roads")[2:6], ["示例DL01", *cells]])
    refused: list = []
    try:
        with transaction(ledger) as db:
            import_activity(db, SYSTEM, "roads.csv", data, 2019, template="roads")
    except ActivityImportError as error:
        refused = error.rejections
    except FormatError:
        return
    if refused:
        assert all(r.line in (1, 2) and r.field for r in refused)


def test_the_filled_template_imports_back_and_unfilled_cells_are_named(ledger):
    """The sites' sheet is complete from the registry and imports as it is; the roads' sheet
    needs the district's traffic, weights and silt loadings: each empty required cell is named."""
    with transaction(ledger) as db:
        data = template_workbook(db, SYSTEM, 2019, ["sites", "roads"])
    found = problems(ledger, data, "模板.xlsx")
    assert {(f, r) for _, _, f, r in found} == {
        ("日均车流量（辆/日）", "empty"),
        ("平均车重（吨）", "empty"),
        ("积尘负荷（克/平方米）", "empty"),
    }
    with transaction(ledger) as db:
        sites_only = template_workbook(db, SYSTEM, 2019, ["sites"])
        assert import_activity(db, SYSTEM, "模板.xlsx", sites_only, 2019) == {"sites": 10}
