"""The inventory's factor tables (``lantian/inventory/data/*.csv``) are complete and cite sources.

AP-42 §13.2.1's particle-size multipliers are checked against Table 13.2.1-1 of the January 2011
section (k in g/VKT: PM2.5 0.15, PM10 0.62, PM15 0.77, PM30 3.23), as reproduced in the
documentation of the R package vein (``emis_paved``, parameter ``k``, citing AP-42 §13.2.1).
"""

from __future__ import annotations

import math

import pytest

from lantian.inventory import factors, methods

#: AP-42 §13.2.1 (January 2011) Table 13.2.1-1, k [g/VKT].
AP42_TABLE_13_2_1_1 = {"PM2.5": 0.15, "PM10": 0.62, "PM15": 0.77, "PM30": 3.23}


@pytest.mark.parametrize(("pollutant", "k"), AP42_TABLE_13_2_1_1.items())
def test_paved_road_k_is_ap42_table_13_2_1_1(pollutant: str, k: float) -> None:
    assert factors.paved_road_k(pollutant) == k
    row = factors.factor("paved_road_dust", "k", pollutant)
    assert row["unit"] == "g/VKT"
    assert row["clause"] == "Table 13.2.1-1"


def test_every_factor_row_is_complete_and_cited() -> None:
    rows = factors.factors()
    assert rows
    ids = [row["factor_id"] for row in rows]
    assert len(ids) == len(set(ids)), "factor_id must be unique"
    for row in rows:
        for column in factors.FACTOR_REQUIRED:
            assert row[column].strip(), f"{row['factor_id']}: {column} is empty"
        assert row["is_default"] in {"true", "false"}, row["factor_id"]
        value = float(row["value"])
        assert math.isfinite(value)
        assert value > 0, row["factor_id"]
        assert row["checked_against"].strip(), (
            f"{row['factor_id']}: say what it was checked against"
        )


def test_every_factor_and_rule_belongs_to_a_method() -> None:
    """A row naming a method that does not exist would be silently unused."""
    names = {row["method"] for row in (*factors.factors(), *factors.method_rules())}
    names.discard("coal_mass_balance")  # the rule shared by coal_so2 (and later coal NOx, PM)
    for name in names:
        assert callable(getattr(methods, name, None)), f"no method {name!r} in lantian.inventory"


def test_method_rules_are_numbers_with_sources() -> None:
    for row in factors.method_rules():
        assert math.isfinite(float(row["value"])), row
        assert row["source"].strip(), row
        assert row["unit"].strip(), row


def test_the_daily_validity_rule_is_18_hours() -> None:
    row = next(r for r in factors.method_rules() if r["rule"] == "daily_valid_hours_min")
    assert row["value"] == "18"
    assert "HJ 75-2017" in row["source"]


def test_source_classification_has_four_levels_and_sources() -> None:
    rows = factors.source_classification()
    assert rows
    for row in rows:
        assert set(factors.LEVELS) <= row.keys()
        assert row["category"].strip(), row
        assert row["source"].strip(), row
        # A lower level is never filled while a higher one is blank, except fuel/product under a
        # category whose sectors are not yet cited (化石燃料固定燃烧源 → 燃煤).
        if row["technology"]:
            assert row["fuel_product"], row


def test_an_unknown_factor_lists_what_exists() -> None:
    with pytest.raises(KeyError, match=r"PM2\.5.*PM10"):
        factors.paved_road_k("TSP")


def test_an_unknown_rule_lists_the_known_rules() -> None:
    with pytest.raises(KeyError, match="daily_valid_hours_min"):
        factors.method_rule("online_monitoring", "no_such_rule")


#: 施工扬尘产生、削减系数表 (附件3 of the provinces' environmental-tax rules; MEP's sampling results
#: of 环办〔2014〕80号 附件6), as transcribed at renrendoc: generation and each measure's reduction
#: [kg/(m²·month)].
TAX_TABLE_BUILDING = (
    1.01,
    {
        "道路硬化措施": 0.071,
        "边界围挡": 0.047,
        "裸露地面覆盖": 0.047,
        "易扬尘物料覆盖": 0.025,
        "定期喷洒抑制剂": 0.03,
        "运输车辆机械冲洗装置": 0.31,
        "运输车辆简易冲洗装置": 0.155,
    },
)
TAX_TABLE_MUNICIPAL = (
    1.64,
    {
        "道路硬化措施": 0.102,
        "边界围挡": 0.102,
        "易扬尘物料覆盖": 0.066,
        "定期喷洒抑制剂": 0.03,
        "运输车辆机械冲洗装置": 0.68,
        "运输车辆简易冲洗装置": 0.34,
    },
)


@pytest.mark.parametrize(
    ("source_type", "expected"),
    [("建筑施工", TAX_TABLE_BUILDING), ("市政(拆迁)施工", TAX_TABLE_MUNICIPAL)],
)
def test_construction_coefficients_are_the_tax_table(source_type, expected) -> None:
    assert factors.construction_coefficients(source_type) == expected


@pytest.mark.parametrize("source_type", ["建筑施工", "市政(拆迁)施工"])
def test_all_measures_never_remove_more_than_is_generated(source_type) -> None:
    generation, reductions = factors.construction_coefficients(source_type)
    best = sum(v for k, v in reductions.items() if k != "运输车辆简易冲洗装置")
    assert 0 < best < generation


def test_unknown_site_type_lists_the_known() -> None:
    with pytest.raises(KeyError, match="建筑施工"):
        factors.construction_coefficients("道路施工")


def test_catering_scale_is_gb18483_tables_1_and_2() -> None:
    rows = factors.catering_scale_table()
    assert [(r["scale"], r["stoves_min"], r["stoves_below"]) for r in rows] == [
        ("小型", "1", "3"),
        ("中型", "3", "6"),
        ("大型", "6", ""),
    ]
    assert [r["min_removal_efficiency"] for r in rows] == ["0.60", "0.75", "0.85"]
    assert {r["max_concentration"] for r in rows} == {"2.0"}
