"""The inventory's services, as the CLI, the API and the reports call them: build a year's version
and store it; summarise a version (totals by category and pollutant, shares, the comparison)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.inventory import allocation, store, uncertainty
from lantian.inventory.build import Built, build
from lantian.inventory.monitoring import feed_cems
from lantian.plan.access import Actor, require
from lantian.sources.models import ConstructionSite, Source
from lantian.times import utc_now


def build_inventory(
    db: Session,
    actor: Actor,
    year: int,
    *,
    feed_root: Path | None = None,
    root: Path | None = None,
    samples: int = uncertainty.DEFAULT_SAMPLES,
    seed: int = uncertainty.DEFAULT_SEED,
    grid_km: float = 1.0,
) -> tuple[str, Built]:
    """Build ``year``'s inventory and store it as a new version in force; returns (version, built).

    Besides the rows (``emissions``): the CEMS days (``cems_daily``), the 1 km grid (``grid``),
    the towns (``towns``), the monthly profiles (``monthly``) and the Monte Carlo's P5–P95
    (``uncertainty``, ``samples`` draws seeded with ``seed``). ``feed_root`` is the feed store
    whose CEMS devices feed the monitoring method (``None``: the monitoring method is not used).
    """
    require(actor, "inventory.manage")
    built = build(db, actor, year, feed_cems(feed_root) if feed_root else None)
    geometries = dict(
        db.execute(select(Source.id, Source.geometry).where(Source.geometry.is_not(None))).all()
    )
    site_dates = {s.id: (s.start_date, s.planned_end) for s in db.scalars(select(ConstructionSite))}
    grid, grid_description = allocation.grid_inventory(built.emissions, geometries, grid_km)
    tables: dict[str, pa.Table] = {
        "emissions": built.emissions,
        "grid": grid,
        "towns": allocation.towns(built.emissions),
        "monthly": allocation.monthly(built.emissions, year, site_dates, built.cems_daily),
        "uncertainty": uncertainty.monte_carlo(built.emissions, built.factors, samples, seed),
    }
    if built.cems_daily is not None:
        tables["cems_daily"] = built.cems_daily
    meta: dict[str, Any] = {
        "year": year,
        "built_at": utc_now().isoformat(timespec="seconds"),
        "built_by": actor.name,
        "example": bool(built.emissions.num_rows)
        and all(built.emissions.column("example").to_pylist()),
        "skipped": built.skipped,
        "grid": grid_description,
        "monte_carlo": {"samples": samples, "seed": seed},
        "factors": {
            factor_id: {
                "value": f.value,
                "unit": f.unit,
                "is_default": f.is_default,
                "source": f.source,
                "set_by": f.set_by,
                "set_at": f.set_at,
            }
            for factor_id, f in built.factors.items()
        },
    }
    version = store.save(year, tables, meta, root)
    return version, built


def totals(emissions: pa.Table, by: tuple[str, ...] = ("category", "pollutant")) -> pa.Table:
    """Tonnes summed by ``by``, with each row's share of its pollutant's total [fraction]."""
    summed = emissions.group_by(list(by), use_threads=False).aggregate([("tonnes", "sum")])
    summed = summed.rename_columns([*by, "tonnes"])
    if "pollutant" not in by:
        return summed.sort_by([(c, "ascending") for c in by])
    per = emissions.group_by(["pollutant"], use_threads=False).aggregate([("tonnes", "sum")])
    joined = summed.join(per.rename_columns(["pollutant", "pollutant_tonnes"]), "pollutant")
    share = pc.divide(joined.column("tonnes"), joined.column("pollutant_tonnes"))
    joined = joined.append_column("share", pc.if_else(pc.is_finite(share), share, 0.0))
    return joined.drop_columns(["pollutant_tonnes"]).sort_by([(c, "ascending") for c in by])


def summary(year: int, root: Path | None = None) -> dict[str, Any]:
    """A version's document: totals by category and pollutant with shares, the comparison with
    the previous version, the rows not computed, the factors marked default or district's.
    The CLI, the API and the report all serialise this one document."""
    emissions = store.load(year, root=root)
    meta = store.load_meta(year, root=root)
    by_category = totals(emissions)
    by_pollutant = totals(emissions, ("pollutant",))
    document: dict[str, Any] = {
        "year": year,
        "version": meta["version"],
        "built_at": meta["built_at"],
        "built_by": meta["built_by"],
        "example": meta["example"],
        "totals": by_category.to_pylist(),
        "pollutants": by_pollutant.to_pylist(),
        "skipped": meta["skipped"],
        "factors": meta["factors"],
        "comparison": None,
    }
    before = store.previous(year, root)
    if before is not None:
        old = totals(store.load(before[0], before[1], root), ("pollutant",))
        previous = dict(
            zip(old.column("pollutant").to_pylist(), old.column("tonnes").to_pylist(), strict=True)
        )
        document["comparison"] = {
            "year": before[0],
            "version": before[1],
            "pollutants": [
                {
                    "pollutant": row["pollutant"],
                    "tonnes": row["tonnes"],
                    "previous_tonnes": previous.get(row["pollutant"]),
                    "change": None
                    if not previous.get(row["pollutant"])
                    else row["tonnes"] / previous[row["pollutant"]] - 1,
                }
                for row in document["pollutants"]
            ],
        }
    return document
