"""A small inventory computed by hand: two construction sites (the 施工扬尘产生、削减系数表 and the
formula of the provinces' rules, e.g. 福建省环境保护税核定征收办法: (扬尘产生量系数 − 扬尘排放量削减系数)
× 月建筑面积或施工面积), one paved road (AP-42 §13.2.1) and one emission-factor row, built on the
example registry, stored, and read back with :func:`lantian.inventory.load`.

The hand computations (in each test's docstring) use the published values of ``data/factors.csv``:
建筑施工 generation 1.01, reductions 道路硬化措施 0.071, 边界围挡 0.047, 运输车辆机械冲洗装置
0.31; 市政(拆迁)施工 generation 1.64 [kg/(m²·month)]; AP-42 Table 13.2.1-1 k = 0.15 (PM2.5),
0.62 (PM10), 3.23 (PM30 ≈ TSP) g/VKT. The road's W is exactly one short ton (0.90718474 t) and
sL = 1 g/m², so Equation 1's powers are 1 and E/VKT = k × (1 − P/4N).
"""

from __future__ import annotations

import pyarrow.compute as pc
import pytest

from lantian.inventory import load
from lantian.inventory.activity import import_activity
from lantian.inventory.service import build_inventory, summary
from lantian.inventory.store import InventoryNotBuiltError, versions
from lantian.plan.access import SYSTEM
from lantian.plan.database import transaction

from .helpers import headers, row, workbook_bytes

YEAR = 2019
WORKBOOK = workbook_bytes(
    {
        "sites": [
            headers("sites"),
            row(
                "sites",
                source_code="示例GD01",
                source_type="建筑施工",
                area=10000,
                months=6,
                道路硬化措施="是",
                边界围挡="是",
                运输车辆机械冲洗装置="是",
            ),
            row("sites", source_code="示例GD03", source_type="市政(拆迁)施工", area=5000, months=4),
        ],
        "roads": [
            headers("roads"),
            row(
                "roads",
                source_code="示例DL01",
                length_m=2000,
                traffic=10000,
                weight=0.90718474,
                silt_loading=1,
                days=365,
                wet_days=73,
            ),
        ],
        "emission_factor": [
            headers("emission_factor"),
            row(
                "emission_factor",
                source_code="示例QY02",
                category="工艺过程源",
                sector="家具制造",
                pollutant="VOCs",
                activity=1000,
                activity_unit="吨产品",
                factor=2.5,
                factor_unit="千克/吨",
                efficiency=40,
                factor_source="constructed for this test",
            ),
        ],
    }
)


@pytest.fixture
def built(ledger):
    with transaction(ledger) as db:
        import_activity(db, SYSTEM, "活动水平.xlsx", WORKBOOK, YEAR)
    with transaction(ledger) as db:
        return build_inventory(db, SYSTEM, YEAR)


def tonnes(table, **where) -> float:
    mask = None
    for column, value in where.items():
        match = pc.equal(table.column(column), value)
        mask = match if mask is None else pc.and_(mask, match)
    return pc.sum(table.filter(mask).column("tonnes")).as_py()


def test_construction_sites_by_the_coefficient_table(built):
    """GD01: (1.01 − 0.071 − 0.047 − 0.31) × 10 000 m² × 6 months = 34 920 kg = 34.92 t;
    GD03: 1.64 × 5 000 × 4 = 32 800 kg = 32.8 t (no measure met)."""
    emissions = load(YEAR)
    assert tonnes(emissions, source_code="示例GD01") == pytest.approx(34.92, rel=1e-12)
    assert tonnes(emissions, source_code="示例GD03") == pytest.approx(32.8, rel=1e-12)
    gd01 = emissions.filter(pc.equal(emissions.column("source_code"), "示例GD01")).to_pylist()[0]
    assert (gd01["category"], gd01["sector"], gd01["fuel_product"]) == (
        "扬尘源",
        "施工扬尘",
        "建筑施工",
    )
    assert gd01["pollutant"] == "TSP"
    assert gd01["town"] == "梅湾街道"
    assert gd01["factor_default"]
    # the part proportional to the generation coefficient: 1.01 × 10 000 × 6 kg
    assert gd01["factor_tonnes"] == pytest.approx(60.6, rel=1e-12)


def test_road_by_ap42(built):
    """VKT = 2 km × 10 000 veh/d × 365 d = 7.3 × 10⁶; (1 − 73/(4 × 365)) = 0.95;
    PM10 0.62 × 0.95 × 7.3e6 g = 4.2997 t, PM2.5 0.15 × … = 1.04025 t, TSP 3.23 × … = 22.40005 t."""
    emissions = load(YEAR)
    assert tonnes(emissions, source_code="示例DL01", pollutant="PM10") == pytest.approx(
        4.2997, rel=1e-12
    )
    assert tonnes(emissions, source_code="示例DL01", pollutant="PM2.5") == pytest.approx(
        1.04025, rel=1e-12
    )
    assert tonnes(emissions, source_code="示例DL01", pollutant="TSP") == pytest.approx(
        22.40005, rel=1e-12
    )


def test_emission_factor_row(built):
    """1 000 t × 2.5 kg/t × (1 − 0.40) = 1 500 kg = 1.5 t VOCs."""
    emissions = load(YEAR)
    assert tonnes(emissions, pollutant="VOCs") == pytest.approx(1.5, rel=1e-12)


def test_totals_and_shares(built):
    """TSP = 34.92 + 32.8 + 22.40005 = 90.12005 t; 扬尘源 is all of it."""
    document = summary(YEAR)
    tsp = next(r for r in document["pollutants"] if r["pollutant"] == "TSP")
    assert tsp["tonnes"] == pytest.approx(90.12005, rel=1e-12)
    dust = next(
        r for r in document["totals"] if (r["category"], r["pollutant"]) == ("扬尘源", "TSP")
    )
    assert dust["share"] == pytest.approx(1.0)
    assert document["example"] is False
    assert document["comparison"] is None


def test_a_second_build_is_a_new_version_compared_with_the_first(built, ledger):
    with transaction(ledger) as db:
        version, _ = build_inventory(db, SYSTEM, YEAR)
    assert versions(YEAR) == ["v0001", "v0002"]
    assert version == "v0002"
    comparison = summary(YEAR)["comparison"]
    assert comparison["version"] == "v0001"
    assert all(p["change"] == pytest.approx(0.0) for p in comparison["pollutants"])


def test_load_names_the_missing_year(home):
    with pytest.raises(InventoryNotBuiltError, match="2018"):
        load(2018)


def test_load_columns_are_the_documented_ones(built):
    documented = load.__doc__ or ""
    for name in load(YEAR).column_names:
        assert f"``{name}``" in documented
