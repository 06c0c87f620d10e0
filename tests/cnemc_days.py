"""Real CNEMC day files for tests, taken at run time from the reference data (never committed).

The daily files ``china_sites_YYYYMMDD.csv`` are read from the reference folder's zips
(``lantian.demo.demo_file``; provenance in ``src/lantian/demo/README.md``) and, where a test wants
a small file, cut to some of their columns. Cells, rows and line ends (CRLF, no final line end) stay
byte for byte as published: CNEMC's cells hold no quotes or commas, so a line splits on ``,``.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Sequence

from lantian.demo import demo_file


def day_name(day: dt.date) -> str:
    """The mirror's name of a day's file."""
    return f"china_sites_{day:%Y%m%d}.csv"


def day_file(archive: str, day: dt.date) -> bytes:
    """The bytes of ``day``'s file in the reference zip ``archive`` (``HUNAN_2019``, ``NATIONAL_3DAYS``)."""
    with zipfile.ZipFile(demo_file(archive)) as opened:
        return opened.read(day_name(day))


def cut_columns(data: bytes, columns: Sequence[int]) -> bytes:
    """Keep the columns ``columns`` (0-based, in that order) of every line of a day file."""
    lines = data.split(b"\r\n")
    return b"\r\n".join(b",".join(line.split(b",")[i] for i in columns) for line in lines)
