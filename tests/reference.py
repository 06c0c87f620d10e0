"""CNEMC's current hourly release, 2026: three whole national hours in the reference folder
(``cnemc/2026/README.md``), read at run time through :func:`lantian.demo.demo_file` — never
committed. A missing file fails the test with one line naming it and ``LANTIAN_REFERENCE_DATA``."""

from __future__ import annotations

from pathlib import Path

import pytest

from lantian.demo import MissingReferenceDataError, demo_file

RELEASE_2026 = ("2026-01-20T09.csv", "2026-03-05T09.csv", "2026-09-01T00.csv")


def release_2026(name: str) -> Path:
    """One of the 2026 release files."""
    try:
        return demo_file(f"cnemc/2026/{name}")
    except MissingReferenceDataError as error:
        pytest.fail(str(error), pytrace=False)
