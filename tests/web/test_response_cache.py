"""The response cache computes the answers of the in-memory routes in turn (issue #13): at most
:data:`lantian.web.cache.COMPUTING` at once in a worker, the others waiting their turn, and every
request answered."""

from __future__ import annotations

import asyncio
import threading

import httpx

from lantian.web import create_app
from lantian.web.api import routes
from lantian.web.cache import COMPUTING


def test_at_most_computing_answers_are_computed_at_once(web_home, monkeypatch):
    app = create_app(web_home / "measurements", warm_up=False)
    lock, full = threading.Lock(), threading.Event()
    inside = {"now": 0, "most": 0}
    original = routes.hourly_frame

    def counted(*args, **kwargs):
        with lock:
            inside["now"] += 1
            inside["most"] = max(inside["most"], inside["now"])
            if inside["now"] >= COMPUTING:
                full.set()
        try:
            full.wait(60)  # the first ones wait until as many as may are inside
            return original(*args, **kwargs)
        finally:
            with lock:
                inside["now"] -= 1

    monkeypatch.setattr(routes, "hourly_frame", counted)
    days = range(1, 3 * COMPUTING + 1)
    urls = [f"/api/v1/hourly?station=2478A&start=2019-07-{d:02d}&end=2019-07-{d:02d}" for d in days]

    async def ask_all() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://lantian") as client:
            return await asyncio.gather(*(client.get(url) for url in urls))

    answers = asyncio.run(ask_all())
    assert [a.status_code for a in answers] == [200] * len(urls)
    assert [a.json()["start"] for a in answers] == [f"2019-07-{d:02d}" for d in days]
    assert inside["most"] == COMPUTING  # (all at once, it was every request)
