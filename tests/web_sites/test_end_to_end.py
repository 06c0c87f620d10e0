"""Issue #15's browser test, end to end on real processes: ``lantian serve --hj212-port`` (the web
app, the HJ 212 receiver and the live alarm evaluation in one process) and ``lantian simulate
hj212 --example --exceed`` (the example registry's devices, one site's dust monitor made to exceed
the rule: 模拟数据, 模拟超标), driven in Debian's Chromium:

the simulator runs → the site goes over the rule → the alarm appears on the map (within 60 s of
being stored) → the office dispatches the case opened from it → the unit's reporter uploads
evidence and answers → the office closes it → the year-end scorecard counts it on time.

The district's rule file chooses the Wuhan template (PM10 hourly mean > 150/200 µg/m³), which
needs no background from national stations (the test's store has none for today). The simulator
runs 60 times faster than the clock from two hours ago, so an hour closes every minute.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lantian.times import beijing_now
from tests.attacking import server_env
from tests.browsing import (
    CHROMIUM,
    chromium,
    confined_context,
    free_port,
    screenshot,
    serving,
    wait_for,
    wait_until_answers,
)
from tests.browsing import log_in as browser_log_in
from tests.ledger_users import PASSWORD
from tests.web_sites.helpers import LOUD, seed_home

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "web_sites"
SPEED = 60
"""Simulated minutes per second: an hour's window closes every real minute."""
MAP_LAG_SECONDS = 60
"""The issue's bound: an alarm stored is on the map within this long."""
DESK = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ALARM_WAIT_SECONDS = 420
"""How long the first alarm may take on a loaded machine: 70 simulated minutes (a window and
the live path's 10-minute allowance for late frames) are 70 s at :data:`SPEED`, with margin."""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is missing (scripts/browser)"
    ),
]


def simulator(home: Path, port: int, env: dict[str, str]) -> subprocess.Popen:
    """``lantian simulate hj212`` playing the example devices, ``LOUD`` exceeding, from the
    start of the hour two hours ago (Beijing), :data:`SPEED` times faster than the clock."""
    start = beijing_now().replace(tzinfo=None, minute=0, second=0, microsecond=0)
    start -= dt.timedelta(hours=2)
    command = [
        sys.executable, "-m", "lantian", "--home", str(home), "simulate", "hj212", "--example",
        "--exceed", LOUD, "--port", str(port), "--speed", str(SPEED), "--no-faults",
        "--start", start.isoformat(), "--minutes", "180",
    ]  # fmt: skip
    log = open(home / "simulate.log", "w")  # noqa: SIM115 - closed with the process below
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    process.log = log
    return process


def shot(page, name: str) -> None:
    screenshot(page, ARTIFACTS, name)


def log_in(page, name: str) -> None:
    browser_log_in(page, name, PASSWORD)


def first_alarm_time(base: str, cookies, deadline: float, playing: subprocess.Popen) -> float:
    """Poll the map's data each second until an alarm of ``LOUD``'s rule is stored; its time.
    The simulator's log is the error if it stops first."""
    with httpx.Client(base_url=base, cookies=cookies, timeout=60) as http:
        while time.monotonic() < deadline:
            if playing.poll() is not None:
                raise RuntimeError(Path(playing.log.name).read_text(encoding="utf-8"))
            alarms = http.get("/ledger/map/data").json()["alarms"]
            if any(a["mn"] == LOUD and a["rule_id"].startswith("wuhan") for a in alarms):
                return time.monotonic()
            time.sleep(1)
    raise TimeoutError(f"no alarm of {LOUD} within {ALARM_WAIT_SECONDS} s")


def case_of_site(page) -> int:
    """The open case of 示例工地01 in the office's queue."""
    page.goto(page.base + "/ledger/cases")
    row = page.locator("#case-queue tr[data-case]", has_text="示例工地01").first
    return int(row.get_attribute("data-case"))


def new_page(browser, base: str, outside: list[str], errors: list[str], viewport: dict):
    context = confined_context(browser, base, outside, viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.base = base
    return page


def alarm_on_the_map(office, playing: subprocess.Popen) -> float:
    """Open the map, wait for the simulator's alarm to be stored, then for the map to show it;
    the seconds between the two."""
    office.goto(office.base + "/ledger/map")
    wait_for(office, "document.getElementById('sites-map').dataset.ready === '1'", 90_000)
    started = time.monotonic()
    cookies = {c["name"]: c["value"] for c in office.context.cookies()}
    stored = first_alarm_time(office.base, cookies, started + ALARM_WAIT_SECONDS, playing)
    wait_for(
        office,
        "Number(document.getElementById('sites-map').dataset.alarms || 0) > 0",
        MAP_LAG_SECONDS * 1000,
    )
    lag = time.monotonic() - stored
    print(
        f"alarm stored {stored - started:.0f} s after the map opened, on the map {lag:.1f} s later"
    )
    shot(office, "e2e-map-alarm")
    return lag


def dispatch(office, case: int) -> None:
    office.goto(f"{office.base}/ledger/cases/{case}")
    # the site's case holds the rule's PM10 alarm (opened by it, or added to the open case)
    assert "PM10" in office.text_content("#case-title") + office.text_content("#case-steps")
    office.select_option("#dispatch-unit", "区住建局")
    office.click("#dispatch")
    office.wait_for_selector("#flash")
    assert office.get_attribute("#case-status", "data-status") == "dispatched"


def answer_with_evidence(reporter, case: int, folder: Path) -> None:
    reporter.goto(reporter.base + "/ledger/cases")
    reporter.click(f'#case-queue tr[data-case="{case}"] a')
    reporter.wait_for_selector("#answer-form")
    evidence = folder / "整改照片.png"
    evidence.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 256)  # constructed
    reporter.set_input_files("#answer-evidence", str(evidence))
    reporter.fill("#answer-text", "已加装喷淋并停止土方作业，复测 PM10 恢复正常。")
    reporter.click("#answer")
    reporter.wait_for_selector("#flash")
    assert reporter.get_attribute("#case-status", "data-status") == "verifying"
    assert "整改照片.png" in reporter.text_content("#case-evidence")
    shot(reporter, "e2e-reporter-answer-phone")


def close(office, case: int) -> None:
    office.goto(f"{office.base}/ledger/cases/{case}")
    office.fill("#close-closure", "现场核查整改到位，办结。")
    office.click("#close")
    office.wait_for_selector("#flash")
    assert office.get_attribute("#case-status", "data-status") == "closed"


def cases_on_time(office, unit: str) -> str | None:
    office.goto(f"{office.base}/ledger/assessment?year={beijing_now().year}")
    shot(office, "e2e-scorecard")
    return office.text_content(f'#assessment-table tr[data-unit="{unit}"] td.cases-on-time').strip()


def test_from_the_simulator_to_the_scorecard(tmp_path):
    home = tmp_path / "home"
    seed_home(home)
    env = {
        **server_env(LANTIAN_ALARM_RULES=str(home / "rules.toml")),
        "PYTHONUNBUFFERED": "1",
    }
    hj212 = free_port()
    outside: list[str] = []
    errors: list[str] = []
    with serving(home, env, ("--hj212-port", str(hj212))) as (base, process):
        wait_until_answers(base, "/ledger/login", process, home / "serve.log")
        playing = simulator(home, hj212, env)
        try:
            with chromium() as browser:
                office = new_page(browser, base, outside, errors, DESK)
                log_in(office, "office")
                assert alarm_on_the_map(office, playing) <= MAP_LAG_SECONDS
                case = case_of_site(office)
                dispatch(office, case)
                reporter = new_page(browser, base, outside, errors, PHONE)
                log_in(reporter, "zj")
                answer_with_evidence(reporter, case, tmp_path)
                close(office, case)
                assert cases_on_time(office, "区住建局") == "1"
        finally:
            playing.terminate()
            playing.wait(timeout=30)
            playing.log.close()
    assert outside == [], f"requests left the server: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"
