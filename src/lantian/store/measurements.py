"""The measurement store.

Layout under the store folder (``LANTIAN_HOME/measurements``)::

    manifest.json                              the committed state (see manifest.py)
    data/month=2019-01/part-v7-1a2b3c4d.parquet one file per natural-day month, immutable
    log/replacements/part-v7-….parquet         every value an import replaced: old, new, when, file
    log/imports/part-v7-….parquet              one row per import: when, files, counts
    log/stations/part-v3-….parquet             the station registry
    published/month=2026-09/part-v9-….parquet  CNEMC's published AQI per station-hour (for comparison)

Measurement files have the columns ``station_code, ts, pollutant, value, flag, valid, source,
import_id``, sorted by station, pollutant and time; ``ts`` is the end of the hour, Beijing time.
Any Parquet reader can read the files the manifest lists (or ``data/`` after a clean shutdown).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lantian.ingest.cnemc_hourly import PUBLISHED_SCHEMA
from lantian.ingest.schema import MEASUREMENT_SCHEMA, Rejection, repeated_keys
from lantian.store.layout import (
    LAYOUT_KEY,
    MonthGrid,
    grid_positions,
    grid_table,
    read_grid_file,
    write_grid_file,
)
from lantian.store.manifest import (
    Manifest,
    fsync_file,
    read_manifest,
    remove_unlisted,
    write_manifest,
    writer_lock,
)
from lantian.store.registry import merge_release_stations
from lantian.store.staging import STAGING, MonthStaging
from lantian.times import (
    beijing_now,
    hour_numbers,
    month_first_days,
    month_labels,
    month_of_stamps,
    natural_months,
)

STORED_SCHEMA = pa.schema(
    [
        pa.field("station_code", pa.string()),
        pa.field("ts", pa.timestamp("s")),
        pa.field("pollutant", pa.string()),
        pa.field("value", pa.float64()),
        pa.field("flag", pa.int32()),
        pa.field("valid", pa.bool_()),
        pa.field("source", pa.string()),
        pa.field("import_id", pa.string()),
    ]
)
REPLACEMENT_SCHEMA = pa.schema(
    [
        pa.field("station_code", pa.string()),
        pa.field("ts", pa.timestamp("s")),
        pa.field("pollutant", pa.string()),
        pa.field("old_value", pa.float64()),
        pa.field("new_value", pa.float64()),
        pa.field("old_source", pa.string()),
        pa.field("new_source", pa.string()),
        pa.field("import_id", pa.string()),
        pa.field("replaced_at", pa.timestamp("s")),
    ]
)
ROW_GROUP_ROWS = 65_536
T = TypeVar("T")
READ_THREADS = max(2, os.cpu_count() or 1)
"""Files read and scattered into an hourly grid at once (Parquet decoding releases the GIL)."""


class StoreError(RuntimeError):
    """The store cannot do what was asked; the message says why."""


@dataclass
class ImportSummary:
    """What an import did, in counts (and the rejected rows, each naming file, line and field)."""

    import_id: str
    files: list[str]
    added: int = 0
    unchanged: int = 0
    replaced: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    flagged: dict[str, int] = field(default_factory=dict)
    """Stored rows with a QC flag, by rule."""
    stations_added: int = 0
    """Stations registered from the files themselves (CNEMC's hourly release)."""
    published: dict[str, int] = field(default_factory=dict)
    """CNEMC's published AQI values: ``added``, ``unchanged``, ``replaced`` station-hours."""

    @property
    def stored(self) -> int:
        """Rows written: added and replaced."""
        return self.added + self.replaced

    def rejected_by_reason(self) -> dict[str, int]:
        """How many rows were rejected for each reason."""
        counts: dict[str, int] = {}
        for rejection in self.rejected:
            counts[rejection.reason] = counts.get(rejection.reason, 0) + 1
        return counts

    def as_dict(self) -> dict[str, object]:
        """The summary as JSON-ready counts."""
        return {
            "import_id": self.import_id,
            "files": len(self.files),
            "added": self.added,
            "unchanged": self.unchanged,
            "replaced": self.replaced,
            "rejected": len(self.rejected),
            "rejected_by_reason": self.rejected_by_reason(),
            "flagged": self.flagged,
            "stations_added": self.stations_added,
            "published": self.published,
        }


def _month_of(ts: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """'YYYY-MM' of the natural day of each hour-ending timestamp."""
    return month_of_stamps(ts.to_numpy())


class MeasurementStore:
    """Hourly measurements of many stations, safe against crashes and concurrent readers.

    Parameters
    ----------
    root
        The store's folder (created on first import).
    """

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self._database: duckdb.DuckDBPyConnection | None = None

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor on this store's in-memory DuckDB (opening a connection costs ~30 ms; a cursor
        is cheap and safe to use from one thread)."""
        if self._database is None:
            self._database = duckdb.connect()
        return self._database.cursor()

    # ------------------------------------------------------------------ reading
    def manifest(self) -> Manifest:
        """The committed manifest (an empty one for a new store)."""
        return read_manifest(self.root)

    def files(self, manifest: Manifest | None = None) -> list[str]:
        """Absolute paths of the current measurement files, in month order."""
        manifest = manifest or self.manifest()
        return [str(self.root / manifest.partitions[k]) for k in sorted(manifest.partitions)]

    def connect(self) -> duckdb.DuckDBPyConnection:
        """An in-memory DuckDB connection with views ``measurements``, ``replacements``,
        ``imports`` and ``stations`` over one consistent snapshot of the store."""
        manifest = self.manifest()
        connection = duckdb.connect()
        self._view(connection, "measurements", self.files(manifest), STORED_SCHEMA)
        self._view(
            connection,
            "replacements",
            [str(self.root / p) for p in manifest.replacements],
            REPLACEMENT_SCHEMA,
        )
        self._view(connection, "imports", [str(self.root / p) for p in manifest.imports], None)
        stations = [str(self.root / manifest.stations)] if manifest.stations else []
        self._view(connection, "stations", stations, None)
        published = [str(self.root / manifest.published[k]) for k in sorted(manifest.published)]
        self._view(connection, "published", published, PUBLISHED_SCHEMA)
        return connection

    @staticmethod
    def _view(
        connection: duckdb.DuckDBPyConnection, name: str, files: list[str], schema: pa.Schema | None
    ) -> None:
        if files:
            connection.execute(
                f"CREATE VIEW {name} AS SELECT * FROM read_parquet({_sql_list(files)})"
                + (" WHERE value IS NOT NULL" if name == "measurements" else "")
            )
        elif schema is not None:
            connection.register(f"_{name}_empty", schema.empty_table())
            connection.execute(f"CREATE VIEW {name} AS SELECT * FROM _{name}_empty")
        else:
            connection.execute(
                f"CREATE VIEW {name} AS SELECT NULL::VARCHAR AS station_code WHERE false"
            )

    def read(
        self,
        *,
        stations: Iterable[str] | None = None,
        pollutants: Iterable[str] | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> pa.Table:
        """Measurements as an Arrow table, filtered by station, pollutant and ``start < ts ≤ end``."""
        manifest = self.manifest()
        files = self.files(manifest)
        if start is not None or end is not None:
            first = _month_of(pa.array([start or dt.datetime(1900, 1, 1, 1)], pa.timestamp("s")))[0]
            last = _month_of(pa.array([end or dt.datetime(2999, 1, 1)], pa.timestamp("s")))[0]
            files = [
                str(self.root / manifest.partitions[k])
                for k in sorted(manifest.partitions)
                if first <= k <= last
            ]
        if not files:
            return STORED_SCHEMA.empty_table()
        where = ["value IS NOT NULL"]  # the grid layout's empty hours
        parameters: list[tuple[str, object]] = []
        if stations is not None:
            where.append("station_code = ANY($stations)")
            parameters.append(("stations", list(stations)))
        if pollutants is not None:
            where.append("pollutant = ANY($pollutants)")
            parameters.append(("pollutants", list(pollutants)))
        if start is not None:
            where.append("ts > $start")
            parameters.append(("start", start))
        if end is not None:
            where.append("ts <= $end")
            parameters.append(("end", end))
        sql = f"SELECT * FROM read_parquet({_sql_list(files)}) WHERE " + " AND ".join(where)
        with self._cursor() as cursor:
            return cursor.sql(sql, params=dict(parameters)).to_arrow_table()

    def read_hourly_grid(
        self,
        first_day: dt.date,
        last_day: dt.date,
        pollutants: list[str],
        stations: list[str] | None = None,
    ) -> tuple[list[str], dict[str, np.ndarray]]:
        """Valid values as dense (stations, hours) float64 grids per pollutant, NaN elsewhere.

        Hour index 0 is the hour ending 01:00 of ``first_day`` (hour-ending convention); the grid
        covers whole natural days through ``last_day``. Returns (stations, grids).
        """
        n_hours = ((last_day - first_day).days + 1) * 24
        stations, months = self._months(first_day, last_day, stations)
        grids = np.empty((len(pollutants), len(stations), n_hours))
        covered = np.zeros(n_hours, dtype=bool)
        for month in months:
            covered[month.target] = True
        grids[:, :, ~covered] = np.nan

        def place(month: _Month) -> None:  # the months' hours are disjoint: no lock
            grids[:, :, month.target] = month.grid(pollutants, stations)

        self._each_month(months, place)
        return list(stations), {p: grids[k] for k, p in enumerate(pollutants)}

    def map_hourly_months(
        self,
        function: Callable[[np.ndarray], T],
        first_day: dt.date,
        last_day: dt.date,
        pollutants: list[str],
        stations: list[str] | None = None,
    ) -> tuple[list[str], list[tuple[int, T]]]:
        """Apply ``function`` to each stored natural-day month's valid hourly values, in threads.

        ``function`` gets a (pollutants, stations, hours) float64 grid (NaN = no valid value) of
        the month's whole days within ``first_day`` … ``last_day``; a month file in the grid
        layout (:mod:`lantian.store.layout`) arrives as a reshape of its ``value`` column, not a
        scatter. Returns (stations, [(hour index of the grid's first hour, result), …]) in month
        order; hour index 0 is the hour ending 01:00 of ``first_day``. Months with no file are
        left out. Whole-day statistics (daily means, MDA8) can be computed month by month without
        ever holding the period's hourly grid.
        """
        stations, months = self._months(first_day, last_day, stations)
        results = self._each_month(months, lambda m: function(m.grid(pollutants, stations)))
        return list(stations), [(m.target.start, r) for m, r in zip(months, results, strict=True)]

    def _months(
        self, first_day: dt.date, last_day: dt.date, stations: list[str] | None
    ) -> tuple[list[str], list[_Month]]:
        """The stored months overlapping the natural days, and the stations to lay out."""
        start = dt.datetime.combine(first_day, dt.time())
        end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time())
        manifest = self.manifest()
        first, last = _month_of(pa.array([start + dt.timedelta(hours=1), end], pa.timestamp("s")))
        files = [
            str(self.root / manifest.partitions[k])
            for k in sorted(manifest.partitions)
            if first <= k <= last
        ]
        base = int(start.replace(tzinfo=dt.UTC).timestamp()) // 3600 + 1
        n_hours = ((last_day - first_day).days + 1) * 24
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            months = list(pool.map(lambda path: _Month.open(path, base, n_hours), files))
        months = [m for m in months if m.target.stop > m.target.start]
        if stations is None:
            stations = sorted({code for m in months for code in m.stations()})
        return list(stations), months

    @staticmethod
    def _each_month(months: list[_Month], function: Callable[[_Month], T]) -> list[T]:
        with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:
            return list(pool.map(function, months))

    def published(
        self,
        *,
        stations: Iterable[str] | None = None,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> pa.Table:
        """CNEMC's published AQI values (``PUBLISHED_SCHEMA``) with ``start < ts ≤ end``."""
        manifest = self.manifest()
        first = _month_of(pa.array([start or dt.datetime(1900, 1, 1, 1)], pa.timestamp("s")))[0]
        last = _month_of(pa.array([end or dt.datetime(2999, 1, 1)], pa.timestamp("s")))[0]
        files = [
            str(self.root / manifest.published[k])
            for k in sorted(manifest.published)
            if first <= k <= last
        ]
        if not files:
            return PUBLISHED_SCHEMA.empty_table()
        where: list[str] = ["true"]
        parameters: dict[str, object] = {}
        if stations is not None:
            where.append("station_code = ANY($stations)")
            parameters["stations"] = list(stations)
        if start is not None:
            where.append("ts > $start")
            parameters["start"] = start
        if end is not None:
            where.append("ts <= $end")
            parameters["end"] = end
        sql = (
            f"SELECT {', '.join(PUBLISHED_SCHEMA.names)} FROM read_parquet({_sql_list(files)}, "
            f"hive_partitioning = false) WHERE {' AND '.join(where)} ORDER BY ts, station_code"
        )
        with self._cursor() as cursor:
            return cursor.sql(sql, params=parameters).to_arrow_table().cast(PUBLISHED_SCHEMA)

    # ------------------------------------------------------------------ stations
    def stations(self) -> pa.Table:
        """The station registry (empty table when none was loaded)."""
        manifest = self.manifest()
        if not manifest.stations:
            return pa.table({"station_code": pa.array([], pa.string())})
        return pq.read_table(self.root / manifest.stations)

    def put_stations(self, registry: pa.Table) -> int:
        """Merge ``registry`` (a ``station_code`` column and any others) into the registry.

        A station already known is updated by the new row. Returns the registry's size.
        """
        with writer_lock(self.root):
            manifest = self.manifest()
            remove_unlisted(self.root, manifest)
            current = self.stations()
            with duckdb.connect() as connection:
                connection.register("incoming", registry)
                connection.register("current", current)
                merged: pa.Table = (
                    connection.execute(
                        "SELECT * FROM incoming UNION ALL BY NAME "
                        "SELECT * FROM current WHERE station_code NOT IN (SELECT station_code FROM incoming) "
                        "ORDER BY station_code"
                    ).to_arrow_table()
                    if current.num_rows
                    else registry.sort_by("station_code")
                )
            path = self._write(
                merged, f"log/stations/part-v{manifest.version + 1}-{uuid.uuid4().hex[:8]}.parquet"
            )
            retired = [manifest.stations] if manifest.stations else []
            self._commit(manifest, stations=path, retired=retired)
            return int(merged.num_rows)

    # ------------------------------------------------------------------ writing
    def _write(self, table: pa.Table, relative: str) -> str:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".parquet.tmp")
        if LAYOUT_KEY in (table.schema.metadata or {}):
            write_grid_file(table, str(temporary), ROW_GROUP_ROWS)
        else:
            pq.write_table(table, temporary, row_group_size=ROW_GROUP_ROWS, compression="lz4")
        fsync_file(temporary)
        temporary.rename(path)
        return relative

    def _commit(self, manifest: Manifest, *, retired: list[str], **changes: object) -> Manifest:
        previous_retired = manifest.retired
        new = Manifest(
            version=manifest.version + 1,
            partitions=dict(changes.get("partitions", manifest.partitions)),  # type: ignore[call-overload]
            replacements=list(changes.get("replacements", manifest.replacements)),  # type: ignore[call-overload]
            imports=list(changes.get("imports", manifest.imports)),  # type: ignore[call-overload]
            stations=changes.get("stations", manifest.stations),  # type: ignore[arg-type]
            published=dict(changes.get("published", manifest.published)),  # type: ignore[call-overload]
            retired=retired,
        )
        write_manifest(self.root, new)
        for relative in previous_retired:  # retired two commits ago: no reader can still need them
            if relative not in new.files():
                (self.root / relative).unlink(missing_ok=True)
        return new

    def import_measurements(
        self,
        table: pa.Table | Iterable[pa.Table],
        *,
        files: list[str],
        rejected: list[Rejection] | None = None,
        check_stations: bool = True,
        progress: Callable[[int, int], None] | None = None,
        stations: pa.Table | None = None,
        published: pa.Table | None = None,
        city_names: Iterable[str] = (),
    ) -> ImportSummary:
        """Store ``table`` (MEASUREMENT_SCHEMA), or a stream of such tables, atomically; return
        what changed.

        * a (station, hour, pollutant) not stored yet is **added**;
        * the same value again is **unchanged** (nothing is written);
        * another value **replaces** the stored one, and the replacement is logged;
        * rows naming a station missing from the registry (when it has any) are **rejected**, as
          are conflicting duplicates within the import; identical duplicates count once.

        ``stations`` (the station rows of CNEMC's hourly release) are merged into the registry
        first (:func:`~lantian.store.registry.merge_release_stations`, ``city_names`` naming new
        stations' cities), so their measurements are never ``unknown_station``. ``published``
        (CNEMC's published AQI, ``PUBLISHED_SCHEMA``) is kept beside the measurements, one row
        per station-hour, a later import's row replacing an earlier one.

        The whole import — measurements, registry, published values — commits at once or not at all.

        A stream is staged by month (:mod:`lantian.store.staging`) and merged one month at a
        time, so memory is bounded by a month's rows, not the input's.
        """
        with self.importing(check_stations=check_stations) as session:
            for chunk in [table] if isinstance(table, pa.Table) else table:
                session.add(chunk)
                del chunk  # not held while the next one is read
            return session.commit(
                files=files,
                rejected=rejected,
                progress=progress,
                stations=stations,
                published=published,
                city_names=city_names,
            )

    @contextlib.contextmanager
    def importing(self, *, check_stations: bool = True) -> Iterator[MeasurementImport]:
        """An import session holding the writer lock: ``add`` tables (tagged by their input),
        ``discard`` an input found unreadable, then ``commit``. Leaving without a commit stores
        nothing."""
        with writer_lock(self.root):
            manifest = self.manifest()
            remove_unlisted(self.root, manifest)
            import_id = uuid.uuid4().hex[:12]
            staging = MonthStaging(self.root / STAGING / import_id)
            try:
                yield MeasurementImport(self, manifest, import_id, staging, check_stations)
            finally:
                staging.remove()

    def _store_month(
        self, month: str, rows: pa.Table, summary: ImportSummary, manifest: Manifest
    ) -> tuple[pa.Table | None, pa.Table]:
        """Stage and merge one month's imported rows: (merged month table or None, replacements)."""
        existing = manifest.partitions.get(month)
        merged, counts, replaced = self._merge(month, rows, existing, summary.import_id)
        summary.added += counts["added"]
        summary.unchanged += counts["unchanged"]
        summary.replaced += counts["replaced"]
        if merged is not None:
            self._count_flags(merged, summary)
        return merged, replaced

    def _merge_registry_and_published(
        self,
        manifest: Manifest,
        summary: ImportSummary,
        stations: pa.Table | None,
        published: pa.Table | None,
        city_names: Iterable[str],
    ) -> tuple[pa.Table, dict[str, object], list[str]]:
        """Merge an hourly release's stations into the registry and keep its published AQI:
        (the registry to check stations against, manifest changes, files retired)."""
        changes: dict[str, object] = {}
        retired: list[str] = []
        registry = self.stations()
        if stations is not None and stations.num_rows:
            merged, notices, summary.stations_added = merge_release_stations(
                registry, stations, city_names
            )
            summary.rejected += notices
            if not _same_table(merged, registry):
                changes["stations"] = self._write(merged, self._log_name("stations", manifest))
                retired += [manifest.stations] if manifest.stations else []
                registry = merged
        if published is not None and published.num_rows:
            changes["published"] = self._merge_published(published, manifest, summary, retired)
        return registry, changes, retired

    def _commit_import(
        self,
        manifest: Manifest,
        summary: ImportSummary,
        written: dict[str, str],
        replacement_parts: list[pa.Table],
        changes: dict[str, object],
        retired: list[str],
    ) -> None:
        partitions = {**manifest.partitions, **written}
        retired = retired + [manifest.partitions[m] for m in written if m in manifest.partitions]
        changes = {**changes, "partitions": partitions}
        if replacement_parts:
            log = self._write(
                pa.concat_tables(replacement_parts), self._log_name("replacements", manifest)
            )
            changes["replacements"] = [*manifest.replacements, log]
        changes["imports"] = [
            *manifest.imports,
            self._write(self._import_record(summary), self._log_name("imports", manifest)),
        ]
        self._commit(manifest, retired=retired, **changes)

    def migrate(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Rewrite every month file of the older long layout in the grid layout
        (:mod:`lantian.store.layout`); values, flags, sources and import ids are kept as they are.

        Crash-safe like an import: the new files are written and fsynced, then one manifest commit
        switches to them; a process killed before the commit leaves the old store (its new files
        are orphans the next writer removes). Returns the number of month files rewritten.
        """
        with writer_lock(self.root):
            manifest = self.manifest()
            remove_unlisted(self.root, manifest)
            old = [
                month
                for month, relative in sorted(manifest.partitions.items())
                if MonthGrid.of_file(str(self.root / relative)) is None
            ]
            written = {}
            for n, month in enumerate(old):
                rows = pq.read_table(self.root / manifest.partitions[month])
                written[month] = self._write(
                    grid_table(rows, month),
                    f"data/month={month}/part-v{manifest.version + 1}-{uuid.uuid4().hex[:8]}.parquet",
                )
                del rows
                if progress is not None:
                    progress(n + 1, len(old))
            if written:
                retired = [manifest.partitions[m] for m in written]
                self._commit(
                    manifest, retired=retired, partitions={**manifest.partitions, **written}
                )
            return len(written)

    @staticmethod
    def _log_name(kind: str, manifest: Manifest) -> str:
        return f"log/{kind}/part-v{manifest.version + 1}-{uuid.uuid4().hex[:8]}.parquet"

    @staticmethod
    def _import_record(summary: ImportSummary) -> pa.Table:
        return pa.table(
            {
                "import_id": [summary.import_id],
                "imported_at": pa.array([beijing_now()], pa.timestamp("s")),
                "files": [json.dumps(summary.files, ensure_ascii=False)],
                "added": [summary.added],
                "unchanged": [summary.unchanged],
                "replaced": [summary.replaced],
                "rejected": [len(summary.rejected)],
            }
        )

    def _merge_published(
        self, published: pa.Table, manifest: Manifest, summary: ImportSummary, retired: list[str]
    ) -> dict[str, str]:
        """Merge published AQI rows month by month; a month's file is rewritten only on change."""
        files = dict(manifest.published)
        counts = {"added": 0, "unchanged": 0, "replaced": 0}
        published = published.cast(PUBLISHED_SCHEMA)
        months = _month_of(published.column("ts"))
        for month in np.unique(months):
            batch = published.filter(pa.array(months == month))
            existing = manifest.published.get(str(month))
            with duckdb.connect() as connection:
                connection.register("incoming", batch)
                stored = (
                    f"read_parquet('{self.root / existing}', hive_partitioning = false)"
                    if existing
                    else "(SELECT * FROM incoming WHERE false)"
                )
                connection.execute(
                    "CREATE TEMP TABLE fresh AS SELECT * FROM (SELECT *, row_number() OVER "
                    "(PARTITION BY station_code, ts ORDER BY source DESC) AS k FROM incoming) WHERE k = 1"
                )
                added, unchanged, replaced = connection.execute(
                    f"SELECT count(*) FILTER (s.ts IS NULL), "
                    f"count(*) FILTER (s.ts IS NOT NULL AND s.aqi IS NOT DISTINCT FROM f.aqi AND "
                    f"s.primary_label IS NOT DISTINCT FROM f.primary_label AND "
                    f"s.o3_column IS NOT DISTINCT FROM f.o3_column AND "
                    f"s.o3_other IS NOT DISTINCT FROM f.o3_other), count(*) FILTER (s.ts IS NOT NULL) "
                    f"FROM fresh f LEFT JOIN {stored} s USING (station_code, ts)"
                ).fetchall()[0]
                replaced -= unchanged
                counts["added"] += added
                counts["unchanged"] += unchanged
                counts["replaced"] += replaced
                if not added and not replaced:
                    continue
                merged = connection.sql(
                    f"SELECT * FROM {stored} ANTI JOIN fresh USING (station_code, ts) UNION ALL BY NAME "
                    "SELECT * EXCLUDE (k) FROM fresh ORDER BY ts, station_code"
                ).to_arrow_table()
            name = f"published/month={month}/part-v{manifest.version + 1}-{uuid.uuid4().hex[:8]}.parquet"
            files[str(month)] = self._write(
                merged.select(PUBLISHED_SCHEMA.names).cast(PUBLISHED_SCHEMA), name
            )
            retired += [existing] if existing else []
        summary.published = counts
        return files

    def _stage(
        self,
        table: pa.Table,
        summary: ImportSummary,
        check_stations: bool,
        known: pa.Table | None = None,
    ) -> dict[str, pa.Table]:
        """The rows to merge, one per (station, hour, pollutant), per natural-day month, each
        sorted by station, pollutant and hour (the stored order).

        Rows of stations missing from the registry (when it has any) and conflicting duplicates
        become rejections; identical duplicates count once. Whole-column NumPy: one sort.
        """
        known = self.stations() if known is None else known
        if check_stations and known.num_rows:
            table = _known_stations(table, known, summary)
        if not table.num_rows:
            return {}
        key, month = _stored_order_key(table)
        order = np.argsort(key, kind="stable")
        repeated, duplicate = repeated_keys((key,), table.column("value").to_numpy(), order)
        del key
        if duplicate.any():
            rows = table.filter(pa.array(duplicate))
            summary.rejected += [
                Rejection(f, line, "value", repr(v), "duplicate")
                for f, line, v in zip(
                    rows.column("source").to_pylist(),
                    rows.column("line").to_pylist(),
                    rows.column("value").to_pylist(),
                    strict=True,
                )
            ]
        order = order[~(repeated | duplicate)[order]]
        month = month[order]
        staged = table.select(["station_code", "ts", "pollutant", "value", "source"]).take(
            pa.array(order)
        )
        bounds = np.flatnonzero(np.diff(month)) + 1
        starts, stops = np.r_[0, bounds], np.r_[bounds, len(month)]
        labels = month_labels(month[starts])
        return {
            label: staged.slice(a, b - a) for label, a, b in zip(labels, starts, stops, strict=True)
        }

    def _merge(
        self, month: str, batch: pa.Table, existing: str | None, import_id: str
    ) -> tuple[pa.Table | None, dict[str, int], pa.Table]:
        """Merge one month's staged rows with its stored file: (merged month file's table in the
        grid layout, or None when nothing changed; counts; replacements)."""
        if not existing:
            ids = pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(batch.num_rows, np.int32)), pa.array([import_id])
            )
            merged = batch.append_column("import_id", ids)
            counts = {"added": batch.num_rows, "unchanged": 0, "replaced": 0}
            return grid_table(merged, month), counts, REPLACEMENT_SCHEMA.empty_table()
        with duckdb.connect() as connection:
            connection.register("incoming", batch)
            path = str(self.root / existing).replace("'", "''")
            stored = f"(SELECT * FROM read_parquet('{path}') WHERE value IS NOT NULL)"
            connection.execute(
                "CREATE TEMP TABLE joined AS SELECT i.station_code, i.ts, i.pollutant, i.value, i.source, "
                f"s.value AS old_value, s.source AS old_source FROM incoming i "
                f"LEFT JOIN {stored} s USING (station_code, ts, pollutant)"
            )
            added, unchanged, replaced = connection.execute(
                "SELECT count(*) FILTER (old_value IS NULL), count(*) FILTER (old_value = value), "
                "count(*) FILTER (old_value <> value) FROM joined"
            ).fetchall()[0]
            replacements = (
                connection.sql(
                    "SELECT station_code, ts, pollutant, old_value, value AS new_value, old_source, "
                    f"source AS new_source, '{import_id}' AS import_id, '{beijing_now()}'::TIMESTAMP_S AS replaced_at "
                    "FROM joined WHERE old_value <> value"
                )
                .to_arrow_table()
                .cast(REPLACEMENT_SCHEMA)
            )
            counts = {"added": added, "unchanged": unchanged, "replaced": replaced}
            if not added and not replaced:
                return None, counts, replacements
            merged = connection.sql(
                f"SELECT station_code, ts, pollutant, value, source, import_id FROM {stored} "
                "ANTI JOIN (SELECT * FROM joined WHERE old_value IS NULL OR old_value <> value) "
                "USING (station_code, ts, pollutant) "
                f"UNION ALL SELECT station_code, ts, pollutant, value, source, '{import_id}' FROM joined "
                "WHERE old_value IS NULL OR old_value <> value"
            ).to_arrow_table()
        return grid_table(merged, month), counts, replacements

    @staticmethod
    def _count_flags(merged: pa.Table, summary: ImportSummary) -> None:
        from lantian.qc.rules import QC_RULES

        flags = merged.column("flag").to_numpy()
        for rule in {r["rule"]: int(r["bit"]) for r in QC_RULES}.items():
            n = int(((flags >> rule[1]) & 1).sum())
            if n:
                summary.flagged[rule[0]] = summary.flagged.get(rule[0], 0) + n


def _same_table(a: pa.Table, b: pa.Table) -> bool:
    """True when two registries hold the same rows and columns (column order aside)."""
    if a.num_rows != b.num_rows or set(a.column_names) != set(b.column_names):
        return False
    try:
        return bool(a.equals(b.select(a.column_names).cast(a.schema)))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False


class MeasurementImport:
    """One import in progress (see :meth:`MeasurementStore.importing`)."""

    def __init__(
        self,
        store: MeasurementStore,
        manifest: Manifest,
        import_id: str,
        staging: MonthStaging,
        check_stations: bool,
    ):
        self.store, self.manifest, self.staging = store, manifest, staging
        self.import_id, self.check_stations = import_id, check_stations

    def add(self, table: pa.Table, tag: str = "") -> None:
        """Stage ``table`` (MEASUREMENT_SCHEMA rows) read from the input ``tag``."""
        self.staging.add(_staging_columns(table), tag)
        pa.default_memory_pool().release_unused()  # give freed pieces back: RSS stays a month's

    def discard(self, tag: str) -> None:
        """Drop what was staged from the input ``tag`` (found unreadable part-way)."""
        self.staging.discard(tag)

    def commit(
        self,
        *,
        files: list[str],
        rejected: list[Rejection] | None = None,
        progress: Callable[[int, int], None] | None = None,
        stations: pa.Table | None = None,
        published: pa.Table | None = None,
        city_names: Iterable[str] = (),
    ) -> ImportSummary:
        """Merge the staged months one at a time, write them, and commit the manifest (with the
        release's ``stations`` and ``published`` values, as :meth:`MeasurementStore.import_measurements`
        describes)."""
        summary = ImportSummary(
            import_id=self.import_id, files=list(files), rejected=list(rejected or [])
        )
        registry, changes, retired = self.store._merge_registry_and_published(
            self.manifest, summary, stations, published, city_names
        )
        months = self.staging.months()
        written: dict[str, str] = {}
        replacement_parts: list[pa.Table] = []
        with ThreadPoolExecutor(max_workers=1) as writer:  # encoding overlaps the next merge
            pending = None
            for n, month in enumerate(months):
                staged = self.store._stage(
                    self.staging.take(month), summary, self.check_stations, registry
                )
                while staged:  # each month's rows are let go as soon as they are merged
                    label, rows = staged.popitem()
                    merged, replaced = self.store._store_month(label, rows, summary, self.manifest)
                    del rows
                    if replaced.num_rows:
                        replacement_parts.append(replaced)
                    if merged is not None:
                        if pending is not None:
                            pending.result()  # at most two months in memory
                        name = f"data/month={label}/part-v{self.manifest.version + 1}-{uuid.uuid4().hex[:8]}.parquet"
                        written[label] = name
                        pending = writer.submit(self.store._write, merged, name)
                    del merged
                pa.default_memory_pool().release_unused()
                if progress is not None:
                    progress(n + 1, len(months))
            if pending is not None:
                pending.result()
        self.store._commit_import(
            self.manifest, summary, written, replacement_parts, changes, retired
        )
        return summary


def _known_stations(table: pa.Table, known: pa.Table, summary: ImportSummary) -> pa.Table:
    """The rows of stations in the registry ``known``; the others become rejections."""
    member = pc.is_in(table.column("station_code"), value_set=known.column("station_code"))
    unknown = table.filter(pc.invert(member))
    summary.rejected += [
        Rejection(f, line, "station_code", code, "unknown_station")
        for f, line, code in zip(
            unknown.column("source").to_pylist(),
            unknown.column("line").to_pylist(),
            unknown.column("station_code").to_pylist(),
            strict=True,
        )
    ]
    return table.filter(member)


def _stored_order_key(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """One int64 key per row that sorts as the store does (natural-day month, station,
    pollutant, hour; ≤ 745 h a month: 10 bits), and each row's month number."""
    station_rank = _sorted_codes(table.column("station_code"))
    pollutant_rank = _sorted_codes(table.column("pollutant"))
    hours = hour_numbers(table.column("ts").to_numpy())
    month = natural_months(hours)
    hour_in_month = hours - 24 * month_first_days(month)  # 1 … 744: below 2**10
    key = (
        ((month - month.min()) * (int(station_rank.max()) + 1) + station_rank) * 64 + pollutant_rank
    ) << 10
    key |= hour_in_month
    return key, month


def _staging_columns(table: pa.Table) -> pa.Table:
    """MEASUREMENT_SCHEMA rows with their codes dictionary-encoded (smaller to stage and sort)."""
    table = table.select(MEASUREMENT_SCHEMA.names)
    columns = {}
    for spec in MEASUREMENT_SCHEMA:
        column = table.column(spec.name)
        if spec.name in {"station_code", "pollutant", "source"}:
            columns[spec.name] = pc.dictionary_encode(
                column.cast(pa.string()) if not pa.types.is_dictionary(column.type) else column
            )
        else:
            columns[spec.name] = column.cast(spec.type)
    return pa.table(columns)


def _sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _read_grid_columns(path: str) -> pa.Table:
    """The columns an hourly grid needs, codes kept dictionary-encoded (one thread per file)."""
    return pq.read_table(
        path,
        columns=["station_code", "ts", "pollutant", "value", "valid"],
        read_dictionary=["station_code", "pollutant"],
        use_threads=False,
    )


def _sorted_codes(column: pa.ChunkedArray) -> np.ndarray:
    """Integer codes of a string column that sort as the strings do."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    rank = np.argsort(np.argsort(np.asarray(encoded.dictionary.to_pylist(), dtype=object)))
    codes: np.ndarray = rank[encoded.indices.to_numpy()]
    return codes


@dataclass
class _Month:
    """One stored month file, read for an hourly grid whose hour 0 is hour number ``base``."""

    path: str
    layout: MonthGrid | None
    """None for a file in the older long layout (then ``table`` holds its rows)."""
    table: pa.Table | None
    base: int
    target: slice
    """The grid's hours this month fills."""

    @classmethod
    def open(cls, path: str, base: int, n_hours: int) -> _Month:
        layout = MonthGrid.of_file(path)
        table = None
        if layout is None:
            table = _read_grid_columns(path)
            hours = hour_numbers(table.column("ts").to_numpy())
            first, stop = (int(hours.min()), int(hours.max()) + 1) if len(hours) else (base, base)
        else:
            first, stop = layout.first_hour, layout.first_hour + layout.hours
        target = slice(max(first, base) - base, max(min(stop, base + n_hours) - base, 0))
        return cls(path, layout, table, base, target)

    def stations(self) -> list[str]:
        if self.layout is not None:
            return self.layout.stations
        codes: set[str] = set()
        for chunk in self.table.column("station_code").chunks:  # type: ignore[union-attr]
            codes.update(chunk.dictionary.to_pylist())
        return sorted(codes)

    def grid(self, pollutants: list[str], stations: list[str]) -> np.ndarray:
        """The month's valid values in the grid's hours, (pollutants, stations, hours)."""
        n_hours = self.target.stop - self.target.start
        if self.layout is None:
            grid = np.full((len(pollutants), len(stations), n_hours), np.nan)
            _scatter(grid, self.table, stations, pollutants, self.base + self.target.start)
            return grid
        month = read_grid_file(self.path, self.layout, pollutants)
        hours = slice(
            self.base + self.target.start - self.layout.first_hour,
            self.base + self.target.stop - self.layout.first_hour,
        )
        if self.layout.stations == stations:
            return month[:, :, hours].transpose(1, 0, 2)
        position = {code: i for i, code in enumerate(self.layout.stations)}
        rows = np.asarray([position.get(code, -1) for code in stations], dtype=np.int64)
        grid = month[np.maximum(rows, 0)][:, :, hours].transpose(1, 0, 2)
        grid[:, rows < 0] = np.nan
        return grid


def _scatter(
    grids: np.ndarray,
    table: pa.Table,
    stations: list[str],
    pollutants: list[str],
    base: int,
) -> None:
    """Scatter a long-layout file's rows into (pollutants, stations, hours) grids."""
    n_stations, n_hours = grids.shape[1], grids.shape[2]
    station, pollutant, hour, inside = grid_positions(table, stations, base, n_hours, pollutants)
    keep = table.column("valid").to_numpy(zero_copy_only=False) & inside
    flat = (pollutant * n_stations + station) * n_hours + hour
    grids.reshape(-1)[flat[keep]] = table.column("value").to_numpy()[keep]
