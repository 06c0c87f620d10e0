"""Real CNEMC files for store tests: a few weeks of the real 2019 Hunan year, extracted."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pyarrow as pa
import pytest

from lantian.demo import HUNAN_2019, demo_file
from lantian.store import MeasurementStore


def extract_days(folder: Path, first: int, last: int, month: str = "201901") -> list[Path]:
    """Extract ``china_sites_<month><dd>.csv`` for days ``first``…``last`` into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    with zipfile.ZipFile(demo_file(HUNAN_2019)) as archive:
        for day in range(first, last + 1):
            name = f"china_sites_{month}{day:02d}.csv"
            (folder / name).write_bytes(archive.read(name))
            paths.append(folder / name)
    return paths


def change_cells(path: Path, row_type: str, new_value: str, limit: int = 5) -> int:
    """Replace the first ``limit`` non-empty station cells of ``row_type`` rows; returns how many."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    changed = 0
    for i, line in enumerate(lines):
        cells = line.rstrip("\r\n").split(",")
        if len(cells) > 3 and cells[2] == row_type and changed < limit:
            for j in range(3, len(cells)):
                if cells[j] and changed < limit and cells[j] != new_value:
                    cells[j] = new_value
                    changed += 1
            lines[i] = ",".join(cells) + "\r\n"
    path.write_text("".join(lines), encoding="utf-8")
    return changed


def state(store: MeasurementStore) -> str:
    """A digest of everything a user can read: measurements (with flags) and the replacement log
    (without the import ids and times, which differ between two runs of the same import)."""
    with store.connect() as connection:
        measurements = connection.sql(
            "SELECT station_code, ts, pollutant, value, flag, valid, source::VARCHAR AS source FROM measurements "
            "ORDER BY ALL"
        ).to_arrow_table()
        replacements = connection.sql(
            "SELECT station_code, ts, pollutant, old_value, new_value FROM replacements ORDER BY ALL"
        ).to_arrow_table()
    digest = hashlib.sha256()
    for table in (measurements, replacements):
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
        digest.update(sink.getvalue().to_pybytes())
    return digest.hexdigest()


@pytest.fixture
def january(tmp_path: Path) -> Path:
    """Folder with the real files of 2019-01-01 … 2019-01-10."""
    extract_days(tmp_path / "january", 1, 10)
    return tmp_path / "january"
