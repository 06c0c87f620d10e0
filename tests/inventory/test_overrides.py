"""The district's factor values: audited in the ledger's chain, in force from their year on,
replacing the shipped default in the build; defaults marked as defaults."""

from __future__ import annotations

import pyarrow.compute as pc
import pytest
from sqlalchemy import select

from lantian.inventory import load
from lantian.inventory.activity import import_activity
from lantian.inventory.overrides import factors_in_force, set_override
from lantian.inventory.service import build_inventory
from lantian.plan.access import SYSTEM, Actor
from lantian.plan.audit import verify_chain
from lantian.plan.database import transaction
from lantian.plan.errors import LedgerPermissionError
from lantian.plan.models import AuditEntry

from .helpers import csv_bytes, headers, row

OFFICE = Actor(id=None, name="王科长", role="office")


def test_an_override_is_in_the_audit_chain_with_who_and_when(ledger):
    with transaction(ledger) as db:
        set_override(
            db,
            OFFICE,
            factor_id="AP42-13.2.1-k-PM10",
            value=0.7,
            low=0.5,
            high=0.9,
            source="区监测站道路积尘实测（测试用）",
            from_year=2019,
        )
    with transaction(ledger) as db:
        entry = db.scalars(
            select(AuditEntry).where(AuditEntry.entity == "inventory_factor_overrides")
        ).one()
        assert entry.user_name == "王科长"
        assert entry.action == "create"
        assert entry.after["value"] == 0.7
        assert entry.after["set_by"] == "王科长"
    with ledger.connect() as connection:
        assert verify_chain(connection).broken_id is None


def test_in_force_from_its_year_and_marked(ledger):
    with transaction(ledger) as db:
        set_override(
            db, OFFICE, factor_id="AP42-13.2.1-k-PM10", value=0.7, source="测试用", from_year=2020
        )
        in_2019 = factors_in_force(db, 2019)["AP42-13.2.1-k-PM10"]
        in_2021 = factors_in_force(db, 2021)["AP42-13.2.1-k-PM10"]
    assert (in_2019.value, in_2019.is_default) == (0.62, True)
    assert (in_2021.value, in_2021.is_default, in_2021.set_by) == (0.7, False, "王科长")


def test_the_build_uses_the_districts_value(ledger):
    """The hand-computed road of test_build (PM10 4.2997 t with k = 0.62) with k = 0.7:
    4.2997 × 0.7 / 0.62 = 4.8545 t, marked not default."""
    data = csv_bytes(
        [
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
        ]
    )
    with transaction(ledger) as db:
        import_activity(db, SYSTEM, "道路.csv", data, 2019, template="roads")
        set_override(
            db, OFFICE, factor_id="AP42-13.2.1-k-PM10", value=0.7, source="测试用", from_year=2019
        )
    with transaction(ledger) as db:
        build_inventory(db, SYSTEM, 2019)
    emissions = load(2019)
    pm10 = emissions.filter(pc.equal(emissions.column("pollutant"), "PM10")).to_pylist()[0]
    assert pm10["tonnes"] == pytest.approx(4.2997 * 0.7 / 0.62, rel=1e-12)
    assert pm10["factor_default"] is False
    pm25 = emissions.filter(pc.equal(emissions.column("pollutant"), "PM2.5")).to_pylist()[0]
    assert pm25["factor_default"] is True


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"source": ""}, "source"),
        ({"low": 0.8, "high": 0.9}, "low ≤ value ≤ high"),
        ({"low": 0.5}, "give both"),
        ({"value": float("nan")}, "finite"),
        ({"unit": "kg/VKT"}, "is in g/VKT"),
    ],
)
def test_bad_overrides_are_refused(ledger, options, message):
    given = {"factor_id": "AP42-13.2.1-k-PM10", "value": 0.7, "source": "测试用", "from_year": 2019}
    with pytest.raises(ValueError, match=message), transaction(ledger) as db:
        set_override(db, OFFICE, **(given | options))


def test_a_new_factor_needs_its_description_and_a_leader_may_not_set_one(ledger):
    with pytest.raises(ValueError, match="method"), transaction(ledger) as db:
        set_override(
            db, OFFICE, factor_id="本地-餐饮-PM2.5", value=1.0, source="测试用", from_year=2019
        )
    with pytest.raises(LedgerPermissionError), transaction(ledger) as db:
        set_override(
            db,
            Actor(id=None, name="领导", role="leader"),
            factor_id="AP42-13.2.1-k-PM10",
            value=0.7,
            source="测试用",
            from_year=2019,
        )
    assert SYSTEM.role == "system"
