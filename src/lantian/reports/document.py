"""The HTML frame every report renders in: one Jinja environment over ``reports/templates``,
whose ``base.html`` holds the head (house style, ECharts inlined from Lantian's own package so the
file opens offline), the heading and the colophon; each report template extends it.

:func:`render_document` is the one way a report becomes HTML: it supplies what ``base.html``
needs (``echarts``, ``generated``) besides the report's own context.
"""

from __future__ import annotations

import base64
import csv
import io
import json
from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape

from lantian.times import beijing_today


def csv_link(rows: list[dict[str, object]]) -> str:
    """A data: URI holding ``rows`` as CSV (UTF-8 with BOM for Excel)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else [])
    writer.writeheader()
    writer.writerows(rows)
    payload = base64.b64encode(b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")).decode()
    return f"data:text/csv;charset=utf-8;base64,{payload}"


def number(value: object) -> object:
    """Numbers as printed: 9.0 → 9; None → NA."""
    if value is None:
        return "NA"
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def echarts_source() -> str:
    """Apache ECharts as served by the web app (``lantian/web/static/echarts``), to inline."""
    return (
        resources.files("lantian.web")
        .joinpath("static", "echarts", "echarts.min.js")
        .read_text(encoding="utf-8")
    )


def environment() -> Environment:
    """The reports' Jinja environment with their filters: ``csv_link``, ``num``, ``tojson_zh``."""
    environment = Environment(
        loader=PackageLoader("lantian.reports"), autoescape=select_autoescape()
    )
    environment.filters["csv_link"] = csv_link
    environment.filters["num"] = number
    environment.filters["tojson_zh"] = lambda value: json.dumps(
        value, ensure_ascii=False, default=str
    )
    return environment


def render_document(template: str, **context: object) -> str:
    """``template`` (a report extending ``base.html``) rendered with ``context`` as one HTML file."""
    return (
        environment()
        .get_template(template)
        .render(**context, echarts=echarts_source(), generated=beijing_today().isoformat())
    )
