"""CNEMC hourly station files (``china_sites_YYYYMMDD.csv``), single, in folders or zipped.

Layout (CNEMC real-time release, as mirrored): UTF-8, header ``date,hour,type,<station code>...``,
then for each hour 0–23 one row per ``type``: ``AQI``, the six pollutants' hourly values (``PM2.5``,
``PM10``, ``SO2``, ``NO2``, ``O3``, ``CO``) and CNEMC's derived columns (``PM2.5_24h``, ``PM10_24h``,
``SO2_24h``, ``NO2_24h``, ``O3_24h``, ``O3_8h``, ``O3_8h_24h``, ``CO_24h``). An empty cell is missing.

**Time.** ``ts`` is the *end* of the hour, Beijing time (UTC+8), as a naive timestamp: CNEMC labels
an hourly mean by its end ("16时的小时均值为15:00-16:00的算术平均值"), so the row ``date=D, hour=h``
becomes ``ts = D h:00``; ``hour=0`` is the last hour of the natural day D−1.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from lantian.ingest import excel
from lantian.ingest.schema import MEASUREMENT_SCHEMA, FormatError, Rejection
from lantian.ingest.text import decode_csv
from lantian.times import beijing_now, to_beijing

FIXED_COLUMNS = ("date", "hour", "type")
#: CNEMC ``type`` names of the six hourly pollutant values → glossary pollutant ids.
POLLUTANT_TYPES = {
    "SO2": "SO2",
    "NO2": "NO2",
    "CO": "CO",
    "O3": "O3",
    "PM10": "PM10",
    "PM2.5": "PM2.5",
}


class CnemcFormatError(ValueError):
    """A CNEMC file that does not follow the layout; the message names the file and the line."""


def csv_members(path: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of each ``.csv`` in ``path``: the file, the members of a ``.zip``, or a folder's
    ``.csv`` and ``.zip`` files, sorted by name (``archive.zip!member.csv`` inside archives)."""
    if path.is_dir():
        for child in sorted(path.iterdir()):
            if child.suffix.lower() in {".csv", ".zip"}:
                yield from csv_members(child)
    elif path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            for info in sorted(archive.infolist(), key=lambda i: i.filename):
                if not info.is_dir() and info.filename.lower().endswith(".csv"):
                    member = f"{path}!{info.filename}"
                    yield member, excel.read_member(archive, info, member)
    else:
        yield str(path), path.read_bytes()


def _split_header(name: str, data: bytes) -> tuple[bytes, bytes]:
    """The header line and the body, as UTF-8 without BOM (:func:`lantian.ingest.text.decode_csv`,
    the one decoder: a file saved again by Excel as GB18030 is read too)."""
    try:
        data, _ = decode_csv(name, data)
    except FormatError as error:
        raise CnemcFormatError(str(error)) from error
    header, _, body = data.partition(b"\n")
    if body and not body.endswith(b"\n"):
        body += b"\n"
    return header.rstrip(b"\r"), body


def _content_lines(body: bytes) -> int:
    return sum(1 for line in body.split(b"\n") if line.strip())


def _parse_block(name: str, header: bytes, body: bytes) -> pa.Table:
    """Parse CSV rows sharing one header into a wide Arrow table, stations as float64."""
    try:
        names = header.decode("utf-8").split(",")
    except UnicodeDecodeError as error:
        raise CnemcFormatError(f"{name}: line 1: header is not UTF-8 ({error})") from error
    if tuple(names[:3]) != FIXED_COLUMNS:
        raise CnemcFormatError(
            f"{name}: line 1: header must start with {','.join(FIXED_COLUMNS)}, "
            f"found {','.join(names[:3])}"
        )
    column_types = {station: pa.float64() for station in names[3:]}
    column_types.update(date=pa.string(), hour=pa.int32(), type=pa.string())
    try:
        return pacsv.read_csv(
            io.BytesIO(header + b"\n" + body),
            convert_options=pacsv.ConvertOptions(column_types=column_types),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise CnemcFormatError(f"{name}: {error}") from error


def _to_long(
    table: pa.Table, source: pa.DictionaryArray | None = None, lines: np.ndarray | None = None
) -> pa.Table:
    """Wide CNEMC rows → ``station_code, ts, type, value`` of the present cells (CNEMC's ts)."""
    stations = table.column_names[3:]
    n_rows, n_stations = table.num_rows, len(stations)
    values = np.empty((n_rows, n_stations))
    for j in range(n_stations):  # by position: national files repeat some station columns
        values[:, j] = table.column(3 + j).to_numpy()
    try:
        day_start = pc.strptime(table.column("date"), format="%Y%m%d", unit="s")
    except pa.ArrowInvalid as error:
        raise CnemcFormatError(f"column date: not a YYYYMMDD date: {error}") from error
    seconds = day_start.cast(pa.int64()).to_numpy() + 3600 * table.column("hour").to_numpy()
    present = ~np.isnan(values.ravel())
    types = table.column("type").combine_chunks().dictionary_encode()
    columns = {
        "station_code": pa.DictionaryArray.from_arrays(
            pa.array(np.tile(np.arange(n_stations, dtype=np.int32), n_rows)[present]),
            pa.array(stations, pa.string()),
        ),
        "ts": pa.array(np.repeat(seconds, n_stations)[present].astype("datetime64[s]")),
        "type": pa.DictionaryArray.from_arrays(
            pa.array(np.repeat(types.indices.to_numpy(), n_stations)[present]), types.dictionary
        ),
        "value": pa.array(values.ravel()[present]),
    }
    if source is not None:
        columns["source"] = pa.DictionaryArray.from_arrays(
            pa.array(np.repeat(source.indices.to_numpy(), n_stations)[present]), source.dictionary
        )
    if lines is not None:
        columns["line"] = pa.array(np.repeat(lines.astype(np.int32), n_stations)[present])
    return pa.table(columns)


def parse_station_file(name: str, data: bytes) -> pa.Table:
    """One daily file (its bytes) as a long table ``station_code, ts, type, value``."""
    header, body = _split_header(name, data)
    return _to_long(_parse_block(name, header, body))


def read_station_files(
    path: str | Path, types: list[str] | None = None
) -> tuple[pa.Table, dict[str, object]]:
    """Read CNEMC station files from a ``.csv``, a ``.zip`` of them, or a folder of either.

    Files that share a header are parsed in one pass (a year of daily files is one CSV read).
    ``types`` keeps only those ``type`` rows (e.g. the six pollutants).

    Returns
    -------
    (table, metadata): the long table ``station_code, ts, type, value, source, line`` of every
    present cell (missing cells are left out; ``source`` names the file, ``line`` the line in it),
    and ``{"files": [...]}``.
    """
    return _read_members(csv_members(Path(path)), str(path), types)


def _read_members(
    members: Iterable[tuple[str, bytes]], path: str, types: list[str] | None
) -> tuple[pa.Table, dict[str, object]]:
    blocks: dict[bytes, list[tuple[str, bytes]]] = {}
    files = []
    for name, data in members:
        header, body = _split_header(name, data)
        blocks.setdefault(header, []).append((name, body))
        files.append(name)
    if not files:
        raise CnemcFormatError(f"{path}: no CNEMC .csv file found")
    parts = []
    for header, members in blocks.items():
        names = [name for name, _ in members]
        body = b"".join(b for _, b in members)
        try:
            wide = _parse_block(names[0] if len(names) == 1 else str(path), header, body)
        except CnemcFormatError:
            for name, member_body in members:  # find the file at fault
                _parse_block(name, header, member_body)
            raise
        rows_per_file = [_content_lines(b) for _, b in members]
        source = pa.DictionaryArray.from_arrays(
            pa.array(np.repeat(np.arange(len(names), dtype=np.int32), rows_per_file)),
            pa.array(names, pa.string()),
        )
        starts = np.repeat(np.cumsum([0, *rows_per_file[:-1]]), rows_per_file)
        lines = np.arange(sum(rows_per_file)) - starts + 2  # the header is line 1
        if types is not None:
            wanted = pc.is_in(wide.column("type"), value_set=pa.array(types)).to_numpy(
                zero_copy_only=False
            )
            wide, source, lines = (
                wide.filter(wanted),
                source.filter(pa.array(wanted)),
                lines[wanted],
            )
        parts.append(_to_long(wide, source, lines))
    table = pa.concat_tables(parts, promote_options="permissive").unify_dictionaries()
    return table, {"files": files}


def read_measurements(
    path: str | Path, *, now: dt.datetime | None = None
) -> tuple[pa.Table, dict[str, object]]:
    """The six pollutants' hourly values of CNEMC station files, in ``MEASUREMENT_SCHEMA``.

    CNEMC's own derived rows (``AQI``, ``*_24h``, ``O3_8h``, ``O3_8h_24h``) are left out: Lantian
    recomputes them by the standards (docs/cnemc-derived-columns.md compares the two). A negative
    value is not taken: it becomes a rejection naming the file, line and station column. Rows stamped
    after ``now`` (Beijing time; default the current time) are refused as ``future_date``, one
    rejection per file line, as the other readers do.
    """
    return _measurements(read_station_files(path, types=list(POLLUTANT_TYPES)), now)


def read_measurement_chunks(
    path: str | Path, files_per_chunk: int = 31, *, now: dt.datetime | None = None
) -> Iterator[tuple[pa.Table, dict[str, object]]]:
    """:func:`read_measurements` a few files at a time (default about a month of daily files),
    so that a year is never in memory at once: yields ``(table, metadata)`` per chunk."""
    members = csv_members(Path(path))
    chunk = list(itertools.islice(members, files_per_chunk))
    while True:  # an empty first chunk raises "no CNEMC .csv file found"
        yield _measurements(_read_members(chunk, str(path), list(POLLUTANT_TYPES)), now)
        chunk = list(itertools.islice(members, files_per_chunk))
        if not chunk:
            return


def _measurements(
    read: tuple[pa.Table, dict[str, object]], now: dt.datetime | None
) -> tuple[pa.Table, dict[str, object]]:
    table, metadata = read
    table, future = _future_rows(table, now or beijing_now())
    negative = pc.less(table.column("value"), 0)
    rejected = future + [
        Rejection(str(source), line, f"{station}@{kind}", repr(value), "negative")
        for source, line, station, kind, value in zip(
            *(
                table.filter(negative).column(c).to_pylist()
                for c in ("source", "line", "station_code", "type", "value")
            ),
            strict=True,
        )
    ]
    table = table.filter(pc.invert(negative))
    measurements = pa.table(
        {
            "station_code": pc.cast(table.column("station_code"), pa.string()),
            "ts": table.column("ts"),
            "pollutant": pc.cast(table.column("type"), pa.string()),
            "value": table.column("value"),
            "source": table.column("source"),
            "line": table.column("line"),
        },
        schema=MEASUREMENT_SCHEMA,
    )
    return measurements, {
        **metadata,
        "rejected": rejected,
        "rows": measurements.num_rows + len(rejected),
    }


def _future_rows(table: pa.Table, now: dt.datetime) -> tuple[pa.Table, list[Rejection]]:
    """``table`` without the cells stamped after ``now``, and one rejection per line of them."""
    future = pc.greater(table.column("ts"), pa.scalar(to_beijing(now), pa.timestamp("s")))
    if not pc.any(future).as_py():
        return table, []
    late = table.filter(future).select(["source", "line", "ts"])
    late = late.group_by(["source", "line"]).aggregate([("ts", "min")]).sort_by("line")
    rejected = [
        Rejection(str(source), line, "date,hour", str(ts), "future_date")
        for source, line, ts in zip(
            *(late.column(c).to_pylist() for c in ("source", "line", "ts_min")), strict=True
        )
    ]
    return table.filter(pc.invert(future)), rejected
