"""Where the tests find the shared reference data (never committed: see issue #10).

``LANTIAN_REFERENCE_DATA`` when set, else ``../shared/reference`` beside the repository. A test that
needs a file that is not there fails with one line naming the file and the setting: it never skips.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]


def reference_file(*parts: str) -> Path:
    """Path of a reference file, e.g. ``reference_file("cnemc", "2026", "2026-09-01T00.csv")``."""
    root = Path(
        os.environ.get("LANTIAN_REFERENCE_DATA") or REPOSITORY.parent / "shared" / "reference"
    )
    path = root.joinpath(*parts)
    if not path.exists():
        pytest.fail(f"reference data {path} not found: set LANTIAN_REFERENCE_DATA", pytrace=False)
    return path


#: CNEMC's current hourly release: three whole national hours of 2026 (cnemc/2026/README.md).
RELEASE_2026 = ("2026-01-20T09.csv", "2026-03-05T09.csv", "2026-09-01T00.csv")


def release_2026(name: str) -> Path:
    """One of the 2026 release files."""
    return reference_file("cnemc", "2026", name)
