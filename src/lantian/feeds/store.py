"""The feed store: device values (real-time, minute, hour, day) as Parquet per day.

Layout under ``LANTIAN_HOME/feeds/store``::

    manifest.json                                   the committed state (``lantian.store.manifest``)
    data/day=2026-12-03/part-v12-1a2b3c4d.parquet   the day's files, immutable

The same atomic-commit design as the measurement store, and the same manifest code: files are
written, fsynced and renamed, then one ``manifest.json`` replace commits them together with the raw
log offsets (``cursors``) they hold. A day collects small files as the receiver flushes; once it
has more than :data:`COMPACT_AFTER` they are merged into one in the next commit. ``ts`` is the
frame's ``DataTime`` (Beijing time, as sent); readers query ``feed`` with DuckDB
(:meth:`FeedStore.connect`) or read the files with any Parquet reader.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lantian.store.manifest import (
    Manifest,
    fsync_file,
    read_manifest,
    remove_unlisted,
    write_manifest,
    writer_lock,
)

FORMAT = "lantian-feed-store/1"
COMPACT_AFTER = 16
"""A day's files are merged into one when it has more than this many."""
FEED_SCHEMA = pa.schema(
    [
        pa.field("mn", pa.string()),
        pa.field("cn", pa.string()),
        pa.field("ts", pa.timestamp("s")),
        pa.field("factor", pa.string()),
        pa.field("pollutant", pa.string()),
        pa.field("value", pa.float64()),
        pa.field("min", pa.float64()),
        pa.field("max", pa.float64()),
        pa.field("flag", pa.string()),
        pa.field("valid", pa.bool_()),
        pa.field("station_code", pa.string()),
        pa.field("network", pa.string()),
        pa.field("source", pa.string()),
        pa.field("received", pa.timestamp("ms")),
    ]
)
"""One row per (device, command, time, factor). ``value`` is the period's average (``-Avg``) for
minute, hour and day data and the real-time value (``-Rtd``) for CN 2011, in the glossary's unit
(µg/m³; CO mg/m³); ``valid`` is true when the data flag is ``N`` (or absent); ``source`` is
``hj212`` or ``simulated``."""


class FeedStore:
    """Device values per day, committed atomically with the raw-log offsets they cover."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def manifest(self) -> Manifest:
        return read_manifest(self.root, FORMAT)

    def files(
        self, days: list[dt.date] | None = None, manifest: Manifest | None = None
    ) -> list[str]:
        """Absolute paths of the committed files (of ``days`` only, when given)."""
        manifest = manifest or self.manifest()
        wanted = None if days is None else {day.isoformat() for day in days}
        return [
            str(self.root / path)
            for key, path in sorted(manifest.partitions.items())
            if wanted is None or key.split("/")[0] in wanted
        ]

    def connect(self, days: list[dt.date] | None = None) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with a view ``feed`` over one committed snapshot."""
        connection = duckdb.connect()
        files = self.files(days)
        if files:
            listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
            connection.execute(f"CREATE VIEW feed AS SELECT * FROM read_parquet([{listed}])")
        else:
            connection.register("_feed_empty", FEED_SCHEMA.empty_table())
            connection.execute("CREATE VIEW feed AS SELECT * FROM _feed_empty")
        return connection

    def read(self, days: list[dt.date] | None = None) -> pa.Table:
        """Every committed row (of ``days``) as one Arrow table."""
        files = self.files(days)
        if not files:
            return FEED_SCHEMA.empty_table()
        return pa.concat_tables(pq.read_table(f, schema=FEED_SCHEMA) for f in files)

    def frame_keys(self, day: dt.date) -> set[tuple[str, str, str]]:
        """``(mn, DataTime as YYYYMMDDhhmmss, cn)`` of every frame stored for ``day``."""
        for attempt in range(3):
            try:
                return self.keys_of(self.files([day]))
            except FileNotFoundError:  # compacted away by another receiver process meanwhile
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def keys_of(files: list[str]) -> set[tuple[str, str, str]]:
        """``(mn, DataTime as YYYYMMDDhhmmss, cn)`` of every frame in ``files``."""
        if not files:
            return set()
        table = pa.concat_tables(pq.read_table(f, columns=["mn", "ts", "cn"]) for f in files)
        keys = (
            pa.table(
                {
                    "mn": table.column("mn"),
                    "ts": pc.strftime(table.column("ts"), "%Y%m%d%H%M%S"),
                    "cn": table.column("cn"),
                }
            )
            .group_by(["mn", "ts", "cn"])
            .aggregate([])
        )
        return set(
            zip(
                keys.column("mn").to_pylist(),
                keys.column("ts").to_pylist(),
                keys.column("cn").to_pylist(),
                strict=True,
            )
        )

    def commit(self, rows: pa.Table, cursors: dict[str, int]) -> Manifest:
        """Store ``rows`` (FEED_SCHEMA) and the raw-log ``cursors`` they cover, atomically."""
        with writer_lock(self.root):
            manifest = self.manifest()
            remove_unlisted(self.root, manifest)
            version = manifest.version + 1
            partitions = dict(manifest.partitions)
            retired: list[str] = []
            if rows.num_rows:
                days = pc.cast(pc.cast(rows.column("ts"), pa.timestamp("s")), pa.date32())
                for day in pc.unique(days).to_pylist():
                    part = rows.filter(pc.equal(days, pa.scalar(day, pa.date32())))
                    retired += self._add_part(partitions, day, part, version)
            new = Manifest(
                version=version,
                partitions=partitions,
                retired=retired,
                format=FORMAT,
                cursors={**manifest.cursors, **cursors},
            )
            write_manifest(self.root, new)
            for relative in manifest.retired:
                if relative not in new.files():
                    (self.root / relative).unlink(missing_ok=True)
            return new

    def _add_part(
        self, partitions: dict[str, str], day: dt.date, part: pa.Table, version: int
    ) -> list[str]:
        prefix = f"{day.isoformat()}/"
        keys = sorted(key for key in partitions if key.startswith(prefix))
        retired: list[str] = []
        if len(keys) >= COMPACT_AFTER:
            old = [pq.read_table(self.root / partitions[key], schema=FEED_SCHEMA) for key in keys]
            part = pa.concat_tables([*old, part])
            retired = [partitions.pop(key) for key in keys]
            keys = []
        number = int(keys[-1].split("/")[1]) + 1 if keys else 0
        relative = f"data/day={day.isoformat()}/part-v{version}-{uuid.uuid4().hex[:8]}.parquet"
        self._write(
            part.sort_by([("mn", "ascending"), ("factor", "ascending"), ("ts", "ascending")]),
            relative,
        )
        partitions[f"{prefix}{number:06d}"] = relative
        return retired

    def _write(self, table: pa.Table, relative: str) -> None:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".parquet.tmp")
        pq.write_table(table.cast(FEED_SCHEMA), temporary, compression="lz4")
        fsync_file(temporary)
        temporary.rename(path)
