"""Issue #11 item 15 on a real server: anonymous requests for every city's verification used to
start one backtest thread each (threads and CPU unbounded). Now one worker computes them one at a
time from a bounded queue, and each request is told where its job stands. The worker thread is
named (:data:`lantian.web.forecast_views.WORKER_NAME` and the number of workers started, given to
the operating system too, where the threads its libraries start inherit it), so the test counts
the workers by their names in ``/proc`` — not all the server's threads, whose number the
libraries and a busy machine change. The server is stopped right after (the real backtest it
started is not what this tests)."""

from __future__ import annotations

import time
from pathlib import Path

from lantian.web.forecast_views import WORKER_NAME
from tests.attacking import client, running, server_env
from tests.browsing import descendants, serving, wait_until_answers
from tests.feeds.conftest import wait_until


def _workers(pid: int) -> set[tuple[int, str]]:
    """(process, name) of the verification workers of process ``pid`` and of the processes it
    started (Linux): threads whose name starts with the workers' (their libraries' threads carry
    their worker's name: one pair a worker)."""
    found = set()
    for process in {pid} | descendants(pid):
        try:
            tasks = list(Path(f"/proc/{process}/task").iterdir())
        except OSError:  # ended meanwhile
            continue
        for task in tasks:
            try:
                name = (task / "comm").read_text().strip()
            except OSError:
                continue
            if name.startswith(WORKER_NAME):
                found.add((process, name))
    return found


def _workers_once_started(pid: int, seconds: float = 60.0) -> set[tuple[int, str]]:
    """The workers, once one has named itself (on a loaded machine a thread may take a moment
    between its start and its first statement)."""
    deadline = time.monotonic() + seconds
    while not (found := _workers(pid)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return found


def test_each_city_queues_behind_one_worker(home):
    with running(home, server_env()) as base:
        http = client(base)
        cities = http.get("/api/v1/cities").json()["rows"]
        names = [row["city"] for row in cities]
        assert len(names) >= 10
        pid = running.process.pid
        assert _workers(pid) == set()  # started with the first verification asked for
        answers = [
            http.get("/api/v1/forecast/verification", params={"city": name}) for name in names
        ]
        assert {a.status_code for a in answers} == {202}
        bodies = [a.json() for a in answers]
        assert [b["position"] for b in bodies] == list(range(len(names)))
        assert bodies[0]["status"] == "computing"
        assert {b["status"] for b in bodies[1:]} == {"queued"}
        assert all(int(a.headers["retry-after"]) > 0 for a in answers)
        again = http.get("/api/v1/forecast/verification", params={"city": names[-1]}).json()
        assert again["position"] == len(names) - 1  # asking again does not queue it twice
        # Before the fix each city started a thread of its own: len(names) of them.
        workers = _workers_once_started(pid)
        assert [name for _, name in workers] == [f"{WORKER_NAME}1"], workers
        http.close()


def test_the_worker_processes_take_turns(home):
    """Item 15 again, under ``serve --workers 2`` (the default on two cores): each worker
    process had a queue and a backtest thread of its own, so a client that reached both ran two
    backtests at once (N with N workers). Now the processes take turns: while one computes, the
    other's job says ``queued`` with nothing ahead of it in its own queue."""
    with serving(home, server_env(), ("--workers", "2")) as (base, process):
        wait_until_answers(base, "/ledger/login", process, home / "serve.log")
        first = client(base)
        names = [row["city"] for row in first.get("/api/v1/cities").json()["rows"]]
        worker = first.get("/api/v1/years").headers["x-lantian-worker"]
        other = None
        for _ in range(100):  # a connection that the other worker process accepted
            candidate = client(base)
            if candidate.get("/api/v1/years").headers["x-lantian-worker"] != worker:
                other = candidate
                break
            candidate.close()
        assert other is not None, "the second worker never answered"

        def status(http, city: str) -> str | None:
            answer = http.get("/api/v1/forecast/verification", params={"city": city})
            return answer.json().get("status") if answer.status_code == 202 else None

        assert status(first, names[0]) == "computing"
        status(other, names[1])
        assert wait_until(
            lambda: {status(first, names[0]), status(other, names[1])} == {"computing", "queued"},
            120,
        )
        first.close()
        other.close()
