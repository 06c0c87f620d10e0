"""CNEMC's current hourly release (``timepoint,stationcode,…``): the real 2026 files of the shared
reference folder (cnemc/2026/README.md), read at run time, and bad variants of them built here in a
temporary folder; the single rows of ``row()`` are constructed (invented station and values).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lantian.ingest.cnemc_hourly import (
    hourly_ozone_column,
    parse_hourly_release,
    primary_pollutant_ids,
    read_hourly_release,
)
from lantian.ingest.detect import detect_format, read_any
from lantian.ingest.schema import FormatError
from lantian.store import MeasurementStore
from lantian.store.registry import city_of_area
from tests.reference import RELEASE_2026, release_2026

NOW = dt.datetime(2026, 12, 1, 12, 0)
HEADER = (
    "timepoint,stationcode,longitude,latitude,area,positionname,primarypollutant,aqi,pm10,"
    "pm10_24h,pm2_5,pm2_5_24h,o3,o3_24h,o3_8h,o3_8h_24h,no2,no2_24h,so2,so2_24h,co,co_24h"
)
COLUMNS = HEADER.split(",")


def real_lines(name: str = "2026-09-01T00.csv") -> list[str]:
    return release_2026(name).read_text(encoding="utf-8").splitlines()


def as_text(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


def cells(line: str) -> dict[str, str]:
    return dict(zip(COLUMNS, line.split(","), strict=True))


def row(**values: str) -> str:
    """One constructed row (invented station, place and values — not CNEMC's), changed by
    ``values``."""
    base = cells(
        "2026-09-01T0000,9001A,111.6123,26.2345,永州市,示例对照点(对照点),,40,40,30,20,18,40,NA,80,60,"
        "10,8,5,5,0.6,0.6"
    )
    base.update(values)
    return ",".join(base[c] for c in COLUMNS)


# --- the real files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rows", "values", "published_aqi"),
    [
        ("2026-01-20T09.csv", 1597, 9155, 1527),
        ("2026-03-05T09.csv", 1601, 9170, 1531),
        ("2026-09-01T00.csv", 1601, 9323, 1564),
    ],
)
def test_real_release_files_read_whole(name, rows, values, published_aqi):
    """Every row is taken (quoted labels such as "颗粒物(PM10),细颗粒物(PM2.5)" included), every
    present concentration is a measurement, and the published AQI is kept beside them."""
    path = release_2026(name)
    assert detect_format(path) == "cnemc-hourly"
    table, metadata = read_any(path)
    assert metadata["rows"] == rows
    assert metadata["rejected"] == []
    assert table.num_rows == values
    published = metadata["published"]
    assert published.num_rows == rows
    assert published.column("aqi").null_count == rows - published_aqi
    assert metadata["stations"].num_rows == rows
    assert set(pc.unique(table.column("pollutant")).to_pylist()) == {
        "SO2",
        "NO2",
        "CO",
        "O3",
        "PM10",
        "PM2.5",
    }


def test_ozone_column_decided_per_real_file():
    """README: January and September have o3_24h empty and o3 the 1-hour value; March has the two
    columns identical. The decision says so with its counts."""
    decisions = {n: read_hourly_release(release_2026(n))[1]["ozone"] for n in RELEASE_2026}
    columns = {n: next(iter(d.values())) for n, d in decisions.items()}
    assert {n: c for n, (c, _) in columns.items()} == dict.fromkeys(RELEASE_2026, "o3")
    assert "o3 = o3_24h in all 1551 rows" in columns["2026-03-05T09.csv"][1]
    assert "below the 8-hour mean in 1471 of 1578 rows" in columns["2026-09-01T00.csv"][1]


def test_primary_pollutant_labels():
    import pyarrow as pa

    ids, unknown = primary_pollutant_ids(
        pa.array(
            [
                "细颗粒物(PM2.5)",
                "颗粒物(PM10),细颗粒物(PM2.5)",
                "臭氧1小时(O3_1h)",
                "",
                "NA",
                "沙尘",
            ]
        )
    )
    assert ids.to_pylist() == ["PM2.5", "PM10,PM2.5", "O3", "", "", ""]
    assert unknown.tolist() == [False, False, False, False, False, True]


# --- bad inputs, built from the real file -----------------------------------------------------


def test_swapped_ozone_columns_are_detected(write):
    """A file with the columns swapped (o3 = the 24-h maximum, o3_24h = the latest hour) gives the
    same ozone measurements as the original."""
    lines = real_lines()
    swapped = [lines[0]]
    for line in lines[1:]:
        c = cells(line)
        one_hour = c["o3"]
        peaks = [float(c[k]) for k in ("o3", "o3_8h", "o3_8h_24h") if c[k] not in ("NA", "/", "")]
        c["o3_24h"] = one_hour
        c["o3"] = str(int(max(peaks)) + 5) if peaks else "NA"
        swapped.append(",".join(c[k] for k in COLUMNS))
    original, _ = parse_hourly_release(as_text(lines), "original.csv", now=NOW)
    table, metadata = read_hourly_release(write("swapped.csv", as_text(swapped)), now=NOW)
    ((column, evidence),) = metadata["ozone"].values()
    assert column == "o3_24h"
    assert "swapped" in evidence
    o3 = pc.equal(table.column("pollutant"), "O3")
    o3_original = pc.equal(original.column("pollutant"), "O3")
    assert (
        table.filter(o3).column("value").to_pylist()
        == original.filter(o3_original).column("value").to_pylist()
    )
    assert set(metadata["published"].column("o3_column").to_pylist()) == {"o3_24h"}


def test_ozone_columns_that_disagree_both_ways_are_refused():
    o3 = np.array([10.0, 50, 30, 80])
    with pytest.raises(FormatError, match="cannot tell which ozone column"):
        hourly_ozone_column({"o3": o3, "o3_24h": np.array([20.0, 40, 40, 70])}, "f.csv")


def test_only_a_24h_maximum_means_no_hourly_ozone():
    o3_8h = np.arange(100, 200, dtype=float)
    column, _, rejections = hourly_ozone_column(
        {"o3": np.full(100, np.nan), "o3_24h": o3_8h + 20, "o3_8h": o3_8h, "o3_8h_24h": o3_8h},
        "f.csv",
    )
    assert column is None
    assert [r.reason for r in rejections] == ["no_hourly_o3"]


def test_reordered_columns_read_by_name(write):
    """Columns in another order (so2 and no2 swapped in header and data) read by their names."""
    lines = real_lines()
    order = COLUMNS.copy()
    i, j = order.index("so2"), order.index("no2")
    order[i], order[j] = order[j], order[i]
    moved = [",".join(order)] + [",".join(cells(x)[k] for k in order) for x in lines[1:]]
    expected, _ = parse_hourly_release(as_text(lines), "a.csv", now=NOW)
    table, _ = parse_hourly_release(as_text(moved), "b.csv", now=NOW)
    assert table.drop_columns(["source"]).equals(expected.drop_columns(["source"]))


@pytest.mark.parametrize("column", ["pm2_5", "o3", "stationcode", "aqi"])
def test_a_missing_column_refuses_the_file(column):
    lines = real_lines()
    keep = [k for k in COLUMNS if k != column]
    cut = [",".join(keep)] + [",".join(cells(x)[k] for k in keep) for x in lines[1:50]]
    with pytest.raises(FormatError, match=f"line 1: {column}: missing column") as error:
        parse_hourly_release(as_text(cut), "cut.csv", now=NOW)
    assert error.value.source == "cut.csv"


def test_na_slash_and_empty_are_missing_not_rejected():
    text = as_text([HEADER, row(pm2_5="NA", pm10="/", so2="")])
    table, metadata = parse_hourly_release(text, "f.csv", now=NOW)
    assert metadata["rejected"] == []
    assert sorted(table.column("pollutant").to_pylist()) == ["CO", "NO2", "O3"]


def test_bad_cells_are_rejected_with_file_line_and_field():
    text = as_text([HEADER, row(), row(stationcode="2478A", pm2_5="abc", so2="-3")])
    table, metadata = parse_hourly_release(text, "f.csv", now=NOW)
    found = {(r.line, r.field, r.reason, r.value) for r in metadata["rejected"]}
    assert found == {(3, "pm2_5", "not_a_number", "abc"), (3, "so2", "negative", "-3")}
    taken = table.filter(pc.equal(table.column("station_code"), "2478A"))
    assert sorted(taken.column("pollutant").to_pylist()) == ["CO", "NO2", "O3", "PM10"]


def test_a_truncated_file_keeps_whole_lines_and_names_the_cut_one(write):
    """Cut in the middle of a line, and again inside a multi-byte character: the last line is
    refused by number, every line before it is taken."""
    data = release_2026("2026-09-01T00.csv").read_bytes()
    end_of_line_500 = data.index(b"\n", sum(len(x) + 1 for x in data.split(b"\n")[:499]))
    name_start = data.index("市".encode(), end_of_line_500 + 1)
    for cut in (end_of_line_500 + 30, name_start + 1):
        table, metadata = read_hourly_release(write("cut.csv", data[:cut]), now=NOW)
        assert [(r.line, r.reason) for r in metadata["rejected"]] == [(501, "wrong_field_count")]
        assert metadata["published"].num_rows == 499
        assert max(table.column("line").to_pylist()) == 500


def test_future_bad_and_off_the_hour_timepoints():
    text = as_text(
        [
            HEADER,
            row(timepoint="2099-01-01T0000"),
            row(stationcode="2478A", timepoint="2026-09-31T0000"),
            row(stationcode="2479A", timepoint="2026-09-01T0030"),
            row(stationcode="2480A", timepoint="yesterday"),
            row(stationcode=""),
            row(stationcode="2481A"),
        ]
    )
    table, metadata = parse_hourly_release(text, "f.csv", now=NOW)
    assert [(r.line, r.field, r.reason) for r in metadata["rejected"]] == [
        (2, "timepoint", "future_date"),
        (3, "timepoint", "bad_date"),
        (4, "timepoint", "bad_time"),
        (5, "timepoint", "bad_date"),
        (6, "stationcode", "empty"),
    ]
    assert set(table.column("station_code").to_pylist()) == {"2481A"}


def test_a_station_twice_in_one_hour():
    text = as_text(
        [HEADER, row(), row(), row(stationcode="2478A"), row(stationcode="2478A", co="0.9")]
    )
    table, metadata = parse_hourly_release(text, "f.csv", now=NOW)
    assert [(r.line, r.reason) for r in metadata["rejected"]] == [
        (3, "repeated"),
        (4, "duplicate"),
        (5, "duplicate"),
    ]
    assert set(table.column("station_code").to_pylist()) == {"9001A"}
    assert metadata["published"].num_rows == 1


def test_unknown_primary_pollutant_label_is_reported():
    _, metadata = parse_hourly_release(
        as_text([HEADER, row(primarypollutant="沙尘", aqi="120")]), "f.csv", now=NOW
    )
    assert [(r.field, r.reason) for r in metadata["rejected"]] == [
        ("primarypollutant", "unknown_pollutant")
    ]


def test_wrong_field_counts_and_empty_files():
    table, metadata = parse_hourly_release(
        as_text([HEADER, row(), "2026-09-01T0000,2478A,1,2", "", row(stationcode="2479A")]),
        "f.csv",
        now=NOW,
    )
    assert [(r.line, r.reason) for r in metadata["rejected"]] == [(3, "wrong_field_count")]
    assert set(table.column("line").to_pylist()) == {2, 5}
    with pytest.raises(FormatError, match="empty file"):
        parse_hourly_release(b"", "f.csv", now=NOW)
    with pytest.raises(FormatError, match="no data rows"):
        parse_hourly_release(as_text([HEADER]), "f.csv", now=NOW)
    with pytest.raises(FormatError, match="neither UTF-8 nor GB18030"):  # ingest.text.decode_csv
        parse_hourly_release(HEADER.encode() + b"\n\x81\x30\xff\xff\n", "f.csv", now=NOW)


# --- the store: stations from the file, re-import, moved stations -----------------------------


def snapshot(store: MeasurementStore):
    return (
        store.read()
        .drop_columns(["import_id"])
        .sort_by([("station_code", "ascending"), ("pollutant", "ascending"), ("ts", "ascending")]),
        store.stations(),
        store.published(),
    )


def import_release(store: MeasurementStore, *paths, now=NOW):
    tables, stations, published, files = [], [], [], []
    import pyarrow as pa

    for path in paths:
        table, metadata = read_hourly_release(path, now=now)
        tables.append(table)
        stations.append(metadata["stations"])
        published.append(metadata["published"])
        files += metadata["files"]
    return store.import_measurements(
        pa.concat_tables(tables),
        files=files,
        stations=pa.concat_tables(stations),
        published=pa.concat_tables(published),
        city_names=["永州", "阿坝州", "海东地区"],
    )


def test_reimporting_a_file_changes_nothing(tmp_path):
    store = MeasurementStore(tmp_path / "store")
    first = import_release(store, release_2026("2026-09-01T00.csv"))
    assert first.added == 9323
    assert first.stations_added == 1601
    assert first.published == {"added": 1601, "unchanged": 0, "replaced": 0}
    before = snapshot(store)
    again = import_release(store, release_2026("2026-09-01T00.csv"))
    assert (again.added, again.replaced, again.unchanged, again.stations_added) == (0, 0, 9323, 0)
    assert again.published == {"added": 0, "unchanged": 1601, "replaced": 0}
    assert [r for r in again.rejected] == []
    after = snapshot(store)
    assert all(a.equals(b) for a, b in zip(before, after, strict=True))


def test_stations_are_registered_from_the_file_with_their_city_and_first_hour(tmp_path):
    store = MeasurementStore(tmp_path / "store")
    import_release(store, release_2026("2026-09-01T00.csv"))
    registry = {r["station_code"]: r for r in store.stations().to_pylist()}
    yongzhou = sorted(c for c, r in registry.items() if r["city"] == "永州")
    assert yongzhou == ["2478A", "2480A", "2481A", "4299A"]
    assert registry["4299A"]["active_from"] == dt.date(2026, 8, 31)  # 09-01 00:00 ends 08-31
    assert registry["4299A"]["last_seen"] == dt.datetime(2026, 9, 1, 0)
    assert registry["4299A"]["evaluation"]
    assert not registry["4299A"]["control_point"]
    assert registry["2568A"]["city"] == "阿坝州"


def test_a_control_point_is_known_from_its_name(tmp_path, write):
    store = MeasurementStore(tmp_path / "store")
    import_release(store, write("cp.csv", as_text([HEADER, row()])))
    (station,) = store.stations().to_pylist()
    assert station["control_point"]
    assert not station["evaluation"]
    assert station["name"] == "示例对照点(对照点)"
    assert station["city"] == "永州"


def test_a_station_whose_coordinates_change(tmp_path, write):
    """Two hours, the station moved ~1 km between them: a notice names the later file and line, the
    registry takes the latest coordinates, no measurement is lost; importing the earlier hour
    afterwards does not move the station back."""
    store = MeasurementStore(tmp_path / "store")
    first = write("a.csv", as_text([HEADER, row()]))
    later = write(
        "b.csv", as_text([HEADER, row(timepoint="2026-09-01T0100", longitude="111.6223")])
    )
    summary = import_release(store, first, later)
    assert [(r.source, r.line, r.reason) for r in summary.rejected] == [
        (str(later), 2, "station_moved")
    ]
    assert "111.6123,26.2345 → 111.6223,26.2345" in summary.rejected[0].value
    assert summary.added == 12
    assert store.stations().column("longitude").to_pylist() == [111.6223]
    import_release(store, first)
    assert store.stations().column("longitude").to_pylist() == [111.6223]


def test_city_of_area():
    import pyarrow as pa

    names = ["永州", "阿坝州", "临夏州", "海东地区", "兴安盟"]
    empty = pa.table({"area": pa.array([], pa.string()), "city": pa.array([], pa.string())})
    assert city_of_area(
        [
            "永州市",
            "阿坝藏族羌族自治州",
            "临夏回族自治州",
            "海东市",
            "兴安盟",
            "新城市",
            "和田地区",
        ],
        empty,
        names,
    ) == {
        "永州市": "永州",
        "阿坝藏族羌族自治州": "阿坝州",
        "临夏回族自治州": "临夏州",
        "海东市": "海东地区",
        "兴安盟": "兴安盟",
        "新城市": "新城",
        "和田地区": "和田地区",
    }


# --- property: no row lost, values as written -------------------------------------------------

value_cells = st.one_of(
    st.sampled_from(["NA", "/", ""]),
    st.integers(0, 2000).map(str),
    st.floats(0, 50, allow_nan=False).map(lambda x: f"{x:.1f}"),
)
station_rows = st.lists(
    st.tuples(
        st.from_regex(r"[0-9]{4}A", fullmatch=True),
        st.lists(value_cells, min_size=5, max_size=5),
    ),
    min_size=1,
    max_size=30,
    unique_by=lambda r: r[0],
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(station_rows)
def test_property_every_number_is_taken_once(rows):
    lines = [HEADER] + [
        row(
            stationcode=code,
            pm10=v[0],
            pm2_5=v[1],
            no2=v[2],
            so2=v[3],
            co=v[4],
            o3="NA",
            o3_8h="NA",
        )
        for code, v in rows
    ]
    table, metadata = parse_hourly_release(as_text(lines), "p.csv", now=NOW)
    expected = sorted(
        (code, pollutant, float(text))
        for code, v in rows
        for pollutant, text in zip(("PM10", "PM2.5", "NO2", "SO2", "CO"), v, strict=True)
        if text not in ("NA", "/", "")
    )
    got = sorted(
        zip(
            table.column("station_code").to_pylist(),
            table.column("pollutant").to_pylist(),
            table.column("value").to_pylist(),
            strict=True,
        )
    )
    assert got == expected
    assert metadata["rejected"] == []
    assert metadata["published"].num_rows == len(rows)
