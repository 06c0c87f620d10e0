"""The HJ 212 receiver: an asyncio TCP server that acknowledges only what is durable.

Per connection: bytes are cut into frames (:class:`lantian.ingest.hj212.FrameScanner`); a frame
from an unknown ``MN`` or with a wrong ``PW`` is written to the quarantine log with the peer's
address and the connection is closed, nothing stored. After three such refusals of one (MN,
address) pair, that pair backs off (:class:`lantian.throttle.BackOff`: 1, 2, 4 … s after its last
refusal, as the ledger's logins do): its frames are quarantined as ``backoff`` without the password
being looked at, so a password (sent in clear, often six digits) cannot be guessed at line rate.
A malformed frame (length, CRC, field) is logged with its raw bytes; a peer that sends more than
``max_bad_frames`` of them, sends nothing for ``idle_seconds``, or takes more than
``frame_seconds`` to finish a started frame (slowloris), is disconnected. Past
``max_connections`` new connections are closed at once.

An accepted upload frame (CN 2011/2051/2061/2031) is appended to the raw log; one task writes
and fsyncs what all connections appended since its last write (group commit), then hands the
frames to the :class:`~lantian.feeds.intake.Intake` in log order and releases the waiting
connections, which send the 9014 answer where the frame's ``Flag`` asks for one. Every
``flush_seconds`` the intake's rows are committed to the feed store with the raw-log offsets
they cover; every ``hourly_seconds`` the closed hours go to the measurement store. On start,
the raw log's records past the committed offsets are replayed (so after ``kill -9`` no
acknowledged frame is lost and none is stored twice).

:class:`CommitListener` objects (the live alarm evaluation, ``lantian.alarms.live``) are opened
before the replay and handed every committed table of rows after its commit, in commit order;
an error in one is logged and the receiver goes on (what they derive must be recomputable).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyarrow as pa

from lantian.feeds.hourly import store_hourly
from lantian.feeds.intake import FrameBatch, Intake, feed_rows
from lantian.feeds.rawlog import EventLog, RawLog, encode_record, received_now
from lantian.feeds.store import FeedStore
from lantian.ingest.hj212 import (
    COMMANDS,
    MAX_DATA_LENGTH,
    Frame,
    FrameRejection,
    FrameScanner,
    crc16,
    data_ack,
    data_time_text,
    parse_frame,
)
from lantian.sources.devices import Device, DeviceDirectory
from lantian.store.measurements import MeasurementStore
from lantian.throttle import BackOff

log = logging.getLogger("lantian.feeds")


@dataclass
class ReceiverOptions:
    """How the receiver treats its peers."""

    idle_seconds: float = 600.0
    """A peer silent this long is disconnected (devices send at least every minute)."""
    frame_seconds: float = 30.0
    """A started frame must be complete within this long (slowloris)."""
    max_bad_frames: int = 10
    max_connections: int = 4096
    max_data_length: int = MAX_DATA_LENGTH
    flush_seconds: float = 2.0
    hourly_seconds: float = 60.0
    city: str | None = None
    """The city device stations are registered in (when the registry gives none)."""


@dataclass
class Pending:
    """A frame waiting for the group commit."""

    frame: Frame
    device: Device
    received: dt.datetime
    record: bytes
    done: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class CommitListener(Protocol):
    """Something derived from the feed store as the receiver commits to it."""

    def open(self) -> object:
        """Called once on start, before the raw log's replay."""

    def committed(self, rows: pa.Table) -> object:
        """Called after each commit with its rows (``FEED_SCHEMA``), in a worker thread."""


class Receiver:
    """One receiver over a feed folder (``LANTIAN_HOME/feeds``) and the measurement store."""

    def __init__(
        self,
        folder: Path,
        directory: DeviceDirectory,
        measurements: MeasurementStore | None = None,
        options: ReceiverOptions | None = None,
        listeners: list[CommitListener] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.listeners = list(listeners or [])
        self.directory = directory
        self.measurements = measurements
        self.options = options or ReceiverOptions()
        self.raw = RawLog(self.folder)
        self.events = EventLog(self.folder)
        self.store = FeedStore(self.folder / "store")
        self.intake = Intake(self.store)
        self.devices: dict[str, Device] = {}
        self.connections = 0
        self.refusals = BackOff()
        """Refused (MN, address) pairs, for the back-off."""
        self._queue: list[Pending] = []
        self._wake = asyncio.Event()
        self._server: asyncio.base_events.Server | None = None
        self._tasks: list[asyncio.Task] = []
        self._touched_days: set[dt.date] = set()
        self._flush_lock = asyncio.Lock()

    # ------------------------------------------------------------------ start and stop
    def replay(self) -> int:
        """Take the raw log's records past the committed cursors; commit; return how many."""
        cursors = self.store.manifest().cursors
        count = 0
        for record in self.raw.records(cursors):
            frame = parse_frame(record.frame)
            device = self.directory.get(frame.mn) if isinstance(frame, Frame) else None
            if not isinstance(frame, Frame) or device is None:
                log.warning("raw log %s@%d: not replayable, skipped", record.log, record.end)
                continue
            self.devices[frame.mn] = device
            start = record.end - len(record.frame) - 1
            self.intake.take(frame, device, record.received, record.log, start, record.end)
            count += 1
        self._commit(*self.intake.drain())
        return count

    async def start(self, host: str = "127.0.0.1", port: int = 9212) -> int:
        """Open the logs, replay, and listen; return the port listened on."""
        self.raw.open()
        crc16(b"#" * 64)  # builds the CRC's tables before the first device waits on them
        for listener in self.listeners:
            try:
                await asyncio.to_thread(listener.open)
            except Exception:
                log.exception("commit listener %r: open failed", listener)
        replayed = await asyncio.to_thread(self.replay)
        if replayed:
            log.info("replayed %d raw-log records", replayed)
        self._server = await asyncio.start_server(
            self._connection, host, port, limit=self.options.max_data_length + 64, backlog=4096
        )
        self._tasks = [
            asyncio.create_task(self._committer()),
            asyncio.create_task(self._flusher()),
        ]
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening, let the last group commit finish, flush, and close the logs."""
        if self._server is not None:
            self._server.close()
        while self._queue:
            await asyncio.sleep(0.01)
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush(hourly=True)
        self.raw.close()

    # ------------------------------------------------------------------ connections
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        address = writer.get_extra_info("peername")
        peer = f"{address[0]}:{address[1]}" if address else "?"
        if self.connections >= self.options.max_connections:
            self.events.write("rejected", peer, "too_many_connections", b"")
            writer.close()
            return
        self.connections += 1
        try:
            await self._serve(reader, writer, peer)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass
        except Exception:
            log.exception("connection %s: unexpected error", peer)
        finally:
            self.connections -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 1.0)

    async def _serve(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, peer: str
    ) -> None:
        options = self.options
        scanner = FrameScanner(options.max_data_length)
        bad = 0
        started: float | None = None
        while True:
            timeout = options.idle_seconds
            if started is not None:
                timeout = min(timeout, started + options.frame_seconds - time.monotonic())
            try:
                async with asyncio.timeout(max(timeout, 0.0)):
                    data = await reader.read(65536)
            except TimeoutError:
                reason = "slow_frame" if started is not None else "idle"
                self.events.write("rejected", peer, reason, scanner.held())
                return
            if not data:
                return
            waiting: list[Pending] = []
            for result in scanner.feed(data):
                if isinstance(result, FrameRejection):
                    self.events.write(
                        "rejected", peer, result.reason, result.raw, detail=result.detail
                    )
                    bad += 1
                    continue
                verdict = self._check(result, peer)
                if verdict == "close":
                    return
                if verdict is None:
                    bad += 1
                    continue
                if isinstance(verdict, Pending):
                    waiting.append(verdict)
            started = (started or time.monotonic()) if scanner.pending else None
            if waiting:
                self._wake.set()
                await asyncio.gather(*(p.done for p in waiting))
                answers = b"".join(data_ack(p.frame) for p in waiting if p.frame.wants_ack)
                if answers:
                    writer.write(answers)
                    async with asyncio.timeout(options.idle_seconds):
                        await writer.drain()
            if bad > options.max_bad_frames:
                self.events.write("rejected", peer, "too_many_bad_frames", b"", count=bad)
                return

    def _check(self, frame: Frame, peer: str) -> Pending | str | None:
        """A pending write for an acceptable frame; ``"close"`` after quarantine; ``"skip"`` for a
        command that carries no values; ``None`` for a malformed one (logged)."""
        pair = (frame.mn[:64], peer.rsplit(":", 1)[0])
        device = self.directory.get(frame.mn)
        if self.refusals.wait(pair) > 0:
            reason = "backoff"
        elif device is None or not device.accepts_password(frame.pw):
            reason = "unknown_mn" if device is None else "wrong_password"
            self.refusals.refuse(pair)
        else:
            reason = None
            self.refusals.forgive(pair)
        if reason is not None:
            self.events.write("quarantine", peer, reason, frame.raw, mn=frame.mn[:64])
            log.warning("quarantine %s from %s: MN %r", reason, peer, frame.mn[:64])
            return "close"
        if frame.cn not in COMMANDS:
            self.events.write("rejected", peer, "unsupported_command", frame.raw, cn=frame.cn)
            return "skip"
        if not frame.is_split and data_time_text(frame) is None:
            self.events.write("rejected", peer, "bad_data_time", frame.raw)
            return None
        received = received_now()
        pending = Pending(frame, device, received, encode_record(received, peer, frame.raw))
        self.devices[frame.mn] = device
        self._queue.append(pending)
        return pending

    # ------------------------------------------------------------------ durability
    async def _committer(self) -> None:
        """Write and fsync what is queued, hand it to the intake, release the waiters."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            if not self._queue:
                continue
            batch, self._queue = self._queue, []
            data = b"".join(p.record for p in batch)
            day = batch[0].received.date()
            try:
                name, size = await asyncio.to_thread(self.raw.write, data, day)
            except OSError as error:
                for pending in batch:
                    pending.done.set_exception(error)
                continue
            position = size - len(data)
            for pending in batch:
                start, position = position, position + len(pending.record)
                self.intake.take(
                    pending.frame, pending.device, pending.received, name, start, position
                )
                self._touched_days.add(pending.received.date())
                if not pending.done.done():
                    pending.done.set_result(None)
            self._log_rejections()

    def _log_rejections(self) -> None:
        for frame, rejection in self.intake.rejections:
            self.events.write(
                "rejected", "intake", rejection.reason, frame.raw, detail=rejection.detail
            )
        self.intake.rejections.clear()

    async def _flusher(self) -> None:
        last_hourly = time.monotonic()
        while True:
            await asyncio.sleep(self.options.flush_seconds)
            hourly = time.monotonic() - last_hourly >= self.options.hourly_seconds
            await self.flush(hourly=hourly)
            if hourly:
                last_hourly = time.monotonic()

    async def flush(self, hourly: bool = False) -> None:
        """Commit the intake's rows to the feed store (and, with ``hourly``, roll hours up)."""
        async with self._flush_lock:
            batch, cursors = self.intake.drain()
            days = await asyncio.to_thread(self._commit, batch, cursors)
            self.intake.forget_idle_days()
            if hourly and self.measurements is not None and self._touched_days:
                touched, self._touched_days = sorted(self._touched_days | days), set()
                await asyncio.to_thread(self._hourly, touched)

    def _commit(self, batch: FrameBatch, cursors: dict[str, int]) -> set[dt.date]:
        """Read the drained frames' values and commit them with their cursors (in a worker
        thread); return the days they touch."""
        if not batch.frames.num_rows and cursors == self.store.manifest().cursors:
            return set()
        table, bad = feed_rows(batch)
        for row in bad:
            self.events.write(
                "rejected", "intake", "bad_value", b"", **{k: str(v) for k, v in row.items()}
            )
        self.store.commit(table, cursors)
        if table.num_rows:
            for listener in self.listeners:
                try:
                    listener.committed(table)
                except Exception:
                    log.exception("commit listener %r failed", listener)
        return set(table.column("ts").cast("date32").to_pylist()) if table.num_rows else set()

    def _hourly(self, days: list[dt.date]) -> None:
        assert self.measurements is not None
        try:
            summary = store_hourly(
                self.store,
                self.measurements,
                list(self.devices.values()),
                days,
                city=self.options.city,
            )
        except Exception:
            log.exception("hourly roll-up failed")
            return
        if summary is not None:
            log.info("hourly: %s", summary.as_dict())


async def serve_forever(receiver: Receiver, host: str, port: int) -> None:
    """Run ``receiver`` until SIGTERM or SIGINT, then stop it cleanly."""
    bound = await receiver.start(host, port)
    print(f"HJ 212 接收 receiving on {host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await receiver.stop()
