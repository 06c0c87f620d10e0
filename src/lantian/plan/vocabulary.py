"""The ledger's words: every enumerated value, its Chinese display name, in one table each.

Codes (the keys) are what the database, JSON, CLI flags and xlsx imports use; the Chinese names are
what people read. Imports accept either. :func:`code` turns either into the code and, for an unknown
value, raises an error that lists the valid ones.
"""

from __future__ import annotations

from lantian.plan.errors import LedgerValueError

ROLES = {"office": "办公室", "reporter": "责任单位填报员", "leader": "领导"}
"""User roles (方案五（一）：领导小组办公室; 责任单位; 领导小组)."""

UNIT_KINDS = {
    "department": "区直部门",
    "town": "乡镇",
    "subdistrict": "街道",
    "park": "园区",
    "company": "企业",
}

UNIT_ROLES = {"lead": "牵头", "cooperate": "配合", "implement": "实施", "participate": "参与"}
"""How a unit is named in a measure's responsibility clause (e.g. “区住建局牵头，……参与”)."""

REPORT_STATUSES = {
    "not_started": "未启动",
    "in_progress": "推进中",
    "completed": "已完成",
    "blocked": "受阻",
}

REVIEW_STATUSES = {"submitted": "已报送", "accepted": "已审核", "returned": "已退回"}

SUPERVISION_STEPS = {
    "inspect": "督查",
    "assign": "交办",
    "patrol": "巡查",
    "interview": "约谈",
    "special_inspection": "专项督察",
}
"""The five-step method (“五步法”), in the plan's order: 方案五（四）."""

COMPARISONS = {">=": "不少于", "<=": "不超过", "=": "等于"}
"""How a quantified target compares the achieved quantity with its value."""

RAG = {"green": "绿", "amber": "黄", "red": "红"}
"""Ledger status of a task against its deadline and target (see :mod:`lantian.plan.status`)."""

GRADES_ORDER = ("优秀", "良好", "合格", "不合格")

VOCABULARIES: dict[str, dict[str, str]] = {
    "role": ROLES,
    "unit_kind": UNIT_KINDS,
    "unit_role": UNIT_ROLES,
    "status": REPORT_STATUSES,
    "review_status": REVIEW_STATUSES,
    "step": SUPERVISION_STEPS,
    "comparison": COMPARISONS,
    "rag": RAG,
}


def code(vocabulary: str, value: str, field: str | None = None) -> str:
    """The code of ``value`` (a code or its Chinese name) in ``vocabulary``; an error lists the valid."""
    table = VOCABULARIES[vocabulary]
    value = str(value).strip()
    if value in table:
        return value
    for key, name in table.items():
        if value == name:
            return key
    valid = "、".join(f"{key}（{name}）" for key, name in table.items())
    raise LedgerValueError(
        f"“{value}”不是有效值，有效值：{valid}",
        f"{value!r} is not valid; valid values: {', '.join(table)}",
        field or vocabulary,
    )


def name_zh(vocabulary: str, key: str | None) -> str:
    """The Chinese display name of code ``key`` (empty for ``None``)."""
    return "" if key is None else VOCABULARIES[vocabulary][key]
