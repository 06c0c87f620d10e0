"""``kill -9`` of a real receiver during a stream from the simulator: after a restart, the frames
the simulator saw acknowledged are exactly the frames stored (count and digest)."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time

import pytest

from .conftest import DEVICES, start_receiver, wait_until


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()


@pytest.mark.parametrize("workers", [1, 2])
def test_kill_9_loses_no_acknowledged_frame_and_stores_none_twice(tmp_path, workers):
    """With ``--workers 2`` two processes share the port, each with its own raw log; killing the
    first kills the other (PR_SET_PDEATHSIG), the restart replays both logs, and a device that
    reconnects to the other process re-sends frames the first one stored."""
    home, port = tmp_path / "home", free_port()
    acknowledged = tmp_path / "acknowledged.txt"
    options = ("--workers", str(workers))
    receiver = start_receiver(home, *options, port=port)
    simulator = subprocess.Popen(
        [
            sys.executable, "-m", "lantian", "--home", str(home), "simulate", "hj212",
            "--devices", str(DEVICES), "--port", str(port), "--speed", "300", "--minutes", "90",
            "--start", "2026-12-01T08:00", "--acknowledged", str(acknowledged),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    raw = home / "feeds" / "raw"
    kills = 0
    try:
        for wanted in (40, 160):  # kill twice: once the raw log holds this many records
            assert wait_until(lambda w=wanted: _records(raw) >= w, 60), "no frames arrived"
            receiver.process.kill()  # SIGKILL
            receiver.process.wait()
            kills += 1
            time.sleep(0.5)
            receiver = start_receiver(home, *options, port=port)
        assert simulator.wait(180) == 0
    finally:
        if simulator.poll() is None:
            simulator.kill()
        receiver.stop()
    table = receiver.stored().read()
    keys = table.group_by(["mn", "ts", "cn"]).aggregate([])
    stored = [
        f"{mn} {ts:%Y%m%d%H%M%S} {cn}"
        for mn, ts, cn in zip(
            *(keys.column(c).to_pylist() for c in ("mn", "ts", "cn")), strict=True
        )
    ]
    acked = acknowledged.read_text().splitlines()
    assert kills == 2
    assert len(acked) > 200
    assert len(stored) == len(acked)
    assert digest(stored) == digest(acked)
    rows = table.group_by(["mn", "ts", "cn", "factor"]).aggregate([])
    assert rows.num_rows == table.num_rows  # no value stored twice
    # both processes took frames (12+ connections over three starts, spread by the kernel)
    assert (workers == 2) == any(raw.glob("*.w1.hj212"))


def _records(raw) -> int:
    return sum(path.read_bytes().count(b"\r\n\n") for path in raw.glob("*.hj212"))
