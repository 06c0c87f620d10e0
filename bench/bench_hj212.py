"""Benchmark: HJ 212 minute frames accepted, stored and acknowledged by a real ``lantian receive``
at 1,000 concurrent device connections, against a discard-only server in the same run.

Run: ``uv run python bench/bench_hj212.py [--connections 1000] [--seconds 5] [--rate 5000]``.

* **baseline**: an asyncio server, in its own process, that only reads the frames off the same
  number of sockets and discards them (frames = bytes read / frame length); each connection writes
  one frame per ``write`` as fast as the server reads.
* **echo baseline**: the receiver capacity run's client against a server that answers every frame
  with a fixed, pre-built 9014 (no framing, CRC, device or disk): what the client and the round
  trips allow. Its frames repeat (the server reads none).
* **receiver capacity**: a ``lantian receive`` process (its own home folder, fsync before every
  9014 answer). Each connection is one simulated device (the simulator's fleet: constructed frames,
  模拟数据) sending minute frames of eight factors (``Flag=5``), ``--window`` frames in flight; a
  frame counts when its 9014 came back. Every frame is distinct (a repeat would be answered and
  not stored again); as many are built as the echo rate could use. Answered means durable (in
  the raw log); the values reach the feed store a flush later (``--workers`` > 1: in the storing
  process), so the run's frames divided by the time from the first sent to the last stored is
  printed too, and the ratios are taken of that rate.
* **receiver latency**: the same receiver offered ``--rate`` frames/s in total (each connection
  sending at its share of the rate, open loop): frames/s answered and the p50/p99 ack latency.

The client is as cheap as it can be, on the event loop the receiver uses (uvloop): one
:class:`asyncio.Protocol` per connection (no task, no stream), frames built beforehand (their CRCs
at once), written straight to the transport, answers counted by their line ends, the open loop
driven by one timer callback per frame. A run whose connections ran out of frames, or that
measured no answer, prints ``n/a`` and why instead of a rate or a ratio.

Afterwards the receiver is stopped and the feed store must hold exactly the acknowledged frames.
Prints the rates, their ratios and the latencies (goal: ≥ 5,000 frames/s, p99 ≤ 100 ms, ≥ 0.3×
the baseline). All load goes to 127.0.0.1 and stops by itself. ``BENCH_HJ212_PROFILE="-m cProfile
-o FILE"`` profiles the receiver.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import numpy as np

from lantian.cli.feeds import event_loop_factory
from lantian.feeds.simulator import fleet
from lantian.feeds.store import FeedStore
from lantian.ingest.hj212 import encode_frame, encode_frames

BASELINE_SERVER = """
import asyncio, sys
count = 0
ANSWER = sys.argv[1].encode() if len(sys.argv) > 1 else b""
async def handle(reader, writer):
    global count
    while True:
        data = await reader.read(65536)
        if not data:
            break
        count += len(data)
        if ANSWER:  # the echo baseline: a fixed answer per frame end, nothing checked or kept
            writer.write(ANSWER * data.count(b"\\n"))
    writer.close()
async def serve():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    print(count, flush=True)
try:
    import uvloop
    uvloop.install()
except ImportError:
    pass
asyncio.run(serve())
"""
FACTORS = ("a34001", "a34002", "a34004", "a01001", "a01002", "a01007", "a01008", "LA")


def frames_for(devices: list, count: int, offset: int = 0) -> list[list[bytes]]:
    """``count`` minute frames per simulated device (distinct DataTimes from minute ``offset`` on),
    their CRCs computed at once (:func:`encode_frames`)."""
    start = dt.datetime(2026, 12, 1) + dt.timedelta(minutes=offset)
    stamps = [f"{start + dt.timedelta(minutes=m):%Y%m%d%H%M%S}" for m in range(count)]
    values = [  # CP by (device number % 10, minute)
        [
            ";".join(f"{code}-Avg={10 + (offset + m) % 50}.{n},{code}-Flag=N" for code in FACTORS)
            for m in range(count)
        ]
        for n in range(10)
    ]
    segments = [
        f"QN={stamp}000;ST=22;CN=2051;PW={d.password};MN={d.device.mn};Flag=5;"
        f"CP=&&DataTime={stamp};{values[n % 10][m]}&&".encode()
        for n, d in enumerate(devices)
        for m, stamp in enumerate(stamps)
    ]
    encoded = encode_frames(segments)
    return [encoded[n * count : (n + 1) * count] for n in range(len(devices))]


class Load:
    """One run's clock, counts and ack latencies: answers counted while ``start <= t < stop``
    (after one second of warm-up)."""

    def __init__(self, seconds: float, window: int = 0, interval: float = 0.0) -> None:
        self.loop = asyncio.get_running_loop()
        self.start = time.perf_counter() + 1.0
        self.stop = self.start + seconds
        self.window, self.interval = window, interval
        self.latencies: list[float] = []
        self.measured = self.total = 0
        self.exhausted = 0
        """Connections that ran out of pre-built frames before ``stop`` (the run is void)."""


class Peer(asyncio.Protocol):
    """One simulated device's connection, as cheap as the client can be: no task, no stream;
    pre-built frames written straight to the transport, answers counted by their line ends.

    Closed loop (``load.window``): ``window`` frames in flight, the next sent as an answer
    comes. Open loop (``load.interval``): one frame every ``interval`` seconds from ``phase``
    on (a timer callback each), answered or not. ``cycle``: start the frames again when they
    run out (the echo baseline, whose server reads none of them).
    """

    def __init__(self, load: Load, frames: list[bytes], cycle: bool = False) -> None:
        self.load, self.frames, self.cycle = load, frames, cycle
        self.position = 0
        self.sent: deque[float] = deque()
        self.transport: asyncio.Transport | None = None
        self.done = load.loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_result(None)

    def data_received(self, data: bytes) -> None:
        now = time.perf_counter()
        load = self.load
        for _ in range(data.count(b"\n")):  # one per 9014 answer
            sent = self.sent.popleft()
            load.total += 1
            if load.start <= now < load.stop:
                load.measured += 1
                load.latencies.append(now - sent)
        if load.window:
            self.fill()
        self.finish_if_done()

    def send(self) -> bool:
        if self.position == len(self.frames):
            if not self.cycle:
                self.load.exhausted += 1
                return False
            self.position = 0
        self.transport.write(self.frames[self.position])
        self.sent.append(time.perf_counter())
        self.position += 1
        return True

    def fill(self) -> None:
        """Closed loop: top the frames in flight up to ``window`` until ``stop``."""
        load = self.load
        while len(self.sent) < load.window and time.perf_counter() < load.stop and self.send():
            pass

    def tick(self, due: float) -> None:
        """Open loop: send one frame, and the next in ``interval`` seconds until ``stop``."""
        if time.perf_counter() < self.load.stop and self.send():
            due += self.load.interval
            self.load.loop.call_at(due, self.tick, due)

    def finish_if_done(self) -> None:
        if not self.sent and time.perf_counter() >= self.load.stop and not self.done.done():
            self.done.set_result(None)


async def open_all(port: int, factory, count: int) -> list:
    loop = asyncio.get_running_loop()
    opened = []
    for start in range(0, count, 100):
        batch = range(start, min(count, start + 100))
        opened += await asyncio.gather(
            *(loop.create_connection(lambda n=n: factory(n), "127.0.0.1", port) for n in batch)
        )
    return [peer for _, peer in opened]


async def client_load(
    port: int,
    frames: list[list[bytes]],
    seconds: float,
    window: int = 0,
    rate: float = 0,
    cycle: bool = False,
) -> Load:
    """Closed loop with ``window`` frames in flight per connection, or open loop at ``rate``
    frames/s over all connections (each at its share, phases spread at random); returns the
    run's :class:`Load` once every frame sent was answered (or 30 s after ``stop``)."""
    load = Load(seconds, window, len(frames) / rate if rate else 0.0)
    peers = await open_all(port, lambda n: Peer(load, frames[n], cycle), len(frames))
    load.start = time.perf_counter() + 1.0
    load.stop = load.start + seconds
    if rate:
        loop = load.loop
        now = loop.time()
        phases = np.random.default_rng(212).uniform(0, load.interval, len(frames))
        for peer, phase in zip(peers, phases.tolist(), strict=True):
            loop.call_at(now + phase, peer.tick, now + phase)
    else:
        for peer in peers:
            peer.fill()
    await asyncio.sleep(seconds + 1.0)
    for peer in peers:
        peer.finish_if_done()
    await asyncio.wait([peer.done for peer in peers], timeout=30)
    for peer in peers:
        peer.transport.close()
    return load


async def baseline_load(port: int, frames: list[list[bytes]], seconds: float) -> None:
    readers_writers = []
    for start in range(0, len(frames), 100):
        readers_writers += await asyncio.gather(
            *(
                asyncio.open_connection("127.0.0.1", port)
                for _ in range(start, min(len(frames), start + 100))
            )
        )
    loop = asyncio.get_running_loop()
    stop = loop.time() + seconds

    async def device(writer, mine: list[bytes]) -> None:
        index = 0
        while loop.time() < stop:
            for _ in range(8):  # one frame per write, as devices send them
                writer.write(mine[index])
                index = (index + 1) % len(mine)
            await writer.drain()
        writer.close()

    await asyncio.gather(*(device(w, f) for (_, w), f in zip(readers_writers, frames, strict=True)))


def run_baseline(frames: list[list[bytes]], seconds: float) -> float:
    server = subprocess.Popen(
        [sys.executable, "-c", BASELINE_SERVER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    port = int(server.stdout.readline())
    started = time.perf_counter()
    run(baseline_load(port, frames, seconds))
    elapsed = time.perf_counter() - started
    server.stdin.write("\n")
    server.stdin.flush()
    received = int(server.stdout.readline())
    server.wait(30)
    return received / len(frames[0][0]) / elapsed


def run_echo_baseline(frames: list[list[bytes]], seconds: float, window: int) -> Load:
    """The receiver capacity run's client against a server that answers every frame with a
    fixed, pre-built 9014 (no framing, CRC, device, disk); frames cycle (the server reads none)."""
    answer = encode_frame("QN=0;ST=91;CN=9014;PW=0;MN=0;Flag=4;CP=&&&&").decode()
    server = subprocess.Popen(
        [sys.executable, "-c", BASELINE_SERVER, answer],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    port = int(server.stdout.readline())
    try:
        return run(client_load(port, frames, seconds, window=window, cycle=True))
    finally:
        server.stdin.write("\n")
        server.stdin.flush()
        server.stdout.readline()
        server.wait(30)


def run(coroutine):
    """Run on the event loop the receiver uses (uvloop where installed)."""
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        return runner.run(coroutine)


def cpu_seconds(pid: int) -> float:
    """CPU time [s] a process (with its threads and waited-for children) used so far (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time [s] of a process and its child processes (the receiver's workers) so far."""
    children = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children += (task / "children").read_text().split()
    return cpu_seconds(pid) + sum(cpu_seconds(int(child)) for child in children)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_receiver(
    capacity_frames: list[list[bytes]],
    latency_frames: list[list[bytes]],
    options: argparse.Namespace,
    home: Path,
) -> dict:
    """A ``lantian receive`` process: the closed-loop capacity run, then the open-loop latency
    run at ``options.rate``; then stopped, and its feed store read."""
    connections = len(capacity_frames)
    port = free_port()
    output = home / "receiver.log"
    with open(output, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, *os.environ.get("BENCH_HJ212_PROFILE", "").split(),
                "-m", "lantian", "--home", str(home), "receive", "--port", str(port),
                "--simulated", str(connections), "--max-connections", str(connections + 100),
                "--max-unproven-per-address", str(connections + 100),  # all from 127.0.0.1
                "--workers", str(options.workers), "--no-alarms",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while output.read_bytes().count(b"receiving on") < options.workers:
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise SystemExit(output.read_text())
        time.sleep(0.1)
    try:
        cpu = tree_cpu_seconds(process.pid)
        closed = run(client_load(port, capacity_frames, options.seconds, window=options.window))
        stored_after = all_stored(home) - (closed.start - 1.0)  # from the first frame sent
        time.sleep(1)
        opened = run(client_load(port, latency_frames, options.seconds, rate=options.rate))
        all_stored(home)
        time.sleep(1)
        cpu = tree_cpu_seconds(process.pid) - cpu
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(120)
    table = FeedStore(home / "feeds" / "store").read()
    return {
        "closed": closed,
        "stored_rate": closed.total / stored_after,
        "open": opened,
        "acked": closed.total + opened.total,
        "cpu": cpu,
        "stored": table.group_by(["mn", "ts", "cn"]).aggregate([]).num_rows,
    }


def all_stored(home: Path, timeout: float = 120.0) -> float:
    """Wait until the feed store's committed cursors reach the end of every raw log (every
    frame answered is stored); return when (``time.perf_counter``)."""
    store, raw = FeedStore(home / "feeds" / "store"), home / "feeds" / "raw"
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        cursors = store.manifest().cursors
        if all(cursors.get(p.name, 0) >= p.stat().st_size for p in raw.glob("*.hj212")):
            return time.perf_counter()
        time.sleep(0.05)
    raise SystemExit(f"frames answered but not stored after {timeout:g} s")


def rate_of(load: Load, seconds: float) -> tuple[float, str]:
    """Answers per second in the measured seconds, or 0 and why the run measured nothing."""
    if load.exhausted:
        return 0.0, f"{load.exhausted} connections ran out of pre-built frames"
    if not load.measured:
        return 0.0, "no answer came in the measured seconds"
    return load.measured / seconds, ""


def ratio(numerator: float, denominator: float, why: str) -> str:
    """``numerator / denominator`` as ``0.42×``, or ``n/a`` and why when either is missing."""
    if numerator <= 0 or denominator <= 0:
        return f"n/a ({why})"
    return f"{numerator / denominator:.2f}×"


def percentile_ms(latencies: list[float], q: float) -> str:
    return f"{np.percentile(latencies, q) * 1000:.1f} ms" if latencies else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per run")
    parser.add_argument("--window", type=int, default=8, help="capacity run: frames in flight")
    parser.add_argument("--rate", type=float, default=5000, help="latency run: frames/s offered")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="receiver processes (one per core)"
    )
    options = parser.parse_args()
    connections, seconds = options.connections, options.seconds
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * connections)), hard))
    devices = fleet(connections)
    few = frames_for(devices, 16)
    print(f"frame: {len(few[0][0])} bytes, 8 factors; {os.cpu_count()} cores", flush=True)

    baseline = run_baseline(few, seconds)
    echo_load = run_echo_baseline(few, seconds, options.window)
    echo, echo_why = rate_of(echo_load, seconds)
    # the receiver cannot answer faster than the echo server through the same client
    per_second = max(echo, 12.0 * connections) * 1.25 / connections
    capacity_count = int((seconds + 1.0) * per_second) + options.window
    latency_count = int((seconds + 1.0) * 1.2 * options.rate / connections) + 10
    print(f"building {connections} × {capacity_count + latency_count} frames …", flush=True)
    frames = frames_for(devices, capacity_count + latency_count)
    home = Path(tempfile.mkdtemp(prefix="bench-hj212-"))
    try:
        result = run_receiver(
            [f[:capacity_count] for f in frames],
            [f[capacity_count:] for f in frames],
            options,
            home,
        )
    finally:
        shutil.rmtree(home, ignore_errors=True)
    closed, opened = result["closed"], result["open"]
    capacity, capacity_why = rate_of(closed, seconds)
    achieved, achieved_why = rate_of(opened, seconds)
    print(
        f"{connections} connections, {seconds:g} s measured per run, "
        f"{options.workers} receiver process(es)"
    )
    print(f"baseline (read and discard):     {baseline:10,.0f} frames/s")
    print(
        f"echo baseline (fixed 9014 each): {echo:10,.0f} frames/s (the capacity run's client, "
        f"{options.window} in flight per connection){f'; n/a: {echo_why}' if echo_why else ''}"
    )
    print(
        f"receiver (fsync, 9014):          {capacity:10,.0f} frames/s answered "
        f"({options.window} in flight per connection; p99 ack "
        f"{percentile_ms(closed.latencies, 99)}){f'; n/a: {capacity_why}' if capacity_why else ''}"
    )
    stored_rate = result["stored_rate"] if not capacity_why else 0.0
    print(
        f"receiver (answered and stored):  {stored_rate:10,.0f} frames/s (the run's "
        f"{closed.total:,} frames, from the first sent to the last in the feed store)"
    )
    why = capacity_why or "no baseline"
    print(f"ratio receiver/baseline:         {ratio(stored_rate, baseline, why)}")
    print(f"ratio receiver/echo:             {ratio(stored_rate, echo, capacity_why or echo_why)}")
    print(
        f"ratio echo/baseline:             {ratio(echo, baseline, echo_why or 'no baseline')} "
        "(what answering each frame at all costs this client: the ceiling of receiver/baseline)"
    )
    print(
        f"offered {options.rate:,.0f} frames/s:        {achieved:10,.0f} frames/s answered, "
        f"ack latency p50 {percentile_ms(opened.latencies, 50)}, "
        f"p99 {percentile_ms(opened.latencies, 99)}{f'; n/a: {achieved_why}' if achieved_why else ''}"
    )
    print(f"acknowledged {result['acked']:,} frames, stored {result['stored']:,} (must be equal)")
    if result["acked"] and result["cpu"]:
        print(
            f"receiver CPU: {result['cpu']:.1f} s for them, "
            f"{result['cpu'] / result['acked'] * 1e6:.0f} µs per frame answered and stored "
            f"({result['acked'] / result['cpu']:,.0f} frames per CPU-second)"
        )
    if result["acked"] != result["stored"]:
        raise SystemExit("acknowledged and stored frames differ")


if __name__ == "__main__":
    main()
