"""The audit log: every change the services flush is written to ``audit_log`` with who, when, what
entity, and its values before and after (JSON), in the same transaction as the change.

The services set the acting user on the session (:func:`act`); a flush that changes an audited
table without an actor is refused. ``audit_log`` is append-only: the ORM refuses to update or delete
its rows and the migration installs database triggers that refuse it too (SQLite and PostgreSQL).
Login records (``login_sessions``, ``login_attempts``) are logs of their own and not repeated here;
password hashes are masked.

Tampering is also made *evident* to someone who can drop the triggers (a database administrator):
the rows form a hash chain. Each row stores the SHA-256 of the row before it (``previous_hash``, the
first row's is 64 zeros) and its own, ``row_hash`` = SHA-256(``previous_hash`` ‖ canonical JSON of
its content). Writers append under a lock (SQLite: the database's write lock, which the flush
holds; PostgreSQL: a transaction-scoped advisory lock), so the chain never forks.
:func:`verify_chain` (``lantian audit verify``) recomputes it and reports the first broken link; an
edited, inserted or deleted row breaks the chain there. Removing rows *from the end* leaves a valid
shorter chain: keep the head hash that ``verify`` prints somewhere else (e.g. in the monthly
minutes) to notice that too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event, inspect, select, text, update
from sqlalchemy.orm import Session

from lantian.plan.access import Actor
from lantian.plan.errors import LedgerPermissionError
from lantian.plan.models import AuditEntry, Base
from lantian.times import utc_now

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
        "at": utc_now(),
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
    connection = db.connection()
    previous = chain_head(connection)
    for row in rows:
        row["previous_hash"] = previous
        row["row_hash"] = previous = row_digest(previous, row)
    connection.execute(AuditEntry.__table__.insert(), rows)


GENESIS = "0" * 64
"""The ``previous_hash`` of the first row."""
CHAINED = ("at", "user_id", "user_name", "action", "entity", "entity_id", "before", "after")
"""The columns a row's hash covers (all but ``id`` and the hashes themselves)."""
_LOCK = 0x4C414E5449414E  # "LANTIAN": the advisory lock of PostgreSQL's audit writers


def _canonical(value: Any) -> Any:
    """``value`` as the database gives it back (JSON, keys as text, the engine's serialiser)."""
    return json.loads(json.dumps(value, ensure_ascii=False, sort_keys=True))


def row_digest(previous: str, row: Mapping[str, Any]) -> str:
    """The SHA-256 (hex) of ``previous`` and the chained content of ``row``."""
    at = row["at"].astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds")
    content = {key: _canonical(row[key]) for key in CHAINED if key != "at"}
    content["at"] = at
    body = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((previous + body).encode("utf-8")).hexdigest()


def chain_head(connection: Connection) -> str:
    """The last row's hash (:data:`GENESIS` for an empty log), taken under the writers' lock."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
    table = AuditEntry.__table__
    last = connection.scalar(select(table.c.row_hash).order_by(table.c.id.desc()).limit(1))
    return last or GENESIS


@dataclass(frozen=True)
class ChainCheck:
    """What :func:`verify_chain` found: rows checked, the head hash, the first broken link."""

    rows: int
    head: str
    broken_id: int | None = None
    reason: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def _rows(connection: Connection):
    table = AuditEntry.__table__
    query = select(table).order_by(table.c.id).execution_options(yield_per=1000)
    return connection.execute(query).mappings()


def verify_chain(connection: Connection) -> ChainCheck:
    """Recompute the audit log's hash chain in id order; the first row whose link is broken."""
    previous, count = GENESIS, 0
    for row in _rows(connection):
        if row["previous_hash"] != previous:
            reason = "previous_hash is not the hash of the row before: a row was removed or changed"
            return ChainCheck(count, previous, row["id"], reason)
        if row["row_hash"] != row_digest(previous, row):
            return ChainCheck(count, previous, row["id"], "the row's content was changed")
        previous, count = row["row_hash"], count + 1
    return ChainCheck(count, previous)


def chain_existing(connection: Connection) -> None:
    """Write the hashes of rows logged before the chain existed (the migration that adds it)."""
    table = AuditEntry.__table__
    previous = GENESIS
    for row in list(_rows(connection)):
        digest = row_digest(previous, row)
        connection.execute(
            update(table)
            .where(table.c.id == row["id"])
            .values(previous_hash=previous, row_hash=digest)
        )
        previous = digest
