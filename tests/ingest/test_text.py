"""``lantian.ingest.text.decode_csv``: the one decoder of user-made CSV bytes, shared by the tidy
measurement reader, the source registers (``ingest.sheets`` used tidy's private ``_decode``) and
the CNEMC readers (which stripped the BOM themselves, and refused a file saved again as GB18030).
The CNEMC rows here are constructed (invented stations and values), not CNEMC's."""

from __future__ import annotations

import datetime as dt

import pytest

from lantian.ingest import cnemc, cnemc_hourly, sheets, tidy
from lantian.ingest.cnemc import CnemcFormatError, parse_station_file
from lantian.ingest.cnemc_hourly import parse_hourly_release
from lantian.ingest.schema import FormatError
from lantian.ingest.text import decode_csv

TEXT = "监测点编码,城市\n2478A,永州\n"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gb18030"), "gb18030"),
    ],
)
def test_utf8_with_or_without_bom_and_gbk_become_the_same_text(data, encoding):
    assert decode_csv("站点.csv", data) == (TEXT.encode("utf-8"), encoding)


def test_utf8_cut_inside_its_last_character_stays_utf8():
    data = TEXT.encode("utf-8")[:-3]  # 州 cut after its first byte
    assert decode_csv("站点.csv", data) == (data[:-1], "utf-8")
    with pytest.raises(FormatError, match="neither UTF-8 nor GB18030"):
        decode_csv("站点.csv", b"a,b\n\x81\x30\xff\xff,1\n")


def test_utf16_and_binary_are_refused_naming_the_file_and_line():
    with pytest.raises(FormatError, match=r"站点\.csv: UTF-16"):
        decode_csv("站点.csv", TEXT.encode("utf-16"))
    with pytest.raises(FormatError, match=r"站点\.csv: line 2: binary"):
        decode_csv("站点.csv", b"a,b\n1,\x00\n")


def test_every_csv_reader_decodes_through_it():
    for reader in (tidy, sheets, cnemc, cnemc_hourly):
        assert reader.decode_csv is decode_csv, reader.__name__


DAILY = "date,hour,type,9001A,9002A\n20191201,1,PM2.5,30,41\n20191201,1,PM10,50,\n"
"""A constructed CNEMC daily file (the layout of china_sites_YYYYMMDD.csv; invented values)."""
HOURLY = (
    "timepoint,stationcode,longitude,latitude,area,positionname,primarypollutant,aqi,pm10,"
    "pm10_24h,pm2_5,pm2_5_24h,o3,o3_24h,o3_8h,o3_8h_24h,no2,no2_24h,so2,so2_24h,co,co_24h\n"
    "2026-09-01T0100,9001A,111.6,26.2,永州市,示例点,,40,40,30,20,18,40,NA,80,60,10,8,5,5,0.6,0.6\n"
)
"""A constructed row of CNEMC's current hourly release (invented station and values)."""


def encodings(text: str) -> list[bytes]:
    return [text.encode("utf-8"), b"\xef\xbb\xbf" + text.encode("utf-8"), text.encode("gb18030")]


def test_a_cnemc_daily_file_reads_alike_in_utf8_bom_and_gb18030():
    first, *others = [parse_station_file("china_sites_20191201.csv", d) for d in encodings(DAILY)]
    assert first.num_rows == 3
    assert all(other.equals(first) for other in others)
    with pytest.raises(CnemcFormatError, match=r"china_sites_20191201\.csv: UTF-16"):
        parse_station_file("china_sites_20191201.csv", DAILY.encode("utf-16"))


def test_a_cnemc_hourly_file_reads_alike_in_utf8_bom_and_gb18030():
    now = dt.datetime(2026, 12, 1, 12)
    tables = [parse_hourly_release(d, "f.csv", now=now)[0] for d in encodings(HOURLY)]
    assert tables[0].num_rows > 0
    assert all(table.equals(tables[0]) for table in tables[1:])
    with pytest.raises(FormatError, match=r"f\.csv: line 3: binary"):
        parse_hourly_release(HOURLY.encode() + b"\x00\n", "f.csv", now=now)
