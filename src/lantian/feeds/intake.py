"""From durable frames to stored values: split-packet assembly, de-duplication, units, cursors.

The receiver hands every frame here *after* its raw-log record was fsynced, in log order; a
restart hands the records after the committed cursors here again, in the same order. Since the
result depends only on that sequence and on what the feed store holds, a replay stores exactly
the frames not yet stored: none lost, none twice.

* A frame is stored once per ``(MN, DataTime, CN)``: a repeat (a device re-sending after a lost
  ack, or the replay of a record already stored) is counted and dropped.
* Packets of a split set (HJ 212-2017 §6.3.3: ``Flag`` bit D, ``PNUM``/``PNO``) are held until all
  ``PNUM`` of them arrived (keyed by MN, QN and CN), then stored as one frame. A set still
  incomplete :data:`SPLIT_TIMEOUT` after its first packet is dropped and logged.
* Values are converted from the unit the device registered for the factor
  (``Device.factor_units``) to the glossary's (µg/m³; CO mg/m³).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import pyarrow as pa

from lantian.feeds.store import FEED_SCHEMA, FeedStore
from lantian.ingest.hj212 import (
    VALID_FLAGS,
    Frame,
    FrameData,
    FrameRejection,
    factors,
    frame_data,
    merge_split,
)
from lantian.sources.devices import Device

SPLIT_TIMEOUT = dt.timedelta(minutes=10)
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
VALUE_FIELD = {"2011": "Rtd", "2051": "Avg", "2061": "Avg", "2031": "Avg"}


def unit_scale(device_unit: str | None, unit: str) -> float:
    """What a value in ``device_unit`` is multiplied by to be in ``unit`` (1 when equal or
    unknown)."""
    if not device_unit:
        return 1.0
    source = UNIT_NAMES.get(device_unit.strip(), device_unit.strip())
    return SCALE.get((source, UNIT_NAMES.get(unit, unit)), 1.0)


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return None


@dataclass
class Intake:
    """The stage between the raw log and the feed store (one per receiver)."""

    store: FeedStore
    pending: dict[str, list] = field(default_factory=lambda: {n: [] for n in FEED_SCHEMA.names})
    counts: Counter = field(default_factory=Counter)
    cursors: dict[str, int] = field(default_factory=dict)
    rejections: list[tuple[Frame, FrameRejection]] = field(default_factory=list)
    _keys: dict[dt.date, set[tuple[str, int, str]]] = field(default_factory=dict)
    _splits: dict[tuple[str, str, str], list] = field(default_factory=dict)
    _log_order: list[str] = field(default_factory=list)
    _pending_days: set[dt.date] = field(default_factory=set)

    # ------------------------------------------------------------------ taking frames
    def take(
        self, frame: Frame, device: Device, received: dt.datetime, log: str, start: int, end: int
    ) -> str:
        """Take one durable frame (its raw-log record is ``log[start:end]``); return what
        happened: ``stored``, ``duplicate``, ``held`` (a packet of an incomplete split set) or
        ``rejected``."""
        if log not in self.cursors:
            self._log_order.append(log)
        self.cursors[log] = end
        self._expire_splits(received)
        if frame.is_split:
            key = (frame.mn, frame.qn, frame.cn)
            group = self._splits.setdefault(key, [])
            group.append((frame, received, log, start))
            if len({packet.pno for packet, *_ in group}) < (frame.pnum or 1):
                self.counts["held"] += 1
                return "held"
            del self._splits[key]
            frame = merge_split([packet for packet, *_ in group])
        data = frame_data(frame)
        if isinstance(data, FrameRejection):
            self.rejections.append((frame, data))
            self.counts["rejected"] += 1
            return "rejected"
        for rejection in data.rejected:
            self.rejections.append((frame, rejection))
        outcome = self._add(frame, data, device, received)
        self.counts[outcome] += 1
        return outcome

    def _add(self, frame: Frame, data: FrameData, device: Device, received: dt.datetime) -> str:
        seconds = int(data.data_time.replace(tzinfo=dt.UTC).timestamp())
        day = data.data_time.date()
        keys = self._keys.get(day)
        if keys is None:
            keys = self._keys[day] = self.store.frame_keys(day)
        key = (frame.mn, seconds, frame.cn)
        if key in keys:
            return "duplicate"
        keys.add(key)
        self._pending_days.add(day)
        known = factors()
        value_field = VALUE_FIELD.get(frame.cn, "Rtd")
        source = "simulated" if device.simulated else "hj212"
        columns = self.pending
        for factor in data.factors:
            fields = factor.fields
            value = _number(fields.get(value_field, fields.get("Rtd", fields.get("Avg"))))
            entry = known.get(factor.code)
            scale = unit_scale(device.factor_units.get(factor.code), entry.unit) if entry else 1.0
            flag = fields.get("Flag", "")
            columns["mn"].append(frame.mn)
            columns["cn"].append(frame.cn)
            columns["ts"].append(data.data_time)
            columns["factor"].append(factor.code)
            columns["pollutant"].append(entry.pollutant if entry else None)
            columns["value"].append(None if value is None else value * scale)
            minimum, maximum = _number(fields.get("Min")), _number(fields.get("Max"))
            columns["min"].append(None if minimum is None else minimum * scale)
            columns["max"].append(None if maximum is None else maximum * scale)
            columns["flag"].append(flag)
            columns["valid"].append(value is not None and (flag == "" or flag in VALID_FLAGS))
            columns["station_code"].append(device.station_code)
            columns["network"].append(device.network)
            columns["source"].append(source)
            columns["received"].append(received)
        return "stored"

    def _expire_splits(self, now: dt.datetime) -> None:
        for key in [k for k, group in self._splits.items() if now - group[0][1] > SPLIT_TIMEOUT]:
            group = self._splits.pop(key)
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
        """The raw-log offsets a commit of the pending rows covers: past every taken record,
        except that a split set still held keeps its first packet (and, in later logs,
        everything) to be read again after a restart."""
        cursors = dict(self.cursors)
        if self._splits:
            log, start = min((g[0][2], g[0][3]) for g in self._splits.values())
            cursors[log] = min(cursors.get(log, start), start)
            for later in self._log_order[self._log_order.index(log) + 1 :]:
                cursors[later] = 0
        return cursors

    def drain(self) -> tuple[pa.Table, dict[str, int]]:
        """The pending rows (and the cursors they cover), leaving nothing pending."""
        table = pa.table(self.pending, schema=FEED_SCHEMA)
        self.pending = {n: [] for n in FEED_SCHEMA.names}
        self._pending_days = set()
        return table, self.committed_cursors()

    def forget_days_before(self, day: dt.date) -> None:
        """Drop the de-duplication keys of days before ``day`` (read again from the store when a
        late frame needs them)."""
        for old in [d for d in self._keys if d < day and d not in self._pending_days]:
            del self._keys[old]
