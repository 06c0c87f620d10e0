"""``lantian inventory report``: the example inventory as HTML (offline, marked 示例数据, every
section present), xlsx (a sheet per table, the example note on each) and PDF (Chromium)."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from lantian.inventory.example import import_example_activity
from lantian.inventory.service import build_inventory
from lantian.plan.access import SYSTEM
from lantian.plan.database import transaction
from lantian.reports.inventory import EXAMPLE_NOTE, SHEETS, render_html, render_xlsx, report_data
from lantian.reports.monthly import find_chromium, html_to_pdf


@pytest.fixture
def data(ledger):
    with transaction(ledger) as db:
        import_example_activity(db, SYSTEM, 2019)
    for _ in range(2):  # two versions: the report compares them
        with transaction(ledger) as db:
            build_inventory(db, SYSTEM, 2019)
    return report_data(2019)


def test_html_is_offline_marked_and_complete(data):
    html = render_html(data)
    assert 'id="example-banner"' in html
    assert "不是冷水滩区的真实排放清单" in html
    for section in (
        "totals",
        "comparison",
        "grid",
        "towns",
        "monthly",
        "uncertainty",
        "skipped",
        "factors",
    ):
        assert f'id="{section}"' in html
    for loads in ('src="http', "src='http", 'href="http', "@import", "url(http"):
        assert loads not in html  # nothing loaded from the internet (ECharts is inlined)
    assert data["map_cells"]
    assert data["map_pollutant"] == "PM2.5"
    assert data["no_range"] is True  # the example has no ranged factor: said so in the text
    assert "P5 = P95 = 排放量，不表示没有不确定性" in html


def test_xlsx_has_a_sheet_per_table_each_marked_example(data):
    book = load_workbook(io.BytesIO(render_xlsx(data)))
    assert book.sheetnames == [name for name, _ in SHEETS] + ["未计算的行"]
    for sheet in book.worksheets:
        assert sheet["A1"].value == EXAMPLE_NOTE
    totals = book["汇总"]
    assert [c.value for c in totals[2]] == ["源类别", "污染物", "排放量（吨）", "占比（%）"]


def test_pdf_is_printed_by_chromium(data, tmp_path):
    assert find_chromium(), "PDF needs Chromium (scripts/test installs it)"
    output = tmp_path / "清单.pdf"
    html_to_pdf(render_html(data), output)
    assert output.read_bytes().startswith(b"%PDF")
