"""The ledger's tables (SQLAlchemy 2.0). The schema itself is made by the Alembic migrations in
``migrations/versions``; a test checks that they and these models agree.

Names follow the glossary: ``month`` is ``YYYY-MM``; ``quantity`` is an achieved amount in the
target's ``quantity_unit`` (计量单位); a *unit* (单位) is always a responsible organisation, never a
unit of measurement. Times are stored as naive UTC and read back as aware UTC.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from lantian.times import utc_now

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime, stored naive (SQLite keeps no zone; PostgreSQL gets the same)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger; use an aware UTC datetime")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        return None if value is None else value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar = {dict[str, Any]: JSON, dt.datetime: UTCDateTime}


class Unit(Base):
    """A responsible unit: a department, town, sub-district, park or company (责任单位)."""

    __tablename__ = "units"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    note: Mapped[str | None] = mapped_column(Text)


class Plan(Base):
    """An attainment plan: its document, time span, scope and assessment rule."""

    __tablename__ = "plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    document_number: Mapped[str | None] = mapped_column(String(100))
    issuer: Mapped[str | None] = mapped_column(String(200))
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)
    first_month: Mapped[str] = mapped_column(String(7))
    scope: Mapped[str | None] = mapped_column(Text)
    office: Mapped[str | None] = mapped_column(String(200))
    scoring_rule: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Further facts of the document kept as written (quotes, special period, meeting cadence)."""

    categories: Mapped[list[Category]] = relationship(
        back_populates="plan", order_by="Category.number"
    )
    measures: Mapped[list[Measure]] = relationship(back_populates="plan", order_by="Measure.number")
    air_targets: Mapped[list[AirTarget]] = relationship(
        back_populates="plan", order_by="AirTarget.id"
    )


class AirTarget(Base):
    """An air-quality target of the plan (e.g. PM2.5 annual mean ≤ 35 µg/m³)."""

    __tablename__ = "air_targets"
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    pollutant: Mapped[str] = mapped_column(String(10))
    metric: Mapped[str] = mapped_column(String(30))
    comparison: Mapped[str] = mapped_column(String(10))
    value: Mapped[float | None] = mapped_column(Float)
    baseline: Mapped[float | None] = mapped_column(Float)
    baseline_year: Mapped[int | None] = mapped_column(Integer)
    quantity_unit: Mapped[str | None] = mapped_column(String(20))
    standard: Mapped[str | None] = mapped_column(String(30))
    years: Mapped[list[int] | None] = mapped_column(JSON)
    quote: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    plan: Mapped[Plan] = relationship(back_populates="air_targets")


class Category(Base):
    """A category of measures (方案四（一）…（七）)."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    plan: Mapped[Plan] = relationship(back_populates="categories")


class Measure(Base):
    """A numbered measure of the plan with its responsibility clause as written."""

    __tablename__ = "measures"
    __table_args__ = (UniqueConstraint("plan_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    units_as_written: Mapped[str | None] = mapped_column(Text)
    units_note: Mapped[str | None] = mapped_column(Text)
    plan: Mapped[Plan] = relationship(back_populates="measures")
    category: Mapped[Category] = relationship()
    links: Mapped[list[MeasureUnit]] = relationship(order_by="MeasureUnit.id")
    targets: Mapped[list[Target]] = relationship(order_by="Target.id")


class MeasureUnit(Base):
    """A unit named in a measure, with its role (lead 牵头, cooperate 配合, implement 实施, …)."""

    __tablename__ = "measure_units"
    __table_args__ = (UniqueConstraint("measure_id", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(20))
    unit: Mapped[Unit] = relationship()


class Target(Base):
    """A quantified target of a measure: ``comparison`` ``value`` ``quantity_unit`` by ``deadline``."""

    __tablename__ = "targets"
    __table_args__ = (UniqueConstraint("measure_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"))
    key: Mapped[str] = mapped_column(String(64))
    indicator: Mapped[str] = mapped_column(Text)
    comparison: Mapped[str] = mapped_column(String(4))
    value: Mapped[float] = mapped_column(Float)
    quantity_unit: Mapped[str] = mapped_column(String(20))
    start: Mapped[dt.date | None] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    quote: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class Task(Base):
    """A measure's share for one unit (optionally one of its targets), reported on monthly."""

    __tablename__ = "tasks"
    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    target_id: Mapped[int | None] = mapped_column(ForeignKey("targets.id"))
    role: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    target_value: Mapped[float | None] = mapped_column(Float)
    start: Mapped[dt.date | None] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    measure: Mapped[Measure] = relationship()
    unit: Mapped[Unit] = relationship()
    target: Mapped[Target | None] = relationship()
    milestones: Mapped[list[Milestone]] = relationship(order_by="Milestone.due")


class Milestone(Base):
    """A dated step of a task (节点), optionally with the cumulative quantity expected by then."""

    __tablename__ = "milestones"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    title: Mapped[str] = mapped_column(Text)
    due: Mapped[dt.date] = mapped_column(Date)
    quantity: Mapped[float | None] = mapped_column(Float)
    done_on: Mapped[dt.date | None] = mapped_column(Date)


class User(Base):
    """A person who logs in: office, unit reporter (bound to one unit) or leader."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    unit: Mapped[Unit | None] = relationship()


class Report(Base):
    """A unit's monthly progress report on one task: status, cumulative quantity, narrative."""

    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("task_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    month: Mapped[str] = mapped_column(String(7))
    status: Mapped[str] = mapped_column(String(20))
    quantity: Mapped[float | None] = mapped_column(Float)
    narrative: Mapped[str] = mapped_column(Text, default="")
    submitted_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    review_status: Mapped[str] = mapped_column(String(20), default="submitted")
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[dt.datetime | None] = mapped_column()
    review_comment: Mapped[str | None] = mapped_column(Text)
    task: Mapped[Task] = relationship()
    evidence: Mapped[list[Evidence]] = relationship(order_by="Evidence.id")


class Evidence(Base):
    """A file attached to a monthly report or to a case, stored on disk under
    ``LANTIAN_HOME/evidence`` by its SHA-256 (one store for both: :mod:`lantian.plan.reports`).
    Exactly one of ``report_id`` and ``case_id`` is set; a case's file names the step it came with."""

    __tablename__ = "evidence"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    case_step_id: Mapped[int | None] = mapped_column(ForeignKey("case_steps.id"))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class MonthLock(Base):
    """A month the office has reviewed and locked: its reports are final."""

    __tablename__ = "month_locks"
    __table_args__ = (UniqueConstraint("plan_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    month: Mapped[str] = mapped_column(String(7))
    locked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    locked_at: Mapped[dt.datetime] = mapped_column(default=utc_now)


class Case(Base):
    """A case (案件) of the one workflow: an alarm, a truck violation, a public complaint (12369), an
    inspection or patrol finding, or a supervision item of the five-step method, aimed at a
    responsible unit, handled to closure (:mod:`lantian.cases`).

    ``origin`` is a code of :data:`lantian.cases.workflow.ORIGINS` (checked in code, not by the
    schema, so that a new origin needs no migration); ``origin_ref`` the origin's own id (an alarm's
    ``alarm_id``, a 12369 ticket number); ``details`` the origin's facts as it gave them. The case
    concerns a registered source (``source_id``) or a place (``longitude``/``latitude`` WGS-84 [°],
    ``town``). ``escalation`` is the current step of the five-step method (a supervision item's own
    step); ``deadline`` the day by which the unit must answer (Beijing dates throughout).
    """

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(30), index=True)
    origin_ref: Mapped[str | None] = mapped_column(String(100), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measures.id"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id"))
    source_id: Mapped[int | None] = mapped_column(ForeignKey("sources.id"), index=True)
    longitude: Mapped[float | None] = mapped_column(Float)
    latitude: Mapped[float | None] = mapped_column(Float)
    town: Mapped[str | None] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    escalation: Mapped[str | None] = mapped_column(String(30))
    opened_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    answered_on: Mapped[dt.date | None] = mapped_column(Date)
    """The day the unit last answered (sent the case to 待核查)."""
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    closure: Mapped[str | None] = mapped_column(Text)
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    """How many times the origin reported it (repeated alarms append to the open case)."""
    repeat_of: Mapped[int | None] = mapped_column(Integer)
    """The earlier case on the same source this one repeats (closed within the rules' window)."""
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    opened_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    unit: Mapped[Unit | None] = relationship()
    measure: Mapped[Measure | None] = relationship()
    steps: Mapped[list[CaseStep]] = relationship(order_by="CaseStep.id", back_populates="case")
    evidence: Mapped[list[Evidence]] = relationship(order_by="Evidence.id")


class CaseStep(Base):
    """One step of a case: who (``user_id``/``user_name``), when (``at``), what (``action``, the
    status before and after), the answer or note, the unit it went to, the origin's record
    (``ref``: e.g. the repeated alarm's id)."""

    __tablename__ = "case_steps"
    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    user_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    escalation: Mapped[str | None] = mapped_column(String(30))
    deadline: Mapped[dt.date | None] = mapped_column(Date)
    ref: Mapped[str | None] = mapped_column(String(100), index=True)
    case: Mapped[Case] = relationship(back_populates="steps")


class ScoringRule(Base):
    """A year-end assessment rule as data (weights, deductions, grade bands): see ``scoring``."""

    __tablename__ = "scoring_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    definition: Mapped[dict[str, Any]] = mapped_column()
    source: Mapped[str | None] = mapped_column(Text)


class Assessment(Base):
    """A unit's recorded year-end score under a scoring rule, with the components behind it."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("plan_id", "year", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id"))
    year: Mapped[int] = mapped_column(Integer)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    rule_code: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    grade: Mapped[str] = mapped_column(String(20))
    components: Mapped[dict[str, Any]] = mapped_column()
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    unit: Mapped[Unit] = relationship()


class LoginSession(Base):
    """A login: the SHA-256 of its bearer token (never the token), CSRF token and expiry."""

    __tablename__ = "login_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column()
    """The last request (written at most once a minute) — for the idle timeout."""
    expires_at: Mapped[dt.datetime] = mapped_column()
    revoked_at: Mapped[dt.datetime | None] = mapped_column()
    user: Mapped[User] = relationship()


class LoginAttempt(Base):
    """Every login attempt (for rate limiting and as a record): name, address, time, outcome."""

    __tablename__ = "login_attempts"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    succeeded: Mapped[bool] = mapped_column(Boolean)


class AuditEntry(Base):
    """The append-only audit log: who changed which entity when, before and after (JSON).

    Written by :mod:`lantian.plan.audit` on every flush; database triggers refuse UPDATE, DELETE and
    an INSERT over an existing id (SQLite's REPLACE); the rows form a hash chain.
    """

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utc_now)
    user_id: Mapped[int | None] = mapped_column(Integer)
    user_name: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(50), index=True)
    entity_id: Mapped[str] = mapped_column(String(50))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    previous_hash: Mapped[str | None] = mapped_column(String(64))
    """The ``row_hash`` of the row before (the hash chain of :mod:`lantian.plan.audit`)."""
    row_hash: Mapped[str | None] = mapped_column(String(64))
    """SHA-256 of ``previous_hash`` and this row's content."""
