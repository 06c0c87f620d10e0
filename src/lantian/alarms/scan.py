"""Batch scans over history: minutes from the feed store, facts from the source registry, the
background from the measurement store; alarms into the alarm store (``lantian alarms scan``).

Each day D is judged over the minutes of D-1, D and D+1 up to the end of D+1 (or up to the
current minute ``now``), and the alarms dated D replace D's stored alarms: a run crossing
midnight into D is seen from its start, and an outage that begins on D but only becomes longer
than the rule's N minutes after midnight rings on D — as the live path, which holds the current
and the previous day, sees it (``lantian.alarms.live``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.alarms.evaluate import (
    ALARM_SCHEMA,
    BackgroundHours,
    DeviceFacts,
    alarms,
    minutes_from_arrow,
)
from lantian.alarms.rules import RuleSet
from lantian.alarms.store import AlarmStore
from lantian.feeds.store import FEED_SCHEMA, FeedStore
from lantian.store.measurements import MeasurementStore

MINUTE_COMMAND = "2051"
"""HJ 212-2017 CN 2051: minute data (分钟数据)."""


def device_facts(db: Session) -> dict[str, DeviceFacts]:
    """MN → the facts the rules need, from the source registry (one query, one row per device):
    the source's kind, a site's 施工阶段 and 作业时间, an enterprise's permitted limits."""
    from lantian.sources.models import RegisteredDevice

    devices = db.scalars(select(RegisteredDevice)).all()
    near = nearest_sources(db, [d for d in devices if d.source is None])
    return {
        device.mn: DeviceFacts(
            source_kind=device.source.kind if device.source is not None else None,
            phase=getattr(device.source, "phase", None),
            nearest_station=device.nearest_station_code,
            working_hours=working_minutes(getattr(device.source, "working_hours", None)),
            permit_limits=permit_limits(device.source),
            network=device.network,
            nearest_sources=near.get(device.mn, ()),
        )
        for device in devices
    }


NEAREST_SOURCES = 3
"""How many registered sources a micro-station's alarms name."""


def nearest_sources(db: Session, devices: list) -> dict[str, tuple[tuple[str, str, float], ...]]:
    """MN → the :data:`NEAREST_SOURCES` registered sources nearest each positioned device, as
    (code, name, distance [km]) — what a hotspot alarm names (one distance matrix)."""
    from lantian.sources.coordinates import haversine_km
    from lantian.sources.models import Source

    placed = [d for d in devices if d.longitude is not None and d.latitude is not None]
    sources = [
        s
        for s in db.scalars(select(Source)).all()
        if s.longitude is not None and s.latitude is not None
    ]
    if not placed or not sources:
        return {}
    distance = haversine_km(
        np.array([d.longitude for d in placed])[:, None],
        np.array([d.latitude for d in placed])[:, None],
        np.array([s.longitude for s in sources])[None, :],
        np.array([s.latitude for s in sources])[None, :],
    )
    order = np.argsort(distance, axis=1, kind="stable")[:, :NEAREST_SOURCES]
    return {
        device.mn: tuple(
            (sources[j].code, sources[j].name, round(float(distance[i, j]), 2)) for j in row
        )
        for i, (device, row) in enumerate(zip(placed, order.tolist(), strict=True))
    }


def working_minutes(hours: str | None) -> tuple[int, int] | None:
    """``"06:00-22:00"`` (the registry's 作业时间) → minutes of the day ``(360, 1320)``."""
    if not hours:
        return None
    start, end = (int(t[:2]) * 60 + int(t[3:5]) for t in hours.split("-"))
    return start, end % 1440


def permit_limits(source: object) -> dict[str, tuple[float, str, str]]:
    """An enterprise's permitted limits by the feed's pollutant (HJ 212 factor table)."""
    from lantian.ingest.hj212 import factors

    limits = getattr(source, "permit_limits", None) or {}
    standard = getattr(source, "permit_standard", None) or "排污许可证"
    number = getattr(source, "permit_number", None)
    cited = f"{standard}（排污许可证 {number}）" if number else standard
    known = factors()
    return {
        known[code].pollutant: (float(entry["limit"]), str(entry["unit"]), cited)
        for code, entry in limits.items()
        if code in known
    }


MINUTE_COLUMNS = ["mn", "ts", "pollutant", "value", "valid", "flag"]


def feed_minutes(feed: FeedStore, days: list[dt.date]) -> pa.Table:
    """The minute rows (CN 2051) of ``days`` from the feed store's files; the text columns as
    Parquet stores them, dictionary-encoded (the evaluation groups by their codes)."""
    files = feed.files(days)
    if not files:
        return FEED_SCHEMA.empty_table().select(MINUTE_COLUMNS)
    table = pq.read_table(
        files,
        columns=[*MINUTE_COLUMNS, "cn"],
        read_dictionary=["mn", "pollutant", "flag"],
        filters=[("cn", "=", MINUTE_COMMAND)],
    )
    return table.select(MINUTE_COLUMNS)


def background_hours(
    store: MeasurementStore,
    rules: RuleSet,
    facts: Mapping[str, DeviceFacts],
    start: dt.datetime,
    end: dt.datetime,
) -> BackgroundHours:
    """PM10 hours of the background stations between ``start`` and ``end`` (hour starts): the
    district's named stations averaged under the key ``district``, else each nearest station.

    The measurement store stamps an hour's end (CNEMC's convention), the rules its start (HJ 212),
    hence the hour subtracted."""
    named = list(rules.background_stations)
    stations = named or sorted({f.nearest_station for f in facts.values() if f.nearest_station})
    if not stations:
        return BackgroundHours.empty()
    table = store.read(
        stations=stations,
        pollutants=["PM10"],
        start=start + dt.timedelta(hours=1) - dt.timedelta(seconds=1),
        end=end + dt.timedelta(hours=1),
    )
    valid = table.filter(table.column("valid")) if table.num_rows else table
    starts = valid.column("ts").to_numpy().astype("datetime64[m]").astype(np.int64) - 60
    codes = np.asarray(valid.column("station_code").to_pylist(), dtype=object)
    values = valid.column("value").to_numpy(zero_copy_only=False).astype(np.float64)
    if not named:
        return BackgroundHours(codes, starts, values)
    hours, inverse = np.unique(starts, return_inverse=True)
    sums = np.bincount(inverse, weights=values, minlength=len(hours))
    counts = np.bincount(inverse, minlength=len(hours))
    return BackgroundHours(np.full(len(hours), "district", object), hours, sums / counts)


def minute_of(when: dt.datetime) -> int:
    """Minutes since 1970-01-01 00:00 of a Beijing wall-clock time (the rules' time axis)."""
    return int(np.datetime64(when.replace(tzinfo=None), "m").astype(np.int64))


def scan(
    feed: FeedStore,
    alarm_store: AlarmStore,
    rules: RuleSet,
    first: dt.date,
    last: dt.date,
    *,
    facts: Mapping[str, DeviceFacts] | None = None,
    measurements: MeasurementStore | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[dt.date], None] | None = None,
) -> pa.Table:
    """Judge days ``first`` … ``last`` and store their alarms (replacing those days'); returns them."""
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    facts = facts or {}
    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    found = [ALARM_SCHEMA.empty_table()]
    for day in days:
        midnight = dt.datetime.combine(day, dt.time())
        end = midnight + dt.timedelta(days=2)
        until = minute_of(min(end, now) if now is not None else end)
        background = (
            background_hours(measurements, rules, facts, midnight - dt.timedelta(days=1), end)
            if measurements is not None
            else BackgroundHours.empty()
        )
        context = [day + dt.timedelta(days=n) for n in (-1, 0, 1)]
        minutes = minutes_from_arrow(feed_minutes(feed, context))
        table = alarms(rules, minutes, until, facts, background)
        found.append(table.filter(pc.equal(table.column("day"), pa.scalar(day))))
        if progress is not None:
            progress(day)
    result = pa.concat_tables(found)
    alarm_store.replace_days(days, result)
    return result
