"""Loopback load on ``lantian serve``: latency, requests/s and errors, cached and varied questions.

Starts ``lantian serve`` on a free loopback port over ``--home`` (default: a temporary home holding
the real 2019 Hunan data, imported first), waits for its start-up work, and puts load on it with
``--clients`` concurrent keep-alive clients (asyncio streams, in this process; only 127.0.0.1):

* **cached**: the ten-odd fixed URLs of the pages and the API, asked in turn — after the first
  answer every request is a response-cache hit (goal, issue #5: p99 ≤ 50 ms for the JSON
  endpoints);
* **varied** (``--varied``, issue #13): a seeded random sequence of questions over the stations,
  cities and years the server holds — 1–8 days of hourly data, whole years and runs of months of
  daily data, a calendar month of hourly data, station and city evaluations and monthly
  statistics, JSON or CSV — so that nearly every request is new to the server (the share of
  distinct URLs is printed). Goal on a 2-core machine at 64 clients: p99 ≤ 200 ms, ≥ 500
  requests/s, 0 errors. Both modes run against the same server in the same run.

Each phase is bounded by ``--seconds`` and ``--requests`` (whichever comes first). With
``--baseline DIR`` (a checkout of another commit, e.g. ``git worktree add /tmp/base main``) the
same phases also run against a server started from that checkout's ``src`` (this environment's
packages), one after the other, and the ratios are printed: before/after from one run, on one
machine under the same load. The load generator shares the machine's cores with the server, as on
any loopback benchmark; the 1-minute load average is printed beside the figures.

    scripts/uv run python bench/bench_web.py --varied --clients 64 --seconds 20
    scripts/uv run python bench/bench_web.py --varied --baseline /tmp/base --workers 2
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import httpx
import numpy as np

CITY = "永州"
CACHED = [
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
FAMILIES = {
    # family: (share of the varied requests, what it asks)
    "hourly 1-8 d": 0.40,
    "daily year": 0.15,
    "daily months": 0.10,
    "hourly month": 0.10,
    "evaluation": 0.10,
    "monthly stats": 0.05,
    "now page": 0.10,
}
"""The varied mix. "now page" is the one URL everyone asks at once on a heavy-pollution day
(``/now`` of a city; 14 cities): it should stay a cache hit in every worker."""


# ---------------------------------------------------------------------- the server
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


def start_server(
    home: Path, port: int, source: Path | None, workers: int | None
) -> subprocess.Popen:
    """``lantian serve`` from this checkout, or from ``source`` (another checkout's ``src``)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(source / "src"), env.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "lantian", "--home", str(home), "serve", "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/years", timeout=60).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("lantian serve did not answer within 120 s")


def settle(base: str, pid: int) -> None:
    """Wait for the server's start-up work (the default city's forecast model is trained in a
    background thread, seconds of both cores; every place's answers of the latest year): the
    load measures the steady state. Prints the CPU time the server's processes used until they
    went idle — its start-up cost, whatever else the machine runs."""
    with httpx.Client(base_url=base, timeout=300) as client:
        for path in (f"/api/v1/forecast?city={CITY}", f"/api/v1/warning?city={CITY}"):
            start = time.perf_counter()
            client.get(path).raise_for_status()
            print(f"  settled {path} in {time.perf_counter() - start:.1f} s")
    deadline, used = time.monotonic() + 300, server_cpu_seconds(pid)
    while time.monotonic() < deadline:  # idle: under 5 % of a core over a second
        time.sleep(1.0)
        used, before = server_cpu_seconds(pid), used
        if used - before < 0.05:
            break
    print(f"  start-up work done: the server's processes used {used:.1f} s of CPU")


def first_answers(base: str) -> dict[str, float]:
    """Each cached endpoint's first answer [ms]: the time to compute it (nothing cached yet)."""
    times = {}
    with httpx.Client(base_url=base, timeout=120) as client:
        for path in CACHED:
            start = time.perf_counter()
            client.get(path).raise_for_status()
            times[path] = (time.perf_counter() - start) * 1000
    return times


# ---------------------------------------------------------------------- the varied questions
@dataclass(frozen=True)
class Holdings:
    """What the server holds: stations and cities with data, the years."""

    stations: list[str]
    cities: list[str]
    years: list[int]

    @classmethod
    def of(cls, base: str) -> Holdings:
        with httpx.Client(base_url=base, timeout=120) as client:
            stations = client.get("/api/v1/stations").json()["rows"]
            cities = client.get("/api/v1/cities").json()["rows"]
            years = client.get("/api/v1/years").json()["years"]
        return cls(
            sorted(s["station_code"] for s in stations),
            sorted(c["city"] for c in cities),
            sorted(years),
        )


def _day(rng: random.Random, year: int, latest: int = 365) -> np.datetime64:
    return np.datetime64(f"{year}-01-01") + rng.randrange(latest)


def varied_question(rng: random.Random, held: Holdings) -> tuple[str, str]:
    """One random question of the mix :data:`FAMILIES`: (family, path with query)."""
    family = rng.choices(list(FAMILIES), weights=list(FAMILIES.values()))[0]
    year = rng.choice(held.years)
    where = (
        {"station": rng.choice(held.stations)}
        if rng.random() < 0.7
        else {"city": rng.choice(held.cities)}
    )
    output = {"format": "csv"} if rng.random() < 0.3 else {}
    if family == "hourly 1-8 d":
        first = _day(rng, year, 358)
        last = first + rng.randrange(8)
        path, query = "/api/v1/hourly", {**where, "start": first, "end": last, **output}
    elif family == "daily year":
        path, query = "/api/v1/daily", {**where, "year": year, **output}
    elif family == "daily months":
        first_month = rng.randrange(1, 13)
        last_month = rng.randrange(first_month, 13)
        first = np.datetime64(f"{year}-{first_month:02d}-01")
        last = (np.datetime64(f"{year}-{last_month:02d}") + 1).astype("datetime64[D]") - 1
        path, query = "/api/v1/daily", {**where, "start": first, "end": last, **output}
    elif family == "hourly month":
        month = np.datetime64(f"{year}-{rng.randrange(1, 13):02d}")
        first, last = month.astype("datetime64[D]"), (month + 1).astype("datetime64[D]") - 1
        path, query = "/api/v1/hourly", {**where, "start": first, "end": last, **output}
    elif family == "evaluation":
        path, query = f"/api/v1/evaluations/{year}", {**where, **output}
    elif family == "monthly stats":
        path, query = f"/api/v1/monthly/{year}", {**where, **output}
    else:
        path, query = "/now", {"city": rng.choice(held.cities)}
    return family, f"{path}?{urlencode({k: str(v) for k, v in query.items()})}"


def varied_questions(seed: int, held: Holdings, n: int) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    return [varied_question(rng, held) for _ in range(n)]


# ---------------------------------------------------------------------- the load
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


def _request(path: str) -> bytes:
    return (
        f"GET {quote(path, safe='/?=&%')} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Accept-Encoding: identity\r\n\r\n".encode()
    )


@dataclass
class Phase:
    """One phase's answers: latencies [ms] and errors per family, and its duration [s]."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    distinct: float = float("nan")
    """Share of the phase's requests whose URL was new in the phase."""
    server_cpu: float = float("nan")
    """CPU time [s] the server's processes used during the phase."""
    client_cpu: float = float("nan")
    """CPU time [s] this load generator used during the phase."""

    def add(self, family: str, milliseconds: float, ok: bool) -> None:
        self.latencies.setdefault(family, []).append(milliseconds)
        self.errors[family] = self.errors.get(family, 0) + (not ok)

    def total(self) -> tuple[list[float], int]:
        return [v for vs in self.latencies.values() for v in vs], sum(self.errors.values())


async def load(
    port: int, questions: Iterator[tuple[str, str]], clients: int, seconds: float
) -> Phase:
    """``clients`` keep-alive connections taking the next question from ``questions`` until it is
    exhausted or ``seconds`` have passed."""
    phase = Phase()
    start_all = time.perf_counter()
    stop = start_all + seconds
    asked: list[str] = []

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for family, path in questions:
            if time.perf_counter() >= stop:
                break
            asked.append(path)
            start = time.perf_counter()
            try:
                ok = await fetch(reader, writer, _request(path)) == 200
            except (OSError, asyncio.IncompleteReadError, ValueError):
                ok = False
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            phase.add(family, (time.perf_counter() - start) * 1000, ok)
        writer.close()

    await asyncio.gather(*(client() for _ in range(clients)))
    phase.seconds = time.perf_counter() - start_all
    phase.distinct = len(set(asked)) / max(len(asked), 1)
    return phase


def cached_phase(port: int, clients: int, seconds: float, requests: int) -> Phase:
    sequence = ((path, path) for n in range(requests) for path in [CACHED[n % len(CACHED)]])
    return asyncio.run(load(port, iter(sequence), clients, seconds))


def varied_phase(
    port: int, held: Holdings, seed: int, clients: int, seconds: float, requests: int
) -> Phase:
    sequence = varied_questions(seed, held, requests)
    return asyncio.run(load(port, iter(sequence), clients, seconds))


def server_cpu_seconds(pid: int) -> float:
    """CPU time [s] used so far by process ``pid`` and the processes it started (its workers),
    from Linux ``/proc``: the server's cost, whatever else the machine runs."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    tree, frontier = {pid}, {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - tree
        tree |= frontier
    return sum(times.get(p, 0.0) for p in tree)


def measured(pid: int, run) -> Phase:
    """``run()``'s phase, with the server's and this load generator's CPU time."""
    server_before, client_before = server_cpu_seconds(pid), time.process_time()
    phase = run()
    phase.server_cpu = server_cpu_seconds(pid) - server_before
    phase.client_cpu = time.process_time() - client_before
    return phase


# ---------------------------------------------------------------------- the report
def _percentiles(values: list[float]) -> tuple[float, float]:
    if not values:
        return float("nan"), float("nan")
    p50, p99 = np.percentile(values, [50, 99])
    return float(p50), float(p99)


def report(title: str, phase: Phase, first: dict[str, float] | None = None) -> dict[str, float]:
    """Print a phase per family and in total; return the totals (p50, p99, rate, errors)."""
    print(f"\n{title}: {phase.seconds:.1f} s, distinct URLs {phase.distinct:.0%}")
    head = f"  {'family / endpoint':<48} {'first ms':>9} {'n':>6} {'p50 ms':>8} {'p99 ms':>8}"
    print(head + f" {'req/s':>7} {'errors':>6}")
    for name, values in phase.latencies.items():
        p50, p99 = _percentiles(values)
        shown = f"{first[name]:9.1f}" if first and name in first else f"{'':9}"
        rate = len(values) / phase.seconds
        print(
            f"  {name:<48} {shown} {len(values):6d} {p50:8.1f} {p99:8.1f} {rate:7.0f}"
            f" {phase.errors[name]:6d}"
        )
    values, errors = phase.total()
    p50, p99 = _percentiles(values)
    rate = len(values) / phase.seconds
    print(f"  {'all':<48} {'':9} {len(values):6d} {p50:8.1f} {p99:8.1f} {rate:7.0f} {errors:6d}")
    cpu_ms = phase.server_cpu * 1000 / max(len(values), 1)
    cores = os.cpu_count() or 1
    print(
        f"  server CPU {cpu_ms:.2f} ms a request (load generator {phase.client_cpu:.1f} s); "
        f"on {cores} otherwise idle cores with the load generator beside it that is "
        f"≈ {len(values) / (phase.server_cpu + phase.client_cpu) * cores:.0f} requests/s"
    )
    if first:
        json_values = [v for p, vs in phase.latencies.items() if p.startswith("/api/") for v in vs]
        json50, json99 = _percentiles(json_values)
        print(f"  JSON endpoints together: p50 {json50:.1f} ms, p99 {json99:.1f} ms (goal ≤ 50 ms)")
    return {"p50": p50, "p99": p99, "rate": rate, "errors": float(errors), "cpu_ms": cpu_ms}


def run_server(label: str, home: Path, args, source: Path | None) -> dict[str, dict[str, float]]:
    """Start a server, run the phases, stop it; the phases' totals."""
    port = free_port()
    workers = args.workers if source is None else None
    started = time.perf_counter()
    server = start_server(home, port, source, workers)
    base = f"http://127.0.0.1:{port}"
    print(f"\n=== {label}: {base}, up in {time.perf_counter() - started:.1f} s")
    totals = {}
    try:
        settle(base, server.pid)
        first = first_answers(base)
        load_before = os.getloadavg()[0]
        phase = measured(
            server.pid, lambda: cached_phase(port, args.clients, args.seconds, args.requests)
        )
        totals["cached"] = report(f"{label} — cached (load {load_before:.2f})", phase, first)
        if args.varied:
            held = Holdings.of(base)
            load_before = os.getloadavg()[0]
            phase = measured(
                server.pid,
                lambda: varied_phase(
                    port, held, args.seed, args.clients, args.seconds, args.requests
                ),
            )
            totals["varied"] = report(
                f"{label} — varied, seed {args.seed} (load {load_before:.2f})", phase
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return totals


def ratios(before: dict[str, dict[str, float]], after: dict[str, dict[str, float]]) -> None:
    print("\nafter / before, same run:")
    for mode in after:
        b, a = before[mode], after[mode]
        print(
            f"  {mode:<7} p50 {b['p50']:7.1f} → {a['p50']:6.1f} ms ({b['p50'] / a['p50']:5.1f}× faster)"
            f"  p99 {b['p99']:7.1f} → {a['p99']:6.1f} ms ({b['p99'] / a['p99']:5.1f}×)"
            f"  {b['rate']:5.0f} → {a['rate']:5.0f} req/s ({a['rate'] / b['rate']:4.1f}×)"
            f"  errors {b['errors']:.0f} → {a['errors']:.0f}"
            f"  server CPU/request {b['cpu_ms']:.2f} → {a['cpu_ms']:.2f} ms"
            f" ({b['cpu_ms'] / a['cpu_ms']:.1f}× less)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="LANTIAN_HOME to serve (default: demo data)")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=20.0, help="at most, per phase")
    parser.add_argument("--requests", type=int, default=20_000, help="at most, per phase")
    parser.add_argument("--varied", action="store_true", help="also the varied questions")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--workers", type=int, help="lantian serve --workers (default: its own)")
    parser.add_argument("--baseline", type=Path, help="a checkout to compare with, same run")
    args = parser.parse_args()
    home = args.home or demo_home()
    print(
        f"{args.clients} clients, ≤ {args.seconds:.0f} s and ≤ {args.requests} requests a phase, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, {home}"
    )
    before = (
        run_server(f"baseline {args.baseline}", home, args, args.baseline)
        if args.baseline
        else None
    )
    after = run_server("this checkout", home, args, None)
    if before is not None:
        ratios(before, after)


if __name__ == "__main__":
    main()
