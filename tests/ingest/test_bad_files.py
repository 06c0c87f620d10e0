"""The bad-file corpus (tests/data/bad/README.md): each fault gets its message naming file, line, field."""

from __future__ import annotations

from pathlib import Path

import pytest

from lantian.demo import STATION_LIST, demo_file
from lantian.ingest.schema import FormatError
from lantian.ingest.stations import read_station_list
from lantian.ingest.tidy import read_tidy
from tests.ingest.helpers import NOW

BAD = Path(__file__).parents[1] / "data" / "bad"


@pytest.fixture(scope="module")
def national_stations() -> set[str]:
    """The 1,641 codes of the national station list (2020-01-01), read from the reference data."""
    table, _ = read_station_list(demo_file(STATION_LIST))
    return set(table["station_code"].to_pylist())


def rejections(name: str, **options) -> list[str]:
    options.setdefault("now", NOW)
    _, metadata = read_tidy(BAD / name, **options)
    return [str(r) for r in metadata["rejected"]]


def test_truncated_csv_rejects_the_cut_line_and_keeps_the_rest():
    table, metadata = read_tidy(BAD / "truncated.csv", now=NOW)
    assert table["line"].to_pylist() == [2, 3, 4, 5, 6, 7]
    assert [str(r) for r in metadata["rejected"]] == [
        f"{BAD / 'truncated.csv'}: line 8: value: wrong_field_count ('2478A,2019-01-01 01:00,PM2')"
    ]


def test_wrong_header_csv():
    with pytest.raises(FormatError) as raised:
        read_tidy(BAD / "wrong_header.csv")
    assert str(raised.value).startswith(
        f"{BAD / 'wrong_header.csv'}: line 1: station: unknown column"
    )


def test_gbk_csv_is_read_and_its_chinese_cells_quoted_correctly():
    table, metadata = read_tidy(BAD / "gbk.csv", now=NOW)
    assert metadata["encodings"] == {str(BAD / "gbk.csv"): "gb18030"}
    assert table.select(["station_code", "pollutant", "value"]).to_pylist() == [
        {"station_code": "2479A", "pollutant": "PM2.5", "value": 52.0},
        {"station_code": "2479A", "pollutant": "PM10", "value": 80.0},
        {"station_code": "2479A", "pollutant": "PM10", "value": 77.0},
    ]
    assert metadata["flags"].to_pylist() == [None, None, "审核"]
    assert rejections("gbk.csv") == [f"{BAD / 'gbk.csv'}: line 4: 浓度: not_a_number ('无效')"]


def test_duplicate_hours():
    path = BAD / "duplicate_hours.csv"
    assert rejections("duplicate_hours.csv") == [
        f"{path}: line 2: value: duplicate ('48')",
        f"{path}: line 8: value: duplicate ('50')",
        f"{path}: line 9: value: repeated ('9')",
    ]


def test_text_in_number_cells():
    path = BAD / "text_in_numbers.csv"
    assert rejections("text_in_numbers.csv") == [
        f"{path}: line 3: value: not_a_number ('—')",
        f"{path}: line 4: value: not_a_number ('N/A')",
        f"{path}: line 5: value: not_a_number ('1,024')",
        f"{path}: line 6: value: not_a_number ('0.8mg')",
    ]


def test_dates_in_the_future():
    assert rejections("future_dates.csv") == [
        f"{BAD / 'future_dates.csv'}: line 3: ts: future_date ('2099-01-01 01:00')"
    ]


def test_unknown_stations_against_the_national_list(national_stations):
    assert "2477A" in national_stations
    assert rejections("unknown_stations.csv", known_stations=national_stations) == [
        f"{BAD / 'unknown_stations.csv'}: line 3: station_code: unknown_station ('9999Z')"
    ]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.csv", "empty.csv: empty file"),
        (
            "non_csv_member.zip",
            "non_csv_member.zip!说明.docx: not a .csv, .parquet or .xlsx member",
        ),
        ("truncated.xlsx", "truncated.xlsx: truncated or damaged .xlsx workbook"),
        ("wrong_header.xlsx", "wrong_header.xlsx: line 1: 站点: unknown column '站点'"),
    ],
)
def test_whole_file_faults_are_format_errors(name, message):
    with pytest.raises(FormatError) as raised:
        read_tidy(BAD / name)
    assert str(raised.value).startswith(f"{BAD}/{message}")


def test_every_corpus_file_is_tested():
    tested = {
        "truncated.csv",
        "wrong_header.csv",
        "gbk.csv",
        "duplicate_hours.csv",
        "text_in_numbers.csv",
        "future_dates.csv",
        "unknown_stations.csv",
        "empty.csv",
        "non_csv_member.zip",
        "truncated.xlsx",
        "wrong_header.xlsx",
    }
    corpus = {p.name for p in BAD.iterdir() if p.suffix not in {".py", ".md"}}
    assert corpus == tested
    readme = (BAD / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}`" in readme for name in corpus)
