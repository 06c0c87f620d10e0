"""The alarm store: alarms as Parquet per day under ``LANTIAN_HOME/alarms``, committed atomically.

Why Parquet with the feed store's manifest (``lantian.store.manifest``) rather than the ledger's
database: alarms are derived data, recomputable from the feed store, read whole-column (per day,
per rule, per device) by DuckDB next to the minutes that triggered them, and written by a scan
that replaces whole days. A scan of days D1…D2 writes each day's file, then one manifest replace
commits them together: a rescan replaces those days (idempotent — the same feed gives the same
file), a killed scan leaves the previous state. The case workflow (issue #15 part 2) refers to an
alarm by its ``alarm_id``, a hash of rule, device, pollutant and time, stable across rescans.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lantian.alarms.evaluate import ALARM_SCHEMA
from lantian.store.manifest import (
    Manifest,
    fsync_file,
    read_manifest,
    remove_unlisted,
    write_manifest,
    writer_lock,
)

FORMAT = "lantian-alarm-store/1"


class AlarmStore:
    """Alarms per day, each day replaced as a whole by a scan."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def manifest(self) -> Manifest:
        return read_manifest(self.root, FORMAT)

    def replace_days(self, days: list[dt.date], alarms: pa.Table) -> Manifest:
        """Make ``alarms`` the stored alarms of ``days`` (days without alarms become empty)."""
        with writer_lock(self.root):
            return self._replace(days, alarms)

    def _replace(self, days: list[dt.date], alarms: pa.Table) -> Manifest:
        """Commit ``alarms`` as the alarms of ``days`` (under the writer lock)."""
        manifest = self.manifest()
        remove_unlisted(self.root, manifest)
        partitions = dict(manifest.partitions)
        retired = [partitions.pop(d.isoformat()) for d in days if d.isoformat() in partitions]
        day_column = alarms.column("day")
        for day in days:
            part = alarms.filter(pc.equal(day_column, pa.scalar(day, pa.date32())))
            if part.num_rows:
                partitions[day.isoformat()] = self._write(part, day)
        new = Manifest(
            version=manifest.version + 1, partitions=partitions, retired=retired, format=FORMAT
        )
        write_manifest(self.root, new)
        for relative in manifest.retired:
            if relative not in new.files():
                (self.root / relative).unlink(missing_ok=True)
        return new

    def add(self, alarms: pa.Table) -> Manifest:
        """Add ``alarms`` to their days' stored alarms (an alarm with a stored ``alarm_id``
        replaces it), committed at once: the live path's write (``lantian.alarms.live``)."""
        alarms = alarms.cast(ALARM_SCHEMA)
        days = sorted(set(alarms.column("day").to_pylist()))
        if not days:
            return self.manifest()
        with writer_lock(self.root):
            stored = self.read(days[0], days[-1])
            stored = stored.filter(
                pc.invert(pc.is_in(stored.column("alarm_id"), alarms.column("alarm_id")))
            )
            merged = pa.concat_tables([stored, alarms]).sort_by(
                [("ts", "ascending"), ("mn", "ascending"), ("rule_id", "ascending")]
            )
            return self._replace(days, merged)

    def _write(self, table: pa.Table, day: dt.date) -> str:
        relative = f"data/day={day.isoformat()}/alarms-{uuid.uuid4().hex[:8]}.parquet"
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".parquet.tmp")
        pq.write_table(table.cast(ALARM_SCHEMA), temporary)
        fsync_file(temporary)
        temporary.rename(path)
        return relative

    def read(self, start: dt.date | None = None, end: dt.date | None = None) -> pa.Table:
        """The stored alarms of days ``start`` … ``end`` (inclusive), sorted by time."""
        manifest = self.manifest()
        files = [
            str(self.root / path)
            for key, path in sorted(manifest.partitions.items())
            if (start is None or key >= start.isoformat())
            and (end is None or key <= end.isoformat())
        ]
        if not files:
            return ALARM_SCHEMA.empty_table()
        with duckdb.connect() as connection:
            table = connection.sql(
                "SELECT * FROM read_parquet($files, union_by_name = true) ORDER BY ts, mn, rule_id",
                params={"files": files},
            ).to_arrow_table()
        for name in ALARM_SCHEMA.names:  # a column added since a day was stored: null there
            if name not in table.column_names:
                table = table.append_column(name, pa.nulls(table.num_rows, pa.string()))
        return table.select(ALARM_SCHEMA.names).cast(ALARM_SCHEMA)
