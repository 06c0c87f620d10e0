"""Writes the bad-file corpus of tests/ingest/test_bad_files.py (run once; the files are committed).

Every file is a small tidy file shaped like an export of Yongzhou's stations (2477A–2481A) with one
kind of fault; README.md lists the fault and the error each must produce. The values are invented, not
measured (they are not CNEMC's data); only the station codes are real identifiers.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent
HEADER = "station_code,ts,pollutant,value\n"
GOOD = (
    "2477A,2019-01-01 01:00,PM2.5,48\n"
    "2477A,2019-01-01 01:00,PM10,71\n"
    "2477A,2019-01-01 01:00,SO2,9\n"
    "2477A,2019-01-01 01:00,NO2,31\n"
    "2477A,2019-01-01 01:00,CO,0.9\n"
    "2477A,2019-01-01 01:00,O3,22\n"
)


def write(name: str, text: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(text.encode(encoding))


def workbook(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "小时数据"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> None:
    # cut in the middle of line 8 (the export stopped while writing)
    write("truncated.csv", HEADER + GOOD + "2478A,2019-01-01 01:00,PM2")
    write("wrong_header.csv", "station,time,pollutant,value\n" + GOOD)
    write(
        "gbk.csv",
        "站点编码,时间,污染物,浓度,标记\n"
        "2479A,2019/01/01 01:00,PM2.5,52,\n"
        "2479A,2019/01/01 01:00,PM10,80,\n"
        "2479A,2019/01/01 02:00,PM2.5,无效,仪器维护\n"
        "2479A,2019/01/01 02:00,PM10,77,审核\n",
        encoding="gbk",
    )
    write(
        "duplicate_hours.csv",
        HEADER + GOOD + "2477A,2019-01-01 01:00,PM2.5,50\n" + "2477A,2019-01-01 01:00,SO2,9\n",
    )
    write(
        "text_in_numbers.csv",
        HEADER
        + "2480A,2019-01-01 01:00,PM2.5,45\n"
        + "2480A,2019-01-01 01:00,PM10,—\n"
        + "2480A,2019-01-01 01:00,SO2,N/A\n"
        + '2480A,2019-01-01 01:00,NO2,"1,024"\n'
        + "2480A,2019-01-01 01:00,CO,0.8mg\n",
    )
    write(
        "future_dates.csv",
        HEADER + "2481A,2019-01-01 01:00,O3,22\n" + "2481A,2099-01-01 01:00,O3,23\n",
    )
    write(
        "unknown_stations.csv",
        HEADER + "2477A,2019-01-01 01:00,PM2.5,48\n" + "9999Z,2019-01-01 01:00,PM2.5,48\n",
    )
    write("empty.csv", "")
    with zipfile.ZipFile(HERE / "non_csv_member.zip", "w") as archive:
        archive.writestr("yongzhou_2019-01-01.csv", HEADER + GOOD)
        archive.writestr("说明.docx", b"PK\x03\x04 not really a document")
    full = workbook([["站点编码", "时间", "污染物", "浓度"]] + [line.split(",") for line in GOOD.split()])
    (HERE / "truncated.xlsx").write_bytes(full[: len(full) // 2])
    (HERE / "wrong_header.xlsx").write_bytes(
        workbook([["站点", "时间", "污染物", "浓度"], ["2477A", "2019-01-01 01:00", "PM2.5", 48]])
    )


if __name__ == "__main__":
    main()
