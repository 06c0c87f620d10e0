"""The reports' one frame: ``reports/templates/base.html`` holds the head (house style, ECharts
inlined), the heading and the colophon; every report template extends it and writes none of its own.

That the monthly report, the inventory and the roadmap render byte for byte as before the base was
introduced was checked once by rendering the same pickled data with the old and the new templates
(commit message); here the tests keep the shape that made it so."""

from __future__ import annotations

import re
from importlib import resources

import pytest

from lantian.reports.document import environment, render_document

TEMPLATES = resources.files("lantian.reports").joinpath("templates")
REPORTS = sorted(
    p.name for p in TEMPLATES.iterdir() if p.name.endswith(".html") and p.name[0] != "_"
)


ROADMAP_CONTEXT = {
    "title": "路线图",
    "rm": {"example": False, "summary_zh": "摘要"},
    "basis": "响应模型依据",
    "summary": [],
    "measures": [],
    "needs": [],
    "monthly": [],
    "chart": {},
}


def test_there_are_reports_besides_the_base():
    assert {"base.html", "monthly.html", "inventory.html", "roadmap.html"} <= set(REPORTS)


@pytest.mark.parametrize("name", [n for n in REPORTS if n != "base.html"])
def test_each_report_extends_the_base_and_writes_no_head_of_its_own(name):
    text = TEMPLATES.joinpath(name).read_text(encoding="utf-8")
    assert text.startswith('{% extends "base.html" %}\n')
    for own in ("<!doctype", "<html", "<head", "<style", "<body", "<title", "{{ echarts"):
        assert own not in text.lower(), f"{name} writes {own} itself: put it in base.html"


def test_a_new_report_gets_the_frame_from_the_base():
    """What the annual report to the people's congress will do: extend the base, fill content."""
    template = environment().from_string(
        '{% extends "base.html" %}{% block content %}<h2>一、总体情况</h2>{% endblock %}'
        "{% block colophon %}浓度单位 μg/m³。{% endblock %}"
    )
    html = template.render(
        title="冷水滩区2019年大气污染防治工作报告", echarts="/*e*/", generated="2026-12-03"
    )
    assert html.startswith('<!doctype html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">')
    assert "<title>冷水滩区2019年大气污染防治工作报告</title>" in html
    assert "<h1>冷水滩区2019年大气污染防治工作报告</h1>" in html
    assert "<script>/*e*/</script>" in html
    assert "height: 360px" in html  # the default chart height
    assert '<p class="note">由蓝天 Lantian 生成于 2026-12-03。浓度单位 μg/m³。</p>' in html
    assert html.index("<h2>一、总体情况</h2>") < html.index("由蓝天 Lantian")


def test_render_document_inlines_our_echarts_and_dates_the_document():
    html = render_document("roadmap.html", **ROADMAP_CONTEXT)
    assert re.search(r"<script>.{100000,}</script>", html, re.S)  # ECharts, not a link to it
    assert not re.search(r"""(src|href)=["']https?://""", html)
    assert "<h1>" not in html  # the roadmap's own h2 is its heading
    assert html.count("<head>") == 1
