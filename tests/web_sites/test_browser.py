"""The map and a source's page in real headless Chromium (Debian's, through Playwright) against a
real ``lantian serve``: the ECharts map draws the city's boundaries, the sources, the devices and
the constructed alarm; the site chart shows the device's hours against the rule's threshold; a
phone-sized viewport; no request leaves the server and no script fails.

Screenshots go to ``test-artifacts/web_sites/``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browsing import CHROMIUM, chromium, confined_context, screenshot, wait_for
from tests.browsing import log_in as browser_log_in
from tests.ledger_users import PASSWORD
from tests.web_sites.helpers import LOUD

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "web_sites"
PHONE = {"width": 390, "height": 844}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is missing (scripts/browser)"
    ),
]


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser, sites_server):
    outside, errors = [], []
    context = confined_context(browser, sites_server, outside, viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.base = sites_server
    yield page
    context.close()
    assert outside == [], f"requests left the server: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"


def shot(page, name: str) -> None:
    screenshot(page, ARTIFACTS, name)


def log_in(page, name: str) -> None:
    browser_log_in(page, name, PASSWORD)


def series_of(page, element_id: str) -> list[dict]:
    script = (
        "id => JSON.parse(JSON.stringify("
        "echarts.getInstanceByDom(document.getElementById(id)).getOption().series,"
        " (k, v) => typeof v === 'function' ? undefined : v))"
    )
    return page.evaluate(script, element_id)


def test_the_map_and_a_site_on_a_phone(page):
    log_in(page, "zj")
    page.goto(page.base + "/ledger/map")
    wait_for(page, "document.getElementById('sites-map').dataset.ready === '1'", 90_000)
    sources, devices, alarms = series_of(page, "sites-map")
    alarmed = {a["name"]: a for a in alarms["data"]}  # the loud one; both offline since noon
    assert page.get_attribute("#sites-map", "data-alarms") == str(len(alarmed))
    assert LOUD in alarmed
    assert len(devices["data"]) >= 8
    assert len(sources["data"]) >= 10
    purple = {d["itemStyle"]["color"] for d in devices["data"]}
    assert purple == {"#6a3d9a"}  # every example device simulated: drawn as 模拟数据
    assert "模拟数据" in page.text_content("#open-alarms")
    shot(page, "map-zh-phone")
    site = alarmed[LOUD]["sourceId"]
    page.goto(f"{page.base}/ledger/sites/{site}")
    wait_for(page, "document.getElementById('site-series').dataset.ready === '1'", 90_000)
    assert int(page.get_attribute("#site-series", "data-points")) > 0
    lines = series_of(page, "site-series")
    names = [line["name"] for line in lines]
    assert any("模拟数据" in name for name in names)
    assert any(name.startswith("判定线") for name in names)
    assert page.is_visible("#site-checklist")
    shot(page, "site-zh-phone")
