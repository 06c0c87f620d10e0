"""The JSON API on the real 2019 Hunan data, checked against ``lantian.standards`` and
``lantian.assess.annual.evaluate`` computed here from the store's raw rows (not through the web's
own code), and the CSV / xlsx downloads against the JSON."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re

import numpy as np
import pytest
from openpyxl import load_workbook

from lantian.assess.annual import evaluate
from lantian.assess.assessment import assess
from lantian.assess.ranking import province_cities, rank
from lantian.assess.scope import resolve_scope
from lantian.assess.sources import load_year
from lantian.standards import BASIC_POLLUTANTS, aqi_report, category_table, rule_set
from lantian.web.api import schemas
from lantian.web.tables import dumps

YEAR = 2019
RULES = rule_set(dt.date(YEAR, 12, 31))
YONGZHOU_EVALUATION = ["2478A", "2479A", "2480A", "2481A"]  # 2477A is Yongzhou's control point


@pytest.fixture(scope="module")
def hunan_year(web_store):
    return load_year(web_store, YEAR)


def get(client, url: str) -> dict:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def same(a: float | None, b: float) -> bool:
    return (a is None and math.isnan(b)) or (a is not None and a == pytest.approx(b, abs=1e-9))


def test_years_and_latest_hour(client, web_store):
    body = get(client, "/api/v1/years")
    with web_store.connect() as connection:
        ((latest,),) = connection.sql("SELECT max(ts) FROM measurements").fetchall()
    assert body["years"] == [YEAR]
    assert body["latest_ts"] == latest.isoformat()
    assert body["default_city"] == "永州"
    schemas.YearsPublic.model_validate(body)


def test_stations_of_yongzhou_with_roles_and_coordinates(client):
    body = get(client, "/api/v1/stations?city=永州")
    schemas.StationsPublic.model_validate(body)
    rows = {r["station_code"]: r for r in body["rows"]}
    assert sorted(rows) == ["2477A", *YONGZHOU_EVALUATION]
    assert rows["2477A"]["control_point"]
    assert not rows["2477A"]["evaluation"]
    assert all(rows[c]["evaluation"] for c in YONGZHOU_EVALUATION)
    assert all(24 < r["latitude"] < 28 and 110 < r["longitude"] < 113 for r in rows.values())


def test_evaluation_equals_evaluate(client, hunan_year):
    """Yongzhou 2019: every item, the day counts and the index equal evaluate() on the store."""
    expected = evaluate(
        "永州",
        hunan_year.area_hourly(hunan_year.evaluation_stations("永州")),
        hunan_year.first_day,
        RULES,
    )
    body = get(client, f"/api/v1/evaluations/{YEAR}?city=永州")
    schemas.EvaluationPublic.model_validate(body)
    assert (body["city"], body["year"], body["standard"]) == ("永州", YEAR, "2012")
    assert len(body["items"]) == len(expected.items)
    for got, item in zip(body["items"], expected.items, strict=True):
        assert (got["pollutant"], got["metric"]) == (item.pollutant, item.metric)
        assert same(got["value"], item.value)
        assert got["limit"] == item.limit
        assert got["attained"] == item.attained
        assert same(got["exceedance_multiple"], item.exceedance_multiple)
        assert got["valid_days"] == item.valid_days
    assert body["days"]["valid"] == expected.valid_days
    assert body["days"]["by_level"] == expected.days_by_level
    assert list(body["days"]["by_category"].values()) == expected.days_by_level
    assert list(body["days"]["by_category"]) == [
        "优",
        "良",
        "轻度污染",
        "中度污染",
        "重度污染",
        "严重污染",
    ]
    assert body["days"]["good_ratio"] == expected.good_day_ratio
    assert body["comprehensive_index"] == float(expected.comprehensive.total)
    # the README's figures for Yongzhou 2019
    assert (body["comprehensive_index"], body["days"]["good_ratio"]) == (3.94, 88.6)
    assert [s["station_code"] for s in body["stations"]] == YONGZHOU_EVALUATION


@pytest.mark.parametrize("where", ["city=永州", "station=2481A"])
def test_evaluation_is_the_document_lantian_assess_writes(client, web_store, where):
    """One serialisation: the API's evaluation is ``lantian assess --format json``'s, plus place."""
    body = get(client, f"/api/v1/evaluations/{YEAR}?{where}")
    kind, name = where.split("=")
    scope = resolve_scope(web_store.stations(), **{kind: name})
    expected = assess(web_store, scope, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31))
    assert json.loads(dumps(expected)) == {k: v for k, v in body.items() if k != "place"}


def test_ranking_rows_are_the_rows_lantian_rank_writes(client, web_store):
    body = get(client, f"/api/v1/rankings/{YEAR}")
    cities = province_cities("湖南")
    expected = rank(web_store, cities, dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31))
    assert json.loads(dumps(expected["cities"])) == body["rows"]


def test_station_evaluation_equals_evaluate(client, hunan_year):
    expected = evaluate("2481A", hunan_year.station_hourly("2481A"), hunan_year.first_day, RULES)
    body = get(client, f"/api/v1/evaluations/{YEAR}?station=2481A")
    assert body["comprehensive_index"] == float(expected.comprehensive.total) == 4.00
    rows = get(client, f"/api/v1/evaluations/{YEAR}/stations?city=永州")["rows"]
    assert next(r for r in rows if r["station_code"] == "2481A")["comprehensive_index"] == 4.00


def test_ranking_equals_evaluate_per_city(client, hunan_year):
    body = get(client, f"/api/v1/rankings/{YEAR}")
    schemas.RankingPublic.model_validate(body)
    cities = sorted(
        {c for c in hunan_year.cities.values() if c} & {r["city"] for r in body["rows"]}
    )
    assert len(body["rows"]) == len(cities) == 14
    index = {
        c: float(
            evaluate(
                c,
                hunan_year.area_hourly(hunan_year.evaluation_stations(c)),
                hunan_year.first_day,
                RULES,
            ).comprehensive.total
        )
        for c in cities
    }
    for row in body["rows"]:
        assert row["comprehensive_index"] == index[row["city"]]
        assert row["rank"] == 1 + sum(v < index[row["city"]] for v in index.values())
    assert [r["city"] for r in body["rows"][:2]] == ["湘西州", "张家界"]
    assert next(r for r in body["rows"] if r["city"] == "永州")["rank"] == 5


def raw_hour(web_store, stations: list[str], ts: dt.datetime) -> dict[str, np.ndarray]:
    """(stations,) values per pollutant at hour ``ts``, straight from the store's valid rows."""
    rows = web_store.read(stations=stations, start=ts - dt.timedelta(hours=1), end=ts)
    rows = rows.filter(rows.column("valid")).to_pylist()
    values = {p: np.full(len(stations), np.nan) for p in BASIC_POLLUTANTS}
    for row in rows:
        values[row["pollutant"]][stations.index(row["station_code"])] = row["value"]
    return values


def test_now_equals_aqi_report_of_the_raw_hour(client, web_store):
    body = get(client, "/api/v1/now?city=永州")
    schemas.NowPublic.model_validate(body)
    ts = dt.datetime.fromisoformat(body["ts"])
    station_values = raw_hour(web_store, YONGZHOU_EVALUATION, ts)
    city_values = {p: np.array([np.nanmean(v)]) for p, v in station_values.items()}
    report = aqi_report({f"{p}_1h": v for p, v in city_values.items()}, "hourly", RULES.hj633)
    city = body["city_now"]
    assert city["aqi"] == report.aqi[0]
    assert city["category_zh"] == report.category("zh")[0]
    assert city["primary_pollutants"] == (report.primary_pollutants()[0] or None)
    colours = {int(r["level"]): r["hex"] for r in category_table(RULES.hj633)}
    assert city["colour"] == colours[city["level"]]
    stations = {s["station_code"]: s for s in body["stations"]}
    for i, code in enumerate(YONGZHOU_EVALUATION):
        for p in BASIC_POLLUTANTS:
            assert same(stations[code][p], station_values[p][i])
        assert stations[code]["colour"] == colours[stations[code]["level"]]
    assert next(c for c in body["cities"] if c["city"] == "永州")["aqi"] == city["aqi"]


def test_hourly_aqi_equals_aqi_report(client, web_store):
    """A week of one station's hourly AQI against aqi_report over the raw rows."""
    body = get(client, "/api/v1/hourly?station=2478A&start=2019-12-25&end=2019-12-31")
    schemas.HourlyPublic.model_validate(body)
    assert len(body["rows"]) == 7 * 24
    assert body["rows"][0]["ts"] == "2019-12-25T01:00:00"
    assert body["rows"][-1]["ts"] == "2020-01-01T00:00:00"
    rows = web_store.read(
        stations=["2478A"], start=dt.datetime(2019, 12, 25), end=dt.datetime(2020, 1, 1)
    )
    rows = rows.filter(rows.column("valid")).to_pylist()
    hours = [dt.datetime.fromisoformat(r["ts"]) for r in body["rows"]]
    grid = {p: np.full(len(hours), np.nan) for p in BASIC_POLLUTANTS}
    for row in rows:
        grid[row["pollutant"]][hours.index(row["ts"])] = row["value"]
    report = aqi_report({f"{p}_1h": v for p, v in grid.items()}, "hourly", RULES.hj633)
    got = np.array([np.nan if r["aqi"] is None else r["aqi"] for r in body["rows"]])
    np.testing.assert_array_equal(got, report.aqi)
    aqi_only = get(
        client, "/api/v1/aqi?report=hourly&station=2478A&start=2019-12-25&end=2019-12-31"
    )
    assert [r["aqi"] for r in aqi_only["rows"]] == [r["aqi"] for r in body["rows"]]


def test_daily_aqi_equals_evaluation_daily_report(client, hunan_year):
    expected = evaluate(
        "永州", hunan_year.area_hourly(YONGZHOU_EVALUATION), hunan_year.first_day, RULES
    )
    body = get(client, f"/api/v1/daily?city=永州&year={YEAR}")
    schemas.DailyPublic.model_validate(body)
    assert len(body["rows"]) == 365
    assert body["rows"][0]["day"] == "2019-01-01"
    got = np.array([np.nan if r["aqi"] is None else r["aqi"] for r in body["rows"]])
    np.testing.assert_array_equal(got, expected.daily.aqi.aqi)
    assert body["limits"]["PM2.5"] == 75
    assert body["limits"]["O3_8h"] == 160


def test_monthly_without_previous_year(client):
    body = get(client, f"/api/v1/monthly/{YEAR}?city=永州")
    schemas.MonthlyPublic.model_validate(body)
    assert [r["month"] for r in body["rows"]] == list(range(1, 13))
    assert all(r["PM2.5_previous"] is None for r in body["rows"])
    assert body["rows"][0]["PM2.5"] == 83  # January 2019, Yongzhou


def test_progress_of_the_model_plan(client):
    body = get(client, "/api/v1/progress?city=永州")
    schemas.ProgressPublic.model_validate(body)
    pm25 = next(r for r in body["rows"] if r["pollutant"] == "PM2.5")
    assert (pm25["area"], pm25["target"]) == ("冷水滩区中心城区", 35)
    assert (body["date"], pm25["ytd"], pm25["status"]) == ("2019-12-31", 39, "missed")


def _cell(value: object) -> str:
    """A JSON value as its CSV cell: null empty, a list of months joined with commas."""
    if isinstance(value, list):
        return ",".join(map(str, value))
    return "" if value is None else str(value)


def _xlsx_cell(value: object) -> object:
    """A JSON value as openpyxl reads its cell back: an empty text cell as None."""
    if isinstance(value, list):
        value = _cell(value)
    return None if value == "" else value


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/stations",
        "/api/v1/hourly?city=永州&start=2019-12-30&end=2019-12-31",
        "/api/v1/daily?city=永州&year=2019",
        f"/api/v1/monthly/{YEAR}?city=永州",
        f"/api/v1/evaluations/{YEAR}?city=永州",
        f"/api/v1/rankings/{YEAR}",
    ],
)
def test_downloads_hold_the_json_table(client, url):
    """CSV (UTF-8 with BOM) and xlsx have the JSON's columns and rows."""
    body = get(client, url)
    key = "items" if "/evaluations/" in url else "rows"
    columns = list(body[key][0])
    joiner = "&" if "?" in url else "?"
    response = client.get(f"{url}{joiner}format=csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0] == columns
    assert len(table) - 1 == len(body[key])
    text = [[_cell(v) for v in row.values()] for row in body[key]]
    assert table[1:] == text
    workbook = load_workbook(io.BytesIO(client.get(f"{url}{joiner}format=xlsx").content))
    sheet = [list(r) for r in workbook.active.iter_rows(values_only=True)]
    assert sheet[0] == columns
    empty_as_none = [[_xlsx_cell(v) for v in row.values()] for row in body[key]]
    assert [list(r) for r in sheet[1:]] == empty_as_none  # an empty text cell reads back as None


def test_now_download_is_the_city_then_its_stations(client):
    body = get(client, "/api/v1/now?city=永州")
    response = client.get("/api/v1/now?city=永州&format=csv")
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["station_code"] for r in table] == [
        "永州",
        *[s["station_code"] for s in body["stations"]],
    ]
    assert table[0]["aqi"] == str(body["city_now"]["aqi"])


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/api/v1/now?city=纽约", 404, "永州"),
        ("/api/v1/hourly?station=9999Z", 404, "2478A"),
        ("/api/v1/evaluations/2010?city=永州", 404, "2019"),
        ("/api/v1/hourly?start=2019-01-01&end=2020-06-01", 422, "at most 366"),
        ("/api/v1/daily?start=2019-05-01&end=2019-04-01", 422, "before"),
        ("/api/v1/daily?format=pdf", 422, "format"),
    ],
)
def test_errors_say_what_is_valid(client, url, status, says):
    response = client.get(url)
    assert response.status_code == status
    assert says in response.text


@pytest.mark.parametrize("path", ["/now", "/history", "/attainment", "/forecast?city=永州"])
def test_every_page_says_which_completeness_rule_it_uses(client, path):
    """Issue #18: the real-time AQI follows CNEMC's release (the AQI of the pollutants present), the
    daily AQI HJ 633-2026 §5.3.1 as written; every page says so, in both languages; and every
    download row carries ``completeness`` (docs/cnemc-release-check.md)."""
    zh = client.get(path + ("&" if "?" in path else "?") + "lang=zh-CN").text
    note = re.search(r'<p id="completeness-note">(.*?)</p>', zh)
    assert note is not None, path
    assert "实时报按官方发布" in note[1]
    assert "日报按HJ 633-2026 §5.3.1条文" in note[1]
    en = client.get(path + ("&" if "?" in path else "?") + "lang=en").text
    assert "real-time AQI as CNEMC publishes it" in en


def test_downloads_say_which_completeness_rule_they_use(client):
    hourly = client.get("/api/v1/hourly?station=2478A&start=2019-12-31&end=2019-12-31&format=csv")
    rows = list(csv.DictReader(io.StringIO(hourly.content.decode("utf-8-sig"))))
    assert {r["completeness"] for r in rows} == {"release"}
    daily = get(client, "/api/v1/daily?station=2478A&start=2019-12-01&end=2019-12-31")
    assert {r["completeness"] for r in daily["rows"]} == {"letter"}
    for report, mode in (("hourly", "release"), ("daily", "letter")):
        path = f"/api/v1/aqi?report={report}&station=2478A&start=2019-12-31&end=2019-12-31"
        assert {r["completeness"] for r in get(client, path)["rows"]} == {mode}
        table = client.get(path + "&format=csv").content.decode("utf-8-sig")
        assert {r["completeness"] for r in csv.DictReader(io.StringIO(table))} == {mode}


def test_good_day_counts_say_which_daily_aqi_they_rest_on(client):
    """The day counts and good-day ratios of evaluations, station evaluations, months and rankings
    rest on the daily AQI: each says its treatment of a missing pollutant, in JSON and CSV."""
    evaluation = get(client, f"/api/v1/evaluations/{YEAR}?city=永州")
    assert evaluation["days"]["completeness"] == "letter"
    assert {s["days"]["completeness"] for s in evaluation["stations"]} == {"letter"}
    for path in (
        f"/api/v1/evaluations/{YEAR}/stations?city=永州",
        f"/api/v1/monthly/{YEAR}?city=永州",
        f"/api/v1/rankings/{YEAR}",
    ):
        assert {r["completeness"] for r in get(client, path)["rows"]} == {"letter"}, path
        table = client.get(path + ("&" if "?" in path else "?") + "format=csv")
        rows = csv.DictReader(io.StringIO(table.content.decode("utf-8-sig")))
        assert {r["completeness"] for r in rows} == {"letter"}, path


def test_pages_are_utf8_html(client):
    for path in ("/", "/now", "/history", "/attainment", "/history?station=2478A&pollutant=O3"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert client.get("/now?city=纽约").status_code == 404


def test_static_files_are_local_and_cached(client):
    response = client.get("/static/echarts/echarts.min.js", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    etag = response.headers["etag"]
    assert (
        client.get("/static/echarts/echarts.min.js", headers={"If-None-Match": etag}).status_code
        == 304
    )
    assert client.get("/static/../app.py").status_code == 404


def test_repeated_requests_are_served_from_the_cache(client):
    first = client.get("/api/v1/rankings/2019")
    again = client.get("/api/v1/rankings/2019", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/api/v1/rankings/2019").content == first.content


def test_an_import_changes_what_is_served(tmp_path):
    """The response cache and the memo are keyed by the manifest version: new data shows at once."""
    from fastapi.testclient import TestClient

    from lantian.demo import CONTROL_POINTS_HUNAN, STATION_LIST, demo_file
    from lantian.ingest.cnemc import read_measurements
    from lantian.store import MeasurementStore
    from lantian.store.registry import registry_from_station_list
    from lantian.web import create_app
    from tests.store.conftest import extract_days

    store = MeasurementStore(tmp_path / "measurements")
    store.put_stations(
        registry_from_station_list(demo_file(STATION_LIST), demo_file(CONTROL_POINTS_HUNAN))
    )
    for days in ((1, 2), (3, 3)):
        folder = tmp_path / f"days-{days[0]}"
        extract_days(folder, *days)
        table, metadata = read_measurements(folder)
        store.import_measurements(table, files=list(metadata["files"]))
        if days == (1, 2):
            app_client = TestClient(create_app(store.root, warm_up=False))
            before = app_client.get("/api/v1/now?city=永州").json()["ts"]
    after = app_client.get("/api/v1/now?city=永州").json()["ts"]
    assert dt.datetime.fromisoformat(after) - dt.datetime.fromisoformat(before) == dt.timedelta(
        days=1
    )


def test_answers_held_in_memory_follow_an_import_that_replaces_values(tmp_path):
    """The year grids, the series cut from them and the cached responses belong to one store
    version: after an import that replaces values, every answer equals what
    :func:`lantian.assess.aqi_series.aqi_series` reads from the store itself. (The replaced PM2.5
    cells of 2 January, 999 µg/m³, are constructed; the rest is the real data.)"""
    from fastapi.testclient import TestClient

    from lantian.assess.aqi_series import aqi_series
    from lantian.demo import CONTROL_POINTS_HUNAN, STATION_LIST, demo_file
    from lantian.ingest.cnemc import read_measurements
    from lantian.store import MeasurementStore
    from lantian.store.registry import registry_from_station_list
    from lantian.web import create_app
    from tests.store.conftest import change_cells, extract_days

    store = MeasurementStore(tmp_path / "measurements")
    store.put_stations(
        registry_from_station_list(demo_file(STATION_LIST), demo_file(CONTROL_POINTS_HUNAN))
    )
    table, metadata = read_measurements(extract_days(tmp_path / "days", 1, 3)[0].parent)
    store.import_measurements(table, files=list(metadata["files"]))
    first, last = dt.date(2019, 1, 1), dt.date(2019, 1, 3)
    places = {"station": "2478A", "city": "永州"}
    urls = {
        (kind, report): f"/api/v1/{report}?{kind}={key}&start={first}&end={last}"
        for kind, key in places.items()
        for report in ("hourly", "daily")
    }
    app_client = TestClient(create_app(store.root, warm_up=False))
    before = {key: app_client.get(url).json()["rows"] for key, url in urls.items()}

    (day_two,) = extract_days(tmp_path / "changed", 2, 2)
    assert change_cells(day_two, "PM2.5", "999", limit=100_000) > 1000
    table, metadata = read_measurements(day_two.parent)
    assert store.import_measurements(table, files=list(metadata["files"])).replaced > 1000

    for (kind, report), url in urls.items():
        rows = app_client.get(url).json()["rows"]
        scope = resolve_scope(store.stations(), **{kind: places[kind]}, on=(first, last))
        stored = aqi_series(store, scope, first, last, hourly=report == "hourly").to_pydict()
        for column in ("aqi", "PM2.5", "level", "primary_pollutants"):
            assert [r[column] for r in rows] == stored[column], (url, column)
        assert rows != before[(kind, report)], url  # the replaced hours show
