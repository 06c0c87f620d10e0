"""Activity data (活动水平): a template per source category, filled from the registry, imported
all or nothing.

The templates are :class:`lantian.sources.vocabulary.Table` layouts (Chinese headers as the
inventory teams write them) and are read by the registry's one reader layer: the file's sheets by
:func:`lantian.ingest.sheets.read_table_file`, each sheet's cells by
:func:`lantian.sources.tables.parse_register` (errors by sheet, row and column). On top of that
this module checks what only the inventory knows — percentages in [0, 100], a source number that
the registry holds, a row key given twice, a factor without its source — and stores a template's
rows for a year in ``inventory_activity``, replacing that year's rows of the templates in the
file, in the caller's transaction (a problem anywhere stores nothing).

Percentages are written as the teams write them (含硫率 0.8 for 0.8 %) and stored as fractions.
Templates whose method has no published factor shipped (堆场, 餐饮, 秸秆, 排放系数法) carry the
factor as a column with its source (系数来源); a row without a factor is kept but gives no
emission (the build lists it), never a made-up one.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.ingest.excel import append_row
from lantian.ingest.schema import FormatError
from lantian.ingest.sheets import is_xlsx, read_table_file
from lantian.inventory.models import ActivityRow
from lantian.plan.access import Actor, require
from lantian.plan.audit import act
from lantian.sources.models import ConstructionSite, Source
from lantian.sources.tables import RegisterImportError, RegisterRejection, parse_register
from lantian.sources.vocabulary import PHASES, Field, Table

POLLUTANTS = ("SO2", "NOx", "CO", "VOCs", "NH3", "PM10", "PM2.5", "BC", "OC", "TSP")
"""The inventory's pollutants (issue #16 §1), TSP for dust."""
CONSTRUCTION_TYPES = ("建筑施工", "市政(拆迁)施工")
CONSTRUCTION_MEASURES = (
    "道路硬化措施",
    "边界围挡",
    "裸露地面覆盖",
    "易扬尘物料覆盖",
    "定期喷洒抑制剂",
    "运输车辆机械冲洗装置",
    "运输车辆简易冲洗装置",
)
"""The control measures of the 施工扬尘产生、削减系数表 (``data/factors.csv``), in its order."""
FACTOR_UNIT_MASS = {"g": 1e-6, "克": 1e-6, "kg": 1e-3, "千克": 1e-3, "t": 1.0, "吨": 1.0}
"""The mass unit before the ``/`` of an 排放系数单位 → tonnes per that unit."""


def _pct(key: str, header: str, required: bool = False) -> Field:
    return Field(key, header, "number", required=required)


def _factor_fields(unit: str) -> tuple[Field, ...]:
    return (
        Field("factor", f"排放系数（{unit}）", "number"),
        Field("factor_source", "系数来源"),
    )


@dataclass(frozen=True)
class Template:
    """One activity template: its layout, its registry kind, how its rows are keyed."""

    table: Table
    registry_kind: str | None
    """The registry kind its 编号 must be (``site``, ``road``, …); ``None``: no registry link."""
    key: tuple[str, ...]
    """The glossary keys whose values make a row's key within the year."""
    percentages: tuple[str, ...] = ()
    """Keys written in % (0–100) and stored as fractions."""
    title: str = ""
    """What the template is for, written above nothing — the sheet name says the category."""


TEMPLATES: dict[str, Template] = {
    t.table.name: t
    for t in (
        Template(
            Table(
                "sites",
                "site",
                "施工扬尘",
                (
                    Field("source_code", "工地编号", required=True),
                    Field("name", "项目名称"),
                    Field("source_type", "工地类别", "choice", True, choices=CONSTRUCTION_TYPES),
                    Field("area", "施工面积（平方米）", "number", required=True),
                    Field("months", "施工月数（月）", "number", required=True),
                    Field("phase", "施工阶段", "choice", choices=PHASES),
                    *(Field(m, f"{m}（达标）", "yes_no") for m in CONSTRUCTION_MEASURES),
                    Field("note", "备注"),
                ),
            ),
            "site",
            ("source_code",),
            title="施工扬尘：产生、削减系数法（按措施达标情况）",
        ),
        Template(
            Table(
                "roads",
                "road",
                "道路扬尘",
                (
                    Field("source_code", "道路编号", required=True),
                    Field("name", "道路名称"),
                    Field("length_m", "长度（米）", "number", required=True),
                    Field("traffic", "日均车流量（辆/日）", "number", required=True),
                    Field("weight", "平均车重（吨）", "number", required=True),
                    Field("silt_loading", "积尘负荷（克/平方米）", "number", required=True),
                    Field("days", "统计天数（日）", "number"),
                    Field("wet_days", "降水日数（日降水量≥0.254毫米）", "number"),
                    _pct("efficiency", "控制效率（%）"),
                    Field("note", "备注"),
                ),
            ),
            "road",
            ("source_code",),
            ("efficiency",),
            title="铺装道路扬尘：AP-42 §13.2.1",
        ),
        Template(
            Table(
                "yards",
                "yard",
                "堆场扬尘",
                (
                    Field("source_code", "堆场编号", required=True),
                    Field("name", "名称"),
                    Field("pollutant", "污染物", "choice", True, choices=("TSP", "PM10", "PM2.5")),
                    Field("handled", "物料装卸量（吨）", "number"),
                    Field("handling_factor", "装卸排放系数（千克/吨）", "number"),
                    Field("surface", "料堆表面积（平方米）", "number"),
                    Field("erosion_factor", "风蚀排放系数（千克/平方米）", "number"),
                    _pct("efficiency", "控制效率（%）"),
                    Field("factor_source", "系数来源"),
                    Field("note", "备注"),
                ),
            ),
            "yard",
            ("source_code", "pollutant"),
            ("efficiency",),
        ),
        Template(
            Table(
                "catering",
                "catering",
                "餐饮油烟",
                (
                    Field("source_code", "店铺编号", required=True),
                    Field("name", "店名"),
                    Field("pollutant", "污染物", "choice", True, choices=("PM2.5", "PM10", "VOCs")),
                    Field("stoves", "灶头数", "number", required=True),
                    Field("hours", "年营业时间（小时/灶头）", "number", required=True),
                    *_factor_fields("克/灶头·小时"),
                    _pct("efficiency", "净化效率（%）"),
                    Field("note", "备注"),
                ),
            ),
            "catering",
            ("source_code", "pollutant"),
            ("efficiency",),
        ),
        Template(
            Table(
                "combustion",
                "enterprise",
                "燃煤物料衡算",
                (
                    Field("source_code", "企业编号", required=True),
                    Field("name", "企业名称"),
                    Field("coal", "燃煤量（吨）", "number", required=True),
                    _pct("sulphur", "收到基含硫率（%）"),
                    _pct("retention", "硫分固留率（%）"),
                    _pct("desulphurisation", "脱硫效率（%）"),
                    _pct("ash", "收到基灰分（%）"),
                    _pct("fly_ash", "飞灰份额（%）"),
                    _pct("dust_removal", "除尘效率（%）"),
                    Field("factor_source", "参数来源"),
                    Field("note", "备注"),
                ),
            ),
            "enterprise",
            ("source_code",),
            ("sulphur", "retention", "desulphurisation", "ash", "fly_ash", "dust_removal"),
        ),
        Template(
            Table(
                "open_burning",
                "area",
                "秸秆露天焚烧",
                (
                    Field("town", "乡镇（街道）", required=True),
                    Field("crop", "作物", required=True),
                    Field("pollutant", "污染物", "choice", True, choices=POLLUTANTS),
                    Field("straw", "秸秆产量（吨）", "number", required=True),
                    _pct("burned", "露天焚烧比例（%）", required=True),
                    *_factor_fields("克/千克"),
                    Field("note", "备注"),
                ),
            ),
            None,
            ("town", "crop", "pollutant"),
            ("burned",),
        ),
        Template(
            Table(
                "emission_factor",
                "any",
                "排放系数法",
                (
                    Field("source_code", "污染源编号"),
                    Field("name", "名称"),
                    Field("town", "乡镇（街道）"),
                    Field("category", "源类别（第一级）", required=True),
                    Field("sector", "行业（第二级）"),
                    Field("fuel_product", "燃料/产品（第三级）"),
                    Field("technology", "技术（第四级）"),
                    Field("pollutant", "污染物", "choice", True, choices=POLLUTANTS),
                    Field("activity", "活动水平", "number", required=True),
                    Field("activity_unit", "活动水平单位", required=True),
                    Field("factor", "排放系数", "number", required=True),
                    Field("factor_unit", "排放系数单位", required=True),
                    _pct("efficiency", "控制效率（%）"),
                    Field("factor_source", "系数来源", required=True),
                    Field("longitude", "经度", "longitude"),
                    Field("latitude", "纬度", "latitude"),
                    Field("note", "备注"),
                ),
            ),
            None,
            (
                "source_code",
                "town",
                "category",
                "sector",
                "fuel_product",
                "technology",
                "pollutant",
            ),
            ("efficiency",),
        ),
    )
}
"""Template key → its layout; the order of the workbook's sheets."""


class ActivityImportError(RegisterImportError):
    """Activity data with problems; nothing was stored. ``rejections`` lists every one."""


# --- writing the templates -----------------------------------------------------------------------


def site_months(start: dt.date | None, end: dt.date | None, year: int) -> float | None:
    """The months of ``year`` a site works, from its start and planned end [month, 0.1].

    Days of the year between the two dates (both counted) × 12 / days of the year; ``None`` when
    a date is missing.
    """
    if start is None or end is None:
        return None
    first, last = max(start, dt.date(year, 1, 1)), min(end, dt.date(year, 12, 31))
    days = (last - first).days + 1
    length = (dt.date(year, 12, 31) - dt.date(year, 1, 1)).days + 1
    return round(max(days, 0) * 12 / length, 1)


SITE_TYPE_TO_TAX = {"房建": "建筑施工", "市政": "市政(拆迁)施工", "拆迁": "市政(拆迁)施工"}
"""The registry's 工地类型 → the coefficient table's site type (道路 works are municipal works)."""
SITE_TYPE_TO_TAX["道路"] = "市政(拆迁)施工"
EIGHT_MUSTS_TO_MEASURES = {
    "围挡规范标准": "边界围挡",
    "进出道路硬化": "道路硬化措施",
    "自动冲洗": "运输车辆机械冲洗装置",
    "场内裸土绿色全覆盖": "裸露地面覆盖",
    "材料规范堆放": "易扬尘物料覆盖",
}
"""The plan's 八个必须 items that are one of the table's measures (the others are not: 湿法作业 is
not 定期喷洒抑制剂); the template is filled from the registry's checklist with these."""


def _yes(value: Any) -> str:
    return "" if value is None else ("是" if value else "否")


def _site_row(site: ConstructionSite, year: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "source_code": site.code,
        "name": site.name,
        "source_type": SITE_TYPE_TO_TAX.get(site.site_type, ""),
        "area": site.disturbed_area_m2,
        "months": site_months(site.start_date, site.planned_end, year),
        "phase": site.phase,
    }
    for item, measure in EIGHT_MUSTS_TO_MEASURES.items():
        row[measure] = _yes((site.checklist or {}).get(item))
    return row


def _registry_rows(db: Session, key: str, year: int) -> list[dict[str, Any]]:
    """What the registry knows of a template's sources (sites' areas and months, roads' lengths,
    yards' areas, restaurants' stoves, enterprises' names)."""
    template = TEMPLATES[key]
    if template.registry_kind is None:
        return []
    sources = db.scalars(
        select(Source).where(Source.kind == template.registry_kind).order_by(Source.code)
    ).all()
    fill: Callable[[Any], dict[str, Any]] = {
        "site": lambda s: _site_row(s, year),
        "road": lambda s: {"length_m": s.details.get("length_m")},
        "yard": lambda s: {"surface": s.details.get("area_m2")},
        "catering": lambda s: {"stoves": s.details.get("stoves")},
    }.get(template.registry_kind, lambda s: {})
    return [{"source_code": s.code, "name": s.name, **fill(s)} for s in sources]


def template_workbook(db: Session, actor: Actor, year: int, keys: list[str] | None = None) -> bytes:
    """The templates as one xlsx, a sheet per category, rows filled from the registry."""
    require(actor, "inventory.read")
    book = Workbook()
    book.remove(book.active)
    for key in keys or list(TEMPLATES):
        table = TEMPLATES[key].table
        sheet = book.create_sheet(table.sheet)
        append_row(sheet, table.headers)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in _registry_rows(db, key, year):
            append_row(sheet, [row.get(f.key) for f in table.fields])
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- reading and storing -------------------------------------------------------------------------


def _sheets(name: str, data: bytes, template: str | None) -> list[tuple[str, Any, str]]:
    if not is_xlsx(data):
        if template is None:
            raise FormatError(name, "a CSV file holds one template: give --template")
        return [(template, read_table_file(name, data), name)]
    found = []
    for key in [template] if template else list(TEMPLATES):
        try:
            sheet = read_table_file(name, data, TEMPLATES[key].table.sheet)
        except FormatError as error:
            if not error.reason.startswith("no sheet"):
                raise
            if template is None:
                continue
            sheet = read_table_file(name, data)
        found.append((key, sheet, f"{name}!{sheet.name}"))
    if not found:
        sheets = "、".join(t.table.sheet for t in TEMPLATES.values())
        raise FormatError(name, f"no activity sheet; expected one of {sheets}")
    return found


def _header(template: Template, key: str) -> str:
    return next(f.header for f in template.table.fields if f.key == key)


def _check_records(
    template: Template,
    records: list[dict[str, Any]],
    source: str,
    registered: dict[str, tuple[int, str]],
) -> list[RegisterRejection]:
    """The inventory's own checks of parsed records; fills ``row_key`` and ``source_id``."""
    problems: list[RegisterRejection] = []

    def reject(record: dict[str, Any], key: str, value: Any, reason: str, detail: str) -> None:
        problems.append(
            RegisterRejection(
                source, record["line"], _header(template, key), str(value), reason, detail
            )
        )

    seen: dict[str, int] = {}
    for record in records:
        for key in template.percentages:
            value = record.get(key)
            if value is not None and value > 100:
                reject(record, key, value, "bad_percent", "百分数应在 0–100 之间")
        code = record.get("source_code")
        if code and (template.registry_kind or code in registered):
            kind = template.registry_kind
            if code not in registered or (kind and registered[code][1] != kind):
                reject(
                    record,
                    "source_code",
                    code,
                    "unknown_source",
                    "编号未在污染源登记中（或类型不符）",
                )
        record["source_id"] = registered[code][0] if code in registered else None
        if (
            record.get("factor") is not None
            and "factor_source" in {f.key for f in template.table.fields}
            and not record.get("factor_source")
        ):
            reject(record, "factor_source", "", "empty", "填写了排放系数，须注明系数来源")
        if template.table.name == "emission_factor":
            unit = (record.get("factor_unit") or "").split("/")[0].strip()
            if unit not in FACTOR_UNIT_MASS:
                reject(
                    record,
                    "factor_unit",
                    record.get("factor_unit"),
                    "bad_choice",
                    "应为 克/…、千克/…、吨/…（g/、kg/、t/）",
                )
        row_key = "|".join(str(record.get(k) or "") for k in template.key)
        if row_key in seen:
            reject(record, template.key[0], row_key, "duplicate", f"与第 {seen[row_key]} 行重复")
        seen.setdefault(row_key, record["line"])
        record["row_key"] = row_key
    return problems


def _values(template: Template, record: dict[str, Any]) -> dict[str, Any]:
    values = {
        k: v for k, v in record.items() if k not in {"line", "details", "row_key", "source_id"}
    }
    for key in template.percentages:
        if values.get(key) is not None:
            values[key] = values[key] / 100.0
    return values


def import_activity(
    db: Session,
    actor: Actor,
    name: str,
    data: bytes,
    year: int,
    *,
    template: str | None = None,
    example: bool = False,
) -> dict[str, int]:
    """Import activity data for ``year`` from a workbook (a sheet per template) or one CSV.

    All or nothing: raises :class:`ActivityImportError` with every problem of every sheet, or
    :class:`FormatError` for a file that cannot be read; the caller's transaction then rolls back.
    The year's rows of each template found replace what was stored. Returns template → rows.
    """
    require(actor, "inventory.manage")
    if template is not None and template not in TEMPLATES:
        raise KeyError(f"unknown template {template!r}; valid: {', '.join(TEMPLATES)}")
    registered = {
        code: (id_, kind)
        for id_, code, kind in db.execute(select(Source.id, Source.code, Source.kind))
    }
    parsed, problems = [], []
    for key, sheet, source in _sheets(name, data, template):
        try:
            records = parse_register(sheet, TEMPLATES[key].table, source)
        except RegisterImportError as error:
            problems += error.rejections
            continue
        problems += _check_records(TEMPLATES[key], records, source, registered)
        parsed.append((key, records))
    if problems:
        raise ActivityImportError(sorted(problems, key=lambda r: (r.source, r.line)))
    act(db, actor)
    counts = {}
    for key, records in parsed:
        for old in db.scalars(
            select(ActivityRow).where(ActivityRow.year == year, ActivityRow.template == key)
        ):
            db.delete(old)
        db.flush()
        for record in records:
            db.add(
                ActivityRow(
                    year=year,
                    template=key,
                    row_key=record["row_key"],
                    source_id=record["source_id"],
                    values=_values(TEMPLATES[key], record),
                    example=example,
                    imported_from=name[:300],
                )
            )
        counts[key] = len(records)
    db.flush()
    return counts


def activity_rows(db: Session, actor: Actor, year: int) -> dict[str, list[ActivityRow]]:
    """The stored activity rows of ``year``, by template."""
    require(actor, "inventory.read")
    rows = db.scalars(
        select(ActivityRow).where(ActivityRow.year == year).order_by(ActivityRow.id)
    ).all()
    found: dict[str, list[ActivityRow]] = {key: [] for key in TEMPLATES}
    for row in rows:
        found.setdefault(row.template, []).append(row)
    return found
