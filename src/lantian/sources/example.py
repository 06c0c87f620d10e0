"""The bundled EXAMPLE registry of 冷水滩区 (``data/example/*.csv``): invented, labelled 示例.

Four enterprises, ten construction sites, yards, a disposal site, a concrete plant, road segments,
catering premises and twelve devices (eight dust monitors on sites, four grid micro-stations), for
the demo and the device simulator. Every row is marked ``example`` (sources) or ``simulated``
(devices) in the registry, and every name says 示例. See ``data/example/README.md``.
"""

from __future__ import annotations

import csv
from importlib import resources
from pathlib import Path

import pyarrow as pa
from sqlalchemy.orm import Session

from lantian.plan.access import Actor
from lantian.sources.registry import ImportSummary
from lantian.sources.vocabulary import TABLES
from lantian.sources.workbook import import_file


def example_file(register: str) -> Path:
    """The example CSV of a register (``enterprises``, …, ``devices``)."""
    if register not in TABLES:
        raise KeyError(f"unknown register {register!r}; valid: {', '.join(TABLES)}")
    return Path(str(resources.files("lantian.sources") / "data" / "example" / f"{register}.csv"))


def import_example(
    db: Session, actor: Actor, stations: pa.Table | None = None
) -> list[ImportSummary]:
    """Register the example: every register's CSV, in order, in the caller's transaction."""
    summaries = []
    for register in TABLES:
        path = example_file(register)
        summaries += import_file(
            db,
            actor,
            f"示例/{path.name}",
            path.read_bytes(),
            register=register,
            stations=stations,
            example=True,
        )
    return summaries


def example_passwords() -> dict[str, str]:
    """MN → password of the example devices (the simulator logs in with them)."""
    with example_file("devices").open(encoding="utf-8") as handle:
        return {row["设备编号（MN）"]: row["密码"] for row in csv.DictReader(handle)}
