"""Every rule of the tidy format (docs/formats.md), one test or parameter set each, on Yongzhou data.

Reference values are the cells written in each test: the reader must return them unchanged, with
``ts`` the end of the hour in Beijing time, or reject the row with the documented reason.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from lantian.ingest.schema import MEASUREMENT_SCHEMA, FormatError
from lantian.ingest.tidy import HOUR_CONVENTIONS, parse_tidy, read_tidy
from tests.ingest.helpers import HEADER, NOW, YONGZHOU_HOUR


def parse(text: str, **options):
    options.setdefault("now", NOW)
    return parse_tidy(text.encode("utf-8"), "yongzhou.csv", **options)


def one_row(station="2477A", ts="2019-01-01 01:00", pollutant="PM2.5", value="48", **options):
    """Read a file of one data row; return (accepted rows, rejections)."""
    table, metadata = parse(HEADER + f"{station},{ts},{pollutant},{value}\n", **options)
    return table.to_pylist(), metadata["rejected"]


def reasons(metadata) -> list[tuple[int, str, str]]:
    return [(r.line, r.field, r.reason) for r in metadata["rejected"]]


def test_an_hour_of_the_six_pollutants_is_read_in_the_measurement_schema():
    table, metadata = parse(HEADER + YONGZHOU_HOUR)
    assert table.schema == MEASUREMENT_SCHEMA
    assert table.column("pollutant").to_pylist() == ["PM2.5", "PM10", "SO2", "NO2", "CO", "O3"]
    assert table.column("value").to_pylist() == [48, 71, 9, 31, 0.9, 22]
    assert set(table.column("ts").to_pylist()) == {dt.datetime(2019, 1, 1, 1)}
    assert table.column("line").to_pylist() == [2, 3, 4, 5, 6, 7]  # the header is line 1
    assert set(table.column("source").to_pylist()) == {"yongzhou.csv"}
    assert metadata["rows"] == 6
    assert metadata["rejected"] == []
    assert metadata["files"] == ["yongzhou.csv"]
    assert metadata["hour_convention"] == "ending"
    assert metadata["flags"].null_count == 6


def test_chinese_headers_in_any_order_with_spaces_around():
    text = " 污染物 ,浓度,站点编码, 时间,标记\nPM2.5,48,2477A,2019-01-01 01:00,H\n"
    table, metadata = parse(text)
    assert table.select(["station_code", "pollutant", "value"]).to_pylist() == [
        {"station_code": "2477A", "pollutant": "PM2.5", "value": 48.0}
    ]
    assert metadata["flags"].to_pylist() == ["H"]


def test_flag_column_is_passed_through_aligned_with_the_accepted_rows():
    text = "station_code,ts,pollutant,value,flag\n"
    text += "2477A,2019-01-01 01:00,PM2.5,48,\n2477A,2019-01-01 01:00,PM10,x,B\n"
    text += "2477A,2019-01-01 01:00,SO2,9,审核\n"
    table, metadata = parse(text)
    assert table.column("pollutant").to_pylist() == ["PM2.5", "SO2"]
    assert metadata["flags"].to_pylist() == [None, "审核"]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("station_code,ts,pollutant", "value"),
        ("station_code,time,pollutant,value", "time"),
        ("Station_Code,ts,pollutant,value", "Station_Code"),  # names are exact
        ("station_code,ts,pollutant,value,站点编码", "站点编码"),  # the same column twice
        ("station_code;ts;pollutant;value", "station_code;ts;pollutant;value"),
    ],
)
def test_header_problems_are_format_errors_naming_file_line_and_field(header, field):
    with pytest.raises(FormatError) as raised:
        parse(header + "\n2477A,2019-01-01 01:00,PM2.5,48\n")
    assert (raised.value.source, raised.value.line, raised.value.field) == (
        "yongzhou.csv",
        1,
        field,
    )
    assert str(raised.value).startswith(f"yongzhou.csv: line 1: {field}: ")


def test_a_semicolon_separated_file_gets_a_hint():
    with pytest.raises(FormatError, match="separator"):
        parse("station_code;ts;pollutant;value\n2477A;2019-01-01 01:00;PM2.5;48\n")


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        ("2019-01-01 01:00", dt.datetime(2019, 1, 1, 1)),
        ("2019-01-01 01:00:00", dt.datetime(2019, 1, 1, 1)),
        ("2019/01/01 01:00", dt.datetime(2019, 1, 1, 1)),
        ("2019/1/1 1:00", dt.datetime(2019, 1, 1, 1)),
        ("2019-01-01T01:00:00", dt.datetime(2019, 1, 1, 1)),
        (" 2019-01-01 01:00 ", dt.datetime(2019, 1, 1, 1)),
        ("2019-01-01 24:00", dt.datetime(2019, 1, 2, 0)),  # end of the natural day 2019-01-01
        ("2019-12-31 24:00", dt.datetime(2020, 1, 1, 0)),
        ("2020-02-29 13:00", dt.datetime(2020, 2, 29, 13)),  # leap day
    ],
)
def test_accepted_time_stamps(ts, expected):
    rows, rejected = one_row(ts=ts)
    assert rejected == []
    assert rows[0]["ts"] == expected


@pytest.mark.parametrize(
    ("ts", "reason"),
    [
        ("2019-01-01 01:30", "bad_time"),
        ("2019-01-01 01:00:30", "bad_time"),
        ("2019-01-01 01:00:00.5", "bad_time"),
        ("2019-01-01 25:00", "bad_time"),
        ("2019-01-01 24:30", "bad_time"),
        ("2019-02-29 01:00", "bad_date"),  # not a leap year
        ("2019-02-30 01:00", "bad_date"),
        ("2019-13-01 01:00", "bad_date"),
        ("2019-00-10 01:00", "bad_date"),
        ("01/01/2019 01:00", "bad_date"),
        ("2019-01-01", "bad_date"),  # no hour
        ("20190101 01", "bad_date"),
        ("昨天", "bad_date"),
        ("", "empty"),
    ],
)
def test_rejected_time_stamps(ts, reason):
    rows, rejected = one_row(ts=ts)
    assert rows == []
    assert [(r.line, r.field, r.value, r.reason) for r in rejected] == [
        (2, "ts", ts.strip(), reason)
    ]


def test_hour_beginning_files_are_shifted_to_the_end_of_the_hour():
    text = HEADER + "2477A,2019-01-01 00:00,PM2.5,48\n2477A,2019-12-31 23:00,PM2.5,40\n"
    table, metadata = parse(text, hour_convention="beginning")
    assert table.column("ts").to_pylist() == [dt.datetime(2019, 1, 1, 1), dt.datetime(2020, 1, 1)]
    assert metadata["hour_convention"] == "beginning"


def test_an_unknown_hour_convention_lists_the_valid_ones():
    with pytest.raises(ValueError, match="ending, beginning"):
        parse(HEADER, hour_convention="middle")
    assert set(HOUR_CONVENTIONS) == {"ending", "beginning"}


@pytest.mark.parametrize(
    ("written", "pollutant"),
    [
        ("PM2.5", "PM2.5"),
        ("PM25", "PM2.5"),
        ("pm2.5", "PM2.5"),
        ("PM2.5 ", "PM2.5"),
        (" pm 2.5", "PM2.5"),
        ("PM2_5", "PM2.5"),
        ("PM₂.₅", "PM2.5"),
        ("pm10", "PM10"),
        ("so2", "SO2"),
        ("SO₂", "SO2"),
        ("No2", "NO2"),
        ("co", "CO"),
        ("O₃", "O3"),
    ],
)
def test_pollutant_aliases_are_normalised(written, pollutant):
    rows, rejected = one_row(pollutant=written)
    assert rejected == []
    assert rows[0]["pollutant"] == pollutant


@pytest.mark.parametrize(
    "written", ["PM1.0", "PM1", "AQI", "NOx", "O3_8h", "二氧化硫", "PM2.5_24h"]
)
def test_unknown_pollutants_are_rejected(written):
    rows, rejected = one_row(pollutant=written)
    assert rows == []
    assert [(r.field, r.value, r.reason) for r in rejected] == [
        ("pollutant", written, "unknown_pollutant")
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("48", 48.0), ("48.25", 48.25), ("0", 0.0), ("1e2", 100.0), (" 7 ", 7.0), ("+3", 3.0)],
)
def test_accepted_values(value, expected):
    rows, rejected = one_row(value=value)
    assert rejected == []
    assert rows[0]["value"] == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "empty"),
        ("NaN", "empty"),
        ("nan", "empty"),
        ("-3", "negative"),
        ("-0.1", "negative"),
        ("abc", "not_a_number"),
        ("—", "not_a_number"),
        ('"12,5"', "not_a_number"),
        ("inf", "not_a_number"),
        ("1e999", "not_a_number"),
        ("48μg", "not_a_number"),
    ],
)
def test_rejected_values(value, reason):
    rows, rejected = one_row(value=value)
    assert rows == []
    assert [(r.line, r.field, r.reason) for r in rejected] == [(2, "value", reason)]


def test_future_stamps_are_rejected_against_now_after_the_hour_convention():
    now = dt.datetime(2019, 1, 1, 12, 0)
    text = HEADER + "2477A,2019-01-01 12:00,O3,80\n2477A,2019-01-01 13:00,O3,81\n"
    _, metadata = parse(text, now=now)
    assert reasons(metadata) == [(3, "ts", "future_date")]
    _, metadata = parse(text, now=now, hour_convention="beginning")  # 12:00 → 13:00
    assert reasons(metadata) == [(2, "ts", "future_date"), (3, "ts", "future_date")]


def test_an_aware_now_is_converted_to_beijing_time():
    now_utc = dt.datetime(2019, 1, 1, 4, 0, tzinfo=dt.UTC)  # = 12:00 Beijing
    text = HEADER + "2477A,2019-01-01 12:00,O3,80\n2477A,2019-01-01 13:00,O3,81\n"
    _, metadata = parse(text, now=now_utc)
    assert reasons(metadata) == [(3, "ts", "future_date")]


def test_default_now_is_the_current_time():
    text = HEADER + "2477A,2019-01-01 12:00,O3,80\n2477A,2099-01-01 13:00,O3,81\n"
    _, metadata = parse_tidy(text.encode(), "yongzhou.csv")
    assert reasons(metadata) == [(3, "ts", "future_date")]


def test_unknown_stations_are_rejected_only_when_a_station_set_is_given():
    text = (
        HEADER
        + "2477A,2019-01-01 01:00,PM2.5,48\n9999Z,2019-01-01 01:00,PM2.5,48\n,2019-01-01 01:00,PM2.5,1\n"
    )
    _, metadata = parse(text, known_stations={"2477A", "2478A"})
    assert reasons(metadata) == [
        (3, "station_code", "unknown_station"),
        (4, "station_code", "empty"),
    ]
    _, metadata = parse(text)
    assert reasons(metadata) == [(4, "station_code", "empty")]


def test_duplicate_hours_with_different_values_are_both_rejected():
    text = HEADER + YONGZHOU_HOUR + "2477A,2019-01-01 01:00,PM2.5,50\n"
    table, metadata = parse(text)
    assert reasons(metadata) == [(2, "value", "duplicate"), (8, "value", "duplicate")]
    assert "PM2.5" not in table.column("pollutant").to_pylist()


def test_the_same_value_twice_is_kept_once():
    text = (
        HEADER + YONGZHOU_HOUR + "2477A,2019-01-01 01:00,pm2.5,48.0\n"
    )  # same key once normalised
    table, metadata = parse(text)
    assert reasons(metadata) == [(8, "value", "repeated")]
    assert table.num_rows == 6
    assert table.filter(pa.compute.equal(table["pollutant"], "PM2.5"))["line"].to_pylist() == [2]


def test_duplicates_are_judged_after_the_hour_convention_and_among_valid_rows_only():
    text = HEADER + "2477A,2019-01-01 24:00,SO2,9\n2477A,2019-01-02 00:00,SO2,8\n"
    _, metadata = parse(text)
    assert reasons(metadata) == [(2, "value", "duplicate"), (3, "value", "duplicate")]
    text = HEADER + "2477A,2019-01-01 01:00,SO2,-9\n2477A,2019-01-01 01:00,SO2,9\n"
    table, metadata = parse(text)
    assert reasons(metadata) == [(2, "value", "negative")]
    assert table["value"].to_pylist() == [9.0]


def test_a_row_gets_one_reason_the_first_failing_field():
    _, rejected = one_row(station="", ts="bad", pollutant="XX", value="-1")
    assert [(r.field, r.reason) for r in rejected] == [("station_code", "empty")]
    _, rejected = one_row(ts="bad", pollutant="XX", value="-1")
    assert [(r.field, r.reason) for r in rejected] == [("ts", "bad_date")]


def test_rows_with_a_wrong_number_of_fields_are_rejected_naming_the_first_missing_field():
    text = HEADER + "2477A,2019-01-01 01:00,PM2.5\n2477A,2019-01-01 01:00,PM10,71,extra\n"
    _, metadata = parse(text)
    assert reasons(metadata) == [
        (2, "value", "wrong_field_count"),
        (3, "column 5", "wrong_field_count"),
    ]


def test_line_numbers_count_blank_lines_crlf_and_quoted_newlines():
    text = (
        "\r\nstation_code,ts,pollutant,value\r\n"  # line 2: header after a blank line
        "2477A,2019-01-01 01:00,PM2.5,48\r\n\r\n"  # line 3, blank line 4
        '"2477A","2019-01-01 01:00","PM10","7\n1"\r\n'  # lines 5–6: a quoted newline
        "2477A,2019-01-01 01:00,SO2,-9\r\n"  # line 7
    )
    table, metadata = parse(text)
    assert table["line"].to_pylist() == [3]
    assert reasons(metadata) == [(5, "value", "not_a_number"), (7, "value", "negative")]


def test_utf8_with_bom_and_gbk_are_decoded():
    text = "站点编码,时间,污染物,浓度,标记\n2479A,2019/01/01 01:00,PM2.5,52,仪器维护\n"
    for data, encoding in [
        (b"\xef\xbb\xbf" + text.encode("utf-8"), "utf-8-sig"),
        (text.encode("utf-8"), "utf-8"),
        (text.encode("gbk"), "gb18030"),
        (text.encode("gb18030"), "gb18030"),
    ]:
        table, metadata = parse_tidy(data, "f.csv", now=NOW)
        assert table["value"].to_pylist() == [52.0]
        assert metadata["flags"].to_pylist() == ["仪器维护"]
        assert metadata["encodings"] == {"f.csv": encoding}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty file"),
        (b"\n\r\n  \n", "empty file"),
        ("站点编码,时间".encode("utf-16"), "UTF-16"),
        (b"station_code,ts\x00,pollutant,value\n", "NUL"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), r"\.xls"),
        (b"station_code,ts,pollutant,value\n\x81\x30\xff\xff,1,2,3\n", "neither UTF-8 nor GB18030"),
    ],
)
def test_unreadable_text_is_a_format_error_naming_the_file(data, message):
    with pytest.raises(FormatError, match=message) as raised:
        parse_tidy(data, "yongzhou.csv")
    assert str(raised.value).startswith("yongzhou.csv")


def test_an_unbalanced_quote_names_its_line():
    text = (
        HEADER + YONGZHOU_HOUR + '2477A,2019-01-01 02:00,PM"2.5,48\n2477A,2019-01-01 02:00,SO2,9\n'
    )
    with pytest.raises(FormatError, match="quotes") as raised:
        parse(text)
    assert raised.value.line == 8


def test_a_header_without_rows_is_an_empty_table():
    table, metadata = parse(HEADER)
    assert table.num_rows == 0
    assert table.schema == MEASUREMENT_SCHEMA
    assert metadata["rows"] == 0


def test_read_tidy_names_a_missing_file():
    with pytest.raises(FormatError, match=r"no_such\.csv"):
        read_tidy("no_such.csv")


def test_content_not_the_name_decides_the_format(write, tmp_path):
    path = write("data.txt", HEADER + YONGZHOU_HOUR)
    table, _ = read_tidy(path, now=NOW)
    assert table.num_rows == 6
    for suffix in (".xlsx", ".parquet", ".zip"):
        with pytest.raises(FormatError, match=f"not a \\{suffix} file"):
            read_tidy(write("data" + suffix, HEADER + YONGZHOU_HOUR))


def test_a_quote_left_open_names_its_line():
    text = HEADER + YONGZHOU_HOUR + '2477A,2019-01-01 02:00,SO2,"9\n2477A,2019-01-01 02:00,NO2,30\n'
    with pytest.raises(FormatError, match="quotes") as raised:
        parse(text)
    assert raised.value.line == 8
