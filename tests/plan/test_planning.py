"""Issue #16 part 2 in the ledger: measures linked to inventory rows (audited, office only), the
tonnes removed planned and achieved from the monthly reports, and the roadmap over them — on a small
constructed inventory (made up for the tests, in lantian.inventory.load's columns)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from sqlalchemy import select

from lantian.assess.progress import progress
from lantian.assess.scope import resolve_scope
from lantian.plan import reports
from lantian.plan.access import SYSTEM
from lantian.plan.auth import actor_of, add_user
from lantian.plan.errors import LedgerPermissionError, LedgerValueError
from lantian.plan.models import AuditEntry
from lantian.plan.plans import get_plan
from lantian.planning import apportionment as apportionments
from lantian.planning.links import add_link, link_cuts, load_example_links
from lantian.planning.roadmap import roadmap

from .helpers import NOW, task_of

#: A constructed inventory [t/a] (not the district's): road dust, construction dust and coal.
INVENTORY = pa.table(
    {
        "category": ["扬尘源", "扬尘源", "扬尘源", "化石燃料固定燃烧源", "化石燃料固定燃烧源"],
        "sector": ["道路扬尘", "道路扬尘", "施工扬尘", "", ""],
        "pollutant": ["PM2.5", "PM10", "PM2.5", "PM2.5", "SO2"],
        "tonnes": [200.0, 800.0, 100.0, 100.0, 1000.0],
        "example": [False] * 5,
    }
)
SWEEPING = {
    "selector": {"category": "扬尘源", "sector": "道路扬尘"},
    "pollutants": ["PM2.5"],
    "change_kind": "coverage",
    "value_before": 0.60,
    "value_after": 0.85,
    "control_efficiency": 0.5,
    "baseline_quantity": 60,
    "cost": 500,
    "basis": "测试：机械化清扫率 60% → 85%，控制效率 50%（构造值）",
}
COAL = {
    "selector": {"category": "化石燃料固定燃烧源"},
    "change_kind": "activity",
    "value_before": 100,
    "value_after": 60,
    "basis": "测试：燃煤量减少 40%（构造值）",
}


def _reporter(db, unit: str):
    return actor_of(add_user(db, SYSTEM, "hw", "reporter", "correct horse battery", unit=unit))


def test_a_link_is_audited_and_only_the_office_may_make_it(db, actors):
    plan = get_plan(db)
    with pytest.raises(LedgerPermissionError):
        add_link(db, actors["hb"], plan, 2, SWEEPING, "mechanised-sweeping")
    with pytest.raises(LedgerPermissionError):
        add_link(db, actors["leader"], plan, 2, SWEEPING, "mechanised-sweeping")
    link = add_link(db, actors["office"], plan, 2, SWEEPING, "mechanised-sweeping")
    entry = db.scalars(select(AuditEntry).where(AuditEntry.entity == "measure_links")).one()
    assert (entry.user_name, entry.action, entry.entity_id) == ("office", "create", str(link.id))
    assert entry.after["value_after"] == 0.85


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value_after": 85}, "value_after"),  # a percentage, not a fraction
        ({"change_kind": "sweeping"}, "change_kind"),
        ({"selector": {}}, "selector"),
        ({"basis": " "}, "basis"),
        ({"cost": -1}, "cost"),
    ],
)
def test_bad_links_are_refused_naming_the_field(db, actors, change, field):
    with pytest.raises(LedgerValueError) as error:
        add_link(db, actors["office"], get_plan(db), 2, {**SWEEPING, **change})
    assert error.value.field == field


def test_an_unknown_target_lists_the_measures_targets(db, actors):
    with pytest.raises(LedgerValueError, match="mechanised-sweeping"):
        add_link(db, actors["office"], get_plan(db), 2, SWEEPING, "sweeping")


def test_planned_and_achieved_tonnes_from_the_monthly_reports(db, actors):
    plan = get_plan(db)
    add_link(db, actors["office"], plan, 2, SWEEPING, "mechanised-sweeping")
    reporter = _reporter(db, "区环卫局")
    task = task_of(db, "区环卫局", 2, "mechanised-sweeping")
    reports.file_report(db, reporter, task.id, "2019-06", "in_progress", 72.5, now=NOW)
    (cut,) = link_cuts(db, SYSTEM, plan, INVENTORY, "2019-06")
    # f = (0.85 − 0.60)·0.5 / (1 − 0.60·0.5) = 0.125/0.70; planned = 200 t × f = 35.714 t.
    assert cut.fraction == pytest.approx(0.125 / 0.70)
    assert cut.planned.to_pylist() == [
        {"category": "扬尘源", "pollutant": "PM2.5", "t": pytest.approx(200 * 0.125 / 0.70)}
    ]
    # Two lead units hold the target; 区环卫局 reports 72.5 % (half way from 60 to 85), 区城管执法局
    # nothing yet: the share done is the mean of ½ and 0.
    assert cut.done_share == pytest.approx(0.25)
    assert cut.achieved["t"].to_pylist() == [pytest.approx(0.25 * 200 * 0.125 / 0.70)]
    (before,) = link_cuts(db, SYSTEM, plan, INVENTORY, "2019-05")
    assert before.done_share == 0.0


def test_a_link_without_target_counts_completed_tasks(db, actors):
    plan = get_plan(db)
    add_link(db, actors["office"], plan, 16, COAL)
    (cut,) = link_cuts(db, SYSTEM, plan, INVENTORY, "2019-12")
    assert cut.fraction == pytest.approx(0.4)
    assert {r["pollutant"]: r["t"] for r in cut.planned.to_pylist()} == pytest.approx(
        {"PM2.5": 40.0, "SO2": 400.0}
    )
    assert cut.done_share == 0.0


def test_the_example_links_are_marked_and_reloading_replaces_them(db, actors):
    plan = get_plan(db)
    count = load_example_links(db, SYSTEM, plan)
    assert load_example_links(db, SYSTEM, plan) == count
    cuts = link_cuts(db, SYSTEM, plan, INVENTORY, "2019-12")
    assert len(cuts) == count
    assert all(c.link.example for c in cuts)


def test_the_roadmap_on_the_real_2019_data(db, actors, hunan_store):
    """C₀ is the progress service's 2019 mean for the area (called, not recomputed); the cut, the
    gap and the ranking are computed by hand from the constructed inventory and stated shares."""
    plan = get_plan(db)
    add_link(db, actors["office"], plan, 2, SWEEPING, "mechanised-sweeping")
    add_link(db, actors["office"], plan, 16, {**COAL, "cost": 2000})
    apportionments.store_inventory_basis(
        db,
        actors["office"],
        "测试-清单法",
        "冷水滩区中心城区",
        2019,
        0.4,
        {"sulphate": 0.1},
        "测试",
    )
    scope = resolve_scope(hunan_store.stations(), area="冷水滩区中心城区")
    doc = roadmap(db, SYSTEM, plan, hunan_store, scope, INVENTORY, 2020, month="2019-12")
    base = progress(hunan_store, scope, dt.date(2019, 12, 31))["targets"][0]["ytd"]
    assert doc["base_concentration"] == round(base, 1)
    assert doc["basis"] == "inventory"
    assert doc["apportionment"] == "测试-清单法"
    # Local primary 1 − 0.4 − 0.1 = 0.5 of C₀ over 400 t PM2.5: w = 0.5·C₀/400 per t.
    # Sweeping removes 200·0.125/0.70 t; coal 40 t PM2.5 and 400 t SO2 (sulphate 0.1·C₀ over 1000 t).
    w_primary, w_so2 = 0.5 * base / 400, 0.1 * base / 1000
    sweeping = 200 * 0.125 / 0.70 * w_primary
    coal = 40 * w_primary + 400 * w_so2
    assert doc["planned_change"] == pytest.approx(-(sweeping + coal), abs=1e-3)
    assert doc["after_planned"] == pytest.approx(base - sweeping - coal, abs=0.01)
    assert doc["residual_gap"] == pytest.approx(max(base - sweeping - coal - 35, 0), abs=0.01)
    ranked = [(r["measure"], r["ugm3_per_cost"]) for r in doc["measures"]]
    assert ranked == [
        (2, pytest.approx(sweeping / 500, abs=1e-5)),
        (16, pytest.approx(coal / 2000, abs=1e-5)),
    ]
    assert doc["monthly"][0]["month"] == "2019-02"
    assert doc["monthly"][-1]["observed_ytd"] == base
    assert not doc["weather_normalised"]


def test_no_apportionment_no_roadmap(db, hunan_store):
    scope = resolve_scope(hunan_store.stations(), area="冷水滩区中心城区")
    with pytest.raises(LedgerValueError, match="apportionment"):
        roadmap(db, SYSTEM, get_plan(db), hunan_store, scope, INVENTORY, 2020, monthly=False)
