"""Benchmark: HJ 212 minute frames accepted, stored and acknowledged by a real ``lantian receive``
at 1,000 concurrent device connections, against a discard-only server in the same run.

Run: ``uv run python bench/bench_hj212.py [--connections 1000] [--seconds 5] [--rate 5000]``.

* **baseline**: an asyncio server, in its own process, that only reads the frames off the same
  number of sockets and discards them (frames = bytes read / frame length); each connection writes
  one frame per ``write`` as fast as the server reads.
* **echo baseline**: the receiver capacity run's client against a server that answers every frame
  with a fixed, pre-built 9014 (no framing, CRC, device or disk): what the client and the round
  trips allow.
* **receiver capacity**: a ``lantian receive`` process (its own home folder, fsync before every
  9014 answer). Each connection is one simulated device (the simulator's fleet: constructed frames,
  模拟数据) sending minute frames of eight factors (``Flag=5``), ``--window`` frames in flight; a
  frame counts when its 9014 came back.
* **receiver latency**: the same receiver offered ``--rate`` frames/s in total (each connection
  sending at its share of the rate, open loop): frames/s answered and the p50/p99 ack latency.

Afterwards the receiver is stopped and the feed store must hold exactly the acknowledged frames.
Prints both rates, their ratio and the latencies (goal: ≥ 5,000 frames/s, p99 ≤ 100 ms, ≥ 0.3×
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
from pathlib import Path

import numpy as np

from lantian.cli.feeds import event_loop_factory
from lantian.feeds.simulator import fleet
from lantian.feeds.store import FeedStore
from lantian.ingest.hj212 import encode_frame

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


def frames_for(device, number: int, count: int) -> list[bytes]:
    """``count`` minute frames of a simulated ``device`` (distinct DataTimes)."""
    start = dt.datetime(2026, 12, 1)
    frames = []
    for minute in range(count):
        stamp = f"{start + dt.timedelta(minutes=minute):%Y%m%d%H%M%S}"
        cp = ";".join(
            f"{code}-Avg={10 + minute % 50}.{number % 10},{code}-Flag=N" for code in FACTORS
        )
        frames.append(
            encode_frame(
                f"QN={stamp}000;ST=22;CN=2051;PW={device.password};MN={device.device.mn};Flag=5;"
                f"CP=&&DataTime={stamp};{cp}&&"
            )
        )
    return frames


async def open_all(port: int, connections: int) -> list[tuple]:
    opened = []
    for start in range(0, connections, 100):
        batch = range(start, min(connections, start + 100))
        opened += await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in batch))
    return opened


class Load:
    """One run's clock, counts and latencies."""

    def __init__(self, seconds: float, window: int, interval: float) -> None:
        self.loop = asyncio.get_running_loop()
        self.start = self.loop.time() + 1.0  # one second of warm-up
        self.stop = self.start + seconds
        self.window, self.interval = window, interval
        self.latencies: list[float] = []
        self.measured = self.total = 0

    def answered(self, sent: float) -> None:
        self.total += 1
        if self.start <= self.loop.time() < self.stop:
            self.measured += 1
            self.latencies.append(time.perf_counter() - sent)

    async def closed(self, reader, writer, mine: list[bytes]) -> None:
        """``window`` frames in flight until the end of the run."""
        sent_at: list[float] = []
        position = 0
        while True:
            while (
                position < len(mine) and len(sent_at) < self.window and self.loop.time() < self.stop
            ):
                writer.write(mine[position])
                sent_at.append(time.perf_counter())
                position += 1
            if not sent_at:
                break
            await reader.readuntil(b"\r\n")
            self.answered(sent_at.pop(0))
        writer.close()

    async def opened(self, reader, writer, mine: list[bytes], phase: float) -> None:
        """One frame every ``interval`` seconds, answered or not."""
        sent_at: list[float] = []

        async def read() -> None:
            while True:
                await reader.readuntil(b"\r\n")
                self.answered(sent_at.pop(0))

        reading = asyncio.create_task(read())
        due = self.loop.time() + phase
        for frame in mine:
            if due >= self.stop:
                break
            await asyncio.sleep(max(0.0, due - self.loop.time()))
            writer.write(frame)
            sent_at.append(time.perf_counter())
            due += self.interval
        deadline = self.loop.time() + 30
        while sent_at and self.loop.time() < deadline:  # the last answers
            await asyncio.sleep(0.05)
        reading.cancel()
        writer.close()


async def receiver_load(
    port: int, frames: list[list[bytes]], seconds: float, window: int = 0, rate: float = 0
) -> tuple[float, np.ndarray, int]:
    """Closed loop with ``window`` frames in flight per connection, or open loop at ``rate``
    frames/s over all connections. Returns (frames/s answered in the measured seconds, their ack
    latencies [s], frames answered in all)."""
    streams = await open_all(port, len(frames))
    interval = len(frames) / rate if rate else 0.0
    load = Load(seconds, window, interval)
    if rate:
        phases = np.random.default_rng(212).uniform(0, interval, len(frames))
        jobs = [
            load.opened(r, w, f, p) for (r, w), f, p in zip(streams, frames, phases, strict=True)
        ]
    else:
        jobs = [load.closed(r, w, f) for (r, w), f in zip(streams, frames, strict=True)]
    await asyncio.gather(*jobs)
    return load.measured / seconds, np.array(load.latencies), load.total


async def baseline_load(port: int, frames: list[list[bytes]], seconds: float) -> None:
    streams = await open_all(port, len(frames))
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

    await asyncio.gather(*(device(w, f) for (_, w), f in zip(streams, frames, strict=True)))


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


def run_echo_baseline(frames: list[list[bytes]], seconds: float, window: int) -> float:
    """The same closed-loop client as the receiver's capacity run, against a server that answers
    every frame with a fixed, pre-built 9014 (no framing, CRC, device, disk): frames/s."""
    answer = encode_frame("QN=0;ST=91;CN=9014;PW=0;MN=0;Flag=4;CP=&&&&").decode()
    server = subprocess.Popen(
        [sys.executable, "-c", BASELINE_SERVER, answer],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    port = int(server.stdout.readline())
    try:
        rate, _, _ = run(receiver_load(port, frames, seconds, window=window))
    finally:
        server.stdin.write("\n")
        server.stdin.flush()
        server.stdout.readline()
        server.wait(30)
    return rate


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
    frames: list[list[bytes]], seconds: float, window: int, rate: float, home: Path, workers: int
) -> dict:
    port = free_port()
    output = home / "receiver.log"
    with open(output, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable, *os.environ.get("BENCH_HJ212_PROFILE", "").split(),
                "-m", "lantian", "--home", str(home), "receive", "--port", str(port),
                "--simulated", str(len(frames)), "--max-connections", str(len(frames) + 100),
                "--workers", str(workers), "--no-alarms",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while output.read_bytes().count(b"receiving on") < workers:
        if time.monotonic() > deadline or process.poll() is not None:
            process.kill()
            raise SystemExit(output.read_text())
        time.sleep(0.1)
    half = len(frames[0]) // 2
    try:
        cpu = tree_cpu_seconds(process.pid)
        capacity, closed, acked_closed = run(
            receiver_load(port, [f[:half] for f in frames], seconds, window=window)
        )
        time.sleep(3)  # the frames still in flight are answered and committed
        achieved, latencies, acked_open = run(
            receiver_load(port, [f[half:] for f in frames], seconds, rate=rate)
        )
        time.sleep(3)
        cpu = tree_cpu_seconds(process.pid) - cpu
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(120)
    table = FeedStore(home / "feeds" / "store").read()
    return {
        "capacity": capacity,
        "capacity_p99": np.percentile(closed, 99) * 1000 if len(closed) else float("nan"),
        "achieved": achieved,
        "latencies": latencies,
        "acked": acked_closed + acked_open,
        "cpu": cpu,
        "stored": table.group_by(["mn", "ts", "cn"]).aggregate([]).num_rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0, help="measured seconds per run")
    parser.add_argument("--window", type=int, default=8, help="capacity run: frames in flight")
    parser.add_argument("--rate", type=float, default=5000, help="latency run: frames/s offered")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count() or 1, help="receiver processes (one per core)"
    )
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.connections)), hard))
    per_connection = 2 * (
        int((args.seconds + 1) * max(12, 1.2 * args.rate / args.connections)) + 10
    )
    print(f"building {args.connections} × {per_connection} frames …", flush=True)
    devices = fleet(args.connections)
    frames = [frames_for(d, n, per_connection) for n, d in enumerate(devices)]
    print(f"frame: {len(frames[0][0])} bytes, 8 factors; {os.cpu_count()} cores", flush=True)

    baseline = run_baseline(frames, args.seconds)
    half = len(frames[0]) // 2
    echo = run_echo_baseline([f[:half] for f in frames], args.seconds, args.window)
    home = Path(tempfile.mkdtemp(prefix="bench-hj212-"))
    try:
        result = run_receiver(frames, args.seconds, args.window, args.rate, home, args.workers)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    capacity = result["capacity"]
    p50, p99 = (np.percentile(result["latencies"], q) * 1000 for q in (50, 99))
    print(
        f"{args.connections} connections, {args.seconds:g} s measured per run, "
        f"{args.workers} receiver process(es)"
    )
    print(f"baseline (read and discard):     {baseline:10,.0f} frames/s")
    print(
        f"receiver (stored, fsync, 9014):  {capacity:10,.0f} frames/s "
        f"({args.window} in flight per connection; p99 ack {result['capacity_p99']:.0f} ms)"
    )
    print(f"ratio receiver/baseline:         {capacity / baseline:10.2f}×")
    print(
        f"echo baseline (fixed 9014 each):  {echo:10,.0f} frames/s (same client, "
        f"{args.window} in flight); receiver/echo {capacity / echo:.2f}×"
    )
    print(
        f"offered {args.rate:,.0f} frames/s:        {result['achieved']:10,.0f} frames/s answered, "
        f"ack latency p50 {p50:.1f} ms, p99 {p99:.1f} ms"
    )
    print(f"acknowledged {result['acked']:,} frames, stored {result['stored']:,} (must be equal)")
    print(
        f"receiver CPU: {result['cpu']:.1f} s for them, {result['cpu'] / result['acked'] * 1e6:.0f} µs "
        f"per frame answered and stored ({result['acked'] / result['cpu']:,.0f} frames per CPU-second)"
    )
    if result["acked"] != result["stored"]:
        raise SystemExit("acknowledged and stored frames differ")


if __name__ == "__main__":
    main()
