"""The inventory's tables in the ledger's database (same ``Base``, migrations and audit chain).

``inventory_activity`` holds the activity data (活动水平) a district imports from the templates: one
row per template, year and row key (the registry's 编号 for a registered source, or the sheet's
own key for an area source such as a town's straw), its cells as JSON in the glossary's keys.
``inventory_factor_overrides`` holds the district's own factor values: each replaces a default
row of ``data/factors.csv`` (or adds a factor the defaults lack) from a year on. Both are written
through the ORM, so the audit log records who changed what and when, in the change's transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lantian.plan.models import Base
from lantian.times import utc_now


class ActivityRow(Base):
    """One row of a template's activity data for a year."""

    __tablename__ = "inventory_activity"
    __table_args__ = (UniqueConstraint("year", "template", "row_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    template: Mapped[str] = mapped_column(String(40))
    """The template's key (``sites``, ``roads``, … ``emission_factor``)."""
    row_key: Mapped[str] = mapped_column(String(200))
    """The row's key within the template and year (编号, or 编号 + 污染物, or 乡镇 + 作物)."""
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    """The registered source the row is about (``None`` for an area source not registered)."""
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    example: Mapped[bool] = mapped_column(Boolean, default=False)
    """True for the bundled example activity data (示例数据): never real."""
    imported_from: Mapped[str | None] = mapped_column(String(300))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class FactorOverride(Base):
    """The district's own value of a factor, from ``from_year`` on."""

    __tablename__ = "inventory_factor_overrides"
    __table_args__ = (UniqueConstraint("factor_id", "from_year"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    factor_id: Mapped[str] = mapped_column(String(100))
    """The ``factor_id`` of the default row it replaces, or a new id for a factor not shipped."""
    method: Mapped[str] = mapped_column(String(60))
    parameter: Mapped[str] = mapped_column(String(100))
    pollutant: Mapped[str] = mapped_column(String(20))
    source_type: Mapped[str] = mapped_column(String(60))
    value: Mapped[float] = mapped_column(Float)
    low: Mapped[float | None] = mapped_column(Float)
    """The range's low end, for the Monte Carlo (``None``: no range known)."""
    high: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(Text)
    """Where the district's value comes from (a local measurement report, a provincial guide …)."""
    from_year: Mapped[int] = mapped_column(Integer)
    set_by: Mapped[str] = mapped_column(String(100))
    set_at: Mapped[dt.datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    example: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str | None] = mapped_column(Text)
