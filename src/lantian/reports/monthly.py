"""``lantian report``: the monthly air-quality report of a city or area, in Chinese.

One self-contained HTML file (Apache ECharts inlined from Lantian's own package: it opens offline)
with the month's evaluation, the year-to-date evaluation and, for a plan area, the progress against
its targets with the remaining budget; the calendar of daily AQI; the monthly trend of the year. The
data behind every chart is printed as a table and offered as a CSV download inside the file. PDF is
the same page printed by headless Chromium (Debian's ``chromium``).
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import tempfile
from pathlib import Path

from lantian.assess.aqi_series import aqi_series
from lantian.assess.assessment import assess
from lantian.assess.progress import STATUS_NAMES, progress
from lantian.assess.scope import Scope
from lantian.planning.outputs import roadmap_context
from lantian.planning.roadmap import report_roadmap
from lantian.reports.document import render_document
from lantian.standards import (
    BASIC_POLLUTANTS,
    category_table,
    completeness_default,
    completeness_name,
)
from lantian.standards.tables import table
from lantian.store import MeasurementStore
from lantian.times import month_days

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


def report_data(store: MeasurementStore, scope: Scope, month: str) -> dict[str, object]:
    """Everything the monthly report shows, as data."""
    first, last = month_days(month)
    year, number = first.year, first.month
    month_result = assess(store, scope, first, last)
    ytd = assess(store, scope, dt.date(year, 1, 1), last)
    days = aqi_series(store, scope, first, last).to_pylist()
    calendar_rows = [
        {
            "日期": str(r["day"]),
            "AQI": r["aqi"],
            "类别": r["category_zh"],
            "首要污染物": r["primary_pollutants"],
        }
        for r in days
    ]
    year_days = aqi_series(store, scope, dt.date(year, 1, 1), last).to_pylist()
    monthly = {}
    for row in year_days:
        key = str(row["day"])[:7]
        monthly.setdefault(key, {p: [] for p in BASIC_POLLUTANTS})
        for p in BASIC_POLLUTANTS:
            value = row["O3_8h" if p == "O3" else p]  # O3: the daily MDA8
            if value is not None:
                monthly[key][p].append(value)
    trend_rows = [
        {
            "月份": key,
            **{
                p: round(sum(v) / len(v), 1 if p == "CO" else 0) if v else None
                for p, v in values.items()
            },
        }
        for key, values in sorted(monthly.items())
    ]
    targets = progress(store, scope, last)["targets"] if scope.kind == "area" else []
    roadmap, roadmap_note = report_roadmap(store, scope, month)
    return {
        "title": f"{scope.name}{year}年{number}月环境空气质量月报",
        "scope": scope,
        "month": month,
        "first": first,
        "last": last,
        "month_result": month_result,
        "ytd": ytd,
        "calendar_rows": calendar_rows,
        "calendar_download": [  # the download names the daily AQI's completeness rule per row
            {**row, "缺项时的AQI": day["completeness"]}
            for row, day in zip(calendar_rows, days, strict=True)
        ],
        "trend_rows": trend_rows,
        "targets": targets,
        "roadmap": roadmap,
        "roadmap_note": roadmap_note,
        "categories": category_table(month_result["rule_set"]["hj633"]),
        "completeness_note": completeness_name(
            str(days[0]["completeness"]) if days else completeness_default("daily"), "daily"
        ),
    }


def render_roadmap_html(doc: dict[str, object]) -> str:
    """``lantian plan roadmap --format html``: the roadmap section as one offline HTML document."""
    return render_document(
        "roadmap.html",
        **roadmap_context(doc),
        title=f"{doc['area']} {doc['target_year']} 年达标路线图",
    )


def render_html(data: dict[str, object]) -> str:
    """The report as one HTML document."""
    roadmap = data.get("roadmap")
    return render_document(
        "monthly.html",
        **data,
        **(roadmap_context(roadmap, "五、达标路线图") if isinstance(roadmap, dict) else {}),
        metric_zh={row["metric"]: row["name_zh"] for row in table("metrics")},
        status_zh={status: names[0] for status, names in STATUS_NAMES.items()},
        pollutants=BASIC_POLLUTANTS,
    )


def find_chromium() -> str | None:
    """The path of a Chromium on this machine, or None."""
    for name in CHROMIUM:
        path = shutil.which(name)
        if path:
            return path
    return None


def html_to_pdf(html: str, output: Path) -> None:
    """Print ``html`` to ``output`` with headless Chromium (charts drawn before printing)."""
    chromium = find_chromium()
    if chromium is None:
        raise RuntimeError(
            "PDF needs Chromium: install it with `apt-get install chromium fonts-noto-cjk` (scripts/browser)"
        )
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "report.html"
        page.write_text(html, encoding="utf-8")
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                f"--user-data-dir={folder}/profile",
                "--virtual-time-budget=10000",
                "--run-all-compositor-stages-before-draw",
                "--no-pdf-header-footer",
                f"--print-to-pdf={output}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
