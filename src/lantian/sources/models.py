"""The source registry's tables, in the ledger's database (same ``Base``, same migrations, same audit).

One table ``sources`` holds what every source has (kind, registry code, name, address, town,
WGS-84 position, responsible unit); enterprises and construction sites have a table of their own
for their further columns (joined-table inheritance), the other fixed sources (yards, disposal
sites, concrete plants, road segments, catering premises) keep their few kind-specific facts in
``details``. A device points at the source it sits on (``source_id``), so a source id means the
same thing whatever the kind.

Positions are WGS-84 [°]; ``geometry`` is a GeoJSON geometry in WGS-84 (a site's boundary
polygon, a road segment's line). Device passwords are stored salted and hashed
(:func:`lantian.sources.devices.password_digest`); the audit log masks ``password_hash``.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lantian.plan.models import Base
from lantian.sources.devices import password_digest
from lantian.times import utc_now


class Source(Base):
    """A registered source of air pollution (污染源) of any kind."""

    __tablename__ = "sources"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    """``enterprise``, ``site``, ``yard``, ``disposal``, ``plant``, ``road`` or ``catering``."""
    code: Mapped[str] = mapped_column(String(64), unique=True)
    """The registry's number of the source (编号), unique over all kinds."""
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    town: Mapped[str | None] = mapped_column(String(100))
    """乡镇（街道）."""
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    responsible_unit: Mapped[str | None] = mapped_column(String(100))
    """责任单位 (for a construction site: its supervising unit, 监管单位)."""
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Kind-specific facts (a yard's material, a road's length, a restaurant's stoves …)."""
    example: Mapped[bool] = mapped_column(Boolean, default=False)
    """True for the bundled example registry (示例): never real data."""
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "source"}  # noqa: RUF012


class Enterprise(Source):
    """An enterprise (企业), also the enterprise of the emergency reduction list (one table)."""

    __tablename__ = "enterprises"
    id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    """统一社会信用代码 (GB 32100-2015), checked on import."""
    industry_code: Mapped[str | None] = mapped_column(String(5))
    """GB/T 4754-2017 class code (e.g. ``C3011``)."""
    industry_name: Mapped[str | None] = mapped_column(String(100))
    emergency_grade: Mapped[str | None] = mapped_column(String(1))
    """绩效分级 A–D of the emergency reduction list; ``None`` when not graded."""
    permit_number: Mapped[str | None] = mapped_column(String(64))
    """排污许可证编号, if any."""
    permit_limits: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The permit's 许可排放浓度 per CEMS factor: HJ 212 code → ``{"limit": value, "unit":
    "mg/m3"}`` (``factors.parse_permit_limits``); the stack rule judges CEMS hours by them."""
    permit_standard: Mapped[str | None] = mapped_column(String(200))
    """The standard and clause the permitted limits come from (执行标准, e.g. GB 13223-2011 表1)."""

    __mapper_args__ = {"polymorphic_identity": "enterprise"}  # noqa: RUF012


class ConstructionSite(Source):
    """A construction site (建筑工地)."""

    __tablename__ = "construction_sites"
    id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True)
    permit_number: Mapped[str | None] = mapped_column(String(64))
    """施工许可证号."""
    developer: Mapped[str | None] = mapped_column(String(200))
    """建设单位."""
    contractor: Mapped[str | None] = mapped_column(String(200))
    """施工单位."""
    site_type: Mapped[str] = mapped_column(String(10))
    """房建, 市政, 拆迁 or 道路."""
    disturbed_area_m2: Mapped[float | None] = mapped_column(Float)
    phase: Mapped[str | None] = mapped_column(String(10))
    """土方, 基础, 主体, 装饰 or 完工."""
    start_date: Mapped[dt.date | None] = mapped_column(Date)
    planned_end: Mapped[dt.date | None] = mapped_column(Date)
    working_hours: Mapped[str | None] = mapped_column(String(11))
    """作业时间 ``HH:MM-HH:MM`` (Beijing; an end before the start runs past midnight)."""
    checklist: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """The plan's 八个必须: item → met (bool), see ``vocabulary.EIGHT_MUSTS``."""

    __mapper_args__ = {"polymorphic_identity": "site"}  # noqa: RUF012


class Yard(Source):
    """A stockpile or storage yard (堆场)."""

    __mapper_args__ = {"polymorphic_identity": "yard"}  # noqa: RUF012


class DisposalSite(Source):
    """A disposal site for construction waste and spoil (消纳场)."""

    __mapper_args__ = {"polymorphic_identity": "disposal"}  # noqa: RUF012


class ConcretePlant(Source):
    """A concrete mixing plant (混凝土搅拌站)."""

    __mapper_args__ = {"polymorphic_identity": "plant"}  # noqa: RUF012


class RoadSegment(Source):
    """A road segment, for road dust (道路扬尘)."""

    __mapper_args__ = {"polymorphic_identity": "road"}  # noqa: RUF012


class CateringPremises(Source):
    """A catering premises (餐饮单位), for cooking fumes."""

    __mapper_args__ = {"polymorphic_identity": "catering"}  # noqa: RUF012


class RegisteredDevice(Base):
    """A device reporting over HJ 212 (dust monitor, micro-station, CEMS, VOC monitor, station)."""

    __tablename__ = "devices"
    id: Mapped[int] = mapped_column(primary_key=True)
    mn: Mapped[str] = mapped_column(String(32), unique=True)
    """HJ 212 device id (``MN``)."""
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    network: Mapped[str] = mapped_column(String(20))
    station_code: Mapped[str] = mapped_column(String(32), unique=True)
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    factor_units: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """HJ 212 factor code → unit the device reports it in."""
    vendor: Mapped[str | None] = mapped_column(String(100))
    installed: Mapped[dt.date | None] = mapped_column(Date)
    removed: Mapped[dt.date | None] = mapped_column(Date)
    simulated: Mapped[bool] = mapped_column(Boolean, default=False)
    """True for the example registry's devices, played by the simulator (模拟数据)."""
    password_salt: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(64))
    """Hex SHA-256 of salt + password (``devices.password_digest``); masked in the audit log."""
    nearest_station_code: Mapped[str | None] = mapped_column(String(16))
    """The nearest national station, computed from the store's station registry."""
    nearest_station_km: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)

    source: Mapped[Source | None] = relationship()

    def accepts(self, password: str) -> bool:
        """Whether ``password`` is this device's (compared in constant time)."""
        return hmac.compare_digest(
            password_digest(password, self.password_salt), self.password_hash
        )


SOURCE_CLASSES: dict[str, type[Source]] = {
    "enterprise": Enterprise,
    "site": ConstructionSite,
    "yard": Yard,
    "disposal": DisposalSite,
    "plant": ConcretePlant,
    "road": RoadSegment,
    "catering": CateringPremises,
}
"""Source kind → its model class."""
