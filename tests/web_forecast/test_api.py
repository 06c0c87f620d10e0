"""``/api/v1/forecast``, ``/api/v1/warning``, ``/api/v1/forecast/verification`` and the pages over
the real 2019 Hunan data: the numbers are the forecast service's, colours the standard's, the
downloads equal the JSON, the slow verification answers 202 ("computing") until it is done."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

import lantian.web.forecast_views as forecast_views
from lantian.forecast.service import current_forecast, stored_forecasts
from lantian.standards import category_table, level
from lantian.store import MeasurementStore
from lantian.web import create_app
from tests.web_forecast.conftest import backtest_rows

YONGZHOU = "永州"
CATEGORIES = {int(c["level"]): c for c in category_table("HJ633-2012")}


def csv_rows(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body[3:].decode("utf-8"))))


def xlsx_rows(body: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(body), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def forecast(client) -> dict:
    response = client.get("/api/v1/forecast", params={"city": YONGZHOU})
    assert response.status_code == 200
    return response.json()


def test_forecast_is_issued_after_the_last_observed_day(forecast):
    assert forecast["city"] == YONGZHOU
    assert forecast["last_observed_day"] == "2019-12-31"
    assert forecast["issue_time"] == "2020-01-01T00:00:00"
    assert forecast["standard"] == "HJ633-2012"
    assert [r["lead"] for r in forecast["rows"]] == [1, 2, 3]
    assert [r["day"] for r in forecast["rows"]] == ["2020-01-01", "2020-01-02", "2020-01-03"]


def test_forecast_categories_and_colours_are_the_standards(forecast):
    for row in forecast["rows"]:
        assert row["aqi"] == round(row["aqi"])
        assert row["level"] == int(level(row["aqi"], "HJ633-2012"))
        category = CATEGORIES[row["level"]]
        assert row["colour"] == category["hex"]
        assert row["category_zh"] == category["category_zh"]
        assert row["category_en"] == category["category_en"]
        assert row["persistence"] is not None
        assert row["climatology"] is not None


def test_forecast_is_stored_with_its_issue_time_and_reused(forecast, web_home):
    stored = [r for r in stored_forecasts(web_home, YONGZHOU) if r["model"] == "gbrt"]
    latest = [r for r in stored if r["issue_time"].isoformat() == forecast["issue_time"]]
    assert [r["aqi"] for r in latest] == [r["aqi"] for r in forecast["rows"]]
    # a new app (empty memo) reads the stored forecast instead of fitting again
    with TestClient(create_app(web_home / "measurements", warm_up=False)) as fresh:
        again = fresh.get("/api/v1/forecast", params={"city": YONGZHOU}).json()
    assert again["source"] == "stored"
    assert again["issue_time"] == forecast["issue_time"]
    assert again["rows"] == forecast["rows"]


def test_the_page_shows_the_forecast_services_current_forecast(forecast, web_home):
    """The choice stored-or-computed is forecast.service.current_forecast's (issue #12 item 7: it
    was written in the web view); the API shows its rows."""
    store = MeasurementStore(web_home / "measurements")
    document = current_forecast(store, YONGZHOU, dt.date(2020, 1, 1), web_home)
    assert document["source"] == "stored"
    assert document["issue_time"].isoformat() == forecast["issue_time"]
    shown = [(r["lead"], r["aqi"], r["level"], r["persistence"]) for r in forecast["rows"]]
    assert [(r["lead"], r["aqi"], r["level"], r["persistence"]) for r in document["rows"]] == shown


def test_forecast_downloads_equal_the_json(client, forecast):
    url = "/api/v1/forecast"
    body = client.get(url, params={"city": YONGZHOU, "format": "csv"})
    assert body.headers["content-type"].startswith("text/csv")
    rows = csv_rows(body.content)
    assert [float(r["aqi"]) for r in rows] == [r["aqi"] for r in forecast["rows"]]
    assert [r["colour"] for r in rows] == [r["colour"] for r in forecast["rows"]]
    sheet = xlsx_rows(client.get(url, params={"city": YONGZHOU, "format": "xlsx"}).content)
    assert sheet[0][:3] == ["lead", "day", "aqi"]
    assert [row[2] for row in sheet[1:]] == [r["aqi"] for r in forecast["rows"]]


def test_warning_on_the_demo_data(client):
    response = client.get("/api/v1/warning", params={"city": YONGZHOU})
    assert response.status_code == 200
    warning = response.json()
    assert warning["day"] == "2020-01-01"
    assert warning["issue_time"] == "2020-01-01T00:00:00"
    assert warning["scheme"] == "2018"
    assert warning["level"] is None  # late December 2019: AQI 56–133, no grade holds
    assert warning["notice_zh"] is None
    assert [r["issue_time"][:10] for r in warning["rows"]] == [
        f"2019-12-{d}" for d in range(26, 32)
    ] + ["2020-01-01"]
    rows = csv_rows(client.get("/api/v1/warning", params={"format": "csv"}).content)
    assert [r["issue_time"] for r in rows] == [r["issue_time"] for r in warning["rows"]]


def test_warning_level_names_colour_and_notice(client, monkeypatch):
    """A yellow warning (the service's result replaced) is named and coloured from the level table."""
    notice = "永州重污染天气黄色预警公告\n据预测……"

    def yellow(store, city, day):
        return {
            "city": city,
            "day": day,
            "scheme": "2018",
            "plan": "永州市重污染天气应急预案（2018年修订）",
            "level": "yellow",
            "reason_zh": "预测AQI>200持续48小时",
            "decisions": [{"issue_time": day, "level": "yellow", "reason_zh": "x"}],
            "events": [{"time": day, "event": "issued", "to_level": "yellow"}],
            "notice_zh": notice,
        }

    monkeypatch.setattr(forecast_views, "city_warning", yellow)
    warning = client.get("/api/v1/warning", params={"city": "长沙", "date": "2019-01-28"}).json()
    assert (warning["level"], warning["level_zh"], warning["colour"]) == (
        "yellow",
        "黄色预警",
        "#FFD700",
    )
    assert warning["response_zh"] == "Ⅲ级应急响应"
    assert warning["notice_zh"] == notice
    assert warning["events"][0]["time"] == "2019-01-28"


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"city": "北京"}, 404),
        ({"date": "2018-06-01"}, 422),
        ({"date": "2020-01-02"}, 422),
        ({"date": "not-a-day"}, 422),
    ],
)
def test_warning_errors(client, params, status):
    assert client.get("/api/v1/warning", params=params).status_code == status


def test_forecast_unknown_city(client):
    response = client.get("/api/v1/forecast", params={"city": "北京"})
    assert response.status_code == 404
    assert "永州" in response.json()["detail"]


def test_verification_is_computing_then_ready(client, fake_backtest):
    url = "/api/v1/forecast/verification"
    params = {"city": YONGZHOU, "year": 2019}
    first = client.get(url, params=params)
    assert first.status_code == 202
    assert first.json()["status"] == "computing"
    assert first.headers["retry-after"] == "10"
    page = client.get("/forecast", params=params)
    assert page.status_code == 200
    assert 'id="verification-pending"' in page.text
    assert "计算中" in page.text
    assert client.get(url, params=params).status_code == 202
    fake_backtest.release.set()
    deadline = time.monotonic() + 30
    while (response := client.get(url, params=params)).status_code == 202:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert fake_backtest.calls == [(YONGZHOU, 2019)]  # started once, however often asked
    assert response.status_code == 200
    document = response.json()
    assert document["rows"] == backtest_rows(YONGZHOU)
    assert document["first_issue"] == "2019-01-29"
    rows = csv_rows(client.get(url, params={**params, "format": "csv"}).content)
    assert [float(r["mae"]) for r in rows] == [r["mae"] for r in document["rows"]]
    sheet = xlsx_rows(client.get(url, params={**params, "format": "xlsx"}).content)
    assert sheet[0][:3] == ["scope", "lead", "model"]
    assert len(sheet) == 1 + len(document["rows"])


def test_verification_page_table(client, fake_backtest):
    fake_backtest.release.set()
    params = {"city": YONGZHOU, "year": 2019}
    url = "/api/v1/forecast/verification"
    deadline = time.monotonic() + 30
    while client.get(url, params=params).status_code == 202:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    page = client.get("/forecast", params=params).text
    assert 'id="verification-city"' in page
    assert 'id="verification-all"' in page
    assert 'data-fchart="mae"' in page
    assert "AQI &gt; 150" in page
    assert "AQI &gt; 200" in page
    # lead 1 of the city: gbrt has the lowest MAE (15.50), printed in bold
    row = page.split('data-scope="永州" data-lead="1" data-model="gbrt">', 1)[1].split("</tr>")[0]
    assert "<strong>15.50</strong>" in row
    assert "统计模型（梯度提升）" in row
    english = client.get("/forecast", params={**params, "lang": "en"}).text
    assert "All cities pooled" in english
    assert "False-alarm ratio" in english


def test_unknown_year_and_city_on_verification(client):
    url = "/api/v1/forecast/verification"
    assert client.get(url, params={"year": 2018}).status_code == 404
    assert client.get(url, params={"city": "北京"}).status_code == 404
    assert client.get("/forecast", params={"city": "北京"}).status_code == 404


def test_now_page_links_the_forecast(client):
    page = client.get("/now", params={"city": YONGZHOU}).text
    assert 'id="forecast-now"' in page
    assert 'data-forecast-src="/api/v1/forecast?city=%E6%B0%B8%E5%B7%9E"' in page
    assert 'data-warning-src="/api/v1/warning?city=%E6%B0%B8%E5%B7%9E"' in page
    assert "/static/forecast.js" in page
    assert 'href="/forecast?city=%E6%B0%B8%E5%B7%9E"' in page  # nav and the section
