"""The registry's tables as the offices lay them out: per kind, its sheet name and its columns.

Each column is a :class:`Field`: the glossary name (the model attribute, or a key of a source's
``details``), the Chinese header of the offices' spreadsheets, how its text is read (a parser of
:mod:`lantian.sources.tables`) and whether it is required. Import, export, ``list`` and the example
registry all use these lists, so a header is spelt in one place. Headers are also accepted in
their glossary (English) form.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lantian.sources.devices import DeviceKind

EIGHT_MUSTS = (
    "围挡规范标准",
    "湿法作业",
    "进出道路硬化",
    "自动冲洗",
    "工作面喷雾抑尘",
    "严格渣土运输",
    "场内裸土绿色全覆盖",
    "材料规范堆放",
)
"""The plan's "八个必须" for construction sites, in its order (冷水滩区达标方案 四（一）1)."""
SIX_HUNDRED_PERCENT = {
    "工地周边围挡": "围挡规范标准",
    "物料堆放覆盖": "材料规范堆放",
    "土方开挖湿法作业": "湿法作业",
    "路面硬化": "进出道路硬化",
    "出入车辆清洗": "自动冲洗",
    "渣土车辆密闭运输": "严格渣土运输",
}
"""The national "六个百分之百" for construction sites, in the order of 国务院《打赢蓝天保卫战三年
行动计划》（国发〔2018〕22号）(工地周边围挡、物料堆放覆盖、土方开挖湿法作业、路面硬化、出入车辆清洗、
渣土车辆密闭运输"六个百分之百") → the item of the plan's 八个必须 that records it. The registry keeps
the plan's eight (the district's own list, which covers the six); the site page shows each with the
one of the six it answers."""
SITE_TYPES = ("房建", "市政", "拆迁", "道路")
PHASES = ("土方", "基础", "主体", "装饰", "完工")
GRADES = ("A", "B", "C", "D")
"""绩效分级 of the emergency reduction list (issue #7)."""
DEFAULT_SUPERVISOR = "区住建局"
SUPERVISOR_BY_SITE_TYPE = {"市政": "区城管执法局"}
"""A site's supervising unit when none is given: municipal works 区城管执法局, others 区住建局."""

DEVICE_KINDS: dict[str, tuple[str, str]] = {
    "dust": ("扬尘监测仪", "dust"),
    "micro": ("小微站", "micro"),
    "cems": ("CEMS", "cems"),
    "voc": ("VOCs监测仪", "voc"),
    "national": ("国控站", "national"),
}
"""Device kind → (Chinese name, the measurement store's network its hourly values go under)."""


@dataclass(frozen=True)
class Field:
    """One column of a register."""

    key: str
    """Glossary name: the model attribute, or the ``details`` key when ``details`` is true."""
    header: str
    """The Chinese header in the offices' layout."""
    parser: str = "text"
    """How the cell is read: a key of ``tables.PARSERS``."""
    required: bool = False
    details: bool = False
    choices: tuple[str, ...] = ()
    """For ``choice``: the accepted values."""


@dataclass(frozen=True)
class Table:
    """One register: a source kind (or the devices) with its sheet and columns."""

    name: str
    """The ``--kind`` of the CLI (``enterprises``, ``sites``, … ``devices``)."""
    kind: str
    """The source kind stored (``enterprise``, ``site``, …; ``device`` for the devices)."""
    sheet: str
    """Sheet name in a workbook (and the Chinese name of the register)."""
    fields: tuple[Field, ...] = field(default_factory=tuple)
    summary: tuple[str, ...] = ("code", "name", "town", "responsible_unit")
    """The glossary keys a terminal table shows (the full layout goes to CSV and xlsx)."""

    @property
    def headers(self) -> list[str]:
        return [f.header for f in self.fields]


def _source_fields(name_header: str, *extra: Field, unit: str = "责任单位") -> tuple[Field, ...]:
    head = (Field("code", "编号", required=True), Field("name", name_header, required=True))
    place = (
        Field("address", "地址"),
        Field("town", "乡镇（街道）"),
        Field("longitude", "经度", "longitude"),
        Field("latitude", "纬度", "latitude"),
        Field("responsible_unit", unit),
    )
    return (*head, *extra, *place, Field("note", "备注"))


_YES_NO = "yes_no"
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "enterprises",
            "enterprise",
            "企业",
            _source_fields(
                "企业名称",
                Field("credit_code", "统一社会信用代码", "credit_code"),
                Field("industry_code", "行业代码", "industry_code"),
                Field("industry_name", "行业名称"),
                Field("emergency_grade", "绩效分级", "choice", choices=GRADES),
                Field("permit_number", "排污许可证编号"),
                Field("permit_limits", "许可排放限值", "permit_limits"),
                Field("permit_standard", "执行标准"),
            ),
            ("code", "name", "credit_code", "industry_code", "emergency_grade", "town"),
        ),
        Table(
            "sites",
            "site",
            "建筑工地",
            _source_fields(
                "项目名称",
                Field("permit_number", "施工许可证号"),
                Field("developer", "建设单位"),
                Field("contractor", "施工单位"),
                Field("site_type", "工地类型", "choice", required=True, choices=SITE_TYPES),
                Field("disturbed_area_m2", "扰动面积（平方米）", "number"),
                Field("phase", "施工阶段", "choice", choices=PHASES),
                Field("start_date", "开工日期", "date"),
                Field("planned_end", "计划完工日期", "date"),
                Field("working_hours", "作业时间", "working_hours"),
                Field("geometry", "边界", "polygon"),
                *(Field(item, item, _YES_NO) for item in EIGHT_MUSTS),
                unit="监管单位",
            ),
            ("code", "name", "site_type", "phase", "responsible_unit", "eight_musts"),
        ),
        Table(
            "yards",
            "yard",
            "堆场",
            _source_fields(
                "名称",
                Field("material", "堆放物料", details=True),
                Field("area_m2", "占地面积（平方米）", "number", details=True),
                Field("covered", "苫盖", _YES_NO, details=True),
            ),
        ),
        Table(
            "disposal",
            "disposal",
            "消纳场",
            _source_fields(
                "名称",
                Field("capacity_m3", "设计容量（立方米）", "number", details=True),
                Field("area_m2", "占地面积（平方米）", "number", details=True),
            ),
        ),
        Table(
            "plants",
            "plant",
            "混凝土搅拌站",
            _source_fields(
                "名称",
                Field("capacity_m3_per_year", "年产能（立方米）", "number", details=True),
                Field("enclosed", "全封闭", _YES_NO, details=True),
            ),
        ),
        Table(
            "roads",
            "road",
            "道路",
            _source_fields(
                "道路名称",
                Field("start", "起点", details=True),
                Field("end", "终点", details=True),
                Field("length_m", "长度（米）", "number", details=True),
                Field("road_class", "道路等级", details=True),
                Field("cleaning", "清扫方式", details=True),
                Field("geometry", "线位", "line"),
            ),
        ),
        Table(
            "catering",
            "catering",
            "餐饮单位",
            _source_fields(
                "店名",
                Field("stoves", "灶头数", "number", details=True),
                Field("fume_purifier", "油烟净化设施", _YES_NO, details=True),
            ),
        ),
        Table(
            "devices",
            "device",
            "监测设备",
            (
                Field("mn", "设备编号（MN）", "mn", required=True),
                Field("name", "设备名称", required=True),
                Field("kind", "设备类型", "device_kind", required=True),
                Field("password", "密码", "password"),
                Field("source_code", "所在污染源编号"),
                Field("factor_units", "监测因子", "factors", required=True),
                Field("station_code", "站点编码"),
                Field("vendor", "厂商"),
                Field("installed", "安装日期", "date"),
                Field("removed", "拆除日期", "date"),
                Field("longitude", "经度", "longitude"),
                Field("latitude", "纬度", "latitude"),
                Field("note", "备注"),
            ),
            ("mn", "name", "kind", "source_code", "nearest_station_code", "nearest_station_km"),
        ),
    )
}
"""``--kind`` → its register, in the order an example or a whole workbook is imported."""
SOURCE_KIND_NAMES = {t.kind: t.sheet for t in TABLES.values()}
"""Source kind → Chinese name (企业, 建筑工地, …)."""
EXTRA_HEADERS = {
    "eight_musts": "八个必须落实",
    "nearest_station_code": "最近国控站",
    "nearest_station_km": "距离（千米）",
}
"""Computed columns of the registers' rows (not in the import layout) → their Chinese headers."""
"""Source kind → Chinese name (企业, 建筑工地, …)."""


def device_kind_of(text: str) -> DeviceKind | None:
    """A device kind from its glossary or Chinese name (``dust`` or ``扬尘监测仪``)."""
    for kind, (name_zh, _) in DEVICE_KINDS.items():
        if text in (kind, name_zh):
            return kind  # type: ignore[return-value]
    return None
