"""``lantian serve --hj212-port --simulate`` as one real process: the example registry's devices
(示例, 模拟数据) played against its own receiver, their minutes on /api/v1/devices."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tests.browsing import free_port


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def url_of(port: int, mn: str) -> str:
    return f"http://127.0.0.1:{port}/api/v1/devices/{mn}/minutes"


def minutes_of(url: str, deadline: float) -> list[dict]:
    """A device's minutes, asked again while the worker that answers has not yet seen the device:
    each worker process reads the device list at most every 10 s (feeds.status), so the worker
    that listed all twelve and the one asked next may differ for that long."""
    while True:
        try:
            return get_json(url)["rows"]
        except urllib.error.HTTPError as error:
            if error.code != 404 or time.monotonic() > deadline:
                raise
            time.sleep(1)


def test_serve_receives_the_simulated_example_devices(tmp_path):
    home = tmp_path / "home"
    lantian = [sys.executable, "-m", "lantian", "--home", str(home)]
    subprocess.run([*lantian, "sources", "import", "--example"], check=True, capture_output=True)
    port, hj212 = free_port(), free_port()
    log = tmp_path / "serve.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [*lantian, "serve", "--port", str(port), "--hj212-port", str(hj212), "--simulate"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        rows: list[dict] = []
        deadline = time.monotonic() + 90
        while len(rows) < 12 and time.monotonic() < deadline:
            time.sleep(1)
            try:
                rows = get_json(f"http://127.0.0.1:{port}/api/v1/devices")["rows"]
            except OSError:
                continue
        assert len(rows) == 12, log.read_text()
        assert {r["data"] for r in rows} == {"模拟数据"}
        assert all(r["mn"].startswith("EXAMPLE") for r in rows)
        tsp = {}
        for mn in ("EXAMPLE00DUST0001", "EXAMPLE00DUST0002"):  # TSP registered in mg/m3, ug/m3
            minutes = minutes_of(url_of(port, mn), time.monotonic() + 60)
            tsp[mn] = next(r["value"] for r in minutes if r["factor"] == "a34001")
        assert all(20 < value < 5000 for value in tsp.values()), tsp  # both stored in µg/m³
    finally:
        process.terminate()
        process.wait(60)
