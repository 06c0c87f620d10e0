"""What the map, site and public warning pages show, composed from the services that own it: the
source registry (:mod:`lantian.sources`), the feed status (:mod:`lantian.feeds.status`), the alarm
store and rules (:mod:`lantian.alarms`). Nothing is computed here that those modules compute.

Simulated devices (the example registry's, played by the simulator) are marked ``simulated`` in
every row, and example sources ``example``: the pages print 模拟数据 / 示例 beside them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.alarms.evaluate import minutes_from_arrow
from lantian.alarms.publication import device_sources, period, warning_list
from lantian.alarms.rules import RuleSet, load_rules
from lantian.alarms.scan import device_facts, feed_minutes, minute_of
from lantian.alarms.series import rule_series
from lantian.alarms.store import AlarmStore
from lantian.feeds.status import SIMULATED, device_status, feed_store
from lantian.plan.access import Actor, allowed, require
from lantian.plan.errors import NotFoundError
from lantian.plan.models import Case, CaseStep
from lantian.settings import settings
from lantian.sources.models import ConstructionSite, RegisteredDevice, Source
from lantian.sources.vocabulary import DEVICE_KINDS, EIGHT_MUSTS, SIX_HUNDRED_PERCENT
from lantian.sources.vocabulary import SOURCE_KIND_NAMES as KIND_NAMES
from lantian.times import beijing_now

OPEN_HOURS = 24
"""An alarm is shown on the map as open for this long after its window started [h]."""
SITE_ALARM_DAYS = 7
"""The site page lists its devices' alarms of this many days."""


@dataclass(frozen=True)
class LiveFolders:
    """Where the live data of a home are: the feeds (``feeds``) and the alarm store (``alarms``)."""

    feeds: Path
    alarms: Path

    @classmethod
    def of_home(cls, home: Path) -> LiveFolders:
        return cls(home / "feeds", home / "alarms")


def rules() -> RuleSet:
    """The alarm rules in force (shipped, with the district's file of ``LANTIAN_ALARM_RULES``)."""
    return load_rules(settings().alarm_rules)


def now() -> dt.datetime:
    """The Beijing wall clock, naive (the feed and alarm stores' time axis)."""
    return beijing_now()


def _iso(value: Any) -> Any:
    return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value


def recent_alarms(folders: LiveFolders, hours: int, until: dt.datetime | None = None) -> pa.Table:
    """The stored alarms whose window started in the last ``hours`` hours."""
    until = until or now()
    since = until - dt.timedelta(hours=hours)
    table = AlarmStore(folders.alarms).read(since.date(), until.date())
    return table.filter(pc.greater_equal(table.column("ts"), pa.scalar(since, pa.timestamp("s"))))


def _alarm_rows(table: pa.Table, where: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Alarm rows (without their readings) with the device's source and simulated flag."""
    rows = []
    for row in table.drop_columns(["readings"]).to_pylist():
        device = where.get(row["mn"], {})
        rows.append(
            {
                **{k: _iso(v) for k, v in row.items()},
                "day": str(row["day"]),
                "source_id": device.get("source_id"),
                "source_name": device.get("source_name"),
                "simulated": device.get("simulated", False),
            }
        )
    return rows


def _device_rows(db: Session, feeds: Path) -> list[dict[str, Any]]:
    status = {row["mn"]: row for row in device_status(feeds)}
    query = select(RegisteredDevice).order_by(RegisteredDevice.mn)
    rows = []
    for device in db.scalars(query):
        source = device.source
        longitude = (
            device.longitude if device.longitude is not None else getattr(source, "longitude", None)
        )
        latitude = (
            device.latitude if device.latitude is not None else getattr(source, "latitude", None)
        )
        seen = status.get(device.mn, {})
        rows.append(
            {
                "mn": device.mn,
                "name": device.name,
                "kind": device.kind,
                "kind_zh": DEVICE_KINDS.get(device.kind, (device.kind,))[0],
                "longitude": longitude,
                "latitude": latitude,
                "source_id": device.source_id,
                "source_name": source.name if source else None,
                "simulated": device.simulated,
                "data": SIMULATED if device.simulated else seen.get("data", "实测"),
                "last_data_time": seen.get("last_data_time"),
                "minutes_last_hour": seen.get("minutes_last_hour", 0),
            }
        )
    return rows


def device_registration(db: Session, mn: str) -> dict[str, Any] | None:
    """A registered device as its page shows it (``/devices/{mn}``): ``name``, ``kind`` and
    ``kind_zh``, ``simulated``, its source's ``source_name``, and the national station its
    calibration fits against (``nearest_station_code``, ``nearest_station_km``); None when the
    registry does not hold it."""
    device = db.scalar(select(RegisteredDevice).where(RegisteredDevice.mn == mn))
    if device is None:
        return None
    return {
        "name": device.name,
        "kind": device.kind,
        "kind_zh": DEVICE_KINDS.get(device.kind, (device.kind,))[0],
        "simulated": device.simulated,
        "source_name": device.source.name if device.source else None,
        "nearest_station_code": device.nearest_station_code,
        "nearest_station_km": device.nearest_station_km,
    }


def _source_row(source: Source) -> dict[str, Any]:
    return {
        "id": source.id,
        "code": source.code,
        "name": source.name,
        "kind": source.kind,
        "kind_zh": KIND_NAMES.get(source.kind, source.kind),
        "town": source.town,
        "unit": source.responsible_unit,
        "longitude": source.longitude,
        "latitude": source.latitude,
        "example": source.example,
    }


def alarm_cases(
    db: Session, actor: Actor, alarm_ids: list[str]
) -> dict[str, tuple[int | None, str | None, bool]]:
    """``alarm_id`` → (case id, status, closed) of the case that holds the alarm
    (:mod:`lantian.cases` records each alarm it receives as a step's ``ref``) — id and status
    only if ``actor`` may read that case (a reporter: their unit's), else None."""
    if not alarm_ids:
        return {}
    rows = db.execute(
        select(CaseStep.ref, Case.id, Case.status, Case.unit_id)
        .join(Case, CaseStep.case_id == Case.id)
        .where(CaseStep.ref.in_(alarm_ids))
    )
    return {
        ref: (case_id, status, status == "closed")
        if allowed(actor, "case.read", unit_id=unit_id)
        else (None, None, status == "closed")
        for ref, case_id, status, unit_id in rows
    }


def map_document(db: Session, actor: Actor, folders: LiveFolders) -> dict[str, Any]:
    """The map's data: every registered source with a position, every device (its last frame),
    and the open alarms — of the last :data:`OPEN_HOURS` hours, and not on a closed case — each
    with its source and its case (``case_id``, ``case_status``: only a case ``actor`` may read)."""
    require(actor, "sources.read")
    sources = [_source_row(s) for s in db.scalars(select(Source).order_by(Source.code))]
    devices = _device_rows(db, folders.feeds)
    where = {d["mn"]: d for d in devices}
    alarms = _alarm_rows(recent_alarms(folders, OPEN_HOURS), where)
    cases = alarm_cases(db, actor, [a["alarm_id"] for a in alarms])
    for alarm in alarms:
        device = where.get(alarm["mn"], {})
        alarm["longitude"], alarm["latitude"] = device.get("longitude"), device.get("latitude")
        alarm["case_id"], alarm["case_status"], closed = cases.get(
            alarm["alarm_id"], (None, None, False)
        )
        alarm["closed"] = closed
    alarms = [a for a in alarms if not a.pop("closed")]
    return {
        "generated": now().isoformat(sep=" ", timespec="seconds"),
        "open_hours": OPEN_HOURS,
        "sources": [s for s in sources if s["longitude"] is not None],
        "devices": devices,
        "alarms": alarms,
        "simulated_label": SIMULATED,
    }


def checklist(site: Source) -> list[dict[str, Any]]:
    """A construction site's checklist: the plan's 八个必须 as the registry records them, each
    with the 六个百分百 item it answers (``vocabulary.SIX_HUNDRED_PERCENT``); ``met`` is True,
    False or None (not recorded)."""
    if not isinstance(site, ConstructionSite):
        return []
    answers = {must: six for six, must in SIX_HUNDRED_PERCENT.items()}
    return [
        {"item": item, "six": answers.get(item), "met": site.checklist.get(item)}
        for item in EIGHT_MUSTS
    ]


def site_document(
    db: Session, actor: Actor, folders: LiveFolders, source_id: int
) -> dict[str, Any]:
    """A source's page: its facts, checklist, devices and their alarms of the last
    :data:`SITE_ALARM_DAYS` days."""
    require(actor, "sources.read")
    source = db.get(Source, source_id)
    if source is None:
        raise NotFoundError(f"没有编号为 {source_id} 的污染源", f"no source {source_id}", "source")
    devices = [d for d in _device_rows(db, folders.feeds) if d["source_id"] == source_id]
    where = {d["mn"]: d for d in devices}
    table = recent_alarms(folders, SITE_ALARM_DAYS * 24)
    mine = pa.array(list(where), pa.string())
    table = table.filter(pc.is_in(table.column("mn"), mine))
    alarms = _alarm_rows(table.sort_by([("ts", "descending")]), where)
    return {
        "source": {
            **_source_row(source),
            "address": source.address,
            "phase": getattr(source, "phase", None),
            "site_type": getattr(source, "site_type", None),
            "contractor": getattr(source, "contractor", None),
        },
        "checklist": checklist(source),
        "devices": devices,
        "alarms": alarms,
        "simulated": any(d["simulated"] for d in devices),
    }


def site_series(
    db: Session, actor: Actor, folders: LiveFolders, source_id: int, hours: int = 24
) -> dict[str, Any]:
    """Each device of the source over the last ``hours`` hours: its rules' window means and the
    threshold each is judged against (:func:`lantian.alarms.series.rule_series`)."""
    document = site_document(db, actor, folders, source_id)
    until = now()
    since = until - dt.timedelta(hours=hours)
    mns = [d["mn"] for d in document["devices"]]
    table = feed_minutes(feed_store(folders.feeds), [since.date(), until.date()])
    table = table.filter(
        pc.and_(
            pc.is_in(table.column("mn"), pa.array(mns, pa.string())),
            pc.greater_equal(table.column("ts"), pa.scalar(since, pa.timestamp("s"))),
        )
    )
    series = (
        rule_series(rules(), minutes_from_arrow(table), minute_of(until), device_facts(db))
        if table.num_rows
        else pa.table({})
    )
    rows = [{k: _iso(v) for k, v in row.items()} for row in series.to_pylist()]
    names = {rule.id: rule.name for rule in rules().rules}
    return {
        "source_id": source_id,
        "since": since.isoformat(sep=" ", timespec="minutes"),
        "until": until.isoformat(sep=" ", timespec="minutes"),
        "rules": names,
        "devices": {
            d["mn"]: {"name": d["name"], "simulated": d["simulated"]} for d in document["devices"]
        },
        "unit": "µg/m³",
        "rows": rows,
    }


def warnings_document(folders: LiveFolders, db_of, today: dt.date | None = None) -> dict[str, Any]:
    """The public warning list (公示警示) today: the rule, its period, and the listed sources
    (:func:`lantian.alarms.publication.warning_list`). ``db_of()`` opens the ledger's session,
    only when some alarm counts."""
    rule = rules().publication
    first, last = period(rule, today or now().date())
    table = AlarmStore(folders.alarms).read(first, last)
    rows: list[dict[str, Any]] = []
    if table.num_rows:
        with db_of() as db:
            rows = warning_list(table, device_sources(db), rule)
    for row in rows:
        row["last_day"] = str(row["last_day"])
        row["kind_zh"] = KIND_NAMES.get(row["kind"], row["kind"])
        row["data"] = SIMULATED if row["simulated"] else "实测"
    return {
        "first": first.isoformat(),
        "last": last.isoformat(),
        "days": rule.days,
        "min_days": rule.min_days,
        "levels": list(rule.levels),
        "kinds": list(rule.kinds),
        "source": rule.source,
        "rows": rows,
    }
