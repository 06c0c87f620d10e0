"""The real Hunan 2019 history (January–April), built once from the shared ``hunan_store``."""

from __future__ import annotations

import datetime as dt

import pytest

from lantian.forecast.history import CityHistory, city_history


@pytest.fixture(scope="session")
def hunan_history(hunan_store) -> CityHistory:
    return city_history(hunan_store, dt.date(2019, 1, 1), dt.date(2019, 4, 30))
