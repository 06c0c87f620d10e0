"""The case workflow on the ledger's database (SQLite and PostgreSQL): every role against every
action, the alarms' entry point, escalation, evidence, the audit log and the scorecard.

The expected role table is written out here from the brief (office dispatches, returns and closes;
a unit's reporters handle only their unit's cases; leaders read; ``system`` is the server's CLI),
not read from ``lantian.plan.access``.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from lantian.cases import alarms as case_alarms
from lantian.cases import service
from lantian.cases.workflow import CaseTransitionError
from lantian.plan.access import Actor
from lantian.plan.appraisal import compute_scores, unit_years
from lantian.plan.errors import LedgerPermissionError, LedgerValueError, NotFoundError
from lantian.plan.models import AuditEntry, Case, CaseStep, Evidence
from lantian.plan.plans import get_plan, get_unit
from lantian.plan.reports import read_evidence
from lantian.plan.supervision import close_supervision, record_supervision

SITE = "示例GD01"
"""An EXAMPLE site (示例) without a 监管单位: the rules send it to 区住建局 (reporter ``zj``)."""
DEVICE = "EXAMPLE00DUST0001"
ROLES = ["office", "leader", "hb", "zj", "system", "stranger"]
OFFICE = {"office", "system"}
EXPECTED = {
    "open": OFFICE,
    "dispatch": OFFICE,
    "accept": {"zj"},
    "decline": {"zj"},
    "answer": {"zj"},
    "evidence": {"office", "zj"},
    "return": OFFICE,
    "close": OFFICE,
    "escalate": OFFICE,
    "read": {"office", "leader", "zj", "system"},
}


def audit_count(db) -> int:
    return db.scalar(select(func.count(AuditEntry.id)))


def _complaint(db, actor, **values):
    return service.open_case(
        db, actor, "complaint", "夜间施工扬尘（12369）", source=SITE, origin_ref="12369-7", **values
    )


@pytest.fixture
def world(registry, actors):
    db, office = registry, actors["office"]
    pending = _complaint(db, office)
    dispatched = service.dispatch(db, office, _complaint(db, office).id)
    verifying = service.dispatch(db, office, _complaint(db, office).id)
    service.answer(db, actors["zj"], verifying.id, "已停工整改")
    db.commit()
    return {
        "db": db,
        "pending": pending.id,
        "dispatched": dispatched.id,
        "verifying": verifying.id,
        "actors": {**actors, "stranger": Actor(999, "x", "guest")},
    }


ACTIONS = {
    "open": lambda db, a, w: _complaint(db, a),
    "dispatch": lambda db, a, w: service.dispatch(db, a, w["pending"]),
    "accept": lambda db, a, w: service.accept(db, a, w["dispatched"]),
    "decline": lambda db, a, w: service.decline(db, a, w["dispatched"], "非本单位职责"),
    "answer": lambda db, a, w: service.answer(db, a, w["dispatched"], "已洒水降尘"),
    "evidence": lambda db, a, w: service.attach_evidence(
        db, a, w["dispatched"], "现场.jpg", b"\xff\xd8\xff photo"
    ),
    "return": lambda db, a, w: service.return_case(db, a, w["verifying"], "照片不清楚"),
    "close": lambda db, a, w: service.close(db, a, w["verifying"], "复查属实"),
    "escalate": lambda db, a, w: service.escalate(db, a, w["dispatched"], "多次投诉"),
    "read": lambda db, a, w: service.case_document(db, a, w["dispatched"]),
}


def test_every_action_is_in_the_table():
    assert set(ACTIONS) == set(EXPECTED)
    # every action of the one table (API, pages, CLI) is in this role matrix
    assert set(service.CASE_ACTIONS) | {"open", "read"} == set(EXPECTED)


@pytest.mark.parametrize(
    ("action", "role"), sorted((a, r) for a, roles in EXPECTED.items() for r in roles)
)
def test_allowed(world, action, role):
    db = world["db"]
    before = audit_count(db)
    ACTIONS[action](db, world["actors"][role], world)
    db.commit()
    if action != "read":
        assert audit_count(db) > before, "an allowed change must be audited"
        who = db.scalar(select(AuditEntry.user_name).order_by(AuditEntry.id.desc()).limit(1))
        assert who == world["actors"][role].name


@pytest.mark.parametrize("action", sorted(EXPECTED))
def test_refused(world, action):
    """Every other role is refused with a message naming the field; nothing is stored."""
    db = world["db"]
    before = audit_count(db)
    for role in sorted(set(ROLES) - EXPECTED[action]):
        with pytest.raises(LedgerPermissionError) as caught:
            ACTIONS[action](db, world["actors"][role], world)
        db.rollback()
        assert audit_count(db) == before, role
        assert caught.value.field in {"role", "unit"}, role
        assert " / " in str(caught.value)


def test_a_reporter_lists_only_their_units_cases(world):
    db, actors = world["db"], world["actors"]
    assert {r["case_id"] for r in service.list_cases(db, actors["zj"])} >= {world["pending"]}
    assert service.list_cases(db, actors["hb"]) == []
    assert len(service.list_cases(db, actors["leader"])) == len(
        service.list_cases(db, actors["office"])
    )


def test_illegal_transitions_are_refused_and_store_nothing(world):
    db, actors = world["db"], world["actors"]
    before = audit_count(db)
    with pytest.raises(CaseTransitionError, match="待派发"):
        service.answer(db, actors["zj"], world["pending"], "抢先回复")
    db.rollback()
    with pytest.raises(CaseTransitionError, match="已派发"):
        service.close(db, actors["office"], world["dispatched"], "直接办结")
    db.rollback()
    assert audit_count(db) == before
    assert db.get(Case, world["pending"]).status == "pending"


def test_the_whole_way_with_a_return(world):
    db, office, zj = world["db"], world["actors"]["office"], world["actors"]["zj"]
    case_id = world["dispatched"]
    service.accept(db, zj, case_id)
    service.answer(db, zj, case_id, "已覆盖裸土")
    service.return_case(db, office, case_id, "未见照片")
    service.attach_evidence(db, zj, case_id, "覆盖.jpg", b"\xff\xd8\xff after")
    service.answer(db, zj, case_id, "已覆盖裸土，附照片")
    service.close(db, office, case_id, "复查属实")
    db.commit()
    document = service.case_document(db, office, case_id)
    assert [s["action"] for s in document["steps"]] == [
        "open", "dispatch", "accept", "answer", "return", "evidence", "answer", "close",
    ]  # fmt: skip
    assert [s["to_status"] for s in document["steps"]][-4:] == [
        "returned", "returned", "verifying", "closed",
    ]  # fmt: skip
    assert document["steps"][4]["user"] == "office"
    assert document["steps"][3]["user"] == "zj"
    assert document["status_zh"] == "已办结"
    assert document["closure"] == "复查属实"
    assert document["evidence"][0]["filename"] == "覆盖.jpg"
    assert document["actions"] == []


def test_dispatch_sets_the_deadline_in_working_days(world):
    db, office = world["db"], world["actors"]["office"]
    # complaint: 10 working days (case_rules.toml); from Fri 2019-09-27 over National Day:
    # 9-29 (Sun, 调休), 9-30, 10-08 … 10-12 (Sat, 调休), 10-14, 10-15, 10-16
    monday = dt.datetime(2019, 9, 27, 2, tzinfo=dt.UTC)
    case = service.dispatch(db, office, world["pending"], now=monday)
    assert case.deadline == dt.date(2019, 10, 16)
    assert case.unit.name == "区住建局"


def test_the_responsible_unit_follows_the_registry_and_the_rules(registry, actors):
    db = registry
    case = service.open_case(db, actors["office"], "inspection", "油烟", source="示例CY01")
    assert case.unit.name == "区城管执法局"  # catering → 措施13's lead unit
    nowhere = service.open_case(db, actors["office"], "complaint", "焚烧垃圾", town="梅湾街道")
    assert nowhere.unit is None
    assert nowhere.source_id is None
    with pytest.raises(LedgerValueError, match="须指定责任单位"):
        service.dispatch(db, actors["office"], nowhere.id)


def test_a_case_needs_a_source_a_place_or_a_unit(registry, actors):
    with pytest.raises(LedgerValueError, match="source"):
        service.open_case(registry, actors["office"], "complaint", "无地点")
    with pytest.raises(NotFoundError, match="示例GD99"):
        service.open_case(registry, actors["office"], "complaint", "x", source="示例GD99")
    with pytest.raises(LedgerValueError, match="unknown origin"):
        service.open_case(registry, actors["office"], "permit", "x", source=SITE)


ALARM = {
    "alarm_id": "a-1",
    "mn": DEVICE,
    "rule_id": "hebei-db13-2934",
    "level": "报警",
    "pollutant": "PM10",
    "ts": dt.datetime(2019, 12, 20, 9, 0),
    "value": 231.0,
    "limit": 80.0,
    "citation": "DB13/2934-2019 表1",
}


def test_an_alarm_opens_a_case_and_repeats_append_and_escalate(registry):
    db = registry
    first = case_alarms.open_from_alarm(db, ALARM)
    assert first.opened
    assert first.case.status == "pending"
    assert first.case.unit.name == "区住建局"
    assert first.case.origin == "alarm"
    assert first.case.details["alarm"]["value"] == 231.0
    again = case_alarms.open_from_alarm(db, ALARM)
    assert again.duplicate
    assert again.case.id == first.case.id
    second = case_alarms.open_from_alarm(db, {**ALARM, "alarm_id": "a-2"})
    assert second.appended
    assert not second.escalated
    assert second.case.occurrences == 2
    third = case_alarms.open_from_alarm(db, {**ALARM, "alarm_id": "a-3"})
    assert third.escalated
    assert third.case.escalation == "inspect"
    db.commit()
    assert db.scalar(select(func.count(Case.id)).where(Case.origin == "alarm")) == 1
    actions = [s.action for s in db.get(Case, first.case.id).steps]
    assert actions == ["open", "append", "append", "escalate"]
    who = db.scalar(select(AuditEntry.user_name).where(AuditEntry.entity == "cases").limit(1))
    assert who == "alarms"


def test_an_alarm_after_closure_opens_a_repeat_case(registry, actors):
    db = registry
    first = case_alarms.open_from_alarm(db, ALARM).case
    service.dispatch(db, actors["office"], first.id)
    service.answer(db, actors["zj"], first.id, "已整改")
    service.close(db, actors["office"], first.id, "复查达标")
    again = case_alarms.open_from_alarm(db, {**ALARM, "alarm_id": "a-9"})
    assert again.opened
    assert again.case.id != first.id
    assert again.case.repeat_of == first.id


def test_an_unknown_device_is_refused(registry):
    with pytest.raises(NotFoundError, match="NOSUCHDEVICE"):
        case_alarms.open_from_alarm(registry, {**ALARM, "mn": "NOSUCHDEVICE"})


def test_overdue_cases_escalate_once_per_deadline(world):
    db, office = world["db"], world["actors"]["office"]
    case = db.get(Case, world["dispatched"])
    late = dt.datetime.combine(case.deadline + dt.timedelta(days=1), dt.time(2), dt.UTC)
    escalated = service.escalate_overdue(db, office, now=late)
    assert [c.id for c in escalated] == [case.id]
    assert case.escalation == "inspect"
    assert case.deadline > late.date()
    assert service.escalate_overdue(db, office, now=late) == []


def test_escalation_stops_at_the_fifth_step(world):
    db, office = world["db"], world["actors"]["office"]
    for step in ("inspect", "assign", "patrol", "interview", "special_inspection"):
        assert service.escalate(db, office, world["dispatched"], "督办").escalation == step
    with pytest.raises(LedgerValueError, match="专项督察"):
        service.escalate(db, office, world["dispatched"], "再督办")


def test_evidence_is_stored_by_hash_and_read_by_its_unit_only(world, home):
    db, actors = world["db"], world["actors"]
    evidence = service.attach_evidence(db, actors["zj"], world["dispatched"], "a.pdf", b"%PDF x")
    db.commit()
    assert (home / "evidence" / evidence.sha256[:2] / evidence.sha256).read_bytes() == b"%PDF x"
    assert read_evidence(db, actors["leader"], evidence.id) == ("a.pdf", b"%PDF x")
    with pytest.raises(LedgerPermissionError):
        read_evidence(db, actors["hb"], evidence.id)
    with pytest.raises(LedgerValueError, match="filename"):
        service.attach_evidence(db, actors["zj"], world["dispatched"], "x.exe", b"MZ")
    with pytest.raises(LedgerValueError, match="content"):
        service.attach_evidence(db, actors["zj"], world["dispatched"], "x.pdf", b"")


def test_a_refused_upload_stores_no_file(world, home):
    """Who acts and the case's status are checked before the file is written: a leader (read
    only), a reporter of another unit, or an answer the status refuses leave the evidence folder
    as it was (each with new bytes, so a written file would show)."""
    db, actors = world["db"], world["actors"]

    def files() -> list[str]:
        return sorted(p.name for p in (home / "evidence").rglob("*") if p.is_file())

    before = files()
    for name in ("leader", "hb", "stranger"):
        with pytest.raises(LedgerPermissionError):
            service.attach_evidence(db, actors[name], world["dispatched"], "a.pdf", name.encode())
        db.rollback()
    with pytest.raises(CaseTransitionError):  # 待核查: the unit has answered already
        service.perform(
            db, actors["zj"], world["verifying"], "answer",
            {"answer": "再答一次", "evidence": ("b.pdf", b"%PDF answer again")},
        )  # fmt: skip
    db.rollback()
    assert files() == before


def test_supervision_items_are_cases(registry, actors):
    db, office = registry, actors["office"]
    plan = get_plan(db)
    item = record_supervision(
        db, office, plan, "interview", get_unit(db, "区住建局"), dt.date(2019, 5, 10),
        "裸土未覆盖", dt.date(2019, 6, 10),
    )  # fmt: skip
    assert item.origin == "supervision"
    assert item.status == "dispatched"
    assert item.escalation == "interview"
    assert item.deadline == dt.date(2019, 6, 10)
    # the unit sees it in its queue and may answer it like any case
    assert item.id in {r["case_id"] for r in service.list_cases(db, actors["zj"])}
    close_supervision(db, office, item.id, dt.date(2019, 6, 1), "已覆盖")
    assert item.status == "closed"
    assert item.closed_on == dt.date(2019, 6, 1)


def test_the_scorecard_counts_cases_on_time_overdue_and_repeat(registry, actors):
    db, office, zj = registry, actors["office"], actors["zj"]
    june = dt.datetime(2019, 6, 3, 2, tzinfo=dt.UTC)  # Monday 2019-06-03, Beijing 10:00
    on_time = _complaint(db, office, now=june)
    service.dispatch(db, office, on_time.id, now=june)  # 10 working days: 2019-06-18 (端午 6-07)
    assert on_time.deadline == dt.date(2019, 6, 18)
    service.answer(db, zj, on_time.id, "已整改", now=june + dt.timedelta(days=5))
    late = _complaint(db, office, now=june)  # a repeat: the first is open on the same site
    assert late.repeat_of == on_time.id
    service.dispatch(db, office, late.id, now=june)
    db.commit()
    plan = get_plan(db)
    facts = {u.name: f for u, f in unit_years(db, plan, 2019, dt.date(2019, 12, 31)).items()}
    zj_year = facts["区住建局"]
    assert (zj_year.cases_on_time, zj_year.cases_overdue, zj_year.cases_repeat) == (1, 1, 1)
    row = next(
        r for r in compute_scores(db, plan, 2019, dt.date(2019, 12, 31)) if r["unit"] == "区住建局"
    )
    assert row["cases_overdue"] == 1
    assert row["cases_repeat"] == 1
    others = next(
        r for r in compute_scores(db, plan, 2019, dt.date(2019, 12, 31)) if r["unit"] == "区环保局"
    )
    assert row["deduction"] - others["deduction"] == 2 + 1  # case deductions of rules.toml


def test_steps_are_the_audit_trail(world):
    db = world["db"]
    steps = db.scalar(select(func.count(CaseStep.id)))
    logged = db.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.entity == "case_steps"))
    assert steps == logged
    assert db.scalar(select(func.count(Evidence.id))) == 0


def test_concurrent_alarms_of_one_source_make_one_case(engine):
    """Eight evaluators at once, each with an alarm of the same site in its own transaction: one
    case with eight occurrences, no alarm lost or doubled (the writers are serialised)."""
    from concurrent.futures import ThreadPoolExecutor

    from lantian.plan.access import SYSTEM
    from lantian.plan.database import transaction
    from lantian.sources.example import import_example

    with transaction(engine) as db:
        import_example(db, SYSTEM)

    def evaluate(n: int) -> None:
        with transaction(engine) as db:
            case_alarms.open_from_alarm(db, {**ALARM, "alarm_id": f"c-{n}"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(evaluate, range(8)))
    with transaction(engine) as db:
        cases = list(db.scalars(select(Case).where(Case.origin == "alarm")))
        assert len(cases) == 1
        assert cases[0].occurrences == 8
        refs = sorted(s.ref for s in cases[0].steps if s.action in ("open", "append"))
        assert refs == [f"c-{n}" for n in range(8)]
