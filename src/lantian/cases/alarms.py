"""Cases from the alarms (:mod:`lantian.alarms`): :func:`open_from_alarm` opens a case from one
alarm of a registered device, or appends a repeat to the open alarm case of its source (escalating
it at the rules' repeat counts); :func:`open_from_alarms` does so for a batch. Each origin that
opens cases on its own findings in bulk has a module like this one beside the workflow
(:mod:`.service`), whose :func:`~lantian.cases.service.open_case` and steps it calls.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from lantian.cases.rules import CaseRules, case_rules, escalates_on_repeat, next_step
from lantian.cases.service import MAX_TITLE, _escalate, _step, _today, open_case
from lantian.cases.workflow import OPEN_STATUSES
from lantian.plan.access import Actor
from lantian.plan.errors import LedgerValueError, NotFoundError
from lantian.plan.models import Case, CaseStep
from lantian.sources.models import RegisteredDevice

ALARM_EVALUATOR = Actor(id=None, name="alarms", role="system")
"""The actor the alarm evaluator opens cases as (the audit log names it ``alarms``)."""


@dataclass(frozen=True)
class AlarmOutcome:
    """What :func:`open_from_alarm` did: the case, and whether it was new, appended to, escalated,
    or the alarm was already recorded (``duplicate``) or below the rules' levels (``case`` None)."""

    case: Case | None
    opened: bool = False
    appended: bool = False
    escalated: bool = False
    duplicate: bool = False


def _alarm_title(alarm: Mapping[str, Any], where: str) -> str:
    value, limit = alarm.get("value"), alarm.get("limit")
    figures = (
        f" {value:g}（限值 {limit:g}）"
        if isinstance(value, float) and isinstance(limit, float)
        else ""
    )
    return f"{where} {alarm.get('pollutant') or ''}{alarm.get('level') or '报警'}{figures}"[
        :MAX_TITLE
    ]


def _json_ready(alarm: Mapping[str, Any]) -> dict[str, Any]:
    keep = (
        "alarm_id",
        "rule_id",
        "kind",
        "level",
        "mn",
        "pollutant",
        "ts",
        "window",
        "occurrence",
        "value",
        "limit",
        "background",
        "citation",
    )
    out = {}
    for key in keep:
        value = alarm.get(key)
        out[key] = value.isoformat() if isinstance(value, dt.date | dt.datetime) else value
    return out


_ALARM_LOCK = 0x4C54434153  # "LTCAS": PostgreSQL's advisory lock of the alarm cases' writers


def _one_writer(db: Session) -> None:
    """Serialise the writers of alarm cases until the transaction ends, so that two evaluators (or
    workers) never both open a case for one source or record one alarm twice: PostgreSQL by a
    transaction-scoped advisory lock, SQLite by taking the database's write lock now (a write that
    changes nothing) — before the lookups below, whose answers then hold until the commit."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ALARM_LOCK})
    else:
        db.execute(text("UPDATE cases SET id = id WHERE 1 = 0"))


def open_from_alarm(
    db: Session,
    alarm: Mapping[str, Any],
    actor: Actor = ALARM_EVALUATOR,
    now: dt.datetime | None = None,
) -> AlarmOutcome:
    """Open a case from one alarm, or append it to the open alarm case of the same source.

    ``alarm`` is one row of :data:`lantian.alarms.evaluate.ALARM_SCHEMA` as a mapping (keys
    ``alarm_id``, ``mn``, ``level``, ``rule_id``, ``pollutant``, ``ts``, ``value``, ``limit``,
    ``citation`` …; only ``alarm_id`` and ``mn`` are required). Call it inside
    ``lantian.plan.database.transaction(engine)``; it flushes, the transaction commits.

    * an alarm already recorded (its ``alarm_id`` on a case or a step) changes nothing
      (``duplicate``): rescans and the incremental evaluator may call it again;
    * a level not in the rules' ``alarms.levels`` opens nothing (``case`` None);
    * the device (``mn``) is looked up in the registry; its source (or, without one, the device
      itself, by ``mn``) is what the case is on; the responsible unit comes from the source;
    * an open case of origin ``alarm`` on the same source gets the alarm appended (``occurrences``
      + 1, a step whose ``ref`` is the ``alarm_id``: its facts stay in the alarm store), and
      reaching a count of ``escalation.repeat_thresholds`` escalates it one step;
    * a new case keeps the opening alarm's facts in ``details["alarm"]`` and the device's ``mn``;
    * else a new case (待派发) is opened, for the office to dispatch.
    """
    rules = case_rules()
    alarm_id, mn = str(alarm.get("alarm_id") or "").strip(), str(alarm.get("mn") or "").strip()
    if not alarm_id or not mn:
        raise LedgerValueError("报警须有 alarm_id 和 mn", "an alarm needs alarm_id and mn", "alarm")
    if alarm.get("level") and alarm["level"] not in rules.alarm_levels:
        return AlarmOutcome(None)
    _one_writer(db)
    known = db.scalar(select(CaseStep).where(CaseStep.ref == alarm_id).limit(1))
    if known is not None:
        return AlarmOutcome(known.case, duplicate=True)
    device = db.scalar(select(RegisteredDevice).where(RegisteredDevice.mn == mn))
    if device is None:
        raise NotFoundError(f"登记中没有设备 {mn}", f"no registered device {mn!r}", "mn")
    facts = _json_ready(alarm)
    query = select(Case).where(Case.origin == "alarm", Case.status.in_(OPEN_STATUSES))
    if device.source_id is not None:
        query = query.where(Case.source_id == device.source_id)
    else:
        query = query.where(Case.source_id.is_(None), Case.details["mn"].as_string() == mn)
    case = db.scalar(query.order_by(Case.id.desc()).limit(1))
    if case is not None and "alarm" in rules.append_origins:
        return _append_alarm(db, case, actor, alarm_id, facts, rules, now)
    where = device.source.name if device.source else device.name
    opened = open_case(
        db,
        actor,
        "alarm",
        _alarm_title(alarm, where),
        description=str(alarm.get("citation") or ""),
        source=device.source_id,
        longitude=None if device.source_id else device.longitude,
        latitude=None if device.source_id else device.latitude,
        origin_ref=alarm_id,
        details={"alarm": facts, "mn": mn},
        now=now,
    )
    return AlarmOutcome(opened, opened=True)


def open_from_alarms(
    db: Session,
    alarms: Iterable[Mapping[str, Any]],
    actor: Actor = ALARM_EVALUATOR,
    now: dt.datetime | None = None,
) -> tuple[list[AlarmOutcome], list[str]]:
    """:func:`open_from_alarm` for each alarm in time order (e.g. ``table.to_pylist()`` of the
    alarm store): the outcomes, and the ``mn`` of alarms skipped because their device is not
    registered. Alarms are few (a handful a day per device), so one call each is cheap."""
    outcomes, unknown = [], []
    for alarm in sorted(alarms, key=lambda a: (str(a.get("ts") or ""), str(a.get("alarm_id")))):
        try:
            outcomes.append(open_from_alarm(db, alarm, actor, now))
        except NotFoundError as error:
            if error.field != "mn":
                raise
            unknown.append(str(alarm.get("mn")))
    return outcomes, unknown


def _append_alarm(
    db: Session,
    case: Case,
    actor: Actor,
    alarm_id: str,
    facts: dict[str, Any],
    rules: CaseRules,
    now: dt.datetime | None,
) -> AlarmOutcome:
    occurrences = case.occurrences + 1
    note = f"第 {occurrences} 次：{facts.get('level') or ''} {facts.get('pollutant') or ''}"
    _step(db, case, actor, "append", note.strip(), rules, ref=alarm_id)
    case.occurrences = occurrences  # the repeat's facts stay in the alarm store (step ``ref``)
    escalated = False
    if escalates_on_repeat(case.occurrences, rules):
        step = next_step(case.escalation, rules)
        if step is not None:
            reason = f"重复报警 {case.occurrences} 次"
            _escalate(db, case, actor, step, reason, rules, _today(now))
            escalated = True
    db.flush()
    return AlarmOutcome(case, appended=True, escalated=escalated)
