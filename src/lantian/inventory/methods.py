"""The emission inventory's calculation methods: pure whole-column NumPy functions.

Each function takes arrays (one element per source, road, site or hour) and returns an array of
emissions; none loops over rows in Python. Every formula names its source below; constants that a
source publishes (exponents, thresholds) are rows of ``data/method_rules.csv`` and factors are rows
of ``data/factors.csv`` (read through :mod:`lantian.inventory.factors`), never literals in a body.

Units are stated per parameter in brackets. Efficiencies and shares are fractions in [0, 1]
(85 % → 0.85); a value outside its range raises ``ValueError`` naming the parameter.

Methods, by the issue's list (#16 §1):

==================================  ============================================================
function                            formula and source
==================================  ============================================================
``emission_factor``                 E = A × EF × (1 − η) — the emission-factor method of the 2014
                                    MEP inventory guides and T/CSES 144-2024
``online_monitoring``               E = Σ C × Q × T × 10⁻⁶ over valid hours, a day counting only
                                    with ≥ 18 valid hourly means (HJ 75-2017 data validity)
``coal_so2``                        SO2 = 2 × B × S × (1 − sr) × (1 − η) — sulphur mass balance
``coal_particulate``                PM = B × A_ar × d_fh × (1 − η) — ash mass balance
``paved_road_dust``                 E = k × sL^0.91 × W^1.02 × (1 − P/4N) × (1 − η) × VKT — AP-42
                                    §13.2.1 (2011), Equations 1 and 2, k from Table 13.2.1-1
``construction_dust``               W = E_C × A × T × (1 − η) — 扬尘源颗粒物排放清单编制技术指南
                                    (试行) (MEP, 2014)
``construction_dust_coefficients``  W = (产生量系数 − Σ 达标措施的削减系数) × A × T — the
                                    provinces' environmental-tax table (附件3; MEP's sampling
                                    results of 环办〔2014〕80号 附件6)
``stockpile_dust``                  W_Y = E_h × ΣG_Y × 10⁻³ + E_w × A_Y × 10⁻³ — the same guide
``catering``                        E = N × T × EF × (1 − η) by 灶头 (cooking-head) count
``catering_scale``                  小型/中型/大型 by 基准灶头 and the purifier's least removal
                                    efficiency 60/75/85 % — GB 18483-2001 表1, 表2
``open_burning``                    E = M × f × EF — burned mass × burned fraction × factor
==================================  ============================================================
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from lantian.inventory.factors import (
    catering_scale_table,
    construction_coefficients,
    method_rule,
    paved_road_k,
)

Array = NDArray[np.float64]


def _array(name: str, values: ArrayLike) -> Array:
    """``values`` as a float array; a clear error names ``name`` if any is negative or not finite."""
    array = np.asarray(values, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: values must be finite numbers")
    if np.any(array < 0):
        raise ValueError(f"{name}: values must not be negative")
    return array


def _fraction(name: str, values: ArrayLike) -> Array:
    """``values`` as a fraction array in [0, 1]; a clear error names ``name`` otherwise."""
    array = _array(name, values)
    if np.any(array > 1):
        raise ValueError(f"{name}: a fraction in [0, 1] is expected (85 % → 0.85)")
    return array


def emission_factor(activity: ArrayLike, factor: ArrayLike, efficiency: ArrayLike = 0.0) -> Array:
    """Emissions by the emission-factor method, ``E = A × EF × (1 − η)``.

    The general method of the 2014 MEP inventory guides (大气细颗粒物一次源排放清单编制技术指南
    (试行) and its companions for VOCs, NH3, dust and biomass burning) and of T/CSES 144-2024.

    Parameters
    ----------
    activity
        A, the activity level [activity unit, e.g. t of coal, m² of site, 灶头·h].
    factor
        EF, the uncontrolled emission factor [mass per activity unit].
    efficiency
        η, the control (removal) efficiency of the abatement in place [fraction].

    Returns
    -------
    The emissions [mass unit of ``factor``].
    """
    return (
        _array("activity", activity)
        * _array("factor", factor)
        * (1.0 - _fraction("efficiency", efficiency))
    )


def daily_valid_hours_min() -> int:
    """The least number of valid hourly means for a day's CEMS emission to count [h].

    From ``data/method_rules.csv``: 18 h, the daily-mean validity rule of HJ 75-2017
    (固定污染源烟气排放连续监测技术规范, data validity) as cited by issue #16 and by a
    third-party compliance rule set; the clause number was not confirmed against the text.
    """
    return int(method_rule("online_monitoring", "daily_valid_hours_min"))


def online_monitoring(
    day: ArrayLike,
    concentration: ArrayLike,
    flow: ArrayLike,
    valid: ArrayLike,
    hours: ArrayLike = 1.0,
) -> tuple[Array, NDArray[np.int64], NDArray[np.bool_]]:
    """Daily emissions from CEMS hourly means, ``E = Σ C × Q × T × 10⁻⁶`` per day.

    The monitoring method (实测法) of the MEP inventory guides and of the permit rules: the hourly
    mass is concentration × flow × duration; a day's emission is the sum over its valid hours, and
    the day counts only when it has at least :func:`daily_valid_hours_min` (18) valid hourly
    means (HJ 75-2017 data validity; see ``data/method_rules.csv``). A day with fewer valid hours
    gets NaN: its emission must come from another method (substitution is not done here).

    Parameters
    ----------
    day
        The day index of each hourly row, an integer ≥ 0 (e.g. days since the year's start).
    concentration
        C, the hourly mean concentration at standard conditions, dry basis [mg/m³].
    flow
        Q, the hourly mean flue-gas flow at standard conditions, dry basis [m³/h].
    valid
        Whether the hourly mean is valid (HJ 75's flags: not a calibration, fault or outage hour).
    hours
        T, the duration each row stands for [h]; 1 for hourly means.

    Returns
    -------
    ``(emission, valid_hours, counted)`` per day index 0 … max(day): the emission [kg] (NaN where
    the day does not count), the number of valid hours, and whether the day counts.
    """
    days = np.asarray(day)
    if days.size and (not np.issubdtype(days.dtype, np.integer) or days.min() < 0):
        raise ValueError("day: non-negative integer day indices are expected")
    days = days.astype(np.int64)
    ok = np.asarray(valid, dtype=bool)
    scale = method_rule("online_monitoring", "concentration_flow_scale")
    mass = _array("concentration", concentration) * _array("flow", flow) * _array("hours", hours)
    mass = np.where(ok, mass * scale, 0.0)
    length = int(days.max()) + 1 if days.size else 0
    total = np.bincount(days, weights=mass, minlength=length)
    counts = np.bincount(days, weights=ok.astype(np.int64), minlength=length).astype(np.int64)
    counted = counts >= daily_valid_hours_min()
    return np.where(counted, total, np.nan), counts, counted


def coal_so2(
    coal: ArrayLike, sulphur: ArrayLike, retention: ArrayLike, efficiency: ArrayLike = 0.0
) -> Array:
    """SO2 from coal by sulphur mass balance, ``SO2 = 2 × B × S × (1 − sr) × (1 − η)``.

    The mass-balance form named in issue #16 (``SO2 = 2·S·(1 − sr)`` per tonne of coal). The factor
    2 is the molar-mass ratio SO2/S (64.06/32.06 = 1.998, rounded to 2 as the guides do; kept in
    ``data/method_rules.csv``).

    Parameters
    ----------
    coal
        B, the coal burned [t].
    sulphur
        S, the sulphur content of the coal as received [fraction, 0.8 % → 0.008].
    retention
        sr, the share of the sulphur retained in ash and slag [fraction].
    efficiency
        η, the desulphurisation efficiency [fraction].

    Returns
    -------
    SO2 emitted [t].
    """
    ratio = method_rule("coal_mass_balance", "so2_per_sulphur")
    return (
        ratio
        * _array("coal", coal)
        * _fraction("sulphur", sulphur)
        * (1.0 - _fraction("retention", retention))
        * (1.0 - _fraction("efficiency", efficiency))
    )


def coal_particulate(
    coal: ArrayLike, ash: ArrayLike, fly_ash_share: ArrayLike, efficiency: ArrayLike
) -> Array:
    """Particulate matter from coal by ash mass balance, ``PM = B × A_ar × d_fh × (1 − η)``.

    The ash that leaves with the flue gas (the fly-ash share d_fh of the coal's ash) minus what the
    dust collector removes; issue #16's "PM from ash content and the share to fly ash".

    Parameters
    ----------
    coal
        B, the coal burned [t].
    ash
        A_ar, the ash content of the coal as received [fraction].
    fly_ash_share
        d_fh, the share of the ash leaving the furnace as fly ash [fraction].
    efficiency
        η, the dust collector's efficiency [fraction].

    Returns
    -------
    Particulate matter emitted [t] (total; the PM10/PM2.5 split is a size fraction applied after).
    """
    return (
        _array("coal", coal)
        * _fraction("ash", ash)
        * _fraction("fly_ash_share", fly_ash_share)
        * (1.0 - _fraction("efficiency", efficiency))
    )


def paved_road_dust(
    silt_loading: ArrayLike,
    weight: ArrayLike,
    vehicle_km: ArrayLike,
    pollutant: str = "PM10",
    wet_days: ArrayLike = 0.0,
    days: ArrayLike = 1.0,
    efficiency: ArrayLike = 0.0,
    k: float | None = None,
) -> Array:
    """Paved-road dust, AP-42 §13.2.1 (January 2011), Equations 1 and 2.

    ``E = k × (sL)^0.91 × (W)^1.02 × (1 − P/4N)`` per vehicle-kilometre travelled, times the
    vehicle-kilometres and ``(1 − η)`` for controls (sweeping, washing). k is the particle-size
    multiplier of AP-42 Table 13.2.1-1 [g/VKT] (``data/factors.csv``); the exponents and the
    divisor 4 are in ``data/method_rules.csv``. P counts the days with at least 0.254 mm of
    precipitation in the N days of the period (AP-42's daily form of the rain correction).

    Parameters
    ----------
    silt_loading
        sL, the road surface silt loading [g/m²].
    weight
        W, the average weight of all vehicles travelling the road [ton, AP-42's short ton =
        0.9072 t; China's guides write the same formula with t].
    vehicle_km
        VKT, the vehicle-kilometres travelled in the period [km].
    pollutant
        The size class of k: ``PM2.5``, ``PM10``, ``PM15`` or ``PM30`` (AP-42's TSP proxy).
    wet_days
        P, the number of wet days in the period [d].
    days
        N, the number of days in the period [d]; P ≤ N.
    efficiency
        η, the control efficiency [fraction].
    k
        The particle-size multiplier [g/VKT] when the district overrides Table 13.2.1-1's
        (``lantian.inventory.overrides``); default the table's value for ``pollutant``.

    Returns
    -------
    The emission [g].
    """
    wet = _array("wet_days", wet_days)
    period = _array("days", days)
    if np.any(period <= 0) or np.any(wet > period):
        raise ValueError("wet_days, days: 0 ≤ P ≤ N and N > 0 are required")
    silt_exponent = method_rule("paved_road_dust", "silt_loading_exponent")
    weight_exponent = method_rule("paved_road_dust", "weight_exponent")
    divisor = method_rule("paved_road_dust", "wet_day_divisor")
    factor = (
        (paved_road_k(pollutant) if k is None else float(_array("k", k)))
        * _array("silt_loading", silt_loading) ** silt_exponent
        * _array("weight", weight) ** weight_exponent
        * (1.0 - wet / (divisor * period))
    )
    return emission_factor(vehicle_km, factor, efficiency)


def construction_dust(
    area: ArrayLike, months: ArrayLike, factor: ArrayLike, efficiency: ArrayLike = 0.0
) -> Array:
    """Construction dust, ``W_C = E_C × A_C × T × (1 − η)``.

    The construction-site formula of 扬尘源颗粒物排放清单编制技术指南(试行) (MEP, 2014), as
    issue #16 states it; η for the controls in place (the guide's per-measure reduction).

    Parameters
    ----------
    area
        A_C, the site's construction area [m²].
    months
        T, the months of construction in the period [month].
    factor
        E_C, the emission factor [t/(m²·month)]; no default is shipped (see ``docs/inventory.md``).
    efficiency
        η, the control efficiency of the site's measures [fraction].

    Returns
    -------
    The emission [t].
    """
    return emission_factor(_array("area", area) * _array("months", months), factor, efficiency)


def construction_dust_coefficients(
    source_type: str,
    area: ArrayLike,
    months: ArrayLike,
    measures: dict[str, ArrayLike],
    coefficients: tuple[float, dict[str, float]] | None = None,
) -> Array:
    """Construction dust by 产生/削减系数, ``W = (E_产生 − Σ E_削减) × A × T``.

    The method many provinces use for the environmental tax on construction dust (施工扬尘产生、
    削减系数表, their 附件3, stated there to be MEP's sampling results of 环办〔2014〕80号
    附件6): the site type's generation coefficient less the reduction coefficient of every control
    measure that meets its standard (措施达标; a measure not up to standard reduces nothing),
    times the area and the months. Building sites count their building floor area, municipal
    (and demolition) sites their construction area (red-line width × length).

    Parameters
    ----------
    source_type
        ``建筑施工`` or ``市政(拆迁)施工``.
    area
        A, the building floor area or construction area [m²].
    months
        T, the months of construction in the period [month].
    measures
        For each control measure of the table (道路硬化措施, 边界围挡, …), whether it met its
        standard at each site [bool array]; a measure left out counts as not met. Mechanical and
        simple vehicle washing (运输车辆机械/简易冲洗装置) are alternatives: claiming both at one
        site is refused.
    coefficients
        ``(generation, {measure: reduction})`` when the district overrides the table's
        (``lantian.inventory.overrides``); default the table's for ``source_type``.

    Returns
    -------
    The emission of dust (TSP) [kg].
    """
    generation, reductions = coefficients or construction_coefficients(source_type)
    unknown = set(measures) - set(reductions)
    if unknown:
        raise KeyError(
            f"measures {sorted(unknown)} have no reduction coefficient for {source_type}; "
            f"known: {list(reductions)}"
        )
    base = _array("area", area) * _array("months", months)
    met = {
        name: np.broadcast_to(np.asarray(flags, dtype=bool), base.shape)
        for name, flags in measures.items()
    }
    washing = ("运输车辆机械冲洗装置", "运输车辆简易冲洗装置")
    if all(name in met for name in washing) and np.any(met[washing[0]] & met[washing[1]]):
        raise ValueError("measures: a site has either mechanical or simple vehicle washing")
    reduction = sum(
        (np.where(flags, reductions[name], 0.0) for name, flags in met.items()),
        start=np.zeros(base.shape),
    )
    return (generation - reduction) * base


def stockpile_dust(
    handled: ArrayLike, handling_factor: ArrayLike, surface: ArrayLike, erosion_factor: ArrayLike
) -> Array:
    """Stockpile dust, ``W_Y = E_h × G_Y × 10⁻³ + E_w × A_Y × 10⁻³``.

    The yard formula of 扬尘源颗粒物排放清单编制技术指南(试行) (MEP, 2014): loading and unloading
    plus wind erosion of the pile's surface. ``handled`` is the mass summed over the period's
    handlings (Σ G_Yi), so a whole column holds one row per yard.

    Parameters
    ----------
    handled
        Σ G_Yi, the material handled over all loadings and unloadings [t].
    handling_factor
        E_h, the handling emission factor [kg/t].
    surface
        A_Y, the pile's surface area [m²].
    erosion_factor
        E_w, the wind-erosion emission factor [kg/m² over the period].

    Returns
    -------
    The emission [t].
    """
    return (
        _array("handled", handled) * _array("handling_factor", handling_factor)
        + _array("surface", surface) * _array("erosion_factor", erosion_factor)
    ) * 1e-3


def catering(
    stoves: ArrayLike, hours: ArrayLike, factor: ArrayLike, efficiency: ArrayLike
) -> Array:
    """Catering fumes by 灶头 count, ``E = N × T × EF × (1 − η)``.

    The emission-factor method with the cooking head (灶头, GB 18483-2001's unit of size) as the
    activity: heads × operating hours, times the fume generated per head-hour, less what the
    purifier (油烟净化器) removes.

    Parameters
    ----------
    stoves
        N, the number of cooking heads (灶头) [1].
    hours
        T, the operating hours of each head in the period [h].
    factor
        EF, the fume (or PM, VOCs) generated per head-hour [g/h]; no default is shipped.
    efficiency
        η, the purifier's removal efficiency [fraction].

    Returns
    -------
    The emission [g].
    """
    return emission_factor(_array("stoves", stoves) * _array("hours", hours), factor, efficiency)


def catering_scale(stoves: ArrayLike) -> tuple[NDArray[np.str_], Array]:
    """The size of catering premises and its purifier's least removal efficiency, GB 18483-2001.

    表1 sizes premises by their count of 基准灶头 (reference cooking heads): 小型 ≥ 1 and < 3,
    中型 ≥ 3 and < 6, 大型 ≥ 6; 表2 requires a purifier (油烟净化设施) removing at least 60 %,
    75 % and 85 % respectively (``data/catering_scale.csv``). The least efficiency is what a
    compliant purifier is assumed to reach when nothing better is known (a lower bound, so the
    emission it gives is an upper bound).

    Parameters
    ----------
    stoves
        The count of 基准灶头 of each premises [1]; at least 1 (the standard's smallest size).

    Returns
    -------
    ``(scale, efficiency)``: 小型/中型/大型 and the least removal efficiency [fraction].
    """
    counts = _array("stoves", stoves)
    if np.any(counts < 1):
        raise ValueError("stoves: GB 18483-2001 sizes premises from 1 基准灶头 up")
    rows = catering_scale_table()
    bounds = np.array([float(row["stoves_min"]) for row in rows[1:]])
    index = np.searchsorted(bounds, counts, side="right")
    names = np.array([row["scale"] for row in rows])
    least = np.array([float(row["min_removal_efficiency"]) for row in rows])
    return names[index], least[index]


def open_burning(burned_mass: ArrayLike, burned_fraction: ArrayLike, factor: ArrayLike) -> Array:
    """Open burning of straw, ``E = M × f × EF``.

    The biomass-burning form of issue #16 (mass × burned fraction × emission factor), the
    emission-factor method of 生物质燃烧源大气污染物排放清单编制技术指南(试行) (MEP, 2014).

    Parameters
    ----------
    burned_mass
        M, the straw available to burning in the open [t].
    burned_fraction
        f, the share of it burned in the open [fraction].
    factor
        EF, the emission factor [g/kg of dry matter burned]; no default is shipped.

    Returns
    -------
    The emission [kg] (t × g/kg = kg).
    """
    return emission_factor(
        _array("burned_mass", burned_mass) * _fraction("burned_fraction", burned_fraction),
        factor,
    )
