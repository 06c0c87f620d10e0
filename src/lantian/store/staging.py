"""Staging an import month by month, so that its memory is bounded by one month's rows.

An import may arrive as many tables (a year of CNEMC day files read a few weeks at a time). Each
table is split by natural-day month; the parts wait in ``staging/<import id>/`` as Arrow IPC
files (LZ4) until the whole input is read, then the import merges one month at a time. The
first table stays in memory, so a one-table import writes nothing here. Parts are tagged with
their input (a file or archive) so that an input found unreadable half-way is dropped whole.

The folder is not part of the store: the manifest never lists it, and the next writer removes
what a killed import left (:func:`lantian.store.manifest.remove_unlisted`).
"""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from lantian.times import hour_numbers, month_labels, natural_months

STAGING = "staging"


@dataclass
class _Part:
    tag: str
    month: str
    table: pa.Table | None
    path: Path | None = None


@dataclass
class MonthStaging:
    """Rows of one import, split by natural-day month, waiting to be merged."""

    folder: Path
    parts: list[_Part] = field(default_factory=list)
    spilled: bool = False

    def add(self, table: pa.Table, tag: str = "") -> None:
        """Stage ``table`` (MEASUREMENT_SCHEMA rows) under ``tag``."""
        if not table.num_rows:
            return
        if self.parts and not self.spilled:
            for part in self.parts:
                self._spill(part)
            self.spilled = True
        for month, rows in _by_month(table).items():
            part = _Part(tag, month, rows)
            if self.spilled:
                self._spill(part)
            self.parts.append(part)

    def discard(self, tag: str) -> None:
        """Drop every part staged under ``tag``."""
        for part in [p for p in self.parts if p.tag == tag]:
            if part.path is not None:
                part.path.unlink(missing_ok=True)
            self.parts.remove(part)

    def months(self) -> list[str]:
        """The months staged, in order."""
        return sorted({p.month for p in self.parts})

    def take(self, month: str) -> pa.Table:
        """All rows staged for ``month`` (their files are removed)."""
        tables = []
        for part in [p for p in self.parts if p.month == month]:
            if part.path is not None:
                with pa.memory_map(str(part.path)) as source:
                    tables.append(pa.ipc.open_file(source).read_all())
                part.path.unlink()
            else:
                tables.append(part.table)
            self.parts.remove(part)
        return pa.concat_tables(tables).unify_dictionaries()

    def remove(self) -> None:
        """Remove the staging folder (and ``staging/`` when no other import is in it)."""
        shutil.rmtree(self.folder, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.folder.parent.rmdir()

    def _spill(self, part: _Part) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        part.path = self.folder / f"{part.month}-{len(list(self.folder.iterdir()))}.arrow"
        options = pa.ipc.IpcWriteOptions(compression="lz4")
        assert part.table is not None
        with (
            pa.OSFile(str(part.path), "wb") as sink,
            pa.ipc.new_file(sink, part.table.schema, options=options) as writer,
        ):
            writer.write_table(part.table)
        part.table = None


def _by_month(table: pa.Table) -> dict[str, pa.Table]:
    """``table`` split by the natural-day month of ``ts`` (hour-ending: D+1 00:00 is day D)."""
    month = natural_months(hour_numbers(table.column("ts").to_numpy()))
    present = np.flatnonzero(np.bincount(month - month.min())) + month.min()
    label = dict(zip(present, month_labels(present), strict=True))
    if len(present) == 1:
        return {label[present[0]]: table}
    return {label[m]: table.filter(pa.array(month == m)) for m in present}
