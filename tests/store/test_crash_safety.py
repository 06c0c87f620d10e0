"""An import killed with SIGKILL at any moment leaves the store exactly as before or as after it."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lantian.ingest.cnemc import read_measurements
from lantian.store import MeasurementStore

from .conftest import change_cells, extract_days, state

KILLS = int(os.environ.get("LANTIAN_TEST_KILLS", "12"))


def _run_import(home: Path, folder: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "lantian", "--home", str(home), "import", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """(base home, folder to import, state before, state after, seconds a full import takes)."""
    root = tmp_path_factory.mktemp("crash")
    base = root / "base"
    first = extract_days(root / "first", 1, 12)[0].parent
    table, metadata = read_measurements(first)
    MeasurementStore(base / "measurements").import_measurements(
        table, files=list(metadata["files"])
    )
    second = extract_days(root / "second", 10, 24)[0].parent
    change_cells(second / "china_sites_20190111.csv", "PM10", "555", limit=4)  # replacements too
    before = state(MeasurementStore(base / "measurements"))
    reference = root / "reference"
    shutil.copytree(base, reference)
    started = time.perf_counter()
    assert _run_import(reference, second).wait() in (0, 1)
    duration = time.perf_counter() - started
    after = state(MeasurementStore(reference / "measurements"))
    assert after != before
    return base, second, before, after, duration


def test_sigkill_at_random_moments_leaves_before_or_after_state(stores, tmp_path):
    base, folder, before, after, duration = stores
    rng = random.Random(20191231)
    outcomes = []
    for attempt in range(KILLS):
        home = tmp_path / f"home{attempt}"
        shutil.copytree(base, home)
        process = _run_import(home, folder)
        time.sleep(rng.uniform(0.2, duration * 1.1))
        process.send_signal(signal.SIGKILL)
        process.wait()
        found = state(MeasurementStore(home / "measurements"))
        assert found in (before, after), f"kill #{attempt}: the store is in neither state"
        outcomes.append("after" if found == after else "before")
        if attempt % 4 == 0:  # the store stays usable: the next import cleans up and completes
            assert _run_import(home, folder).wait() in (0, 1)
            assert state(MeasurementStore(home / "measurements")) == after
            assert list((home / "measurements").rglob("*.tmp")) == []
    assert "before" in outcomes  # the kills did land during imports
