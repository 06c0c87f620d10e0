"""The ledger in Excel, as the offices use it: the views exported one sheet each with Chinese headers,
a monthly-report template per unit, and the import of filled templates
(a row whose 状态, 累计完成量 and 进展情况 are all empty is a task not reported on, and skipped).

Reading is guarded by :func:`lantian.ingest.excel.open_workbook` with the ledger's :func:`limits`: a
file larger than ``MAX_FILE_BYTES``, a zip that would unpack to more than ``MAX_UNPACKED_BYTES``,
more cells than a template can need, a DOCTYPE, a sheet of more than ``MAX_ROWS`` rows or anything
that is not an xlsx workbook is refused with a clear error naming the file; only the first
``MAX_COLUMNS`` columns are read. Exported text that Excel would take for a formula is written as
text (:func:`lantian.ingest.excel.append_row`). An import is all or nothing: every row is checked by the
same service that files a report on the web, every problem is reported by sheet, row and column,
and if there is any the session is rolled back, so nothing of the workbook is stored.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from lantian.ingest.excel import WorkbookError, WorkbookLimits, append_row, open_workbook
from lantian.ingest.excel import sheet_rows as excel_rows
from lantian.plan.access import Actor, require
from lantian.plan.appraisal import assessment_table
from lantian.plan.errors import CellError, ImportRejectedError, LedgerError, LedgerValueError
from lantian.plan.models import Plan, Task
from lantian.plan.months import parse_month
from lantian.plan.plans import get_task, plan_tasks
from lantian.plan.reports import file_report
from lantian.plan.views import ledger, measures, month_summary, overdue
from lantian.plan.vocabulary import COLUMNS, REPORT_STATUSES, name_zh

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNPACKED_BYTES = 24 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 32

REPORT_SHEET = "月度进展"
REPORT_COLUMNS = ("task_id", "month", "unit", "measure", "title", "target_value", "quantity_unit")
REPORT_COLUMNS += ("status", "quantity", "narrative")
"""The template's columns: the first seven are filled in by Lantian, the last three by the unit."""
RAG_FILLS = {"red": "F8696B", "amber": "FFD966", "green": "63BE7B"}


def limits() -> WorkbookLimits:
    """What a ledger workbook may hold: a template of :data:`MAX_ROWS` rows of a few columns (the
    plan workbook's sheets are smaller), its narratives in shared strings."""
    return WorkbookLimits(
        file_bytes=MAX_FILE_BYTES,
        unpacked_bytes=MAX_UNPACKED_BYTES,
        part_bytes=MAX_UNPACKED_BYTES,
        cells=MAX_ROWS * 16,
        rows=MAX_ROWS,
        columns=MAX_COLUMNS,
    )


def _refused(error: WorkbookError) -> LedgerValueError:
    """The refusal as the ledger shows it: the file (and sheet) named in both languages."""
    return LedgerValueError(
        f"{error.source}：{error.reason_zh}", f"{error.source}: {error.reason}", error.source
    )


def read_workbook(source: Path | bytes, name: str | None = None) -> Workbook:
    """Open an xlsx workbook for reading through :func:`lantian.ingest.excel.open_workbook`:
    oversized, malformed, costly and zip-bomb files are refused (:class:`LedgerValueError`)."""
    name = name or (source.name if isinstance(source, Path) else "workbook.xlsx")
    content = source.read_bytes() if isinstance(source, Path) else source
    try:
        return open_workbook(name, content, limits())
    except WorkbookError as error:
        raise _refused(error) from None


def sheet_rows(workbook: Workbook, sheet: str, source: str) -> list[tuple]:
    """The rows of ``sheet`` as tuples of cell values (at most ``MAX_ROWS``)."""
    try:
        return list(excel_rows(workbook, sheet, source, limits()))
    except WorkbookError as error:
        raise _refused(error) from None


def write_sheet(workbook: Workbook, title: str, rows: Iterable[dict], keys: list[str]) -> None:
    """A sheet of ``rows`` under the Chinese headers of ``keys``; the 红黄绿 column is coloured."""
    sheet = workbook.create_sheet(title)
    append_row(sheet, [COLUMNS[key] for key in keys])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in rows:
        values = [row.get(key) for key in keys]
        if "rag" in keys:
            values[keys.index("rag")] = name_zh("rag", row.get("rag"))
        append_row(sheet, ["、".join(v) if isinstance(v, list) else v for v in values])
        if "rag" in keys and row.get("rag"):
            colour = RAG_FILLS[row["rag"]]
            cell = sheet.cell(row=sheet.max_row, column=keys.index("rag") + 1)
            cell.fill = PatternFill("solid", start_color=colour, end_color=colour)
    for index, key in enumerate(keys, start=1):
        wide = key in {"title", "measure_title", "item", "content", "narrative", "finding"}
        sheet.column_dimensions[get_column_letter(index)].width = 40 if wide else 12
    sheet.freeze_panes = "A2"


LEDGER_KEYS = ["task_id", "measure", "category", "measure_title", "unit", "role", "title"]
LEDGER_KEYS += ["comparison", "target_value", "quantity_unit", "deadline", "month", "status"]
LEDGER_KEYS += ["quantity", "progress", "review_status", "rag", "rag_reason"]
OVERDUE_KEYS = ["kind_zh", "unit", "measure", "item", "due", "days_overdue"]
SUMMARY_KEYS = ["unit", "tasks", "filed", "missing", "red", "amber", "green"]
ASSESSMENT_KEYS = ["rank", "unit", "unit_kind", "score", "grade", "deduction", "reports_due"]
ASSESSMENT_KEYS += ["reports_on_time", "tasks", "targets"]
ASSESSMENT_KEYS += ["cases_on_time", "cases_overdue", "cases_repeat"]
MEASURE_KEYS = ["number", "category", "title", "lead", "cooperate", "implement", "participate"]
MEASURE_KEYS += ["content"]
SUPERVISION_KEYS = ["step", "unit", "measure", "on", "finding", "follow_up_deadline", "closed_on"]
SUPERVISION_KEYS += ["closure"]


def export_views(
    db: Session, actor: Actor, plan: Plan, path: Path, month: str, year: int | None = None
) -> list[str]:
    """Write the ledger, overdue list, month summary, year-end table and measures to ``path``."""
    require(actor, "ledger.read")
    month = parse_month(month)
    year = year or int(month[:4])
    workbook = Workbook()
    workbook.remove(workbook.active)
    write_sheet(workbook, "台账", ledger(db, actor, plan, month), LEDGER_KEYS)
    write_sheet(workbook, "逾期清单", overdue(db, actor, plan, month), OVERDUE_KEYS)
    summary = month_summary(db, actor, plan, month)
    write_sheet(workbook, "月度汇总", summary["units"], SUMMARY_KEYS)
    write_sheet(workbook, "督查督办", summary["supervision"], SUPERVISION_KEYS)
    write_sheet(
        workbook, "年度考核", assessment_table(db, actor, plan, year)["rows"], ASSESSMENT_KEYS
    )
    write_sheet(workbook, "措施清单", measures(db, actor, plan), MEASURE_KEYS)
    workbook.save(path)
    return workbook.sheetnames


def _template_tasks(db: Session, actor: Actor, plan: Plan, unit_id: int | None) -> list[Task]:
    tasks = plan_tasks(db, plan)
    if actor.role == "reporter":
        unit_id = actor.unit_id
    if unit_id is not None:
        require(actor, "unit.read", unit_id=unit_id)
        return [task for task in tasks if task.unit_id == unit_id]
    require(actor, "ledger.read")
    return tasks


def write_report_template(
    db: Session, actor: Actor, plan: Plan, path: Path, month: str, unit_id: int | None = None
) -> int:
    """Write the monthly-report template of ``month`` (one row per task of the unit); row count."""
    month = parse_month(month)
    tasks = _template_tasks(db, actor, plan, unit_id)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = REPORT_SHEET
    append_row(sheet, [COLUMNS[key] for key in REPORT_COLUMNS])
    for task in tasks:
        append_row(
            sheet,
            [
                task.id,
                month,
                task.unit.name,
                task.measure.number,
                task.title,
                task.target_value,
                task.target.quantity_unit if task.target else None,
            ],
        )
    for index, key in enumerate(REPORT_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = (
            40 if key in {"title", "narrative"} else 12
        )
    notes = workbook.create_sheet("说明")
    notes.append(["填写“状态”“累计完成量”“进展情况”三列；其余列请勿修改。"])
    notes.append(["状态可填：" + "、".join(REPORT_STATUSES.values())])
    notes.append(["累计完成量：截至该月底的累计数，计量单位见“计量单位”列；无目标值的任务不填。"])
    workbook.save(path)
    return len(tasks)


HEADER_FIELDS = {COLUMNS[key]: key for key in REPORT_COLUMNS}
FIELD_COLUMN = {
    "task_id": "任务编号",
    "month": "月份",
    "status": "状态",
    "quantity": "累计完成量",
    "quantity_unit": "计量单位",
    "narrative": "进展情况",
    "unit": "责任单位",
    "role": "责任单位",
}


def _header(rows: list[tuple], source: str) -> dict[str, int]:
    if not rows:
        raise ImportRejectedError(source, [CellError(REPORT_SHEET, 1, "", "工作表为空", "empty")])
    header = {str(v).strip(): i for i, v in enumerate(rows[0]) if v is not None}
    missing = [c for c in ("任务编号", "月份", "状态") if c not in header]
    if missing:
        raise ImportRejectedError(
            source, [CellError(REPORT_SHEET, 1, c, "缺少该列", "missing column") for c in missing]
        )
    return {HEADER_FIELDS[name]: index for name, index in header.items() if name in HEADER_FIELDS}


FILLED_BY_UNIT = ("status", "quantity", "narrative")


def _blank(value) -> bool:
    return value is None or str(value).strip() == ""


def _cells(row: tuple, columns: dict[str, int]) -> dict:
    return {key: (row[i] if i < len(row) else None) for key, i in columns.items()}


def _number(value, column: str, line: int) -> float | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise CellError(REPORT_SHEET, line, column, "应为数值", "must be a number")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise CellError(
            REPORT_SHEET, line, column, f"“{value}”不是数值", f"{value!r} is not a number"
        ) from None


def _file_row(db: Session, actor: Actor, cells: dict, line: int, now) -> None:
    task_id = _number(cells.get("task_id"), "任务编号", line)
    if task_id is None or task_id != int(task_id):
        raise CellError(REPORT_SHEET, line, "任务编号", "应为任务编号（整数）", "a task id")
    task = get_task(db, int(task_id))
    unit = cells.get("unit")
    if unit not in (None, "") and str(unit).strip() != task.unit.name:
        raise CellError(
            REPORT_SHEET,
            line,
            "责任单位",
            f"任务 {task.id} 的责任单位是“{task.unit.name}”，不是“{unit}”",
            f"task {task.id} belongs to {task.unit.name!r}, not {unit!r}",
        )
    month = cells.get("month")
    month = parse_month(month if isinstance(month, dt.date) else str(month or ""))
    quantity_unit = cells.get("quantity_unit")
    file_report(
        db,
        actor,
        task.id,
        month,
        str(cells.get("status") or "").strip(),
        quantity=_number(cells.get("quantity"), "累计完成量", line),
        narrative=str(cells.get("narrative") or "").strip(),
        quantity_unit=str(quantity_unit) if quantity_unit is not None else None,
        now=now,
    )


def import_reports(
    db: Session,
    actor: Actor,
    source: Path | bytes,
    name: str | None = None,
    now: dt.datetime | None = None,
) -> int:
    """File every row of a filled template; all or nothing (see the module). Rows filed."""
    require(actor, "report.file", unit_id=actor.unit_id)  # rows of other units: row errors
    name = name or (source.name if isinstance(source, Path) else "workbook.xlsx")
    workbook = read_workbook(source, name)
    if REPORT_SHEET not in workbook.sheetnames:
        raise ImportRejectedError(
            name, [CellError(REPORT_SHEET, 0, "", "缺少工作表", "missing sheet")]
        )
    rows = sheet_rows(workbook, REPORT_SHEET, name)
    columns = _header(rows, name)
    errors, seen, filed = [], {}, 0
    for line, row in enumerate(rows[1:], start=2):
        cells = _cells(row, columns)
        if all(_blank(cells.get(key)) for key in FILLED_BY_UNIT):
            continue  # a task the unit did not report on this time
        key = (cells.get("task_id"), str(cells.get("month")))
        if key in seen:
            errors.append(
                CellError(
                    REPORT_SHEET,
                    line,
                    "任务编号",
                    f"与第 {seen[key]} 行重复",
                    f"duplicates row {seen[key]}",
                )
            )
            continue
        seen[key] = line
        try:
            _file_row(db, actor, cells, line, now)
            filed += 1
        except CellError as error:
            errors.append(error)
        except LedgerError as error:
            column = FIELD_COLUMN.get(error.field or "", error.field or "")
            errors.append(CellError(REPORT_SHEET, line, column, error.zh, error.en))
    if errors:
        db.rollback()
        raise ImportRejectedError(name, errors)
    return filed
