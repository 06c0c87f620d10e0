"""The audit log: every change the services flush is written to ``audit_log`` with who, when, what
entity, and its values before and after (JSON), in the same transaction as the change.

The services set the acting user on the session (:func:`act`); a flush that changes an audited
table without an actor is refused. ``audit_log`` is append-only: the ORM refuses to update or delete
its rows and the migration installs database triggers that refuse it too (SQLite and PostgreSQL).
Login records (``login_sessions``, ``login_attempts``) are logs of their own and not repeated here;
password hashes are masked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from lantian.plan.access import Actor
from lantian.plan.errors import LedgerPermissionError
from lantian.plan.models import AuditEntry, Base, utcnow

NOT_AUDITED = frozenset({"audit_log", "login_sessions", "login_attempts"})
MASKED = frozenset({"password_hash", "token_hash", "csrf_token"})


class LedgerSession(Session):
    """The ledger's session class: its flushes write the audit log."""


def act(db: Session, actor: Actor) -> None:
    """Make ``actor`` the author of the changes that ``db`` flushes from now on."""
    if db.info.get("actor") not in (None, actor):
        db.flush()
    db.info["actor"] = actor


def _json(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _snapshot(obj: Base, *, before: bool) -> dict[str, Any]:
    state = inspect(obj)
    values = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if before and history.deleted:
            value = history.deleted[0]
        elif before and history.unchanged:
            value = history.unchanged[0]
        else:
            value = getattr(obj, attr.key)
        values[attr.key] = "***" if attr.key in MASKED and value is not None else _json(value)
    return values


def _entry(actor: Actor, action: str, obj: Base, before, after) -> dict[str, Any]:
    return {
        "at": utcnow(),
        "user_id": actor.id,
        "user_name": actor.name,
        "action": action,
        "entity": obj.__tablename__,
        "entity_id": ",".join(str(k) for k in inspect(obj).mapper.primary_key_from_instance(obj)),
        "before": before,
        "after": after,
    }


@event.listens_for(LedgerSession, "before_flush")
def _refuse_audit_changes(db: Session, flush_context, instances) -> None:
    for obj in (*db.dirty, *db.deleted):
        if isinstance(obj, AuditEntry):
            raise LedgerPermissionError(
                "审计日志只能追加，不能修改或删除", "the audit log is append-only", "audit_log"
            )


@event.listens_for(LedgerSession, "after_flush")
def _write_audit(db: Session, flush_context) -> None:
    changes = []
    for obj in db.new:
        changes.append(("create", obj, None, _snapshot(obj, before=False)))
    for obj in db.dirty:
        if db.is_modified(obj, include_collections=False):
            changes.append(
                ("update", obj, _snapshot(obj, before=True), _snapshot(obj, before=False))
            )
    for obj in db.deleted:
        changes.append(("delete", obj, _snapshot(obj, before=True), None))
    changes = [c for c in changes if c[1].__tablename__ not in NOT_AUDITED]
    if not changes:
        return
    actor = db.info.get("actor")
    if actor is None:
        raise LedgerPermissionError(
            "未指明操作人的修改被拒绝（审计日志须记录操作人）",
            "a change without an actor is refused (the audit log names who made it)",
            "actor",
        )
    rows = [_entry(actor, *change) for change in changes]
    db.connection().execute(AuditEntry.__table__.insert(), rows)
