"""The audit log against a database user who goes around the services (issue #11 item 5), on
SQLite and PostgreSQL: UPDATE, DELETE, REPLACE (SQLite's insert-over-an-existing-id) and
``INSERT … ON CONFLICT DO UPDATE`` are refused by the database; the rows form a hash chain that
``lantian audit verify`` (a real subprocess) checks — and someone who drops the triggers and edits
or removes a row is caught, at that row."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from lantian.plan.access import SYSTEM
from lantian.plan.audit import GENESIS, verify_chain
from lantian.plan.auth import add_user
from lantian.plan.database import transaction
from lantian.plan.models import AuditEntry
from tests.ledger_users import PASSWORD

COLUMNS = "id, at, user_id, user_name, action, entity, entity_id, before, after"
FORGED = "id, at, user_id, 'forger', action, entity, entity_id, before, after"
FIRST = "(SELECT min(id) FROM audit_log)"
REWRITES = {
    "update": "UPDATE audit_log SET user_name = 'forger'",
    "delete": f"DELETE FROM audit_log WHERE id = {FIRST}",
    "replace": {
        "sqlite": f"INSERT OR REPLACE INTO audit_log ({COLUMNS}) "
        f"SELECT {FORGED} FROM audit_log WHERE id = {FIRST}",
        # PostgreSQL has no REPLACE; its nearest is an insert naming an existing id
        "postgresql": f"INSERT INTO audit_log ({COLUMNS}) "
        f"SELECT {FORGED} FROM audit_log WHERE id = {FIRST}",
    },
    "upsert": f"INSERT INTO audit_log ({COLUMNS}) SELECT {FORGED} FROM audit_log "
    f"WHERE id = {FIRST} ON CONFLICT (id) DO UPDATE SET user_name = excluded.user_name",
}


def _statement(kind: str, dialect: str) -> str:
    statement = REWRITES[kind]
    return statement[dialect] if isinstance(statement, dict) else statement


@pytest.mark.parametrize("kind", REWRITES)
def test_the_database_refuses_every_rewrite(engine, kind):
    with engine.connect() as connection:
        before = connection.execute(select(AuditEntry.__table__)).all()
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text(_statement(kind, engine.dialect.name)))
        connection.rollback()
        assert connection.execute(select(AuditEntry.__table__)).all() == before
        assert verify_chain(connection).intact


def test_the_seeded_ledger_is_one_intact_chain(engine):
    with engine.connect() as connection:
        check = verify_chain(connection)
        count = connection.scalar(select(func.count()).select_from(AuditEntry))
        first = connection.execute(select(AuditEntry.__table__).order_by(AuditEntry.id)).first()
    assert check.intact
    assert check.rows == count > 100
    assert first.previous_hash == GENESIS
    assert check.head != GENESIS


def test_concurrent_writers_keep_one_chain(engine):
    def add(index: int) -> None:
        with transaction(engine) as db:
            add_user(db, SYSTEM, f"concurrent{index}", "leader", PASSWORD)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with engine.connect() as connection:
        assert verify_chain(connection).intact


def verify() -> subprocess.CompletedProcess:
    """``lantian audit verify --format json`` on the ledger of LANTIAN_DATABASE_URL."""
    return subprocess.run(
        [sys.executable, "-m", "lantian", "audit", "verify", "--format", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "250"},
        timeout=120,
    )


DROP_TRIGGERS = {
    "sqlite": [
        "DROP TRIGGER audit_log_no_update",
        "DROP TRIGGER audit_log_no_delete",
        "DROP TRIGGER audit_log_no_replace",
    ],
    "postgresql": [
        "DROP TRIGGER audit_log_append_only ON audit_log",
        "DROP TRIGGER audit_log_no_replace ON audit_log",
    ],
}
TAMPERING = {
    "edit": ("UPDATE audit_log SET after = NULL WHERE id = :id", 0),
    "delete": ("DELETE FROM audit_log WHERE id = :id", 1),
}


@pytest.mark.parametrize("tampering", TAMPERING)
def test_verify_catches_an_edit_made_with_the_triggers_dropped(engine, tampering):
    done = verify()
    assert done.returncode == 0, done.stderr
    intact = json.loads(done.stdout)
    assert intact["intact"]
    assert intact["broken_id"] is None
    statement, shift = TAMPERING[tampering]
    with engine.begin() as connection:
        ids = connection.scalars(select(AuditEntry.id).order_by(AuditEntry.id)).all()
        target = ids[len(ids) // 2]
        for drop in DROP_TRIGGERS[engine.dialect.name]:
            connection.execute(text(drop))
        connection.execute(text(statement), {"id": target})
    done = verify()
    assert done.returncode == 1
    found = json.loads(done.stdout)
    assert found["intact"] is False
    assert found["broken_id"] == ids[ids.index(target) + shift]  # the edited row, or the next
    assert found["rows"] == ids.index(target)
