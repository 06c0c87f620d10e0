"""A home for the sources' pages tests: the seeded ledger (model plan, a user of each role) with
the EXAMPLE registry (示例, invented) imported, minute frames of its simulated dust monitors written
through the feeds' intake (constructed test data, 模拟数据), and their alarms scanned by the real
rules (the district's rule file chooses the Wuhan absolute template: PM10 hourly mean > 150)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.alarms.rules import load_rules
from lantian.alarms.scan import device_facts, scan
from lantian.alarms.store import AlarmStore
from lantian.feeds.intake import Intake, feed_rows
from lantian.feeds.store import FeedStore
from lantian.ingest.hj212 import encode_frame, parse_frame
from lantian.plan.access import SYSTEM
from lantian.plan.database import create_ledger_engine, transaction
from lantian.sources.example import import_example
from lantian.sources.models import RegisteredDevice
from lantian.sources.registry import as_device
from tests.web_ledger.conftest import seed_ledger

RULES = 'use = ["wuhan", "data-quality"]\n'
"""The test district's rule file: the Wuhan absolute template (no background needed)."""
LOUD = "EXAMPLE00DUST0001"
"""The example dust monitor whose PM10 goes over 200 µg/m³ in the hours of :func:`write_minutes`."""
QUIET = "EXAMPLE00DUST0002"


def seed_home(home: Path) -> str:
    """Seed ``home``'s ledger with the plan, the users and the example registry; its URL."""
    home.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{home / 'plan.sqlite3'}"
    seed_ledger(url)
    engine = create_ledger_engine(url)
    with transaction(engine) as db:
        import_example(db, SYSTEM)
    engine.dispose()
    (home / "rules.toml").write_text(RULES, encoding="utf-8")
    return url


LOUD_HOURS = range(8, 10)
"""The hours, counted from the first of :func:`write_minutes`, in which the loud monitor reads
240 µg/m³ (08:00–09:59 of a day written from midnight)."""


def pm10(mn: str, moment: dt.datetime, start: dt.datetime) -> float:
    """The constructed PM10 of a device at a minute of the frames that begin at ``start``."""
    loud = mn == LOUD and (moment - start) // dt.timedelta(hours=1) in LOUD_HOURS
    return 240.0 if loud else 60.0 + moment.minute % 5


def live_start(now: dt.datetime, hours: int = 12) -> dt.datetime:
    """The first of ``hours`` constructed hours that end at the last whole hour before ``now``
    (Beijing): all of them past and the loud ones within the last 24 h, whatever the time of day
    the tests run (from a day's midnight, they would lie in the future until 10:00)."""
    return now.replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=hours)


def loud_hours(start: dt.datetime) -> list[str]:
    """The loud hours of frames that begin at ``start``, as ``HH:MM``."""
    return [f"{start + dt.timedelta(hours=h):%H:%M}" for h in LOUD_HOURS]


def write_minutes(
    home: Path,
    url: str,
    start: dt.date | dt.datetime,
    hours: int = 12,
    rules_file: str = "rules.toml",
) -> None:
    """Minute frames (CN 2051) of the example's first two dust monitors for ``hours`` hours from
    ``start`` (a day: its midnight), through the intake into the feed store, then the alarms of
    the days they cover scanned."""
    engine = create_ledger_engine(url)
    with Session(engine) as db:
        devices = {
            d.mn: as_device(d)
            for d in db.scalars(
                select(RegisteredDevice).where(RegisteredDevice.mn.in_([LOUD, QUIET]))
            )
        }
        facts = device_facts(db)
    engine.dispose()
    store = FeedStore(home / "feeds" / "store")
    intake = Intake(store)
    if not isinstance(start, dt.datetime):
        start = dt.datetime.combine(start, dt.time())
    first, last = start.date(), (start + dt.timedelta(hours=hours, minutes=-1)).date()
    offset = 0
    for mn, device in devices.items():
        for minute in range(hours * 60):
            moment = start + dt.timedelta(minutes=minute)
            segment = (
                f"QN={moment:%Y%m%d%H%M%S}000;ST=22;CN=2051;PW=x;MN={mn};Flag=4;"
                f"CP=&&DataTime={moment:%Y%m%d%H%M%S};a34002-Avg={pm10(mn, moment, start)},a34002-Flag=N&&"
            )
            frame = parse_frame(encode_frame(segment))
            intake.take(frame, device, moment, f"log-{first}", offset, offset + 1)
            offset += 1
    batch, cursors = intake.drain()
    store.commit(feed_rows(batch)[0], cursors)
    rules = load_rules(home / rules_file)
    scan(store, AlarmStore(home / "alarms"), rules, first, last, facts=facts)
