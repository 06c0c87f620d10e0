"""The ledger's scoring rules as data: report due day, red/amber/green thresholds, year-end scoring.

(Named "scoring rules", not "rule set": a rule set is the standards' — :class:`lantian.standards.RuleSet`,
GB 3095 + HJ 633 + HJ 663 of a date.)

A rule set is a table of ``data/rules.toml`` (or one the office saved in ``scoring_rules``), keyed
by its code; a plan names the code it is assessed under. :func:`validate_scoring_rules` checks a rule set
has every key with a sensible value before it is stored or used.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lantian.plan.access import Actor, require
from lantian.plan.audit import act
from lantian.plan.errors import LedgerValueError, NotFoundError
from lantian.plan.models import ScoringRule
from lantian.plan.vocabulary import RAG, SUPERVISION_STEPS

ScoringRules = dict[str, Any]
COMPONENTS = ("reporting", "progress", "targets")


@cache
def bundled_scoring_rules() -> dict[str, ScoringRules]:
    """The rule sets of ``data/rules.toml``, by code."""
    text = resources.files("lantian.plan").joinpath("data", "rules.toml").read_text("utf-8")
    return tomllib.loads(text)


def _need(condition: bool, field: str, zh: str, en: str) -> None:
    if not condition:
        raise LedgerValueError(zh, en, field)


def validate_scoring_rules(rules: ScoringRules) -> ScoringRules:
    """``rules`` if it is a complete, consistent rule set; else a :class:`LedgerValueError`."""
    try:
        due_day = rules["reporting"]["report_due_day"]
        rag, scoring = rules["rag"], rules["scoring"]
        amber, red, soon = rag["amber_behind"], rag["red_behind"], rag["due_soon_days"]
        weights, points = scoring["weights"], scoring["progress_points"]
        deductions, grades = scoring["deductions"], scoring["grades"]
        cases = scoring["cases"]
        cases["overdue"], cases["repeat"], scoring["max_deduction"], scoring["full_score"]
    except (KeyError, TypeError) as missing:
        raise LedgerValueError(
            f"规则缺少键 {missing}", f"rule set lacks key {missing}", "rules"
        ) from None
    _need(1 <= due_day <= 28, "reporting.report_due_day", "报送日应在1–28之间", "due day 1–28")
    _need(0 <= amber <= red <= 1, "rag", "须 0 ≤ 黄色阈值 ≤ 红色阈值 ≤ 1", "need 0≤amber≤red≤1")
    _need(soon >= 0, "rag.due_soon_days", "临近天数不能为负", "due_soon_days ≥ 0")
    _need(
        set(weights) == set(COMPONENTS),
        "scoring.weights",
        "权重须含 " + "、".join(COMPONENTS),
        f"weights must have exactly {COMPONENTS}",
    )
    _need(
        abs(sum(weights.values()) - scoring["full_score"]) < 1e-9,
        "scoring.weights",
        "各项权重之和须等于满分",
        "weights must add up to full_score",
    )
    _need(
        set(points) == set(RAG),
        "scoring.progress_points",
        "须给出红黄绿各自得分",
        "progress_points needs green, amber and red",
    )
    _need(
        set(deductions) <= set(SUPERVISION_STEPS),
        "scoring.deductions",
        "扣分项须为五步法步骤",
        f"deductions keys must be among {list(SUPERVISION_STEPS)}",
    )
    _need(
        set(cases) == {"overdue", "repeat"} and min(cases.values()) >= 0,
        "scoring.cases",
        "案件扣分须给出 overdue（逾期）和 repeat（重复）且不为负",
        "cases needs overdue and repeat deductions ≥ 0",
    )
    bounds = [bound for bound, _ in grades]
    _need(
        bounds == sorted(bounds, reverse=True) and bounds and bounds[-1] == 0,
        "scoring.grades",
        "等级下限须从高到低排列且最后为0",
        "grade bounds must descend to 0",
    )
    return rules


def scoring_rules(db: Session, code: str) -> ScoringRules:
    """The rule set ``code``: as saved in the ledger, else as bundled; an error lists the known."""
    saved = db.scalar(select(ScoringRule).where(ScoringRule.code == code))
    if saved is not None:
        return saved.definition
    if code in bundled_scoring_rules():
        return bundled_scoring_rules()[code]
    known = sorted({*bundled_scoring_rules(), *db.scalars(select(ScoringRule.code))})
    raise NotFoundError(
        f"没有规则“{code}”，已有：{'、'.join(known)}",
        f"no rule set {code!r}; known: {known}",
        "rule",
    )


def save_scoring_rules(
    db: Session, actor: Actor, code: str, rules: ScoringRules, name: str
) -> ScoringRule:
    """Store (or replace) rule set ``code`` after validating it (office only)."""
    require(actor, "plan.manage")
    act(db, actor)
    validate_scoring_rules(rules)
    saved = db.scalar(select(ScoringRule).where(ScoringRule.code == code))
    if saved is None:
        saved = ScoringRule(code=code, name=name, definition=rules, source="saved by the office")
        db.add(saved)
    else:
        saved.name, saved.definition = name, rules
    db.flush()
    return saved
