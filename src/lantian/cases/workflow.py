"""The case workflow's words and its status machine, as data and pure functions.

A case moves 待派发 → 已派发 → 处置中 → 待核查 → 已办结; the office may send an answer back
(退回) to the handling unit, which then handles it again; a unit may hand a case it was sent back to
the office as not its own (申请改派: 已派发 → 待派发). Escalation, repeated reports and evidence
are steps that leave the status as it is. :func:`transition` is the machine: it gives the status
after an action, or refuses with a message naming the status, the action and the actions allowed.

``ORIGINS`` are the kinds of finding a case comes from; a new origin (a permit breach, a patrol of
a new kind) is a new key here and in ``data/case_rules.toml`` — the schema stores the code as text.
"""

from __future__ import annotations

from dataclasses import dataclass

from lantian.plan.errors import LedgerValueError

ORIGINS = {
    "alarm": "在线监测报警",
    "truck_violation": "渣土车违规",
    "complaint": "群众投诉举报（12369）",
    "inspection": "检查巡查",
    "supervision": "督查督办",
}
"""Where a case comes from (its ``origin``)."""

STATUSES = {
    "pending": "待派发",
    "dispatched": "已派发",
    "handling": "处置中",
    "verifying": "待核查",
    "closed": "已办结",
    "returned": "退回",
}
"""A case's status, in the order of the workflow (退回: sent back to the handling unit)."""

OPEN_STATUSES = frozenset(STATUSES) - {"closed"}


@dataclass(frozen=True)
class Action:
    """A workflow action: its Chinese name, the permission it needs (:mod:`lantian.plan.access`),
    the statuses it may start from and the status it leads to (``None``: unchanged)."""

    zh: str
    permission: str
    from_statuses: frozenset[str]
    to_status: str | None


ACTIONS: dict[str, Action] = {
    "open": Action("立案", "case.open", frozenset(), "pending"),
    "dispatch": Action("派发", "case.dispatch", frozenset({"pending", "dispatched"}), "dispatched"),
    "decline": Action("申请改派", "case.handle", frozenset({"dispatched"}), "pending"),
    "accept": Action("签收", "case.handle", frozenset({"dispatched", "returned"}), "handling"),
    "answer": Action(
        "办理回复", "case.handle", frozenset({"dispatched", "handling", "returned"}), "verifying"
    ),
    "return": Action("退回", "case.verify", frozenset({"verifying"}), "returned"),
    "close": Action("办结", "case.verify", frozenset({"verifying"}), "closed"),
    "escalate": Action("升级督办", "case.escalate", OPEN_STATUSES, None),
    "append": Action("重复报告", "case.open", OPEN_STATUSES, None),
    "evidence": Action("上传材料", "case.evidence", OPEN_STATUSES, None),
}
"""Every action of the workflow, by code."""


class CaseTransitionError(LedgerValueError):
    """An action the case's status does not allow (HTTP 409)."""


def status_zh(status: str | None) -> str:
    return STATUSES.get(status or "", status or "")


def transition(
    status: str, action: str, origin: str = "", direct_close: frozenset[str] = frozenset()
) -> str:
    """The status after ``action`` on a case in ``status``; :class:`CaseTransitionError` if the
    machine does not allow it. ``direct_close``: origins the office closes from any open status
    (a supervision item: the office that recorded the finding verifies its remedy itself)."""
    if action not in ACTIONS:
        raise LedgerValueError(
            f"没有操作“{action}”，有效操作：{'、'.join(ACTIONS)}",
            f"unknown action {action!r}; known: {', '.join(ACTIONS)}",
            "action",
        )
    rule = ACTIONS[action]
    starts = rule.from_statuses
    if action == "close" and origin in direct_close:
        starts = OPEN_STATUSES
    if status not in starts:
        allowed = [f"{a}（{r.zh}）" for a, r in ACTIONS.items() if status in r.from_statuses]
        raise CaseTransitionError(
            f"案件状态为“{status_zh(status)}”，不能“{rule.zh}”；"
            f"此状态可进行：{'、'.join(allowed) or '无（已办结）'}",
            f"a case that is {status!r} does not allow {action!r}; allowed: "
            f"{', '.join(a for a, r in ACTIONS.items() if status in r.from_statuses) or 'none'}",
            "status",
        )
    return rule.to_status or status
