"""The tidy long format: one row per station, hour and pollutant, as CSV, Parquet or Excel (.xlsx).

Columns (header names exact; surrounding spaces ignored; English or Chinese, order free):

| column | Chinese header | required | content |
| --- | --- | --- | --- |
| ``station_code`` | ``站点编码`` | yes | e.g. ``2477A`` |
| ``ts`` | ``时间`` | yes | ``YYYY-MM-DD HH:MM[:SS]`` or ``YYYY/MM/DD HH:MM[:SS]``, Beijing time, on the hour |
| ``pollutant`` | ``污染物`` | yes | ``SO2 NO2 CO O3 PM10 PM2.5`` (aliases: ``PM25``, ``pm2.5``, ``PM2_5``, ``SO₂`` …) |
| ``value`` | ``浓度`` | yes | the hourly mean [µg/m³; CO mg/m³] |
| ``flag`` | ``标记`` | no | the sender's own flag, passed through (``metadata["flags"]``) |

**Time.** ``ts`` is Beijing time (UTC+8) and, by default, the **end** of the hour, as CNEMC labels it
(``hour_convention="ending"``; ``24:00`` is accepted as 00:00 of the next day). With
``hour_convention="beginning"`` the file stamps the start of the hour and 1 h is added. Parquet
timestamps with a time zone are converted to Beijing time.

**Encodings.** CSV: UTF-8 with or without BOM; otherwise GB18030 (which includes GBK and GB2312, the
encodings of Chinese Excel exports). Line ends LF, CRLF or CR; separator comma; RFC 4180 quotes.

A row that cannot be taken becomes a :class:`~lantian.ingest.schema.Rejection` naming file, line (CSV:
header = line 1; xlsx: sheet row; Parquet: 1-based row), field (the header as written) and reason:
``wrong_field_count``, ``empty``, ``unknown_station``, ``bad_date``, ``bad_time``, ``future_date``,
``unknown_pollutant``, ``not_a_number``, ``negative``, ``duplicate`` (same station, ts and pollutant
twice in one file with different values: every such row), ``repeated`` (the same key and value again:
the first row is kept). Each row gets one reason: fields are checked in the order ``station_code``,
``ts``, ``pollutant``, ``value``, then duplicates among the rows that passed. A file that cannot be
read at all (empty, a column missing or unknown, not CSV/Parquet/xlsx/zip, truncated) raises
:class:`~lantian.ingest.schema.FormatError`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lantian.ingest import excel
from lantian.ingest.schema import MEASUREMENT_SCHEMA, FormatError, Rejection, repeated_keys
from lantian.ingest.text import decode_csv
from lantian.standards.pollutants import BASIC_POLLUTANTS
from lantian.times import beijing_now, epoch_seconds

#: Glossary column → its accepted Chinese header.
CHINESE_HEADERS = {
    "station_code": "站点编码",
    "ts": "时间",
    "pollutant": "污染物",
    "value": "浓度",
    "flag": "标记",
}
REQUIRED_COLUMNS = ("station_code", "ts", "pollutant", "value")
#: Pollutant spellings (upper-cased, spaces removed, subscript digits made plain) → pollutant id.
POLLUTANT_ALIASES = {**{p.upper(): p for p in BASIC_POLLUTANTS}, "PM25": "PM2.5", "PM2_5": "PM2.5"}
#: ``hour_convention`` → seconds to add to the file's stamps to get the end of the hour.
HOUR_CONVENTIONS = {"ending": 0, "beginning": 3600}
#: Rejection reasons (``code - 1`` indexes this tuple in the whole-column checks).
REASONS = (
    "wrong_field_count",
    "empty",
    "unknown_station",
    "bad_date",
    "bad_time",
    "future_date",
    "unknown_pollutant",
    "not_a_number",
    "negative",
    "duplicate",
    "repeated",
)
_HEADER_NAMES = {
    **{name: name for name in CHINESE_HEADERS},
    **{v: k for k, v in CHINESE_HEADERS.items()},
}
_TS_PATTERN = (
    r"^(?P<year>\d{4})[-/](?P<month>\d{1,2})[-/](?P<day>\d{1,2})[ T](?P<hour>\d{1,2}):"
    r"(?P<minute>\d{2})(?::(?P<second>\d{2})(?:\.(?P<fraction>\d+))?)?$"
)
_NUMBER_PATTERN = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"
_SUBSCRIPTS = {"₀": "0", "₁": "1", "₂": "2", "₃": "3", "₅": "5"}


@dataclass
class _Cells:
    """One file's cells before validation: glossary column → array, and each row's line."""

    source: str
    headers: dict[str, str]
    """glossary column → the header as written in the file"""
    columns: dict[str, pa.Array]
    lines: np.ndarray
    rejected: list[Rejection]
    """rows that could not even be split into the header's fields"""
    encoding: str | None = None


def read_tidy(
    path: str | Path,
    *,
    now: dt.datetime | None = None,
    hour_convention: str = "ending",
    known_stations: Iterable[str] | None = None,
    sheet: str | None = None,
) -> tuple[pa.Table, dict[str, object]]:
    """Read a tidy-format file: ``.csv``, ``.parquet``, ``.xlsx``, or a ``.zip`` of them.

    Parameters
    ----------
    path : the file; its content, not its name, decides the format.
    now : stamps after it are rejected as ``future_date`` [Beijing time; naive, or aware and converted].
        Default: the current time.
    hour_convention : ``"ending"`` (default) or ``"beginning"``: what the file's ``ts`` stamps.
    known_stations : if given, rows of any other ``station_code`` are rejected as ``unknown_station``.
    sheet : the ``.xlsx`` sheet to read; default the first.

    Returns
    -------
    (table, metadata): the accepted rows in :data:`MEASUREMENT_SCHEMA` (``ts`` the end of the hour) and
    ``{"files", "rows", "rejected", "flags", "encodings", "hour_convention"}``: the files read
    (``archive.zip!member``), the number of data rows (= accepted + rejected), the list of
    :class:`Rejection`, the ``flag`` cell of each accepted row (a string array aligned with the table,
    null where there is none), each CSV's encoding, and the convention applied.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise FormatError(str(path), f"cannot read file ({error.strerror or error})") from error
    return parse_tidy(
        data,
        str(path),
        now=now,
        hour_convention=hour_convention,
        known_stations=known_stations,
        sheet=sheet,
    )


def parse_tidy(
    data: bytes,
    source: str,
    *,
    now: dt.datetime | None = None,
    hour_convention: str = "ending",
    known_stations: Iterable[str] | None = None,
    sheet: str | None = None,
) -> tuple[pa.Table, dict[str, object]]:
    """Parse a tidy-format file given as bytes; ``source`` names it in messages. See :func:`read_tidy`."""
    if hour_convention not in HOUR_CONVENTIONS:
        raise ValueError(
            f"unknown hour_convention {hour_convention!r}; valid: {', '.join(HOUR_CONVENTIONS)}"
        )
    rules = _Rules(
        now=epoch_seconds(now or beijing_now()),
        shift=HOUR_CONVENTIONS[hour_convention],
        known=None
        if known_stations is None
        else pa.array(sorted(set(known_stations)), pa.string()),
    )
    parts = [_validate(cells, rules) for cells in _load(source, data, sheet)]
    table = pa.concat_tables([part.table for part in parts])
    rejected = sorted(
        (r for part in parts for r in part.rejected), key=lambda r: (r.source, r.line)
    )
    metadata: dict[str, object] = {
        "files": [part.source for part in parts],
        "rows": sum(part.rows for part in parts),
        "rejected": rejected,
        "flags": pa.concat_arrays([part.flags for part in parts]),
        "encodings": {part.source: part.encoding for part in parts if part.encoding},
        "hour_convention": hour_convention,
    }
    return table, metadata


# --- loading: bytes → cells -------------------------------------------------------------------


def _load(source: str, data: bytes, sheet: str | None) -> Iterator[_Cells]:
    suffix = Path(source.rsplit("!", 1)[-1]).suffix.lower()
    if data.startswith(b"PAR1"):
        yield _load_parquet(source, data)
    elif data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        yield from _load_zip(source, data, sheet)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FormatError(source, "an old Excel .xls (or other OLE) file; save it as .xlsx or CSV")
    elif suffix in {".xlsx", ".parquet", ".zip"}:
        raise FormatError(source, f"not a {suffix} file (its first bytes are {data[:8]!r})")
    else:
        yield _load_csv(source, data)


def _load_zip(source: str, data: bytes, sheet: str | None) -> Iterator[_Cells]:
    kind = ".xlsx workbook" if source.lower().endswith(".xlsx") else "zip archive"
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise FormatError(source, f"truncated or damaged {kind} ({error})") from error
    with archive:
        if excel.is_workbook(archive):
            yield _load_xlsx(source, data, sheet)
            return
        for info in sorted(archive.infolist(), key=lambda info: info.filename):
            if info.is_dir() or info.filename.startswith("__MACOSX/"):
                continue
            member = f"{source}!{info.filename}"
            if Path(info.filename).suffix.lower() not in {".csv", ".parquet", ".xlsx"}:
                raise FormatError(member, "not a .csv, .parquet or .xlsx member of the archive")
            try:
                content = excel.read_member(archive, info, member)
            except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as error:
                raise FormatError(member, f"damaged archive member ({error})") from error
            except (NotImplementedError, RuntimeError) as error:  # compression method, password
                raise FormatError(member, f"cannot extract ({error})") from error
            yield from _load(member, content, sheet)


def _load_parquet(source: str, data: bytes) -> _Cells:
    try:
        table = pq.read_table(pa.BufferReader(data))
        names = table.column_names  # decoded here: a damaged footer may hold non-UTF-8 names
    except (pa.ArrowException, OSError, ValueError) as error:  # UnicodeDecodeError included
        raise FormatError(source, f"truncated or damaged Parquet file ({error})") from error
    headers = _map_header(source, names, line=None)
    return _Cells(
        source=source,
        headers=headers,
        columns={name: table.column(header).combine_chunks() for name, header in headers.items()},
        lines=np.arange(1, table.num_rows + 1, dtype=np.int64),
        rejected=[],
    )


def _load_xlsx(source: str, data: bytes, sheet: str | None) -> _Cells:
    found = excel.read_sheet(source, data, sheet)
    headers = _map_header(source, found.header, line=found.header_row)
    position = {header: j for j, header in enumerate(found.header)}
    overflow = found.overflow > 0
    rejected = [
        Rejection(source, int(row), f"column {len(found.header) + 1}", "", "wrong_field_count")
        for row in found.rows[overflow]
    ]
    return _Cells(
        source=source,
        headers=headers,
        columns={
            name: found.columns[position[header]].filter(pa.array(~overflow))
            for name, header in headers.items()
        },
        lines=found.rows[~overflow],
        rejected=rejected,
    )


def _map_header(source: str, names: list[str], line: int | None) -> dict[str, str]:
    """Glossary column → header as written; :class:`FormatError` for a missing/unknown/double one."""
    headers: dict[str, str] = {}
    for position, raw in enumerate(names, start=1):
        header = str(raw).strip().lstrip("\ufeff").strip()
        name = _HEADER_NAMES.get(header)
        if name is None:
            accepted = ", ".join(f"{k} ({v})" for k, v in CHINESE_HEADERS.items())
            hint = " (is the separator a comma?)" if any(c in header for c in ";\t") else ""
            raise FormatError(
                source,
                f"unknown column {header!r} at position {position}{hint}; accepted: {accepted}",
                line=line,
                field=header or f"column {position}",
            )
        if name in headers:
            raise FormatError(source, "column given twice", line=line, field=header)
        headers[name] = str(raw)
    for name in REQUIRED_COLUMNS:
        if name not in headers:
            raise FormatError(
                source,
                f"missing column (or {CHINESE_HEADERS[name]}); found {', '.join(map(str, names))}",
                line=line,
                field=name,
            )
    return headers


def _segments(text: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """CSV records as byte ranges: (start, end, physical line of start, number of fields).

    A newline or comma separates only outside double quotes (even count of quotes before it).
    """
    buffer = np.frombuffer(text, dtype=np.uint8)
    newlines = np.flatnonzero(buffer == ord("\n"))
    commas = np.flatnonzero(buffer == ord(","))
    if b'"' in text:
        outside = np.cumsum(buffer == ord('"')) % 2 == 0
        separators, commas = newlines[outside[newlines]], commas[outside[commas]]
    else:
        separators = newlines
    starts = np.concatenate([[0], separators + 1])
    ends = np.concatenate([separators, [len(buffer)]])
    lines = np.searchsorted(newlines, starts) + 1
    fields = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
    return starts, ends, lines, fields


def _odd_quote_line(body: bytes, lines: np.ndarray | list[int]) -> int | None:
    """The first line of ``body`` (numbered from ``lines[0]``) with an odd number of quotes."""
    buffer = np.frombuffer(body, dtype=np.uint8)
    line_of_quote = np.searchsorted(
        np.flatnonzero(buffer == ord("\n")), np.flatnonzero(buffer == 34)
    )
    odd = np.flatnonzero(np.bincount(line_of_quote) % 2)
    return int(lines[0] + odd[0]) if odd.size and len(lines) else None


def _load_csv(source: str, data: bytes) -> _Cells:
    text, encoding = decode_csv(source, data)
    if b"\r" in text:
        text = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if text.count(b'"') % 2:  # a quote left open would swallow the rest of the file into one cell
        raise FormatError(source, 'unbalanced double quotes (")', line=_odd_quote_line(text, [1]))
    starts, ends, lines, fields = _segments(text)
    filled = np.flatnonzero(ends > starts)
    if not filled.size or not text[starts[filled[0]] : ends[filled[0]]].strip():
        raise FormatError(source, "empty file (no header line)")
    first, rest = filled[0], filled[1:]
    header_text = text[starts[first] : ends[first]].decode("utf-8")
    names = next(csv.reader([header_text.replace("\n", " ")]))
    headers = _map_header(source, names, line=int(lines[first]))
    good = fields[rest] == len(names)
    rejected = [
        _field_count_rejection(source, text, names, starts[i], ends[i], lines[i], fields[i])
        for i in rest[~good]
    ]
    body = text[ends[first] + 1 :] if rest.size else b""
    columns = _parse_body(
        source, body, names, int(good.sum()), quoted=b'"' in text, lines=lines[rest]
    )
    position = {header: j for j, header in enumerate(names)}
    return _Cells(
        source=source,
        headers=headers,
        columns={name: columns[position[header]] for name, header in headers.items()},
        lines=lines[rest][good],
        rejected=rejected,
        encoding=encoding,
    )


def _field_count_rejection(
    source: str, text: bytes, names: list[str], start: int, end: int, line: int, count: int
) -> Rejection:
    """A record with more or fewer fields than the header; ``field`` is the first missing/extra."""
    field = names[count] if count < len(names) else f"column {len(names) + 1}"
    cells = text[start:end].decode("utf-8", errors="replace")
    return Rejection(source, int(line), field, cells[:80], "wrong_field_count")


def _parse_body(
    source: str, body: bytes, names: list[str], expected: int, *, quoted: bool, lines: np.ndarray
) -> list[pa.Array]:
    """The data records as string columns (records with a wrong field count skipped)."""
    if expected == 0:
        return [pa.array([], pa.string()) for _ in names]
    synthetic = [f"c{j}" for j in range(len(names))]
    try:
        table = pacsv.read_csv(
            io.BytesIO(body),
            read_options=pacsv.ReadOptions(column_names=synthetic),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=quoted, invalid_row_handler=lambda row: "skip"
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(synthetic, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError) as error:
        raise FormatError(source, f"unreadable CSV ({error})") from error
    if table.num_rows != expected:  # a quote inside an unquoted cell makes the counts disagree
        raise FormatError(source, 'unbalanced double quotes (")', line=_odd_quote_line(body, lines))
    return [table.column(name).combine_chunks() for name in synthetic]


# --- validation: cells → measurements and rejections -----------------------------------------


@dataclass(frozen=True)
class _Rules:
    now: int
    """stamps after this are in the future [s since 1970-01-01 00:00, Beijing time]"""
    shift: int
    """added to the file's stamps to get the end of the hour [s]"""
    known: pa.Array | None


@dataclass(frozen=True)
class _Part:
    source: str
    table: pa.Table
    flags: pa.Array
    rejected: list[Rejection]
    rows: int
    encoding: str | None


def _text(array: pa.Array) -> pa.Array:
    """Cells as stripped text, ``""`` for a null."""
    if not pa.types.is_string(array.type):
        array = pc.cast(array, pa.string())
    return pc.utf8_trim_whitespace(pc.fill_null(array, ""))


def _codes(*checks: tuple[np.ndarray, str]) -> np.ndarray:
    """Per row, 1 + the index in :data:`REASONS` of the first check that fails (0 = none)."""
    code = np.zeros(len(checks[0][0]), dtype=np.int8)
    for failed, reason in checks:
        code = np.where((code == 0) & failed, REASONS.index(reason) + 1, code)
    return code


def _numbers(parts: pa.StructArray, name: str) -> np.ndarray:
    digits = parts.field(name)
    digits = pc.if_else(pc.equal(pc.fill_null(digits, ""), ""), "0", digits)
    return pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False)


def _timestamps(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``ts`` cells → (seconds since 1970 as written, reason code per row)."""
    if pa.types.is_timestamp(array.type):
        per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}[array.type.unit]
        raw = pc.fill_null(pc.cast(array, pa.int64()), 0).to_numpy(zero_copy_only=False)
        seconds = raw // per_second + (8 * 3600 if array.type.tz else 0)  # instants → Beijing
        off_hour = (raw % per_second != 0) | (seconds % 3600 != 0)
        empty = array.is_null().to_numpy(zero_copy_only=False)
        return seconds, _codes((empty, "empty"), (off_hour, "bad_time"))
    text = _text(array)
    parts = pc.extract_regex(text, _TS_PATTERN)
    matched = parts.is_valid().to_numpy(zero_copy_only=False)
    year, month, day, hour, minute, second = (
        _numbers(parts, name) for name in ("year", "month", "day", "hour", "minute", "second")
    )
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    first_day = months.astype("datetime64[D]")
    days_in_month = ((months + 1).astype("datetime64[D]") - first_day).astype(np.int64)
    real_date = (month >= 1) & (month <= 12) & (day >= 1) & (day <= days_in_month)
    fraction = pc.match_substring_regex(pc.fill_null(parts.field("fraction"), ""), "[1-9]")
    off_hour = (minute != 0) | (second != 0) | (hour > 24) | fraction.to_numpy(zero_copy_only=False)
    day_start = (first_day + (day - 1)).astype("datetime64[s]").astype(np.int64)
    empty = pc.equal(text, "").to_numpy(zero_copy_only=False)
    codes = _codes((empty, "empty"), (~(matched & real_date), "bad_date"), (off_hour, "bad_time"))
    return np.where(codes == 0, day_start + 3600 * hour, 0), codes


def _pollutants(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``pollutant`` cells → (index in :data:`BASIC_POLLUTANTS`, reason code per row)."""
    key = pc.utf8_upper(_text(array))
    for subscript, digit in _SUBSCRIPTS.items():
        key = pc.replace_substring(key, subscript, digit)
    key = pc.replace_substring_regex(key, r"\s+", "")
    index = pc.index_in(key, value_set=pa.array(list(POLLUTANT_ALIASES), pa.string()))
    to_basic = np.array([BASIC_POLLUTANTS.index(p) for p in POLLUTANT_ALIASES.values()])
    unknown = index.is_null().to_numpy(zero_copy_only=False)
    empty = pc.equal(key, "").to_numpy(zero_copy_only=False)
    basic = to_basic[pc.fill_null(index, 0).to_numpy(zero_copy_only=False)]
    return basic, _codes((empty, "empty"), (unknown, "unknown_pollutant"))


def _values(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """``value`` cells → (float64, reason code per row)."""
    if (
        pa.types.is_integer(array.type)
        or pa.types.is_floating(array.type)
        or pa.types.is_decimal(array.type)
    ):
        values = pc.fill_null(pc.cast(array, pa.float64()), np.nan).to_numpy(zero_copy_only=False)
        empty, number = np.isnan(values), ~np.isinf(values)
    else:
        text = _text(array)
        empty = pc.or_(pc.equal(text, ""), pc.equal(pc.utf8_lower(text), "nan"))
        empty = empty.to_numpy(zero_copy_only=False)
        syntax = pc.match_substring_regex(text, _NUMBER_PATTERN)
        values = pc.cast(pc.if_else(syntax, text, "nan"), pa.float64()).to_numpy(
            zero_copy_only=False
        )
        number = syntax.to_numpy(zero_copy_only=False) & np.isfinite(values)
    codes = _codes((empty, "empty"), (~number, "not_a_number"), (values < 0, "negative"))
    return values, codes


def _duplicates(
    station: pa.Array, pollutant: np.ndarray, seconds: np.ndarray, values: np.ndarray
) -> np.ndarray:
    """Reason code per row for keys (station, ts, pollutant) that occur more than once
    (:func:`~lantian.ingest.schema.repeated_keys`)."""
    if not len(values):
        return np.zeros(0, dtype=np.int8)
    station_index = pc.dictionary_encode(station).indices.to_numpy(zero_copy_only=False)
    repeated, duplicate = repeated_keys((station_index, pollutant, seconds), values)
    return _codes((duplicate, "duplicate"), (repeated, "repeated"))


def _validate(cells: _Cells, rules: _Rules) -> _Part:
    """Check every rule on whole columns; the rows that pass become measurements."""
    columns = cells.columns
    station = _text(columns["station_code"])
    seconds, ts_codes = _timestamps(columns["ts"])
    seconds = seconds + rules.shift
    ts_codes = np.where(
        (ts_codes == 0) & (seconds > rules.now), REASONS.index("future_date") + 1, ts_codes
    )
    pollutant, pollutant_codes = _pollutants(columns["pollutant"])
    values, value_codes = _values(columns["value"])
    station_codes = _codes(
        (pc.equal(station, "").to_numpy(zero_copy_only=False), "empty"),
        (_unknown(station, rules.known), "unknown_station"),
    )
    per_field = np.stack([station_codes, ts_codes, pollutant_codes, value_codes])
    field = np.argmax(per_field != 0, axis=0)
    code = per_field[field, np.arange(len(field))]
    passed = np.flatnonzero(code == 0)
    code[passed] = _duplicates(
        station.take(passed), pollutant[passed], seconds[passed], values[passed]
    )
    field[passed] = REQUIRED_COLUMNS.index("value")
    kept = np.flatnonzero(code == 0)
    table = pa.Table.from_arrays(
        [
            station.take(kept),
            pa.array(seconds[kept].astype("datetime64[s]")),
            pa.array(np.array(BASIC_POLLUTANTS, dtype=object)[pollutant[kept]], pa.string()),
            pa.array(values[kept]),
            pa.repeat(cells.source, len(kept)).cast(pa.string()),
            pa.array(cells.lines[kept].astype(np.int32)),
        ],
        schema=MEASUREMENT_SCHEMA,
    )
    return _Part(
        source=cells.source,
        table=table,
        flags=_flags(columns.get("flag"), kept),
        rejected=cells.rejected + _rejections(cells, code, field),
        rows=len(cells.lines) + len(cells.rejected),
        encoding=cells.encoding,
    )


def _unknown(station: pa.Array, known: pa.Array | None) -> np.ndarray:
    if known is None:
        return np.zeros(len(station), dtype=bool)
    return pc.invert(pc.is_in(station, value_set=known)).to_numpy(zero_copy_only=False)


def _flags(flag: pa.Array | None, kept: np.ndarray) -> pa.Array:
    if flag is None:
        return pa.nulls(len(kept), pa.string())
    text = _text(flag).take(kept)
    return pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text)


def _rejections(cells: _Cells, code: np.ndarray, field: np.ndarray) -> list[Rejection]:
    rows = np.flatnonzero(code != 0)
    texts = [_text(cells.columns[name]).take(rows).to_pylist() for name in REQUIRED_COLUMNS]
    return [
        Rejection(
            source=cells.source,
            line=int(cells.lines[row]),
            field=cells.headers[REQUIRED_COLUMNS[field[row]]],
            value=texts[field[row]][k],
            reason=REASONS[code[row] - 1],
        )
        for k, row in enumerate(rows)
    ]
