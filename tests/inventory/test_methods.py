"""The inventory's methods against their sources, at their boundaries, and their invariants.

Where a source publishes a worked example it is reproduced here; for most methods none could be
found (see ``docs/inventory.md``), and the tests check the formula's published structure instead:
AP-42 §13.2.1's Equation 1 at sL = 1 g/m² and W = 1 ton reduces to the tabulated k, its Equation 2
correction (1 − P/4N) is 3/4 when every day is wet, and the 18 h rule of HJ 75-2017 (as cited in
``data/method_rules.csv``) is checked at 17 and 18 valid hours. Property tests (hypothesis) check
linearity in activity, zero activity → zero and η = 1 → zero for every method.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lantian.inventory import methods

TOLERANCE = 1e-12  # float64 products of a few factors: relative error well below 1e-12


# ------------------------------------------------------------------------------------------------
# AP-42 §13.2.1 (January 2011), paved roads
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pollutant", "k"), [("PM2.5", 0.15), ("PM10", 0.62), ("PM15", 0.77), ("PM30", 3.23)]
)
def test_paved_road_equation_1_reduces_to_k_at_unit_silt_and_weight(pollutant, k) -> None:
    """Equation 1 at sL = 1 g/m², W = 1 ton, one VKT, no rain: E = k (Table 13.2.1-1) [g]."""
    assert methods.paved_road_dust(1.0, 1.0, 1.0, pollutant) == pytest.approx(k, rel=TOLERANCE)


def test_paved_road_exponents_are_0_91_and_1_02() -> None:
    """Doubling sL multiplies E by 2^0.91, doubling W by 2^1.02 (Equation 1)."""
    base = methods.paved_road_dust(1.0, 1.0, 1.0)
    assert methods.paved_road_dust(2.0, 1.0, 1.0) / base == pytest.approx(2**0.91, rel=TOLERANCE)
    assert methods.paved_road_dust(1.0, 2.0, 1.0) / base == pytest.approx(2**1.02, rel=TOLERANCE)


@pytest.mark.parametrize(
    ("wet_days", "days", "correction"),
    [(0, 365, 1.0), (365, 365, 0.75), (30, 30, 0.75), (73, 365, 1 - 73 / 1460)],
)
def test_paved_road_rain_correction_is_1_minus_p_over_4n(wet_days, days, correction) -> None:
    """Equation 2: E_ext = E × (1 − P/4N); all days wet leaves three quarters."""
    dry = methods.paved_road_dust(0.6, 2.4, 1000.0)
    wet = methods.paved_road_dust(0.6, 2.4, 1000.0, wet_days=wet_days, days=days)
    assert wet / dry == pytest.approx(correction, rel=TOLERANCE)


def test_paved_road_control_efficiency() -> None:
    """Mechanised sweeping at η = 0.85 leaves 15 % (issue #16 §2's example)."""
    raw = methods.paved_road_dust(0.6, 2.4, 1000.0, "PM2.5")
    swept = methods.paved_road_dust(0.6, 2.4, 1000.0, "PM2.5", efficiency=0.85)
    assert swept / raw == pytest.approx(0.15, rel=1e-9)


def test_paved_road_is_whole_column() -> None:
    silt = np.array([0.03, 0.6, 1.0, 400.0])
    out = methods.paved_road_dust(silt, 2.4, 100.0, "PM10", wet_days=120, days=365)
    assert out.shape == (4,)
    expected = [methods.paved_road_dust(s, 2.4, 100.0, "PM10", 120, 365) for s in silt]
    np.testing.assert_allclose(out, np.ravel(expected), rtol=TOLERANCE)


def test_paved_road_rejects_more_wet_days_than_days() -> None:
    with pytest.raises(ValueError, match="wet_days"):
        methods.paved_road_dust(0.6, 2.4, 1.0, wet_days=31, days=30)


def test_paved_road_unknown_size_lists_the_tabulated_ones() -> None:
    with pytest.raises(KeyError, match="PM30"):
        methods.paved_road_dust(0.6, 2.4, 1.0, "TSP")


# ------------------------------------------------------------------------------------------------
# Online monitoring (CEMS) and the 18 h daily rule
# ------------------------------------------------------------------------------------------------


def _day(valid_hours: int) -> tuple[np.ndarray, ...]:
    """One day of 24 hourly means at 100 mg/m³ and 100 000 m³/h, ``valid_hours`` of them valid."""
    valid = np.arange(24) < valid_hours
    return np.zeros(24, dtype=np.int64), np.full(24, 100.0), np.full(24, 1e5), valid


def test_18_valid_hours_count_the_day() -> None:
    emission, hours, counted = methods.online_monitoring(*_day(18))
    assert hours.tolist() == [18]
    assert counted.tolist() == [True]
    # 100 mg/m³ × 100 000 m³/h × 1 h = 10⁷ mg = 10 kg an hour; 18 valid hours → 180 kg.
    assert emission.tolist() == [180.0]


def test_17_valid_hours_do_not_count_the_day() -> None:
    emission, hours, counted = methods.online_monitoring(*_day(17))
    assert hours.tolist() == [17]
    assert counted.tolist() == [False]
    assert np.isnan(emission[0])


def test_the_threshold_is_read_from_the_rule_table() -> None:
    assert methods.daily_valid_hours_min() == 18


def test_invalid_hours_do_not_add_mass_and_days_are_separate() -> None:
    day = np.repeat([0, 1], 24)
    concentration = np.where(np.arange(48) % 24 == 0, 1e6, 50.0)  # hour 0 of each day: a spike
    valid = np.arange(48) % 24 != 0  # … flagged invalid (calibration)
    emission, hours, counted = methods.online_monitoring(
        day, concentration, np.full(48, 2e5), valid
    )
    assert hours.tolist() == [23, 23]
    assert counted.all()
    # 50 mg/m³ × 200 000 m³/h = 10⁷ mg/h = 10 kg/h, 23 hours.
    np.testing.assert_allclose(emission, [230.0, 230.0], rtol=TOLERANCE)


def test_no_hours_give_no_days() -> None:
    emission, hours, counted = methods.online_monitoring([], [], [], [])
    assert (emission.size, hours.size, counted.size) == (0, 0, 0)


def test_online_monitoring_rejects_bad_days() -> None:
    with pytest.raises(ValueError, match="day"):
        methods.online_monitoring(np.array([-1]), [1.0], [1.0], [True])
    with pytest.raises(ValueError, match="day"):
        methods.online_monitoring(np.array([0.5]), [1.0], [1.0], [True])


# ------------------------------------------------------------------------------------------------
# Coal mass balance
# ------------------------------------------------------------------------------------------------


def test_coal_so2_is_twice_the_sulphur_released() -> None:
    """1000 t of 1 % sulphur coal, nothing retained: 10 t of S → 20 t SO2 (ratio 2)."""
    assert methods.coal_so2(1000.0, 0.01, 0.0) == pytest.approx(20.0, rel=TOLERANCE)
    # 15 % retained in the ash and slag, 90 % desulphurised: 20 × 0.85 × 0.1 = 1.7 t.
    assert methods.coal_so2(1000.0, 0.01, 0.15, 0.9) == pytest.approx(1.7, rel=1e-9)


def test_coal_particulate_from_ash() -> None:
    """1000 t of coal with 20 % ash, 80 % of it fly ash, 99 % collected: 200 × 0.8 × 0.01 = 1.6 t."""
    assert methods.coal_particulate(1000.0, 0.2, 0.8, 0.99) == pytest.approx(1.6, rel=1e-9)


def test_percent_instead_of_fraction_is_refused() -> None:
    with pytest.raises(ValueError, match=r"sulphur.*0\.85"):
        methods.coal_so2(1000.0, 1.0 + 1e-9, 0.0)
    with pytest.raises(ValueError, match="efficiency"):
        methods.emission_factor(1.0, 1.0, 85.0)


def test_negative_and_missing_values_are_refused() -> None:
    with pytest.raises(ValueError, match="activity"):
        methods.emission_factor(-1.0, 1.0)
    with pytest.raises(ValueError, match="factor"):
        methods.emission_factor(1.0, np.nan)


# ------------------------------------------------------------------------------------------------
# Dust, catering, open burning: the formulas' structure
# ------------------------------------------------------------------------------------------------


def test_stockpile_dust_adds_handling_and_wind_erosion_in_tonnes() -> None:
    """W_Y = E_h × ΣG × 10⁻³ + E_w × A × 10⁻³: 10 000 t × 0.1 kg/t + 5 000 m² × 0.2 kg/m² → 2 t."""
    assert methods.stockpile_dust(10_000.0, 0.1, 5_000.0, 0.2) == pytest.approx(2.0, rel=1e-12)


def test_construction_dust_is_e_c_times_area_times_months() -> None:
    area, months, e_c = 20_000.0, 6.0, 1e-4
    expected = e_c * area * months * (1 - 0.6)
    assert methods.construction_dust(area, months, e_c, 0.6) == pytest.approx(expected)


def test_construction_dust_coefficients_building_site_all_measures_met() -> None:
    """附件3, 建筑施工: 1.01 − (0.071 + 0.047 + 0.047 + 0.025 + 0.03 + 0.31) = 0.48 kg/(m²·month);
    10 000 m² of floor area for one month → 4 800 kg."""
    measures = dict.fromkeys(
        ["道路硬化措施", "边界围挡", "裸露地面覆盖", "易扬尘物料覆盖", "定期喷洒抑制剂"], True
    )
    measures["运输车辆机械冲洗装置"] = True
    out = methods.construction_dust_coefficients("建筑施工", 10_000.0, 1.0, measures)
    assert out == pytest.approx(4_800.0, rel=1e-12)


def test_construction_dust_coefficients_whole_column_by_site() -> None:
    """Three municipal sites: none met (1.64), hardening only (1.64 − 0.102), simple washing only
    (1.64 − 0.34) kg/(m²·month), 1 000 m² for two months each."""
    out = methods.construction_dust_coefficients(
        "市政(拆迁)施工",
        np.full(3, 1_000.0),
        2.0,
        {
            "道路硬化措施": np.array([False, True, False]),
            "运输车辆简易冲洗装置": np.array([False, False, True]),
        },
    )
    np.testing.assert_allclose(out, [3_280.0, 3_076.0, 2_600.0], rtol=1e-12)


def test_construction_dust_coefficients_refuse_both_washings_and_unknown_measures() -> None:
    both = {"运输车辆机械冲洗装置": True, "运输车辆简易冲洗装置": True}
    with pytest.raises(ValueError, match="washing"):
        methods.construction_dust_coefficients("建筑施工", 1.0, 1.0, both)
    with pytest.raises(KeyError, match="裸露地面覆盖"):
        methods.construction_dust_coefficients("市政(拆迁)施工", 1.0, 1.0, {"裸露地面覆盖": True})


def test_open_burning_units_tonnes_times_g_per_kg_give_kg() -> None:
    """1 t of straw, all burned, at 1 g/kg → 1 kg."""
    assert methods.open_burning(1.0, 1.0, 1.0) == pytest.approx(1.0)


# ------------------------------------------------------------------------------------------------
# Invariants of every method (hypothesis)
# ------------------------------------------------------------------------------------------------

positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)
fraction = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
scale = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)

#: Each method with its activity argument first: f(activity, *rest).
LINEAR = {
    "emission_factor": lambda a, x, eta: methods.emission_factor(a, x, eta),
    "construction_dust": lambda a, x, eta: methods.construction_dust(a, 3.0, x, eta),
    "catering": lambda a, x, eta: methods.catering(a, 2000.0, x, eta),
    "construction_dust_coefficients": lambda a, x, eta: methods.construction_dust_coefficients(
        "建筑施工", a, x, {"边界围挡": eta > 0.5}
    ),
    "paved_road_dust": lambda a, x, eta: methods.paved_road_dust(x, 2.4, a, efficiency=eta),
    "coal_so2": lambda a, x, eta: methods.coal_so2(a, min(x, 1.0) * 0.01, 0.1, eta),
    "coal_particulate": lambda a, x, eta: methods.coal_particulate(a, 0.2, 0.8, eta),
    "open_burning": lambda a, x, eta: methods.open_burning(a, 1.0 - eta, x),
}


@pytest.mark.parametrize("name", LINEAR)
@given(activity=positive, factor=positive, efficiency=fraction, times=scale)
def test_linear_in_activity(name, activity, factor, efficiency, times) -> None:
    f = LINEAR[name]
    once = f(activity, factor, efficiency)
    assert f(activity * times, factor, efficiency) == pytest.approx(once * times, rel=1e-9)


@pytest.mark.parametrize("name", LINEAR)
@given(factor=positive, efficiency=fraction)
def test_zero_activity_gives_zero(name, factor, efficiency) -> None:
    assert LINEAR[name](0.0, factor, efficiency) == 0.0


@pytest.mark.parametrize(
    "name", [n for n in LINEAR if n not in {"open_burning", "construction_dust_coefficients"}]
)
@given(activity=positive, factor=positive)
def test_full_control_gives_zero(name, activity, factor) -> None:
    assert LINEAR[name](activity, factor, 1.0) == 0.0


@given(
    hours=st.lists(st.booleans(), min_size=24, max_size=24),
    concentration=positive,
    flow=positive,
)
def test_a_day_counts_exactly_when_it_has_18_valid_hours(hours, concentration, flow) -> None:
    valid = np.array(hours)
    emission, count, counted = methods.online_monitoring(
        np.zeros(24, dtype=np.int64), np.full(24, concentration), np.full(24, flow), valid
    )
    assert count[0] == valid.sum()
    assert counted[0] == (valid.sum() >= 18)
    if counted[0]:
        assert emission[0] == pytest.approx(concentration * flow * valid.sum() * 1e-6, rel=1e-9)


# ------------------------------------------------------------------------------------------------
# GB 18483-2001 表1 and 表2: sizes by 基准灶头 and the purifier's least removal efficiency
# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stoves", "scale", "efficiency"),
    [
        (1, "小型", 0.60),  # 表1: 小型 ≥ 1, < 3; 表2: 60 %
        (2.99, "小型", 0.60),
        (3, "中型", 0.75),  # 中型 ≥ 3, < 6; 75 %
        (5.99, "中型", 0.75),
        (6, "大型", 0.85),  # 大型 ≥ 6; 85 %
        (40, "大型", 0.85),
    ],
)
def test_catering_scale_at_the_boundaries_of_gb18483_table_1(stoves, scale, efficiency) -> None:
    names, least = methods.catering_scale(np.array([stoves]))
    assert names.tolist() == [scale]
    assert least.tolist() == [efficiency]


def test_catering_scale_below_one_stove_is_refused() -> None:
    with pytest.raises(ValueError, match="stoves"):
        methods.catering_scale([0.5])


def test_catering_with_the_least_compliant_purifier() -> None:
    """A 大型 kitchen (8 heads) with a purifier at GB 18483's least 85 % keeps 15 % of its fumes."""
    _, least = methods.catering_scale([8])
    raw = methods.catering(8, 3000.0, 1.0, 0.0)
    assert methods.catering(8, 3000.0, 1.0, least) == pytest.approx(raw * 0.15, rel=1e-9)
