"""A plan as an xlsx workbook: write any plan's data to the office's layout and read one back.

Sheets (Chinese headers from ``vocabulary.PLAN_COLUMNS``): 计划 (field/value pairs), 空气质量目标,
单位, 类别, 措施 (units of each role joined by “、”) and 量化目标 (one row per target, by measure
number). :func:`import_plan` checks the whole workbook and reports every problem by sheet, row and
column before anything is stored.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.ingest.excel import append_row
from lantian.plan.access import Actor, require
from lantian.plan.errors import CellError, ImportRejectedError, LedgerError
from lantian.plan.models import Plan, Unit
from lantian.plan.plans import PLAN_FIELDS, plan_problems, store_plan
from lantian.plan.vocabulary import PLAN_COLUMNS, UNIT_KINDS, UNIT_ROLES, code
from lantian.plan.xlsx import read_workbook, sheet_rows

AIR_KEYS = ["pollutant", "metric", "comparison", "value", "baseline", "baseline_year"]
AIR_KEYS += ["quantity_unit", "standard", "years", "quote", "note"]
SHEETS: dict[str, tuple[str, list[str]]] = {
    "空气质量目标": ("air_targets", AIR_KEYS),
    "单位": ("units", ["name", "kind", "note"]),
    "类别": ("categories", ["number", "title"]),
    "措施": (
        "measures",
        ["number", "category", "title", "content", *UNIT_ROLES, "units_as_written", "units_note"],
    ),
    "量化目标": (
        "targets",
        [
            "measure",
            "key",
            "indicator",
            "comparison",
            "value",
            "quantity_unit",
            "start",
            "deadline",
            "quote",
            "note",
        ],
    ),
}
PLAN_SHEET = "计划"
LIST_KEYS = {*UNIT_ROLES, "years", "scope_stations"}


def _header(key: str, sheet: str) -> str:
    if key == "value" and sheet != PLAN_SHEET:
        return PLAN_COLUMNS["target"]
    return PLAN_COLUMNS[key]


def _cell(value: Any) -> Any:
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value


def write_plan_workbook(data: dict, path: Path) -> None:
    """Write plan ``data`` (the shape of ``data/lengshuitan-2019.toml``) as a workbook."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = PLAN_SHEET
    append_row(sheet, [PLAN_COLUMNS["field"], PLAN_COLUMNS["value"]])
    for key, value in data["plan"].items():
        append_row(sheet, [key, _cell(value)])
    rows = {
        "air_targets": data.get("air_targets", []),
        "units": [{**u, "kind": UNIT_KINDS[u["kind"]]} for u in data.get("units", [])],
        "categories": data.get("categories", []),
        "measures": data.get("measures", []),
        "targets": [
            {"measure": m["number"], **t} for m in data["measures"] for t in m.get("targets", [])
        ],
    }
    for title, (table, keys) in SHEETS.items():
        sheet = workbook.create_sheet(title)
        append_row(sheet, [_header(key, title) for key in keys])
        for row in rows[table]:
            append_row(sheet, [_cell(row.get(key)) for key in keys])
    for sheet in workbook.worksheets:
        for cell in sheet[1]:
            cell.font = Font(bold=True)
    workbook.save(path)


def _value(key: str, value: Any) -> Any:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            return None
    if key in LIST_KEYS and value is not None:
        items = [v.strip() for v in str(value).replace(",", "、").split("、") if v.strip()]
        return [int(v) for v in items] if key == "years" else items
    if isinstance(value, float) and value.is_integer() and key != "value":
        return int(value)
    return value


def _read_table(rows: list[tuple], sheet: str, keys: list[str], errors: list) -> list[dict]:
    headers = {_header(key, sheet): key for key in keys}
    found = {str(v).strip(): i for i, v in enumerate(rows[0] if rows else ()) if v is not None}
    for header in headers:
        if header not in found:
            errors.append(CellError(sheet, 1, header, "缺少该列", "missing column"))
    table = []
    for line, row in enumerate(rows[1:], start=2):
        values = {
            key: _value(key, row[found[h]] if found.get(h, 99) < len(row) else None)
            for h, key in headers.items()
        }
        if any(v is not None for v in values.values()):
            table.append({"_row": line, **{k: v for k, v in values.items() if v is not None}})
    return table


def read_plan_workbook(source: Path | bytes, name: str | None = None) -> dict:
    """Plan data from a workbook; each item keeps its row as ``_row`` (for error messages)."""
    name = name or (source.name if isinstance(source, Path) else "plan.xlsx")
    workbook = read_workbook(source, name)
    errors: list[CellError] = []
    missing = [s for s in (PLAN_SHEET, *SHEETS) if s not in workbook.sheetnames]
    if missing:
        raise ImportRejectedError(
            name, [CellError(s, 0, "", "缺少工作表", "missing sheet") for s in missing]
        )
    head = {}
    for line, row in enumerate(sheet_rows(workbook, PLAN_SHEET, name)[1:], start=2):
        if row and row[0]:
            key = str(row[0]).strip()
            head[key] = _value(key, row[1] if len(row) > 1 else None)
            head.setdefault("_rows", {})[str(row[0]).strip()] = line
    data: dict[str, Any] = {"plan": head}
    for sheet, (table, keys) in SHEETS.items():
        data[table] = _read_table(sheet_rows(workbook, sheet, name), sheet, keys, errors)
    for unit in data["units"]:
        try:
            unit["kind"] = code("unit_kind", unit.get("kind", ""), "kind")
        except LedgerError as error:
            errors.append(CellError("单位", unit["_row"], PLAN_COLUMNS["kind"], error.zh, error.en))
    by_number = {m.get("number"): m for m in data["measures"]}
    for target in data.pop("targets"):
        measure = by_number.get(target.pop("measure", None))
        if measure is None:
            errors.append(
                CellError(
                    "量化目标",
                    target["_row"],
                    PLAN_COLUMNS["measure"],
                    "没有这个措施编号",
                    "no such measure",
                )
            )
            continue
        measure.setdefault("targets", []).append(target)
    if errors:
        raise ImportRejectedError(name, errors)
    return data


def _locate(data: dict, path: str) -> tuple[str, int, str]:
    """(sheet, row, column) of a problem path such as ``measures[3].targets[0].value``."""
    parts = path.replace("]", "").split(".")
    head, _, index = parts[0].partition("[")
    if head == "plan":
        return PLAN_SHEET, data["plan"].get("_rows", {}).get(parts[-1], 0), parts[-1]
    sheet = {table: sheet for sheet, (table, _) in SHEETS.items()}.get(head, head)
    item = data[head][int(index)] if index else {}
    if len(parts) > 1 and parts[1].startswith("targets["):
        item = item["targets"][int(parts[1].partition("[")[2])]
        sheet = "量化目标"
    column = parts[-1] if parts[-1] in PLAN_COLUMNS and len(parts) > 1 else ""
    return sheet, item.get("_row", 0), _header(column, sheet) if column else ""


def _strip_rows(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_rows(v) for k, v in value.items() if k not in {"_row", "_rows"}}
    if isinstance(value, list):
        return [_strip_rows(v) for v in value]
    return value


def import_plan(db: Session, actor: Actor, source: Path | bytes, name: str | None = None) -> Plan:
    """Read a plan workbook and store the plan; every problem is reported, nothing half-stored."""
    require(actor, "plan.manage")
    name = name or (source.name if isinstance(source, Path) else "plan.xlsx")
    data = read_plan_workbook(source, name)
    problems = plan_problems(data, {u.name: u.kind for u in db.scalars(select(Unit))})
    if problems:
        raise ImportRejectedError(
            name, [CellError(*_locate(data, path), zh, en) for path, zh, en in problems]
        )
    return store_plan(db, actor, _strip_rows(data))


def plan_data(plan: Plan) -> dict:
    """A stored plan back as data (the shape :func:`write_plan_workbook` and ``store_plan`` take)."""
    head = {key: getattr(plan, key) for key in PLAN_FIELDS} | dict(plan.details)
    columns = (
        "pollutant",
        "metric",
        "comparison",
        "value",
        "baseline",
        "baseline_year",
        "quantity_unit",
        "standard",
        "years",
        "quote",
        "note",
    )
    air = [
        {k: getattr(t, k) for k in columns if getattr(t, k) is not None} for t in plan.air_targets
    ]
    units, measures = {}, []
    for measure in plan.measures:
        row = {
            "number": measure.number,
            "category": measure.category.number,
            "title": measure.title,
            "content": measure.content,
            "units_as_written": measure.units_as_written,
            "units_note": measure.units_note,
        }
        for link in measure.links:
            units[link.unit.name] = link.unit
            row.setdefault(link.role, []).append(link.unit.name)
        keys = (
            "key",
            "indicator",
            "comparison",
            "value",
            "quantity_unit",
            "start",
            "deadline",
            "quote",
            "note",
        )
        row["targets"] = [
            {k: getattr(t, k) for k in keys if getattr(t, k) is not None} for t in measure.targets
        ]
        measures.append({k: v for k, v in row.items() if v not in (None, [])})
    return {
        "plan": head,
        "air_targets": air,
        "units": [
            {
                k: v
                for k, v in {"name": u.name, "kind": u.kind, "note": u.note}.items()
                if v is not None
            }
            for u in units.values()
        ],
        "categories": [{"number": c.number, "title": c.title} for c in plan.categories],
        "measures": measures,
    }
