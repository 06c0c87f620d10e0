"""The incremental evaluator: fed minute values as they arrive, it emits each alarm once, the same
alarms as a batch scan over the same minutes (``tests/alarms/test_incremental.py`` proves it).

State carried between calls: the minutes of the current and the previous day (Beijing) and the ids
of the alarms already emitted. Each call re-evaluates that buffer with the same pure functions as
the batch scan (one implementation of each rule) up to ``until`` = the newest minute seen: a
window is judged once a minute after its end has arrived, an outage once the clock (the newest
minute of any device) has passed it. Minutes must arrive in time order (the feed store's commit
order); a minute for an already judged window is not judged again. Limits: a run (stuck values,
flags) longer than a day restarts when its first day leaves the buffer; a background value
arriving after its hour was judged changes nothing already emitted.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lantian.alarms.evaluate import (
    ALARM_SCHEMA,
    BackgroundHours,
    DeviceFacts,
    alarms,
    minutes_from_arrow,
)
from lantian.alarms.rules import RuleSet
from lantian.feeds.store import FEED_SCHEMA

COLUMNS = ["mn", "ts", "pollutant", "value", "valid", "flag"]
MINUTE_SCHEMA = pa.schema([FEED_SCHEMA.field(name) for name in COLUMNS])
"""The minute columns the evaluator keeps (the feed store's, ``ts`` in seconds)."""


class IncrementalEvaluator:
    """Alarm rules evaluated as minutes arrive."""

    def __init__(
        self,
        rules: RuleSet,
        facts: Mapping[str, DeviceFacts] | None = None,
        background: BackgroundHours | None = None,
        lateness: int = 0,
    ) -> None:
        self.rules = rules
        self.facts = facts or {}
        self.background = background
        self.lateness = lateness
        """Windows are judged once a minute this many minutes after their end arrived [min]."""
        self.buffer: pa.Table | None = None
        self.emitted: dict[str, int] = {}
        """alarm id → its day (minutes // 1440), to forget ids of days left behind."""
        self.until = np.iinfo(np.int64).min

    def feed(self, minutes: pa.Table) -> pa.Table:
        """Take newly arrived minute rows; return the alarms they complete (ALARM_SCHEMA)."""
        minutes = minutes.select(COLUMNS).cast(MINUTE_SCHEMA)
        self.buffer = minutes if self.buffer is None else pa.concat_tables([self.buffer, minutes])
        if minutes.num_rows:
            newest = pc.max(minutes.column("ts")).cast(pa.timestamp("s")).as_py()
            newest_minute = int(np.datetime64(newest, "m").astype(np.int64))
            self.until = max(self.until, newest_minute - self.lateness)
        return self._evaluate(self.until)

    def finish(self, until: int) -> pa.Table:
        """Judge everything up to ``until`` (minutes, exclusive): the end of a scanned period."""
        self.until = max(self.until, until)
        return self._evaluate(self.until)

    def _evaluate(self, until: int) -> pa.Table:
        if self.buffer is None or self.until == np.iinfo(np.int64).min:
            return ALARM_SCHEMA.empty_table()
        self._trim(until)
        found = alarms(
            self.rules, minutes_from_arrow(self.buffer), until, self.facts, self.background
        )
        ids = found.column("alarm_id").to_pylist()
        new = np.array([alarm_id not in self.emitted for alarm_id in ids], dtype=bool)
        days = found.column("day").cast(pa.int32()).to_pylist()
        for alarm_id, day, fresh in zip(ids, days, new.tolist(), strict=True):
            if fresh:
                self.emitted[alarm_id] = day
        return found.filter(pa.array(new, pa.bool_()))

    def _trim(self, until: int) -> None:
        """Keep the minutes (and alarm ids) of the current and the previous day only."""
        assert self.buffer is not None
        keep_from = (until // 1440 - 1) * 1440
        cut = np.datetime64(int(keep_from), "m").astype("datetime64[s]")
        ts = self.buffer.column("ts").cast(pa.timestamp("s"))
        self.buffer = self.buffer.filter(pc.greater_equal(ts, pa.scalar(cut, pa.timestamp("s"))))
        first_day = keep_from // 1440
        self.emitted = {k: d for k, d in self.emitted.items() if d >= first_day}
