"""The monthly report: a Chinese HTML document that opens offline, and its PDF."""

from __future__ import annotations

import base64
import csv
import io
import re

import pytest

from lantian.assess.scope import resolve_scope
from lantian.reports.monthly import find_chromium, html_to_pdf, render_html, report_data
from lantian.settings import settings

AREA = "冷水滩区中心城区"


@pytest.fixture(scope="module")
def november(hunan_store, tmp_path_factory):
    """The report of 2019-11 over a home of its own (no ledger: the user's own home, which may hold
    a ledger of another version, is never read)."""
    scope = resolve_scope(hunan_store.stations(), area=AREA)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LANTIAN_HOME", str(tmp_path_factory.mktemp("report-home")))
        patch.delenv("LANTIAN_DATABASE_URL", raising=False)
        settings.cache_clear()
        data = report_data(hunan_store, scope, "2019-11")
    settings.cache_clear()
    return data, render_html(data)


def test_the_report_has_the_months_evaluation_progress_calendar_and_trend(november):
    data, html = november
    assert "冷水滩区中心城区2019年11月环境空气质量月报" in html
    for heading in (
        "一、本月空气质量",
        "二、每日空气质量指数",
        "三、年初至今",
        "目标进度与剩余空间",
        "四、月均浓度变化",
    ):
        assert heading in html
    assert len(data["calendar_rows"]) == 30
    # Issue #18: the report says how a day with a pollutant missing is treated (the daily default).
    assert "缺项时的AQI（HJ 633-2026 §5.3.1）：日报按HJ 633-2026 §5.3.1条文" in html
    assert [row["月份"] for row in data["trend_rows"]] == [f"2019-{m:02d}" for m in range(1, 12)]
    assert {t["pollutant"] for t in data["targets"]} == {"PM2.5", "PM10"}


def test_the_report_loads_nothing_from_outside(november):
    _, html = november
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "echarts" in html
    assert len(html) > 500_000  # ECharts is inlined


def test_the_data_behind_every_chart_downloads_as_csv(november):
    data, html = november
    links = re.findall(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', html)
    assert len(links) == 2
    daily = list(csv.DictReader(io.StringIO(base64.b64decode(links[0]).decode("utf-8-sig"))))
    assert [row["日期"] for row in daily] == [row["日期"] for row in data["calendar_rows"]]
    assert daily[0]["AQI"] == str(data["calendar_rows"][0]["AQI"])
    assert {row["缺项时的AQI"] for row in daily} == {"letter"}  # issue #18: the rule it rests on


@pytest.mark.skipif(
    find_chromium() is None, reason="Chromium is not installed (scripts/browser installs it)"
)
def test_pdf_is_printed_by_chromium(november, tmp_path):
    _, html = november
    output = tmp_path / "report.pdf"
    html_to_pdf(html, output)
    assert output.read_bytes()[:5] == b"%PDF-"
    assert output.stat().st_size > 50_000


def test_a_ledger_that_cannot_be_opened_leaves_the_report_whole(hunan_store, tmp_path, monkeypatch):
    """A ledger of another Lantian version (an unknown Alembic revision) does not break the
    report: section 五 says why there is no roadmap."""
    import sqlite3

    home = tmp_path / "home"
    home.mkdir()
    with sqlite3.connect(home / "plan.sqlite3") as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        connection.execute("INSERT INTO alembic_version VALUES ('0005_cases')")
    monkeypatch.setenv("LANTIAN_HOME", str(home))
    monkeypatch.delenv("LANTIAN_DATABASE_URL", raising=False)
    settings.cache_clear()
    scope = resolve_scope(hunan_store.stations(), area=AREA)
    html = render_html(report_data(hunan_store, scope, "2019-11"))
    settings.cache_clear()
    assert "计划台账无法打开" in html
    assert "四、月均浓度变化" in html


def test_the_roadmap_section_on_example_data(hunan_store, tmp_path, monkeypatch):
    """With links, an apportionment and the inventory in the ledger's home, the report carries
    section 五 (the same document as `lantian plan roadmap`), labelled 示例数据; without them, a
    line saying why not."""
    from tests.planning.helpers import build_example_home

    scope = resolve_scope(hunan_store.stations(), area=AREA)
    monkeypatch.setenv("LANTIAN_HOME", str(tmp_path / "empty"))
    monkeypatch.delenv("LANTIAN_DATABASE_URL", raising=False)
    settings.cache_clear()
    bare = render_html(report_data(hunan_store, scope, "2019-11"))
    assert "五、达标路线图" in bare
    assert "计划台账尚未建立" in bare
    home = build_example_home(tmp_path / "home")
    monkeypatch.setenv("LANTIAN_HOME", str(home))
    settings.cache_clear()
    data = report_data(hunan_store, scope, "2019-11")
    html = render_html(data)
    settings.cache_clear()
    assert data["roadmap"]["month"] == "2019-11"
    assert "五、达标路线图" in html
    assert data["roadmap"]["summary_zh"] in html
    assert "示例数据" in html
    assert "响应模型依据：清单一次排放占比" in html
