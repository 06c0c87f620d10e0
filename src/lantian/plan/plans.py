"""Plans as data: validate a plan (a dict shaped like ``data/lengshuitan-2019.toml``), store it with
its units, categories, measures, targets and tasks, and let the office manage tasks and milestones.

A plan's data has the tables ``plan``, ``air_targets``, ``units``, ``categories`` and ``measures``
(each with its units by role — ``lead``, ``cooperate``, ``implement``, ``participate`` — and its
quantified ``targets``). The same shape comes from the bundled TOML and from an xlsx workbook
(:mod:`lantian.plan.xlsx`). Storing a plan derives its tasks: for each lead unit one task per
quantified target (one general task when the measure has none), for every other unit one general
task. The office then adjusts deadlines, splits quantities and adds milestones.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from lantian.assess.targets import read_plan_file
from lantian.plan.access import Actor, require
from lantian.plan.audit import act
from lantian.plan.errors import LedgerValueError, NotFoundError
from lantian.plan.models import (
    AirTarget,
    Category,
    Measure,
    MeasureUnit,
    Milestone,
    Plan,
    ScoringRule,
    Target,
    Task,
    Unit,
)
from lantian.plan.months import parse_month
from lantian.plan.rules import bundled_scoring_rules, validate_scoring_rules
from lantian.plan.vocabulary import COMPARISONS, UNIT_KINDS, UNIT_ROLES

EXAMPLE = "lengshuitan-2019"
"""The bundled model plan: 冷水滩区环境空气质量达标工作方案（冷政发〔2019〕1号）."""

PLAN_FIELDS = ("code", "title", "document_number", "issuer", "issued_on", "start", "end", "scope")
PLAN_FIELDS += ("first_month", "office", "scoring_rule")

Problem = tuple[str, str, str]
"""(field path, Chinese message, English message)."""


@cache
def example_plan_data() -> dict[str, Any]:
    """The bundled model plan as data (``data/lengshuitan-2019.toml``, read by the one loader of
    plan files, :func:`lantian.assess.targets.read_plan_file`)."""
    return read_plan_file()


def plan_text() -> str:
    """The model plan's text, as published (``data/lengshuitan-air-attainment-plan-2019.txt``)."""
    path = resources.files("lantian.plan").joinpath(
        "data", "lengshuitan-air-attainment-plan-2019.txt"
    )
    return path.read_text("utf-8")


def _is_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _check_plan_table(plan: dict, problems: list[Problem]) -> None:
    for key in ("code", "title", "start", "end", "first_month", "scoring_rule"):
        if not plan.get(key):
            problems.append((f"plan.{key}", "必填", "required"))
    for key in ("issued_on", "start", "end"):
        if plan.get(key) is not None and not _is_date(plan[key]):
            problems.append((f"plan.{key}", "应为日期", "must be a date"))
    if _is_date(plan.get("start")) and _is_date(plan.get("end")) and plan["end"] < plan["start"]:
        problems.append(("plan.end", "结束日期早于开始日期", "end is before start"))
    if plan.get("first_month"):
        try:
            parse_month(plan["first_month"])
        except LedgerValueError as error:
            problems.append(("plan.first_month", error.zh, error.en))


def _check_target(target: dict, where: str, problems: list[Problem]) -> None:
    for key in ("key", "indicator", "comparison", "value", "quantity_unit"):
        if target.get(key) in (None, ""):
            problems.append((f"{where}.{key}", "必填", "required"))
    if target.get("comparison") and target["comparison"] not in COMPARISONS:
        problems.append(
            (f"{where}.comparison", f"应为 {'、'.join(COMPARISONS)}", f"one of {list(COMPARISONS)}")
        )
    value = target.get("value")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        problems.append((f"{where}.value", "应为数值", "must be a number"))
    for key in ("start", "deadline"):
        if target.get(key) is not None and not _is_date(target[key]):
            problems.append((f"{where}.{key}", "应为日期", "must be a date"))


def _check_measure(measure: dict, where: str, context: dict, problems: list[Problem]) -> None:
    for key in ("number", "category", "title", "content"):
        if measure.get(key) in (None, ""):
            problems.append((f"{where}.{key}", "必填", "required"))
    if measure.get("category") not in context["categories"]:
        problems.append((f"{where}.category", "没有这个类别", "no such category"))
    if not measure.get("lead"):
        problems.append((f"{where}.lead", "至少一个牵头单位", "at least one lead unit"))
    seen: set[str] = set()
    for role in UNIT_ROLES:
        for name in measure.get(role, []):
            if name not in context["units"]:
                problems.append((f"{where}.{role}", f"没有单位“{name}”", f"no unit {name!r}"))
            if name in seen:
                problems.append((f"{where}.{role}", f"单位“{name}”重复", f"unit {name!r} twice"))
            seen.add(name)
    keys = [t.get("key") for t in measure.get("targets", [])]
    if len(keys) != len(set(keys)):
        problems.append((f"{where}.targets", "目标键重复", "duplicate target key"))
    for j, target in enumerate(measure.get("targets", [])):
        _check_target(target, f"{where}.targets[{j}]", problems)


def plan_problems(data: dict, known_units: dict[str, str] | None = None) -> list[Problem]:
    """Every problem of plan ``data`` (empty when it can be stored); ``known_units``: name → kind."""
    problems: list[Problem] = []
    _check_plan_table(data.get("plan", {}), problems)
    units = dict(known_units or {})
    for i, unit in enumerate(data.get("units", [])):
        if not unit.get("name"):
            problems.append((f"units[{i}].name", "必填", "required"))
        if unit.get("kind") not in UNIT_KINDS:
            problems.append(
                (f"units[{i}].kind", f"应为 {'、'.join(UNIT_KINDS)}", f"one of {list(UNIT_KINDS)}")
            )
        units[unit.get("name")] = unit.get("kind")
    categories = [c.get("number") for c in data.get("categories", [])]
    if len(categories) != len(set(categories)):
        problems.append(("categories", "类别编号重复", "duplicate category number"))
    numbers = [m.get("number") for m in data.get("measures", [])]
    if len(numbers) != len(set(numbers)):
        problems.append(("measures", "措施编号重复", "duplicate measure number"))
    if not numbers:
        problems.append(("measures", "没有措施", "no measures"))
    context = {"units": units, "categories": set(categories)}
    for i, measure in enumerate(data.get("measures", [])):
        _check_measure(measure, f"measures[{i}]", context, problems)
    return problems


def _units(db: Session, data: dict) -> dict[str, Unit]:
    units = {u.name: u for u in db.scalars(select(Unit))}
    for row in data.get("units", []):
        if row["name"] not in units:
            units[row["name"]] = Unit(name=row["name"], kind=row["kind"], note=row.get("note"))
            db.add(units[row["name"]])
    return units


def _measure(db: Session, plan: Plan, category: Category, row: dict, units: dict) -> Measure:
    measure = Measure(
        plan=plan,
        category=category,
        number=row["number"],
        title=row["title"],
        content=row["content"],
        units_as_written=row.get("units_as_written"),
        units_note=row.get("units_note"),
    )
    db.add(measure)
    for role in UNIT_ROLES:
        for name in row.get(role, []):
            measure.links.append(MeasureUnit(unit=units[name], role=role))
    for target in row.get("targets", []):
        measure.targets.append(
            Target(
                **{k: target.get(k) for k in ("key", "indicator", "comparison", "value")},
                quantity_unit=target["quantity_unit"],
                start=target.get("start"),
                deadline=target.get("deadline"),
                quote=target.get("quote"),
                note=target.get("note"),
            )
        )
    return measure


def derive_tasks(measure: Measure) -> list[Task]:
    """The default tasks of a measure: lead units × targets, every other unit one general task."""
    tasks = []
    for link in measure.links:
        targets = measure.targets if link.role == "lead" else []
        for target in targets or [None]:
            tasks.append(
                Task(
                    measure=measure,
                    unit=link.unit,
                    target=target,
                    role=link.role,
                    title=target.indicator if target else measure.title,
                    target_value=target.value if target else None,
                    start=target.start if target else None,
                    deadline=target.deadline if target else None,
                )
            )
    return tasks


def _ensure_scoring_rules(db: Session, code: str) -> None:
    if db.scalar(select(ScoringRule).where(ScoringRule.code == code)) is not None:
        return
    if code not in bundled_scoring_rules():
        raise NotFoundError(
            f"没有规则“{code}”",
            f"no rule set {code!r}; bundled: {list(bundled_scoring_rules())}",
            "plan.scoring_rule",
        )
    rules = validate_scoring_rules(bundled_scoring_rules()[code])
    db.add(ScoringRule(code=code, name=rules["name"], definition=rules, source=rules["source"]))


def store_plan(db: Session, actor: Actor, data: dict) -> Plan:
    """Validate plan ``data`` and store it with derived tasks (office or the server's CLI)."""
    require(actor, "plan.manage")
    act(db, actor)
    known = {u.name: u.kind for u in db.scalars(select(Unit))}
    problems = plan_problems(data, known)
    if problems:
        raise LedgerValueError(
            "；".join(f"{p}：{zh}" for p, zh, _ in problems[:20]),
            "; ".join(f"{p}: {en}" for p, _, en in problems[:20]),
            "plan",
        )
    head = data["plan"]
    if db.scalar(select(Plan).where(Plan.code == head["code"])) is not None:
        raise LedgerValueError(
            f"计划“{head['code']}”已存在", f"plan {head['code']!r} exists", "plan.code"
        )
    _ensure_scoring_rules(db, head["scoring_rule"])
    details = {k: v for k, v in head.items() if k not in PLAN_FIELDS}
    plan = Plan(**{k: head.get(k) for k in PLAN_FIELDS}, details=details)
    db.add(plan)
    for row in data.get("air_targets", []):
        plan.air_targets.append(AirTarget(**row))
    units = _units(db, data)
    categories = {row["number"]: Category(plan=plan, **row) for row in data["categories"]}
    db.add_all(categories.values())
    for row in data["measures"]:
        measure = _measure(db, plan, categories[row["category"]], row, units)
        db.add_all(derive_tasks(measure))
    db.flush()
    return plan


def load_example(db: Session, actor: Actor) -> Plan:
    """Store the bundled model plan (once: an error if it is already there)."""
    return store_plan(db, actor, example_plan_data())


def get_plan(db: Session, code: str | None = None) -> Plan:
    """Plan ``code``, or the only (else the newest) plan when ``code`` is ``None``."""
    if code is not None:
        plan = db.scalar(select(Plan).where(Plan.code == code))
    else:
        plan = db.scalar(select(Plan).order_by(Plan.id.desc()).limit(1))
    if plan is None:
        hint = "（可运行 lantian plan load-example 载入示例计划）"
        raise NotFoundError(
            f"没有计划“{code or ''}”{hint}",
            f"no plan {code or ''!r} (lantian plan load-example loads the model plan)",
            "plan",
        )
    return plan


def get_unit(db: Session, name: str) -> Unit:
    """Unit ``name``; the error lists the units there are."""
    unit = db.scalar(select(Unit).where(Unit.name == name))
    if unit is None:
        names = db.scalars(select(Unit.name).order_by(Unit.name)).all()
        raise NotFoundError(
            f"没有单位“{name}”，已有：{'、'.join(names)}", f"no unit {name!r}", "unit"
        )
    return unit


def get_task(db: Session, task_id: int) -> Task:
    """Task ``task_id``."""
    task = db.get(Task, task_id)
    if task is None:
        raise NotFoundError(f"没有任务 {task_id}", f"no task {task_id}", "task_id")
    return task


def plan_tasks(db: Session, plan: Plan) -> list[Task]:
    """Every task of ``plan``, by measure number, then task id.

    Each task comes with its measure (and the measure's category), unit, target and milestones
    loaded, in two statements however many tasks there are: the views read them all.
    """
    query = (
        select(Task)
        .join(Task.measure)
        .where(Measure.plan_id == plan.id)
        .order_by(Measure.number, Task.id)
        .options(
            contains_eager(Task.measure).joinedload(Measure.category),
            joinedload(Task.unit),
            joinedload(Task.target),
            selectinload(Task.milestones),
        )
    )
    return list(db.scalars(query))


def add_unit(db: Session, actor: Actor, name: str, kind: str, note: str | None = None) -> Unit:
    """Add a responsible unit (office)."""
    require(actor, "plan.manage")
    act(db, actor)
    if kind not in UNIT_KINDS:
        raise LedgerValueError(f"单位类型应为 {'、'.join(UNIT_KINDS)}", "unknown kind", "kind")
    if db.scalar(select(Unit).where(Unit.name == name)) is not None:
        raise LedgerValueError(f"单位“{name}”已存在", f"unit {name!r} exists", "name")
    unit = Unit(name=name, kind=kind, note=note)
    db.add(unit)
    db.flush()
    return unit


def add_task(
    db: Session,
    actor: Actor,
    measure: Measure,
    unit: Unit,
    title: str,
    *,
    role: str = "participate",
    target: Target | None = None,
    target_value: float | None = None,
    deadline: dt.date | None = None,
) -> Task:
    """Add a task to a measure for a unit (e.g. a town's share of a district-wide target)."""
    require(actor, "plan.manage")
    act(db, actor)
    if role not in UNIT_ROLES:
        raise LedgerValueError("单位角色无效", f"role must be one of {list(UNIT_ROLES)}", "role")
    if target is not None and target.measure_id != measure.id:
        raise LedgerValueError("目标不属于该措施", "the target is not the measure's", "target")
    task = Task(
        measure=measure,
        unit=unit,
        target=target,
        role=role,
        title=title,
        target_value=target_value
        if target_value is not None
        else (target.value if target else None),
        start=target.start if target else None,
        deadline=deadline if deadline else (target.deadline if target else None),
    )
    db.add(task)
    db.flush()
    return task


def update_task(db: Session, actor: Actor, task: Task, **changes: Any) -> Task:
    """Change a task's ``title``, ``target_value``, ``start`` or ``deadline`` (office)."""
    require(actor, "plan.manage")
    act(db, actor)
    allowed = {"title", "target_value", "start", "deadline"}
    for key, value in changes.items():
        if key not in allowed:
            raise LedgerValueError("不能修改该字段", f"cannot change {key!r}", key)
        if key in {"start", "deadline"} and value is not None and not _is_date(value):
            raise LedgerValueError("应为日期", "must be a date", key)
        if key == "target_value" and value is not None and value < 0:
            raise LedgerValueError("目标值不能为负", "must not be negative", key)
        setattr(task, key, value)
    db.flush()
    return task


def add_milestone(
    db: Session, actor: Actor, task: Task, title: str, due: dt.date, quantity: float | None = None
) -> Milestone:
    """Add a milestone (节点) to a task (office)."""
    require(actor, "plan.manage")
    act(db, actor)
    if not title.strip():
        raise LedgerValueError("节点名称必填", "a milestone needs a title", "title")
    milestone = Milestone(task_id=task.id, title=title, due=due, quantity=quantity)
    db.add(milestone)
    db.flush()
    db.refresh(task)
    return milestone


def complete_milestone(db: Session, actor: Actor, milestone_id: int, done_on: dt.date) -> Milestone:
    """Mark a milestone done on ``done_on`` (office, on the unit's report)."""
    require(actor, "plan.manage")
    act(db, actor)
    milestone = db.get(Milestone, milestone_id)
    if milestone is None:
        raise NotFoundError(f"没有节点 {milestone_id}", f"no milestone {milestone_id}", "milestone")
    milestone.done_on = done_on
    db.flush()
    return milestone
