"""Planning's tables in the ledger's database (same ``Base``, migrations and audit chain).

``measure_links`` ties a measure of the plan to inventory rows with a quantified change (its
expected cut); ``apportionments`` holds source-apportionment results (PMF output, a published
apportionment, stated inventory fractions, CTM sensitivities) with, for PMF, the factor profiles and
contributions. Both are written through the ORM, so the audit log records who changed what.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lantian.plan.models import Base, Measure, Target
from lantian.times import utc_now


class MeasureLink(Base):
    """A measure's quantified change of inventory rows (措施减排量的测算依据).

    ``selector`` picks the inventory rows ({column: value}, e.g. ``{"category": "扬尘源",
    "sector": "道路扬尘"}``); ``pollutants`` limits the pollutants (``None``: every pollutant of
    those rows). ``change_kind`` (:data:`lantian.planning.cuts.CHANGE_KINDS`) with
    ``value_before``/``value_after`` (and ``control_efficiency`` for a coverage) gives the fraction of
    the rows' emission removed when the measure is done in full; ``target_id`` names the measure's
    quantified target whose monthly reports tell how much is done, from ``baseline_quantity`` (the
    target's quantity in the inventory's year) to the target's value.
    """

    __tablename__ = "measure_links"
    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"), index=True)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"))
    selector: Mapped[dict[str, Any]] = mapped_column(JSON)
    pollutants: Mapped[list[str] | None] = mapped_column(JSON)
    change_kind: Mapped[str] = mapped_column(String(20))
    value_before: Mapped[float] = mapped_column(Float)
    value_after: Mapped[float] = mapped_column(Float)
    control_efficiency: Mapped[float | None] = mapped_column(Float)
    baseline_quantity: Mapped[float] = mapped_column(Float, default=0.0)
    cost: Mapped[float | None] = mapped_column(Float)
    """The measure's cost for this change [万元], where entered (for µg/m³ per 万元)."""
    basis: Mapped[str] = mapped_column(Text)
    """Where the numbers come from (a survey, a contract, the plan's clause …)."""
    example: Mapped[bool] = mapped_column(Boolean, default=False)
    """True for the bundled example links (示例数据): never real."""
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    measure: Mapped[Measure] = relationship()
    target: Mapped[Target | None] = relationship()


class Apportionment(Base):
    """A source-apportionment result for an area and year (源解析结果).

    ``kind``: ``pmf`` (a receptor-model run, e.g. ESAT), ``published`` (an apportionment published
    for the city), ``inventory`` (no apportionment: the stated regional and secondary fractions, the
    primary part split by the inventory), ``ctm`` (CTM sensitivities). ``components`` are the shares
    of the annual mean [1] (:class:`lantian.planning.response.Component` as dicts); ``sensitivities``
    the CTM's µg/m³ per 100 % cut by category and pollutant; ``profiles`` and ``contributions`` a
    PMF run's factor profiles and contributions as stored tables.
    """

    __tablename__ = "apportionments"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    area: Mapped[str] = mapped_column(String(100))
    year: Mapped[int] = mapped_column(Integer)
    components: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    sensitivities: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    profiles: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    contributions: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source: Mapped[str] = mapped_column(Text)
    example: Mapped[bool] = mapped_column(Boolean, default=False)
    imported_from: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
