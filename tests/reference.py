"""Real reference data for tests, read at run time through :func:`lantian.demo.demo_file` — never
committed (provenance: ``src/lantian/demo/README.md``). A missing file fails the test with one line
naming it and ``LANTIAN_REFERENCE_DATA``.

* CNEMC's current hourly release, 2026: three whole national hours (``cnemc/2026/README.md``).
* CNEMC's daily files ``china_sites_YYYYMMDD.csv`` from the reference zips and, where a test wants a
  small file, cut to some of their columns. Cells, rows and line ends (CRLF, no final line end) stay
  byte for byte as published: CNEMC's cells hold no quotes or commas, so a line splits on ``,``.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

from lantian.demo import MissingReferenceDataError, demo_file
from lantian.ingest.mirror import day_name

__all__ = ["RELEASE_2026", "cut_columns", "day_file", "day_name", "release_2026"]

RELEASE_2026 = ("2026-01-20T09.csv", "2026-03-05T09.csv", "2026-09-01T00.csv")


def release_2026(name: str) -> Path:
    """One of the 2026 release files."""
    try:
        return demo_file(f"cnemc/2026/{name}")
    except MissingReferenceDataError as error:
        pytest.fail(str(error), pytrace=False)


def day_file(archive: str, day: dt.date) -> bytes:
    """The bytes of ``day``'s file in the reference zip ``archive`` (``HUNAN_2019``, ``NATIONAL_3DAYS``)."""
    with zipfile.ZipFile(demo_file(archive)) as opened:
        return opened.read(day_name(day))


def cut_columns(data: bytes, columns: Sequence[int]) -> bytes:
    """Keep the columns ``columns`` (0-based, in that order) of every line of a day file."""
    lines = data.split(b"\r\n")
    return b"\r\n".join(b",".join(line.split(b",")[i] for i in columns) for line in lines)
