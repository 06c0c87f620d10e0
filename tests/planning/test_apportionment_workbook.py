"""The apportionment workbook (lantian.planning.apportionment): read whole or refused whole, every
problem named by sheet, row and column. Workbooks are constructed in the test."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from lantian.plan.errors import ImportRejectedError
from lantian.planning.apportionment import parse_workbook, template_workbook

INFO = [
    ["项目", "内容"],
    ["名称", "测试源解析"],
    ["类别", "已发布源解析"],
    ["区域", "冷水滩区中心城区"],
]
INFO += [["年份", 2019], ["出处", "构造的测试数据"]]
COMPONENTS = [
    ["来源", "类型", "贡献率%", "清单源类别", "二次组分"],
    ["区域传输", "区域传输", 35, None, None],
    ["扬尘", "一次源", 20, "扬尘源", None],
    ["硝酸盐", "二次", 15, None, "硝酸盐"],
    ["其他", "未解析", 5, None, None],
]


def _book(info=INFO, components=COMPONENTS, ctm=None) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in (("基本信息", info), ("源解析", components), ("模型敏感性", ctm)):
        if rows is None:
            continue
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _errors(data: bytes) -> list[str]:
    with pytest.raises(ImportRejectedError) as error:
        parse_workbook("解析.xlsx", data)
    return [f"{e.sheet}!{e.row} {e.column}" for e in error.value.errors]


def test_a_good_workbook():
    result = parse_workbook("解析.xlsx", _book())
    assert (result["name"], result["kind"], result["year"]) == ("测试源解析", "published", 2019)
    assert [(c.kind, c.share, c.category, c.species) for c in result["components"]] == [
        ("regional", 0.35, None, None),
        ("primary", 0.20, "扬尘源", None),
        ("secondary", 0.15, None, "nitrate"),
        ("unattributed", 0.05, None, None),
    ]
    assert result["sensitivities"] is None


def test_every_problem_is_named_by_sheet_row_and_column():
    components = [
        COMPONENTS[0],
        ["扬尘", "一次源", "二十", None, None],  # row 2: not a number, no category
        ["硝酸盐", "二次", 15, None, "硝酸"],  # row 3: unknown species
        ["x", "三次", 120, None, None],  # row 4: unknown type, share out of range
    ]
    assert _errors(_book(components=components)) == [
        "源解析!2 贡献率%",
        "源解析!2 清单源类别",
        "源解析!3 二次组分",
        "源解析!4 类型",
        "源解析!4 贡献率%",
    ]


def test_shares_above_100_percent_are_refused():
    components = [*COMPONENTS, ["更多", "一次源", 40, "扬尘源", None]]
    assert _errors(_book(components=components)) == ["源解析!0 贡献率%"]


def test_missing_sheet_column_and_info():
    assert _errors(_book(components=None)) == ["源解析!0 "]
    assert _errors(_book(components=[["来源", "类型"], ["a", "一次源"]])) == [
        "源解析!1 贡献率%",
        "源解析!1 清单源类别",
        "源解析!1 二次组分",
    ]
    info = [row for row in INFO if row[0] != "出处"] + [["年份x", 1]]
    assert _errors(_book(info=info)) == ["基本信息!6 项目", "基本信息!0 出处"]


def test_a_ctm_result_needs_its_sensitivities():
    info = [row if row[0] != "类别" else ["类别", "空气质量模型敏感性"] for row in INFO]
    assert _errors(_book(info=info)) == ["模型敏感性!0 "]
    ctm = [
        ["清单源类别", "污染物", "PM2.5变化"],
        ["化石燃料固定燃烧源", "SO2", 1.5],
        ["扬尘源", "PM2.5", -1],
    ]
    assert _errors(_book(info=info, ctm=ctm)) == ["模型敏感性!3 PM2.5变化"]
    good = parse_workbook("ctm.xlsx", _book(info=info, ctm=ctm[:2]))
    assert good["sensitivities"] == [
        {"category": "化石燃料固定燃烧源", "pollutant": "SO2", "value": 1.5}
    ]


def test_not_a_workbook():
    assert _errors(b"PK\x03\x04 not really") == ["!0 "]


def test_the_template_reads_back_once_filled():
    with pytest.raises(ImportRejectedError) as error:
        parse_workbook("模板.xlsx", template_workbook())
    assert {e.column for e in error.value.errors} >= {"名称", "区域", "年份", "出处"}
