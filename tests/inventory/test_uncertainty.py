"""The Monte Carlo over factor ranges: reproducible with a seed, P5–P95 of the triangular
distribution where every row is linear in one ranged factor, and no spread without ranges."""

from __future__ import annotations

import math

import pyarrow as pa
import pytest

from lantian.inventory.build import EMISSIONS_SCHEMA
from lantian.inventory.overrides import FactorInForce
from lantian.inventory.uncertainty import monte_carlo


def factor(factor_id: str, value: float, low: float | None, high: float | None) -> FactorInForce:
    return FactorInForce(factor_id, "m", "p", "PM10", "t", value, low, high, "g", "test", False)


def rows(factor_ids: list[str | None], tonnes: list[float]) -> pa.Table:
    n = len(tonnes)
    return pa.table(
        {
            **{name: [None] * n for name in EMISSIONS_SCHEMA.names},
            "year": [2019] * n,
            "example": [False] * n,
            "category": ["扬尘源"] * n,
            "pollutant": ["PM10"] * n,
            "tonnes": tonnes,
            "factor_id": factor_ids,
            "factor_tonnes": [t if f else 0.0 for f, t in zip(factor_ids, tonnes, strict=True)],
        },
        schema=EMISSIONS_SCHEMA,
    )


def triangular_quantile(p: float, a: float, c: float, b: float) -> float:
    """The inverse CDF of the triangular distribution (a ≤ c ≤ b)."""
    if p < (c - a) / (b - a):
        return a + math.sqrt(p * (b - a) * (c - a))
    return b - math.sqrt((1 - p) * (b - a) * (b - c))


def test_same_seed_same_result_other_seed_other_result():
    in_force = {"k": factor("k", 0.62, 0.4, 0.9)}
    table = rows(["k", "k"], [10.0, 5.0])
    first = monte_carlo(table, in_force, samples=500, seed=7)
    assert first.equals(monte_carlo(table, in_force, samples=500, seed=7))
    assert not first.equals(monte_carlo(table, in_force, samples=500, seed=8))


def test_p5_p95_are_the_triangular_quantiles():
    """15 t linear in k ~ triangular(0.4, 0.62, 0.9): P5 = 15 × q(0.05)/0.62, P95 likewise.
    Tolerance 1 %: with 200 000 draws the sample quantiles' standard error is ≈ 0.2 %."""
    in_force = {"k": factor("k", 0.62, 0.4, 0.9)}
    result = monte_carlo(rows(["k", "k"], [10.0, 5.0]), in_force, samples=200_000).to_pylist()[0]
    assert result["tonnes"] == pytest.approx(15.0)
    assert result["p5"] == pytest.approx(
        15 * triangular_quantile(0.05, 0.4, 0.62, 0.9) / 0.62, rel=0.01
    )
    assert result["p95"] == pytest.approx(
        15 * triangular_quantile(0.95, 0.4, 0.62, 0.9) / 0.62, rel=0.01
    )
    assert result["tonnes_without_range"] == pytest.approx(0.0)


def test_rows_without_a_ranged_factor_do_not_move():
    in_force = {"k": factor("k", 0.62, None, None)}
    result = monte_carlo(rows(["k", None], [10.0, 5.0]), in_force, samples=100).to_pylist()[0]
    assert result["p5"] == result["p95"] == pytest.approx(15.0)
    assert result["tonnes_without_range"] == pytest.approx(15.0)


def test_a_partly_ranged_category_moves_only_by_its_ranged_part():
    in_force = {"k": factor("k", 1.0, 0.5, 1.5)}
    result = monte_carlo(rows(["k", None], [10.0, 90.0]), in_force, samples=20_000).to_pylist()[0]
    assert 90.0 + 5.0 < result["p5"] < 100.0 < result["p95"] < 90.0 + 15.0
    assert result["tonnes_without_range"] == pytest.approx(90.0)
