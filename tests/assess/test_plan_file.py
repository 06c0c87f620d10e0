"""One plan file, one loader, one schema (issue #12 item 6): ``assess/data/lengshuitan-2019.toml``
(``[[areas]]``, ``[[targets]]`` with ``target`` and ``text``) and ``plan/data/lengshuitan-2019.toml``
(``[[air_targets]]`` with ``value`` and ``quote``) held the same targets under different keys; now
the assessment and the plan ledger read the ledger's file through ``read_plan_file``."""

from __future__ import annotations

import pytest

from lantian.assess.targets import PlanFileError, read_plan, read_plan_file
from lantian.plan.plans import example_plan_data


def test_assessment_and_ledger_read_the_same_targets_from_the_one_file():
    assert example_plan_data() == read_plan_file()
    plan = read_plan()
    ledger = {t["pollutant"]: t for t in example_plan_data()["air_targets"]}
    assert {t.pollutant for t in plan.targets} == set(ledger)
    for target in plan.targets:
        row = ledger[target.pollutant]
        assert (target.target, target.baseline, target.baseline_year) == (
            row.get("value"),
            row.get("baseline"),
            row.get("baseline_year"),
        )
        assert target.years == row["years"]
        assert target.text == row["quote"]
        assert target.area == example_plan_data()["plan"]["scope"]


def test_the_model_plan_s_scope_and_targets():
    """冷政发〔2019〕1号 §二: PM2.5 from 48 (2018) to ≤ 35 µg/m³, PM10 ≤ 69, in 冷水滩区中心城区."""
    plan = read_plan()
    area = plan.area("冷水滩区中心城区")
    assert (area.city, area.stations) == ("永州", ["2478A", "2480A", "2481A"])
    means = {t.pollutant: t for t in plan.targets if t.metric == "annual_mean"}
    assert (means["PM2.5"].target, means["PM2.5"].baseline) == (35, 48)
    assert (means["PM10"].target, means["PM10"].baseline) == (69, 69)


def test_a_wrong_plan_file_is_named_with_its_field(tmp_path):
    path = tmp_path / "district.toml"
    path.write_text(
        '[plan]\ntitle = "x"\nscope = "城区"\nscope_stations = ["1001A"]\n'
        '[[air_targets]]\npollutant = "PM2.5"\nmetric = "annual_mean"\n',
        encoding="utf-8",
    )
    with pytest.raises(PlanFileError, match=r"district\.toml: \[\[air_targets\]\] #1: .*'value'"):
        read_plan(path)
    path.write_text('[plan]\ntitle = "x"\n', encoding="utf-8")
    with pytest.raises(PlanFileError, match=r"district\.toml: \[plan\]: missing field 'scope'"):
        read_plan(path)
    path.write_text("[plan\n", encoding="utf-8")
    with pytest.raises(PlanFileError, match=r"district\.toml"):
        read_plan(path)
