"""IAQI at, just above and just below every breakpoint of HJ 633-2012 Table 1 and HJ 633-2026 Table 3.

The published tables are written out below, cell by cell (source: standards.md §2.1 and §2.6; every
digit re-checked against the official PDFs in docs/primary-text-readings.md §2.3 and §3.3). They are
**not** read from the package's ``tables/iaqi_breakpoints.csv``; one test checks that CSV against them.

The oracle is HJ 633 Eq. 1 evaluated exactly with :class:`fractions.Fraction` and rounded up with
:func:`math.ceil` (HJ 633-2012 §6.2 "全部进位取整数"; HJ 633-2026 §4.2.6 "全部向上进位取整数").
Above the top of a column the package reports 500 (standards.md §10, CNEMC practice; HJ 633-2026
§4.1.1 "范围为 1～500"), except where a footnote rule applies:

* HJ 633-2012 Table 1 note 2: SO2 1 h > 800 → no 1-h IAQI; report the SO2 24-h IAQI.
* HJ 633-2012 Table 1 note 3: O3 8 h > 800 → no 8-h IAQI; report the O3 1-h IAQI.
* HJ 633-2026 Table 3 note b: SO2 1 h > 800 → IAQI 200.
* HJ 633-2026 Table 3 note c: O3 8 h > 800 → IAQI 300.
"""

from __future__ import annotations

import csv
import itertools
import math
from fractions import Fraction
from importlib import resources

import numpy as np
import pytest

from lantian.standards import aqi_report, iaqi, individual_indices

# --------------------------------------------------------------------------------------------------
# The published tables. ``None`` marks a cell the standard leaves empty and replaces with a footnote.
# Concentrations in µg/m³, CO in mg/m³. Column ids are the package's breakpoint-column names; the
# 2026 "日平均" columns are named ``_24h`` as in the package.
# --------------------------------------------------------------------------------------------------

#: HJ 633-2012 Table 1 (standards.md §2.1), in the published column order.
HJ633_2012_TABLE_1_COLUMNS = (
    "SO2_24h",
    "SO2_1h",
    "NO2_24h",
    "NO2_1h",
    "PM10_24h",
    "CO_24h",
    "CO_1h",
    "O3_1h",
    "O3_8h",
    "PM2.5_24h",
)
#: HJ 633-2012 Table 1 rows: (IAQI, concentration for each column of HJ633_2012_TABLE_1_COLUMNS).
HJ633_2012_TABLE_1 = (
    (0, (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
    (50, (50, 150, 40, 100, 50, 2, 5, 160, 100, 35)),
    (100, (150, 500, 80, 200, 150, 4, 10, 200, 160, 75)),
    (150, (475, 650, 180, 700, 250, 14, 35, 300, 215, 115)),
    (200, (800, 800, 280, 1200, 350, 24, 60, 400, 265, 150)),
    (300, (1600, None, 565, 2340, 420, 36, 90, 800, 800, 250)),  # SO2 1h: note (2)
    (400, (2100, None, 750, 3090, 500, 48, 120, 1000, None, 350)),  # O3 8h: note (3)
    (500, (2620, None, 940, 3840, 600, 60, 150, 1200, None, 500)),
)

#: HJ 633-2026 Table 3 (standards.md §2.6), in the published column order.
HJ633_2026_TABLE_3_COLUMNS = (
    "SO2_24h",
    "SO2_1h",
    "NO2_24h",
    "NO2_1h",
    "CO_24h",
    "CO_1h",
    "O3_8h",
    "O3_1h",
    "PM10_24h",
    "PM2.5_24h",
)
#: HJ 633-2026 Table 3 rows: (IAQI, concentration for each column of HJ633_2026_TABLE_3_COLUMNS).
HJ633_2026_TABLE_3 = (
    (0, (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
    (50, (50, 150, 40, 100, 2, 5, 100, 160, 50, 35)),
    (100, (150, 500, 80, 200, 4, 10, 160, 200, 120, 60)),
    (150, (475, 650, 180, 700, 14, 35, 215, 300, 250, 115)),
    (200, (800, 800, 280, 1200, 24, 60, 265, 400, 350, 150)),
    (300, (1600, None, 565, 2340, 36, 90, 800, 800, 420, 250)),  # SO2 1h: note b
    (400, (2100, None, 750, 3090, 48, 120, None, 1000, 500, 350)),  # O3 8h: note c
    (500, (2620, None, 940, 3840, 60, 150, None, 1200, 600, 500)),
)

TABLES = {
    "HJ633-2012": (HJ633_2012_TABLE_1_COLUMNS, HJ633_2012_TABLE_1),
    "HJ633-2026": (HJ633_2026_TABLE_3_COLUMNS, HJ633_2026_TABLE_3),
}
TABLE_NAMES = {"HJ633-2012": "HJ 633-2012 Table 1", "HJ633-2026": "HJ 633-2026 Table 3"}

#: Footnote rules for concentrations above 800 µg/m³ (see the module docstring).
#: 2012: the IAQI is taken from another indicator; 2026: a fixed IAQI.
OVERRIDE_ABOVE_800 = {
    ("HJ633-2012", "SO2_1h"): "SO2_24h",  # HJ 633-2012 Table 1 note 2
    ("HJ633-2012", "O3_8h"): "O3_1h",  # HJ 633-2012 Table 1 note 3
    ("HJ633-2026", "SO2_1h"): 200,  # HJ 633-2026 Table 3 note b
    ("HJ633-2026", "O3_8h"): 300,  # HJ 633-2026 Table 3 note c
}

#: IAQI reported above the top of a column (standards.md §10; HJ 633-2026 §4.1.1 range 1～500).
IAQI_TOP = 500


def column(standard: str, name: str) -> list[tuple[int, Fraction]]:
    """(IAQI, concentration) pairs of one column of the hardcoded table, empty cells left out."""
    columns, table = TABLES[standard]
    j = columns.index(name)
    return [(level, Fraction(row[j])) for level, row in table if row[j] is not None]


def unit_step(name: str) -> Fraction:
    """One reporting unit: 1 µg/m³, or 0.1 mg/m³ for CO (HJ 633-2026 §4.2.2)."""
    return Fraction(1, 10) if name.startswith("CO_") else Fraction(1)


def oracle(c: Fraction, standard: str, name: str) -> int | None:
    """HJ 633 Eq. 1 in exact arithmetic, rounded up; ``None`` above the top of the column.

    IAQI_P = (IAQI_Hi − IAQI_Lo)/(BP_Hi − BP_Lo) × (C_P − BP_Lo) + IAQI_Lo, on the segment with
    BP_Lo ≤ C_P ≤ BP_Hi (at a breakpoint both adjacent segments give the same value).
    """
    points = column(standard, name)
    for (i_lo, bp_lo), (i_hi, bp_hi) in itertools.pairwise(points):
        if bp_lo <= c <= bp_hi:
            return math.ceil(Fraction(i_hi - i_lo) * (c - bp_lo) / (bp_hi - bp_lo) + i_lo)
    return None


def expected_iaqi_alone(c: Fraction, standard: str, name: str) -> float:
    """What ``iaqi()`` alone must return: the oracle, 500 above the top, footnote rules above 800.

    Under 2012 the footnote says "do not compute" (the substitute comes from another indicator), so
    ``iaqi()`` on its own gives NaN; :func:`individual_indices` fills it in (tested below).
    """
    override = OVERRIDE_ABOVE_800.get((standard, name))
    if override is not None and c > 800:
        return float(override) if isinstance(override, int) else math.nan
    value = oracle(c, standard, name)
    return float(IAQI_TOP if value is None else value)


def boundary_cases():
    """Every breakpoint of every column of both tables: at it, one unit above, one unit below."""
    for standard, (columns, _) in TABLES.items():
        for name in columns:
            step = unit_step(name)
            for level, bp in column(standard, name):
                for offset, label in ((0, "at"), (1, "above"), (-1, "below")):
                    c = bp + offset * step
                    if c < 0:
                        continue
                    yield pytest.param(
                        standard,
                        name,
                        c,
                        id=f"{TABLE_NAMES[standard]}-{name}-IAQI{level}@{float(bp):g}-{label}({float(c):g})",
                    )


@pytest.mark.parametrize(("standard", "name", "c"), list(boundary_cases()))
def test_iaqi_at_and_around_every_breakpoint(standard: str, name: str, c: Fraction) -> None:
    """HJ 633 Eq. 1 with ceiling, at each breakpoint of the published table and ±1 reporting unit."""
    got = iaqi(float(c), name, standard)
    expected = expected_iaqi_alone(c, standard, name)
    if math.isnan(expected):
        assert np.isnan(got)
    else:
        assert float(got) == expected


def test_oracle_sanity() -> None:
    """The oracle itself on standards.md §8.1 rows: PM2.5 36 → 52 (2012), 75 → 114 (2026)."""
    assert oracle(Fraction(36), "HJ633-2012", "PM2.5_24h") == 52
    assert oracle(Fraction(75), "HJ633-2026", "PM2.5_24h") == 114
    assert oracle(Fraction(22, 10), "HJ633-2012", "CO_24h") == 55
    assert oracle(Fraction(501), "HJ633-2012", "PM2.5_24h") is None


@pytest.mark.parametrize(("standard", "name"), [(s, n) for s in TABLES for n in TABLES[s][0]])
def test_every_breakpoint_vectorised(standard: str, name: str) -> None:
    """The same boundary values as one array: the whole-column path gives the same answers."""
    step = unit_step(name)
    values = sorted(
        {
            bp + k * step
            for _, bp in column(standard, name)
            for k in (-1, 0, 1)
            if bp + k * step >= 0
        }
    )
    got = iaqi(np.asarray([float(v) for v in values]), name, standard)
    expected = np.asarray([expected_iaqi_alone(v, standard, name) for v in values])
    np.testing.assert_array_equal(got, expected)


# --------------------------------------------------------------------------------------------------
# Above the top of a column.
# --------------------------------------------------------------------------------------------------

COLUMNS_WITHOUT_OVERRIDE = [
    (s, n) for s in TABLES for n in TABLES[s][0] if (s, n) not in OVERRIDE_ABOVE_800
]


@pytest.mark.parametrize(("standard", "name"), COLUMNS_WITHOUT_OVERRIDE)
def test_top_of_column_and_above_is_500(standard: str, name: str) -> None:
    """Top breakpoint → 500; one unit above, twice the top and far above → 500 (standards.md §10)."""
    top = column(standard, name)[-1][1]
    step = unit_step(name)
    values = [top, top + step, 2 * top, top * 1000]
    got = iaqi(np.asarray([float(v) for v in values]), name, standard)
    np.testing.assert_array_equal(got, np.full(len(values), 500.0))


# --------------------------------------------------------------------------------------------------
# SO2 1 h > 800 and O3 8 h > 800.
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("standard", "name", "expected_at_800"),
    [
        pytest.param("HJ633-2012", "SO2_1h", 200, id="HJ 633-2012 Table 1 SO2 1h 800 → 200"),
        pytest.param("HJ633-2026", "SO2_1h", 200, id="HJ 633-2026 Table 3 SO2 1h 800 → 200"),
        pytest.param("HJ633-2012", "O3_8h", 300, id="HJ 633-2012 Table 1 O3 8h 800 → 300"),
        pytest.param("HJ633-2026", "O3_8h", 300, id="HJ 633-2026 Table 3 O3 8h 800 → 300"),
    ],
)
def test_exactly_800_is_computed_normally(standard: str, name: str, expected_at_800: int) -> None:
    """800 itself is in the table; only values *above* 800 (高于800) take the footnote rule.

    800.4 and 800.5 round (GB/T 8170, half to even) to 800 and are computed normally too.
    """
    got = iaqi([800, 800.4, 800.5], name, standard)
    np.testing.assert_array_equal(got, [expected_at_800] * 3)


@pytest.mark.parametrize("c", [800.6, 801, 900, 2620, 10_000])
def test_so2_1h_above_800_2012_iaqi_is_nan(c: float) -> None:
    """HJ 633-2012 Table 1 note 2: "不再进行其空气质量分指数计算" — ``iaqi`` gives NaN."""
    assert np.isnan(iaqi(c, "SO2_1h", "HJ633-2012"))


@pytest.mark.parametrize("c", [800.6, 801, 900, 2620, 10_000])
def test_so2_1h_above_800_2026_is_200(c: float) -> None:
    """HJ 633-2026 Table 3 note b: SO2 1 h > 800 µg/m³ → IAQI 200."""
    assert float(iaqi(c, "SO2_1h", "HJ633-2026")) == 200


@pytest.mark.parametrize("c", [800.6, 801, 1000, 1200, 10_000])
def test_o3_8h_above_800_2012_iaqi_is_nan(c: float) -> None:
    """HJ 633-2012 Table 1 note 3: the O3 8-h IAQI is not computed above 800 — ``iaqi`` gives NaN."""
    assert np.isnan(iaqi(c, "O3_8h", "HJ633-2012"))


@pytest.mark.parametrize("c", [800.6, 801, 1000, 1200, 10_000])
def test_o3_8h_above_800_2026_is_300(c: float) -> None:
    """HJ 633-2026 Table 3 note c: O3 8 h > 800 µg/m³ → IAQI 300."""
    assert float(iaqi(c, "O3_8h", "HJ633-2026")) == 300


@pytest.mark.parametrize(
    ("so2_1h", "so2_24h", "expected"),
    [
        # 24h 200 µg/m³: 100 + 50·(200 − 150)/(475 − 150) = 107.69… → 108 (HJ 633-2012 Table 1).
        pytest.param(801, 200, 108, id="801 → SO2_24h 200 → 108"),
        # 24h 2620 (top of SO2 24h) → 500.
        pytest.param(3000, 2620, 500, id="3000 → SO2_24h 2620 → 500"),
        # 24h 40: 50·40/50 = 40.
        pytest.param(900, 40, 40, id="900 → SO2_24h 40 → 40"),
        # At 800 itself the 1-h column is used: 200, not the 24-h IAQI.
        pytest.param(800, 40, 200, id="800 → SO2_1h itself → 200"),
    ],
)
def test_so2_1h_above_800_2012_takes_24h_iaqi(so2_1h: float, so2_24h: float, expected: int) -> None:
    """HJ 633-2012 Table 1 note 2 via ``individual_indices`` and ``aqi_report`` (hourly report).

    "二氧化硫（SO2）空气质量分指数按24小时平均浓度计算的分指数报告".
    """
    inputs = {"SO2_1h": so2_1h, "SO2_24h": so2_24h}
    indices = individual_indices(inputs, "hourly", "HJ633-2012")
    assert float(indices["SO2_1h"]) == expected
    report = aqi_report(inputs, "hourly", "HJ633-2012")
    assert float(report.iaqi["SO2"]) == expected
    assert float(report.aqi) == expected  # the only pollutant present (2012: max of those present)


def test_so2_1h_above_800_2012_without_24h_is_missing() -> None:
    """HJ 633-2012 Table 1 note 2 with no SO2 24-h value supplied: the SO2 IAQI is missing (NA)."""
    indices = individual_indices({"SO2_1h": 900, "NO2_1h": 100}, "hourly", "HJ633-2012")
    assert np.isnan(indices["SO2_1h"])
    assert float(indices["NO2_1h"]) == 50


@pytest.mark.parametrize(
    ("o3_8h", "o3_1h", "expected"),
    [
        # O3 1h 1000 → 400 (HJ 633-2012 Table 1, O3 1h column).
        pytest.param(801, 1000, 400, id="801 → O3_1h 1000 → 400"),
        # O3 1h 900: 300 + 100·(900 − 800)/(1000 − 800) = 350.
        pytest.param(850, 900, 350, id="850 → O3_1h 900 → 350"),
        # O3 1h 1300 (above top 1200) → 500.
        pytest.param(1000, 1300, 500, id="1000 → O3_1h 1300 → 500"),
    ],
)
def test_o3_8h_above_800_2012_takes_1h_iaqi(o3_8h: float, o3_1h: float, expected: int) -> None:
    """HJ 633-2012 Table 1 note 3 via ``individual_indices`` and ``aqi_report`` (daily report).

    "臭氧（O3）空气质量分指数按1小时平均浓度计算的分指数报告".
    """
    inputs = {"O3_8h": o3_8h, "O3_1h": o3_1h}
    indices = individual_indices(inputs, "daily", "HJ633-2012")
    assert float(indices["O3_8h"]) == expected
    assert float(indices["O3_1h"]) == expected
    report = aqi_report(inputs, "daily", "HJ633-2012")
    assert float(report.iaqi["O3"]) == expected
    assert float(report.aqi) == expected


def test_o3_8h_above_800_2026_daily_is_300() -> None:
    """HJ 633-2026 Table 3 note c through ``individual_indices`` (daily report)."""
    indices = individual_indices({"O3_8h": 900}, "daily", "HJ633-2026")
    assert float(indices["O3_8h"]) == 300


def test_so2_1h_above_800_2026_hourly_is_200() -> None:
    """HJ 633-2026 Table 3 note b through ``individual_indices`` (hourly report)."""
    indices = individual_indices({"SO2_1h": 900}, "hourly", "HJ633-2026")
    assert float(indices["SO2_1h"]) == 200


# --------------------------------------------------------------------------------------------------
# The package's CSV equals the published tables.
# --------------------------------------------------------------------------------------------------


def test_package_breakpoint_csv_equals_published_tables() -> None:
    """``tables/iaqi_breakpoints.csv`` holds exactly HJ 633-2012 Table 1 and HJ 633-2026 Table 3.

    Same columns, same breakpoints in ascending order, same units (CO mg/m³, others µg/m³).
    """
    path = resources.files("lantian.standards").joinpath("tables", "iaqi_breakpoints.csv")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    got: dict[tuple[str, str], list[tuple[int, Fraction]]] = {}
    for row in rows:
        assert row["pollutant"] == row["breakpoints"].rsplit("_", 1)[0]
        assert row["unit"] == ("mg/m³" if row["pollutant"] == "CO" else "µg/m³")
        key = (row["standard"], row["breakpoints"])
        got.setdefault(key, []).append((int(row["iaqi"]), Fraction(row["concentration"])))
    expected = {(s, n): column(s, n) for s in TABLES for n in TABLES[s][0]}
    assert got == expected
