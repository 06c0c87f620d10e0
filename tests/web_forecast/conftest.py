"""Fixtures of the forecast views' tests: a Lantian home with the real 2019 Hunan data
(the same construction as ``tests/web``), and the app over it with a small backtest in place of
the ~80 s one."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

import lantian.web.forecast_views as forecast_views
from lantian.web import create_app
from tests.web import conftest as web_conftest

web_home = web_conftest.web_home  # the demo home, built as tests/web builds it
MODELS = ("persistence", "climatology", "gbrt")


def backtest_rows(city: str) -> list[dict[str, object]]:
    """A small verification table of the shape :func:`city_backtest` returns."""
    rows = []
    for scope in (city, "all"):
        for lead in (1, 2, 3):
            for k, model in enumerate(MODELS):
                rows.append(
                    {
                        "scope": scope,
                        "lead": lead,
                        "model": model,
                        "n": 300 - lead,
                        "mae": round(12.5 + 3 * lead + (1.25, 8.0, 0.0)[k], 2),
                        "category_accuracy": 0.7 - 0.05 * lead,
                        "gt150_observed": 3,
                        "gt150_forecast": 2,
                        "gt150_hits": 1,
                        "gt150_hit_rate": 0.333,
                        "gt150_false_alarm_ratio": 0.5,
                        "gt200_observed": 0,
                        "gt200_forecast": 1,
                        "gt200_hits": 0,
                        "gt200_hit_rate": None,
                        "gt200_false_alarm_ratio": 1.0,
                    }
                )
    return rows


class FakeBacktest:
    """Stands in for ``city_backtest``: waits until released, counts its calls."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.calls: list[tuple[str, int]] = []

    def __call__(self, store, city: str, year: int, **_: object) -> dict[str, object]:
        self.calls.append((city, year))
        assert self.release.wait(30)
        return {
            "city": city,
            "year": year,
            "first_issue": dt.date(year, 1, 29),
            "last_issue": dt.date(year, 12, 31),
            "retrain_days": 7,
            "cities": ["长沙"] * 14,
            "standard": "HJ633-2012",
            "climatology": "trailing 30-day mean",
            "rows": backtest_rows(city),
        }


@pytest.fixture(scope="module")
def fake_backtest() -> Iterator[FakeBacktest]:
    fake = FakeBacktest()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(forecast_views, "city_backtest", fake)
        yield fake
    fake.release.set()


@pytest.fixture(scope="module")
def client(web_home, fake_backtest) -> Iterator[TestClient]:
    """The app over the demo home (forecasts stored there), without the start-up warm-up."""
    with TestClient(create_app(web_home / "measurements", warm_up=False)) as test_client:
        yield test_client
