"""Where the real reference data are found: the setting ``LANTIAN_REFERENCE_DATA``, its default
``../shared/reference`` beside the checkout, and the one-line error when a file is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lantian.demo import HUNAN_2019, STATION_LIST, MissingReferenceDataError, demo_file
from lantian.settings import settings

CHECKOUT = Path(__file__).resolve().parents[1]


@pytest.fixture
def reference(monkeypatch):
    """Set ``LANTIAN_REFERENCE_DATA`` for one test (the settings are read again, before and after)."""

    def point_at(folder: Path | None) -> None:
        if folder is None:
            monkeypatch.delenv("LANTIAN_REFERENCE_DATA", raising=False)
        else:
            monkeypatch.setenv("LANTIAN_REFERENCE_DATA", str(folder))
        settings.cache_clear()

    yield point_at
    settings.cache_clear()


def test_the_default_is_shared_reference_beside_the_checkout(reference, tmp_path, monkeypatch):
    reference(None)
    monkeypatch.chdir(tmp_path)  # the current folder plays no part
    assert settings().reference_folder == CHECKOUT.parent / "shared" / "reference"
    assert demo_file(HUNAN_2019) == CHECKOUT.parent / "shared" / "reference" / HUNAN_2019


def test_a_missing_file_names_the_file_and_the_setting(reference, tmp_path):
    reference(tmp_path)
    with pytest.raises(MissingReferenceDataError) as raised:
        demo_file(HUNAN_2019)
    message = str(raised.value)
    assert "\n" not in message
    assert "cnemc/china_sites_2019_hunan.zip" in message
    assert "LANTIAN_REFERENCE_DATA" in message
    assert str(tmp_path) in message


def test_a_copy_made_by_hand_without_the_subfolders(reference, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "stations_2020-01-01.csv").write_bytes(demo_file(STATION_LIST).read_bytes())
    reference(copy)
    assert demo_file(STATION_LIST) == copy / "stations_2020-01-01.csv"


def test_a_test_run_without_the_data_fails_with_that_line(tmp_path):
    """CI must run the real-data tests: without the data they fail (never skip) with one line and
    no traceback (tests/conftest.py), in a fixture as in a test."""
    test = tmp_path / "test_needs_data.py"
    test.write_text(
        "import pytest\n"
        "from lantian.demo import HUNAN_2019, STATION_LIST, demo_file\n\n"
        "@pytest.fixture\ndef stations():\n    return demo_file(STATION_LIST)\n\n"
        "def test_in_a_test():\n    assert demo_file(HUNAN_2019).stat().st_size > 0\n\n"
        "def test_in_a_fixture(stations):\n    assert stations\n"
    )
    env = {"LANTIAN_REFERENCE_DATA": str(tmp_path / "nowhere"), "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "tests.conftest", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), str(test)],
        cwd=CHECKOUT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout
    assert "1 failed, 1 error" in run.stdout
    assert "skipped" not in run.stdout
    where = tmp_path / "nowhere"
    assert (
        f"reference data file cnemc/china_sites_2019_hunan.zip not found in {where}" in run.stdout
    )
    assert f"reference data file cnemc/stations_2020-01-01.csv not found in {where}" in run.stdout
    assert "raise MissingReferenceDataError" not in run.stdout  # no traceback


def test_scripts_test_checks_the_reference_data_first(tmp_path):
    """``python -m lantian.demo`` (run by scripts/test before pytest): one line, exit 1 when missing."""
    ok = subprocess.run(
        [sys.executable, "-m", "lantian.demo"], capture_output=True, text=True, timeout=60
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("reference data: 9 files in ")
    env = {"LANTIAN_REFERENCE_DATA": str(tmp_path), "PATH": "/usr/bin:/bin"}
    missing = subprocess.run(
        [sys.executable, "-m", "lantian.demo"], capture_output=True, text=True, timeout=60, env=env
    )
    assert missing.returncode == 1
    assert missing.stderr.count("\n") == 1
    assert (
        f"reference data missing in {tmp_path}: cnemc/china_sites_2019_hunan.zip" in missing.stderr
    )
    assert "LANTIAN_REFERENCE_DATA" in missing.stderr
