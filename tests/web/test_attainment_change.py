"""The attainment page's ranking shows the year-on-year change columns only when the store holds
the previous period. The demo store holds one year, so real April 2019 evaluations stand in for
the previous period of August 2019 (as in tests/assess/test_ranking_real.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lantian.assess.ranking import ranked_rows
from lantian.web import create_app
from lantian.web.service import AirData


def _ranking_table(html: str) -> str:
    start = html.index('<table id="ranking">')
    return html[start : html.index("</table>", start)]


def _rows(html: str) -> dict[str, list[str]]:
    rows = re.findall(r'<tr data-city="([^"]+)"[^>]*>(.*?)</tr>', _ranking_table(html), re.S)
    return {city: re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S) for city, cells in rows}


@pytest.fixture
def app_over(web_home: Path):
    def serve() -> TestClient:
        return TestClient(create_app(web_home / "measurements", warm_up=False))

    return serve


def test_without_a_previous_year_there_are_no_change_columns(app_over):
    with app_over() as client:
        html = client.get("/attainment?city=永州&year=2019").text
    assert "综合指数同比变化率" not in _ranking_table(html)
    assert all(len(cells) == 8 for cells in _rows(html).values())


def test_with_a_previous_period_each_city_shows_its_change_rate_and_rank(app_over, monkeypatch):
    def august_against_april(self: AirData, year: int, standard: str | None = None):
        cities = self.snapshot().cities
        month = {
            m: {c: self.month_evaluations(self.place(city=c), year)[m - 1] for c in cities}
            for m in (4, 8)
        }
        return ranked_rows(month[8], month[4])

    monkeypatch.setattr(AirData, "ranking", august_against_april)
    with app_over() as client:
        html = client.get("/attainment?city=永州&year=2019").text
        expected = {r["city"]: r for r in august_against_april(client.app.state.data, 2019)}
    assert "<th>综合指数同比变化率</th><th>变化率排名</th>" in _ranking_table(html)
    shown = _rows(html)
    assert set(shown) == set(expected)
    assert len(shown) == 14
    for city, cells in shown.items():
        assert cells[-2] == f"{expected[city]['change_rate']:.2f}%", city
        assert cells[-1] == str(expected[city]["change_rank"]), city
