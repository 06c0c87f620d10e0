"""``lantian serve --workers 2`` as a real process (issue #13): both worker processes answer on
the one port, each from its own memory over the shared store (the same answer, the same ETag),
they split the start-up work in the run's folder (every part's result there once), and SIGTERM
stops the supervisor and every process it started — nothing is left running, the folder is
removed."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

from lantian.web.app import PLACES_A_PART
from tests.browsing import alive, descendants, serving, wait_until_answers

KINDS = ("stations", "cities")


def _answer(url: str) -> tuple[str, str, bytes]:
    """One request on a new connection: (answering worker, ETag, body)."""
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.headers["x-lantian-worker"], response.headers["etag"], response.read()


def test_two_workers_answer_and_stop_with_the_server(web_home, tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}  # where the run's shared folder is made
    with serving(web_home, env=env, args=("--workers", "2")) as (base, process):
        wait_until_answers(base, "/api/v1/years", process, web_home / "serve.log")
        workers = descendants(process.pid)
        assert len(workers) >= 2, (web_home / "serve.log").read_text()
        answers: list[tuple[str, str, bytes]] = []
        with ThreadPoolExecutor(16) as pool:
            for _ in range(40):  # concurrent connections: both accepting workers take some
                answers += pool.map(_answer, [f"{base}/api/v1/now?city={quote('永州')}"] * 16)
                if len({worker for worker, _, _ in answers}) == 2:
                    break
        assert len({worker for worker, _, _ in answers}) == 2
        assert len({(etag, body) for _, etag, body in answers}) == 1  # one answer, one version

        (shared,) = tmp_path.glob("lantian-serve-*")
        places = sum(len(json.loads(_answer(f"{base}/api/v1/{k}")[2])["rows"]) for k in KINDS)
        parts = -(-places // PLACES_A_PART)
        deadline = time.monotonic() + 600  # both workers' start-up work, on a loaded machine
        while len(list(shared.glob("places-*.pickle"))) < parts and time.monotonic() < deadline:
            time.sleep(0.5)
        assert len(list(shared.glob("places-*.pickle"))) == parts, sorted(shared.iterdir())

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0, (web_home / "serve.log").read_text()
        deadline = time.monotonic() + 60
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in workers if alive(pid)], "processes left running"
        assert not shared.exists()
        assert os.getpid() not in workers
