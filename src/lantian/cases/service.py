"""The case workflow at the database edge: each function checks who acts (:mod:`lantian.plan.access`),
takes the step the status machine allows (:mod:`.workflow`), records it as a :class:`CaseStep`
(who, when, what, the answer) and flushes inside the caller's transaction — the ledger's audit log
records every change with its author. The CLI, the API and the pages call these functions only.

Other modules open cases here: :func:`open_case` (complaints, inspections, truck violations),
:func:`lantian.cases.alarms.open_from_alarm` (the alarm evaluator),
:func:`lantian.plan.supervision.record_supervision` (the ledger's supervision items, origin
``supervision``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session, selectinload

from lantian.cases.calendar import national_calendar
from lantian.cases.rules import (
    CaseRules,
    case_rules,
    due_date,
    escalated_deadline,
    next_step,
    overdue,
    responsible_unit,
)
from lantian.cases.workflow import (
    ACTIONS,
    OPEN_STATUSES,
    ORIGINS,
    STATUSES,
    Action,
    transition,
)
from lantian.plan.access import PERMISSIONS, Actor, allowed, require
from lantian.plan.audit import act
from lantian.plan.errors import LedgerValueError, NotFoundError
from lantian.plan.models import Case, CaseStep, Evidence, Measure, Plan, Task, Unit
from lantian.plan.months import parse_day
from lantian.plan.plans import get_unit
from lantian.plan.reports import MAX_NARRATIVE, store_evidence
from lantian.plan.vocabulary import name_zh
from lantian.sources.models import Source
from lantian.times import beijing_date, utc_now

MAX_TITLE = 200
COLUMNS = {
    "case_id": "案件编号",
    "origin_zh": "来源",
    "title": "事由",
    "source_code": "污染源编号",
    "source_name": "污染源",
    "town": "乡镇（街道）",
    "unit": "责任单位",
    "status_zh": "状态",
    "escalation_zh": "督办层级",
    "opened_on": "立案日期",
    "deadline": "办理期限",
    "overdue": "逾期",
    "answered_on": "回复日期",
    "closed_on": "办结日期",
    "occurrences": "报告次数",
    "repeat_of": "重复（前案）",
}
"""A case row's fields → the offices' Chinese headers (CSV and xlsx of the CLI and the API)."""


def _today(now: dt.datetime | None) -> dt.date:
    return beijing_date(now or utc_now())


def _text(value: str | None, field: str, required: bool, limit: int = MAX_NARRATIVE) -> str:
    text = (value or "").strip()
    if required and not text:
        zh = {
            "note": "须写明说明",
            "reason": "须写明理由",
            "answer": "须写明办理情况",
            "closure": "须写明办结情况",
        }
        raise LedgerValueError(zh.get(field, f"须填写 {field}"), f"{field} is required", field)
    if len(text) > limit:
        raise LedgerValueError(f"不超过 {limit} 字", f"at most {limit} characters", field)
    return text


def get_case(db: Session, case_id: int) -> Case:
    """Case ``case_id``."""
    case = db.get(Case, case_id)
    if case is None:
        raise NotFoundError(f"没有案件 {case_id}", f"no case {case_id}", "case_id")
    return case


def _unit(db: Session, unit: str | int | Unit | None) -> Unit | None:
    if unit is None or isinstance(unit, Unit):
        return unit
    if isinstance(unit, int):
        found = db.get(Unit, unit)
        if found is None:
            raise NotFoundError(f"没有单位 {unit}", f"no unit {unit}", "unit")
        return found
    return get_unit(db, unit.strip())


def _source(db: Session, source: str | int | None) -> Source | None:
    if source is None or source == "":
        return None
    query = select(Source).where(
        Source.id == source if isinstance(source, int) else Source.code == str(source).strip()
    )
    found = db.scalar(query)
    if found is None:
        raise NotFoundError(
            f"登记中没有污染源“{source}”", f"no registered source {source!r}", "source"
        )
    return found


def check_step(case: Case, actor: Actor, action: str, rules: CaseRules | None = None) -> str:
    """Check ``actor`` may take ``action`` on ``case`` (the permission, with the case's unit) and
    that its status allows it; the status after it. Changes nothing: an action that stores
    something outside the database first (an evidence file) calls it before storing."""
    require(actor, ACTIONS[action].permission, unit_id=case.unit_id)
    if action == "open":
        return ACTIONS["open"].to_status or ""
    rules = rules or case_rules()
    return transition(case.status, action, case.origin, rules.direct_close)


def _step(
    db: Session,
    case: Case,
    actor: Actor,
    action: str,
    note: str = "",
    rules: CaseRules | None = None,
    **values: Any,
) -> CaseStep:
    """Check ``actor`` may take ``action`` on ``case``, move its status and record the step.

    Called before the action changes anything else on ``case``: :func:`lantian.plan.audit.act`
    flushes the changes pending under the previous actor first."""
    rules = rules or case_rules()
    after = check_step(case, actor, action, rules)
    act(db, actor)
    before = case.status
    case.status = after
    case.updated_at = utc_now()
    step = CaseStep(
        case=case,
        at=utc_now(),
        user_id=actor.id,
        user_name=actor.name,
        action=action,
        from_status=before,
        to_status=case.status,
        note=note,
        **values,
    )
    db.add(step)
    return step


def _repeat_of(
    db: Session, source_id: int | None, opened_on: dt.date, rules: CaseRules
) -> int | None:
    """The previous case on the source, if still open or closed within the repeat window."""
    if source_id is None:
        return None
    since = opened_on - dt.timedelta(days=rules.repeat_window_days)
    query = (
        select(Case.id)
        .where(Case.source_id == source_id)
        .where(or_(Case.status != "closed", Case.closed_on >= since))
        .order_by(Case.id.desc())
        .limit(1)
    )
    return db.scalar(query)


def open_case(
    db: Session,
    actor: Actor,
    origin: str,
    title: str,
    *,
    description: str = "",
    source: str | int | None = None,
    longitude: float | None = None,
    latitude: float | None = None,
    town: str | None = None,
    unit: str | int | Unit | None = None,
    origin_ref: str | None = None,
    details: dict[str, Any] | None = None,
    plan: Plan | None = None,
    measure: Measure | None = None,
    task: Task | None = None,
    escalation: str | None = None,
    opened_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """Open a case (待派发) of ``origin`` on a registered ``source`` (id or registry code) or a place.

    The responsible unit is ``unit`` if given, else the source's by the rules
    (:func:`lantian.cases.rules.responsible_unit`: the registry's unit, else by the source's kind),
    else none (the office chooses when it dispatches). A case on a source whose previous case is
    open or was closed within the rules' window is marked a repeat (``repeat_of``).
    """
    rules = case_rules()
    require(actor, "case.open")
    if origin not in ORIGINS:
        raise LedgerValueError(
            f"没有来源“{origin}”，有效来源：{'、'.join(f'{k}（{v}）' for k, v in ORIGINS.items())}",
            f"unknown origin {origin!r}; known: {', '.join(ORIGINS)}",
            "origin",
        )
    title = _text(title, "title", True, MAX_TITLE)
    found = _source(db, source)
    _check_position(longitude, latitude)
    chosen = _unit(db, unit)
    placed = found is not None or longitude is not None or (town or "").strip()
    if not placed and chosen is None and plan is None:
        raise LedgerValueError(
            "须指明污染源、地点（经纬度或乡镇）或责任单位",
            "a case needs a registered source, a place (longitude/latitude or town) or a unit",
            "source",
        )
    if chosen is None:
        name = responsible_unit(
            found.kind if found else None, found.responsible_unit if found else None, origin, rules
        )
        chosen = db.scalar(select(Unit).where(Unit.name == name)) if name else None
    today = opened_on or _today(now)
    case = Case(
        origin=origin,
        origin_ref=(origin_ref or "").strip()[:100] or None,
        plan_id=plan.id if plan else None,
        measure=measure,
        task_id=task.id if task else None,
        source_id=found.id if found else None,
        longitude=longitude if longitude is not None else (found.longitude if found else None),
        latitude=latitude if latitude is not None else (found.latitude if found else None),
        town=(town or "").strip() or (found.town if found else None),
        title=title,
        description=_text(description, "description", False),
        unit=chosen,
        status="pending",
        escalation=escalation,
        opened_on=today,
        occurrences=1,
        repeat_of=_repeat_of(db, found.id if found else None, today, rules),
        details=dict(details or {}),
        opened_by=actor.id,
        opened_at=now or utc_now(),
    )
    act(db, actor)  # before the case is added: a flush would write it under the previous actor
    db.add(case)
    _step(
        db,
        case,
        actor,
        "open",
        case.description or title,
        rules,
        unit_id=chosen.id if chosen else None,
        escalation=escalation,
        ref=case.origin_ref,
    )
    db.flush()
    return case


def _check_position(longitude: float | None, latitude: float | None) -> None:
    if (longitude is None) != (latitude is None):
        raise LedgerValueError("经纬度须同时给出", "give both longitude and latitude", "longitude")
    if longitude is not None and not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        raise LedgerValueError("经纬度超出范围", "longitude/latitude out of range", "longitude")


def dispatch(
    db: Session,
    actor: Actor,
    case_id: int,
    unit: str | int | Unit | None = None,
    deadline: dt.date | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> Case:
    """Send a case to its responsible unit (office): 待派发 → 已派发 (or re-send an 已派发 case to
    another unit). The deadline is ``deadline`` if given, else the rules' working days for the
    origin counted from today on the national holiday calendar."""
    case = get_case(db, case_id)
    rules = case_rules()
    chosen = _unit(db, unit) or case.unit
    if chosen is None:
        raise LedgerValueError("须指定责任单位", "choose the responsible unit", "unit")
    today = _today(now)
    calendar_note = None
    if deadline is None:
        deadline, calendar_note = due_date(case.origin, today, rules, national_calendar())
    elif deadline < today:
        raise LedgerValueError("期限不能早于今天", "the deadline is in the past", "deadline")
    text = "；".join(t for t in (_text(note, "note", False), calendar_note) if t)
    return record_dispatch(db, actor, case, chosen, deadline, text)


def record_dispatch(
    db: Session, actor: Actor, case: Case, unit: Unit, deadline: dt.date | None, note: str
) -> Case:
    """Record the dispatch of ``case`` to ``unit`` with ``deadline`` as given (none: no time limit;
    a supervision item keeps the follow-up deadline the office wrote, past or not)."""
    _step(db, case, actor, "dispatch", note, unit_id=unit.id, deadline=deadline)
    case.unit, case.deadline = unit, deadline
    db.flush()
    return case


def decline(db: Session, actor: Actor, case_id: int, note: str) -> Case:
    """The unit hands a case back to the office as not its own (申请改派): 已派发 → 待派发."""
    case = get_case(db, case_id)
    _step(db, case, actor, "decline", _text(note, "note", True))
    db.flush()
    return case


def accept(db: Session, actor: Actor, case_id: int, note: str = "") -> Case:
    """The unit takes the case in hand (签收): 已派发 or 退回 → 处置中."""
    case = get_case(db, case_id)
    _step(db, case, actor, "accept", _text(note, "note", False))
    db.flush()
    return case


def answer(
    db: Session, actor: Actor, case_id: int, text: str, now: dt.datetime | None = None
) -> Case:
    """The unit's answer (办理回复: what it found and did): → 待核查 for the office."""
    case = get_case(db, case_id)
    _step(db, case, actor, "answer", _text(text, "answer", True))
    case.answered_on = _today(now)
    db.flush()
    return case


def return_case(db: Session, actor: Actor, case_id: int, reason: str) -> Case:
    """The office sends the answer back to the handling unit (退回): 待核查 → 退回."""
    case = get_case(db, case_id)
    _step(db, case, actor, "return", _text(reason, "note", True), unit_id=case.unit_id)
    db.flush()
    return case


def close(
    db: Session,
    actor: Actor,
    case_id: int,
    closure: str,
    closed_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Case:
    """The office verifies the remedy and closes the case (办结): 待核查 → 已办结 (a supervision
    item from any open status)."""
    case = get_case(db, case_id)
    closed_on = closed_on or _today(now)
    if closed_on < case.opened_on:
        raise LedgerValueError("办结日期早于立案日期", "closed before it was opened", "closed_on")
    closure = _text(closure, "closure", True)
    _step(db, case, actor, "close", closure)
    case.closed_on, case.closure = closed_on, closure
    db.flush()
    return case


def escalate(
    db: Session, actor: Actor, case_id: int, reason: str, now: dt.datetime | None = None
) -> Case:
    """Take the case one step up the five steps (督查 → 交办 → 巡查 → 约谈 → 专项督察), with a new
    deadline of the rules' working days from today (office, or the escalation job)."""
    case = get_case(db, case_id)
    rules = case_rules()
    step = next_step(case.escalation, rules)
    if step is None:
        raise LedgerValueError(
            "已是五步法最后一步（专项督察），不能再升级",
            "already at the last of the five steps (special_inspection)",
            "escalation",
        )
    _escalate(db, case, actor, step, _text(reason, "note", True), rules, _today(now))
    db.flush()
    return case


def _escalate(
    db: Session, case: Case, actor: Actor, step: str, reason: str, rules: CaseRules, today: dt.date
) -> None:
    """One step up; a case in the unit's hands gets the rules' new time limit from ``today``."""
    deadline = case.deadline
    if case.status in ("dispatched", "handling", "returned"):
        deadline = escalated_deadline(today, rules, national_calendar())
    note = f"{reason}（{name_zh('step', step)}）"
    _step(db, case, actor, "escalate", note, rules, escalation=step, deadline=deadline)
    case.escalation, case.deadline = step, deadline


def escalate_overdue(db: Session, actor: Actor, now: dt.datetime | None = None) -> list[Case]:
    """Escalate every case open past its deadline one step (the daily job; office or system).
    A case already at 专项督察 stays there (it is listed as overdue, not escalated again)."""
    require(actor, "case.escalate")
    rules, today = case_rules(), _today(now)
    query = select(Case).where(Case.status.in_(OPEN_STATUSES), Case.deadline < today)
    escalated = []
    for case in db.scalars(query.order_by(Case.id)):
        step = next_step(case.escalation, rules)
        if step is None or not overdue(case.deadline, case.status, today):
            continue
        _escalate(db, case, actor, step, f"逾期未办理（期限 {case.deadline}）", rules, today)
        escalated.append(case)
    db.flush()
    return escalated


def attach_evidence(
    db: Session, actor: Actor, case_id: int, filename: str, content: bytes, note: str = ""
) -> Evidence:
    """Store an evidence file (photo, document) with a case, by its SHA-256 in the ledger's
    evidence store (:func:`lantian.plan.reports.store_evidence`): the unit's reporter or the office."""
    case = get_case(db, case_id)
    note = _text(note, "note", False)
    check_step(
        case, actor, "evidence"
    )  # before the file is stored: a refused upload writes nothing
    evidence = store_evidence(actor, filename, content)
    step = _step(db, case, actor, "evidence", note or evidence.filename)
    evidence.case_id, evidence.report_id = case.id, None
    db.add(evidence)
    db.flush()
    evidence.case_step_id = step.id
    db.flush()
    return evidence


# ----------------------------------------------------------------------------- the action table


@dataclass(frozen=True)
class ActionField:
    """A value an action takes from its caller (a form field of the API and the pages, the CLI's
    argument): ``kind`` is ``text`` (≤ 200 characters), ``narrative`` (≤ the ledger's narrative
    limit), ``day`` (``YYYY-MM-DD``, or a date) or ``file`` (``(filename, content)``)."""

    name: str
    kind: str
    required: bool = False


Values = Mapping[str, Any]
"""An action's values by :attr:`ActionField.name`, as :func:`perform` takes them."""


@dataclass(frozen=True)
class CaseAction:
    """One action on an existing case, as every caller (API, pages, CLI) takes it: its fields and
    the service call that does it. Who may take it, from which statuses and to which status come
    from the status machine's row (:data:`lantian.cases.workflow.ACTIONS`, ``rule``); every action
    records one :class:`CaseStep` (its ``action`` is the action's name: the audit trail, with the
    ledger's audit log of every row it changes)."""

    name: str
    fields: tuple[ActionField, ...]
    run: Callable[[Session, Actor, int, Values], Case]
    summary: str
    """What it does, in English (the API's documentation)."""
    done: str
    """What the pages and the CLI say when it is done (key ``done_case_<done>`` of the pages)."""
    done_zh: str

    @property
    def rule(self) -> Action:
        return ACTIONS[self.name]

    @property
    def roles(self) -> frozenset[str]:
        """The roles allowed (a reporter: on their own unit's cases only)."""
        return PERMISSIONS[self.rule.permission]

    @property
    def from_statuses(self) -> frozenset[str]:
        return self.rule.from_statuses

    @property
    def to_status(self) -> str | None:
        """The status after it (``None``: unchanged)."""
        return self.rule.to_status

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)


def _answer_with_evidence(db: Session, actor: Actor, case_id: int, values: Values) -> Case:
    """The answer and its evidence file (if any) in the caller's one transaction: a refused file
    stores no answer, a refused answer stores no file."""
    if values["evidence"] is not None:
        check_step(get_case(db, case_id), actor, "answer")
        _text(values["answer"], "answer", True)
        attach_evidence(db, actor, case_id, *values["evidence"])
    return answer(db, actor, case_id, values["answer"])


def _evidence_only(db: Session, actor: Actor, case_id: int, values: Values) -> Case:
    filename, content = values["file"]
    attach_evidence(db, actor, case_id, filename, content, values["note"])
    return get_case(db, case_id)


NOTE = ActionField("note", "narrative")
CASE_ACTIONS: dict[str, CaseAction] = {
    action.name: action
    for action in (
        CaseAction(
            "dispatch",
            (ActionField("unit", "text"), ActionField("deadline", "day"), NOTE),
            lambda db, actor, case_id, v: dispatch(
                db, actor, case_id, v["unit"] or None, v["deadline"], v["note"]
            ),
            "Dispatch to the responsible unit (office)",
            "dispatched",
            "已派发",
        ),
        CaseAction(
            "accept",
            (NOTE,),
            lambda db, actor, case_id, v: accept(db, actor, case_id, v["note"]),
            "The unit takes the case in hand (its reporter)",
            "accepted",
            "已签收",
        ),
        CaseAction(
            "decline",
            (ActionField("note", "narrative", required=True),),
            lambda db, actor, case_id, v: decline(db, actor, case_id, v["note"]),
            "The unit hands the case back as not its own (its reporter)",
            "declined",
            "已申请改派",
        ),
        CaseAction(
            "answer",
            (ActionField("answer", "narrative", required=True), ActionField("evidence", "file")),
            _answer_with_evidence,
            "The unit's answer, optionally with an evidence file (its reporter)",
            "answered",
            "已回复",
        ),
        CaseAction(
            "evidence",
            (ActionField("file", "file", required=True), NOTE),
            _evidence_only,
            "Attach an evidence file (the unit's reporter, office)",
            "evidence",
            "已上传材料",
        ),
        CaseAction(
            "return",
            (ActionField("reason", "narrative", required=True),),
            lambda db, actor, case_id, v: return_case(db, actor, case_id, v["reason"]),
            "Send the answer back to the unit (office)",
            "returned",
            "已退回",
        ),
        CaseAction(
            "close",
            (ActionField("closure", "narrative", required=True), ActionField("closed_on", "day")),
            lambda db, actor, case_id, v: close(db, actor, case_id, v["closure"], v["closed_on"]),
            "Close the case (office)",
            "closed",
            "已办结",
        ),
        CaseAction(
            "escalate",
            (ActionField("reason", "narrative", required=True),),
            lambda db, actor, case_id, v: escalate(db, actor, case_id, v["reason"]),
            "One step up the five steps (office)",
            "escalated",
            "已升级",
        ),
    )
}
"""Every action a user takes on an existing case, by name — the one table the API
(``POST /api/v1/cases/{case_id}/{action}``), the pages (``POST /ledger/cases/{case_id}/{action}``)
and ``lantian cases <action>`` are built from. A new action is a row here (and in the status
machine); ``open`` (a new case) and ``append`` (the alarm evaluator) are not taken on a case."""


def _field_value(field: ActionField, value: Any) -> Any:
    """``value`` as the action's service call takes it; a required field left empty is refused."""
    if field.kind == "day":
        value = parse_day(value, field.name, required=field.required)
    elif field.kind == "file":
        value = value if value and value[0] else None
    else:
        value = (value or "").strip()
    if field.required and not value:
        if field.kind == "file":
            raise LedgerValueError("须选择文件", "choose a file", field.name)
        _text("", field.name, True)
    return value


def perform(db: Session, actor: Actor, case_id: int, action: str, values: Values) -> Case:
    """Take ``action`` (a key of :data:`CASE_ACTIONS`) on case ``case_id`` as ``actor`` with
    ``values`` by field name (missing: empty), inside the caller's transaction: the case after."""
    if action not in CASE_ACTIONS:
        raise LedgerValueError(
            f"没有操作“{action}”，有效操作：{'、'.join(CASE_ACTIONS)}",
            f"unknown action {action!r}; known: {', '.join(CASE_ACTIONS)}",
            "action",
        )
    chosen = CASE_ACTIONS[action]
    given = {f.name: _field_value(f, values.get(f.name)) for f in chosen.fields}
    return chosen.run(db, actor, case_id, given)


# ----------------------------------------------------------------------------- reading


def _visible(query: Select, actor: Actor) -> Select:
    require(actor, "case.read", unit_id=actor.unit_id if actor.role == "reporter" else None)
    if actor.role == "reporter":
        return query.where(Case.unit_id == actor.unit_id)
    return query


def list_cases(
    db: Session,
    actor: Actor,
    *,
    status: str | None = None,
    origin: str | None = None,
    unit: str | None = None,
    source: str | int | None = None,
    open_only: bool = False,
    now: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """The cases ``actor`` may read (a reporter: their unit's), by deadline (none last), as rows."""
    query = _visible(select(Case), actor)
    if status:
        if status not in STATUSES:
            raise LedgerValueError(
                f"没有状态“{status}”，有效：{'、'.join(STATUSES)}",
                f"unknown status {status!r}",
                "status",
            )
        query = query.where(Case.status == status)
    if origin:
        query = query.where(Case.origin == origin)
    if unit:
        query = query.where(Case.unit_id == get_unit(db, unit).id)
    if source not in (None, ""):
        query = query.where(Case.source_id == _source(db, source).id)
    if open_only:
        query = query.where(Case.status.in_(OPEN_STATUSES))
    query = query.options(selectinload(Case.unit)).order_by(
        Case.deadline.is_(None), Case.deadline, Case.id
    )
    cases = list(db.scalars(query))
    sources = _source_names(db, [c.source_id for c in cases])
    return [case_row(case, _today(now), sources) for case in cases]


def _source_names(db: Session, ids: list[int | None]) -> dict[int, tuple[str, str]]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.execute(select(Source.id, Source.code, Source.name).where(Source.id.in_(wanted)))
    return {i: (code, name) for i, code, name in rows}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def case_row(case: Case, today: dt.date, sources: dict[int, tuple[str, str]]) -> dict[str, Any]:
    """One case as a flat row (list, CSV, xlsx), in the glossary's names."""
    code, name = sources.get(case.source_id, (None, None)) if case.source_id else (None, None)
    return {
        "case_id": case.id,
        "origin": case.origin,
        "origin_zh": ORIGINS.get(case.origin, case.origin),
        "title": case.title,
        "source_code": code,
        "source_name": name,
        "town": case.town,
        "longitude": case.longitude,
        "latitude": case.latitude,
        "unit": case.unit.name if case.unit else None,
        "status": case.status,
        "status_zh": STATUSES[case.status],
        "escalation": case.escalation,
        "escalation_zh": name_zh("step", case.escalation),
        "opened_on": _iso(case.opened_on),
        "deadline": _iso(case.deadline),
        "overdue": overdue(case.deadline, case.status, today),
        "answered_on": _iso(case.answered_on),
        "closed_on": _iso(case.closed_on),
        "occurrences": case.occurrences,
        "repeat_of": case.repeat_of,
    }


def case_document(
    db: Session, actor: Actor, case_id: int, now: dt.datetime | None = None
) -> dict[str, Any]:
    """One case with its steps and evidence (what ``lantian cases show`` prints and the API returns),
    and the actions ``actor`` may take on it now."""
    case = get_case(db, case_id)
    require(actor, "case.read", unit_id=case.unit_id)
    document = case_row(case, _today(now), _source_names(db, [case.source_id]))
    units = dict(db.execute(select(Unit.id, Unit.name)).all())
    document |= {
        "description": case.description,
        "closure": case.closure,
        "origin_ref": case.origin_ref,
        "details": case.details,
        "steps": [
            {
                "step_id": s.id,
                "at": s.at.isoformat(),
                "user": s.user_name,
                "action": s.action,
                "action_zh": ACTIONS[s.action].zh,
                "from_status": s.from_status,
                "to_status": s.to_status,
                "note": s.note,
                "unit": units.get(s.unit_id),
                "escalation": s.escalation,
                "deadline": _iso(s.deadline),
                "ref": s.ref,
            }
            for s in case.steps
        ],
        "evidence": [
            {
                "evidence_id": e.id,
                "filename": e.filename,
                "size": e.size,
                "sha256": e.sha256,
                "step_id": e.case_step_id,
            }
            for e in case.evidence
        ],
        "actions": available_actions(case, actor),
    }
    return document


def available_actions(case: Case, actor: Actor) -> list[str]:
    """The actions ``actor`` may take on ``case`` in its status (for the pages' buttons)."""
    rules = case_rules()
    found = []
    for name, rule in ACTIONS.items():
        if name in ("open", "append"):
            continue
        try:
            transition(case.status, name, case.origin, rules.direct_close)
        except LedgerValueError:
            continue
        if allowed(actor, rule.permission, unit_id=case.unit_id):
            found.append(name)
    return found
