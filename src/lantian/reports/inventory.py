"""``lantian inventory report``: the emission inventory of a year, in Chinese — HTML (offline,
ECharts inlined), PDF (the same page printed by Chromium) or xlsx (a sheet per table).

Totals by source category and pollutant with shares, the comparison with the previous version,
the 1 km grid as a map, the towns, the monthly profiles, the Monte Carlo's P5–P95, the rows not
computed and the factors used (默认值 / 本地值). Built from :func:`lantian.inventory.service.summary`
and the version's stored tables; an example inventory says 示例数据 at the top of every form.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from lantian.ingest.excel import append_row
from lantian.inventory import store
from lantian.inventory.service import summary
from lantian.reports.document import render_document

EXAMPLE_NOTE = "示例数据：本清单由示例登记表和虚构的示例活动水平编制，仅供演示，不是真实排放清单。"
MAP_PREFERENCE = ("PM2.5", "PM10", "TSP", "SO2", "NOx", "VOCs")


def _round(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def report_data(year: int, root: Path | None = None) -> dict[str, Any]:
    """Everything the inventory report shows, as data (rows with Chinese headers)."""
    doc = summary(year, root)
    grid = store.load_table(year, "grid", root=root).to_pylist()
    meta = store.load_meta(year, root=root)
    pollutants = {r["pollutant"] for r in grid}
    map_pollutant = next(
        (p for p in MAP_PREFERENCE if p in pollutants), sorted(pollutants)[0] if pollutants else ""
    )
    cells = [r for r in grid if r["pollutant"] == map_pollutant]
    xs = sorted({r["cell_x"] for r in grid}) or [0]
    ys = sorted({r["cell_y"] for r in grid}) or [0]
    x_axis = list(range(min(xs), max(xs) + 1))
    y_axis = list(range(min(ys), max(ys) + 1))
    monthly = store.load_table(year, "monthly", root=root).to_pylist()
    by_pollutant: dict[str, list[float]] = {}
    for r in monthly:
        by_pollutant.setdefault(r["pollutant"], [0.0] * 12)[r["month"] - 1] += r["tonnes"]
    factors_used = set(store.load(year, root=root).column("factor_id").to_pylist()) - {None}
    return {
        "title": f"{year}年大气污染源排放清单" + ("（示例数据）" if doc["example"] else ""),
        "doc": doc,
        "total_rows": [
            {
                "源类别": r["category"],
                "污染物": r["pollutant"],
                "排放量（吨）": _round(r["tonnes"]),
                "占比（%）": _round(100 * r["share"], 1),
            }
            for r in doc["totals"]
        ],
        "comparison_rows": [
            {
                "污染物": r["pollutant"],
                "本版本（吨）": _round(r["tonnes"]),
                "上一版本（吨）": _round(r["previous_tonnes"]),
                "变化（%）": None if r["change"] is None else _round(100 * r["change"], 1),
            }
            for r in (doc["comparison"] or {}).get("pollutants", [])
        ],
        "grid": meta["grid"],
        "grid_rows": [
            {
                "列": r["cell_x"],
                "行": r["cell_y"],
                "经度": round(r["longitude"], 5),
                "纬度": round(r["latitude"], 5),
                "污染物": r["pollutant"],
                "排放量（吨）": _round(r["tonnes"], 4),
            }
            for r in grid
        ],
        "map_pollutant": map_pollutant,
        "map_cells": [
            [x_axis.index(r["cell_x"]), y_axis.index(r["cell_y"]), _round(r["tonnes"], 4)]
            for r in cells
        ],
        "x_axis": x_axis,
        "y_axis": y_axis,
        "town_rows": [
            {
                "乡镇（街道）": r["town"],
                "污染物": r["pollutant"],
                "排放量（吨）": _round(r["tonnes"]),
            }
            for r in store.load_table(year, "towns", root=root).to_pylist()
        ],
        "monthly_rows": {
            p: [_round(v, 4) for v in values] for p, values in sorted(by_pollutant.items())
        },
        "monthly_table": [
            {
                "源类别": r["category"],
                "污染物": r["pollutant"],
                "月": r["month"],
                "排放量（吨）": _round(r["tonnes"], 4),
                "月分配依据": r["basis"],
            }
            for r in monthly
        ],
        "monthly_bases": sorted({r["basis"] for r in monthly}),
        "uncertainty_rows": [
            {
                "源类别": r["category"],
                "污染物": r["pollutant"],
                "排放量（吨）": _round(r["tonnes"]),
                "P5": _round(r["p5"]),
                "P95": _round(r["p95"]),
                "无范围部分（吨）": _round(r["tonnes_without_range"]),
            }
            for r in store.load_table(year, "uncertainty", root=root).to_pylist()
        ],
        "no_range": all(
            abs(r["tonnes_without_range"] - r["tonnes"]) < 1e-12
            for r in store.load_table(year, "uncertainty", root=root).to_pylist()
        ),
        "mc": meta["monte_carlo"],
        "factor_rows": [
            {
                "系数编号": k,
                "数值": f["value"],
                "单位": f["unit"],
                "类型": "默认值" if f["is_default"] else "本地值",
                "来源": f["source"],
                "设置人": f["set_by"] or "",
                "设置时间": f["set_at"] or "",
            }
            for k, f in sorted(doc["factors"].items())
            if k in factors_used
        ],
    }


def render_html(data: dict[str, Any]) -> str:
    """The report as one self-contained HTML document."""
    return render_document("inventory.html", **data)


SHEETS = (
    ("汇总", "total_rows"),
    ("与上一版本比较", "comparison_rows"),
    ("网格", "grid_rows"),
    ("乡镇", "town_rows"),
    ("月变化", "monthly_table"),
    ("不确定性", "uncertainty_rows"),
    ("排放系数", "factor_rows"),
)


def render_xlsx(data: dict[str, Any]) -> bytes:
    """The report's tables as a workbook, a sheet each; the example note on top of each sheet."""
    book = Workbook()
    book.remove(book.active)
    skipped = [
        {"模板": s["template"], "行": s["row_key"], "原因": s["reason"]}
        for s in data["doc"]["skipped"]
    ]
    for name, rows in [*((n, data[k]) for n, k in SHEETS), ("未计算的行", skipped)]:
        sheet = book.create_sheet(name)
        if data["doc"]["example"]:
            append_row(sheet, [EXAMPLE_NOTE])
            sheet["A1"].font = Font(bold=True, color="C00000")
        header = list(rows[0]) if rows else ["（无）"]
        append_row(sheet, header)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in rows:
            append_row(sheet, list(row.values()))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
