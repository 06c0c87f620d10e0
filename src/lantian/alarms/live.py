"""Alarms judged as the HJ 212 receiver stores frames (the live path of ``lantian receive`` and
``lantian serve --hj212-port``).

:class:`LiveAlarms` listens to the receiver's feed-store commits: each commit's minute rows
(CN 2051) go to an :class:`~lantian.alarms.incremental.IncrementalEvaluator`, and the alarms they
complete are added to the alarm store at once (:meth:`AlarmStore.add`), so an alarm is stored
within a flush (``--flush-seconds``, 2 s) of the frame that completes its window arriving
``lateness`` minutes later (below).

* **Time.** The live clock is the newest minute received (not the wall clock): a window is judged
  once a minute ``lateness`` minutes after its end has arrived. The allowance lets frames that
  devices send late (re-sent after a lost answer, HJ 212-2017 §6.6) count, as a later
  ``lantian alarms scan`` would count them: the live alarms are the scan's over the same minutes
  and the same clock (``tests/alarms/test_live.py`` proves it on a real receiver process).
* **Restart-safe.** On start (before the receiver replays its raw log) the newest day of the feed
  store and the day before are scanned in batch (:func:`lantian.alarms.scan.scan`, replacing their
  stored alarms) and the evaluator is primed with their minutes. Alarms are derived data: whatever
  a kill interrupted between the feed commit and the alarm store's commit is recomputed then.
* **Listeners.** ``on_alarms`` callables receive each new batch of stored alarms; an error in one
  is logged and does not stop the receiver. :func:`case_listener` is the case workflow's: each
  alarm opens a case, or is appended to the open case of its source, which escalates on repeats
  (``lantian.cases.alarms.open_from_alarm``; which levels open cases, and the thresholds, are
  the case rules' ``[alarms]`` and ``[escalation]``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lantian.alarms.evaluate import ALARM_SCHEMA, DeviceFacts
from lantian.alarms.incremental import IncrementalEvaluator
from lantian.alarms.rules import RuleSet
from lantian.alarms.scan import MINUTE_COMMAND, background_hours, feed_minutes, scan
from lantian.alarms.store import AlarmStore
from lantian.feeds.store import FeedStore
from lantian.store.measurements import MeasurementStore

log = logging.getLogger("lantian.alarms")

LATENESS_MINUTES = 10
"""How long after a window's end the live path waits for its late minutes [min]. The simulator
sends late frames 2–10 minutes late (``lantian.feeds.simulator.FAULTS``)."""


def minute_datetime(minute: int) -> dt.datetime:
    """The Beijing wall-clock time of a minute number (the rules' time axis)."""
    return np.datetime64(int(minute), "m").astype("datetime64[s]").astype(dt.datetime)


def newest_minute(feed: FeedStore) -> int | None:
    """The newest minute (CN 2051) in the feed store, or ``None`` when it holds none."""
    days = sorted({key.split("/")[0] for key in feed.manifest().partitions})
    if not days:
        return None
    last = dt.date.fromisoformat(days[-1])
    table = feed_minutes(feed, [last])
    if not table.num_rows:
        return None
    newest = pc.max(table.column("ts")).as_py()
    return int(np.datetime64(newest, "m").astype(np.int64))


class LiveAlarms:
    """Judges the receiver's committed minutes and stores their alarms (see the module)."""

    def __init__(
        self,
        feed: FeedStore,
        alarm_store: AlarmStore,
        rules: RuleSet,
        facts: Mapping[str, DeviceFacts] | Callable[[], Mapping[str, DeviceFacts]] | None = None,
        measurements: MeasurementStore | None = None,
        lateness: int = LATENESS_MINUTES,
    ) -> None:
        self.feed = feed
        self.alarm_store = alarm_store
        self.rules = rules
        self._facts = facts
        self.measurements = measurements
        self.lateness = lateness
        self.on_alarms: list[Callable[[pa.Table], None]] = []
        self.evaluator: IncrementalEvaluator | None = None
        self._background_hour: int | None = None

    def facts(self) -> Mapping[str, DeviceFacts]:
        source = self._facts
        return (source() if callable(source) else source) or {}

    # ------------------------------------------------------------------ receiver hooks
    def open(self) -> pa.Table:
        """Scan the feed store's newest day and the day before, prime the evaluator with their
        minutes; return the alarms stored for those days."""
        facts = self.facts()
        self.evaluator = IncrementalEvaluator(self.rules, facts, lateness=self.lateness)
        newest = newest_minute(self.feed)
        if newest is None:
            return ALARM_SCHEMA.empty_table()
        today = minute_datetime(newest).date()
        days = [today - dt.timedelta(days=1), today]
        until = minute_datetime(newest - self.lateness)
        found = scan(
            self.feed,
            self.alarm_store,
            self.rules,
            days[0],
            days[1],
            facts=facts,
            measurements=self.measurements,
            now=until,
        )
        self._refresh_background(newest)
        self.evaluator.feed(feed_minutes(self.feed, days))  # already stored by the scan
        return found

    def committed(self, rows: pa.Table) -> pa.Table:
        """Judge a commit's rows (FEED_SCHEMA); store and hand on the alarms they complete."""
        if self.evaluator is None:
            self.open()
        assert self.evaluator is not None
        minutes = rows.filter(pc.equal(rows.column("cn"), MINUTE_COMMAND))
        if minutes.num_rows:
            newest = pc.max(minutes.column("ts")).as_py()
            self._refresh_background(int(np.datetime64(newest, "m").astype(np.int64)))
        found = self.evaluator.feed(minutes)
        if found.num_rows:
            self.alarm_store.add(found)
            for listener in self.on_alarms:
                try:
                    listener(found)
                except Exception:
                    log.exception("alarm listener %r failed", listener)
        return found

    def _refresh_background(self, newest: int) -> None:
        """Re-read the background hours when a new hour began (national stations' hours arrive
        hourly; the measurement store is not read at every commit)."""
        if self.measurements is None or self.evaluator is None:
            return
        hour = newest // 60
        if hour == self._background_hour:
            return
        self._background_hour = hour
        end = minute_datetime(hour * 60 + 60)
        self.evaluator.background = background_hours(
            self.measurements, self.rules, self.evaluator.facts, end - dt.timedelta(days=2), end
        )


def open_cases(db, alarms: pa.Table) -> Counter:
    """Open or append a case for each alarm, in time order, in the caller's transaction; count
    what happened (``opened``, ``appended``, ``escalated``, ``duplicate``, ``ignored`` for a
    level the case rules leave out, ``unregistered`` for a device not in the registry — the
    simulator's fleet)."""
    from lantian.cases.alarms import open_from_alarm
    from lantian.plan.errors import NotFoundError

    counts: Counter = Counter()
    for alarm in alarms.sort_by([("ts", "ascending"), ("mn", "ascending")]).to_pylist():
        try:  # one per alarm: alarms are few
            outcome = open_from_alarm(db, alarm)
        except NotFoundError:
            counts["unregistered"] += 1
            continue
        if outcome.case is None:
            counts["ignored"] += 1
        for name in ("opened", "appended", "escalated", "duplicate"):
            counts[name] += bool(getattr(outcome, name))
    return counts


def case_listener(engine) -> Callable[[pa.Table], Counter]:
    """An ``on_alarms`` listener opening cases in the ledger of ``engine`` (one transaction per
    batch of alarms)."""
    from lantian.plan.database import transaction

    def listener(alarms: pa.Table) -> Counter:
        with transaction(engine) as db:
            counts = open_cases(db, alarms)
        log.info("cases from %d alarms: %s", alarms.num_rows, dict(counts))
        return counts

    return listener
