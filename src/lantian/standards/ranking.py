"""The comprehensive index (环境空气质量综合指数) of the city ranking rule, 环办监测〔2018〕19号.

I_i = C_i / S_i per pollutant, I_sum = Σ w_i·I_i (all w_i = 1 in the 2018 rule), where C_i is the
period mean for SO2, NO2, PM10 and PM2.5, the P95 of daily means for CO and the P90 of MDA8 for O3,
and S_i the GB 3095-2012 Grade II limit of the matching averaging time (annual; CO daily; O3
8-hour). The largest I_i names the index's primary pollutant. Schemes are rows of
``tables/comprehensive_index.csv``; the weighted scheme attributed to HJ 663-2026 (PM2.5×3, NO2×2,
O3×2) is UNCONFIRMED and offered only by name.

Rounding (Lantian's reading of the rule, which cites GB/T 8170): C_i enters at its reported
precision (see :mod:`lantian.standards.evaluation`), I_i and I_sum are reported to two decimals
(GB/T 8170) and equal two-decimal indices rank equal (指数相同的城市以并列计).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lantian.standards.aqi import pollutant_names
from lantian.standards.limits import limit
from lantian.standards.pollutants import BASIC_POLLUTANTS
from lantian.standards.rounding import round_gbt8170
from lantian.standards.tables import known, rows

FloatArray = npt.NDArray[np.float64]
INDEX_DECIMALS = 2


@dataclass(frozen=True)
class ComprehensiveIndex:
    """The index of one or many cities (arrays of one shape)."""

    single: dict[str, FloatArray]
    """I_i by pollutant, unrounded."""
    total: FloatArray
    """I_sum rounded to two decimals."""
    total_exact: FloatArray
    """I_sum unrounded."""
    largest: npt.NDArray[np.object_]
    """The pollutant with the largest I_i (首要污染物 of the index); ties joined by ','."""


def scheme_items(scheme: str) -> list[dict[str, str]]:
    """The rows of one scheme; a clear error lists the schemes."""
    found = rows("comprehensive_index", scheme=scheme)
    if not found:
        raise KeyError(
            f"unknown comprehensive-index scheme {scheme!r}; valid: "
            f"{known('comprehensive_index', 'scheme')}"
        )
    return found


def index_statistics(scheme: str = "ranking-2018") -> dict[str, str]:
    """The statistic each pollutant enters the comprehensive index with, by pollutant id:
    ``annual_mean`` (SO2, NO2, PM10, PM2.5), ``p95_daily`` (CO), ``p90_mda8`` (O3)."""
    return {row["pollutant"]: row["metric"] for row in scheme_items(scheme)}


def comprehensive_index(
    statistics: Mapping[str, npt.ArrayLike], scheme: str = "ranking-2018"
) -> ComprehensiveIndex:
    """The comprehensive index from each pollutant's period statistic.

    Parameters
    ----------
    statistics
        C_i by pollutant id [µg/m³; CO mg/m³]: period means of SO2, NO2, PM10 and PM2.5, P95 of
        daily CO and P90 of MDA8 O3, at their reported precision.
    scheme
        ``ranking-2018`` (default, unweighted) or ``weighted-2026`` (UNCONFIRMED).

    Worked example (standards.md §8.3): SO2 10, NO2 30, PM10 60, PM2.5 35, CO 1.2, O3 150 →
    I_sum 4.0113 → 4.01, largest PM2.5.
    """
    single: dict[str, FloatArray] = {}
    total = None
    for item in scheme_items(scheme):
        pollutant = item["pollutant"]
        s = limit(
            pollutant,
            item["limit_averaging"],
            standard=item["limit_standard"],
            stage=item["limit_stage"],
        )
        single[pollutant] = np.asarray(statistics[pollutant], dtype=np.float64) / s
        weighted = float(item["weight"]) * single[pollutant]
        total = weighted if total is None else total + weighted
    assert total is not None
    stacked = np.stack([single[p] for p in BASIC_POLLUTANTS])
    bits = (1 << np.arange(len(BASIC_POLLUTANTS), dtype=np.int64)).reshape(
        (-1,) + (1,) * (stacked.ndim - 1)
    )
    largest_mask = ((stacked == stacked.max(axis=0)) * bits).sum(axis=0)
    return ComprehensiveIndex(
        single=single,
        total=round_gbt8170(total, INDEX_DECIMALS),
        total_exact=np.asarray(total),
        largest=pollutant_names(largest_mask),
    )


def competition_rank(values: npt.ArrayLike) -> npt.NDArray[np.int64]:
    """Ranks, smallest first, equal values sharing the best rank (1, 2, 2, 4 …) — 并列.

    The ranking rule ranks cities by ascending index (a smaller index is cleaner) and ranks equal
    indices equal. NaN ranks last.
    """
    x = np.asarray(values, dtype=np.float64)
    key = np.where(np.isnan(x), np.inf, x)
    order = np.sort(key)
    return (np.searchsorted(order, key, side="left") + 1).astype(np.int64)
