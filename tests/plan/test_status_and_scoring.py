"""Red/amber/green and year-end scores: pure functions, checked at their boundaries under the
bundled default rule set (``data/rules.toml``: amber_behind 0.10, red_behind 0.30, due_soon_days
30; weights 20/50/30; grades 90/80/60)."""

from __future__ import annotations

import datetime as dt

import pytest

from lantian.plan.errors import LedgerValueError
from lantian.plan.months import due_date, months_between, next_month, parse_month, previous_month
from lantian.plan.rules import bundled_scoring_rules, validate_scoring_rules
from lantian.plan.scoring import UnitYear, score
from lantian.plan.status import TaskFacts, rag

RULES = bundled_scoring_rules()["lantian-default"]
START, DEADLINE = dt.date(2019, 1, 1), dt.date(2019, 12, 31)  # 364 days
HALF = START + dt.timedelta(days=182)  # exactly half the time elapsed


def facts(**change) -> TaskFacts:
    values = dict(
        start=START,
        deadline=DEADLINE,
        comparison=">=",
        target_value=20,
        quantity=None,
        status="in_progress",
    )
    values.update(change)
    return TaskFacts(**values)


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        (10, "green"),  # 50 % done at 50 % of the time
        (8, "green"),  # lag 0.10 exactly: not more than amber_behind
        (7.9, "amber"),  # lag 0.105
        (4, "amber"),  # lag 0.30 exactly: not more than red_behind
        (3.9, "red"),  # lag 0.305
        (None, "red"),  # nothing reported at half time
    ],
)
def test_progress_lag_boundaries(quantity, expected):
    assert rag(facts(quantity=quantity), HALF, RULES["rag"])[0] == expected


@pytest.mark.parametrize(
    ("change", "as_of", "expected", "reason"),
    [
        (
            {"status": "completed", "quantity": 20},
            DEADLINE + dt.timedelta(days=9),
            "green",
            "已完成",
        ),
        (
            {"status": "completed", "quantity": 19},
            DEADLINE + dt.timedelta(days=1),
            "red",
            "超过完成时限",
        ),
        ({"quantity": 20}, DEADLINE, "amber", "临近完成时限"),  # not reported completed
        ({"quantity": 20}, DEADLINE + dt.timedelta(days=1), "red", "超过完成时限"),
        ({"status": "blocked", "quantity": 10}, HALF, "red", "受阻"),
        ({"quantity": 10, "milestones_overdue": 1}, HALF, "amber", "节点逾期"),
        ({"quantity": 10, "report_missing": True}, HALF, "amber", "未报送"),
        ({"quantity": 19}, DEADLINE - dt.timedelta(days=30), "amber", "临近"),
        ({"quantity": 19}, DEADLINE - dt.timedelta(days=31), "green", "正常"),
        ({"comparison": "<=", "target_value": 0, "quantity": 1}, HALF, "red", "超过控制目标"),
        (
            {"comparison": "<=", "target_value": 0, "quantity": 0, "deadline": None},
            HALF,
            "green",
            "正常",
        ),
        ({"comparison": None, "target_value": None, "deadline": None}, HALF, "green", "正常"),
    ],
)
def test_rules_in_order(change, as_of, expected, reason):
    colour, why = rag(facts(**change), as_of, RULES["rag"])
    assert colour == expected
    assert reason in why


def test_score_worked_example():
    # reporting 9 of 10 on time → 18 of 20; progress green, amber, red → 0.5 × 50 = 25;
    # targets 1.0 and 0.5 → 0.75 × 30 = 22.5; one interview −5, one overdue case −2.
    year = UnitYear(
        reports_due=10,
        reports_on_time=9,
        task_colours=["green", "amber", "red"],
        target_shares=[1.2, 0.5],  # capped at 1
        supervision_steps={"interview": 1, "inspect": 3},
        cases_overdue=1,
    )
    result = score(year, RULES["scoring"])
    assert result["points"] == {"reporting": 18.0, "progress": 25.0, "targets": 22.5}
    assert result["deduction"] == 7
    assert result["score"] == 58.5
    assert result["grade"] == "不合格"


def test_missing_components_give_their_weight_to_the_others():
    # no quantified target: reporting and progress are scaled from 70 to 100 points
    year = UnitYear(reports_due=4, reports_on_time=4, task_colours=["green"], target_shares=[])
    result = score(year, RULES["scoring"])
    assert result["score"] == 100.0
    assert result["points"]["targets"] is None


@pytest.mark.parametrize(
    ("deductions", "expected"), [(0, "优秀"), (10, "优秀"), (11, "良好"), (40, "合格")]
)
def test_grade_bands_and_the_deduction_cap(deductions, expected):
    year = UnitYear(
        reports_due=1,
        reports_on_time=1,
        task_colours=["green"],
        target_shares=[1.0],
        supervision_steps={"assign": deductions},
    )
    result = score(year, RULES["scoring"])
    assert result["deduction"] == min(deductions, RULES["scoring"]["max_deduction"])
    assert result["grade"] == expected


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("scoring", "weights", "targets"), 31),  # weights no longer add up to 100
        (("rag", "amber_behind"), 0.5),  # amber above red
        (("reporting", "report_due_day"), 31),
        (("scoring", "deductions", "scolding"), 1),
    ],
)
def test_invalid_rule_sets_are_refused(path, value):
    import copy

    rules = copy.deepcopy(RULES)
    target = rules
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(LedgerValueError):
        validate_scoring_rules(rules)


def test_months():
    assert (
        parse_month("2019年3月")
        == parse_month("2019/3")
        == parse_month(dt.date(2019, 3, 9))
        == "2019-03"
    )
    assert next_month("2019-12") == "2020-01"
    assert previous_month("2020-01") == "2019-12"
    assert months_between("2019-11", "2020-02") == ["2019-11", "2019-12", "2020-01", "2020-02"]
    assert due_date("2019-12", 5) == dt.date(2020, 1, 5)
    with pytest.raises(LedgerValueError):
        parse_month("2019-00")
