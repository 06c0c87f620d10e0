"""The public warning list (公示警示): the sites whose dust alarms repeat, by the rule file's
``[publication]`` rule (:class:`lantian.alarms.rules.Publication`).

The district's plan asks for a 公示警示制度 of construction sites (冷水滩区达标方案 四（一）25)
without saying whom to publish; the shipped rule lists a source when, within the last ``days`` days
up to yesterday (today is not over), its devices had an alarm of one of ``levels`` (default 超标:
the day's allowed count broken, DB13/2934-2019 表1) from a dust rule (``kinds``) on at least
``min_days`` different days. Data-quality alarms (offline, stuck, flags) are never published:
they say the device failed, not the site.

Alarms are joined to sources through the registry's devices (a device on no source — a grid
micro-station — names no site). Whole-column: one filter, one join, one group-by (pyarrow).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.alarms.rules import Publication
from lantian.sources.models import RegisteredDevice, Source

SITE_COLUMNS = ("mn", "simulated", "source_id", "code", "name", "kind", "town", "unit", "example")


def device_sources(db: Session) -> pa.Table:
    """One row per registered device that sits on a source: ``mn``, ``simulated``, and the
    source's ``source_id``, ``code``, ``name``, ``kind``, ``town``, ``unit`` (责任单位),
    ``example``."""
    rows = db.execute(
        select(
            RegisteredDevice.mn,
            RegisteredDevice.simulated,
            Source.id,
            Source.code,
            Source.name,
            Source.kind,
            Source.town,
            Source.responsible_unit,
            Source.example,
        ).join(Source, RegisteredDevice.source_id == Source.id)
    ).all()
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in SITE_COLUMNS]
    types = [pa.string(), pa.bool_(), pa.int64(), *[pa.string()] * 5, pa.bool_()]
    return pa.table(
        {
            name: pa.array(list(values), type=kind)
            for name, values, kind in zip(SITE_COLUMNS, columns, types, strict=True)
        }
    )


def period(rule: Publication, today: dt.date) -> tuple[dt.date, dt.date]:
    """The days the list judges: the last ``rule.days`` days up to yesterday."""
    return today - dt.timedelta(days=rule.days), today - dt.timedelta(days=1)


def warning_list(alarms: pa.Table, sites: pa.Table, rule: Publication) -> list[dict[str, Any]]:
    """The sources to publish, most days first: ``source_id``, ``code``, ``name``, ``kind``,
    ``town``, ``unit``, ``days`` (days with a counted alarm), ``alarms`` (their number),
    ``last_day``, ``rules`` (rule ids, ``,``-joined), ``simulated`` (any device of the source
    simulated: 模拟数据), ``example`` (the source is the example registry's, 示例).

    ``alarms``: the alarm store's rows of :func:`period`; ``sites``: :func:`device_sources`."""
    counted = alarms.filter(
        pc.and_(
            pc.is_in(alarms.column("level"), pa.array(rule.levels, pa.string())),
            pc.is_in(alarms.column("kind"), pa.array(rule.kinds, pa.string())),
        )
    ).select(["mn", "day", "rule_id"])
    joined = counted.join(sites, "mn", join_type="inner")
    if joined.num_rows == 0:
        return []
    grouped = joined.group_by(
        ["source_id", "code", "name", "kind", "town", "unit", "example"]
    ).aggregate(
        [
            ("day", "count_distinct"),
            ("day", "count"),
            ("day", "max"),
            ("rule_id", "distinct"),
            ("simulated", "any"),
        ]
    )
    listed = grouped.filter(pc.greater_equal(grouped.column("day_count_distinct"), rule.min_days))
    rows = [
        {
            "source_id": row["source_id"],
            "code": row["code"],
            "name": row["name"],
            "kind": row["kind"],
            "town": row["town"],
            "unit": row["unit"],
            "days": row["day_count_distinct"],
            "alarms": row["day_count"],
            "last_day": row["day_max"],
            "rules": ",".join(sorted(row["rule_id_distinct"])),
            "simulated": bool(row["simulated_any"]),
            "example": bool(row["example"]),
        }
        for row in listed.to_pylist()
    ]
    return sorted(rows, key=lambda r: (-r["days"], -r["alarms"], r["code"]))
