"""Loopback load on ``lantian serve``: p50 and p99 latency per endpoint and the error count.

Starts ``lantian serve`` (one process, uvicorn) on a free loopback port over ``--home`` (default: a
temporary home holding the real 2019 Hunan data, imported first), asks every endpoint once
(the first answer computes: shown as "first"), then runs ``--clients`` concurrent keep-alive
clients (asyncio streams, in this process) for ``--seconds``, each asking the endpoints in turn.
Goal (issue #5): p99 ≤ 50 ms for the JSON endpoints on a 2-core machine, 0 errors. The load
generator shares the machine's cores with the server, as on any loopback benchmark.

    scripts/uv run python bench/bench_web.py --clients 64 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx
import numpy as np

CITY = "永州"
ENDPOINTS = [
    f"/api/v1/now?city={CITY}",
    f"/api/v1/hourly?city={CITY}",
    f"/api/v1/daily?city={CITY}&year=2019",
    f"/api/v1/evaluations/2019?city={CITY}",
    "/api/v1/rankings/2019",
    f"/api/v1/monthly/2019?city={CITY}",
    "/api/v1/stations",
    f"/api/v1/daily?city={CITY}&year=2019&format=csv",
    f"/now?city={CITY}",
    f"/history?city={CITY}",
    f"/attainment?city={CITY}",
]


def demo_home() -> Path:
    """A temporary LANTIAN_HOME with the real demo data (imported through ``lantian demo``)."""
    home = Path(tempfile.mkdtemp(prefix="lantian-bench-web-"))
    subprocess.run(
        [sys.executable, "-m", "lantian", "--home", str(home), "demo", "--no-serve"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return home


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(home: Path, port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "lantian", "--home", str(home), "serve", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/years", timeout=60).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("lantian serve did not answer within 120 s")


def settle(base: str) -> None:
    """Wait for the server's start-up work (the default city's forecast model is trained in a
    background thread, seconds of both cores): the load measures the steady state."""
    with httpx.Client(base_url=base, timeout=300) as client:
        for path in (f"/api/v1/forecast?city={CITY}", f"/api/v1/warning?city={CITY}"):
            start = time.perf_counter()
            client.get(path).raise_for_status()
            print(f"settled {path} in {time.perf_counter() - start:.1f} s")


def first_answers(base: str) -> dict[str, float]:
    """Each endpoint's first answer [ms]: the time to compute it (nothing cached yet)."""
    times = {}
    with httpx.Client(base_url=base, timeout=120) as client:
        for path in ENDPOINTS:
            start = time.perf_counter()
            client.get(path).raise_for_status()
            times[path] = (time.perf_counter() - start) * 1000
    return times


async def fetch(reader, writer, request: bytes) -> int:
    """One keep-alive HTTP/1.1 GET on an open connection; its status. A minimal client (the
    server always sends Content-Length): httpx's pool costs more CPU than the server per request,
    and the load generator shares the machine's cores with the server."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n"):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def load(port: int, clients: int, seconds: float) -> tuple[dict[str, list[float]], int]:
    latencies: dict[str, list[float]] = {path: [] for path in ENDPOINTS}
    requests = {
        path: f"GET {quote(path, safe='/?=&')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Accept-Encoding: identity\r\n\r\n".encode()
        for path in ENDPOINTS
    }
    errors = 0
    stop = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        n = offset
        while time.perf_counter() < stop:
            path = ENDPOINTS[n % len(ENDPOINTS)]
            n += 1
            start = time.perf_counter()
            try:
                ok = await fetch(reader, writer, requests[path]) == 200
            except (OSError, asyncio.IncompleteReadError, ValueError):
                ok = False
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            latencies[path].append((time.perf_counter() - start) * 1000)
            errors += not ok
        writer.close()

    await asyncio.gather(*(worker(i) for i in range(clients)))
    return latencies, errors


def report(first: dict[str, float], latencies: dict[str, list[float]], errors: int, seconds: float):
    total = sum(len(v) for v in latencies.values())
    print(f"{'endpoint':<46} {'first ms':>9} {'n':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for path, values in latencies.items():
        p50, p99 = np.percentile(values, [50, 99]) if values else (float("nan"),) * 2
        print(f"{path:<46} {first[path]:9.1f} {len(values):7d} {p50:8.1f} {p99:8.1f}")
    json_values = [v for p, vs in latencies.items() if p.startswith("/api/") for v in vs]
    p50, p99 = np.percentile(json_values, [50, 99])
    print(f"JSON endpoints together: p50 {p50:.1f} ms, p99 {p99:.1f} ms (goal p99 ≤ 50 ms)")
    print(f"requests {total} in {seconds:.0f} s = {total / seconds:.0f}/s; errors {errors}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="LANTIAN_HOME to serve (default: demo data)")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    home = args.home or demo_home()
    port = free_port()
    server = start_server(home, port)
    base = f"http://127.0.0.1:{port}"
    try:
        settle(base)
        first = first_answers(base)
        latencies, errors = asyncio.run(load(port, args.clients, args.seconds))
        print(f"{args.clients} clients, {args.seconds:.0f} s, {os.cpu_count()} cores, {home}")
        report(first, latencies, errors, args.seconds)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
