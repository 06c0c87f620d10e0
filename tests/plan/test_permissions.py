"""Every role against every write action: allowed ones succeed and are audited, refused ones raise
a PermissionError naming the field and store nothing (not even an audit entry).

The expected table is written out here from the issue's rules, not derived from
``lantian.plan.access.PERMISSIONS``: office manages the plan, reviews, locks, supervises and
assesses; a unit reporter files and edits its own unit's reports; a leader reads; a stranger (a
role that does not exist) can do nothing; ``system`` is the server's CLI (plan and users).
"""

from __future__ import annotations

import copy
import datetime as dt

import pytest

from lantian.plan import auth, plans, reports, rules, supervision
from lantian.plan.access import Actor
from lantian.plan.appraisal import record_assessment
from lantian.plan.errors import ImportRejectedError, LedgerPermissionError
from lantian.plan.xlsx import import_reports

from .helpers import NOW, audit_count, report_workbook, task_of

ROLES = ["office", "leader", "hb", "zj", "system", "stranger"]
PLAN_ADMIN = {"office", "system"}
EXPECTED = {
    "store_plan": PLAN_ADMIN,
    "add_unit": PLAN_ADMIN,
    "add_task": PLAN_ADMIN,
    "update_task": PLAN_ADMIN,
    "add_milestone": PLAN_ADMIN,
    "complete_milestone": PLAN_ADMIN,
    "save_scoring_rules": PLAN_ADMIN,
    "file_report": {"hb"},
    "update_report": {"hb"},
    "attach_evidence": {"hb"},
    "import_reports": {"hb"},
    "review_report": {"office"},
    "lock_month": {"office"},
    "unlock_month": {"office"},
    "record_supervision": {"office"},
    "close_supervision": {"office"},
    "record_assessment": {"office"},
    "add_user": PLAN_ADMIN,
    "set_password": PLAN_ADMIN,
    "set_active": PLAN_ADMIN,
}


@pytest.fixture
def world(db, actors):
    """A filed report of 区环保局 (reporter hb), a locked month, an open supervision, a milestone."""
    office, hb = actors["office"], actors["hb"]
    plan = plans.get_plan(db)
    task = task_of(db, "区环保局", 11, "discharge-permits")
    report = reports.file_report(
        db, hb, task.id, "2019-03", "in_progress", 5, "已核发5个行业", now=NOW
    )
    reports.lock_month(db, office, plan, "2019-02")
    action = supervision.record_supervision(
        db, office, plan, "assign", task.unit, dt.date(2019, 4, 2), "进度滞后", dt.date(2019, 5, 1)
    )
    milestone = plans.add_milestone(db, office, task, "完成10个行业", dt.date(2019, 6, 30), 10)
    auth.add_user(db, office, "jd", "reporter", "街道的密码123", unit="街道")
    db.commit()
    return {
        "plan": plan,
        "task": task,
        "report": report,
        "supervision": action,
        "milestone": milestone,
        "actors": {**actors, "stranger": Actor(999, "x", "guest")},
    }


def _small_plan():
    data = copy.deepcopy(plans.example_plan_data())
    data["plan"]["code"] = "copy-2020"
    data["measures"] = data["measures"][:2]
    return data


ACTIONS = {
    "store_plan": lambda db, a, w: plans.store_plan(db, a, _small_plan()),
    "add_unit": lambda db, a, w: plans.add_unit(db, a, "岚角山街道", "subdistrict"),
    "add_task": lambda db, a, w: plans.add_task(
        db, a, w["task"].measure, plans.get_unit(db, "街道"), "街道协助核查", role="participate"
    ),
    "update_task": lambda db, a, w: plans.update_task(db, a, w["task"], target_value=25),
    "add_milestone": lambda db, a, w: plans.add_milestone(
        db, a, w["task"], "完成15个行业", dt.date(2019, 9, 30), 15
    ),
    "complete_milestone": lambda db, a, w: plans.complete_milestone(
        db, a, w["milestone"].id, dt.date(2019, 6, 20)
    ),
    "save_scoring_rules": lambda db, a, w: rules.save_scoring_rules(
        db, a, "district-2019", rules.bundled_scoring_rules()["lantian-default"], "区考核办法"
    ),
    "file_report": lambda db, a, w: reports.file_report(
        db, a, w["task"].id, "2019-04", "in_progress", 8, "已核发8个行业", now=NOW
    ),
    "update_report": lambda db, a, w: reports.update_report(
        db, a, w["report"].id, quantity=6, now=NOW
    ),
    "attach_evidence": lambda db, a, w: reports.attach_evidence(
        db, a, w["report"].id, "核发清单.pdf", b"%PDF-1.4 list"
    ),
    "import_reports": lambda db, a, w: import_reports(
        db,
        a,
        report_workbook(
            [
                {
                    "task_id": w["task"].id,
                    "month": "2019-05",
                    "status": "推进中",
                    "quantity": 9,
                    "quantity_unit": "个行业",
                }
            ]
        ),
        now=NOW,
    ),
    "review_report": lambda db, a, w: reports.review_report(db, a, w["report"].id, "accepted"),
    "lock_month": lambda db, a, w: reports.lock_month(db, a, w["plan"], "2019-03"),
    "unlock_month": lambda db, a, w: reports.unlock_month(db, a, w["plan"], "2019-02"),
    "record_supervision": lambda db, a, w: supervision.record_supervision(
        db, a, w["plan"], "interview", w["task"].unit, dt.date(2019, 6, 1), "再次滞后"
    ),
    "close_supervision": lambda db, a, w: supervision.close_supervision(
        db, a, w["supervision"].id, dt.date(2019, 4, 28), "已整改"
    ),
    "record_assessment": lambda db, a, w: record_assessment(
        db, a, w["plan"], 2019, as_of=dt.date(2020, 1, 5)
    ),
    "add_user": lambda db, a, w: auth.add_user(db, a, "newcomer", "leader", "long enough pw"),
    "set_password": lambda db, a, w: auth.set_password(db, a, "jd", "another long pw"),
    "set_active": lambda db, a, w: auth.set_active(db, a, "jd", False),
}


def test_every_action_is_in_the_table():
    assert set(ACTIONS) == set(EXPECTED)


ALLOWED = sorted((action, role) for action, roles in EXPECTED.items() for role in roles)


@pytest.mark.parametrize(("action", "role"), ALLOWED)
def test_allowed(db, world, action, role):
    before = audit_count(db)
    ACTIONS[action](db, world["actors"][role], world)
    db.commit()
    assert audit_count(db) > before, "an allowed change must be audited"


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_refused(db, world, action):
    """Every other role is refused, with a message naming the field, and nothing is stored."""
    before = audit_count(db)
    for role in sorted(set(ROLES) - EXPECTED[action]):
        expected = LedgerPermissionError
        if action == "import_reports" and role == "zj":
            expected = ImportRejectedError  # the workbook's row names another unit's task
        with pytest.raises(expected) as caught:
            ACTIONS[action](db, world["actors"][role], world)
        db.rollback()
        assert audit_count(db) == before, role
        if expected is LedgerPermissionError:
            assert caught.value.field in {"role", "unit"}, role
            assert " / " in str(caught.value)  # Chinese / English
        else:
            assert caught.value.errors[0].column == "责任单位"


def test_a_user_may_change_their_own_password(db, actors):
    auth.set_password(db, actors["zj"], "zj", "my new long password")
    db.commit()
    assert auth.login(db, "zj", "my new long password").actor.name == "zj"
