"""The incremental evaluator: fed minute values as they arrive, it emits each alarm once, the same
alarms as a batch evaluation over the same minutes (``tests/alarms/test_incremental.py`` proves
it), at the cost of only the windows each call closes.

The clock ``until`` is the newest minute seen less ``lateness``; a call that moves it from ``U``
to ``U'`` judges exactly what becomes judgeable:

* **window rules** (absolute, difference, TSP, stack, off-hours): the windows that end in
  ``(U, U']``, over the minutes of those windows only (kept in :attr:`recent`); ``hotspot``
  reads ``hours`` windows more behind them, to see whether their run began earlier;
* **offline**: over the minutes from ``U - N - 1`` on (an outage that began earlier was already
  longer than N minutes at ``U``, so it rang then);
* **stuck and flag runs**: over the minutes in ``[U, U')``, with each series' run carried from
  the last call (its last reading, its position in its run, the run's first minute); the readings
  of an alarm are read back from the day's buffer.

Occurrences continue per rule, device and day from the counts of earlier calls. The batch
evaluation judges the minutes before ``until`` the same way, so both agree as long as minutes
arrive before the clock passes them — the live path's ``lateness`` allowance. A minute arriving
later still counts in a window not yet closed, but not in a closed one, a run or an outage;
``lantian alarms scan`` (and the live path's restart) judges it. Runs are carried across days
(a scan sees the day before only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lantian.alarms.evaluate import (
    ALARM_SCHEMA,
    BackgroundHours,
    DeviceFacts,
    Exceedances,
    Minutes,
    exceedances,
    minutes_from_arrow,
    rule_alarms,
    sort_alarms,
)
from lantian.alarms.rules import Rule, RuleSet
from lantian.feeds.store import FEED_SCHEMA

COLUMNS = ["mn", "ts", "pollutant", "value", "valid", "flag"]
MINUTE_SCHEMA = pa.schema([FEED_SCHEMA.field(name) for name in COLUMNS])
"""The minute columns the evaluator keeps (the feed store's, ``ts`` in seconds)."""
RUN_KINDS = ("stuck", "flag")


@dataclass
class Runs:
    """A run rule's state per series (device, pollutant): the last reading that counts (its
    value for ``stuck``, its minute for ``flag``), its position in its run, the run's first
    minute."""

    index: dict[tuple[str, str], int] = field(default_factory=dict)
    last: np.ndarray = field(default_factory=lambda: np.zeros(0))
    position: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    start: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

    def series(self, minutes: Minutes, rows: np.ndarray) -> np.ndarray:
        """The series number of each of ``rows`` (new series get fresh state)."""
        width = len(minutes.pollutant_names) + 1
        pairs, inverse = np.unique(
            minutes.mn[rows].astype(np.int64) * width + minutes.pollutant[rows],
            return_inverse=True,
        )
        numbers = np.empty(len(pairs), np.int64)
        for number, pair in enumerate(pairs.tolist()):  # one per series, not per row
            key = (str(minutes.mn_names[pair // width]), str(minutes.pollutant_names[pair % width]))
            numbers[number] = self.index.setdefault(key, len(self.index))
        grow = len(self.index) - len(self.last)
        if grow > 0:
            self.last = np.r_[self.last, np.full(grow, np.nan)]
            self.position = np.r_[self.position, np.full(grow, -1, np.int64)]
            self.start = np.r_[self.start, np.zeros(grow, np.int64)]
        return numbers[inverse.ravel()]


def carried_runs(
    series: np.ndarray,
    minute: np.ndarray,
    continues: np.ndarray,
    first_continues: np.ndarray,
    runs: Runs,
) -> tuple[np.ndarray, np.ndarray]:
    """``(position, run's first minute)`` of each row (sorted by series, then minute):
    ``continues[i]`` says row ``i`` extends the run of row ``i - 1`` of its series,
    ``first_continues[i]`` (for a series' first row) that it extends the carried run."""
    n = len(series)
    index = np.arange(n)
    new_series = np.ones(n, bool)
    new_series[1:] = series[1:] != series[:-1]
    begins = new_series | ~continues
    run_first = np.maximum.accumulate(np.where(begins, index, 0)) if n else index
    carried = new_series & first_continues
    base = np.where(carried, runs.position[series] + 1, 0)
    start = np.where(carried, runs.start[series], minute)
    return index - run_first + base[run_first], start[run_first]


class IncrementalEvaluator:
    """Alarm rules evaluated as minutes arrive (see the module)."""

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
        self.until: int | None = None
        self.newest: int | None = None
        self.buffer: list[pa.Table] = []
        """The minutes of the current and the previous day (for the readings of runs)."""
        self.recent = MINUTE_SCHEMA.empty_table()
        """The minutes from ``until - lookback`` on: open windows, the offline rule's reach."""
        reach = [r.minutes + 1 for r in rules.rules if r.kind == "offline"]
        reach += [r.window * (r.hours + 1) for r in rules.rules if r.kind == "hotspot"]
        self.lookback = max([60, *(r.window for r in rules.rules), *reach])
        self.runs = {rule.id: Runs() for rule in rules.rules if rule.kind in RUN_KINDS}
        self.counts: dict[tuple[str, str, int], int] = {}
        """(rule, device, day) → exceedances emitted."""
        self.emitted: dict[str, int] = {}
        """alarm id → its day, to forget the ids of days left behind."""

    # ------------------------------------------------------------------ calls
    def feed(self, minutes: pa.Table) -> pa.Table:
        """Take newly arrived minute rows; return the alarms they complete (ALARM_SCHEMA)."""
        minutes = minutes.select(COLUMNS).cast(MINUTE_SCHEMA)
        if minutes.num_rows:
            self.buffer.append(minutes)
            self.recent = pa.concat_tables([self.recent, minutes])
            newest = pc.max(minutes.column("ts")).as_py()
            newest_minute = int(np.datetime64(newest, "m").astype(np.int64))
            self.newest = max(self.newest or newest_minute, newest_minute)
        if self.newest is None:
            return ALARM_SCHEMA.empty_table()
        return self._advance(self.newest - self.lateness)

    def finish(self, until: int) -> pa.Table:
        """Judge everything up to ``until`` (minutes, exclusive): the end of a scanned period."""
        return self._advance(until)

    # ------------------------------------------------------------------ one step
    def _advance(self, until: int) -> pa.Table:
        before = self.until
        if before is not None and until <= before:
            return ALARM_SCHEMA.empty_table()
        self.until = until
        found = [ALARM_SCHEMA.empty_table()]
        step = None
        for rule in self.rules.rules:
            if rule.kind in RUN_KINDS:
                if step is None:
                    step = minutes_from_arrow(self._between(self.recent, before, until))
                found.append(self._runs(rule, step, until))
            else:
                found.append(self._judge(rule, before, until))
        self._trim(until)
        return sort_alarms(pa.concat_tables(found))

    def _judge(self, rule: Rule, before: int | None, until: int) -> pa.Table:
        """Window and offline rules over the minutes that can give new alarms (module)."""
        if rule.kind == "offline":
            since = None if before is None else before - rule.minutes - 1
        else:
            since = None if before is None else (before - rule.window) // rule.window * rule.window
            since = since if since is None else since + rule.window
            if since is not None and since > until - rule.window:
                return ALARM_SCHEMA.empty_table()  # no window closes in this step
        behind = rule.hours * rule.window if rule.kind == "hotspot" else 0
        reach = None if since is None else since - behind
        part = minutes_from_arrow(self._between(self.recent, reach, until))
        context, exceeded = exceedances(
            rule, part, until, self.rules, self.facts, self.background or BackgroundHours.empty()
        )
        if behind and since is not None:
            # a run that began before the minutes read looks shorter: only the windows closing
            # now are judged, and one more window behind their run shows whether it began earlier
            exceeded = exceeded.where(exceeded.start >= since)
        return self._emit(rule, context, exceeded)

    def _runs(self, rule: Rule, step: Minutes, until: int) -> pa.Table:
        """Stuck values or flagged minutes over the step's minutes, runs carried (module)."""
        runs = self.runs[rule.id]
        if rule.kind == "stuck":
            rows = np.flatnonzero(step.valid & np.isfinite(step.value))
            key = step.value[rows]
        else:
            marked = np.isin(step.flag_names, list(rule.flags))
            rows = np.flatnonzero(marked[step.flag]) if len(marked) else np.zeros(0, np.int64)
            key = step.minute[rows].astype(np.float64)
        series = runs.series(step, rows)
        previous = np.r_[np.nan, key[:-1]] if len(key) else key
        if rule.kind == "stuck":
            continues = key == previous
            first_continues = key == runs.last[series]
            hit_at = rule.readings - 1
        else:
            continues = key == previous + 1
            first_continues = key == runs.last[series] + 1
            hit_at = rule.minutes
        position, start = carried_runs(series, step.minute[rows], continues, first_continues, runs)
        last = np.flatnonzero(np.r_[series[1:] != series[:-1], True]) if len(rows) else rows
        runs.last[series[last]] = key[last]
        runs.position[series[last]] = position[last]
        runs.start[series[last]] = start[last]
        hits = np.flatnonzero(position == hit_at)
        if len(hits) == 0:
            return ALARM_SCHEMA.empty_table()
        return self._run_alarms(rule, step, rows[hits], start[hits], until)

    def _run_alarms(
        self, rule: Rule, step: Minutes, hits: np.ndarray, starts: np.ndarray, until: int
    ) -> pa.Table:
        """The alarms of run hits, their readings read back from the buffer."""
        names = np.unique(step.mn_names[step.mn[hits]].astype(str))
        buffer = pa.concat_tables(self.buffer)
        buffer = self._between(buffer, int(starts.min()), until)
        context = minutes_from_arrow(buffer.filter(pc.is_in(buffer.column("mn"), pa.array(names))))
        width = len(context.pollutant_names) + 1
        keys = (context.mn.astype(np.int64) * width + context.pollutant) << 32 | context.minute
        mn = np.searchsorted(context.mn_names.astype(str), step.mn_names[step.mn[hits]].astype(str))
        pollutant = np.searchsorted(
            context.pollutant_names.astype(str),
            step.pollutant_names[step.pollutant[hits]].astype(str),
        )
        series = (mn.astype(np.int64) * width + pollutant) << 32
        first = np.searchsorted(keys, series | starts)
        stop = np.searchsorted(keys, series | step.minute[hits], side="right")
        count = rule.readings if rule.kind == "stuck" else rule.minutes + 1
        limit = rule.readings if rule.kind == "stuck" else rule.minutes
        found = Exceedances.of(first, stop, step.minute[hits], np.full(len(hits), count), limit)
        return self._emit(rule, context, found)

    def _emit(self, rule: Rule, part: Minutes, found: Exceedances) -> pa.Table:
        """The alarms not emitted before, their occurrences after the earlier calls'."""

        def skip(ids: list[str]) -> np.ndarray:
            return np.array([alarm_id in self.emitted for alarm_id in ids], dtype=bool)

        def prior(mn: np.ndarray, day: np.ndarray) -> np.ndarray:
            pairs = zip(mn.tolist(), day.tolist(), strict=True)
            return np.array([self.counts.get((rule.id, m, d), 0) for m, d in pairs], np.int64)

        table = rule_alarms(rule, part, found, skip, prior, self.facts)
        for alarm_id, mn, day in zip(  # one per alarm
            table.column("alarm_id").to_pylist(),
            table.column("mn").to_pylist(),
            table.column("ts").cast(pa.int64()).to_pylist(),
            strict=True,
        ):
            self.emitted[alarm_id] = day // 86400
            key = (rule.id, mn, day // 86400)
            self.counts[key] = self.counts.get(key, 0) + 1
        return table

    # ------------------------------------------------------------------ state
    @staticmethod
    def _between(table: pa.Table, since: int | None, until: int) -> pa.Table:
        """Rows with ``since <= minute < until`` (``since`` None: from the first)."""
        seconds = table.column("ts").cast(pa.int64())
        keep = pc.less(seconds, until * 60)
        if since is not None:
            keep = pc.and_(keep, pc.greater_equal(seconds, since * 60))
        return table.filter(keep)

    def _trim(self, until: int) -> None:
        """Keep the recent minutes the next steps need, the buffer's current and previous day,
        and the ids and counts of those days."""
        keep = (until - self.lookback) // 60 * 60 - 60
        seconds = self.recent.column("ts").cast(pa.int64())
        kept = self.recent.filter(pc.greater_equal(seconds, keep * 60))
        self.recent = kept.combine_chunks()  # one chunk: a chunk per call would pile up
        first_day = until // 1440 - 1
        if self.buffer and len(self.buffer) > 1:
            oldest = pc.min(self.buffer[0].column("ts")).as_py()
            if oldest is not None and np.datetime64(oldest, "D").astype(np.int64) < first_day:
                merged = pa.concat_tables(self.buffer)
                days = merged.column("ts").cast(pa.int64())
                self.buffer = [merged.filter(pc.greater_equal(days, first_day * 86400))]
                self.emitted = {k: d for k, d in self.emitted.items() if d >= first_day}
                self.counts = {k: c for k, c in self.counts.items() if k[2] >= first_day}
