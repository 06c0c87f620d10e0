"""Uncertainty of the inventory by Monte Carlo over the factors' ranges: P5–P95 per category.

Each factor with a range (low ≤ value ≤ high; the district's, :mod:`lantian.inventory.overrides`
— the shipped defaults carry none, since their sources publish no range) is drawn from the
triangular distribution (low, value, high), independently of the others, ``samples`` times from
a NumPy generator seeded with ``seed`` (the same seed gives the same result). Every row of the
inventory is affine in its factor (``factor_tonnes`` is the part proportional to it), so a draw
moves a row by ``factor_tonnes × (EF′/EF − 1)``; the sums per category and pollutant are one
matrix product (categories × factors) @ (factors × samples), built with ``np.add.at``.

What this does not cover, and says so in its output: factors without a range (their rows count
at their central value: ``tonnes_without_range``), activity data, and CEMS measurements.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from lantian.inventory.overrides import FactorInForce

DEFAULT_SAMPLES = 2000
DEFAULT_SEED = 16


def factor_draws(
    in_force: dict[str, FactorInForce], samples: int, seed: int
) -> tuple[list[str], np.ndarray]:
    """The ranged factors' ids and their draws as ratios to the central value (factors × samples)."""
    ranged = sorted(
        f.factor_id
        for f in in_force.values()
        if f.low is not None and f.high is not None and f.value > 0 and f.high > f.low
    )
    rng = np.random.default_rng(seed)
    ratios = np.ones((len(ranged), samples))
    for row, factor_id in enumerate(ranged):  # one vectorised draw per ranged factor
        f = in_force[factor_id]
        ratios[row] = rng.triangular(f.low, f.value, f.high, samples) / f.value
    return ranged, ratios


def monte_carlo(
    emissions: pa.Table,
    in_force: dict[str, FactorInForce],
    samples: int = DEFAULT_SAMPLES,
    seed: int = DEFAULT_SEED,
) -> pa.Table:
    """P5, P50 and P95 of the emissions per category and pollutant [t].

    Columns: ``category, pollutant, tonnes`` (central), ``p5, p50, p95``, ``tonnes_without_range``
    (the part of ``tonnes`` no ranged factor moves), ``samples``, ``seed``.
    """
    if samples < 1:
        raise ValueError("samples: at least 1")
    category = np.array(emissions.column("category").to_pylist(), dtype=object)
    pollutant = np.array(emissions.column("pollutant").to_pylist(), dtype=object)
    categories, category_code = np.unique(category.astype(str), return_inverse=True)
    pollutants, pollutant_code = np.unique(pollutant.astype(str), return_inverse=True)
    groups, group = np.unique(category_code * pollutants.size + pollutant_code, return_inverse=True)
    tonnes = emissions.column("tonnes").to_numpy(zero_copy_only=False)
    central = np.bincount(group, weights=tonnes, minlength=groups.size)
    ranged, ratios = factor_draws(in_force, samples, seed)
    factor_ids = np.array(emissions.column("factor_id").to_pylist(), dtype=object)
    index = {factor_id: i for i, factor_id in enumerate(ranged)}
    factor = np.array([index.get(f, -1) for f in factor_ids], dtype=np.int64)
    moving = emissions.column("factor_tonnes").to_numpy(zero_copy_only=False)
    has = factor >= 0
    weights = np.zeros((groups.size, len(ranged)))
    np.add.at(weights, (group[has], factor[has]), moving[has])
    draws = central[:, None] + weights @ (ratios - 1.0)
    p5, p50, p95 = np.percentile(draws, [5, 50, 95], axis=1)
    fixed = central - np.bincount(group[has], weights=moving[has], minlength=groups.size)
    return pa.table(
        {
            "category": categories[groups // pollutants.size],
            "pollutant": pollutants[groups % pollutants.size],
            "tonnes": central,
            "p5": p5,
            "p50": p50,
            "p95": p95,
            "tonnes_without_range": fixed,
            "samples": pa.array([samples] * groups.size, pa.int32()),
            "seed": pa.array([seed] * groups.size, pa.int64()),
        }
    )
