"""``lantian fetch cnemc --format hourly-2022``: CNEMC's current hourly release from an archive laid
out as ``<base>/YYYY-MM-DD/YYYY-MM-DDTHH.csv`` (HeQinWill/CNEMC's ``Archive/``), served by a real HTTP
server on 127.0.0.1 (the mirror of ``test_fetch_cli``) or read from a folder. The files are the real
2026 hours of the reference folder, copied at run time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from lantian.store import MeasurementStore
from tests.reference import release_2026

from .test_fetch_cli import Mirror
from .test_import_cli import lantian

SEPTEMBER = "2026-09-01T00.csv"  # the hour ending 2026-09-01 00:00: natural day 2026-08-31


@pytest.fixture
def archive(tmp_path) -> Path:
    """A folder in the archive's layout holding the real hour 2026-09-01 00:00."""
    root = tmp_path / "archive"
    (root / "2026-09-01").mkdir(parents=True)
    (root / "2026-09-01" / SEPTEMBER).write_bytes(release_2026(SEPTEMBER).read_bytes())
    return root


@pytest.fixture
def server(archive) -> Iterator[Mirror]:
    """The HTTP mirror (it serves a path's last segment from its folder)."""
    flat = archive / "flat"
    flat.mkdir()
    (flat / SEPTEMBER).write_bytes(release_2026(SEPTEMBER).read_bytes())
    mirror = Mirror(flat)
    thread = threading.Thread(target=mirror.serve_forever, daemon=True)
    thread.start()
    yield mirror
    mirror.shutdown()
    mirror.server_close()
    thread.join()


def fetch(home: Path, base: str, *options: str):
    return lantian(
        home,
        "fetch",
        "cnemc",
        "--format",
        "hourly-2022",
        "--from",
        "2026-08-31",
        "--to",
        "2026-08-31",
        "--mirror",
        base,
        *options,
    )


def test_hourly_files_from_a_folder_registered_and_refetch_changes_nothing(tmp_path, archive):
    """The 24 hours of natural day 2026-08-31 are asked for; the archive has the last one."""
    home = tmp_path / "home"
    result = fetch(home, str(archive))
    assert result.returncode == 1, result.stdout + result.stderr  # 23 hours not on the mirror
    assert "downloaded 1, resumed 0, cached 0, missing 23, refused 0, failed 0" in result.stdout
    assert "rows added 9,323" in result.stdout
    assert "stations registered from the files: 1,601" in result.stdout
    kept = home / "downloads" / "cnemc-hourly" / "2026-09-01" / SEPTEMBER
    assert kept.read_bytes() == release_2026(SEPTEMBER).read_bytes()
    store = MeasurementStore(home / "measurements")
    assert store.published().num_rows == 1601
    again = fetch(home, str(archive))
    assert "downloaded 0, resumed 0, cached 1, missing 23" in again.stdout
    assert "rows added 0, unchanged 9,323, replaced 0" in again.stdout


def test_stations_keeps_those_stations_only(tmp_path, archive):
    """--stations keeps those stations' values, registry entries and published AQI."""
    result = fetch(tmp_path / "home2", str(archive), "--stations", "2478A,4299A")
    assert "rows added 12" in result.stdout, result.stdout
    listed = MeasurementStore(tmp_path / "home2" / "measurements").stations()
    assert sorted(listed.column("station_code").to_pylist()) == ["2478A", "4299A"]
    published = MeasurementStore(tmp_path / "home2" / "measurements").published()
    assert sorted(published.column("station_code").to_pylist()) == ["2478A", "4299A"]


def test_over_http_an_html_page_and_a_wrong_hour_are_refused(tmp_path, server):
    home = tmp_path / "home"
    result = fetch(home, server.base)
    assert "downloaded 1" in result.stdout, result.stdout + result.stderr
    assert ("2026-09-01T00.csv", None) in server.requests
    server.html.add(SEPTEMBER)
    refused = fetch(tmp_path / "other", server.base)
    assert "refused 1" in refused.stdout
    assert "HTML page" in refused.stderr
    server.html.clear()
    (server.root / SEPTEMBER).write_bytes(
        release_2026(SEPTEMBER).read_bytes().replace(b"2026-09-01T0000", b"2026-09-01T0100")
    )
    wrong = fetch(tmp_path / "third", server.base)
    assert "refused 1" in wrong.stdout
    assert "line 2: timepoint 2026-09-01T0100 is not 2026-09-01T0000" in wrong.stderr
    assert wrong.returncode == 2
