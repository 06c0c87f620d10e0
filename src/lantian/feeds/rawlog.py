"""The raw log: every accepted HJ 212 frame, byte for byte, before it is acknowledged.

One append-only file per Beijing day of receipt and receiver process, ``raw/YYYY-MM-DD.hj212``
(``raw/YYYY-MM-DD.wN.hj212`` for worker N of ``lantian receive --workers``). A record is::

    <received_ms> <peer> ##NNNN<data segment><CRC>\\r\\n\\n

(the frame's own length field says where it ends, so a frame holding any bytes is read back
exactly). A record is acknowledged only after the ``fsync`` that wrote it returned; records of
many connections share one ``fsync`` (group commit). A process killed mid-write leaves at most a
torn last record, never acknowledged: :meth:`RawLog.open` cuts it off.

Beside it, the logs of what was *not* accepted, one JSON object a line (``quarantine/`` for
unknown devices and wrong passwords, ``rejected/`` for malformed frames), each with the peer and
the raw bytes (Latin-1, at most :data:`LOGGED_BYTES`). Each of these logs writes at most
``max_bytes`` a day (:data:`EVENT_LOG_BYTES`): past it, one ``log_full`` line says so and the
day's further events are only counted (an attacker sending garbage from many connections cannot
fill the disk that the raw log needs).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lantian.ingest.hj212 import HEADER_LENGTH, TRAILER_LENGTH
from lantian.store.manifest import fsync_directory
from lantian.times import beijing_now

log = logging.getLogger("lantian.feeds")

SUFFIX = ".hj212"
MARK_BYTES = 128
"""Size of a durable mark (:meth:`RawLog.durable`)."""
LOGGED_BYTES = 2048
"""Raw bytes kept per quarantine or rejection entry (an attacker cannot fill the disk faster)."""
EVENT_LOG_BYTES = 256 * 1024 * 1024
"""The most a quarantine or rejection log writes a day (``lantian receive --event-log-mb``)."""


def received_now() -> dt.datetime:
    """The moment of receipt: Beijing time (``lantian.times``), naive, to the microsecond (the
    raw log keeps milliseconds)."""
    return beijing_now(precise=True)


@dataclass(frozen=True)
class RawRecord:
    """One frame read back from the raw log."""

    log: str
    """The log file's name (``2026-12-03.hj212``)."""
    start: int
    """Byte offset of this record."""
    end: int
    """Byte offset just past this record."""
    received: dt.datetime
    peer: str
    frame: bytes


def encode_records(received: dt.datetime, peers: list[str], frames: list[bytes]) -> list[bytes]:
    """The bytes of the records of ``frames`` received at once from ``peers`` (one per frame;
    spaces in a peer become ``_``)."""
    millis = int(received.replace(tzinfo=dt.UTC).timestamp() * 1000)
    prefixes: dict[str, bytes] = {}
    records = []
    for peer, frame in zip(peers, frames, strict=True):
        prefix = prefixes.get(peer)
        if prefix is None:
            prefix = prefixes[peer] = b"%d %s " % (
                millis,
                peer.replace(" ", "_").encode("ascii", "replace"),
            )
        records.append(prefix + frame + b"\n")
    return records


def read_records(
    path: Path, start: int = 0, stop: int | None = None
) -> tuple[list[RawRecord], int]:
    """The complete records of ``path`` from byte ``start`` (to byte ``stop``), and the offset
    where they end (a torn last record is left out). Only those bytes are read."""
    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read() if stop is None else handle.read(max(0, stop - start))
    records: list[RawRecord] = []
    position = 0
    while position < len(data):
        first = data.find(b" ", position)
        second = data.find(b" ", first + 1) if first >= 0 else -1
        if second < 0 or data[second + 1 : second + 3] != b"##":
            break
        digits = data[second + 3 : second + HEADER_LENGTH + 1]
        if len(digits) < 4 or not digits.isdigit():
            break
        end = second + 1 + HEADER_LENGTH + int(digits) + TRAILER_LENGTH
        if end + 1 > len(data) or data[end : end + 1] != b"\n":
            break
        millis = int(data[position:first])
        received = dt.datetime.fromtimestamp(millis / 1000, dt.UTC).replace(tzinfo=None)
        records.append(
            RawRecord(
                path.name,
                start + position,
                start + end + 1,
                received,
                data[first + 1 : second].decode("ascii", "replace"),
                data[second + 1 : end],
            )
        )
        position = end + 1
    return records, start + position


class RawLog:
    """The day files of accepted frames under ``folder`` of one receiver process (``worker``).

    Only one process may write them: :meth:`open` takes an exclusive lock on ``folder/.lock``
    (``.lock.wN`` for worker N).
    """

    def __init__(self, folder: Path, worker: int = 0) -> None:
        self.folder = Path(folder)
        self.worker = worker
        self._handle: int | None = None
        self._name: str | None = None
        self._size = 0
        self._lock_handle = None
        self._mark: int | None = None
        self._mutex = threading.Lock()

    @property
    def suffix(self) -> str:
        return SUFFIX if self.worker == 0 else f".w{self.worker}{SUFFIX}"

    def open(self, wait_seconds: float = 0.0) -> None:
        """Take the writer lock (waiting up to ``wait_seconds`` for a process still exiting),
        ``fsync`` every day file and cut torn tails off it."""
        import fcntl

        (self.folder / "raw").mkdir(parents=True, exist_ok=True)
        lock = ".lock" if self.worker == 0 else f".lock.w{self.worker}"
        self._lock_handle = open(self.folder / lock, "a+")  # noqa: SIM115 (held while open)
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                fcntl.flock(self._lock_handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as error:
                if time.monotonic() >= deadline:
                    self._lock_handle.close()
                    self._lock_handle = None
                    raise RuntimeError(
                        f"{self.folder}: another receiver is writing this feed"
                    ) from error
                time.sleep(0.1)
        for path in self.files():
            with open(path, "r+b") as handle:
                # what a killed writer left in the page cache is made durable before anything
                # reads it: a commit must never cover bytes a power cut could still take away
                os.fsync(handle.fileno())
                _, end = read_records(path)
                if end < os.fstat(handle.fileno()).st_size:
                    handle.truncate(end)
                    os.fsync(handle.fileno())

    @staticmethod
    def workers(folder: Path) -> list[int]:
        """The workers that left day files under ``folder`` (0 first)."""
        found = {0}
        for path in (Path(folder) / "raw").glob(f"*{SUFFIX}"):
            part = path.name.split(".")[1]
            if part.startswith("w") and part[1:].isdigit():
                found.add(int(part[1:]))
        return sorted(found)

    def close(self) -> None:
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None
        if self._mark is not None:
            os.close(self._mark)
            self._mark = None
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None

    def files(self) -> list[Path]:
        """The day files of this receiver process, oldest first."""
        return sorted(
            path
            for path in (self.folder / "raw").glob(f"*{SUFFIX}")
            if path.name == path.name[:10] + self.suffix
        )

    def write(self, data: bytes, day: dt.date) -> tuple[str, int]:
        """Append ``data`` (whole records) to the file of ``day`` and ``fsync`` it; return the
        file's name and its size after the write. Thread-safe."""
        with self._mutex:
            name = f"{day.isoformat()}{self.suffix}"
            if name != self._name:
                if self._handle is not None:
                    os.close(self._handle)
                path = self.folder / "raw" / name
                created = not path.exists()
                self._handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                self._size = os.fstat(self._handle).st_size
                self._name = name
                if created:
                    fsync_directory(path.parent)
            assert self._handle is not None
            view = memoryview(data)
            while view:
                written = os.write(self._handle, view)
                view = view[written:]
            os.fsync(self._handle)
            self._size += len(data)
            self._write_mark(name, self._size)
            return name, self._size

    # ------------------------------------------------------------------ the durable mark
    @property
    def mark_path(self) -> Path:
        """``raw/.durable`` (``raw/.durable.wN``): the file and size made durable last."""
        return (
            self.folder / "raw" / (".durable" if self.worker == 0 else f".durable.w{self.worker}")
        )

    def _write_mark(self, name: str, size: int) -> None:
        """Overwrite the mark in place (one ``pwrite``, no ``fsync``: it only tells a reader in
        another process how far this process's log is durable now; after a crash everything
        left is read again from the committed cursors)."""
        if self._mark is None:
            self._mark = os.open(self.mark_path, os.O_WRONLY | os.O_CREAT, 0o644)
        text = f"{name} {size}"
        line = f"{text} {zlib.crc32(text.encode()):08x}\n".encode().ljust(MARK_BYTES)
        os.pwrite(self._mark, line, 0)

    def durable(self) -> tuple[str, int] | None:
        """The (file name, size) this process's log was durable to at its last write, as read
        from its mark; ``None`` when there is none or it is being rewritten (read it later)."""
        try:
            line = self.mark_path.read_bytes()[:MARK_BYTES].split(b"\n", 1)[0].decode()
            name, size, check = line.split(" ")
            if f"{zlib.crc32(f'{name} {size}'.encode()):08x}" != check:
                return None
            return name, int(size)
        except (OSError, ValueError, UnicodeDecodeError):
            return None

    def durable_records(self, positions: dict[str, int]) -> list[RawRecord]:
        """The records another process (this log's writer) made durable past ``positions``
        (file name → offset): its older day files to their end, the file of its mark to the
        mark (never a byte not yet fsynced: what a reader stores must survive a power cut)."""
        mark = self.durable()
        if mark is None:
            return []
        name, size = mark
        found: list[RawRecord] = []
        for path in self.files():
            if path.name > name:
                break
            stop = size if path.name == name else None
            records, _ = read_records(path, positions.get(path.name, 0), stop)
            found += records
        return found

    def records(self, cursors: dict[str, int]) -> Iterator[RawRecord]:
        """Every record not yet covered by ``cursors`` (file name → offset), oldest first."""
        for path in self.files():
            records, _ = read_records(path, cursors.get(path.name, 0))
            yield from records


class EventLog:
    """Append-only JSON-lines logs of frames not accepted (one file per kind and day)."""

    def __init__(self, folder: Path, max_bytes: int = EVENT_LOG_BYTES) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self._mutex = threading.Lock()
        self.dropped: dict[tuple[str, dt.date], int] = {}
        """Events not written, per kind and day, since the day's log was full."""

    def write(self, kind: str, peer: str, reason: str, raw: bytes, **details: object) -> bool:
        """Log one event of ``kind`` (``quarantine`` or ``rejected``), unless the day's log of
        ``kind`` is full (then it is counted in :attr:`dropped`); whether it was written (the
        receiver's console line follows it, so that the console is bounded too)."""
        now = received_now()
        entry = {
            "at": now.isoformat(timespec="milliseconds"),
            "peer": peer,
            "reason": reason,
            **details,
            "bytes": len(raw),
            "raw": raw[:LOGGED_BYTES].decode("latin-1"),
        }
        line = json.dumps(entry, ensure_ascii=True) + "\n"
        directory = self.folder / kind
        day = (kind, now.date())
        with self._mutex:
            if day in self.dropped:
                self.dropped[day] += 1
                return False
            directory.mkdir(parents=True, exist_ok=True)
            with open(directory / f"{now.date().isoformat()}.jsonl", "a", encoding="ascii") as f:
                if f.tell() + len(line) > self.max_bytes:
                    self.dropped[day] = 1
                    full = {"at": entry["at"], "reason": "log_full", "max_bytes": self.max_bytes}
                    f.write(json.dumps(full) + "\n")
                    log.warning("the %s log of %s is full: further events only counted", *day)
                    return False
                f.write(line)
        return True

    def read(self, kind: str) -> list[dict[str, object]]:
        """Every entry of ``kind``, oldest first."""
        entries = []
        for path in sorted((self.folder / kind).glob("*.jsonl")):
            with open(path, encoding="ascii") as handle:
                entries += [json.loads(line) for line in handle if line.strip()]
        return entries
