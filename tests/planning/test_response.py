"""The reduced-form response model (lantian.planning.response): a worked example computed by hand,
its linearity and its zero-change identity (hypothesis), and the refusals."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lantian.planning.response import (
    Component,
    EmissionMatrix,
    apportionment_response,
    ctm_response,
    inventory_components,
    secondary_coefficients,
)

#: A small constructed inventory [t/a] (made up for the test): two categories, five pollutants.
EMISSIONS = EmissionMatrix.from_rows(
    [
        "扬尘源",
        "扬尘源",
        "化石燃料固定燃烧源",
        "化石燃料固定燃烧源",
        "化石燃料固定燃烧源",
        "其他排放源",
    ],
    ["PM2.5", "PM10", "PM2.5", "SO2", "NOx", "VOCs"],
    [400.0, 1600.0, 100.0, 800.0, 200.0, 50.0],
)
COMPONENTS = (
    Component("区域传输", "regional", 0.40),
    Component("扬尘", "primary", 0.20, category="扬尘源"),
    Component("燃煤", "primary", 0.10, category="化石燃料固定燃烧源"),
    Component("硫酸盐", "secondary", 0.10, species="sulphate"),
    Component("硝酸盐", "secondary", 0.08, species="nitrate"),
    Component("SOA", "secondary", 0.02, species="SOA"),
    Component("其他", "unattributed", 0.10),
)


def test_the_default_coefficients_are_proportional_rollback_for_each_species():
    assert secondary_coefficients() == {
        "sulphate": {"SO2": 1.0},
        "nitrate": {"NOx": 1.0},
        "SOA": {"VOCs": 1.0},
        "ammonium": {"NH3": 1.0},
    }


def test_a_worked_example_by_hand():
    # C0 = 40 µg/m³. Dust: 0.20 × 40 = 8 µg/m³ over 400 t PM2.5 → 0.02 µg/m³ per t.
    # Coal primary: 0.10 × 40 = 4 over 100 t → 0.04. Sulphate: 0.10 × 40 = 4 over 800 t SO2 → 0.005.
    # Nitrate: 3.2 over 200 t NOx → 0.016. SOA: 0.8 over 50 t VOCs → 0.016.
    model = apportionment_response(40.0, COMPONENTS, EMISSIONS, "构造")
    weights = model.sector_weights()
    assert weights == pytest.approx(
        {
            ("扬尘源", "PM2.5"): 0.02,
            ("化石燃料固定燃烧源", "PM2.5"): 0.04,
            ("化石燃料固定燃烧源", "SO2"): 0.005,
            ("化石燃料固定燃烧源", "NOx"): 0.016,
            ("其他排放源", "VOCs"): 0.016,
        }
    )
    # Remove 100 t of dust PM2.5 and 400 t of SO2: −(100 × 0.02 + 400 × 0.005) = −4 µg/m³.
    removed = EmissionMatrix.from_rows(
        ["扬尘源", "化石燃料固定燃烧源"], ["PM2.5", "SO2"], [100, 400]
    )
    assert model.change(removed) == pytest.approx(-4.0)
    # Removing everything local leaves the regional and unattributed parts: 40 × 0.5 = 20.
    assert 40 + model.change(EMISSIONS) == pytest.approx(20.0)
    assert model.basis == "apportionment"
    assert model.notes == ()


def test_a_component_the_inventory_lacks_is_noted_not_invented():
    model = apportionment_response(
        40.0, (Component("机动车", "primary", 0.1, category="移动源"),), EMISSIONS, "构造"
    )
    assert model.sector_weights() == {}
    assert "移动源" in model.notes[0]


def test_inventory_basis_splits_the_local_primary_part_by_primary_pm25():
    # 1 − 0.3 regional − 0.2 secondary = 0.5 local primary: dust 400/500, coal 100/500.
    components = inventory_components(EMISSIONS, 0.3, {"nitrate": 0.2})
    primary = {c.category: c.share for c in components if c.kind == "primary"}
    assert primary == pytest.approx({"扬尘源": 0.4, "化石燃料固定燃烧源": 0.1})
    with pytest.raises(ValueError, match="more than 1"):
        inventory_components(EMISSIONS, 0.9, {"nitrate": 0.2})


def test_ctm_sensitivities_are_per_full_cut():
    model = ctm_response(40.0, {("化石燃料固定燃烧源", "SO2"): 2.0}, EMISSIONS, "CTM")
    half = EmissionMatrix.from_rows(["化石燃料固定燃烧源"], ["SO2"], [400.0])
    assert model.change(half) == pytest.approx(-1.0)
    assert model.basis == "ctm"


@pytest.mark.parametrize(
    ("components", "message"),
    [
        ((Component("x", "primary", 1.2, category="扬尘源"),), "not a fraction"),
        ((Component("x", "regional", 0.7), Component("y", "regional", 0.4)), "add up"),
        ((Component("x", "secondary", 0.1, species="硫酸盐"),), "species"),
        ((Component("x", "tertiary", 0.1),), "kind"),
    ],
)
def test_bad_components_are_refused(components, message):
    with pytest.raises(ValueError, match=message):
        apportionment_response(40.0, components, EMISSIONS, "x")


cells = arrays(np.float64, EMISSIONS.values.shape, elements=st.floats(0, 1e4))


@settings(max_examples=60, deadline=None)
@given(cells, cells, st.floats(-5, 5), st.floats(1, 200))
def test_the_response_is_linear(a, b, k, base):
    model = apportionment_response(base, COMPONENTS, EMISSIONS, "构造")
    assert model.change(a + k * b) == pytest.approx(
        model.change(a) + k * model.change(b), rel=1e-9, abs=1e-6
    )


@settings(max_examples=30, deadline=None)
@given(st.floats(1, 200), st.floats(0, 0.5), st.floats(0, 0.4))
def test_no_change_changes_nothing(base, regional, nitrate):
    for model in (
        apportionment_response(base, COMPONENTS, EMISSIONS, "构造"),
        apportionment_response(
            base, inventory_components(EMISSIONS, regional, {"nitrate": nitrate}), EMISSIONS, "清单"
        ),
    ):
        assert model.change(np.zeros_like(EMISSIONS.values)) == 0.0
        assert model.change(EmissionMatrix((), (), np.zeros((0, 0)))) == 0.0


def test_the_chinese_names_cover_every_kind_and_species():
    from lantian.planning.apportionment import COMPONENT_KIND_ZH, SPECIES_ZH
    from lantian.planning.response import COMPONENT_KINDS, SPECIES

    assert set(COMPONENT_KIND_ZH) == set(COMPONENT_KINDS)
    assert set(SPECIES_ZH) == set(SPECIES)
