"""The public device routes (``/devices``, ``/api/v1/devices…``) attacked on a real ``lantian
serve``: text a device sent (a per-factor flag — any device whose password leaked, and HJ 212
sends it in clear, can send one) shown in the page and the exports, a flood of anonymous requests
each of which scanned the whole feed store, and writes to a read-only API. The feed holds one
simulated device's constructed minutes (模拟数据). Hostile paths and dates are attacked in
``tests/feeds/test_web.py``."""

from __future__ import annotations

import datetime as dt
import io
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from openpyxl import load_workbook

from lantian.feeds.intake import Intake, feed_rows
from lantian.feeds.simulator import fleet
from lantian.feeds.store import FeedStore
from lantian.ingest.hj212 import encode_frame, parse_frame
from lantian.times import beijing_now
from tests.browsing import serving, wait_until_answers

DEVICE = fleet(1)[0]  # simulated (constructed test data)
MN = DEVICE.device.mn
SCRIPT = "<script>alert(1)</script>"
FORMULA = '+HYPERLINK("http://evil.example")'


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    home = tmp_path_factory.mktemp("devices-attacked")
    store = FeedStore(home / "feeds" / "store")
    intake = Intake(store)
    now = beijing_now()  # today's flags are what the page shows
    start = max(
        now.replace(second=0, microsecond=0) - dt.timedelta(minutes=10),
        now.replace(hour=0, minute=0, second=0, microsecond=0),
    )
    for minute in range(3):
        moment = start + dt.timedelta(minutes=minute)
        segment = (
            f"QN={moment:%Y%m%d%H%M%S}000;ST=22;CN=2051;PW=x;MN={MN};Flag=4;"
            f"CP=&&DataTime={moment:%Y%m%d%H%M%S};a34004-Avg=30,a34004-Flag={SCRIPT};"
            f"a34002-Avg=60,a34002-Flag={FORMULA}&&"
        )
        intake.take(
            parse_frame(encode_frame(segment)), DEVICE.device, start, "t", minute, minute + 1
        )
    batch, cursors = intake.drain()
    store.commit(feed_rows(batch)[0], cursors)
    with serving(home) as (url, process):
        wait_until_answers(url, "/api/v1/devices", process, home / "serve.log")
        yield url, start.date().isoformat()


def test_text_a_device_sent_is_escaped_in_the_page_and_defused_in_exports(base):
    base, day = base
    with httpx.Client(base_url=base, timeout=60) as http:
        page = http.get("/devices").text
        assert SCRIPT not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        csv = http.get(f"/api/v1/devices/{MN}/minutes?date={day}&format=csv")
        assert f"'{FORMULA}".replace('"', '""') in csv.content.decode("utf-8-sig")
        assert f",{FORMULA[:10]}" not in csv.content.decode("utf-8-sig")
        status = http.get("/api/v1/devices?format=csv").content.decode("utf-8-sig")
        assert "'+HYPERLINK" in status
        assert ",+HYPERLINK" not in status
        workbook = http.get(f"/api/v1/devices/{MN}/minutes?date={day}&format=xlsx")
        assert workbook.status_code == 200, workbook.text[:300]
        sheet = load_workbook(io.BytesIO(workbook.content)).active
        cells = [cell for row in sheet.iter_rows() for cell in row if cell.value == FORMULA]
        assert cells
        assert {cell.data_type for cell in cells} == {"s"}  # text, not a formula


def test_a_flood_of_anonymous_requests_scans_the_feed_store_once(base):
    """Each request for the device list (and for a device's minutes or hours, to find the
    device) read every frame ever stored — a cost that grows with the store, paid per anonymous
    request. Now one scan serves every request for 10 s: forty requests at once see at most a
    few scans (``as_of``: when the state was read) — one per worker process and 10 s."""
    base, day = base
    paths = ["/api/v1/devices", f"/api/v1/devices/{MN}/minutes?date={day}"] * 20

    def ask(path: str) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=60) as http:
            return http.get(path)

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, paths))
    seconds = time.monotonic() - started
    assert {a.status_code for a in answers} == {200}
    scans = {a.json()["as_of"] for a in answers if a.url.path == "/api/v1/devices"}
    workers = {a.headers["x-lantian-worker"] for a in answers}  # each process scans for itself
    assert 1 <= len(scans) <= len(workers) * (1 + seconds // 10)
    page = httpx.get(f"{base}/devices", timeout=60).text
    assert 'id="as-of"' in page


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_the_device_api_takes_no_writes(base, method):
    base, _ = base
    for path in ("/api/v1/devices", f"/api/v1/devices/{MN}/minutes", "/devices"):
        response = httpx.request(method, base + path, timeout=60, data={"mn": MN})
        assert response.status_code == 405, (method, path, response.status_code)
