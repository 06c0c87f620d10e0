"""From durable frames to stored values: split-packet assembly, de-duplication, units, cursors.

The receiver hands every frame here *after* its raw-log record was fsynced, in log order; a
restart hands the records after the committed cursors here again, in the same order. Since the
result depends only on that sequence and on what the feed store holds, a replay stores exactly
the frames not yet stored: none lost, none twice.

* A frame is stored once per ``(MN, DataTime, CN)``: a repeat (a device re-sending after a lost
  ack, or the replay of a record already stored) is counted and dropped.
* Packets of a split set (HJ 212-2017 §6.3.3: ``Flag`` bit D, ``PNUM``/``PNO``) are held until all
  ``PNUM`` of them arrived (keyed by MN, QN and CN), then stored as one frame. A set still
  incomplete :data:`SPLIT_TIMEOUT` after its first packet is dropped and logged. A device holds at
  most :data:`MAX_SPLIT_SETS` incomplete sets (more are refused, ``too_many_split_sets``) and a
  packet number already held is not held twice: one device's password — sent in clear — must not
  let its holder fill the receiver's memory with sets that never complete.
* Values are converted from the unit the device registered for the factor
  (``Device.factor_units``) to the glossary's (µg/m³; CO mg/m³).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from lantian.feeds.store import FEED_SCHEMA, FeedStore
from lantian.ingest.hj212 import (
    VALID_FLAGS,
    VALUE_FIELDS,
    Frame,
    FrameRejection,
    cp_fields,
    data_time_text,
    factors,
    merge_split,
)
from lantian.sources.devices import Device

SPLIT_TIMEOUT = dt.timedelta(minutes=10)
MAX_SPLIT_SETS = 16
"""Incomplete split sets held per device (a device splits one upload at a time)."""
KEYS_IDLE_SECONDS = 3600.0
"""The (MN, DataTime, CN) keys of a day stay in memory while frames of that day came this
recently."""
UNIT_NAMES = {
    "ug/m3": "ug/m3",
    "µg/m³": "ug/m3",
    "μg/m³": "ug/m3",
    "µg/m3": "ug/m3",
    "μg/m3": "ug/m3",
    "mg/m3": "mg/m3",
    "mg/m³": "mg/m3",
    "ng/m3": "ng/m3",
    "ng/m³": "ng/m3",
}
SCALE = {("mg/m3", "ug/m3"): 1000.0, ("ug/m3", "mg/m3"): 0.001, ("ng/m3", "ug/m3"): 0.001}
"""Factor from a device's unit to the glossary's unit (mass concentrations only)."""


@cache
def unit_scale(device_unit: str | None, unit: str) -> float:
    """What a value in ``device_unit`` is multiplied by to be in ``unit`` (1 when equal or
    unknown)."""
    if not device_unit:
        return 1.0
    source = UNIT_NAMES.get(device_unit.strip(), device_unit.strip())
    return SCALE.get((source, UNIT_NAMES.get(unit, unit)), 1.0)


FRAME_SCHEMA = pa.schema(
    [
        pa.field("mn", pa.string()),
        pa.field("cn", pa.string()),
        pa.field("data_time", pa.string()),
        pa.field("cp", pa.string()),
        pa.field("station_code", pa.string()),
        pa.field("network", pa.string()),
        pa.field("source", pa.string()),
        pa.field("received", pa.int64()),
    ]
)
"""Frames taken and not yet stored: ``data_time`` as 14 digits, ``received`` in ms since the
epoch (Beijing wall time), ``cp`` the frame's CP text (its values are read at commit time, for
all frames at once)."""


@dataclass
class FrameBatch:
    """Frames drained from the intake: their table and the units of their devices."""

    frames: pa.Table
    units: dict[str, dict[str, str]]
    """MN → factor code → the unit the device registered."""


def feed_rows(batch: FrameBatch) -> tuple[pa.Table, list[dict[str, object]]]:
    """The feed-store rows of a batch (FEED_SCHEMA), and its value fields that are not numbers
    (``mn``, ``data_time``, ``code``, ``field``, ``value``). Whole-column Arrow.

    One row per (frame, factor): the command's value field (``-Rtd`` for 2011, ``-Avg`` else;
    the other when it is missing), ``-Min``, ``-Max`` and ``-Flag``, scaled from the device's
    registered unit to the glossary's; ``valid`` when there is a value and the flag is N or none.
    """
    frames = batch.frames
    if not frames.num_rows:
        return FEED_SCHEMA.empty_table(), []
    fields = cp_fields(frames.column("cp"))
    at = fields.column("frame")
    bad = fields.filter(fields.column("bad"))
    rejected = [
        {"mn": m, "data_time": d, "code": c, "field": f, "value": v}
        for m, d, c, f, v in zip(
            pc.take(frames.column("mn"), bad.column("frame")).to_pylist(),
            pc.take(frames.column("data_time"), bad.column("frame")).to_pylist(),
            bad.column("code").to_pylist(),
            bad.column("field").to_pylist(),
            bad.column("value").to_pylist(),
            strict=True,
        )
    ]
    fields = fields.filter(pc.invert(fields.column("bad")))
    at, field, text = fields.column("frame"), fields.column("field"), fields.column("value")
    number = pc.cast(pc.if_else(pc.is_in(field, pa.array(VALUE_FIELDS)), text, None), pa.float64())
    preferred = pc.if_else(pc.equal(pc.take(frames.column("cn"), at), "2011"), "Rtd", "Avg")
    long = pa.table(
        {
            "frame": at,
            "code": fields.column("code"),
            "preferred": pc.if_else(pc.equal(field, preferred), number, None),
            "other": pc.if_else(pc.is_in(field, pa.array(["Avg", "Rtd"])), number, None),
            "min": pc.if_else(pc.equal(field, "Min"), number, None),
            "max": pc.if_else(pc.equal(field, "Max"), number, None),
            "flag": pc.if_else(pc.equal(field, "Flag"), text, None),
        }
    )
    wide = long.group_by(["frame", "code"], use_threads=False).aggregate(
        [(name, "max") for name in ("preferred", "other", "min", "max", "flag")]
    )
    at, code = wide.column("frame"), wide.column("code")
    scale = _scales(batch, pc.take(frames.column("mn"), at), code)
    known = factors()
    where = pc.index_in(code, value_set=pa.array(list(known), pa.string()))
    value = pc.multiply(pc.coalesce(wide.column("preferred_max"), wide.column("other_max")), scale)
    flag = pc.coalesce(wide.column("flag_max"), "")
    valid = pc.and_(
        pc.is_valid(value),
        pc.or_(pc.equal(flag, ""), pc.is_in(flag, pa.array(sorted(VALID_FLAGS)))),
    )
    received = pc.take(frames.column("received"), at)
    table = pa.table(
        {
            "mn": pc.take(frames.column("mn"), at),
            "cn": pc.take(frames.column("cn"), at),
            "ts": pc.strptime(pc.take(frames.column("data_time"), at), "%Y%m%d%H%M%S", "s"),
            "factor": code,
            "pollutant": pc.take(
                pa.array([f.pollutant for f in known.values()], pa.string()), where
            ),
            "value": value,
            "min": pc.multiply(wide.column("min_max"), scale),
            "max": pc.multiply(wide.column("max_max"), scale),
            "flag": flag,
            "valid": pc.fill_null(valid, False),
            "station_code": pc.take(frames.column("station_code"), at),
            "network": pc.take(frames.column("network"), at),
            "source": pc.take(frames.column("source"), at),
            "received": pc.cast(received, pa.timestamp("ms")),
        }
    )
    return table.cast(FEED_SCHEMA), rejected


def _scales(batch: FrameBatch, mns: pa.Array, codes: pa.Array) -> pa.Array:
    """Per row, the factor from the device's registered unit of the factor to the glossary's."""
    known = factors()
    pairs = {  # only the factors whose values change (most devices report in the glossary's unit)
        f"{mn}\x00{code}": scale
        for mn, by_code in batch.units.items()
        for code, unit in by_code.items()
        if code in known and (scale := unit_scale(unit, known[code].unit)) != 1.0
    }
    if not pairs:
        return pa.array([1.0] * len(mns), pa.float64())
    keys = pc.binary_join_element_wise(mns, codes, "\x00")
    position = pc.index_in(keys, value_set=pa.array(list(pairs), pa.string()))
    return pc.fill_null(pc.take(pa.array(list(pairs.values()), pa.float64()), position), 1.0)


@dataclass
class Intake:
    """The stage between the raw log and the feed store (one per receiver)."""

    store: FeedStore
    pending: dict[str, list] = field(default_factory=lambda: {n: [] for n in FRAME_SCHEMA.names})
    units: dict[str, dict[str, str]] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    cursors: dict[str, int] = field(default_factory=dict)
    rejections: list[tuple[Frame, FrameRejection]] = field(default_factory=list)
    _keys: dict[str, set[tuple[str, str, str]]] = field(default_factory=dict)
    _splits: dict[tuple[str, str, str], list] = field(default_factory=dict)
    _split_sets: Counter = field(default_factory=Counter)
    """Incomplete split sets held per MN."""
    _expired_at: dt.datetime | None = None
    """When held sets were last checked for expiry (once a second, not per frame)."""
    _pending_days: set[str] = field(default_factory=set)
    _used: dict[str, float] = field(default_factory=dict)
    _received: tuple[dt.datetime | None, int] = (None, 0)
    """The last moment of receipt and its milliseconds since the epoch."""

    # ------------------------------------------------------------------ taking frames
    def take(
        self, frame: Frame, device: Device, received: dt.datetime, log: str, start: int, end: int
    ) -> str:
        """Take one durable frame (its raw-log record is ``log[start:end]``); return what
        happened: ``stored``, ``duplicate``, ``held`` (a packet of an incomplete split set) or
        ``rejected``."""
        self.cursors[log] = end
        if self._splits and (
            self._expired_at is None or abs(received - self._expired_at) >= dt.timedelta(seconds=1)
        ):
            self._expired_at = received
            self._expire_splits(received)
        if frame.is_split:
            merged = self._hold(frame, received, log, start)
            if isinstance(merged, str):
                return merged
            frame = merged
        data_time = data_time_text(frame)
        if data_time is None:
            self.rejections.append((frame, FrameRejection("bad_data_time", "DataTime", frame.raw)))
            self.counts["rejected"] += 1
            return "rejected"
        outcome = self._add(frame, data_time, device, received)
        self.counts[outcome] += 1
        return outcome

    def _add(self, frame: Frame, data_time: str, device: Device, received: dt.datetime) -> str:
        day = data_time[:8]
        keys = self._keys.get(day)
        if keys is None:
            keys = self._keys[day] = self.store.frame_keys(
                dt.date(int(day[:4]), int(day[4:6]), int(day[6:8]))
            )
        self._used[day] = time.monotonic()
        key = (frame.mn, data_time, frame.cn)
        if key in keys:
            return "duplicate"
        keys.add(key)
        self._pending_days.add(day)
        if frame.mn not in self.units:
            self.units[frame.mn] = dict(device.factor_units)
        pending = self.pending
        pending["mn"].append(frame.mn)
        pending["cn"].append(frame.cn)
        pending["data_time"].append(data_time)
        pending["cp"].append(frame.cp)
        pending["station_code"].append(device.station_code)
        pending["network"].append(device.network)
        pending["source"].append("simulated" if device.simulated else "hj212")
        if received != self._received[0]:  # a commit round's frames share their moment
            self._received = (received, int(received.replace(tzinfo=dt.UTC).timestamp() * 1000))
        pending["received"].append(self._received[1])
        return "stored"

    def _hold(self, frame: Frame, received: dt.datetime, log: str, start: int) -> Frame | str:
        """Hold a packet of a split set: the set merged into one frame once whole, else what
        happened to the packet (``held``, ``rejected``)."""
        key = (frame.mn, frame.qn, frame.cn)
        group = self._splits.get(key)
        if group is None:
            if self._split_sets[frame.mn] >= MAX_SPLIT_SETS:
                detail = f"{MAX_SPLIT_SETS} incomplete split sets of MN {frame.mn} held already"
                rejection = FrameRejection("too_many_split_sets", detail, frame.raw)
                self.rejections.append((frame, rejection))
                self.counts["rejected"] += 1
                return "rejected"
            group = self._splits[key] = []
            self._split_sets[frame.mn] += 1
        if all(packet.pno != frame.pno for packet, *_ in group):
            group.append((frame, received, log, start))
        if len(group) < (frame.pnum or 1):
            self.counts["held"] += 1
            return "held"
        self._drop_split(key)
        return merge_split([packet for packet, *_ in group])

    def _drop_split(self, key: tuple[str, str, str]) -> list:
        group = self._splits.pop(key)
        self._split_sets[key[0]] -= 1
        if not self._split_sets[key[0]]:
            del self._split_sets[key[0]]
        return group

    def _expire_splits(self, now: dt.datetime) -> None:
        for key in [k for k, group in self._splits.items() if now - group[0][1] > SPLIT_TIMEOUT]:
            group = self._drop_split(key)
            frame = group[0][0]
            self.rejections.append(
                (
                    frame,
                    FrameRejection(
                        "incomplete_split",
                        f"{len(group)} of {frame.pnum} packets of QN {frame.qn}",
                        frame.raw,
                    ),
                )
            )
            self.counts["incomplete_split"] += 1

    # ------------------------------------------------------------------ committing
    def committed_cursors(self) -> dict[str, int]:
        """The raw-log offsets a commit of the pending rows covers: one per log, past every
        record taken from it, except that every packet of a split set still held keeps its own
        log's cursor at or before it, so that a restart reads the whole set again (its packets
        may lie in several logs: the workers' of ``lantian receive --workers``)."""
        cursors = dict(self.cursors)
        for group in self._splits.values():
            for _, _, log, start in group:
                cursors[log] = min(cursors.get(log, start), start)
        return cursors

    def drain(self) -> tuple[FrameBatch, dict[str, int]]:
        """The pending frames (and the cursors they cover), leaving nothing pending."""
        batch = FrameBatch(pa.table(self.pending, schema=FRAME_SCHEMA), self.units)
        self.pending = {n: [] for n in FRAME_SCHEMA.names}
        self.units = {}
        self._pending_days = set()
        return batch, self.committed_cursors()

    def forget_idle_days(self, idle_seconds: float = KEYS_IDLE_SECONDS) -> None:
        """Drop the de-duplication keys of days no frame came for in ``idle_seconds`` (read
        again from the store when a late frame needs them). A day with frames pending or
        recently committed is never dropped, so a re-read always finds all of its frames."""
        limit = time.monotonic() - idle_seconds
        for day in [d for d, used in self._used.items() if used < limit]:
            if day not in self._pending_days:
                self._keys.pop(day, None)
                del self._used[day]
