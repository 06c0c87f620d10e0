"""A real ``lantian receive`` process on a free port, and helpers to talk HJ 212 to it."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lantian.feeds.simulator import fleet
from lantian.feeds.store import FeedStore
from lantian.ingest.hj212 import Frame, FrameScanner, encode_frame

DEVICES = 4
FLEET = fleet(DEVICES)


@dataclass
class ReceiverProcess:
    home: Path
    port: int
    process: subprocess.Popen
    output: Path

    @property
    def feeds(self) -> Path:
        return self.home / "feeds"

    def events(self, kind: str) -> list[dict]:
        entries = []
        for path in sorted((self.feeds / kind).glob("*.jsonl")):
            entries += [json.loads(line) for line in path.read_text().splitlines() if line]
        return entries

    def stored(self) -> FeedStore:
        return FeedStore(self.feeds / "store")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        return self.process.wait()


def start_receiver(home: Path, *options: str, port: int = 0) -> ReceiverProcess:
    """Start ``lantian receive`` and wait until it listens (every worker of ``--workers N``)."""
    workers = int(options[options.index("--workers") + 1]) if "--workers" in options else 1
    output = home / f"receiver-{time.monotonic_ns()}.log"
    home.mkdir(parents=True, exist_ok=True)
    with open(output, "wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "lantian",
                "--home",
                str(home),
                "receive",
                "--port",
                str(port),
                "--simulated",
                str(DEVICES),
                "--flush-seconds",
                "0.3",
                *options,
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        text = output.read_text(errors="replace")
        if text.count("receiving on") >= workers:
            bound = int(text.split("receiving on", 1)[1].split()[0].rsplit(":", 1)[1])
            return ReceiverProcess(home, bound, process, output)
        if process.poll() is not None:
            raise RuntimeError(f"receiver exited: {text}")
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"receiver did not start: {output.read_text()}")


@pytest.fixture
def receiver(tmp_path) -> Iterator[ReceiverProcess]:
    running = start_receiver(tmp_path / "home", "--frame-seconds", "1.5", "--idle-seconds", "3")
    yield running
    running.stop()


def minute_frame(
    number: int = 0,
    minute: int = 0,
    flag: int = 5,
    password: str | None = None,
    mn: str | None = None,
    extra: str = "",
) -> bytes:
    """A minute frame of the test fleet's device ``number`` (constructed test data)."""
    device = FLEET[number]
    moment = dt.datetime(2026, 12, 1, 8, 0) + dt.timedelta(minutes=minute)
    return encode_frame(
        f"QN={moment:%Y%m%d%H%M%S}000;ST=22;CN=2051;PW={password or device.password};"
        f"MN={mn or device.device.mn};Flag={flag};{extra}"
        f"CP=&&DataTime={moment:%Y%m%d%H%M%S};a34004-Avg=35.0,a34004-Flag=N;"
        f"a34002-Avg=60.0,a34002-Flag=N&&"
    )


def connect(port: int, timeout: float = 10) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def read_frames(sock: socket.socket, count: int) -> list[Frame]:
    """Read until ``count`` frames came (or the peer closed)."""
    scanner = FrameScanner()
    frames: list[Frame] = []
    while len(frames) < count:
        data = sock.recv(65536)
        if not data:
            break
        frames += [f for f in scanner.feed(data) if isinstance(f, Frame)]
    return frames


def closed_by_peer(sock: socket.socket, seconds: float = 10) -> bool:
    """Whether the receiver closes ``sock`` within ``seconds`` (reading what it sends)."""
    sock.settimeout(seconds)
    with contextlib.suppress(ConnectionResetError):
        while sock.recv(65536):
            pass
        return True
    return True


def wait_until(predicate, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()
