"""The warning and the 3-day forecast on the "now" page, and the analysts' page, in real headless
Chromium against a real ``lantian serve`` subprocess over the real 2019 Hunan data (the server,
browser and request guard of ``tests/web/test_browser.py``): what is shown equals the API, in the
standard's colours, and no request leaves the server.

Screenshots go to ``test-artifacts/web/``. Needs ``/usr/bin/chromium`` (``scripts/browser``).
"""

from __future__ import annotations

import pytest

from tests.browsing import wait_for
from tests.web import test_browser as web_browser

browser = web_browser.browser
server = web_browser.server
page = web_browser.page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not web_browser.CHROMIUM.exists(),
        reason="Debian's chromium is not installed (run scripts/browser)",
    ),
]

YONGZHOU = "%E6%B0%B8%E5%B7%9E"


def test_now_page_shows_the_warning_and_the_forecast(page):
    forecast = web_browser.api(page.base, f"/api/v1/forecast?city={YONGZHOU}")
    warning = web_browser.api(page.base, f"/api/v1/warning?city={YONGZHOU}")
    page.goto(page.base + "/now?city=永州")
    wait_for(page, "document.getElementById('forecast-now').dataset.ready === '1'", timeout=120_000)
    assert not page.is_visible("#forecast-status")
    days = page.eval_on_selector_all(
        "#forecast-days li",
        "es => es.map(e => [e.dataset.day, e.querySelector('.forecast-aqi').textContent,"
        " e.querySelector('.chip').textContent, getComputedStyle(e.querySelector('.chip'))"
        ".backgroundColor])",
    )
    assert days == [
        [r["day"], f"{r['aqi']:.0f}", r["category_zh"], web_browser.rgb(r["colour"])]
        for r in forecast["rows"]
    ]
    assert [d[0] for d in days] == ["2020-01-01", "2020-01-02", "2020-01-03"]
    assert page.text_content("#forecast-issue").strip() == "2019年12月31日 24时"
    level = page.text_content("#warning-level").strip()
    assert level == (warning["level_zh"] or "无预警")
    if warning["notice_zh"]:
        assert page.text_content("#warning-notice").strip() == warning["notice_zh"].strip()
    else:
        assert not page.is_visible("#warning-notice")
    web_browser.shot(page, "now-forecast-zh-desktop")
    page.click("#switch-language")
    wait_for(
        page,
        "document.getElementById('forecast-now').dataset.ready === '1'"
        " && document.documentElement.lang === 'en'",
        timeout=120_000,
    )
    chips = page.eval_on_selector_all("#forecast-days .chip", "es => es.map(e => e.textContent)")
    assert chips == [r["category_en"] for r in forecast["rows"]]
    assert page.text_content("#forecast-issue").strip() == "2019-12-31 24:00"


def test_analysts_page_says_it_is_computing(page):
    page.goto(page.base + "/forecast?city=永州&year=2019")
    assert "预报检验" in page.text_content("header nav a[aria-current=page]")
    section = page.text_content("#verification-pending")
    assert "计算中" in section
    web_browser.shot(page, "forecast-pending-zh-desktop")
