"""Shared data of the reader tests: a real-looking hour, a fixed clock, an xlsx writer."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl

#: A fixed "now" (Beijing time) so that future-date checks do not depend on the clock.
NOW = dt.datetime(2024, 6, 1, 12, 0)

#: One invented hour of Yongzhou's 2477A (零陵南津渡), not measured: the six pollutants, CO in mg/m³.
YONGZHOU_HOUR = (
    "2477A,2019-01-01 01:00,PM2.5,48\n"
    "2477A,2019-01-01 01:00,PM10,71\n"
    "2477A,2019-01-01 01:00,SO2,9\n"
    "2477A,2019-01-01 01:00,NO2,31\n"
    "2477A,2019-01-01 01:00,CO,0.9\n"
    "2477A,2019-01-01 01:00,O3,22\n"
)
HEADER = "station_code,ts,pollutant,value\n"


def xlsx_bytes(rows: list[list[object]], title: str = "Sheet1", extra_sheets: tuple = ()) -> bytes:
    """An .xlsx workbook (written by openpyxl) whose first sheet holds ``rows``."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    for name, extra_rows in extra_sheets:
        other = book.create_sheet(name)
        for row in extra_rows:
            other.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
