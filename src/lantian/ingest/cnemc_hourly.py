"""CNEMC's current real-time release: one file per hour for the whole country, one row per station.

Layout (as CNEMC publishes it since 2022 and as mirrors such as ``HeQinWill/CNEMC`` archive it,
``Archive/2026-09-01/2026-09-01T00.csv``): UTF-8, header ::

    timepoint,stationcode,longitude,latitude,area,positionname,primarypollutant,aqi,pm10,pm10_24h,
    pm2_5,pm2_5_24h,o3,o3_24h,o3_8h,o3_8h_24h,no2,no2_24h,so2,so2_24h,co,co_24h

* ``timepoint`` (``2026-09-01T0000``) is the **end** of the hour, Beijing time, as the store's ``ts``.
* ``area`` is the city with its suffix (``永州市``); ``positionname`` the station's name, control
  points (对照点) marked in it (``零陵南津渡(对照点)``).
* Missing values are ``NA``, ``/`` or empty: left out, not rejected.
* Fields may be quoted (``"颗粒物(PM10),细颗粒物(PM2.5)"``); no field spans lines.

**What is taken.** The six hourly concentrations (``so2 no2 co o3 pm10 pm2_5``; µg/m³, CO mg/m³)
become measurements in :data:`~lantian.ingest.schema.MEASUREMENT_SCHEMA`. CNEMC's derived columns
(``*_24h``, ``o3_8h*``) are not: Lantian recomputes them by the standards. CNEMC's published ``aqi``
and ``primarypollutant`` are returned beside the measurements (``metadata["published"]``), for
``lantian check-release``; they are never an input. The station columns are returned as
``metadata["stations"]`` so that stations new since the 2020 list are registered from the file.

**Which ozone column holds the 1-hour value** is decided per file from the data
(:func:`hourly_ozone_column`), because in some periods CNEMC's release carries them swapped
(``o3_24h`` the latest 1-hour value, ``o3`` the largest 1-hour value of the last 24 h; the mirror's
README says so). A maximum over the trailing 24 hours is never below the latest hour, nor below an
8-hour mean inside those 24 hours; the 1-hour value often is. So:

1. both columns filled: the column that is the smaller one in the rows where they differ is the
   1-hour value (at most 1 % of those rows may say otherwise); equal in every row → ``o3``;
2. one column filled: it is the 1-hour value when it is below the day's 8-hour means
   (``o3_8h``/``o3_8h_24h``) in at least 1 % of the rows, as an hourly value is at night and in
   clean air; a column never below them is a 24-hour maximum, and the file has no 1-hour ozone
   (one file-level rejection ``no_hourly_o3``);
3. otherwise the file is refused (:class:`~lantian.ingest.schema.FormatError`), naming the columns.

The choice and its evidence are in ``metadata["ozone"]`` and, per station-hour, in the published
values (``o3_column``), with the other column's value (``o3_other``) so that a check can test a swap.

**Rejections** (:class:`~lantian.ingest.schema.Rejection`: file, line, field, reason):
``wrong_field_count`` (also a truncated last line), ``empty`` (no station code), ``bad_date``,
``bad_time`` (not on the hour), ``future_date``, ``duplicate`` (a station twice in one hour with
different values: every such row), ``repeated`` (the same row again: the first is kept),
``not_a_number`` and ``negative`` (per cell, field = the column), ``unknown_pollutant`` (a
``primarypollutant`` label Lantian does not know). A file missing a required column, not UTF-8 or
with no rows raises :class:`~lantian.ingest.schema.FormatError`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from lantian.ingest.cnemc import csv_members
from lantian.ingest.schema import MEASUREMENT_SCHEMA, FormatError, Rejection, repeated_keys
from lantian.ingest.text import decode_csv
from lantian.standards.pollutants import BASIC_POLLUTANTS
from lantian.times import beijing_now, epoch_seconds

HEADER_START = b"timepoint,stationcode"
#: Pollutant id → the release column of its hourly value (ozone: see :func:`hourly_ozone_column`).
HOURLY_COLUMNS = {"SO2": "so2", "NO2": "no2", "CO": "co", "PM10": "pm10", "PM2.5": "pm2_5"}
OZONE_CANDIDATES = ("o3", "o3_24h")
OZONE_8H_COLUMNS = ("o3_8h", "o3_8h_24h")
STATION_COLUMNS = ("timepoint", "stationcode", "longitude", "latitude", "area", "positionname")
PUBLISHED_COLUMNS = ("aqi", "primarypollutant")
REQUIRED_COLUMNS = (
    STATION_COLUMNS + PUBLISHED_COLUMNS + tuple(HOURLY_COLUMNS.values()) + OZONE_CANDIDATES
)
MISSING = ("", "NA", "/")
#: The value columns read as numbers (the six hourly values, both ozone candidates, the 8-hour
#: ozone columns the ozone decision consults, the published AQI and the coordinates).
NUMERIC_COLUMNS = frozenset(
    (*HOURLY_COLUMNS.values(), *OZONE_CANDIDATES, *OZONE_8H_COLUMNS, "aqi", "longitude", "latitude")
)
READ_THREADS = max(2, os.cpu_count() or 1)
#: Share of compared rows that may contradict the ozone decision (revised or late values).
OZONE_TOLERANCE = 0.01
CONTROL_POINT_MARK = "对照点"
#: ``primarypollutant`` names inside the label's brackets → pollutant id (``细颗粒物(PM2.5)``).
PRIMARY_LABELS = {
    "PM2.5": "PM2.5",
    "PM10": "PM10",
    "SO2": "SO2",
    "NO2": "NO2",
    "CO": "CO",
    "O3": "O3",
    "O3_1h": "O3",
    "O3_8h": "O3",
}
_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)$"
_TIMEPOINT = r"^\d{4}-\d{2}-\d{2}T\d{4}$"

PUBLISHED_SCHEMA = pa.schema(
    [
        pa.field("station_code", pa.string()),
        pa.field("ts", pa.timestamp("s")),
        pa.field("aqi", pa.float64()),
        pa.field("primary_pollutants", pa.string()),
        pa.field("primary_label", pa.string()),
        pa.field("o3_column", pa.string()),
        pa.field("o3_other", pa.float64()),
        pa.field("source", pa.string()),
    ]
)
"""CNEMC's published AQI per station-hour: ``aqi`` (null = NA), ``primary_pollutants`` as
pollutant ids in the glossary's order (``PM10,PM2.5``; empty when none), the label as published,
the ozone column taken as the 1-hour value and the other candidate column's value."""

RELEASE_STATION_SCHEMA = pa.schema(
    [
        pa.field("station_code", pa.string()),
        pa.field("name", pa.string()),
        pa.field("area", pa.string()),
        pa.field("longitude", pa.float64()),
        pa.field("latitude", pa.float64()),
        pa.field("control_point", pa.bool_()),
        pa.field("ts", pa.timestamp("s")),
        pa.field("source", pa.string()),
        pa.field("line", pa.int32()),
    ]
)
"""One row per station and file: the station as the file describes it at hour ``ts``."""


@dataclass
class _File:
    """One file's rows after splitting: text columns, their lines, and what was refused."""

    source: str
    columns: dict[str, pa.Array]
    lines: np.ndarray
    rejected: list[Rejection] = field(default_factory=list)
    numbers: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=dict)
    """value columns already converted (:func:`_numbers`)"""
    reported: set[str] = field(default_factory=set)
    """value columns whose refused cells are already rejections"""


def is_hourly_release(first_line: bytes) -> bool:
    """True for the header of CNEMC's current release (``timepoint,stationcode,…``)."""
    return first_line.lstrip(b"\xef\xbb\xbf").startswith(HEADER_START)


def read_hourly_release(
    path: str | Path, *, now: dt.datetime | None = None
) -> tuple[pa.Table, dict[str, object]]:
    """Read release files: one ``.csv``, a ``.zip`` of them, or a folder of either.

    Parameters
    ----------
    path : the file, archive or folder.
    now : hours after it are rejected as ``future_date`` [Beijing time]; default the current time.

    Returns
    -------
    (table, metadata): the hourly concentrations in ``MEASUREMENT_SCHEMA`` and ``{"files",
    "rows", "rejected", "stations" (RELEASE_STATION_SCHEMA), "published" (PUBLISHED_SCHEMA),
    "ozone" (file → (column, evidence))}``.
    """
    members = list(csv_members(Path(path)))
    with ThreadPoolExecutor(max_workers=READ_THREADS) as pool:  # Arrow's CSV reads release the GIL
        parts = list(pool.map(lambda m: parse_hourly_release(m[1], m[0], now=now), members))
    if not parts:
        raise FormatError(str(path), "no CNEMC release .csv file found")
    tables = [table for table, _ in parts]
    metadata: dict[str, object] = {
        "files": [name for _, meta in parts for name in meta["files"]],
        "rows": sum(meta["rows"] for _, meta in parts),
        "rejected": [r for _, meta in parts for r in meta["rejected"]],
        "stations": pa.concat_tables([meta["stations"] for _, meta in parts]),
        "published": pa.concat_tables([meta["published"] for _, meta in parts]),
        "ozone": {k: v for _, meta in parts for k, v in meta["ozone"].items()},
    }
    return pa.concat_tables(tables).unify_dictionaries(), metadata


def parse_hourly_release(
    data: bytes, source: str, *, now: dt.datetime | None = None
) -> tuple[pa.Table, dict[str, object]]:
    """Parse one release file given as bytes; ``source`` names it in messages.

    See :func:`read_hourly_release`.
    """
    parsed = _split(source, data)
    rows = len(parsed.lines)
    ts, keep = _row_checks(parsed, epoch_seconds(now or beijing_now()))
    ozone_column, evidence, ozone_rejection = hourly_ozone_column(
        {name: _numbers(parsed, name, keep, report=False)[0] for name in _ozone_names(parsed)},
        source,
    )
    parsed.rejected += ozone_rejection
    measurements = _measurements(parsed, ts, keep, ozone_column)
    stations = _stations(parsed, ts, keep)
    published = _published(parsed, ts, keep, ozone_column)
    metadata: dict[str, object] = {
        "files": [source],
        "rows": rows,
        "rejected": sorted(parsed.rejected, key=lambda r: (r.line, r.field)),
        "stations": stations,
        "published": published,
        "ozone": {source: (ozone_column, evidence)},
    }
    return measurements, metadata


# --- splitting: bytes → text columns ------------------------------------------------------------


def _split(source: str, data: bytes) -> _File:
    """Lines with the header's field count as text columns; other lines become rejections.

    Whole-array work: newline and comma positions are found with NumPy, never line by line. The
    bytes are decoded by the one decoder (:func:`lantian.ingest.text.decode_csv`: BOM, UTF-8 or
    GB18030).
    """
    data, _ = decode_csv(source, data)
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == ord("\n"))
    starts = np.r_[0, ends + 1]
    stops = np.r_[ends, len(raw)]
    truncated = len(raw) > 0 and raw[-1] != ord("\n")
    if not truncated:  # the text after the last newline is empty
        starts, stops = starts[:-1], stops[:-1]
    if len(starts) == 0:
        raise FormatError(source, "empty file", line=1)
    header_text = data[starts[0] : stops[0]].rstrip(b"\r")
    try:
        header = header_text.decode("utf-8").split(",")
    except UnicodeDecodeError as error:
        raise FormatError(source, f"header is not UTF-8 ({error})", line=1) from error
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing:
        raise FormatError(
            source,
            f"missing column(s) {', '.join(missing)}; found {','.join(header)}",
            line=1,
            field=missing[0],
        )
    if len(set(header)) != len(header):
        repeated = sorted({name for name in header if header.count(name) > 1})
        raise FormatError(source, f"column(s) named twice: {', '.join(repeated)}", line=1)
    fields, balanced = _field_counts(raw, starts, stops)
    length = stops - starts
    blank = length - (raw[np.maximum(stops - 1, 0)] == ord("\r")) * (length > 0) == 0
    line_numbers = np.arange(1, len(starts) + 1)
    body = ~blank & (line_numbers > 1)
    good = body & balanced & (fields == len(header))
    if truncated:
        good[-1] = False
    rejected = [
        Rejection(
            source,
            int(line),
            "line",
            "",
            "wrong_field_count",
        )
        for line in line_numbers[body & ~good]
    ]
    if not good.any():
        raise FormatError(source, "no data rows", line=2)
    if good[1:].all():  # the usual case: every line after the header is taken as it is
        text = data
    else:
        keep_bytes = np.repeat(good, stops - starts + 1)[: len(raw)]
        text = header_text + b"\n" + raw[keep_bytes].tobytes()
    table = _read_columns(source, text, header)
    columns = {
        name: column if pa.types.is_floating(column.type) else pc.utf8_trim_whitespace(column)
        for name, column in ((n, table.column(n).combine_chunks()) for n in header)
    }
    return _File(source, columns, line_numbers[good].astype(np.int32), rejected)


def _read_columns(source: str, text: bytes, header: list[str]) -> pa.Table:
    """The rows as Arrow columns: the value columns Lantian uses as float64 (``NA``, ``/`` and empty
    as null) when every cell is a number — the usual file, read at once — else every column as text,
    for :func:`_convert` to find the cells at fault."""
    numeric = {name: pa.float64() for name in header if name in NUMERIC_COLUMNS}
    for types, nulls in ((numeric, list(MISSING)), ({}, [])):
        try:
            return pacsv.read_csv(
                pa.py_buffer(text),
                read_options=pacsv.ReadOptions(use_threads=False),
                convert_options=pacsv.ConvertOptions(
                    column_types={**dict.fromkeys(header, pa.string()), **types},
                    null_values=nulls,
                    strings_can_be_null=False,
                ),
            )
        except pa.ArrowInvalid as error:
            if types and "conversion error" in str(error).lower():
                continue
            raise FormatError(source, f"not readable as UTF-8 CSV ({error})") from error
        except UnicodeDecodeError as error:
            raise FormatError(source, f"not readable as UTF-8 CSV ({error})") from error
    raise AssertionError("unreachable")  # pragma: no cover


def _field_counts(
    raw: np.ndarray, starts: np.ndarray, stops: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Fields per line (commas outside double quotes, + 1) and whether its quotes are balanced."""
    quotes = np.flatnonzero(raw == ord('"'))
    commas = np.flatnonzero(raw == ord(","))
    line = np.searchsorted(starts, commas, side="right") - 1
    inside = (line >= 0) & (commas < stops[np.maximum(line, 0)])
    commas, line = commas[inside], line[inside]
    if len(quotes):  # quotes before a comma on its line: odd = inside a quoted field
        before = np.searchsorted(quotes, commas) - np.searchsorted(quotes, starts[line])
        commas, line = commas[before % 2 == 0], line[before % 2 == 0]
    fields = np.bincount(line, minlength=len(starts)) + 1
    per_line = np.searchsorted(quotes, stops) - np.searchsorted(quotes, starts)
    return fields, per_line % 2 == 0


# --- checks -------------------------------------------------------------------------------------


def _reject_rows(parsed: _File, rows: np.ndarray, field_name: str, reason: str) -> None:
    values = parsed.columns[field_name].take(pa.array(rows, pa.int64())).to_pylist()
    parsed.rejected += [
        Rejection(parsed.source, int(parsed.lines[row]), field_name, value, reason)
        for row, value in zip(rows, values, strict=True)
    ]


def _row_checks(parsed: _File, now: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``ts`` [s since 1970, Beijing time] and whether the row is taken.

    A row is refused as a whole for an empty station code, a bad, off-the-hour or future
    timepoint, or as a duplicate of another row of the same station and hour.
    """
    stamp = parsed.columns["timepoint"]
    well_formed = pc.match_substring_regex(stamp, _TIMEPOINT).to_numpy(zero_copy_only=False)
    parsed_ts = pc.strptime(
        pc.if_else(pa.array(well_formed), stamp, pa.scalar(None, pa.string())),
        format="%Y-%m-%dT%H%M",
        unit="s",
        error_is_null=True,
    )
    seconds = pc.fill_null(parsed_ts.cast(pa.int64()), 0).to_numpy()
    round_trip = pc.equal(pc.strftime(parsed_ts, format="%Y-%m-%dT%H%M"), stamp)
    bad_date = ~pc.fill_null(round_trip, False).to_numpy(zero_copy_only=False)  # 09-31 too
    code = parsed.columns["stationcode"]
    empty = pc.equal(code, "").to_numpy(zero_copy_only=False)
    checks = (
        (empty, "stationcode", "empty"),
        (~empty & bad_date, "timepoint", "bad_date"),
        (~empty & ~bad_date & (seconds % 3600 != 0), "timepoint", "bad_time"),
        (~empty & ~bad_date & (seconds > now), "timepoint", "future_date"),
    )
    keep = np.ones(len(seconds), dtype=bool)
    for failed, field_name, reason in checks:
        rows = np.flatnonzero(failed & keep)
        if len(rows):
            _reject_rows(parsed, rows, field_name, reason)
            keep[rows] = False
    keep &= _not_duplicated(parsed, seconds, keep)
    return seconds, keep


def _not_duplicated(parsed: _File, seconds: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """False for rows of a station-hour seen twice: every row when they differ, else the repeats
    (:func:`~lantian.ingest.schema.repeated_keys` over the whole rows' text)."""
    codes = pc.dictionary_encode(parsed.columns["stationcode"]).indices.to_numpy()
    key = codes.astype(np.int64) * (1 << 40) + seconds // 3600
    key = np.where(keep, key, -1 - np.arange(len(key)))  # refused rows never collide
    order = np.argsort(key, kind="stable")
    if not (key[order][1:] == key[order][:-1]).any():
        return np.ones(len(key), dtype=bool)
    texts = [pc.fill_null(pc.cast(c, pa.string()), "") for c in parsed.columns.values()]
    whole = pc.binary_join_element_wise(*texts, "\x1f").to_numpy(zero_copy_only=False)
    repeated, duplicate = repeated_keys((key,), whole, order)
    _reject_rows(parsed, np.flatnonzero(repeated), "stationcode", "repeated")
    _reject_rows(parsed, np.flatnonzero(duplicate), "stationcode", "duplicate")
    return ~repeated & ~duplicate


def _numbers(
    parsed: _File, name: str, keep: np.ndarray, *, report: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """A value column as float64 (NaN = missing or refused) and the rows whose cell was refused.

    ``NA``, ``/`` and empty cells are missing; other text is ``not_a_number``; a value below 0 is
    ``negative``. With ``report`` the refused cells of taken rows become rejections.
    """
    if name not in parsed.numbers:
        parsed.numbers[name] = _convert(parsed.columns[name])
    values, not_a_number, negative = parsed.numbers[name]
    if report and name not in parsed.reported:
        parsed.reported.add(name)
        for failed, reason in ((not_a_number, "not_a_number"), (negative, "negative")):
            rows = np.flatnonzero(failed & keep)
            if len(rows):
                _reject_rows(parsed, rows, name, reason)
    return values, not_a_number | negative


def _convert(text: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cells → (float64 values, NaN where missing or refused; not a number; negative)."""
    if pa.types.is_floating(text.type):  # read as numbers already
        values = pc.fill_null(text, np.nan).to_numpy(zero_copy_only=False).copy()
        with np.errstate(invalid="ignore"):
            negative = values < 0
        values[negative] = np.nan
        return values, np.zeros(len(values), dtype=bool), negative
    missing = pc.is_in(text, value_set=pa.array(MISSING)).to_numpy(zero_copy_only=False)
    number = pc.match_substring_regex(text, _NUMBER).to_numpy(zero_copy_only=False)
    values = pc.cast(pc.if_else(pa.array(number), text, pa.scalar(None, pa.string())), pa.float64())
    values = pc.fill_null(values, np.nan).to_numpy(zero_copy_only=False).copy()
    not_a_number = ~missing & ~number
    negative = number & (values < 0)
    values[not_a_number | negative] = np.nan
    return values, not_a_number, negative


def _ozone_names(parsed: _File) -> list[str]:
    return [n for n in (*OZONE_CANDIDATES, *OZONE_8H_COLUMNS) if n in parsed.columns]


def hourly_ozone_column(
    columns: dict[str, np.ndarray], source: str = ""
) -> tuple[str | None, str, list[Rejection]]:
    """Which of ``o3`` / ``o3_24h`` holds the 1-hour ozone value of one file (module docstring).

    Parameters
    ----------
    columns : ``o3``, ``o3_24h`` and, if the file has them, ``o3_8h``, ``o3_8h_24h`` [µg/m³;
        NaN = missing], one value per row.
    source : the file, for messages.

    Returns
    -------
    (column, evidence, rejections): the column name (``None`` when the file has no 1-hour ozone),
    a sentence giving the counts behind the choice, and the file-level rejection when there is none.

    Raises
    ------
    FormatError
        When both columns are filled and neither is the smaller one in ≥ 99 % of the rows where
        they differ.
    """
    o3, o3_24h = columns["o3"], columns["o3_24h"]
    both = ~np.isnan(o3) & ~np.isnan(o3_24h)
    if both.any():
        lower, higher = int((o3[both] < o3_24h[both]).sum()), int((o3[both] > o3_24h[both]).sum())
        differ = lower + higher
        if differ == 0:
            return (
                "o3",
                f"o3 = o3_24h in all {int(both.sum())} rows: either is the 1-hour value",
                [],
            )
        if higher <= OZONE_TOLERANCE * differ:
            return (
                "o3",
                f"o3 < o3_24h in {lower} of {differ} rows that differ: o3_24h is the 24-h maximum",
                [],
            )
        if lower <= OZONE_TOLERANCE * differ:
            return (
                "o3_24h",
                f"o3 > o3_24h in {higher} of {differ} rows that differ: columns swapped, o3 is the 24-h maximum",
                [],
            )
        raise FormatError(
            source,
            f"cannot tell which ozone column is the 1-hour value: o3 < o3_24h in {lower} rows and "
            f"o3 > o3_24h in {higher}",
            field="o3",
        )
    filled = [name for name in OZONE_CANDIDATES if (~np.isnan(columns[name])).any()]
    if not filled:
        return "o3", "no ozone value in the file", []
    (name,) = filled
    eight = [columns[n] for n in OZONE_8H_COLUMNS if n in columns]
    mean_8h = np.fmax.reduce(eight) if eight else np.full(len(o3), np.nan)
    compared = ~np.isnan(columns[name]) & ~np.isnan(mean_8h)
    below = int((columns[name][compared] < mean_8h[compared]).sum())
    n = int(compared.sum())
    if n == 0 or below >= OZONE_TOLERANCE * n:
        return (
            name,
            f"only {name} filled; below the 8-hour mean in {below} of {n} rows: a 1-hour value",
            [],
        )
    evidence = f"only {name} filled and never below the 8-hour mean ({n} rows): a 24-h maximum"
    return None, evidence, [Rejection(source, 0, name, "", "no_hourly_o3")]


# --- outputs ------------------------------------------------------------------------------------


def _measurements(
    parsed: _File, ts: np.ndarray, keep: np.ndarray, ozone_column: str | None
) -> pa.Table:
    columns = dict(HOURLY_COLUMNS)
    if ozone_column is not None:
        columns["O3"] = ozone_column
    pollutants = [p for p in BASIC_POLLUTANTS if p in columns]
    values = np.stack([_numbers(parsed, columns[p], keep)[0] for p in pollutants], axis=1)
    present = ~np.isnan(values) & keep[:, None]
    row, which = np.nonzero(present)
    codes = parsed.columns["stationcode"].take(pa.array(row, pa.int64()))
    return pa.table(
        {
            "station_code": codes,
            "ts": pa.array(ts[row].astype("datetime64[s]")),
            "pollutant": pa.array(np.asarray(pollutants, dtype=object)[which], pa.string()),
            "value": pa.array(values[row, which]),
            "source": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(len(row), np.int32)), pa.array([parsed.source])
            ),
            "line": pa.array(parsed.lines[row], pa.int32()),
        },
        schema=MEASUREMENT_SCHEMA,
    )


def _stations(parsed: _File, ts: np.ndarray, keep: np.ndarray) -> pa.Table:
    rows = pa.array(np.flatnonzero(keep), pa.int64())
    longitude, _bad_lon = _numbers(parsed, "longitude", keep)
    latitude, _bad_lat = _numbers(parsed, "latitude", keep)
    name = parsed.columns["positionname"]
    return pa.table(
        {
            "station_code": parsed.columns["stationcode"].take(rows),
            "name": name.take(rows),
            "area": parsed.columns["area"].take(rows),
            "longitude": pa.array(longitude[keep], from_pandas=True),
            "latitude": pa.array(latitude[keep], from_pandas=True),
            "control_point": pc.match_substring(name, CONTROL_POINT_MARK).take(rows),
            "ts": pa.array(ts[keep].astype("datetime64[s]")),
            "source": pa.array([parsed.source] * int(keep.sum()), pa.string()),
            "line": pa.array(parsed.lines[keep], pa.int32()),
        },
        schema=RELEASE_STATION_SCHEMA,
    )


def primary_pollutant_ids(labels: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """CNEMC's ``primarypollutant`` labels → pollutant ids in the glossary's order, and unknowns.

    ``细颗粒物(PM2.5)`` → ``PM2.5``; ``颗粒物(PM10),细颗粒物(PM2.5)`` → ``PM10,PM2.5``;
    ``臭氧1小时(O3_1h)`` → ``O3``; empty, ``NA`` or ``/`` → ``""``. Each distinct label is decoded
    once (a file has a handful); the second array is True where a label is not understood.
    """
    encoded = pc.dictionary_encode(labels)
    decoded, unknown = [], []
    for label in encoded.dictionary.to_pylist():
        ids, ok = _decode_label(label)
        decoded.append(ids)
        unknown.append(not ok)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    return (
        pa.array(np.asarray(decoded, dtype=object)[indices], pa.string()),
        np.asarray(unknown, dtype=bool)[indices] if len(unknown) else np.zeros(0, bool),
    )


def _decode_label(label: str) -> tuple[str, bool]:
    if label in MISSING or label == "—":
        return "", True
    found = set()
    for part in re.split(r"[,，、]", label):
        inner = re.search(r"[(（]([^)）]+)[)）]", part)
        name = (inner.group(1) if inner else part).strip()
        if name not in PRIMARY_LABELS:
            return "", False
        found.add(PRIMARY_LABELS[name])
    return ",".join(p for p in BASIC_POLLUTANTS if p in found), True


def _published(
    parsed: _File, ts: np.ndarray, keep: np.ndarray, ozone_column: str | None
) -> pa.Table:
    rows = np.flatnonzero(keep)
    aqi, _ = _numbers(parsed, "aqi", keep)
    labels = parsed.columns["primarypollutant"]
    ids, unknown = primary_pollutant_ids(labels)
    if (unknown & keep).any():
        _reject_rows(
            parsed, np.flatnonzero(unknown & keep), "primarypollutant", "unknown_pollutant"
        )
    other_name = {"o3": "o3_24h", "o3_24h": "o3"}.get(ozone_column or "", "o3")
    other, _ = _numbers(parsed, other_name, keep, report=False)
    taken = pa.array(rows, pa.int64())
    return pa.table(
        {
            "station_code": parsed.columns["stationcode"].take(taken),
            "ts": pa.array(ts[rows].astype("datetime64[s]")),
            "aqi": pa.array(aqi[rows], from_pandas=True),
            "primary_pollutants": ids.take(taken),
            "primary_label": labels.take(taken),
            "o3_column": pa.array([ozone_column] * len(rows), pa.string()),
            "o3_other": pa.array(other[rows], from_pandas=True),
            "source": pa.array([parsed.source] * len(rows), pa.string()),
        },
        schema=PUBLISHED_SCHEMA,
    )
