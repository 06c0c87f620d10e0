"""xlsx: the views exported as offices lay them out, the monthly-report template round trip, plan
workbooks, and bad workbooks refused with row-level errors and nothing stored."""

from __future__ import annotations

import copy
import io
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lantian.plan import plans, xlsx
from lantian.plan.errors import ImportRejectedError, LedgerValueError
from lantian.plan.models import Plan, Report
from lantian.plan.plan_workbook import import_plan, plan_data, write_plan_workbook
from lantian.plan.views import ledger, measures

from .helpers import NOW, audit_count, report_workbook, task_of


def test_export_views_one_sheet_each_with_chinese_headers(db, actors, tmp_path):
    path = tmp_path / "台账.xlsx"
    sheets = xlsx.export_views(db, actors["office"], plans.get_plan(db), path, "2019-05")
    assert sheets == ["台账", "逾期清单", "月度汇总", "督查督办", "年度考核", "措施清单"]
    book = load_workbook(path)
    ledger_sheet = book["台账"]
    headers = [c.value for c in ledger_sheet[1]]
    assert headers[:7] == ["任务编号", "措施编号", "类别", "措施", "责任单位", "角色", "任务"]
    assert "红黄绿" in headers
    assert ledger_sheet.max_row == 1 + 141
    rag = headers.index("红黄绿")
    colours = {
        row[rag].value: row[rag].fill.start_color.rgb[-6:]
        for row in ledger_sheet.iter_rows(min_row=2)
    }
    assert colours.get("黄") in (None, "FFD966")
    assert book["措施清单"].max_row == 1 + 27


def test_leaders_export_but_reporters_do_not(db, actors, tmp_path):
    xlsx.export_views(db, actors["leader"], plans.get_plan(db), tmp_path / "a.xlsx", "2019-05")
    with pytest.raises(PermissionError):
        xlsx.export_views(db, actors["hb"], plans.get_plan(db), tmp_path / "b.xlsx", "2019-05")


def _fill(path, values: dict[int, dict]) -> bytes:
    """Fill the template at ``path``: task id → {header: value}."""
    book = load_workbook(path)
    sheet = book["月度进展"]
    headers = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for header, value in values.get(row[0].value, {}).items():
            row[headers.index(header)].value = value
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_template_round_trip(db, actors, tmp_path):
    plan = plans.get_plan(db)
    path = tmp_path / "模板.xlsx"
    count = xlsx.write_report_template(db, actors["hb"], plan, path, "2019-03")
    assert count == 24  # 区环保局's tasks only
    permits = task_of(db, "区环保局", 11, "discharge-permits")
    general = task_of(db, "区环保局", 12)
    filled = _fill(
        path,
        {
            permits.id: {"状态": "推进中", "累计完成量": 6, "进展情况": "已核发6个行业"},
            general.id: {"状态": "已完成", "进展情况": "完成年度减排项目"},
        },
    )
    assert xlsx.import_reports(db, actors["hb"], filled, now=NOW) == 2
    db.commit()
    rows = {r["task_id"]: r for r in ledger(db, actors["office"], plan, "2019-03")}
    assert (rows[permits.id]["status"], rows[permits.id]["quantity"]) == ("推进中", 6)
    assert rows[general.id]["status"] == "已完成"


def _rejected(db, actors, content, actor="hb") -> ImportRejectedError:
    before = (audit_count(db), db.scalar(select(func.count(Report.id))))
    with pytest.raises(ImportRejectedError) as caught:
        xlsx.import_reports(db, actors[actor], content, now=NOW)
    assert (audit_count(db), db.scalar(select(func.count(Report.id)))) == before
    return caught.value


def test_row_errors_name_sheet_row_and_column_and_nothing_is_imported(db, actors):
    permits = task_of(db, "区环保局", 11, "discharge-permits")
    roads = task_of(db, "区住建局", 1)
    good = {
        "task_id": permits.id,
        "month": "2019-03",
        "status": "推进中",
        "quantity": 6,
        "quantity_unit": "个行业",
    }
    rows = [
        good,  # row 2: fine, but must not be stored since others fail
        {**good, "month": "2019-04", "unit": "区住建局"},  # 3: wrong unit named
        {"task_id": roads.id, "month": "2019-03", "status": "推进中"},  # 4: another unit's task
        {**good, "month": "2019-05", "status": "快完成了"},  # 5: bad status
        {**good, "month": "2019-06", "quantity_unit": "家"},  # 6: wrong unit of measurement
        {**good, "month": "2019-07", "quantity": "六个"},  # 7: not a number
        good,  # 8: duplicate of row 2
        {**good, "task_id": 99999, "month": "2019-08"},  # 9: no such task
        {**good, "month": "下个月"},  # 10: not a month
    ]
    error = _rejected(db, actors, report_workbook(rows))
    found = {(e.sheet, e.row, e.column) for e in error.errors}
    assert found == {
        ("月度进展", 3, "责任单位"),
        ("月度进展", 4, "责任单位"),
        ("月度进展", 5, "状态"),
        ("月度进展", 6, "计量单位"),
        ("月度进展", 7, "累计完成量"),
        ("月度进展", 8, "任务编号"),
        ("月度进展", 9, "任务编号"),
        ("月度进展", 10, "月份"),
    }
    assert "未导入任何数据" in str(error)


def test_a_locked_month_in_the_workbook_rejects_it_all(db, actors):
    permits = task_of(db, "区环保局", 11, "discharge-permits")
    from lantian.plan.reports import lock_month

    lock_month(db, actors["office"], plans.get_plan(db), "2019-04")
    db.commit()
    rows = [
        {"task_id": permits.id, "month": m, "status": "推进中", "quantity": 1}
        for m in ("2019-03", "2019-04")
    ]
    error = _rejected(db, actors, report_workbook(rows))
    assert [(e.row, e.column) for e in error.errors] == [(3, "月份")]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"this is not a workbook", "不是有效的 xlsx"),
        (b"PK\x03\x04 truncated zip", "不是有效的 xlsx"),
        (_zip({"hello.txt": b"hi"}), "不是有效的 xlsx"),
        (_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<broken"}), "无法读取"),
    ],
)
def test_malformed_files_are_refused(db, actors, content, message):
    with pytest.raises(LedgerValueError, match=message):
        xlsx.import_reports(db, actors["hb"], content, now=NOW)


def test_oversized_files_are_refused(db, actors, monkeypatch):
    content = report_workbook([])
    monkeypatch.setattr(xlsx, "MAX_FILE_BYTES", len(content) - 1)
    with pytest.raises(LedgerValueError, match="文件超过"):
        xlsx.import_reports(db, actors["hb"], content, now=NOW)


def test_zip_bombs_are_refused(db, actors, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_UNPACKED_BYTES", 1_000_000)
    parts = {"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}
    bomb = _zip({**parts, "xl/big.xml": b"\0" * 1_000_001})
    assert len(bomb) < 10_000  # small on disk, large unpacked
    with pytest.raises(LedgerValueError, match="解压后过大"):
        xlsx.import_reports(db, actors["hb"], bomb, now=NOW)


def test_too_many_rows_are_refused(db, actors, monkeypatch):
    monkeypatch.setattr(xlsx, "MAX_ROWS", 3)
    rows = [{"task_id": 1, "month": "2019-03", "status": "推进中"}] * 4
    with pytest.raises(LedgerValueError, match="超过 3 行"):
        xlsx.import_reports(db, actors["hb"], report_workbook(rows), now=NOW)


def test_missing_sheet_and_columns(db, actors):
    error = _rejected(db, actors, report_workbook([], header=["任务编号", "状态"]))
    assert [(e.row, e.column) for e in error.errors] == [(1, "月份")]
    book = io.BytesIO()
    from openpyxl import Workbook

    Workbook().save(book)
    error = _rejected(db, actors, book.getvalue())
    assert error.errors[0].sheet == "月度进展"


def test_plan_workbook_round_trip(db, actors, tmp_path):
    path = tmp_path / "plan.xlsx"
    data = copy.deepcopy(plan_data(plans.get_plan(db)))
    data["plan"]["code"] = "lengshuitan-2019-copy"
    write_plan_workbook(data, path)
    copied = import_plan(db, actors["office"], path)
    db.commit()
    original = measures(db, actors["office"], plans.get_plan(db, "lengshuitan-2019"))
    assert measures(db, actors["office"], copied) == original
    assert len(plans.plan_tasks(db, copied)) == 141


def test_plan_workbook_equals_the_bundled_data(tmp_path):
    from lantian.plan.plan_workbook import _strip_rows, read_plan_workbook

    write_plan_workbook(plans.example_plan_data(), tmp_path / "p.xlsx")
    assert _strip_rows(read_plan_workbook(tmp_path / "p.xlsx")) == plans.example_plan_data()


def test_bad_plan_workbook_errors_name_sheet_row_column(db, actors, tmp_path):
    data = copy.deepcopy(plans.example_plan_data())
    data["plan"]["code"] = "broken"
    data["measures"][2]["lead"] = ["区不存在局"]  # 措施 row 4
    data["measures"][1]["targets"][0]["comparison"] = "约"  # 量化目标 row 2
    data["units"][0]["kind"] = "department"
    path = tmp_path / "bad.xlsx"
    write_plan_workbook(data, path)
    book = load_workbook(path)
    book["单位"]["B3"] = "机关"  # not a unit kind
    book.save(path)
    before = db.scalar(select(func.count(Plan.id)))
    with pytest.raises(ImportRejectedError) as caught:
        import_plan(db, actors["office"], path)
    found = {(e.sheet, e.row, e.column) for e in caught.value.errors}
    assert found == {("单位", 3, "类型")}  # read errors come first
    book["单位"]["B3"] = "区直部门"
    book.save(path)
    with pytest.raises(ImportRejectedError) as caught:
        import_plan(db, actors["office"], path)
    found = {(e.sheet, e.row, e.column) for e in caught.value.errors}
    assert found == {("措施", 4, "牵头单位"), ("量化目标", 2, "比较")}
    db.rollback()
    assert db.scalar(select(func.count(Plan.id))) == before
