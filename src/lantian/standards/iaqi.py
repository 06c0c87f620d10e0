"""Individual air quality index (IAQI, 空气质量分指数) per HJ 633 (2012 Table 1, 2026 Table 3).

Equation 1 of HJ 633-2012 §4.2 (HJ 633-2026 §4.2.1)::

    IAQI_P = (IAQI_Hi − IAQI_Lo) / (BP_Hi − BP_Lo) × (C_P − BP_Lo) + IAQI_Lo

with contiguous segments, then rounded **up** to an integer (HJ 633-2012 §6.2 "全部进位取整数";
HJ 633-2026 §4.2.6 "全部向上进位取整数").

The arithmetic is exact: the concentration is first rounded per GB/T 8170 to its reporting precision
(HJ 633-2026 §4.2.2: integer µg/m³, CO 0.1 mg/m³; see ``tables/rounding.csv`` for the 2012 reading),
so it is an integer on that grid, and the IAQI of every grid point is computed once in integer
arithmetic (:func:`iaqi_lookup_table`) and looked up: whole columns cost one gather. Floating-point
evaluation of Eq. 1 gives 55.00000000000001 for CO 2.2 mg/m³ and a wrong ceiling of 56.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np
import numpy.typing as npt

from lantian.standards.rounding import round_gbt8170, round_scaled
from lantian.standards.tables import known, one, rows, rule_value

FloatArray = npt.NDArray[np.float64]


@cache
def breakpoints(breakpoint_column: str, standard: str) -> tuple[tuple[int, ...], tuple[float, ...]]:
    """(IAQI values, concentration breakpoints) of one column of the HJ 633 breakpoint table."""
    found = rows("iaqi_breakpoints", standard=standard, breakpoints=breakpoint_column)
    if not found:
        valid = sorted({r["breakpoints"] for r in rows("iaqi_breakpoints", standard=standard)})
        raise KeyError(
            f"no IAQI breakpoints {breakpoint_column!r} in {standard!r}; valid: {valid} "
            f"(standards: {known('iaqi_breakpoints', 'standard')})"
        )
    return tuple(int(r["iaqi"]) for r in found), tuple(float(r["concentration"]) for r in found)


def concentration_decimals(pollutant: str, standard: str) -> int:
    """Decimals a concentration keeps before it enters Eq. 1 (``tables/rounding.csv``)."""
    return int(one("rounding", standard=standard, pollutant=pollutant)["decimals"])


def round_concentration(values: npt.ArrayLike, pollutant: str, standard: str) -> FloatArray:
    """Round concentrations per GB/T 8170 to the precision HJ 633-2026 §4.2.2 prescribes.

    Integer µg/m³ for SO2, NO2, O3, PM10 and PM2.5; 0.1 mg/m³ for CO.
    """
    return round_gbt8170(values, concentration_decimals(pollutant, standard))


def _check_not_negative(values: FloatArray, breakpoint_column: str) -> None:
    with np.errstate(invalid="ignore"):
        negative = values < 0
    if np.any(negative):
        first = int(np.flatnonzero(negative.ravel())[0])
        raise ValueError(
            f"{breakpoint_column}: {int(negative.sum())} negative concentration(s), the first at "
            f"position {first} ({values.ravel()[first]}); flag them in quality control first"
        )


def _override(breakpoint_column: str, standard: str) -> dict[str, str] | None:
    found = rows("iaqi_overrides", standard=standard, breakpoints=breakpoint_column)
    return found[0] if found else None


def iaqi(concentration: npt.ArrayLike, breakpoint_column: str, standard: str) -> FloatArray:
    """IAQI of ``concentration`` on one breakpoint column, rounded up (HJ 633 Eq. 1 and §6.2).

    Parameters
    ----------
    concentration
        Concentrations [µg/m³; CO mg/m³], any shape; NaN = missing. Rounded per GB/T 8170 to the
        reporting precision before use.
    breakpoint_column
        A column of the breakpoint table: ``SO2_24h``, ``SO2_1h``, ``NO2_24h``, ``NO2_1h``,
        ``CO_24h``, ``CO_1h``, ``O3_1h``, ``O3_8h``, ``PM10_24h``, ``PM2.5_24h``.
    standard
        ``HJ633-2012`` or ``HJ633-2026``.

    Returns
    -------
    IAQI as float64 integers; NaN where the concentration is missing, and (2012) where the
    standard says not to compute it: SO2 1-h > 800 µg/m³ and O3 8-h > 800 µg/m³ take another
    indicator's IAQI (Table 1 notes 2–3), which :func:`individual_indices` supplies. Under 2026 those
    cases are fixed at 200 and 300 (Table 3 notes b–c). A concentration above the top of a column is
    reported as the top of the index range, 500.

    Raises
    ------
    ValueError
        For a negative concentration (quality control must flag it before the AQI is computed).
    """
    pollutant = breakpoint_column.rsplit("_", 1)[0]
    decimals = concentration_decimals(pollutant, standard)
    values = np.asarray(concentration, dtype=np.float64)
    _check_not_negative(values, breakpoint_column)
    scaled = round_scaled(values * 10.0**decimals)
    missing = np.isnan(scaled)
    table = iaqi_lookup_table(breakpoint_column, standard)
    position = np.where(missing, 0, np.minimum(scaled, len(table) - 1)).astype(np.intp)
    index = table[position]
    return np.where(missing, np.nan, index) if missing.any() else index


@cache
def iaqi_lookup_table(breakpoint_column: str, standard: str) -> FloatArray:
    """IAQI of every concentration on the reporting grid from 0 to just above the column's top.

    Entry *i* is the IAQI of concentration *i*·10^−d (d the reporting decimals) by Eq. 1 in exact
    integer arithmetic: IAQI_Lo + ⌈(IAQI_Hi − IAQI_Lo)(c − BP_Lo)/(BP_Hi − BP_Lo)⌉. The last entry
    stands for everything above the top of the column: 500 (the top of the index range, as CNEMC
    reports it), or the > 800 µg/m³ rule of ``tables/iaqi_overrides.csv`` (a fixed IAQI under
    2026; NaN under 2012, where another indicator's IAQI is used instead).
    """
    levels, points = breakpoints(breakpoint_column, standard)
    pollutant = breakpoint_column.rsplit("_", 1)[0]
    decimals = concentration_decimals(pollutant, standard)
    bp = np.asarray([round(p * 10**decimals) for p in points], dtype=np.int64)
    iq = np.asarray(levels, dtype=np.int64)
    grid = np.arange(bp[-1] + 2, dtype=np.int64)
    upper = np.clip(np.searchsorted(bp, grid, side="left"), 1, len(bp) - 1)
    lower = upper - 1
    numerator = (iq[upper] - iq[lower]) * (grid - bp[lower])
    table = (iq[lower] - (-numerator // (bp[upper] - bp[lower]))).astype(np.float64)
    table[-1] = rule_value(standard, "aqi_range_max")
    override = _override(breakpoint_column, standard)
    if override is not None:
        above = grid > round(float(override["above"]) * 10**decimals)
        table[above] = float(override["iaqi"]) if override["rule"] == "fixed" else np.nan
    table.setflags(write=False)
    return table


def report_inputs(report: str, standard: str) -> list[dict[str, str]]:
    """The indicators that feed the ``hourly`` (实时报) or ``daily`` (日报) AQI of ``standard``."""
    found = rows("aqi_report_inputs", standard=standard, report=report)
    if not found:
        raise KeyError(
            f"no AQI report {report!r} in {standard!r}; valid reports: "
            f"{known('aqi_report_inputs', 'report')}, standards: "
            f"{known('aqi_report_inputs', 'standard')}"
        )
    return found


def individual_indices(
    inputs: Mapping[str, npt.ArrayLike], report: str, standard: str
) -> dict[str, FloatArray]:
    """IAQI of every indicator of a report, with the > 800 µg/m³ rules of each version applied.

    Parameters
    ----------
    inputs
        Concentrations by indicator name of ``tables/aqi_report_inputs.csv``: for the hourly report
        ``SO2_1h NO2_1h CO_1h O3_1h PM10_1h PM2.5_1h``; for the daily report ``SO2_24h NO2_24h
        CO_24h O3_8h PM10_24h PM2.5_24h`` (the daily means and the MDA8) and, under HJ 633-2012,
        ``O3_1h`` (the daily maximum 1-hour value). An indicator left out counts as missing. Under
        HJ 633-2012 the hourly report may also be given ``SO2_24h``, used when SO2 1-h > 800.
    report
        ``hourly`` or ``daily``.
    standard
        ``HJ633-2012`` or ``HJ633-2026``.

    Returns
    -------
    IAQI by indicator name (NaN = missing).
    """
    specs = report_inputs(report, standard)
    unknown = set(inputs) - {s["input"] for s in specs} - _extra_inputs(standard)
    if unknown:
        raise KeyError(
            f"unknown {report} AQI input(s) {sorted(unknown)} for {standard}; valid: "
            f"{[s['input'] for s in specs]}"
        )
    shape = np.broadcast_shapes(*(np.shape(v) for v in inputs.values())) if inputs else ()
    result: dict[str, FloatArray] = {}
    for spec in specs:
        values = inputs.get(spec["input"])
        if values is None:
            result[spec["input"]] = np.full(shape, np.nan)
        else:
            result[spec["input"]] = np.broadcast_to(
                iaqi(values, spec["breakpoints"], standard), shape
            )
    for spec in specs:
        override = _override(spec["breakpoints"], standard)
        if override is None or override["rule"] != "use_input":
            continue
        source = override["use_input"]
        values = inputs.get(spec["input"])
        if values is None:
            continue
        # iaqi() left NaN exactly where a present concentration is above the override threshold.
        needs = np.isnan(result[spec["input"]]) & ~np.isnan(np.asarray(values, dtype=np.float64))
        substitute = result.get(source)
        if substitute is None and source in inputs:
            substitute = iaqi(inputs[source], source, standard)
        if substitute is None:
            substitute = np.full(shape, np.nan)
        result[spec["input"]] = np.where(needs, substitute, result[spec["input"]])
    return result


def _extra_inputs(standard: str) -> set[str]:
    """Inputs an override may consult although they are not themselves indicators of a report."""
    return {r["use_input"] for r in rows("iaqi_overrides", standard=standard) if r["use_input"]}
