"""The roadmap document as tables with Chinese headers (terminal, xlsx) — one layout for the CLI,
the page's download and the monthly report. Every table carries the basis line
(:func:`basis_line`), so no output hides which response model it rests on."""

from __future__ import annotations

import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from lantian.ingest.excel import append_row

EXAMPLE_MARK = "示例数据（EXAMPLE，非本地实际）"


def basis_line(doc: dict[str, Any]) -> str:
    """Which basis the numbers rest on, and whether any input is example data."""
    mark = f"；{EXAMPLE_MARK}" if doc["example"] else ""
    kind = "" if doc["apportionment_kind"] == "inventory" else doc["apportionment_kind_zh"]
    return (
        f"响应模型依据：{doc['basis_zh']}（{kind}“{doc['apportionment']}”，"
        f"{doc['apportionment_year']}年；出处：{doc['source']}）{mark}"
    )


def _pollutants(tonnes: dict[str, float]) -> str:
    return "、".join(f"{p} {t:g}" for p, t in tonnes.items() if t)


def summary_rows(doc: dict[str, Any]) -> list[dict[str, object]]:
    """The roadmap's headline numbers, one row each."""
    rows = [
        ("区域", doc["area"]),
        ("目标年", doc["target_year"]),
        ("目标 PM2.5 (µg/m³)", doc["target"]),
        (f"基准 ({doc['base_concentration_basis']})", doc["base_concentration"]),
        ("需削减 (µg/m³)", doc["cut_needed"]),
        ("措施如期完成后 (µg/m³)", doc["after_planned"]),
        (f"按 {doc['month']} 已完成进度 (µg/m³)", doc["after_achieved"]),
        ("剩余缺口 (µg/m³)", doc["residual_gap"]),
        ("未关联清单的措施", "、".join(str(n) for n in doc["unlinked_measures"])),
        ("结论", doc["summary_zh"]),
        ("依据", basis_line(doc)),
    ]
    return [{"项目": k, "数值": v} for k, v in rows]


def measure_table(doc: dict[str, Any]) -> list[dict[str, object]]:
    """A row per linked measure, ranked by µg/m³ per 万元 (then µg/m³)."""
    return [
        {
            "排序": r["rank"],
            "措施": r["measure"],
            "名称": r["title"],
            "计划削减 (t)": _pollutants(r["planned_tonnes"]),
            "已完成削减 (t)": _pollutants(r["achieved_tonnes"]),
            "计划 PM2.5 降幅 (µg/m³)": r["planned_ugm3"],
            "已完成 PM2.5 降幅 (µg/m³)": r["achieved_ugm3"],
            "费用 (万元)": r["cost"],
            "每万元降幅 (µg/m³)": r["ugm3_per_cost"],
            "示例": "示例" if r["example"] else "",
        }
        for r in doc["measures"]
    ]


def needs_table(doc: dict[str, Any]) -> list[dict[str, object]]:
    """What the residual gap would take, per inventory cell alone."""
    return [
        {
            "源类别": r["category"],
            "污染物": r["pollutant"],
            "需再削减 (t)": r["tonnes"],
            "占剩余排放比例": f"{r['share_of_remaining']:.0%}",
            "可行": "是" if r["possible"] else "否（超过全部剩余排放）",
        }
        for r in doc["residual_needs"]
    ]


def monthly_table(doc: dict[str, Any]) -> list[dict[str, object]]:
    """Predicted (from achieved cuts) against observed change, by reporting month."""
    return [
        {
            "月份": r["month"],
            "措施预计变化 (µg/m³)": r["predicted_change"],
            "年初至今实测": r["observed_ytd"],
            "对比基准": r["reference"],
            "基准": r["reference_basis"],
            "实测变化 (µg/m³)": r["observed_change"],
        }
        for r in doc["monthly"]
    ]


SHEETS = {
    "路线图": summary_rows,
    "措施贡献": measure_table,
    "缺口所需削减": needs_table,
    "逐月对比": monthly_table,
}


def roadmap_xlsx(doc: dict[str, Any]) -> bytes:
    """The roadmap as a workbook, a sheet per table, the basis line atop each."""
    book = Workbook()
    book.remove(book.active)
    for title, make in SHEETS.items():
        sheet = book.create_sheet(title)
        append_row(sheet, [basis_line(doc)])
        rows = make(doc)
        columns = list(rows[0]) if rows else ["（无）"]
        append_row(sheet, columns)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in rows:
            append_row(sheet, [row[c] for c in columns])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def roadmap_context(doc: dict[str, Any], heading: str = "达标路线图") -> dict[str, Any]:
    """What the ``_roadmap.html`` section renders (the report's and the standalone page's)."""
    return {
        "rm": doc,
        "heading": heading,
        "basis": basis_line(doc),
        "summary": summary_rows(doc),
        "measures": measure_table(doc),
        "needs": needs_table(doc),
        "monthly": monthly_table(doc),
        "chart": {
            "base": doc["base_concentration"],
            "after": doc["after_planned"],
            "target": doc["target"],
            "measures": [
                {"measure": r["measure"], "planned_ugm3": r["planned_ugm3"]}
                for r in doc["measures"]
            ],
        },
    }
