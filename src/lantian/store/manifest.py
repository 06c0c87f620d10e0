"""The store's manifest: the one file that says which data files make up the current state.

Every data file is immutable once written. An import writes new files, then commits by replacing
``manifest.json`` atomically (write a temporary file, fsync, ``os.replace``, fsync the folder). A
reader reads the manifest once and then only the files it lists, so it sees the state before or
after an import, never a mix. A process killed at any moment leaves either the old manifest (its
new files are orphans, removed by the next writer) or the new one.

Writers take an exclusive ``flock`` on ``.lock``; readers take no lock. Files replaced by a commit
are deleted only at the commit after the next, so a reader that read the old manifest a moment
before a commit can still open every file it names.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

MANIFEST = "manifest.json"
FORMAT = "lantian-measurement-store/1"


@dataclass
class Manifest:
    """The committed state: data files per partition, and the logs."""

    version: int = 0
    partitions: dict[str, str] = field(default_factory=dict)
    """Partition key (``2019-01``) → relative path of its one measurement file."""
    replacements: list[str] = field(default_factory=list)
    """Relative paths of the replacement-log files (append-only)."""
    imports: list[str] = field(default_factory=list)
    """Relative paths of the import-log files (append-only)."""
    stations: str | None = None
    """Relative path of the station registry file."""
    published: dict[str, str] = field(default_factory=dict)
    """Month (``2026-09``) → relative path of its file of CNEMC's published AQI values."""
    retired: list[str] = field(default_factory=list)
    """Files replaced by the previous commit, kept for readers still using them."""
    format: str = FORMAT
    cursors: dict[str, int] = field(default_factory=dict)
    """Append-only input logs (relative path → byte offset) whose records up to the offset the
    committed state holds: the feed store's raw logs. A restart replays each log from here."""

    def files(self) -> set[str]:
        """Every file this manifest still needs (including the grace-period ``retired``)."""
        listed = set(self.partitions.values()) | set(self.replacements) | set(self.imports)
        listed |= set(self.published.values())
        listed |= set(self.retired)
        if self.stations:
            listed.add(self.stations)
        return listed


def read_manifest(root: Path, format: str = FORMAT) -> Manifest:
    """The committed manifest of the store at ``root`` (an empty one for a new store).

    ``format`` names the kind of store (the measurement store's by default; the feed store
    passes its own) and a manifest of another kind is refused.
    """
    path = root / MANIFEST
    if not path.exists():
        return Manifest(format=format)
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != format:
        raise ValueError(f"{path}: not a manifest of a {format} store ({data.get('format')!r})")
    return Manifest(**data)


def fsync_directory(directory: Path) -> None:
    """Flush a directory's entries (a rename into it) to disk."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    """Flush a written file to disk before the manifest that names it is committed."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def write_manifest(root: Path, manifest: Manifest) -> None:
    """Commit ``manifest`` atomically (the caller holds the writer lock)."""
    temporary = root / f".{MANIFEST}.{os.getpid()}.tmp"
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(asdict(manifest), handle, ensure_ascii=False, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, root / MANIFEST)
    fsync_directory(root)


@contextlib.contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    """Hold the store's exclusive writer lock (blocks until free)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def remove_unlisted(root: Path, manifest: Manifest) -> int:
    """Delete data files no manifest needs: orphans of killed imports and retired files, and
    the staging folder of a killed import.

    Half-written ``*.parquet.tmp`` files of a killed writer go too: under the writer lock
    no other writer can be writing one. Call only under the writer lock. Returns the
    number of files removed.
    """
    keep = manifest.files()
    removed = 0
    for directory in ("data", "log", "published"):
        if not (root / directory).exists():
            continue
        for path in (root / directory).rglob("*.parquet*"):
            if path.suffix == ".tmp" or str(path.relative_to(root)) not in keep:
                path.unlink(missing_ok=True)
                removed += 1
    for path in root.glob(f".{MANIFEST}.*.tmp"):
        path.unlink(missing_ok=True)
    if (root / "staging").exists():  # a killed import's month staging (lantian.store.staging)
        shutil.rmtree(root / "staging", ignore_errors=True)
    return removed
