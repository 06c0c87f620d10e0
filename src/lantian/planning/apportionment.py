"""Source-apportionment results (源解析结果): the workbook a district imports, and the stored results.

A result is one of :data:`KINDS`. The workbook (``lantian plan apportionment template``) has:

* ``基本信息`` — two columns 项目 | 内容: 名称, 类别 (受体模型PMF / 已发布源解析 / 空气质量模型敏感性),
  区域 (e.g. 冷水滩区中心城区), 年份, 出处 (the report, paper or run it comes from);
* ``源解析`` — a row per component: 来源, 类型 (区域传输 / 一次源 / 二次 / 未解析), 贡献率%,
  清单源类别 (a primary source's category in the inventory, e.g. 扬尘源), 二次组分 (硫酸盐 / 硝酸盐 /
  二次有机气溶胶 / 铵盐);
* ``模型敏感性`` (CTM results only) — 清单源类别, 污染物, PM2.5变化 [µg/m³ for removing all of that
  category's emission of that pollutant].

The import is all-or-nothing: every problem is listed as ``sheet!row column`` and nothing is stored
(:class:`~lantian.plan.errors.ImportRejectedError`). ``inventory`` results (no apportionment: stated
regional and secondary fractions) are stored by :func:`store_inventory_basis`; PMF runs by
:mod:`lantian.planning.pmf`.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.ingest.excel import (
    WorkbookError,
    WorkbookLimits,
    append_row,
    open_workbook,
    sheet_rows,
)
from lantian.plan.access import Actor, require
from lantian.plan.audit import act
from lantian.plan.errors import CellError, ImportRejectedError, LedgerValueError, NotFoundError
from lantian.planning.models import Apportionment
from lantian.planning.response import SPECIES_ZH, Component, check_components

KINDS = ("pmf", "published", "inventory", "ctm")
KIND_ZH = {
    "pmf": "受体模型PMF",
    "published": "已发布源解析",
    "inventory": "清单一次排放占比（二次比例为设定值）",
    "ctm": "空气质量模型敏感性",
}
COMPONENT_KIND_ZH = {
    "regional": "区域传输",
    "primary": "一次源",
    "secondary": "二次",
    "unattributed": "未解析",
}
INFO_SHEET, COMPONENT_SHEET, CTM_SHEET = "基本信息", "源解析", "模型敏感性"
INFO_KEYS = {"名称": "name", "类别": "kind", "区域": "area", "年份": "year", "出处": "source"}
COMPONENT_HEADERS = ("来源", "类型", "贡献率%", "清单源类别", "二次组分")
CTM_HEADERS = ("清单源类别", "污染物", "PM2.5变化")
LIMITS = WorkbookLimits(file_bytes=2 * 2**20, cells=20_000, rows=500, columns=16)


def _by_zh(names: Mapping[str, str]) -> dict[str, str]:
    return {zh: key for key, zh in names.items()} | {key: key for key in names}


class _Errors(list):
    def add(self, sheet: str, row: int, column: str, zh: str, en: str) -> None:
        self.append(CellError(sheet, row, column, zh, en))


def _table(
    book, sheet: str, headers: tuple[str, ...], source: str, errors: _Errors
) -> list[tuple[int, dict]]:
    """The rows of ``sheet`` as (row number, {header: value}); missing headers are errors."""
    rows = list(sheet_rows(book, sheet, source, LIMITS))
    if not rows:
        errors.add(sheet, 1, "", "工作表为空", "the sheet is empty")
        return []
    header = [str(v).strip() if v is not None else "" for v in rows[0]]
    for name in headers:
        if name not in header:
            errors.add(sheet, 1, name, "缺少此列", "column missing")
    if errors:
        return []
    index = {name: header.index(name) for name in headers}
    out = []
    for number, row in enumerate(rows[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        out.append(
            (number, {name: (row[i] if i < len(row) else None) for name, i in index.items()})
        )
    return out


def _number(value: Any, sheet: str, row: int, column: str, errors: _Errors) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        errors.add(sheet, row, column, f"应为数字，得到 {value!r}", f"not a number: {value!r}")
        return None
    if not math.isfinite(number):
        errors.add(sheet, row, column, "应为有限数字", "not a finite number")
        return None
    return number


def _info(book, source: str, errors: _Errors) -> dict[str, Any]:
    info: dict[str, Any] = {}
    for number, row in _table(book, INFO_SHEET, ("项目", "内容"), source, errors):
        key = INFO_KEYS.get(str(row["项目"] or "").strip())
        if key is None:
            errors.add(
                INFO_SHEET, number, "项目", f"未知项目，应为 {list(INFO_KEYS)}", "unknown item"
            )
            continue
        info[key] = str(row["内容"]).strip() if row["内容"] is not None else ""
    for zh, key in INFO_KEYS.items():
        if not info.get(key):
            errors.add(INFO_SHEET, 0, zh, "必须填写", "required")
    kind = _by_zh(KIND_ZH | {"published": "已发布源解析"}).get(info.get("kind", ""))
    if info.get("kind") and kind not in ("pmf", "published", "ctm"):
        errors.add(
            INFO_SHEET,
            0,
            "类别",
            "类别应为 受体模型PMF、已发布源解析 或 空气质量模型敏感性",
            "unknown kind",
        )
    info["kind"] = kind
    if info.get("year"):
        year = _number(info["year"], INFO_SHEET, 0, "年份", errors)
        info["year"] = int(year) if year is not None and 1990 <= year <= 2100 else None
        if info["year"] is None:
            errors.add(INFO_SHEET, 0, "年份", "年份应在 1990–2100", "year out of range")
    return info


def _components(book, source: str, errors: _Errors) -> list[Component]:
    kinds, species = _by_zh(COMPONENT_KIND_ZH), _by_zh(SPECIES_ZH)
    out = []
    for number, row in _table(book, COMPONENT_SHEET, COMPONENT_HEADERS, source, errors):
        name = str(row["来源"] or "").strip()
        kind = kinds.get(str(row["类型"] or "").strip())
        share = _number(row["贡献率%"], COMPONENT_SHEET, number, "贡献率%", errors)
        category = str(row["清单源类别"] or "").strip() or None
        component_species = species.get(str(row["二次组分"] or "").strip())
        if not name:
            errors.add(COMPONENT_SHEET, number, "来源", "必须填写", "required")
        if kind is None:
            errors.add(
                COMPONENT_SHEET,
                number,
                "类型",
                f"应为 {list(COMPONENT_KIND_ZH.values())}",
                "unknown type",
            )
        if share is not None and not 0 <= share <= 100:
            errors.add(COMPONENT_SHEET, number, "贡献率%", "应在 0–100", "share out of 0–100 %")
        if kind == "primary" and not category:
            errors.add(
                COMPONENT_SHEET,
                number,
                "清单源类别",
                "一次源须对应清单源类别",
                "required for a primary source",
            )
        if kind == "secondary" and component_species is None:
            errors.add(
                COMPONENT_SHEET,
                number,
                "二次组分",
                f"应为 {list(SPECIES_ZH.values())}",
                "unknown species",
            )
        if name and kind and share is not None and 0 <= share <= 100:
            out.append(Component(name, kind, share / 100, category, component_species))
    total = sum(c.share for c in out)
    if total > 1 + 1e-6:
        errors.add(
            COMPONENT_SHEET,
            0,
            "贡献率%",
            f"合计 {total:.1%} 超过 100%",
            "shares add up to more than 100 %",
        )
    return out


def _sensitivities(book, source: str, errors: _Errors) -> list[dict[str, Any]]:
    out = []
    for number, row in _table(book, CTM_SHEET, CTM_HEADERS, source, errors):
        category = str(row["清单源类别"] or "").strip()
        pollutant = str(row["污染物"] or "").strip()
        value = _number(row["PM2.5变化"], CTM_SHEET, number, "PM2.5变化", errors)
        if not category or not pollutant:
            errors.add(
                CTM_SHEET,
                number,
                "清单源类别",
                "类别和污染物必须填写",
                "category and pollutant required",
            )
        elif value is not None and value < 0:
            errors.add(
                CTM_SHEET,
                number,
                "PM2.5变化",
                "应为削减全部排放时 PM2.5 的降低量（≥ 0）",
                "must be ≥ 0",
            )
        elif value is not None:
            out.append({"category": category, "pollutant": pollutant, "value": value})
    return out


def parse_workbook(source: str, data: bytes) -> dict[str, Any]:
    """The result in an apportionment workbook, or :class:`ImportRejectedError` with every problem."""
    errors = _Errors()
    try:
        book = open_workbook(source, data, LIMITS)
    except WorkbookError as error:
        raise ImportRejectedError(
            source, [CellError("", 0, "", error.reason_zh, str(error))]
        ) from None
    try:
        for sheet in (INFO_SHEET, COMPONENT_SHEET):
            if sheet not in book.sheetnames:
                errors.add(sheet, 0, "", "缺少此工作表", "sheet missing")
        if errors:
            raise ImportRejectedError(source, list(errors))
        info = _info(book, source, errors)
        components = _components(book, source, errors)
        sensitivities = None
        if info.get("kind") == "ctm":
            if CTM_SHEET not in book.sheetnames:
                errors.add(CTM_SHEET, 0, "", "空气质量模型结果须有此工作表", "sheet missing")
            else:
                sensitivities = _sensitivities(book, source, errors)
    except WorkbookError as error:
        raise ImportRejectedError(
            source, [CellError("", 0, "", error.reason_zh, str(error))]
        ) from None
    finally:
        book.close()
    if errors:
        raise ImportRejectedError(source, list(errors))
    return {**info, "components": components, "sensitivities": sensitivities}


def store_result(db: Session, actor: Actor, values: dict[str, Any]) -> Apportionment:
    """Store a result (office), replacing one of the same name; components as dicts."""
    require(actor, "plan.manage")
    act(db, actor)
    existing = db.scalar(select(Apportionment).where(Apportionment.name == values["name"]))
    if existing is not None:
        db.delete(existing)
        db.flush()
    values = dict(values)
    values["components"] = [c.__dict__ for c in values["components"]]
    result = Apportionment(**values)
    db.add(result)
    db.flush()
    return result


def import_workbook(
    db: Session, actor: Actor, source: str, data: bytes, example: bool = False
) -> Apportionment:
    """Parse and store an apportionment workbook (office); replaces a result of the same name."""
    require(actor, "plan.manage")
    parsed = parse_workbook(source, data)
    return store_result(db, actor, {**parsed, "imported_from": source[:300], "example": example})


def store_inventory_basis(
    db: Session,
    actor: Actor,
    name: str,
    area: str,
    year: int,
    regional_share: float,
    secondary_shares: Mapping[str, float],
    source: str,
    example: bool = False,
) -> Apportionment:
    """Store the stated fractions of the inventory basis (no apportionment available)."""
    components = [Component("区域传输", "regional", regional_share)] + [
        Component(SPECIES_ZH[k], "secondary", v, species=k) for k, v in secondary_shares.items()
    ]
    try:
        check_components(components)
    except ValueError as error:
        raise LedgerValueError(f"比例有误：{error}", str(error), "share") from error
    values = {"name": name, "kind": "inventory", "area": area, "year": year, "source": source}
    return store_result(db, actor, {**values, "components": components, "example": example})


def components_of(result: Apportionment) -> tuple[Component, ...]:
    """The stored components as :class:`Component`."""
    return tuple(Component(**c) for c in result.components)


def get_apportionment(db: Session, area: str, name: str | None = None) -> Apportionment | None:
    """The result called ``name``, or the area's newest (by year, then import) — ``None`` if none."""
    if name is not None:
        found = db.scalar(select(Apportionment).where(Apportionment.name == name))
        if found is None:
            raise NotFoundError(
                f"没有源解析结果“{name}”", f"no apportionment {name!r}", "apportionment"
            )
        return found
    query = (
        select(Apportionment)
        .where(Apportionment.area == area)
        .order_by(Apportionment.year.desc(), Apportionment.id.desc())
    )
    return db.scalars(query).first()


def template_workbook() -> bytes:
    """An empty apportionment workbook with the three sheets' headers and one worked row each."""
    book = Workbook()
    info = book.active
    info.title = INFO_SHEET
    append_row(info, ["项目", "内容"])
    for row in (["名称", ""], ["类别", "已发布源解析"], ["区域", ""], ["年份", ""], ["出处", ""]):
        append_row(info, row)
    components = book.create_sheet(COMPONENT_SHEET)
    append_row(components, list(COMPONENT_HEADERS))
    append_row(components, ["扬尘", "一次源", 20, "扬尘源", ""])
    append_row(components, ["二次硝酸盐", "二次", 15, "", "硝酸盐"])
    ctm = book.create_sheet(CTM_SHEET)
    append_row(ctm, list(CTM_HEADERS))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
