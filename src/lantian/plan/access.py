"""Who may do what: the roles' permissions as one table, and the checks the services call.

The office (办公室) manages the plan, reviews and locks months, records supervision and assessment;
a unit reporter (责任单位填报员) files and edits its own unit's reports while the month is unlocked;
a leader (领导) reads everything; nobody else can do anything. ``system`` is the command line run on
the server by its administrator (loading a plan, adding users); it is never a user's role.
"""

from __future__ import annotations

from dataclasses import dataclass

from lantian.plan.errors import LedgerPermissionError
from lantian.plan.vocabulary import ROLES


@dataclass(frozen=True)
class Actor:
    """Who acts: a logged-in user (``id`` set) or the server's command line (``role='system'``)."""

    id: int | None
    name: str
    role: str
    unit_id: int | None = None


SYSTEM = Actor(id=None, name="system", role="system")
"""The command line on the server (administrator): plan loading, user management."""

PERMISSIONS: dict[str, frozenset[str]] = {
    "plan.manage": frozenset({"office", "system"}),
    "report.file": frozenset({"reporter"}),
    "report.review": frozenset({"office"}),
    "month.lock": frozenset({"office"}),
    "supervision.record": frozenset({"office"}),
    "assessment.record": frozenset({"office"}),
    "user.manage": frozenset({"office", "system"}),
    "ledger.read": frozenset({"office", "leader", "system"}),
    "unit.read": frozenset({"office", "leader", "reporter", "system"}),
    "plan.read": frozenset({"office", "leader", "reporter", "system"}),
    "sources.manage": frozenset({"office", "system"}),
    "sources.read": frozenset({"office", "leader", "reporter", "system"}),
    "inventory.manage": frozenset({"office", "system"}),
    "inventory.read": frozenset({"office", "leader", "reporter", "system"}),
    "case.open": frozenset({"office", "system"}),
    "case.dispatch": frozenset({"office", "system"}),
    "case.verify": frozenset({"office", "system"}),
    "case.escalate": frozenset({"office", "system"}),
    "case.handle": frozenset({"reporter"}),
    "case.evidence": frozenset({"office", "reporter"}),
    "case.read": frozenset({"office", "leader", "reporter", "system"}),
}
"""Action → roles allowed. The actions of :data:`UNIT_BOUND` are further bound to the reporter's unit."""

UNIT_BOUND = frozenset({"report.file", "unit.read", "case.handle", "case.evidence", "case.read"})
"""Actions a reporter may do only on their own unit's data."""

ACTION_ZH = {
    "plan.manage": "管理计划",
    "report.file": "填报月度进展",
    "report.review": "审核月度进展",
    "month.lock": "锁定月份",
    "supervision.record": "记录督查督办",
    "assessment.record": "记录年度考核",
    "user.manage": "管理用户",
    "ledger.read": "查看台账",
    "unit.read": "查看单位页面",
    "plan.read": "查看计划",
    "sources.manage": "管理污染源和设备登记",
    "sources.read": "查看污染源和设备登记",
    "inventory.manage": "管理排放清单（活动水平、排放系数）",
    "inventory.read": "查看排放清单",
    "case.open": "立案",
    "case.dispatch": "派发案件",
    "case.verify": "核查、退回或办结案件",
    "case.escalate": "升级督办案件",
    "case.handle": "办理案件",
    "case.evidence": "上传案件材料",
    "case.read": "查看案件",
}


def allowed(actor: Actor, action: str, unit_id: int | None = None) -> bool:
    """Whether ``actor`` may do ``action`` (on ``unit_id``'s data, for unit-bound actions)."""
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action {action!r}; known: {', '.join(PERMISSIONS)}")
    if actor.role not in PERMISSIONS[action]:
        return False
    if actor.role == "reporter" and action in UNIT_BOUND:
        return unit_id is not None and unit_id == actor.unit_id
    return True


def require(actor: Actor, action: str, unit_id: int | None = None) -> None:
    """Raise :class:`LedgerPermissionError` unless ``actor`` may do ``action``."""
    if allowed(actor, action, unit_id):
        return
    role_zh = ROLES.get(actor.role, actor.role)
    if actor.role == "reporter" and actor.role in PERMISSIONS[action]:
        raise LedgerPermissionError(
            f"填报员只能处理本单位的数据，无权{ACTION_ZH[action]}（其他单位）",
            f"a reporter may only {action} for their own unit",
            "unit",
        )
    raise LedgerPermissionError(
        f"“{role_zh}”角色无权{ACTION_ZH[action]}",
        f"role {actor.role!r} may not {action}",
        "role",
    )
