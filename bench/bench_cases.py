"""Benchmark: the case workflow on a SQLite ledger — alarms into cases, and the case queue.

Run: ``scripts/uv run python bench/bench_cases.py [--alarms 600] [--complaints 1000]`` (under a
minute). Builds a ledger in a temporary folder (migrated, the model plan, the EXAMPLE registry —
示例, invented), then

* feeds ``--alarms`` constructed alarms (not measured) of the example registry's devices to
  :func:`lantian.cases.alarms.open_from_alarm`, each in its own transaction (the first of a
  source opens a case, the others append and escalate at the thresholds), then as many again in
  one transaction (``open_from_alarms``), and prints alarms per second of both and their ratio
  (each transaction's commit and audit-chain head cost most of a single alarm's time);
* opens ``--complaints`` complaint cases on the example sources and dispatches them, then times
  :func:`lantian.cases.service.list_cases` (the office's queue) and counts its SQL statements,
  which stay fixed however many cases there are (the units and the sources' names are loaded in
  bulk, not one at a time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event, select

from lantian.cases import alarms as case_alarms
from lantian.cases import service
from lantian.plan.access import SYSTEM, Actor
from lantian.plan.database import create_ledger_engine, transaction, upgrade
from lantian.plan.plans import load_example
from lantian.sources.example import import_example
from lantian.sources.models import RegisteredDevice, Source

OFFICE = Actor(id=None, name="bench-office", role="office")


def build(folder: Path):
    engine = create_ledger_engine(f"sqlite:///{folder / 'plan.sqlite3'}")
    upgrade(engine)
    with transaction(engine) as db:
        load_example(db, SYSTEM)
        import_example(db, SYSTEM)
    return engine


def constructed_alarms(engine, count: int, tag: str) -> list[dict]:
    """``count`` alarms (constructed, not measured) spread over the example's devices on sources."""
    with transaction(engine) as db:
        devices = list(
            db.scalars(select(RegisteredDevice.mn).where(RegisteredDevice.source_id.isnot(None)))
        )
    return [
        {
            "alarm_id": f"{tag}-{n}",
            "mn": devices[n % len(devices)],
            "level": "报警",
            "pollutant": "PM10",
            "ts": dt.datetime(2026, 12, 1) + dt.timedelta(minutes=n),
            "value": 231.0,
            "limit": 150.0,
        }
        for n in range(count)
    ]


def feed_alarms(engine, count: int) -> tuple[float, float]:
    """Alarms per second: one transaction each, then a batch in one (``open_from_alarms``)."""
    alarms = constructed_alarms(engine, count, "one")
    start = time.perf_counter()
    for alarm in alarms:
        with transaction(engine) as db:
            case_alarms.open_from_alarm(db, alarm)
    single = count / (time.perf_counter() - start)
    alarms = constructed_alarms(engine, count, "batch")
    start = time.perf_counter()
    with transaction(engine) as db:
        case_alarms.open_from_alarms(db, alarms)
    return single, count / (time.perf_counter() - start)


def open_complaints(engine, count: int) -> None:
    with transaction(engine) as db:
        codes = list(db.scalars(select(Source.code)))
        for n in range(count):
            case = service.open_case(
                db, OFFICE, "complaint", f"投诉 {n}", source=codes[n % len(codes)]
            )
            if case.unit is not None:
                service.dispatch(db, OFFICE, case.id)


def time_queue(engine, repeat: int) -> tuple[int, float, int]:
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    times = []
    for _ in range(repeat):
        statements.clear()
        with transaction(engine) as db:
            start = time.perf_counter()
            rows = service.list_cases(db, OFFICE)
            times.append(time.perf_counter() - start)
    return len(rows), statistics.median(times) * 1000, len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alarms", type=int, default=600)
    parser.add_argument("--complaints", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        engine = build(Path(folder))
        single, batch = feed_alarms(engine, options.alarms)
        with transaction(engine) as db:
            alarm_cases = len(service.list_cases(db, OFFICE, origin="alarm"))
        print(
            f"alarms → cases: 2 × {options.alarms} alarms in {alarm_cases} cases; "
            f"{single:.0f} alarms/s one transaction each, {batch:.0f} alarms/s in one batch "
            f"({batch / single:.1f}×)"
        )
        opened = 0
        for total in (options.complaints // 10, options.complaints):
            open_complaints(engine, total - opened)
            opened = total
            rows, ms, count = time_queue(engine, options.repeat)
            print(f"queue of {rows} cases: {count} statements, median {ms:.1f} ms")
        engine.dispose()


if __name__ == "__main__":
    main()
