"""Pure whole-column evaluation of alarm rules over minute values.

Every function takes NumPy columns of minute values sorted by series (one device's one pollutant)
then time, and returns the exceedances as columns; nothing loops over rows. Time is minutes since
1970-01-01 00:00 of Beijing wall time (the feed store's ``ts``, HJ 212's ``DataTime``, the start of
the minute), so clock windows are ``minute - minute % window``; a window is the period
``[start, start + window)`` and is judged only when closed (``start + window <= until``).

Levels (``level``), counted per rule, device and day (the day of the window's start):
the first exceedance of the day is 预警, a repeat is 报警, and when the rule allows ``per_day``
exceedances, the ``per_day + 1``-th and later are 超标 (DB13/2934-2019 表1: 达标判定 ≤ 2 次/天).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from lantian.alarms.rules import Rule, RuleSet
from lantian.feeds.intake import unit_scale

FEED_UNIT = "ug/m3"
"""The unit of particulate values in the feed store (``lantian.feeds.store.FEED_SCHEMA``)."""
LEVELS = ("预警", "报警", "超标")
ALARM_SCHEMA = pa.schema(
    [
        pa.field("alarm_id", pa.string()),
        pa.field("rule_id", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("level", pa.string()),
        pa.field("mn", pa.string()),
        pa.field("pollutant", pa.string()),
        pa.field("ts", pa.timestamp("s")),
        pa.field("window", pa.int32()),
        pa.field("day", pa.date32()),
        pa.field("occurrence", pa.int32()),
        pa.field("value", pa.float64()),
        pa.field("limit", pa.float64()),
        pa.field("background", pa.float64()),
        pa.field("background_measured", pa.float64()),
        pa.field("readings", pa.string()),
        pa.field("citation", pa.string()),
        pa.field("sources", pa.string()),
    ]
)
"""One alarm. ``ts``: the start of the window (or of the outage, or the reading completing the run);
``value``: the window mean, its difference over the background, or the run length [min or
readings]; ``background``: the background used (capped), ``background_measured`` before the cap;
``readings``: JSON ``[[ts, value], …]`` of the minutes that triggered it; ``citation``: the rule's
source; ``sources``: JSON ``[[code, name, km], …]`` of the registered sources nearest a device on
no source (a micro-station), or null."""


@dataclass(frozen=True)
class Minutes:
    """Minute values, sorted by (``mn``, ``pollutant``, ``minute``). Devices, pollutants and flags
    are integer codes into their ``*_names`` (so that grouping compares integers, not strings)."""

    mn: np.ndarray
    pollutant: np.ndarray
    minute: np.ndarray
    """Minutes since 1970-01-01 00:00 Beijing wall time [int64]."""
    value: np.ndarray
    valid: np.ndarray
    flag: np.ndarray
    mn_names: np.ndarray
    pollutant_names: np.ndarray
    flag_names: np.ndarray
    means: dict[tuple[int, int, int], tuple[np.ndarray, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )
    """Window means already computed over these rows (``window_means``), by (window, count, until)."""

    def __len__(self) -> int:
        return len(self.minute)

    def before(self, until: int) -> Minutes:
        """The rows of minutes before ``until`` (what is known when judging up to it)."""
        late = self.minute >= until
        return self.take(np.flatnonzero(~late)) if late.any() else self

    def take(self, rows: np.ndarray) -> Minutes:
        if len(rows) == len(self):
            return self  # rows are always increasing positions: all of them is the identity
        return replace(
            self,
            means={},
            **{
                name: getattr(self, name)[rows]
                for name in ("mn", "pollutant", "minute", "value", "valid", "flag")
            },
        )


def code_of(names: np.ndarray, name: str) -> int:
    """The code of ``name`` among ``names`` (-1 when absent: matches no row)."""
    found = np.flatnonzero(names == name)
    return int(found[0]) if len(found) else -1


def _encoded(column: pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes and their names, codes in the names' sorted order (so that rows sort the
    same, and the first of a device's pollutants is the same, whatever slice is encoded)."""
    if pa.types.is_dictionary(column.type):  # as read from Parquet: no hashing again
        encoded = column.unify_dictionaries().combine_chunks()
    else:
        encoded = pc.dictionary_encode(column.combine_chunks())
    codes = np.asarray(encoded.indices.fill_null(0)).astype(np.int32, copy=False)
    names = np.asarray(encoded.dictionary.cast(pa.string()).to_pylist(), dtype=object)
    order = np.argsort(names.astype(str), kind="stable")
    if np.any(order != np.arange(len(order))):
        rank = np.empty(len(order), np.int32)
        rank[order] = np.arange(len(order), dtype=np.int32)
        codes, names = rank[codes], names[order]
    return codes, names


@dataclass(frozen=True)
class DeviceFacts:
    """What the rules need of a device, from the source registry."""

    source_kind: str | None = None
    """``site``, ``plant`` … of the source it sits on; ``None`` for a grid micro-station."""
    phase: str | None = None
    """The site's construction phase (施工阶段) for ``tsp_phase`` rules."""
    nearest_station: str | None = None
    working_hours: tuple[int, int] | None = None
    """The site's 作业时间 as minutes of the day ``(start, end)``; ``end < start`` runs past
    midnight (``off_hours`` rules)."""
    network: str | None = None
    """The device's network (``dust``, ``micro``, ``cems`` …) from the registry."""
    nearest_sources: tuple[tuple[str, str, float], ...] = ()
    """For a device on no source (a micro-station): the nearest registered sources as
    (code, name, distance [km]), named by its alarms (``hotspot``)."""
    permit_limits: Mapping[str, tuple[float, str, str]] = field(default_factory=dict)
    """Feed pollutant (``SO2``, ``NOx``, ``smoke_dust`` …) → (permitted concentration, its unit,
    the standard cited) of the enterprise's 排污许可证 (``stack`` rules)."""


def minutes_from_arrow(table: pa.Table) -> Minutes:
    """The minute rows (feed store columns ``mn ts pollutant value valid flag``), sorted."""
    ts = table.column("ts").to_numpy().astype("datetime64[m]").astype(np.int64)
    value = table.column("value").to_numpy(zero_copy_only=False).astype(np.float64)
    mn, mn_names = _encoded(table.column("mn"))
    pollutant, pollutant_names = _encoded(table.column("pollutant"))
    flags = table.column("flag")
    if flags.null_count:  # no flag sent: N (HJ 212-2017 数据标记, 正常)
        flags = flags.cast(pa.string()).fill_null("N")
    flag, flag_names = _encoded(flags)
    valid = table.column("valid").fill_null(False).to_numpy(zero_copy_only=False)
    if not _is_sorted(mn, pollutant, ts):
        order = np.lexsort((ts, pollutant, mn))
        mn, pollutant, ts, value, valid, flag = (
            column[order] for column in (mn, pollutant, ts, value, valid, flag)
        )
    return Minutes(
        mn=mn,
        pollutant=pollutant,
        minute=ts,
        value=value,
        valid=valid,
        flag=flag,
        mn_names=mn_names,
        pollutant_names=pollutant_names,
        flag_names=flag_names,
    )


def _is_sorted(*keys: np.ndarray) -> bool:
    """Whether rows are in lexicographic order of ``keys`` (feed store files usually are)."""
    if len(keys[0]) < 2:
        return True
    equal = np.ones(len(keys[0]) - 1, dtype=bool)
    for key in keys:
        if np.any(equal & (key[1:] < key[:-1])):
            return False
        equal &= key[1:] == key[:-1]
    return True


def group_starts(*keys: np.ndarray) -> np.ndarray:
    """Indices where any of the sorted ``keys`` changes (0 first): the starts of the groups."""
    n = len(keys[0])
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.zeros(n, dtype=bool)
    change[0] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(change)


def window_means(
    minutes: Minutes, window: int, min_count: int, until: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Clock-window means of valid minutes: ``(first_row, stop_row, start, mean)`` of every closed
    window of a series with at least ``min_count`` valid minutes (GB 3095-2012 表4 for hours)."""
    key = (window, min_count, until)
    if key not in minutes.means:
        minutes.means[key] = _window_means(minutes, window, min_count, until)
    return minutes.means[key]  # type: ignore[return-value]


def _window_means(
    minutes: Minutes, window: int, min_count: int, until: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    start = minutes.minute - minutes.minute % window
    first = group_starts(minutes.mn, minutes.pollutant, start)
    stop = np.append(first[1:], len(minutes)).astype(np.int64)
    use = minutes.valid & np.isfinite(minutes.value)
    if len(first) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, np.zeros(0)
    sums = np.add.reduceat(np.where(use, minutes.value, 0.0), first)
    counts = np.add.reduceat(use.astype(np.int64), first)
    keep = (counts >= min_count) & (start[first] + window <= until)
    return first[keep], stop[keep], start[first][keep], sums[keep] / counts[keep]


def run_positions(minutes: Minutes, continues: np.ndarray) -> np.ndarray:
    """Each row's position (0, 1, …) in its run: ``continues[i]`` says row ``i`` extends the run of
    row ``i - 1`` (ignored where the series changes)."""
    n = len(minutes)
    breaks = ~continues.copy()
    if n:
        breaks[0] = True
        breaks[1:] |= (minutes.mn[1:] != minutes.mn[:-1]) | (
            minutes.pollutant[1:] != minutes.pollutant[:-1]
        )
    index = np.arange(n)
    run_start = np.maximum.accumulate(np.where(breaks, index, 0)) if n else index
    return index - run_start


@dataclass
class Exceedances:
    """Exceedances of one rule, as columns (rows of ``minutes`` in ``[first, stop)`` triggered)."""

    first: np.ndarray
    stop: np.ndarray
    start: np.ndarray
    value: np.ndarray
    limit: np.ndarray
    background: np.ndarray
    background_measured: np.ndarray
    citation: np.ndarray | None = None
    """Per exceedance (object array), where it is more than the rule's ``source``."""

    @classmethod
    def of(cls, first, stop, start, value, limit, background=None, measured=None) -> Exceedances:
        nan = np.full(len(first), np.nan)
        return cls(
            first,
            stop,
            start,
            np.asarray(value, dtype=np.float64),
            np.broadcast_to(np.asarray(limit, dtype=np.float64), len(first)).copy(),
            nan if background is None else background,
            nan if measured is None else measured,
        )

    def where(self, keep: np.ndarray) -> Exceedances:
        return Exceedances(
            *(None if column is None else column[keep] for column in self.__dict__.values())
        )


def _applies(rule: Rule, minutes: Minutes, facts: Mapping[str, DeviceFacts]) -> np.ndarray:
    """Rows of the rule's pollutant on devices whose source kind the rule covers."""
    if rule.pollutant:
        rows = minutes.pollutant == code_of(minutes.pollutant_names, rule.pollutant)
    else:
        rows = np.ones(len(minutes), bool)
    if rule.sources:
        covered = {mn: fact.source_kind in rule.sources for mn, fact in facts.items()}
        rows &= _per_device(minutes, minutes.mn, covered, False, bool)
    if rule.network:
        member = {mn: fact.network == rule.network for mn, fact in facts.items()}
        rows &= _per_device(minutes, minutes.mn, member, False, bool)
    return rows


def _per_device(
    minutes: Minutes,
    codes: np.ndarray,
    value_of: Mapping[str, object],
    default: object,
    dtype: type = object,
) -> np.ndarray:
    """A column from a per-device mapping for device ``codes`` (one lookup per device)."""
    values = [value_of.get(name, default) for name in minutes.mn_names.tolist()]
    return np.array([*values, default], dtype=dtype)[codes]


def rule_minutes(rule: Rule, minutes: Minutes, facts: Mapping[str, DeviceFacts]) -> Minutes:
    """The minutes a rule judges (:func:`_applies`); a ``difference`` rule against a reference
    device has that device's rows of the pollutant besides (its background)."""
    rows = _applies(rule, minutes, facts)
    if rule.kind == "difference" and rule.background == "device":
        rows |= (minutes.pollutant == code_of(minutes.pollutant_names, rule.pollutant)) & (
            minutes.mn == code_of(minutes.mn_names, rule.reference_device)
        )
    return minutes.take(np.flatnonzero(rows))


JUDGED_KINDS = ("absolute", "difference", "tsp_phase")
"""The rule kinds judged on window means against a threshold (:func:`judged_windows`)."""


@dataclass(frozen=True)
class JudgedWindows:
    """The closed windows of a rule of :data:`JUDGED_KINDS` (rows ``[first, stop)`` of its
    minutes, ``start``, ``mean`` [feed unit]) and the threshold each mean must exceed to count
    (NaN: not judged — no phase, no background); for ``difference`` also the capped and the
    measured background and the limit on the excess."""

    first: np.ndarray
    stop: np.ndarray
    start: np.ndarray
    mean: np.ndarray
    threshold: np.ndarray
    capped: np.ndarray | None = None
    measured: np.ndarray | None = None
    limit: float = np.nan


def judged_windows(
    rule: Rule,
    minutes: Minutes,
    until: int,
    min_count: int,
    facts: Mapping[str, DeviceFacts],
    background: BackgroundHours,
    district_stations: tuple[str, ...],
) -> JudgedWindows:
    """The closed windows of ``rule`` over its ``minutes`` (:func:`rule_minutes`) with their
    thresholds: the evaluation and the site page's chart (:mod:`lantian.alarms.series`) both call
    it, so a point above its line is exactly a window counted as an exceedance. ``absolute``: the
    limit; ``tsp_phase``: the limit of the site's construction phase (DB61/1078-2017);
    ``difference``: the background capped at ``rule.background_cap`` plus the limit (DB13/2934-2019
    表1 and its note: mean − min(background, cap) > limit)."""
    first, stop, start, mean = window_means(minutes, rule.window, min_count, until)
    scale = unit_scale(rule.unit, FEED_UNIT)
    if rule.kind == "absolute":
        limit = rule.limit * scale
        return JudgedWindows(first, stop, start, mean, np.full(len(first), limit), limit=limit)
    if rule.kind == "tsp_phase":
        phase_limit = {
            mn: rule.limits.get(fact.phase or "") for mn, fact in facts.items() if fact.phase
        }
        limits = _per_device(minutes, minutes.mn[first], phase_limit, None)
        known = np.array([v is not None for v in limits], dtype=bool)
        threshold = np.where(known, limits, np.nan).astype(np.float64) * scale
        return JudgedWindows(first, stop, start, mean, threshold)
    if rule.kind == "difference":
        measured = window_background(
            rule, minutes, first, start, until, min_count, facts, background, district_stations
        )
        capped, limit = np.minimum(measured, rule.background_cap * scale), rule.limit * scale
        return JudgedWindows(first, stop, start, mean, capped + limit, capped, measured, limit)
    raise KeyError(f"rule kind {rule.kind!r} is not judged on window means; {JUDGED_KINDS}")


def absolute(rule: Rule, minutes: Minutes, windows: JudgedWindows) -> Exceedances:
    """Windows whose mean is above ``rule.limit`` (converted to the feed's unit)."""
    w = windows
    return Exceedances.of(w.first, w.stop, w.start, w.mean, w.threshold).where(w.mean > w.limit)


def tsp_phase(rule: Rule, minutes: Minutes, windows: JudgedWindows) -> Exceedances:
    """Windows whose mean is above the limit of the site's construction phase (DB61/1078-2017)."""
    w = windows
    keep = np.isfinite(w.threshold) & (w.mean > w.threshold)
    return Exceedances.of(w.first, w.stop, w.start, w.mean, w.threshold).where(keep)


def stack(
    rule: Rule, minutes: Minutes, until: int, min_count: int, facts: Mapping[str, DeviceFacts]
) -> Exceedances:
    """Windows (CEMS hours) whose mean is above the enterprise's permitted concentration for that
    factor (排污许可证 许可排放浓度, converted to the feed's unit of the pollutant); devices or
    factors without a registered limit are not judged."""
    first, stop, start, mean = window_means(minutes, rule.window, min_count, until)
    table = np.full((len(minutes.mn_names) + 1, len(minutes.pollutant_names) + 1), np.nan)
    cited = np.full(table.shape, "", dtype=object)
    pollutant_of = {str(name): code for code, name in enumerate(minutes.pollutant_names)}
    for mn_code, name in enumerate(minutes.mn_names.tolist()):
        fact = facts.get(name)
        for pollutant, (limit, unit, standard) in (fact.permit_limits if fact else {}).items():
            if pollutant in pollutant_of:
                scale = unit_scale(unit, feed_unit(pollutant))
                table[mn_code, pollutant_of[pollutant]] = limit * scale
                cited[mn_code, pollutant_of[pollutant]] = f"{rule.source}；许可限值：{standard}"
    limit = table[minutes.mn[first], minutes.pollutant[first]]
    keep = np.isfinite(limit) & (mean > limit)
    found = Exceedances.of(first, stop, start, mean, limit).where(keep)
    found.citation = cited[minutes.mn[first], minutes.pollutant[first]][keep]
    return found


def feed_unit(pollutant: str) -> str:
    """The unit of a pollutant's values in the feed store (the HJ 212 factor table's)."""
    from lantian.ingest.hj212 import factors

    units = {factor.pollutant: factor.unit for factor in factors().values()}
    return units.get(pollutant, FEED_UNIT)


def inside_hours(minute_of_day: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Whether each minute of the day lies in ``[start, end)`` (past midnight when end < start)."""
    same_day = (start <= minute_of_day) & (minute_of_day < end)
    overnight = (minute_of_day >= start) | (minute_of_day < end)
    return np.where(start <= end, same_day, overnight)


def off_hours(
    rule: Rule, minutes: Minutes, until: int, min_count: int, facts: Mapping[str, DeviceFacts]
) -> Exceedances:
    """Windows wholly outside the site's registered working hours (作业时间) whose mean is above
    ``rule.limit``: dust activity while the site should be idle. Devices whose site has no
    working hours are not judged."""
    first, stop, start, mean = window_means(minutes, rule.window, min_count, until)
    hours = {mn: fact.working_hours for mn, fact in facts.items() if fact.working_hours}
    opens = _per_device(minutes, minutes.mn[first], {k: v[0] for k, v in hours.items()}, -1)
    closes = _per_device(minutes, minutes.mn[first], {k: v[1] for k, v in hours.items()}, -1)
    opens, closes = opens.astype(np.int64), closes.astype(np.int64)
    known = opens >= 0
    outside = ~inside_hours(start % 1440, opens, closes) & ~inside_hours(
        (start + rule.window - 1) % 1440, opens, closes
    )
    limit = rule.limit * unit_scale(rule.unit, FEED_UNIT)
    return Exceedances.of(first, stop, start, mean, limit).where(known & outside & (mean > limit))


def hotspot(
    rule: Rule, minutes: Minutes, until: int, min_count: int, facts: Mapping[str, DeviceFacts]
) -> Exceedances:
    """Micro-stations above the network's mean by more than ``rule.limit`` for ``rule.hours``
    consecutive windows: the network's mean of a window is the mean of its devices' window means
    (``minutes`` hold the rule's network only); the alarm rings when the ``hours``-th window
    closes (one per run), ``value`` is the run's mean excess, ``background`` the last window's
    network mean."""
    first, stop, start, mean = window_means(minutes, rule.window, min_count, until)
    if len(first) == 0:
        return Exceedances.of(first, stop, start, mean, 0.0)
    _, inverse = np.unique(start, return_inverse=True)
    inverse = inverse.ravel()
    network = np.bincount(inverse, weights=mean) / np.bincount(inverse)
    excess = mean - network[inverse]
    over = np.flatnonzero(excess > rule.limit * unit_scale(rule.unit, FEED_UNIT))
    series = minutes.mn[first[over]].astype(np.int64) << 32 | minutes.pollutant[first[over]]
    follows = np.zeros(len(over), bool)
    follows[1:] = (series[1:] == series[:-1]) & (start[over][1:] == start[over][:-1] + rule.window)
    index = np.arange(len(over))
    run_first = np.maximum.accumulate(np.where(~follows, index, 0)) if len(over) else index
    hits = np.flatnonzero(index - run_first == rule.hours - 1)
    begin, end = over[hits - rule.hours + 1], over[hits]
    sums = np.concatenate([[0.0], np.cumsum(excess[over])])
    run_mean = (sums[hits + 1] - sums[hits + 1 - rule.hours]) / rule.hours
    return Exceedances.of(
        first[begin],
        stop[end],
        start[end],
        run_mean,
        rule.limit * unit_scale(rule.unit, FEED_UNIT),
        network[inverse[end]],
        network[inverse[end]],
    )


def _lookup(keys: np.ndarray, starts: np.ndarray, table: BackgroundHours) -> np.ndarray:
    """Background value of each (key, hour start); NaN where there is none."""
    if len(table.key) == 0 or len(keys) == 0:
        return np.full(len(keys), np.nan)
    names, codes = np.unique(np.concatenate([table.key, keys]).astype(str), return_inverse=True)
    del names
    known = (codes[: len(table.key)].astype(np.int64) << 32) | table.start.astype(np.int64)
    wanted = (codes[len(table.key) :].astype(np.int64) << 32) | starts.astype(np.int64)
    order = np.argsort(known, kind="stable")
    position = np.clip(np.searchsorted(known[order], wanted), 0, len(known) - 1)
    found = known[order][position] == wanted
    return np.where(found, table.value[order][position], np.nan)


@dataclass(frozen=True)
class BackgroundHours:
    """Background hourly values: ``key`` (``district``, a station code or a device MN), ``start``
    (the hour's start, minutes as in :class:`Minutes`), ``value`` [µg/m³]."""

    key: np.ndarray
    start: np.ndarray
    value: np.ndarray

    @classmethod
    def empty(cls) -> BackgroundHours:
        return cls(np.zeros(0, object), np.zeros(0, np.int64), np.zeros(0))

    def plus(self, other: BackgroundHours) -> BackgroundHours:
        return BackgroundHours(
            np.concatenate([self.key, other.key]),
            np.concatenate([self.start, other.start]),
            np.concatenate([self.value, other.value]),
        )


def difference(rule: Rule, minutes: Minutes, windows: JudgedWindows) -> Exceedances:
    """Hours whose mean exceeds the same hour's background by more than ``rule.limit``; the
    background is capped at ``rule.background_cap`` (DB13/2934-2019 表1 and its note). The
    reference device itself is not judged."""
    w = windows
    excess = w.mean - w.capped
    keep = np.isfinite(excess) & (excess > w.limit)
    if rule.background == "device":
        keep &= minutes.mn[w.first] != code_of(minutes.mn_names, rule.reference_device)
    return Exceedances.of(w.first, w.stop, w.start, excess, w.limit, w.capped, w.measured).where(
        keep
    )


def window_background(
    rule: Rule,
    minutes: Minutes,
    first: np.ndarray,
    start: np.ndarray,
    until: int,
    min_count: int,
    facts: Mapping[str, DeviceFacts],
    background: BackgroundHours,
    district_stations: tuple[str, ...],
) -> np.ndarray:
    """The measured (uncapped) background of each window (``first`` row, ``start``) of a
    ``difference`` rule: the reference device's same window, the district's hour, or the device's
    nearest station's hour [µg/m³]; NaN where there is none."""
    reference = code_of(minutes.mn_names, rule.reference_device)
    if rule.background == "device":
        hours = window_means(
            minutes.take(np.flatnonzero(minutes.mn == reference)),
            rule.window,
            min_count,
            until,
        )
        background = BackgroundHours(
            np.full(len(hours[2]), rule.reference_device, object), hours[2], hours[3]
        )
        keys = np.full(len(first), rule.reference_device, object)
    elif district_stations:
        keys = np.full(len(first), "district", object)
    else:
        nearest = {mn: fact.nearest_station for mn, fact in facts.items()}
        keys = _per_device(minutes, minutes.mn[first], nearest, "")
    return _lookup(keys, start, background)


def offline(rule: Rule, minutes: Minutes, until: int) -> Exceedances:
    """Outages longer than ``rule.minutes``: no minute of a device for more than that many
    minutes (between two readings, or after the last one up to ``until``). ``ts`` is the first
    missing minute; ``value`` is ``rule.minutes + 1``, the length at which the alarm rang."""
    code = minutes.mn
    if len(code) == 0:
        return Exceedances.of(*(np.zeros(0, np.int64),) * 4, rule.minutes)
    single = np.all(minutes.pollutant == minutes.pollutant[0])
    order = None if single else np.lexsort((minutes.minute, code))
    device = code if order is None else code[order]
    minute = minutes.minute if order is None else minutes.minute[order]
    # rows in (device, minute) order; a device's rows of one minute differ by 0 (no gap)
    last = np.append(device[1:] != device[:-1], True)
    following = np.append(minute[1:], until)
    following[last] = until
    hit = np.flatnonzero(following - minute - 1 > rule.minutes)
    first = hit if order is None else order[hit]
    start = minute[hit] + 1
    return Exceedances.of(
        first, first + 1, start, np.full(len(first), rule.minutes + 1), rule.minutes
    )


def stuck(rule: Rule, minutes: Minutes) -> Exceedances:
    """The ``rule.readings``-th consecutive identical valid reading of a series (one alarm per
    run); ``ts`` is that reading's minute."""
    use = minutes.valid & np.isfinite(minutes.value)
    rows = np.flatnonzero(use)
    part = minutes.take(rows)
    same = np.zeros(len(part), dtype=bool)
    same[1:] = part.value[1:] == part.value[:-1]
    position = run_positions(part, same)
    hit = np.flatnonzero(position == rule.readings - 1)
    first = rows[hit - rule.readings + 1]
    return Exceedances.of(
        first, rows[hit] + 1, part.minute[hit], np.full(len(hit), rule.readings), rule.readings
    )


def flagged(rule: Rule, minutes: Minutes) -> Exceedances:
    """Readings flagged ``rule.flags`` (HJ 212-2017 数据标记: M 维护, C 校准, D 故障) for more
    than ``rule.minutes`` consecutive minutes: the alarm rings at the ``minutes + 1``-th."""
    marked = np.isin(minutes.flag, np.flatnonzero(np.isin(minutes.flag_names, list(rule.flags))))
    rows = np.flatnonzero(marked)
    part = minutes.take(rows)
    follows = np.zeros(len(part), dtype=bool)
    follows[1:] = part.minute[1:] == part.minute[:-1] + 1
    position = run_positions(part, follows)
    hit = np.flatnonzero(position == rule.minutes)
    first = rows[hit - rule.minutes]
    return Exceedances.of(
        first, rows[hit] + 1, part.minute[hit], np.full(len(hit), rule.minutes + 1), rule.minutes
    )


def exceedances(
    rule: Rule,
    minutes: Minutes,
    until: int,
    rules: RuleSet,
    facts: Mapping[str, DeviceFacts],
    background: BackgroundHours,
) -> tuple[Minutes, Exceedances]:
    """The exceedances of ``rule`` (dispatch on ``rule.kind``), with the minutes they index."""
    if rule.kind in ("offline",):
        return minutes, offline(rule, minutes, until)
    if rule.kind in ("stuck", "flag"):
        return minutes, (stuck if rule.kind == "stuck" else flagged)(rule, minutes)
    part = rule_minutes(rule, minutes, facts)
    min_count = rules.completeness[rule.window]
    if rule.kind in JUDGED_KINDS:
        windows = judged_windows(
            rule, part, until, min_count, facts, background, rules.background_stations
        )
        judge = {"absolute": absolute, "tsp_phase": tsp_phase, "difference": difference}
        return part, judge[rule.kind](rule, part, windows)
    if rule.kind == "stack":
        return part, stack(rule, part, until, min_count, facts)
    if rule.kind == "off_hours":
        return part, off_hours(rule, part, until, min_count, facts)
    if rule.kind == "hotspot":
        return part, hotspot(rule, part, until, min_count, facts)
    raise KeyError(f"unknown rule kind {rule.kind!r}")


def levels(
    mn: np.ndarray,
    start: np.ndarray,
    per_day: int | None,
    fixed: str = "",
    offset: np.ndarray | int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """``(occurrence, level)`` of each exceedance of one rule: its number within the device's day
    (1, 2, …, after ``offset`` earlier ones) and 预警 / 报警 / 超标 (see the module docstring),
    or the rule's ``fixed`` level. Rows must be sorted by (mn, start)."""
    day = start // 1440
    occurrence = run_positions_plain(group_starts(mn, day), len(mn)) + 1 + offset
    level = np.where(occurrence == 1, 0, 1)
    if per_day is not None:
        level = np.where(occurrence > per_day, 2, level)
    if fixed:
        level = np.full(len(mn), LEVELS.index(fixed))
    return occurrence, np.asarray(LEVELS, dtype=object)[level]


def run_positions_plain(starts: np.ndarray, n: int) -> np.ndarray:
    """Position of each of ``n`` rows within groups beginning at ``starts``."""
    marks = np.zeros(n, dtype=np.int64)
    marks[starts] = starts
    return np.arange(n) - np.maximum.accumulate(marks) if n else np.zeros(0, np.int64)


def _nullable(values: np.ndarray) -> pa.Array:
    return pa.array(values, pa.float64(), mask=np.isnan(values))


def _nearest_sources(mn: np.ndarray, facts: Mapping[str, DeviceFacts]) -> list[str | None]:
    """JSON of each device's nearest registered sources (one per device, then repeated)."""
    names, inverse = np.unique(mn, return_inverse=True)
    texts = []
    for name in names.tolist():  # one per device
        fact = facts.get(name)
        near = fact.nearest_sources if fact is not None else ()
        texts.append(json.dumps([list(s) for s in near], ensure_ascii=False) if near else None)
    return [texts[i] for i in inverse.ravel().tolist()]


def _readings(minutes: Minutes, first: np.ndarray, stop: np.ndarray) -> list[str]:
    """JSON ``[[ts, value], …]`` of rows ``[first, stop)`` of each alarm (converted at once)."""
    lengths = stop - first
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    rows = np.arange(offsets[-1]) + np.repeat(first - offsets[:-1], lengths)
    stamps = minutes.minute[rows].astype("datetime64[m]").astype(str).tolist()
    values = [  # as json.dumps writes them (floats by repr, NaN as null)
        "null" if v != v else repr(v) for v in minutes.value[rows].tolist()
    ]
    items = [f'["{t}", {v}]' for t, v in zip(stamps, values, strict=True)]
    return [
        "[" + ", ".join(items[a:b]) + "]"
        for a, b in zip(offsets[:-1].tolist(), offsets[1:].tolist(), strict=True)
    ]


def alarms(
    rules: RuleSet,
    minutes: Minutes,
    until: int,
    facts: Mapping[str, DeviceFacts] | None = None,
    background: BackgroundHours | None = None,
) -> pa.Table:
    """Every alarm of every rule in force over the ``minutes`` before ``until`` (windows closed
    by then, outages up to then, runs of the readings before then)."""
    facts = facts or {}
    background = background if background is not None else BackgroundHours.empty()
    minutes = minutes.before(until)
    tables = [ALARM_SCHEMA.empty_table()]
    for rule in rules.rules:
        part, found = exceedances(rule, minutes, until, rules, facts, background)
        tables.append(rule_alarms(rule, part, found, facts=facts))
    return sort_alarms(pa.concat_tables(tables))


def sort_alarms(table: pa.Table) -> pa.Table:
    return table.sort_by([("ts", "ascending"), ("mn", "ascending"), ("rule_id", "ascending")])


def alarm_ids(rule: Rule, mn: np.ndarray, pollutant: np.ndarray, start: np.ndarray) -> list[str]:
    """Stable alarm ids: a hash of rule, device, pollutant and ``ts`` (minutes)."""
    return [
        hashlib.sha1(f"{rule.id}|{m}|{p}|{s}".encode()).hexdigest()[:16]
        for m, p, s in zip(mn.tolist(), pollutant.tolist(), start.tolist(), strict=True)
    ]


def rule_alarms(
    rule: Rule,
    part: Minutes,
    found: Exceedances,
    skip: Callable[[list[str]], np.ndarray] | None = None,
    prior: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
    facts: Mapping[str, DeviceFacts] | None = None,
) -> pa.Table:
    """The alarms of one rule's exceedances (``found``, indexing the rows of ``part``).

    The incremental evaluator passes ``skip`` (ids → which were already emitted) and ``prior``
    (devices, days → how many exceedances of the rule each already had that day), so that
    occurrences and levels continue where the earlier calls left them."""
    if len(found.first) == 0:
        return ALARM_SCHEMA.empty_table()
    mn = part.mn_names[part.mn[found.first]].astype(str)
    order = np.lexsort((found.start, mn))
    found, mn = found.where(order), mn[order]
    pollutant = part.pollutant_names[part.pollutant[found.first]].astype(str)
    if rule.kind == "offline":
        pollutant = np.full(len(mn), "", dtype=object)
    ids = np.asarray(alarm_ids(rule, mn, pollutant, found.start), dtype=object)
    if skip is not None:
        keep = ~skip(ids.tolist())
        found, mn, pollutant, ids = found.where(keep), mn[keep], pollutant[keep], ids[keep]
        if len(ids) == 0:
            return ALARM_SCHEMA.empty_table()
    offset = prior(mn, found.start // 1440) if prior is not None else 0
    occurrence, level = levels(mn, found.start, rule.per_day, rule.level, offset)
    window = rule.window or (rule.minutes if rule.kind != "stuck" else 0)
    stamps = found.start.astype("datetime64[m]").astype("datetime64[s]")
    citation = np.full(len(mn), rule.source, object) if found.citation is None else found.citation
    return pa.table(
        {
            "alarm_id": ids,
            "rule_id": np.full(len(mn), rule.id, object),
            "kind": np.full(len(mn), rule.kind, object),
            "level": level,
            "mn": mn,
            "pollutant": pollutant,
            "ts": stamps,
            "window": np.full(len(mn), window, np.int32),
            "day": stamps.astype("datetime64[D]"),
            "occurrence": occurrence.astype(np.int32),
            "value": found.value,
            "limit": found.limit,
            "background": _nullable(found.background),
            "background_measured": _nullable(found.background_measured),
            "readings": _readings(part, found.first, found.stop),
            "citation": citation,
            "sources": _nearest_sources(mn, facts or {}),
        },
        schema=ALARM_SCHEMA,
    )
