"""The audit log: every change is recorded with who, when, entity, before and after; the log itself
can be neither changed nor deleted, through the ORM or in raw SQL; a change without an actor is
refused."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from lantian.plan import reports
from lantian.plan.errors import LedgerPermissionError
from lantian.plan.models import AuditEntry, Unit

from .helpers import NOW, task_of


def _entries(db, entity: str) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.entity == entity).order_by(AuditEntry.id)
    return list(db.scalars(query))


def test_filing_and_editing_are_recorded_with_before_and_after(db, actors):
    task = task_of(db, "区环保局", 11, "discharge-permits")
    report = reports.file_report(db, actors["hb"], task.id, "2019-03", "in_progress", 6, now=NOW)
    reports.update_report(db, actors["hb"], report.id, quantity=8, now=NOW)
    db.commit()
    created, updated = _entries(db, "reports")
    assert (created.action, created.user_name, created.user_id) == ("create", "hb", actors["hb"].id)
    assert created.before is None
    assert created.after["quantity"] == 6
    assert created.entity_id == str(report.id)
    assert updated.action == "update"
    assert (updated.before["quantity"], updated.after["quantity"]) == (6, 8)
    assert created.at <= updated.at


def test_locking_and_unlocking_are_recorded(db, actors):
    from lantian.plan.plans import get_plan

    reports.lock_month(db, actors["office"], get_plan(db), "2019-03")
    reports.unlock_month(db, actors["office"], get_plan(db), "2019-03")
    db.commit()
    actions = [(e.action, e.user_name) for e in _entries(db, "month_locks")]
    assert actions == [("create", "office"), ("delete", "office")]
    assert _entries(db, "month_locks")[1].before["month"] == "2019-03"


def test_password_hashes_are_masked(db, actors):
    from lantian.plan.auth import add_user

    add_user(db, actors["office"], "new", "leader", "a long password")
    db.commit()
    entry = _entries(db, "users")[-1]
    assert entry.after["password_hash"] == "***"
    assert "a long password" not in str(entry.after)


def test_the_orm_refuses_to_change_or_delete_the_log(db, actors):
    entry = db.scalars(select(AuditEntry)).first()
    entry.user_name = "someone else"
    with pytest.raises(LedgerPermissionError, match="append-only"):
        db.flush()
    db.rollback()
    db.delete(db.scalars(select(AuditEntry)).first())
    with pytest.raises(LedgerPermissionError, match="append-only"):
        db.flush()
    db.rollback()


@pytest.mark.parametrize(
    "statement", ["UPDATE audit_log SET user_name = 'x'", "DELETE FROM audit_log"]
)
def test_the_database_refuses_to_change_or_delete_the_log(db, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(text(statement))
    db.rollback()
    assert db.scalars(select(AuditEntry.user_name)).all()


def test_a_change_without_an_actor_is_refused(db):
    db.info.pop("actor", None)
    db.add(Unit(name="无名单位", kind="department"))
    with pytest.raises(LedgerPermissionError, match="without an actor"):
        db.flush()
    db.rollback()
    assert db.scalar(select(Unit).where(Unit.name == "无名单位")) is None
