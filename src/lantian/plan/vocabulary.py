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


COLUMNS = {
    "task_id": "任务编号",
    "measure": "措施编号",
    "category": "类别",
    "measure_title": "措施",
    "unit": "责任单位",
    "unit_kind": "单位类型",
    "role": "角色",
    "title": "任务",
    "comparison": "比较",
    "target_value": "目标值",
    "quantity_unit": "计量单位",
    "deadline": "完成时限",
    "month": "月份",
    "status": "状态",
    "quantity": "累计完成量",
    "progress": "完成率",
    "review_status": "审核",
    "rag": "红黄绿",
    "rag_reason": "说明",
    "narrative": "进展情况",
    "kind_zh": "类型",
    "item": "事项",
    "due": "应完成日期",
    "days_overdue": "逾期天数",
    "tasks": "任务数",
    "filed": "已报送",
    "missing": "未报送",
    "red": "红",
    "amber": "黄",
    "green": "绿",
    "rank": "排名",
    "score": "得分",
    "grade": "等级",
    "deduction": "扣分",
    "reports_due": "应报送",
    "reports_on_time": "按时报送",
    "targets": "量化目标数",
    "cases_on_time": "案件按期办理",
    "cases_overdue": "案件逾期",
    "cases_repeat": "案件重复发生",
    "number": "编号",
    "lead": "牵头单位",
    "cooperate": "配合单位",
    "implement": "实施单位",
    "participate": "参与单位",
    "content": "内容",
    "step": "督办方式",
    "on": "日期",
    "finding": "发现问题",
    "follow_up_deadline": "整改期限",
    "closed_on": "办结日期",
    "closure": "整改情况",
}
"""Chinese column headers of every view, by the glossary's field names (xlsx, CLI tables)."""

PLAN_COLUMNS = {
    "field": "字段",
    "value": "值",
    "pollutant": "污染物",
    "metric": "评价指标",
    "comparison": "比较",
    "target": "目标值",
    "baseline": "基准值",
    "baseline_year": "基准年",
    "quantity_unit": "计量单位",
    "standard": "标准",
    "years": "年份",
    "quote": "原文",
    "note": "备注",
    "name": "名称",
    "kind": "类型",
    "number": "编号",
    "title": "名称",
    "category": "类别编号",
    "content": "内容",
    "lead": "牵头单位",
    "cooperate": "配合单位",
    "implement": "实施单位",
    "participate": "参与单位",
    "units_as_written": "责任单位原文",
    "units_note": "责任单位备注",
    "measure": "措施编号",
    "key": "键",
    "indicator": "指标",
    "start": "开始日期",
    "deadline": "完成时限",
}
"""Chinese column headers of the plan workbook (:mod:`lantian.plan.plan_workbook`)."""
