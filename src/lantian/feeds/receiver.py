"""The HJ 212 receiver: an asyncio TCP server that acknowledges only what is durable.

Per connection (:class:`DeviceConnection`, an asyncio protocol: no task per peer), bytes are cut
into frames with ``bytes.find`` (:meth:`lantian.ingest.hj212.FrameScanner.split`) and queued. One
task, the committer, takes everything queued since its last round and checks it at once: the
CRCs of all frames together (:func:`lantian.ingest.hj212.check_frames`, whole-array), then each
frame's header. A frame from an unknown ``MN`` or with a wrong ``PW`` is written to the
quarantine log with the peer's address and the connection is closed, nothing stored. After three
such refusals of one (MN, address) pair, that pair backs off (:class:`lantian.throttle.BackOff`:
1, 2, 4 … s after its last refusal, as the ledger's logins do): its frames are quarantined as
``backoff`` without the password being looked at, so a password (sent in clear, often six
digits) cannot be guessed at line rate. After :data:`ADDRESS_FREE_REFUSALS` refusals from one
address (any MN: one password tried on every MN), that address backs off the same way for every MN
not accepted from it in the last 15 minutes — the devices already sending from behind it go on.
A malformed frame (length, CRC, field) is logged with its
raw bytes; a peer that sends more than ``max_bad_frames`` of them, sends nothing for
``idle_seconds``, takes more than ``frame_seconds`` to finish a started frame (slowloris), or
does not read its answers for ``idle_seconds`` (its reading is paused meanwhile), is
disconnected. A connection is *unproven* until one of its frames is accepted: one address may hold
at most ``max_unproven_per_address`` unproven connections (more are closed at once), and at
``max_connections`` the oldest unproven connection makes room for the new one (none unproven: the
new one is closed) — so idle connections opened by an attacker cannot keep devices out.

The accepted upload frames (CN 2011/2051/2061/2031) of the round are appended to the raw log with
one write and one ``fsync`` (group commit: every frame that arrived while the last ``fsync`` ran
shares the next); only then are their 9014 answers (CRCs at once, :func:`data_acks`) written, one
write per connection. Values are not read on this path: the raw log is the durable record. Every
``flush_seconds`` the frames made durable since are handed to the
:class:`~lantian.feeds.intake.Intake` in log order and their values read all at once into the
feed store, committed with the raw-log offsets they cover; every ``hourly_seconds`` the closed
hours go to the measurement store. On start, the raw log's records past the committed offsets are
replayed (so after ``kill -9`` no acknowledged frame is lost and none is stored twice).

With ``--workers N`` (N > 1), N processes share the port (``SO_REUSEPORT``), each with its own
raw log, and one more, worker 0, stores values: at every flush it reads the records they made
durable (each writes, after each ``fsync``, the file and size it reached to a mark,
:meth:`RawLog.durable`), so one intake sees every frame: a frame re-sent to another process after
a lost answer is stored once, a split set whose packets reached two processes is assembled, the
hours and the live alarms cover the whole fleet.

:class:`CommitListener` objects (the live alarm evaluation, ``lantian.alarms.live``) are opened
before the replay and handed every committed table of rows after its commit, in commit order;
an error in one is logged and the receiver goes on (what they derive must be recomputable).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import heapq
import hmac
import logging
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from lantian.feeds.hourly import store_hourly
from lantian.feeds.intake import FrameBatch, Intake, feed_rows
from lantian.feeds.rawlog import (
    EVENT_LOG_BYTES,
    EventLog,
    RawLog,
    RawRecord,
    encode_records,
    received_now,
)
from lantian.feeds.store import FeedStore
from lantian.ingest.hj212 import (
    COMMANDS,
    MAX_DATA_LENGTH,
    Frame,
    FrameRejection,
    FrameScanner,
    check_frames,
    crc16,
    data_acks,
    data_time_text,
)
from lantian.sources.devices import Device, DeviceDirectory
from lantian.store.measurements import MeasurementStore
from lantian.throttle import BackOff, Recent

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
    max_unproven_per_address: int = 1024
    """Connections of one address without an accepted frame yet: a quarter of the slots (many
    devices behind one carrier NAT address reconnect at once after an outage)."""
    max_data_length: int = MAX_DATA_LENGTH
    flush_seconds: float = 2.0
    event_log_bytes: int = EVENT_LOG_BYTES
    """The most the quarantine and the rejection log each write a day."""
    hourly_seconds: float = 60.0
    city: str | None = None
    """The city device stations are registered in (when the registry gives none)."""
    workers: int = 1
    """Receiver processes sharing the port (``SO_REUSEPORT``), each with its own raw log: with
    N > 1, workers 1 … N take connections and worker 0 stores what they made durable."""
    worker: int = 0
    """This process's number. Worker 0 replays every worker's raw log before the others start,
    and is the only one that stores values: with ``workers`` > 1 it takes no connection (it
    holds the port) and reads the workers' raw logs (up to what each made durable,
    :meth:`RawLog.durable_records`) at every flush, so one intake de-duplicates all frames,
    assembles split sets whose packets reached different workers, rolls hours up and hands every
    commit to the listeners (the live alarms see the whole fleet), and the workers' event loops
    never wait for the values' parsing."""


ADDRESS_FREE_REFUSALS = 20
"""Refusals (unknown MN, wrong password) from one address, any MN, in 15 minutes before it backs
off for the MNs not accepted from it (a misconfigured device retrying once a minute makes about a
dozen: its own pair backs off)."""
STORING_NICENESS = 5
"""How much lower the storing process (``workers`` > 1) runs than the workers: on few cores its
bursts of parsing at every flush would otherwise hold back answers; storing may lag a flush, an
answer may not."""
MAX_QUEUED_PER_CONNECTION = 256
"""A connection's frames waiting for their commit: past this, its reading pauses (a device sends
one frame a minute; only a flood or a peer that does not read its answers gets here)."""
WRITE_BUFFER_HIGH = 64 * 1024
"""Answers a peer has not read, held by the receiver [bytes]: past this its reading pauses until
it reads them."""
SEND_BUFFER = 32 * 1024
"""The kernel's send buffer per connection [bytes] (a device's answers are ~120 bytes a minute;
a fixed size keeps a peer that reads nothing from parking megabytes in the kernel)."""


class DeviceConnection(asyncio.Protocol):
    """One peer: cuts its bytes into frames and queues them for the committer."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.scanner = FrameScanner(receiver.options.max_data_length)
        self.transport: asyncio.Transport | None = None
        self.peer = "?"
        self.address = "?"
        self.proven = False
        """Whether one of its frames was accepted (until then it may be evicted)."""
        self.bad = 0
        self.queued = 0
        """Frames of this peer waiting for the committer."""
        self.last = time.monotonic()
        """When bytes last came (or the peer last read its answers)."""
        self.started: float | None = None
        """When the frame still incomplete began to arrive."""
        self.closed = False
        self._reading_paused = False
        self._writing_paused = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment] (uvloop's is no subclass)
        address = transport.get_extra_info("peername")
        self.peer = f"{address[0]}:{address[1]}" if address else "?"
        self.address = str(address[0]) if address else "?"
        receiver = self.receiver
        refusal = receiver.admit_connection(self)
        if refusal is not None:
            receiver.events.write("rejected", self.peer, refusal, b"")
            self.close()
            return
        transport.set_write_buffer_limits(high=WRITE_BUFFER_HIGH)
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        receiver.connections.add(self)
        receiver.unproven.setdefault(self.address, {})[self] = None

    def data_received(self, data: bytes) -> None:
        if self.closed:
            return
        receiver = self.receiver
        now = self.last = time.monotonic()
        try:
            items = self.scanner.split(data)
        except Exception:  # never expected: the scanner takes any bytes
            log.exception("connection %s: unexpected error", self.peer)
            self.close()
            return
        for item in items:
            if isinstance(item, FrameRejection):
                self.reject(item)
            else:
                receiver.queue.append((self, item))
                self.queued += 1
        self.started = (self.started or now) if self.scanner.pending else None
        if self.queued:
            receiver.wake.set()
        self._flow()
        self.cut_if_bad()

    def eof_received(self) -> bool:
        return False  # close; frames still queued are committed, their answers dropped

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.receiver.forget(self)

    def pause_writing(self) -> None:
        self._writing_paused = True
        self._flow()

    def resume_writing(self) -> None:
        self._writing_paused = False
        self.last = time.monotonic()
        self._flow()

    # the receiver's side
    def reject(self, rejection: FrameRejection | None) -> None:
        """Log a malformed frame (unless ``None``: logged already) and count it against the
        peer."""
        if rejection is not None:
            self.receiver.events.write(
                "rejected", self.peer, rejection.reason, rejection.raw, detail=rejection.detail
            )
        self.bad += 1

    def cut_if_bad(self) -> None:
        """Disconnect a peer past ``max_bad_frames`` malformed frames."""
        if self.bad > self.receiver.options.max_bad_frames and not self.closed:
            self.receiver.events.write(
                "rejected", self.peer, "too_many_bad_frames", b"", count=self.bad
            )
            self.close()

    def answered(self, count: int) -> None:
        """``count`` queued frames were dealt with by the committer."""
        self.queued -= count
        self._flow()

    def _flow(self) -> None:
        """Pause reading while too many frames wait or the peer does not read its answers."""
        if self.closed or self.transport is None:
            return
        pause = self.queued >= MAX_QUEUED_PER_CONNECTION or self._writing_paused
        if pause and not self._reading_paused:
            self.transport.pause_reading()
        elif not pause and self._reading_paused:
            self.transport.resume_reading()
            self.last = time.monotonic()
            self.started = self.last if self.scanner.pending else None
        self._reading_paused = pause

    def expired(self, now: float) -> str | None:
        """Why the peer is to be cut off now (``slow_frame``, ``slow_reader``, ``idle``), if.
        While the receiver does not read the peer (its answers pile up, or its frames wait for
        the committer), its own clocks stand still; one that does not read its answers for
        ``idle_seconds`` is a slow reader."""
        options = self.receiver.options
        if self.closed:
            return None
        if self._reading_paused:
            if self._writing_paused and now - self.last > options.idle_seconds:
                return "slow_reader"
            return None
        if self.started is not None and now - self.started > options.frame_seconds:
            return "slow_frame"
        if now - self.last > options.idle_seconds:
            return "idle"
        return None

    def prove(self) -> None:
        """One of its frames was accepted: it is a device's connection, never evicted."""
        if not self.proven:
            self.proven = True
            self.receiver.forget_unproven(self)

    def close(self) -> None:
        self.closed = True
        self.receiver.forget(self)
        if self.transport is not None:
            self.transport.close()


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
        self.raw = RawLog(self.folder, self.options.worker)
        self.events = EventLog(self.folder, self.options.event_log_bytes)
        self.store = FeedStore(self.folder / "store")
        self.intake = Intake(self.store)
        self.devices: dict[str, Device] = {}
        self.connections: set[DeviceConnection] = set()
        self.unproven: dict[str, dict[DeviceConnection, None]] = {}
        """Per address, its connections without an accepted frame, oldest first."""
        self.refusals = BackOff()
        """Refused (MN, address) pairs, for the back-off."""
        self.address_refusals = BackOff(free=ADDRESS_FREE_REFUSALS)
        """Refusals per address, any MN: for the back-off of MNs not accepted from it."""
        self.accepted = Recent()
        """(MN, address) pairs accepted in the last 15 minutes: spared the address's back-off."""
        self._passwords: dict[str, tuple[Device, bytes]] = {}
        """MN → (the device as looked up, the password it was last accepted with)."""
        self.queue: list[tuple[DeviceConnection, bytes]] = []
        """Frames received and not yet checked, in arrival order."""
        self.wake = asyncio.Event()
        workers = self.options.workers
        self.stores = self.options.worker == 0
        """Whether this process stores values (worker 0; the others only make frames durable
        and answer them)."""
        self.receives = workers == 1 or self.options.worker > 0
        """Whether this process takes connections (with ``workers`` > 1, workers 1 … N do;
        worker 0 only stores)."""
        self._tails = [RawLog(self.folder, w) for w in range(1, workers + 1)] if workers > 1 else []
        """The receiving workers' raw logs, read by worker 0."""
        self._reserved: socket.socket | None = None
        """Worker 0's bound, not listening, socket on the workers' port (it keeps the port)."""
        self._durable: list[tuple[Frame, Device, dt.datetime, str, int, int]] = []
        """Frames durable and answered, not yet handed to the intake."""
        self._server: asyncio.base_events.Server | None = None
        self._tasks: list[asyncio.Task] = []
        self._touched_days: set[dt.date] = set()
        self._flush_lock = asyncio.Lock()
        self.stopping = asyncio.Event()
        """Set to stop the receiver (by ``serve_forever``'s signals, or a failed flush)."""
        self.failed = False
        """Whether a flush failed (nothing more is stored; the process exits non-zero)."""

    # ------------------------------------------------------------------ connections
    def admit_connection(self, connection: DeviceConnection) -> str | None:
        """Why a new connection is refused, if: its address holds ``max_unproven_per_address``
        unproven ones, or all ``max_connections`` are proven; at the cap an unproven one (the
        oldest of the address with most) is closed to make room."""
        options = self.options
        if len(self.unproven.get(connection.address, ())) >= options.max_unproven_per_address:
            return "too_many_from_address"
        if len(self.connections) < options.max_connections:
            return None
        if not self.unproven:
            return "too_many_connections"
        crowded = max(self.unproven.values(), key=len)
        oldest = next(iter(crowded))
        self.events.write("rejected", oldest.peer, "evicted_unproven", b"")
        oldest.close()
        return None

    def forget_unproven(self, connection: DeviceConnection) -> None:
        found = self.unproven.get(connection.address)
        if found is not None:
            found.pop(connection, None)
            if not found:
                del self.unproven[connection.address]

    def forget(self, connection: DeviceConnection) -> None:
        """A connection closed: no longer counted."""
        self.connections.discard(connection)
        self.forget_unproven(connection)

    # ------------------------------------------------------------------ start and stop
    def replay(self) -> int:
        """Take the raw log's records past the committed cursors; commit; return how many."""
        cursors = self.store.manifest().cursors
        others = []
        if self.options.worker == 0:  # every worker's log: the others start after this
            others = [RawLog(self.folder, w) for w in RawLog.workers(self.folder) if w]
        try:
            for other in others:
                other.open(wait_seconds=30)  # a worker of a killed receiver may still be exiting
            logs = [list(raw.records(cursors)) for raw in (self.raw, *others)]
        finally:
            for other in others:
                other.close()
        # the logs merged by receipt (each in its own order): a split set's packets in two logs
        # are taken close together, not ten minutes of another log apart (split-set expiry)
        records = list(heapq.merge(*logs, key=lambda r: r.received))
        count = self._take_records(records)
        self._commit(*self.intake.drain())
        return count

    def _take_records(self, records: list[RawRecord]) -> int:
        """Hand raw-log records (read back: a replay, another worker's log) to the intake, their
        CRCs checked at once; return how many were taken."""
        count = 0
        refresh = getattr(self.directory, "refresh", None)
        for record, frame in zip(records, check_frames([r.frame for r in records]), strict=True):
            device = self.directory.get(frame.mn) if isinstance(frame, Frame) else None
            if device is None and isinstance(frame, Frame) and refresh is not None:
                # a worker accepted it: its device may have been registered since this process
                # looked (one refresh covers every record of the batch, all made durable before)
                refresh()
                refresh = None
                device = self.directory.get(frame.mn)
            if not isinstance(frame, Frame) or device is None:
                # acknowledged, so never passed over silently: the rejection log keeps its bytes
                # (holding the cursor instead would hold every later record of the log forever
                # for a device that was removed)
                reason = "unknown_mn_at_store" if isinstance(frame, Frame) else "bad_raw_record"
                self.events.write(
                    "rejected", record.peer, reason, record.frame, log=record.log,
                    start=record.start, received=record.received.isoformat(),
                )  # fmt: skip
                log.error("raw log %s@%d: %s, not stored", record.log, record.start, reason)
                continue
            self.devices[frame.mn] = device
            self.intake.take(frame, device, record.received, record.log, record.start, record.end)
            self._touched_days.add(record.received.date())
            count += 1
        return count

    async def start(self, host: str = "127.0.0.1", port: int = 9212) -> int:
        """Open the logs, replay, and listen; return the port listened on. With ``workers`` > 1
        the port is shared (``SO_REUSEPORT``): the kernel spreads connections over the
        processes listening on it."""
        self.raw.open()
        crc16(b"#" * 64)  # builds the CRC's tables before the first device waits on them
        for listener in self.listeners:
            try:
                await asyncio.to_thread(listener.open)
            except Exception:
                log.exception("commit listener %r: open failed", listener)
        if self.stores:
            replayed = await asyncio.to_thread(self.replay)
            if replayed:
                log.info("replayed %d raw-log records", replayed)
        loop = asyncio.get_running_loop()
        if self.receives and self.options.workers > 1:
            self._server = await loop.create_server(
                lambda: DeviceConnection(self), sock=shared_socket(host, port)
            )
        elif not self.receives:  # the storing process: holds the port for the workers
            self._reserved = shared_socket(host, port, listen=False)
            self._tasks = [asyncio.create_task(self._flusher())]
            return self._reserved.getsockname()[1]
        else:
            self._server = await loop.create_server(
                lambda: DeviceConnection(self), host, port, backlog=4096
            )
        self._tasks = [
            asyncio.create_task(self._committer()),
            asyncio.create_task(self._sweeper()),
            *([asyncio.create_task(self._flusher())] if self.stores else []),
        ]
        return self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening, let the last group commit finish, close the connections, flush, and
        close the logs."""
        if self._server is not None:
            self._server.close()
        if self._reserved is not None:
            self._reserved.close()
        while self.queue:
            await asyncio.sleep(0.01)
        # a flush under way ends first: cancelling its task would not stop its thread, and the
        # final flush must not take frames into the same intake beside it
        async with self._flush_lock:
            for task in self._tasks:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for connection in list(self.connections):
            connection.close()
        if self.stores and not self.failed:
            await self.flush(hourly=True)
        self.raw.close()

    async def _sweeper(self) -> None:
        """Cut off idle peers, slow frames and peers that do not read their answers."""
        options = self.options
        period = max(0.05, min(1.0, options.idle_seconds / 4, options.frame_seconds / 4))
        while True:
            await asyncio.sleep(period)
            now = time.monotonic()
            for connection in list(self.connections):
                reason = connection.expired(now)
                if reason is not None:
                    self.events.write(
                        "rejected", connection.peer, reason, connection.scanner.held()
                    )
                    connection.close()

    # ------------------------------------------------------------------ checking
    def _check(self, frame: Frame, connection: DeviceConnection) -> Device | str | None:
        """The device of an acceptable frame; ``"close"`` after quarantine; ``"skip"`` for a
        command that carries no values; ``None`` for a malformed one (logged)."""
        peer = connection.peer
        address = connection.address
        pair = (frame.mn[:64], address)
        device = self.directory.get(frame.mn)
        known = pair in self.accepted
        if self.refusals.wait(pair) > 0 or (not known and self.address_refusals.wait(address) > 0):
            reason = "backoff"
        elif device is None or not self._accepts(device, frame.pw):
            reason = "unknown_mn" if device is None else "wrong_password"
            self.refusals.refuse(pair)
            self.address_refusals.refuse(address)
        else:
            reason = None
            self.refusals.forgive(pair)
            self.accepted.add(pair)
        if reason is not None:
            if self.events.write("quarantine", peer, reason, frame.raw, mn=frame.mn[:64]):
                log.warning("quarantine %s from %s: MN %r", reason, peer, frame.mn[:64])
            return "close"
        if frame.cn not in COMMANDS:
            self.events.write("rejected", peer, "unsupported_command", frame.raw, cn=frame.cn)
            return "skip"
        if not frame.is_split and data_time_text(frame) is None:
            self.events.write("rejected", peer, "bad_data_time", frame.raw)
            return None
        return device

    def _accepts(self, device: Device, password: str) -> bool:
        """``device.accepts_password``, remembered per device: a device sends the same ``PW``
        in every frame, so its salted digest is computed once, not at frame rate (a device
        re-read from the registry is a new object and is checked afresh)."""
        sent = password.encode("utf-8", "surrogatepass")
        known = self._passwords.get(device.mn)
        if known is not None and known[0] is device:
            return hmac.compare_digest(known[1], sent)
        if not device.accepts_password(password):
            return False
        self._passwords[device.mn] = (device, sent)
        return True

    def _admit(
        self, queued: list[tuple[DeviceConnection, bytes]]
    ) -> list[tuple[DeviceConnection, Frame, Device]]:
        """Check queued frames (CRCs at once), in arrival order; the acceptable ones."""
        accepted: list[tuple[DeviceConnection, Frame, Device]] = []
        for (connection, _), result in zip(
            queued, check_frames([raw for _, raw in queued]), strict=True
        ):
            if connection.closed:
                continue
            verdict = self._check(result, connection) if isinstance(result, Frame) else None
            if verdict == "close":
                connection.close()
            elif verdict is None:
                connection.reject(result if isinstance(result, FrameRejection) else None)
                connection.cut_if_bad()
            elif isinstance(verdict, Device):
                accepted.append((connection, result, verdict))  # type: ignore[arg-type]
                connection.prove()
                self.devices[verdict.mn] = verdict
        return accepted

    # ------------------------------------------------------------------ durability
    async def _committer(self) -> None:
        """Check what is queued, write and fsync the acceptable frames (one write, one fsync),
        then answer them."""
        while True:
            await self.wake.wait()
            self.wake.clear()
            if not self.queue:
                continue
            queued, self.queue = self.queue, []
            try:
                await self._commit_round(queued)
            except Exception:  # never expected; the round's peers re-send what went unanswered
                log.exception(
                    "commit round of %d frames failed; their peers disconnected", len(queued)
                )
                for connection, _ in queued:
                    connection.close()
            finally:
                counts: dict[DeviceConnection, int] = {}
                for connection, _ in queued:
                    counts[connection] = counts.get(connection, 0) + 1
                for connection, count in counts.items():
                    connection.answered(count)

    async def _commit_round(self, queued: list[tuple[DeviceConnection, bytes]]) -> None:
        accepted = self._admit(queued)
        if not accepted:
            return
        received = received_now()
        records = encode_records(
            received, [c.peer for c, _, _ in accepted], [frame.raw for _, frame, _ in accepted]
        )
        data = b"".join(records)
        try:
            name, size = await asyncio.to_thread(self.raw.write, data, received.date())
        except OSError:
            log.exception("raw log: write failed; %d frames not answered", len(records))
            for connection, _, _ in accepted:  # the devices send them again
                connection.close()
            return
        position = size - len(data)
        durable = self._durable if self.stores else []  # worker 0 reads the others' logs
        for (_, frame, device), record in zip(accepted, records, strict=True):
            start, position = position, position + len(record)
            durable.append((frame, device, received, name, start, position))
        wanted = [(c, frame) for c, frame, _ in accepted if frame.wants_ack and not c.closed]
        answers: dict[DeviceConnection, list[bytes]] = {}
        for (connection, _), answer in zip(
            wanted, data_acks([frame for _, frame in wanted]), strict=True
        ):
            answers.setdefault(connection, []).append(answer)
        for connection, parts in answers.items():
            if not connection.closed and connection.transport is not None:
                connection.transport.write(b"".join(parts))

    def _log_rejections(self) -> None:
        for frame, rejection in self.intake.rejections:
            self.events.write(
                "rejected", "intake", rejection.reason, frame.raw, detail=rejection.detail
            )
        self.intake.rejections.clear()

    async def _flusher(self) -> None:
        """Flush every ``flush_seconds``. A failed flush stops the receiver (:attr:`failed`,
        :attr:`stopping`; ``serve_forever`` exits non-zero): the intake may have taken frames it
        did not commit, so no later commit of this process may move the cursors past them, and a
        restart replays the raw logs from the committed cursors (as after ``kill -9``)."""
        last_hourly = time.monotonic()
        while True:
            await asyncio.sleep(self.options.flush_seconds)
            hourly = time.monotonic() - last_hourly >= self.options.hourly_seconds
            try:
                await self.flush(hourly=hourly)
            except Exception:
                log.critical(
                    "storing failed: the receiver stops without storing more; restart it to "
                    "store the raw logs' frames from the committed cursors",
                    exc_info=True,
                )
                self.failed = True
                self.stopping.set()
                return
            if hourly:
                last_hourly = time.monotonic()

    async def flush(self, hourly: bool = False) -> None:
        """Commit the intake's rows to the feed store (and, with ``hourly``, roll hours up)."""
        async with self._flush_lock:
            durable, self._durable = self._durable, []
            days = await asyncio.to_thread(self._take, durable)
            self.intake.forget_idle_days()
            if hourly and self.measurements is not None and self._touched_days:
                touched, self._touched_days = sorted(self._touched_days | days), set()
                await asyncio.to_thread(self._hourly, touched)

    def _take(
        self, durable: list[tuple[Frame, Device, dt.datetime, str, int, int]]
    ) -> set[dt.date]:
        """Hand the frames made durable since the last flush to the intake, in log order, and
        commit what it drained (in a worker thread); return the days the rows touch."""
        for frame, device, received, name, start, end in durable:
            self.intake.take(frame, device, received, name, start, end)
            self._touched_days.add(received.date())
        if self._tails:
            positions = {**self.store.manifest().cursors, **self.intake.cursors}
            tails = [raw.durable_records(positions) for raw in self._tails]
            self._take_records(list(heapq.merge(*tails, key=lambda r: r.received)))
        self._log_rejections()
        return self._commit(*self.intake.drain())

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
        return set(_days(table).to_pylist())

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


def _days(rows: pa.Table) -> pa.Array:
    """The distinct days of the rows' ``ts`` (whole-column: a commit holds ~10⁵ rows)."""
    return pc.unique(pc.cast(rows.column("ts"), pa.date32()))


def shared_socket(host: str, port: int, listen: bool = True) -> socket.socket:
    """A listening TCP socket on ``host:port`` that other processes may listen on too
    (``SO_REUSEPORT``, Linux ≥ 3.9): the kernel spreads new connections over them. Not
    ``listen``: only bound (it keeps the port, takes no connection)."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(address)
    if listen:
        sock.listen(4096)
    sock.setblocking(False)
    return sock


def die_with_parent(parent: int) -> None:
    """Have the kernel kill this process when ``parent`` dies (a worker must not outlive a
    receiver killed with ``kill -9``: its raw log would be written behind the next one's back).
    Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``; exits at once if ``parent`` is gone already."""
    import ctypes
    import os

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(1, signal.SIGKILL, 0, 0, 0) != 0:  # PR_SET_PDEATHSIG = 1
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG)")
    if os.getppid() != parent:
        os._exit(1)


async def serve_forever(
    receiver: Receiver,
    host: str,
    port: int,
    start_workers: Callable[[int], list[subprocess.Popen]] | None = None,
) -> None:
    """Run ``receiver`` until SIGTERM or SIGINT, then stop it cleanly. ``start_workers`` (given
    the port bound) starts the other worker processes once this one has replayed and listens;
    they are stopped (SIGTERM) and waited for before this one stops."""
    bound = await receiver.start(host, port)
    workers = start_workers(bound) if start_workers is not None else []
    if receiver.receives:
        name = f"worker {receiver.options.worker} " if receiver.options.worker else ""
        print(f"HJ 212 接收 {name}receiving on {host}:{bound}", flush=True)
    else:
        os.nice(STORING_NICENESS)  # after starting the workers: they do not inherit it
        print(f"HJ 212 存储 storing for {len(workers)} workers on {host}:{bound}", flush=True)
    stop = receiver.stopping
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        await asyncio.to_thread(worker.wait)
    await receiver.stop()
    if receiver.failed:
        raise SystemExit(1)  # the supervisor restarts it: the replay stores what is left
