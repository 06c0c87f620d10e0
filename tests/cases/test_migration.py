"""Revision 0005 moves the ledger's supervision items into ``cases`` (same ids, their steps made),
on SQLite and PostgreSQL, and back on downgrade."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import text

from lantian.cases import service
from lantian.plan.database import _alembic_config, transaction, upgrade
from lantian.plan.models import Case
from lantian.plan.plans import get_unit
from tests.web_ledger.helpers import actor


def _insert_supervisions(engine) -> None:
    with engine.begin() as connection:
        unit = connection.scalar(text("SELECT id FROM units WHERE name = '区住建局'"))
        office = connection.scalar(text("SELECT id FROM users WHERE name = 'office'"))
        for id_, closed in ((7, None), (8, dt.date(2019, 6, 1))):
            connection.execute(
                text(
                    'INSERT INTO supervisions (id, plan_id, step, unit_id, "on", finding, '
                    "follow_up_deadline, closed_on, closure, recorded_by) VALUES "
                    "(:id, 1, 'interview', :unit, :on, '裸土未覆盖', :due, :closed, :closure, :by)"
                ),
                {
                    "id": id_, "unit": unit, "on": dt.date(2019, 5, 10), "due": dt.date(2019, 6, 10),
                    "closed": closed, "closure": "已覆盖" if closed else None, "by": office,
                },
            )  # fmt: skip


def test_supervisions_become_cases_and_back(engine):
    with engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0007_planning")
    _insert_supervisions(engine)
    upgrade(engine)
    with transaction(engine) as db:
        open_item, closed_item = db.get(Case, 7), db.get(Case, 8)
        assert open_item.origin == "supervision"
        assert open_item.status == "dispatched"
        assert open_item.escalation == "interview"
        assert open_item.opened_on == dt.date(2019, 5, 10)
        assert open_item.deadline == dt.date(2019, 6, 10)
        assert open_item.description == "裸土未覆盖"
        assert open_item.unit.name == "区住建局"
        assert [s.action for s in open_item.steps] == ["open"]
        assert open_item.steps[0].user_name == "office"
        assert closed_item.status == "closed"
        assert [s.action for s in closed_item.steps] == ["open", "close"]
        # a new case gets a fresh id (PostgreSQL's sequence moved past the copied ids)
        new = service.open_case(
            db, actor(db, "office"), "inspection", "巡查", unit=get_unit(db, "区住建局")
        )
        assert new.id > 8
    with engine.begin() as connection:
        command.downgrade(_alembic_config(connection), "0007_planning")
        rows = connection.execute(text("SELECT id, step FROM supervisions ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(7, "interview"), (8, "interview")]
    upgrade(engine)
