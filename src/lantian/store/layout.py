"""The grid layout of a month's measurement file: every hour of every (station, pollutant) present.

A month file holds one row per (station, pollutant, hour) for **every** station and pollutant
stored in that natural-day month and **every** hour of the month, in a fixed order: stations
sorted, then pollutants sorted, then the hours from the month's first day 01:00 to the next
month's first day 00:00 (hour-ending convention). An hour without a measurement is a row whose
``value``, ``source`` and ``import_id`` are null, ``flag`` 0 and ``valid`` false.

So the file's ``value`` column *is* the month's (stations, pollutants, hours) grid: reading a grid
is a reshape, not a scatter of long rows. The file's Parquet key-value metadata holds the station
and pollutant order under ``lantian.layout``; a reader without Lantian sees an ordinary table with
the columns ``station_code, ts, pollutant, value, flag, valid, source, import_id`` (drop the rows
where ``value`` is null to get the measurements only).

Files written before this layout (``long``: only the measured rows) are still read, by a scatter;
``lantian store migrate`` rewrites them in this layout.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lantian.qc import invalidating_mask, quality_flags
from lantian.times import hour_numbers

LAYOUT_KEY = b"lantian.layout"
GRID_LAYOUT = "grid/1"
HOUR_SECONDS = 3600


@dataclass(frozen=True)
class MonthGrid:
    """Where a grid-layout month file's rows sit: stations × pollutants × hours, in that order."""

    stations: list[str]
    pollutants: list[str]
    first_hour: int
    """Hour number (hours since 1970-01-01 00:00 in the stored clock) of the first row's ``ts``."""
    hours: int

    def metadata(self) -> dict[bytes, bytes]:
        """The Parquet key-value metadata that records this layout."""
        text = {
            "layout": GRID_LAYOUT,
            "stations": self.stations,
            "pollutants": self.pollutants,
            "first_ts": str(np.datetime64(self.first_hour, "h").astype("datetime64[s]")),
            "hours": self.hours,
        }
        return {LAYOUT_KEY: json.dumps(text, ensure_ascii=False).encode("utf-8")}

    @classmethod
    def of_file(cls, path: str) -> MonthGrid | None:
        """The layout of a stored file; None for a file in the older long layout."""
        metadata = pq.read_schema(path).metadata or {}
        if LAYOUT_KEY not in metadata:
            return None
        text = json.loads(metadata[LAYOUT_KEY])
        if text.get("layout") != GRID_LAYOUT:
            raise ValueError(f"{path}: unknown measurement file layout {text.get('layout')!r}")
        first = np.datetime64(text["first_ts"], "s").astype("datetime64[h]").astype(np.int64)
        return cls(text["stations"], text["pollutants"], int(first), int(text["hours"]))


def month_hours(month: str) -> tuple[int, int]:
    """(hour number of the first ``ts``, number of hours) of natural-day month ``YYYY-MM``."""
    first_day = np.datetime64(month, "M").astype("datetime64[D]")
    next_month = (np.datetime64(month, "M") + 1).astype("datetime64[D]")
    first = int(first_day.astype("datetime64[h]").astype(np.int64)) + 1
    return first, int((next_month - first_day).astype(np.int64)) * 24


def grid_table(rows: pa.Table, month: str) -> pa.Table:
    """One month's measured rows laid out as a grid-layout file's table (with its metadata).

    ``rows``: ``station_code, ts, pollutant, value, source, import_id`` of one natural-day month,
    one row per (station, pollutant, hour), in any order. With ``flag`` and ``valid`` columns
    they are kept (a migration); without, the QC rules compute them over the month's grid.
    """
    station_codes = _sorted_codes(rows.column("station_code"))
    pollutant_codes = _sorted_codes(rows.column("pollutant"))
    first, n_hours = month_hours(month)
    layout = MonthGrid(station_codes, pollutant_codes, first, n_hours)
    n_stations, n_pollutants = len(station_codes), len(pollutant_codes)
    station, pollutant, hour, inside = grid_positions(
        rows, station_codes, first, n_hours, pollutant_codes
    )
    if not inside.all():
        raise ValueError(f"rows outside the natural-day month {month}")
    cell = (station * n_pollutants + pollutant) * n_hours + hour
    size = n_stations * n_pollutants * n_hours
    present = np.zeros(size, dtype=bool)
    present[cell] = True
    values = np.full(size, np.nan)
    values[cell] = rows.column("value").to_numpy()
    if "flag" in rows.column_names:
        flags = np.zeros(size, dtype=np.int32)
        flags[cell] = rows.column("flag").to_numpy()
    else:
        flags = _month_flags(values.reshape(n_stations, n_pollutants, n_hours), pollutant_codes)
    valid = present & ((flags & invalidating_mask()) == 0)
    hours = np.arange(first, first + n_hours, dtype=np.int64) * HOUR_SECONDS
    table = pa.table(
        {
            "station_code": _repeat_codes(station_codes, n_pollutants * n_hours, 1),
            "ts": pa.array(np.tile(hours, n_stations * n_pollutants).astype("datetime64[s]")),
            "pollutant": _repeat_codes(pollutant_codes, n_hours, n_stations),
            "value": pa.array(values, mask=~present),
            "flag": pa.array(flags),
            "valid": pa.array(valid),
            "source": _sparse_text(rows.column("source"), cell, present),
            "import_id": _sparse_text(rows.column("import_id"), cell, present),
        }
    )
    return table.replace_schema_metadata(layout.metadata())


def write_grid_file(table: pa.Table, path: str, row_group_rows: int) -> None:
    """Write a :func:`grid_table` as Parquet whose text columns read back as plain strings
    (dictionary-encoded in the file, as Parquet does anyway), with the layout metadata."""
    schema = table.schema.remove_metadata()
    with pq.ParquetWriter(path, schema, compression="lz4", store_schema=False) as writer:
        writer.write_table(table.replace_schema_metadata(None), row_group_size=row_group_rows)
        writer.add_key_value_metadata(table.schema.metadata)


def read_grid_file(path: str, layout: MonthGrid, pollutants: list[str]) -> npt.NDArray[np.float64]:
    """The valid values of a grid-layout file as (stations, pollutants, hours), NaN elsewhere.

    Only ``value`` and ``valid`` are read; ``pollutants`` picks and orders the third axis (a
    pollutant the file lacks is all NaN).
    """
    table = pq.read_table(path, columns=["value", "valid"], use_threads=False, pre_buffer=False)
    values = table.column("value").to_numpy()
    if not values.flags.writeable:  # no null at all (every hour measured): Arrow's own buffer
        values = values.copy()
    values[~table.column("valid").to_numpy()] = np.nan
    grid: npt.NDArray[np.float64] = values.reshape(
        len(layout.stations), len(layout.pollutants), layout.hours
    )
    if pollutants == layout.pollutants:
        return grid
    picked = np.full((len(layout.stations), len(pollutants), layout.hours), np.nan)
    for k, pollutant in enumerate(pollutants):
        if pollutant in layout.pollutants:
            picked[:, k] = grid[:, layout.pollutants.index(pollutant)]
    return picked


def measured_rows(table: pa.Table) -> pa.Table:
    """The rows of a stored file's table that hold a measurement (drops the grid's empty hours)."""
    if table.column("value").null_count == 0:
        return table
    return table.filter(pc.is_valid(table.column("value")))


def long_rows(table: pa.Table) -> pa.Table:
    """A grid-layout file's table in the older long layout (measured rows only, no layout
    metadata): what stores written before the grid layout hold; for migration tests and benches."""
    return measured_rows(table).replace_schema_metadata(None)


def _month_flags(grid: npt.NDArray[np.float64], pollutants: list[str]) -> npt.NDArray[np.int32]:
    """QC flags of a (stations, pollutants, hours) month grid, flat in the grid's order."""
    flags = np.zeros(grid.shape, dtype=np.int32)
    per_pollutant = quality_flags({p: grid[:, k] for k, p in enumerate(pollutants)})
    for k, pollutant in enumerate(pollutants):
        flags[:, k] = per_pollutant[pollutant]
    flags[np.isnan(grid)] = 0
    return flags.ravel()


def _sorted_codes(column: pa.ChunkedArray) -> list[str]:
    """The sorted distinct codes of a text column."""
    return sorted(str(code) for code in pc.unique(column.cast(pa.string())).to_pylist())


def code_positions(column: pa.ChunkedArray, codes: list[str]) -> npt.NDArray[np.int64]:
    """Each row's position in ``codes`` (−1 when absent), via each chunk's small dictionary (a
    dictionary-encoded column is looked up as it is; no per-row strings)."""
    order = {code: k for k, code in enumerate(codes)}
    parts = []
    for chunk in column.chunks:
        encoded = chunk if pa.types.is_dictionary(chunk.type) else chunk.dictionary_encode()
        lookup = np.asarray(
            [order.get(code, -1) for code in encoded.dictionary.to_pylist()], dtype=np.int64
        )
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        parts.append(lookup[indices] if len(lookup) else np.full(len(indices), -1, dtype=np.int64))
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


def grid_positions(
    rows: pa.Table,
    stations: list[str],
    first_hour: int,
    n_hours: int,
    pollutants: list[str] | None = None,
) -> tuple[
    npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.bool_]
]:
    """Where each ``station_code, ts[, pollutant]`` row sits on an hour grid: the one builder of
    hour grids (the store's month files, grids of long rows, the tests' grids of reader tables).

    ``first_hour`` is the hour number (:func:`lantian.times.hour_numbers`) of the grid's hour 0;
    with ``pollutants`` None the rows are not placed on a pollutant axis (position 0). Returns
    (station position, pollutant position, hour position, inside): ``inside`` is false for a row
    of a station or pollutant not listed or outside the ``n_hours``.
    """
    station = code_positions(rows.column("station_code"), stations)
    hour = hour_numbers(rows.column("ts").to_numpy()) - first_hour
    inside = (station >= 0) & (hour >= 0) & (hour < n_hours)
    if pollutants is None:
        return station, np.zeros(len(station), dtype=np.int64), hour, inside
    pollutant = code_positions(rows.column("pollutant"), pollutants)
    return station, pollutant, hour, inside & (pollutant >= 0)


def _repeat_codes(codes: list[str], each: int, times: int) -> pa.Array:
    """``codes`` each repeated ``each`` times, the whole repeated ``times`` times (dictionary-encoded;
    stored as text)."""
    indices = np.tile(np.repeat(np.arange(len(codes), dtype=np.int32), each), times)
    return pa.DictionaryArray.from_arrays(indices, pa.array(codes, pa.string()))


def _sparse_text(
    column: pa.ChunkedArray, cell: npt.NDArray[np.int64], present: npt.NDArray[np.bool_]
) -> pa.Array:
    """A text column spread onto the grid's cells, null where no measurement is (dictionary-encoded;
    stored as text)."""
    encoded = pc.dictionary_encode(column).unify_dictionaries().combine_chunks()
    indices = np.zeros(len(present), dtype=np.int32)
    indices[cell] = encoded.indices.to_numpy(zero_copy_only=False)
    return pa.DictionaryArray.from_arrays(
        pa.array(indices, mask=~present), encoded.dictionary.cast(pa.string())
    )
