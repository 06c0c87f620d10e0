"""``lantian serve --workers 2`` as a real process (issue #13): both worker processes answer on
the one port, each from its own memory over the shared store (the same answer, the same ETag),
and SIGTERM stops the supervisor and every process it started — nothing is left running."""

from __future__ import annotations

import os
import signal
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

from tests.browsing import alive, descendants, serving, wait_until_answers


def _answer(url: str) -> tuple[str, str, bytes]:
    """One request on a new connection: (answering worker, ETag, body)."""
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.headers["x-lantian-worker"], response.headers["etag"], response.read()


def test_two_workers_answer_and_stop_with_the_server(web_home):
    with serving(web_home, args=("--workers", "2")) as (base, process):
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

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=120) == 0, (web_home / "serve.log").read_text()
        deadline = time.monotonic() + 60
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in workers if alive(pid)], "processes left running"
        assert os.getpid() not in workers
