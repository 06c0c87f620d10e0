"""The pages in real headless Chromium (Debian's, driven by Playwright) against a real
``lantian serve`` subprocess over the real 2019 Hunan data: what a person sees equals the API,
colours equal the standard's categories, the language switches, and no request leaves the server.

Screenshots go to ``test-artifacts/web/``. Needs ``/usr/bin/chromium`` (``scripts/browser``).
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lantian.standards import category_table
from tests.browsing import (
    CHROMIUM,
    chart_option,
    chromium,
    confined_context,
    serving,
    wait_for,
    wait_until_answers,
)

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "web"
CATEGORIES = category_table("HJ633-2012")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (run scripts/browser)"
    ),
]


@pytest.fixture(scope="module")
def server(web_home: Path) -> Iterator[str]:
    """``lantian serve`` on a free loopback port, over the demo home; its base URL."""
    with serving(web_home) as (base, process):
        wait_until_answers(base, "/api/v1/years", process, web_home / "serve.log", seconds=60)
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


@pytest.fixture
def page(browser, server):
    """A page whose every request is checked: anything not addressed to the server is aborted
    and recorded, and the test fails on it."""
    outside: list[str] = []
    errors: list[str] = []
    context = confined_context(
        browser, server, outside, viewport={"width": 1280, "height": 900}, locale="zh-CN"
    )
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith((server, "data:")) else outside.append(request.url)
        ),
    )
    page.base = server
    yield page
    context.close()
    assert outside == [], f"requests left the server: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"


def api(server: str, path: str) -> dict:
    with urllib.request.urlopen(server + path, timeout=60) as response:
        return json.load(response)


def open_page(page, path: str) -> None:
    page.goto(page.base + path)
    wait_for(
        page,
        "[...document.querySelectorAll('[data-chart]')].every(e => e.dataset.ready === '1')",
        timeout=60_000,
    )


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_now_page_shows_the_api_numbers_in_category_colours(page):
    document = api(page.base, "/api/v1/now?city=%E6%B0%B8%E5%B7%9E")
    open_page(page, "/now?city=永州")
    city = document["city_now"]
    assert page.text_content("#city-aqi").strip() == f"{city['aqi']:.0f}"
    assert page.text_content("#city-category").strip() == city["category_zh"]
    hero = page.eval_on_selector(".hero-aqi", "e => getComputedStyle(e).backgroundColor")
    assert hero == rgb(city["colour"])
    assert city["colour"] == CATEGORIES[city["level"] - 1]["hex"]
    assert page.text_content("#data-time").strip() == "2019年12月31日 23时"
    for pollutant in ("SO2", "NO2", "CO", "O3", "PM10", "PM2.5"):
        shown = page.text_content(f'#city-concentrations [data-pollutant="{pollutant}"] .value')
        value = city[pollutant]
        assert shown.strip() == (f"{value:.1f}" if pollutant == "CO" else f"{value:.0f}")
    for station in document["stations"]:
        row = f'#stations-now tr[data-station="{station["station_code"]}"]'
        assert page.text_content(f"{row} td.aqi").strip() == f"{station['aqi']:.0f}"
        chip = page.eval_on_selector(f"{row} .chip", "e => getComputedStyle(e).backgroundColor")
        assert chip == rgb(station["colour"])
    option = chart_option(page, "map")
    assert page.get_attribute("#map", "data-boundary-areas") == "11"  # 永州's counties
    assert len(option["series"][0]["data"]) == len(document["stations"])
    colours = {d["name"]: d["itemStyle"]["color"] for d in option["series"][0]["data"]}
    assert colours == {s["name"]: s["colour"] for s in document["stations"]}
    shot(page, "now-zh-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "now-zh-phone")


def test_language_switch_and_back(page):
    document = api(page.base, "/api/v1/now?city=%E6%B0%B8%E5%B7%9E")
    open_page(page, "/now?city=永州")
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.click("#switch-language")
    wait_for(page, "document.documentElement.lang === 'en'")
    wait_for(
        page, "[...document.querySelectorAll('[data-chart]')].every(e => e.dataset.ready === '1')"
    )
    assert page.text_content("#city-category").strip() == document["city_now"]["category_en"]
    assert "Air quality now" in page.text_content("header nav")
    assert page.text_content("#data-time").strip() == "2019-12-31 23:00"
    shot(page, "now-en-desktop")
    open_page(page, "/attainment")  # the choice is remembered
    assert page.get_attribute("html", "lang") == "en"
    assert "Annual evaluation" in page.text_content("h1")
    shot(page, "attainment-en-desktop")
    page.click("#switch-language")
    wait_for(page, "document.documentElement.lang === 'zh-CN'")
    assert "年度评价" in page.text_content("h1")


def test_history_calendar_and_series(page):
    daily = api(page.base, "/api/v1/daily?city=%E6%B0%B8%E5%B7%9E&year=2019")
    monthly = api(page.base, "/api/v1/monthly/2019?city=%E6%B0%B8%E5%B7%9E")
    open_page(page, "/history?city=永州&year=2019&pollutant=PM2.5&month=12")
    calendar = chart_option(page, "calendar")
    pieces = calendar["visualMap"][0]["pieces"]
    assert [p["color"] for p in pieces] == [c["hex"] for c in CATEGORIES]
    assert [(p["min"], p["max"]) for p in pieces] == [
        (int(c["aqi_min"]), int(c["aqi_max"])) for c in CATEGORIES
    ]
    days = [r for r in daily["rows"] if r["aqi"] is not None]
    assert calendar["series"][0]["data"] == [[r["day"], r["aqi"]] for r in days]
    line = chart_option(page, "daily")
    assert line["series"][0]["markLine"]["data"][0]["yAxis"] == 75  # PM2.5 daily limit
    assert len(line["series"][0]["data"]) == 365
    hourly = chart_option(page, "hourly")
    assert len(hourly["series"][0]["data"]) == 31 * 24
    for row in monthly["rows"]:
        shown = page.text_content(f'#monthly-table tr[data-month="{row["month"]}"] td.current')
        assert shown.strip() == f"{row['PM2.5']:.0f}"
    shot(page, "history-zh-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(300)
    shot(page, "history-zh-phone")


def test_attainment_tables_equal_the_api(page):
    evaluation = api(page.base, "/api/v1/evaluations/2019?city=%E6%B0%B8%E5%B7%9E")
    ranking = api(page.base, "/api/v1/rankings/2019")
    open_page(page, "/attainment?city=永州&year=2019")
    for item in evaluation["items"]:
        row = (
            f'#evaluation tr[data-pollutant="{item["pollutant"]}"][data-metric="{item["metric"]}"]'
        )
        shown = page.text_content(f"{row} td.value").split()[0]
        assert shown == (
            f"{item['value']:.1f}" if item["pollutant"] == "CO" else f"{item['value']:.0f}"
        )
    assert page.text_content("#comprehensive-index").strip() == "3.94"
    assert page.text_content("#good-ratio").strip() == "88.6%"
    bar = page.eval_on_selector_all(
        "#days-by-category span",
        "es => es.map(e => [e.dataset.colour, +e.dataset.days, getComputedStyle(e).backgroundColor])",
    )
    colours = [c["hex"] for c in api(page.base, "/api/v1/categories")["rows"]]
    expected = [(c, n) for c, n in zip(colours, evaluation["days"]["by_level"], strict=True) if n]
    assert [(colour, days) for colour, days, _ in bar] == expected
    assert all(css == rgb(colour) for colour, _, css in bar)
    for row in ranking["rows"]:
        selector = f'#ranking tr[data-city="{row["city"]}"]'
        assert page.text_content(f"{selector} td.rank").strip() == str(row["rank"])
        assert (
            page.text_content(f"{selector} td.index").strip() == f"{row['comprehensive_index']:.2f}"
        )
    assert page.locator("#progress-table tr[data-pollutant='PM2.5']").count() == 1
    shot(page, "attainment-zh-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "attainment-zh-phone")
