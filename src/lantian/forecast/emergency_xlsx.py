"""The emergency reduction list as an Excel workbook: import with row-level errors, and export.

Sheets and columns (the header row holds the Chinese names; the glossary key in brackets):

* ``排放总量``: 污染物 (pollutant: SO2, NOx, PM, VOCs), 全社会排放量（吨/年） (total);
* ``企业清单``: 企业编号 (enterprise_id), 企业名称 (name), 行业 (industry), 所在地 (location),
  绩效分级 (grade: A/B/C/D or empty), then SO2 / NOx / PM / VOCs 基准排放量（吨/年） (baseline);
* ``减排措施``: 企业编号, 预警级别 (level: 黄色/橙色/红色 or yellow/orange/red), 措施类型 (kind: 停产/
  限产/错峰生产/其他 or stop/cut/stagger/other), 限产比例 (cut_share, 0–1 or a percentage such as
  30%), 措施内容 (description), then SO2 / NOx / PM / VOCs 减排量（吨/年） (stated reductions, may be
  empty).

An export adds ``减排核算`` (the check). An import is all or nothing: every problem is reported
with its sheet, row (as Excel numbers it) and column, and nothing is stored if there is one.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from lantian.forecast.emergency import (
    GRADES,
    POLLUTANTS,
    EmergencyList,
    Enterprise,
    Measure,
    measure_kinds,
)
from lantian.forecast.tables import rows
from lantian.forecast.warnings import level_table
from lantian.ingest.excel import (
    WorkbookError,
    WorkbookLimits,
    append_row,
    open_workbook,
    sheet_rows,
)
from lantian.sources.tables import RegisterImportError, RegisterRejection

MAX_FILE_BYTES = 10 * 1024 * 1024
LIMITS = WorkbookLimits(file_bytes=MAX_FILE_BYTES, cells=200_000, rows=20_000, columns=16)
"""What a reduction list may hold: a district's enterprises and their measures, 9–13 columns."""
TOTALS_SHEET, ENTERPRISE_SHEET, MEASURE_SHEET, CHECK_SHEET = (
    "排放总量",
    "企业清单",
    "减排措施",
    "减排核算",
)
ENTERPRISE_HEADERS = ["企业编号", "企业名称", "行业", "所在地", "绩效分级"] + [
    f"{p}基准排放量（吨/年）" for p in POLLUTANTS
]
MEASURE_HEADERS = ["企业编号", "预警级别", "措施类型", "限产比例", "措施内容"] + [
    f"{p}减排量（吨/年）" for p in POLLUTANTS
]
TOTALS_HEADERS = ["污染物", "全社会排放量（吨/年）"]
CHECK_HEADERS = [
    "预警级别",
    "污染物",
    "全社会排放量",
    "要求比例",
    "要求减排量",
    "清单减排量",
    "实际比例",
    "缺口",
    "是否达标",
]


class EmergencyImportError(RegisterImportError):
    """A workbook that cannot be imported; ``rejections`` holds every problem found, as the
    registers' rejections (:class:`lantian.sources.tables.RegisterRejection`, an
    :class:`lantian.ingest.schema.Rejection`: ``file!sheet``, row, column, value, reason), which
    the CLI prints as it prints a register's."""


def _level_names() -> dict[str, str]:
    names = {}
    for r in level_table():
        names.update({r["level"]: r["level"], r["colour_zh"]: r["level"], r["name_zh"]: r["level"]})
    return names


def _kind_names() -> dict[str, str]:
    names = {}
    for r in rows("measure_kinds"):
        names.update({r["kind"]: r["kind"], r["name_zh"]: r["kind"]})
    return names


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[RegisterRejection] = []

    def error(self, sheet: str, row: int, column: str, message: str, value: object = None) -> None:
        where = f"{self.source}!{sheet}" if sheet else self.source
        text = "" if value is None else str(value)
        self.errors.append(RegisterRejection(where, row, column, text, "invalid", message))

    def number(self, value, sheet, row, column, required=False, share=False) -> float | None:
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.error(sheet, row, column, "必填")
            return None
        text = str(value).strip()
        try:
            number = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
        except ValueError:
            self.error(sheet, row, column, "不是数字", text)
            return None
        if number < 0 or (share and number > 1):
            self.error(sheet, row, column, "超出范围", text)
            return None
        return number

    def text(self, value) -> str:
        return "" if value is None else str(value).strip()


def _sheet_rows(workbook, name: str, reader: _Reader) -> list[tuple[int, tuple]]:
    if name not in workbook.sheetnames:
        reader.error(name, 0, "", f"缺少工作表“{name}”")
        return []
    found = []
    try:
        for number, values in enumerate(sheet_rows(workbook, name, reader.source, LIMITS), start=1):
            if number == 1 or all(v is None or str(v).strip() == "" for v in values):
                continue
            found.append((number, tuple(values) + (None,) * 12))
    except WorkbookError as error:
        reader.error(name, 0, "", error.reason_zh)
    return found


def read_emergency_workbook(path: Path, city: str) -> EmergencyList:
    """Read a workbook of the layout above; raise :class:`EmergencyImportError` listing every problem."""
    path = Path(path)
    try:
        workbook = open_workbook(path.name, path.read_bytes(), LIMITS)
    except WorkbookError as error:
        raise EmergencyImportError(
            [RegisterRejection(path.name, 0, "", "", "unreadable", error.reason_zh)]
        ) from None
    reader = _Reader(path.name)
    totals: dict[str, float] = {}
    for number, values in _sheet_rows(workbook, TOTALS_SHEET, reader):
        pollutant = reader.text(values[0])
        if pollutant not in POLLUTANTS:
            reader.error(
                TOTALS_SHEET,
                number,
                TOTALS_HEADERS[0],
                f"未知污染物 {pollutant!r}，应为 {'、'.join(POLLUTANTS)}",
            )
            continue
        value = reader.number(values[1], TOTALS_SHEET, number, TOTALS_HEADERS[1], required=True)
        if value is not None:
            totals[pollutant] = value
    for pollutant in POLLUTANTS:
        if pollutant not in totals and TOTALS_SHEET in workbook.sheetnames:
            reader.error(TOTALS_SHEET, 0, TOTALS_HEADERS[0], f"缺少 {pollutant} 的全社会排放量")
    enterprises = _read_enterprises(workbook, reader)
    measures = _read_measures(workbook, reader, {e.enterprise_id for e in enterprises})
    if reader.errors:
        raise EmergencyImportError(reader.errors)
    return EmergencyList(city, totals, enterprises, measures)


def _read_enterprises(workbook, reader: _Reader) -> list[Enterprise]:
    enterprises, seen = [], set()
    for number, values in _sheet_rows(workbook, ENTERPRISE_SHEET, reader):
        identifier, name = reader.text(values[0]), reader.text(values[1])
        if not identifier:
            reader.error(ENTERPRISE_SHEET, number, ENTERPRISE_HEADERS[0], "必填")
        elif identifier in seen:
            reader.error(
                ENTERPRISE_SHEET, number, ENTERPRISE_HEADERS[0], f"企业编号 {identifier} 重复"
            )
        seen.add(identifier)
        if not name:
            reader.error(ENTERPRISE_SHEET, number, ENTERPRISE_HEADERS[1], "必填")
        grade = reader.text(values[4]).upper()
        if grade not in GRADES:
            reader.error(
                ENTERPRISE_SHEET,
                number,
                ENTERPRISE_HEADERS[4],
                f"绩效分级应为 A、B、C、D 或空，不是 {grade!r}",
            )
        baseline = {
            p: reader.number(values[5 + j], ENTERPRISE_SHEET, number, ENTERPRISE_HEADERS[5 + j])
            or 0.0
            for j, p in enumerate(POLLUTANTS)
        }
        enterprise = Enterprise(
            identifier, name, reader.text(values[2]), reader.text(values[3]), grade, baseline
        )
        enterprises.append(enterprise)
    return enterprises


def _read_measures(workbook, reader: _Reader, enterprise_ids: set[str]) -> list[Measure]:
    levels, kinds = _level_names(), _kind_names()
    measures = []
    for number, values in _sheet_rows(workbook, MEASURE_SHEET, reader):
        identifier = reader.text(values[0])
        if identifier not in enterprise_ids:
            reader.error(
                MEASURE_SHEET, number, MEASURE_HEADERS[0], f"企业编号 {identifier!r} 不在企业清单中"
            )
        level = levels.get(reader.text(values[1]))
        if level is None:
            reader.error(
                MEASURE_SHEET,
                number,
                MEASURE_HEADERS[1],
                f"未知预警级别 {reader.text(values[1])!r}",
            )
        kind = kinds.get(reader.text(values[2]))
        if kind is None:
            valid = "、".join(k for k in kinds if not k.isascii())
            reader.error(
                MEASURE_SHEET,
                number,
                MEASURE_HEADERS[2],
                f"未知措施类型 {reader.text(values[2])!r}，应为 {valid}",
            )
        share = reader.number(values[3], MEASURE_SHEET, number, MEASURE_HEADERS[3], share=True)
        if kind == "cut" and share is None:
            reader.error(MEASURE_SHEET, number, MEASURE_HEADERS[3], "限产措施须填写限产比例")
        reductions = {
            p: reader.number(values[5 + j], MEASURE_SHEET, number, MEASURE_HEADERS[5 + j])
            for j, p in enumerate(POLLUTANTS)
        }
        if kind in {"stagger", "other"} and all(v is None for v in reductions.values()):
            reader.error(
                MEASURE_SHEET, number, MEASURE_HEADERS[5], "错峰生产和其他措施须填写减排量"
            )
        measures.append(
            Measure(identifier, level or "", kind or "", share, reader.text(values[4]), reductions)
        )
    return measures


def write_emergency_workbook(
    emergency: EmergencyList, path: Path, result: dict | None = None
) -> None:
    """Write the list (and the check ``result`` of :func:`.emergency.check`, if given) as xlsx."""
    level_zh = {r["level"]: r["name_zh"] for r in level_table()}
    kind_zh = {r["kind"]: r["name_zh"] for r in rows("measure_kinds")}
    workbook = Workbook()
    workbook.remove(workbook.active)
    sheets = {
        TOTALS_SHEET: (TOTALS_HEADERS, [[p, emergency.totals.get(p)] for p in POLLUTANTS]),
        ENTERPRISE_SHEET: (
            ENTERPRISE_HEADERS,
            [
                [
                    e.enterprise_id,
                    e.name,
                    e.industry,
                    e.location,
                    e.grade,
                    *(e.baseline.get(p) for p in POLLUTANTS),
                ]
                for e in emergency.enterprises
            ],
        ),
        MEASURE_SHEET: (
            MEASURE_HEADERS,
            [
                [
                    m.enterprise_id,
                    level_zh.get(m.level, m.level),
                    kind_zh.get(m.kind, m.kind),
                    m.cut_share,
                    m.description,
                ]
                + [m.reductions.get(p) for p in POLLUTANTS]
                for m in emergency.measures
            ],
        ),
    }
    if result is not None:
        sheets[CHECK_SHEET] = (
            CHECK_HEADERS,
            [
                [
                    level_zh[r["level"]],
                    r["pollutant"],
                    r["total"],
                    r["required_share"],
                    r["required"],
                    r["achieved"],
                    r["achieved_share"],
                    r["shortfall"],
                    "达标" if r["ok"] else "不足",
                ]
                for r in result["levels"]
            ],
        )
    for title, (headers, body) in sheets.items():
        sheet = workbook.create_sheet(title)
        append_row(sheet, headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in body:
            append_row(sheet, row)
        sheet.freeze_panes = "A2"
    workbook.save(path)


__all__ = [
    "EmergencyImportError",
    "measure_kinds",
    "read_emergency_workbook",
    "write_emergency_workbook",
]
