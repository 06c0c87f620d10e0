"""The inventory's stored versions, by year, and the one way to read them (:func:`load`).

Layout under ``LANTIAN_HOME/inventory``::

    2019/v0003/emissions.parquet     the rows (EMISSIONS_SCHEMA), one per source and pollutant
    2019/v0003/cems_daily.parquet    the CEMS days (monitoring.DAILY_SCHEMA)
    2019/v0003/…                     further tables of the version (grid, profiles, uncertainty)
    2019/v0003/meta.json             when, by whom, rows not computed, factors used
    2019/current                     the version in force ("v0003")

A build writes a new version folder (files written, fsynced, renamed) and then replaces
``current`` atomically: a reader sees the old version or the new one, never half of one. Older
versions stay, so a report can compare a version with the one before.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from lantian.inventory.build import EMISSIONS_SCHEMA
from lantian.settings import settings
from lantian.store.manifest import fsync_file


class InventoryNotBuiltError(LookupError):
    """No inventory is stored for the year asked."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            f"{year} 年的排放清单尚未编制（lantian inventory build --year {year}）"
            f" / no inventory for {year}"
        )


def inventory_root(home: Path | None = None) -> Path:
    """Where the inventory's versions are kept (``LANTIAN_HOME/inventory``)."""
    return (home or settings().home) / "inventory"


def _write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(data)
    fsync_file(temporary)
    os.replace(temporary, path)


def versions(year: int, root: Path | None = None) -> list[str]:
    """The stored versions of ``year``, oldest first (``v0001``, …)."""
    folder = (root or inventory_root()) / str(year)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name.startswith("v"))


def years(root: Path | None = None) -> list[int]:
    """The years that have an inventory in force."""
    root = root or inventory_root()
    if not root.is_dir():
        return []
    return sorted(
        int(p.name) for p in root.iterdir() if p.name.isdigit() and (p / "current").is_file()
    )


def current_version(year: int, root: Path | None = None) -> str | None:
    """The version in force for ``year``, or ``None``."""
    path = (root or inventory_root()) / str(year) / "current"
    return path.read_text(encoding="utf-8").strip() if path.is_file() else None


def save(
    year: int, tables: dict[str, pa.Table], meta: dict[str, Any], root: Path | None = None
) -> str:
    """Store ``tables`` (``emissions`` required) as a new version of ``year``; make it current."""
    folder = (root or inventory_root()) / str(year)
    folder.mkdir(parents=True, exist_ok=True)
    existing = versions(year, root)
    version = f"v{int(existing[-1][1:]) + 1 if existing else 1:04d}"
    staging = folder / f".{version}.tmp"
    staging.mkdir()
    for name, table in tables.items():
        path = staging / f"{name}.parquet"
        pq.write_table(table, path, compression="zstd")
        fsync_file(path)
    meta_path = staging / "meta.json"
    meta_path.write_text(
        json.dumps({**meta, "version": version}, ensure_ascii=False, indent=1, default=str),
        encoding="utf-8",
    )
    fsync_file(meta_path)
    staging.rename(folder / version)
    _write_atomic(folder / "current", version.encode())
    return version


def _folder(year: int, version: str | None, root: Path | None) -> Path:
    root = root or inventory_root()
    version = version or current_version(year, root)
    if version is None or not (root / str(year) / version).is_dir():
        raise InventoryNotBuiltError(year)
    return root / str(year) / version


def load(year: int, version: str | None = None, root: Path | None = None) -> pa.Table:
    """The inventory of ``year`` (the version in force, or ``version``): one row per source,
    pollutant and method, in tonnes. Raises :class:`InventoryNotBuiltError` if there is none.

    Columns (``build.EMISSIONS_SCHEMA``; stable — issue #16 parts 2–3 build on them):

    ``year`` (int32); the four levels of the source classification: ``category`` (源类别, e.g.
    扬尘源), ``sector`` (行业, e.g. 施工扬尘), ``fuel_product`` (燃料/产品, e.g. 建筑施工 or 燃煤),
    ``technology`` (技术, e.g. the road's cleaning, ``在线监测（CEMS）``), each ``""`` when not
    known; ``template`` (the activity template the row came from, or ``cems``); ``method`` (the
    function of :mod:`lantian.inventory.methods`); ``source_id`` (the registry's ``sources.id``,
    null for an area source not registered, e.g. a town's straw); ``source_code`` (编号) and
    ``source_name``; ``town`` (乡镇（街道）); ``longitude``, ``latitude`` (WGS-84 [°], null if
    unknown); ``pollutant`` (SO2 NOx CO VOCs NH3 PM10 PM2.5 BC OC TSP); ``tonnes`` (the year's
    emission [t]); ``factor_id`` (the factor the row is linear in, a ``data/factors.csv`` id or the
    district's, null when the factor came with the activity data or for CEMS);
    ``factor_tonnes`` (the part of ``tonnes`` proportional to that factor: the emission changes
    by ``factor_tonnes × (EF′/EF − 1)`` when the factor changes); ``factor_default`` (true when the
    factor is Lantian's shipped default, false when the district's own, null without factor);
    ``example`` (true when built from example data, 示例数据 — never the district's real
    inventory).
    """
    return pq.read_table(
        _folder(year, version, root) / "emissions.parquet", schema=EMISSIONS_SCHEMA
    )


def load_table(
    year: int, name: str, version: str | None = None, root: Path | None = None
) -> pa.Table:
    """Another table of a version (``cems_daily``, ``grid``, ``monthly``, ``uncertainty``)."""
    path = _folder(year, version, root) / f"{name}.parquet"
    if not path.is_file():
        raise KeyError(f"no table {name!r} in the {year} inventory")
    return pq.read_table(path)


def load_meta(year: int, version: str | None = None, root: Path | None = None) -> dict[str, Any]:
    """The version's ``meta.json`` (built_at, built_by, skipped rows, factors used, example)."""
    return json.loads((_folder(year, version, root) / "meta.json").read_text(encoding="utf-8"))


def previous(year: int, root: Path | None = None) -> tuple[int, str] | None:
    """The version to compare ``year``'s current one with: the version before it in the same
    year if there is one, else the previous year's current version, else ``None``."""
    root = root or inventory_root()
    current = current_version(year, root)
    stored = versions(year, root)
    if current in stored and stored.index(current) > 0:
        return year, stored[stored.index(current) - 1]
    earlier = [y for y in years(root) if y < year]
    if earlier:
        version = current_version(earlier[-1], root)
        if version:
            return earlier[-1], version
    return None
