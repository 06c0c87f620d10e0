"""Property tests of the tidy reader (hypothesis): round trips, robustness, no row lost."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lantian.ingest.schema import FormatError
from lantian.ingest.tidy import parse_tidy
from lantian.standards.pollutants import BASIC_POLLUTANTS
from tests.ingest.helpers import HEADER, NOW, YONGZHOU_HOUR, xlsx_bytes

FIRST_HOUR = dt.datetime(2019, 1, 1, 1)
STATIONS = ("2477A", "2478A", "2479A", "2480A", "2481A", "1001A", "3207A")
TS_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M")
SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

keys = st.tuples(
    st.sampled_from(STATIONS), st.integers(0, 24 * 366 * 2), st.sampled_from(BASIC_POLLUTANTS)
)
values = st.floats(min_value=0, max_value=1e5, allow_nan=False, allow_infinity=False)
valid_rows = st.lists(st.tuples(keys, values), unique_by=lambda row: row[0], max_size=60)


def expected(rows) -> list[tuple]:
    return sorted(
        (station, FIRST_HOUR + dt.timedelta(hours=hour), pollutant, value)
        for (station, hour, pollutant), value in rows
    )


def as_read(table: pa.Table) -> list[tuple]:
    return sorted(
        zip(
            *(table[c].to_pylist() for c in ("station_code", "ts", "pollutant", "value")),
            strict=True,
        )
    )


@SETTINGS
@given(rows=valid_rows, ts_format=st.sampled_from(TS_FORMATS), crlf=st.booleans())
def test_csv_round_trip(rows, ts_format, crlf):
    lines = [
        f"{s},{(FIRST_HOUR + dt.timedelta(hours=h)).strftime(ts_format)},{p},{v!r}"
        for (s, h, p), v in rows
    ]
    text = ("\r\n" if crlf else "\n").join([HEADER.strip(), *lines]) + "\n"
    table, metadata = parse_tidy(text.encode(), "t.csv", now=NOW)
    assert as_read(table) == expected(rows)
    assert metadata["rejected"] == []


@SETTINGS
@given(rows=valid_rows)
def test_parquet_round_trip(rows):
    stations, hours, pollutants = ([key[i] for key, _ in rows] for i in range(3))
    numbers = [value for _, value in rows]
    source = pa.table(
        {
            "station_code": pa.array(stations, pa.string()),
            "ts": pa.array([FIRST_HOUR + dt.timedelta(hours=h) for h in hours], pa.timestamp("s")),
            "pollutant": pa.array(pollutants, pa.string()),
            "value": pa.array(numbers, pa.float64()),
        }
    )
    buffer = io.BytesIO()
    pq.write_table(source, buffer)
    table, metadata = parse_tidy(buffer.getvalue(), "t.parquet", now=NOW)
    assert as_read(table) == expected(rows)
    assert metadata["rejected"] == []


#: Excel keeps 15 significant digits; hourly concentrations have at most 3 decimals.
excel_values = st.integers(0, 10**8).map(lambda thousandths: thousandths / 1000)


@settings(max_examples=15, deadline=None)
@given(
    rows=st.lists(st.tuples(keys, excel_values), unique_by=lambda row: row[0], max_size=60),
    ts_as_text=st.booleans(),
)
def test_xlsx_round_trip(rows, ts_as_text):
    cells = [
        [
            s,
            str(FIRST_HOUR + dt.timedelta(hours=h))
            if ts_as_text
            else FIRST_HOUR + dt.timedelta(hours=h),
            p,
            v,
        ]
        for (s, h, p), v in rows
    ]
    data = xlsx_bytes([["station_code", "ts", "pollutant", "value"], *cells])
    table, metadata = parse_tidy(data, "t.xlsx", now=NOW)
    assert as_read(table) == expected(rows)
    assert metadata["rejected"] == []


def _reads_or_format_error(data: bytes, name: str) -> None:
    try:
        table, metadata = parse_tidy(data, name, now=NOW)
    except FormatError as error:
        message = str(error)
        assert message.startswith(name), message
    else:
        assert table.num_rows + len(metadata["rejected"]) == metadata["rows"]


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400))
def test_any_bytes_parse_or_raise_format_error(data):
    _reads_or_format_error(data, "fuzz.csv")
    _reads_or_format_error(HEADER.encode() + data, "fuzz.csv")


def _valid_files() -> dict[str, bytes]:
    text = HEADER + YONGZHOU_HOUR
    parquet = io.BytesIO()
    pq.write_table(
        pa.table(
            {
                "station_code": ["2477A"],
                "ts": ["2019-01-01 01:00"],
                "pollutant": ["O3"],
                "value": [1.0],
            }
        ),
        parquet,
    )
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("a.csv", text)
    rows = [line.split(",") for line in text.split()]
    return {
        "f.csv": text.encode(),
        "f.parquet": parquet.getvalue(),
        "f.zip": archive.getvalue(),
        "f.xlsx": xlsx_bytes(rows),
    }


VALID_FILES = _valid_files()


def test_a_parquet_column_name_that_is_not_utf8_is_a_format_error():
    """Found by the property below in CI: a flipped byte in the footer's column name escaped as a
    UnicodeDecodeError from pyarrow's ``column_names``."""
    data = bytearray(VALID_FILES["f.parquet"])
    where = data.index(b"pollutant")  # the footer's schema element
    data[where + 1] = 0x80
    with pytest.raises(FormatError, match=r"^f\.parquet.*damaged Parquet"):
        parse_tidy(bytes(data), "f.parquet", now=NOW)


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(sorted(VALID_FILES)),
    cut=st.floats(0, 1),
    flips=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=4),
)
def test_truncated_or_corrupted_files_parse_or_raise_format_error(name, cut, flips):
    data = bytearray(VALID_FILES[name])
    for where, byte in flips:
        data[int(where * (len(data) - 1))] = byte
    _reads_or_format_error(bytes(data[: int(cut * len(data))]), name)


good_cells = {
    "station_code": st.sampled_from(STATIONS),
    "ts": st.sampled_from(["2019-01-01 01:00", "2019/01/01 02:00", "2019-01-01 03:00:00"]),
    "pollutant": st.sampled_from([*BASIC_POLLUTANTS, "pm25", "so2 "]),
    "value": st.sampled_from(["1", "2.5", "0", "48"]),
}
bad_cells = {
    "station_code": st.sampled_from(["", "9999Z"]),
    "ts": st.sampled_from(["", "2019-01-01 01:30", "2019-02-30 01:00", "2099-01-01 01:00", "x"]),
    "pollutant": st.sampled_from(["", "PM1", "AQI"]),
    "value": st.sampled_from(["", "NaN", "-1", "abc", '"1,5"']),
}
any_row = st.fixed_dictionaries(
    {column: st.one_of(good, bad_cells[column]) for column, good in good_cells.items()}
)


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(any_row, max_size=40), short=st.lists(st.booleans(), max_size=40))
def test_rejected_plus_accepted_rows_are_the_input_rows(rows, short):
    cut = short + [False] * len(rows)  # a short row lacks its value field
    lines = [",".join(list(row.values())[: 3 if cut[i] else 4]) for i, row in enumerate(rows)]
    text = HEADER + "".join(line + "\n" for line in lines)
    table, metadata = parse_tidy(text.encode(), "t.csv", now=NOW, known_stations=STATIONS)
    assert metadata["rows"] == len(rows)
    seen = table["line"].to_pylist() + [r.line for r in metadata["rejected"]]
    assert sorted(seen) == list(range(2, len(rows) + 2))  # every data line once
