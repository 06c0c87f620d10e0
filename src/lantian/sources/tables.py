"""Reading a register (企业, 建筑工地, …, 监测设备) from its sheet: every cell checked, every problem named.

:func:`parse_register` takes the cell text of one sheet (:func:`lantian.ingest.sheets.read_table_file`)
and the register's columns (:data:`lantian.sources.vocabulary.TABLES`) and returns one record per
row — glossary keys, values parsed, positions converted to WGS-84 — or, if any cell is wrong, the
list of :class:`RegisterRejection` naming the sheet, the row (the sheet's row number, header = 1),
the column (its header as written) and the value, in the style of :mod:`lantian.ingest`. The caller
stores nothing unless the list is empty. Columns are read whole (Arrow / NumPy): numbers,
positions and their conversion, credit codes, choices and duplicates; structured cells (dates,
boundaries, factor lists) one by one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lantian.ingest.excel import Sheet
from lantian.ingest.schema import Rejection
from lantian.sources import geometry
from lantian.sources.coordinates import CHINA_BOUNDS, to_wgs84
from lantian.sources.credit_code import credit_code_problem, valid_credit_codes
from lantian.sources.factors import parse_factors, parse_permit_limits
from lantian.sources.industries import industry_name, normalise_industry_code
from lantian.sources.vocabulary import DEVICE_KINDS, Field, Table

REASONS = {
    "empty": "必填项为空",
    "unknown_column": "未知列（请使用模板的列名）",
    "missing_column": "缺少必需的列",
    "repeated_column": "列名重复",
    "extra_cells": "表头以外的列有内容",
    "not_a_number": "不是数字",
    "negative": "不能为负数",
    "bad_date": "日期应写作 YYYY-MM-DD",
    "bad_date_order": "日期先后颠倒",
    "bad_choice": "不是可选值",
    "bad_credit_code": "统一社会信用代码无效（GB 32100-2015）",
    "bad_industry_code": "行业代码无效（GB/T 4754-2017）",
    "bad_coordinate": "经纬度不完整或无效",
    "outside_china": "位置不在中国境内（经纬度是否填反，或坐标系不对？）",
    "bad_polygon": "边界无效",
    "bad_line": "线位无效",
    "bad_factors": "监测因子无效",
    "bad_permit_limits": "许可排放限值无效",
    "bad_working_hours": "作业时间应写作 HH:MM-HH:MM（如 06:00-22:00）",
    "bad_mn": "设备编号（MN）应为 1–24 位字母或数字（HJ 212-2017 表 4）",
    "bad_password": "密码应为 1–9 个字符，且不含 ; , = &（HJ 212-2017 表 4）",
    "bad_station_code": "站点编码应为 1–32 位字母、数字、- 或 _，且不能是国控站编码",
    "duplicate": "与本表另一行重复",
    "unknown_source": "所在污染源编号未登记",
    "conflict": "与已登记的另一条记录冲突",
}
"""Reason code → what it means (Chinese), for every rejection a register import gives."""


@dataclass(frozen=True)
class RegisterRejection(Rejection):
    """One cell (or row, or header) not taken: sheet, row, column, value, reason and detail."""

    detail: str = ""

    @property
    def message(self) -> str:
        return self.detail or REASONS.get(self.reason, self.reason)

    def __str__(self) -> str:
        where = f"{self.source} 第{self.line}行" if self.line > 0 else self.source
        value = f"（{self.value!r}）" if self.value else ""
        field = f" {self.field}" if self.field else ""
        return f"{where}{field}：{self.message}{value}"


class RegisterImportError(ValueError):
    """A register with problems; nothing of it was stored. ``rejections`` lists every one."""

    def __init__(self, rejections: list[RegisterRejection]):
        self.rejections = rejections
        shown = "\n".join(str(r) for r in rejections[:50])
        more = f"\n…另有 {len(rejections) - 50} 处" if len(rejections) > 50 else ""
        super().__init__(f"{len(rejections)} 处错误，未导入任何数据：\n{shown}{more}")


@dataclass
class _Column:
    field: Field
    header: str
    text: list[str]


class _Checker:
    """Collects the rejections of one sheet."""

    def __init__(self, source: str, lines: np.ndarray):
        self.source, self.lines = source, lines
        self.rejections: list[RegisterRejection] = []

    def reject(self, index: int, column: str, value: str, reason: str, detail: str = "") -> None:
        line = int(self.lines[index]) if index >= 0 else 1
        self.rejections.append(RegisterRejection(self.source, line, column, value, reason, detail))

    def reject_all(self, mask: np.ndarray, column: _Column, reason: str, detail: str = "") -> None:
        for index in np.flatnonzero(mask):
            self.reject(int(index), column.header, column.text[index], reason, detail)


# --- column parsers: (column, checker) -> values -------------------------------------------------

_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _numbers(column: _Column, check: _Checker, allow_negative: bool = False) -> list[float | None]:
    text = pa.array(column.text, pa.string())
    cleaned = pc.replace_substring(text, ",", "")
    present = pc.not_equal(text, "").to_numpy(zero_copy_only=False)
    numeric = pc.match_substring_regex(cleaned, _NUMBER).to_numpy(zero_copy_only=False)
    check.reject_all(present & ~numeric, column, "not_a_number")
    values = np.full(len(column.text), np.nan)
    if numeric.any():
        values[numeric] = pc.cast(pc.filter(cleaned, pa.array(numeric)), pa.float64()).to_numpy()
    if not allow_negative:
        check.reject_all(numeric & (values < 0), column, "negative")
    return [None if np.isnan(v) else float(v) for v in values]


def _number(column: _Column, check: _Checker) -> list[Any]:
    return _numbers(column, check)


def _coordinate(column: _Column, check: _Checker) -> list[Any]:
    return _numbers(column, check, allow_negative=True)


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?$")


def _date(column: _Column, check: _Checker) -> list[Any]:
    values: list[dt.date | None] = []
    for index, text in enumerate(column.text):
        match = _DATE.match(text)
        value = None
        if match:
            try:
                value = dt.date(*map(int, match.groups()))
            except ValueError:
                match = None
        if text and match is None:
            check.reject(index, column.header, text, "bad_date")
        values.append(value)
    return values


def _choice(column: _Column, check: _Checker) -> list[Any]:
    text = pa.array(column.text, pa.string())
    known = pc.is_in(text, value_set=pa.array(list(column.field.choices))).to_numpy(
        zero_copy_only=False
    )
    present = np.array([bool(t) for t in column.text], dtype=bool)
    check.reject_all(
        present & ~known,
        column,
        "bad_choice",
        f"应为 {'、'.join(column.field.choices)} 之一",
    )
    return [t if ok else None for t, ok in zip(column.text, known, strict=True)]


_YES = {"是", "有", "已落实", "√", "✓", "Y", "YES", "TRUE", "1"}
_NO = {"否", "无", "未落实", "×", "✗", "N", "NO", "FALSE", "0"}


def _yes_no(column: _Column, check: _Checker) -> list[Any]:
    values: list[bool | None] = []
    for index, text in enumerate(column.text):
        upper = text.upper()
        if upper in _YES:
            values.append(True)
        elif upper in _NO:
            values.append(False)
        else:
            if text:
                check.reject(index, column.header, text, "bad_choice", "应为 是 或 否")
            values.append(None)
    return values


def _credit_code(column: _Column, check: _Checker) -> list[Any]:
    codes = [t.upper() for t in column.text]
    valid = valid_credit_codes(codes)
    for index in np.flatnonzero(~valid & np.array([bool(c) for c in codes], dtype=bool)):
        problem = credit_code_problem(codes[index])
        detail = f"统一社会信用代码{problem[0]}" if problem else ""
        check.reject(int(index), column.header, column.text[index], "bad_credit_code", detail)
    return [c or None for c in codes]


def _industry_code(column: _Column, check: _Checker) -> list[Any]:
    values = []
    for index, text in enumerate(column.text):
        code = normalise_industry_code(text) if text else None
        if text and code is None:
            check.reject(index, column.header, text, "bad_industry_code")
        values.append(code)
    return values


def _text(column: _Column, check: _Checker) -> list[Any]:
    return [t or None for t in column.text]


_MN = re.compile(r"^[0-9A-Za-z]{1,24}$")
_PASSWORD = re.compile(r"^[^;,=&\s]{1,9}$")


def _pattern(pattern: re.Pattern[str], reason: str) -> Callable[[_Column, _Checker], list[Any]]:
    def parse(column: _Column, check: _Checker) -> list[Any]:
        for index, text in enumerate(column.text):
            if text and not pattern.match(text):
                check.reject(index, column.header, text, reason)
        return [t or None for t in column.text]

    return parse


def _device_kind(column: _Column, check: _Checker) -> list[Any]:
    names = {k: k for k in DEVICE_KINDS} | {zh: k for k, (zh, _) in DEVICE_KINDS.items()}
    values = []
    for index, text in enumerate(column.text):
        if text and text not in names:
            valid = "、".join(zh for zh, _ in DEVICE_KINDS.values())
            check.reject(index, column.header, text, "bad_choice", f"应为 {valid} 之一")
        values.append(names.get(text))
    return values


def _factors(column: _Column, check: _Checker) -> list[Any]:
    values = []
    for index, text in enumerate(column.text):
        factors, problem = parse_factors(text) if text else ({}, None)
        if problem:
            check.reject(index, column.header, text, "bad_factors", problem)
        values.append(factors or None)
    return values


def _permit_limits(column: _Column, check: _Checker) -> list[Any]:
    values = []
    for index, text in enumerate(column.text):
        limits, problem = parse_permit_limits(text) if text else ({}, None)
        if problem:
            check.reject(index, column.header, text, "bad_permit_limits", problem)
        values.append(limits)
    return values


_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)\s*[-–—~～至]\s*([01]\d|2[0-4]):([0-5]\d)$")


def _working_hours(column: _Column, check: _Checker) -> list[Any]:
    values = []
    for index, text in enumerate(column.text):
        match = _HOURS.match(text) if text else None
        if text and (match is None or match.group(1, 2) == match.group(3, 4)):
            check.reject(index, column.header, text, "bad_working_hours")
            match = None
        values.append(f"{match[1]}:{match[2]}-{match[3]}:{match[4]}" if match else None)
    return values


def _vertices(column: _Column, check: _Checker, polygon: bool) -> list[Any]:
    values = []
    for index, text in enumerate(column.text):
        points, problem = geometry.parse_vertices(text) if text else (None, None)
        if points is not None and not polygon and len(points) < 2:
            problem = "线位至少需要 2 个点"
        if problem:
            check.reject(
                index, column.header, text, "bad_polygon" if polygon else "bad_line", problem
            )
            points = None
        values.append(points)
    return values


PARSERS: dict[str, Callable[[_Column, _Checker], list[Any]]] = {
    "text": _text,
    "number": _number,
    "longitude": _coordinate,
    "latitude": _coordinate,
    "date": _date,
    "choice": _choice,
    "yes_no": _yes_no,
    "credit_code": _credit_code,
    "industry_code": _industry_code,
    "mn": _pattern(_MN, "bad_mn"),
    "password": _pattern(_PASSWORD, "bad_password"),
    "device_kind": _device_kind,
    "factors": _factors,
    "permit_limits": _permit_limits,
    "working_hours": _working_hours,
    "polygon": lambda column, check: _vertices(column, check, polygon=True),
    "line": lambda column, check: _vertices(column, check, polygon=False),
}
"""Parser name (``Field.parser``) → the function reading a whole column."""


# --- the sheet -----------------------------------------------------------------------------------


def _columns(sheet: Sheet, table: Table, check: _Checker) -> dict[str, _Column]:
    by_header = {f.header: f for f in table.fields} | {f.key: f for f in table.fields}
    columns: dict[str, _Column] = {}
    for position, raw in enumerate(sheet.header):
        header = raw.strip().lstrip("\ufeff").strip()
        if header in ("序号", ""):
            continue
        found = by_header.get(header)
        if found is None:
            check.reject(
                -1, header, "", "unknown_column", f"未知列“{header}”（第 {position + 1} 列）"
            )
            continue
        if found.key in columns:
            check.reject(-1, header, "", "repeated_column")
            continue
        text = pc.utf8_trim_whitespace(sheet.columns[position]).to_pylist()
        columns[found.key] = _Column(found, header, text)
    for f in table.fields:
        if f.required and f.key not in columns:
            check.reject(-1, f.header, "", "missing_column")
    return columns


def _required(columns: dict[str, _Column], check: _Checker) -> None:
    for column in columns.values():
        if column.field.required:
            empty = np.array([not t for t in column.text], dtype=bool)
            check.reject_all(empty, column, "empty")


def _duplicates(column: _Column | None, check: _Checker) -> None:
    if column is None:
        return
    first: dict[str, int] = {}
    for index, text in enumerate(column.text):
        if not text:
            continue
        if text in first:
            line = int(check.lines[first[text]])
            check.reject(index, column.header, text, "duplicate", f"与第 {line} 行重复")
        else:
            first[text] = index


def _positions(
    parsed: dict[str, list[Any]], columns: dict[str, _Column], crs: str, check: _Checker
) -> None:
    """Convert longitude/latitude to WGS-84 in place, whole columns; reject half or outside."""
    if "longitude" not in parsed and "latitude" not in parsed:
        return
    n = len(check.lines)
    lon = np.array([np.nan if v is None else v for v in parsed.get("longitude", [None] * n)])
    lat = np.array([np.nan if v is None else v for v in parsed.get("latitude", [None] * n)])
    lon_text = columns["longitude"].text if "longitude" in columns else [""] * n
    lat_text = columns["latitude"].text if "latitude" in columns else [""] * n
    half = np.isnan(lon) != np.isnan(lat)
    for index in np.flatnonzero(half):
        header = "经度" if np.isnan(lon[index]) else "纬度"
        check.reject(int(index), header, "", "bad_coordinate", "经度和纬度须同时填写")
    both = ~np.isnan(lon) & ~np.isnan(lat)
    west, east, south, north = CHINA_BOUNDS
    wgs_lon, wgs_lat = (np.round(v, 7) for v in to_wgs84(crs, lon, lat))  # 1e-7° ≈ 1 cm
    outside = both & ~((wgs_lon > west) & (wgs_lon < east) & (wgs_lat > south) & (wgs_lat < north))
    for index in np.flatnonzero(outside):
        value = f"{lon_text[index]}, {lat_text[index]}"
        check.reject(int(index), "经度/纬度", value, "outside_china")
    parsed["longitude"] = [float(v) if ok else None for v, ok in zip(wgs_lon, both, strict=True)]
    parsed["latitude"] = [float(v) if ok else None for v, ok in zip(wgs_lat, both, strict=True)]


def _geometries(parsed: dict[str, list[Any]], table: Table, crs: str, check: _Checker) -> None:
    """Boundary and line cells: convert to WGS-84, check, make GeoJSON; fill a missing position."""
    if "geometry" not in parsed:
        return
    field = next(f for f in table.fields if f.key == "geometry")
    made: list[dict[str, Any] | None] = []
    for index, points in enumerate(parsed["geometry"]):
        if points is None:
            made.append(None)
            continue
        lon, lat = to_wgs84(crs, points[:, 0], points[:, 1])
        wgs = np.column_stack([lon, lat])
        if field.parser == "polygon":
            problem = geometry.polygon_problem(wgs)
            if problem:
                check.reject(index, field.header, "", "bad_polygon", problem)
                made.append(None)
                continue
            made.append(geometry.polygon_geojson(wgs))
        else:
            made.append(geometry.line_geojson(wgs))
    parsed["geometry"] = made
    for index, shape in enumerate(made):
        if shape is not None and parsed.get("longitude", [None] * len(made))[index] is None:
            parsed.setdefault("longitude", [None] * len(made))[index] = geometry.centre(shape)[0]
            parsed.setdefault("latitude", [None] * len(made))[index] = geometry.centre(shape)[1]


DATE_ORDER = (("start_date", "planned_end"), ("installed", "removed"))
"""(earlier, later) date columns: a site ends after it starts, a device is removed after it is
installed (the same day is allowed)."""


def _date_order(parsed: dict[str, list[Any]], columns: dict[str, _Column], check: _Checker) -> None:
    for first, then in DATE_ORDER:
        if first in parsed and then in parsed:
            for index, (a, b) in enumerate(zip(parsed[first], parsed[then], strict=True)):
                if a is not None and b is not None and b < a:
                    detail = f"早于{columns[first].header}（{a}）"
                    check.reject(index, columns[then].header, str(b), "bad_date_order", detail)


def _industry_names(parsed: dict[str, list[Any]]) -> None:
    """An empty 行业名称 is filled from GB/T 4754-2017 where the table lists the code."""
    if "industry_code" not in parsed:
        return
    names = parsed.setdefault("industry_name", [None] * len(parsed["industry_code"]))
    for index, code in enumerate(parsed["industry_code"]):
        if code and not names[index]:
            names[index] = industry_name(code)


def parse_register(
    sheet: Sheet, table: Table, source: str, crs: str = "wgs84"
) -> list[dict[str, Any]]:
    """The records of one register sheet; :class:`RegisterImportError` listing every problem.

    ``source`` names the sheet in errors (``file.xlsx!企业`` or ``file.csv``); ``crs`` is the
    coordinate system of its positions and boundaries (``wgs84``, ``gcj02``, ``bd09``). A record is
    a dict of glossary keys (``details`` keys gathered under ``details``) plus its ``line``.
    """
    check = _Checker(source, sheet.rows)
    for overflowing in np.flatnonzero(sheet.overflow > 0).tolist():
        check.reject(overflowing, f"第 {len(sheet.header) + 1} 列起", "", "extra_cells")
    columns = _columns(sheet, table, check)
    _required(columns, check)
    parsed = {key: PARSERS[c.field.parser](c, check) for key, c in columns.items()}
    for key in ("code", "credit_code", "mn", "station_code"):
        _duplicates(columns.get(key), check)
    _positions(parsed, columns, crs, check)
    _geometries(parsed, table, crs, check)
    _date_order(parsed, columns, check)
    _industry_names(parsed)
    if check.rejections:
        raise RegisterImportError(sorted(check.rejections, key=lambda r: r.line))
    details = {f.key for f in table.fields if f.details}
    records = []
    for index, line in enumerate(sheet.rows.tolist()):
        record: dict[str, Any] = {"line": line, "details": {}}
        for key, values in parsed.items():
            if key in details:
                if values[index] is not None:
                    record["details"][key] = values[index]
            else:
                record[key] = values[index]
        records.append(record)
    return records
