"""``lantian inventory …``: the emission inventory (issue #16) — templates, activity data, factors,
build, totals and the report.

Every command works on the ledger's database (activity data, factor overrides, the registry) and
the inventory's versions under ``LANTIAN_HOME/inventory``; it acts as the administrator
(``system``) unless ``--user NAME`` names a ledger user. Imports are all or nothing: every problem
is printed as ``file!sheet 第N行 column：reason（value）`` and nothing is stored.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from lantian.cli.common import FileFormat, FileFormatOption, OutputOption, console, errors
from lantian.cli.plan import Home, UserName, _actor, _ledger, _set_home, import_all_or_nothing
from lantian.cli.tables import write_json, write_rows
from lantian.inventory.activity import TEMPLATES, import_activity, template_workbook
from lantian.inventory.example import import_example_activity
from lantian.inventory.overrides import factors_in_force, set_override
from lantian.inventory.service import build_inventory, summary
from lantian.inventory.store import InventoryNotBuiltError
from lantian.settings import settings

inventory_app = typer.Typer(
    help="排放清单 The emission inventory: activity templates, factors, build, report.",
    no_args_is_help=True,
)
TemplateKey = StrEnum("TemplateKey", {name: name for name in TEMPLATES})  # type: ignore[misc]
Year = Annotated[int, typer.Option("--year", help="the inventory's year (e.g. 2019)")]


@inventory_app.callback()
def inventory_options(home: Home = None) -> None:
    """排放清单 The emission inventory: activity templates, factors, build, report."""
    _set_home(home)


@inventory_app.command("template")
def template_command(
    year: Year,
    output: Annotated[Path, typer.Option("--output", "-o", help="the workbook to write (.xlsx)")],
    template: Annotated[
        list[TemplateKey] | None, typer.Option("--template", help="only these (repeatable)")
    ] = None,
    user: UserName = None,
) -> None:
    """活动水平模板 the activity templates, a sheet per category, filled from the registry."""
    with _ledger() as db:
        data = template_workbook(
            db, _actor(db, user), year, [t.value for t in template or []] or None
        )
    output.write_bytes(data)
    console.print(f"已写入 written: {output}")


@inventory_app.command("import")
def import_command(
    year: Year,
    file: Annotated[Path | None, typer.Argument(help="xlsx (a sheet per template) or CSV")] = None,
    template: Annotated[
        TemplateKey | None, typer.Option("--template", help="which template (a CSV needs it)")
    ] = None,
    example: Annotated[
        bool, typer.Option("--example", help="the 冷水滩区 EXAMPLE activity data (示例数据)")
    ] = False,
    user: UserName = None,
) -> None:
    """导入活动水平 activity data for a year (all or nothing; errors by sheet, row, column)."""
    if example == (file is not None):
        raise typer.BadParameter("give a FILE or --example (not both)")
    if example:
        from lantian.cli.sources import ensure_example_registry

        ensure_example_registry()
        counts = import_all_or_nothing(
            user,
            lambda db, actor: import_example_activity(
                db, actor, year, feed_root=settings().feeds_path / "store"
            ),
        )
    else:
        if not file.is_file():
            raise typer.BadParameter(f"no such file: {file}")
        data = file.read_bytes()
        counts = import_all_or_nothing(
            user,
            lambda db, actor: import_activity(
                db, actor, file.name, data, year, template=template.value if template else None
            ),
        )
    label = "（示例数据）" if example else ""
    if "cems_hours" in counts:
        hours = counts.pop("cems_hours")
        console.print(f"✓ 示例 CEMS（示例QY04，模拟数据）：{hours} 小时 / simulated CEMS hours")
    for key, count in counts.items():
        console.print(f"✓ {TEMPLATES[key].table.sheet}{label}：{count} 行 / {key}: {count} rows")


@inventory_app.command("build")
def build_command(year: Year, user: UserName = None) -> None:
    """编制清单 build the year's inventory from the registry, activity data, factors and CEMS."""
    with _ledger() as db:
        version, built = build_inventory(
            db, _actor(db, user), year, feed_root=settings().feeds_path / "store"
        )
    rows = built.emissions.num_rows
    console.print(
        f"✓ {year} 年排放清单 {version}：{rows} 行 / inventory {year} {version}: {rows} rows"
    )
    if built.skipped:
        errors.print(
            f"{len(built.skipped)} 行未计算（缺少系数或参数，未代填） / rows not computed:"
        )
        for skipped in built.skipped[:20]:
            errors.print(
                f"  {skipped['template']} {skipped['row_key']}：{skipped['reason']}", markup=False
            )


def _summary(year: int) -> dict:
    try:
        return summary(year)
    except InventoryNotBuiltError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None


@inventory_app.command("show")
def show_command(
    year: Year,
    output_format: FileFormatOption = FileFormat.table,
    output: OutputOption = None,
) -> None:
    """清单汇总 totals by source category and pollutant [t], with shares."""
    document = _summary(year)
    if output_format is FileFormat.json:
        write_json(document, output)
        return
    label = "（示例数据，非真实清单）" if document["example"] else ""
    rows = [
        {
            "源类别": r["category"],
            "污染物": r["pollutant"],
            "排放量（吨）": round(r["tonnes"], 3),
            "占比（%）": round(100 * r["share"], 1),
        }
        for r in document["totals"]
    ]
    write_rows(rows, output_format.value, output, f"{year} 年排放清单 {document['version']}{label}")


@inventory_app.command("factors")
def factors_command(
    year: Year,
    output_format: FileFormatOption = FileFormat.table,
    output: OutputOption = None,
) -> None:
    """排放系数 the factors in force for a year; defaults marked 默认值, the district's 本地值."""
    with _ledger() as db:
        in_force = factors_in_force(db, year)
    rows = [
        {
            "系数编号": f.factor_id,
            "方法": f.method,
            "参数": f.parameter,
            "污染物": f.pollutant,
            "适用": f.source_type,
            "数值": f.value,
            "单位": f.unit,
            "类型": "默认值" if f.is_default else "本地值",
            "来源": f.source,
            "设置人": f.set_by or "",
            "设置时间": f.set_at or "",
        }
        for f in in_force.values()
    ]
    if output_format is FileFormat.json:
        write_json(rows, output)
        return
    write_rows(rows, output_format.value, output, f"{year} 年排放系数")


@inventory_app.command("override")
def override_command(
    factor_id: Annotated[str, typer.Argument(help="the factor's id (lantian inventory factors)")],
    value: Annotated[float, typer.Option("--value")],
    source: Annotated[str, typer.Option("--source", help="where the district's value comes from")],
    from_year: Annotated[int, typer.Option("--from-year")],
    low: Annotated[float | None, typer.Option("--low", help="range for the Monte Carlo")] = None,
    high: Annotated[float | None, typer.Option("--high")] = None,
    user: UserName = None,
) -> None:
    """本地排放系数 set the district's value of a factor from a year on (audited)."""
    try:
        with _ledger() as db:
            row = set_override(
                db,
                _actor(db, user),
                factor_id=factor_id,
                value=value,
                source=source,
                from_year=from_year,
                low=low,
                high=high,
            )
            text = f"✓ {row.factor_id} = {row.value:g} {row.unit}（{row.from_year} 年起，{row.set_by}）"
    except ValueError as error:
        errors.print(f"[red]{error}[/red]", markup=False)
        raise typer.Exit(1) from None
    console.print(text)


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    xlsx = "xlsx"


@inventory_app.command("report")
def report_command(
    year: Year,
    output_format: Annotated[ReportFormat, typer.Option("--format")] = ReportFormat.html,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="file to write")] = None,
) -> None:
    """清单报告 the year's inventory report: totals, shares, grid map, towns, months, P5–P95."""
    from lantian.reports.inventory import render_html, render_xlsx, report_data
    from lantian.reports.monthly import html_to_pdf

    try:
        data = report_data(year)
    except InventoryNotBuiltError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    output = output or Path(f"排放清单-{year}.{output_format.value}")
    if output_format is ReportFormat.xlsx:
        output.write_bytes(render_xlsx(data))
    elif output_format is ReportFormat.html:
        output.write_text(render_html(data), encoding="utf-8")
    else:
        try:
            html_to_pdf(render_html(data), output)
        except RuntimeError as error:
            errors.print(f"[red]{error}[/red]", markup=False)
            raise typer.Exit(1) from None
    console.print(f"已写入 written: {output}")


def ensure_example_inventory(year: int = 2019) -> None:
    """Build the 冷水滩区 EXAMPLE inventory (示例数据) of ``year`` when the registry is the example
    and no inventory exists yet (``lantian demo``)."""
    from sqlalchemy import func, select

    from lantian.inventory.models import ActivityRow
    from lantian.inventory.store import years
    from lantian.plan.access import SYSTEM
    from lantian.sources.models import Source

    if years():
        return
    with _ledger() as db:
        sources = db.scalar(select(func.count(Source.id)))
        examples = db.scalar(select(func.count(Source.id)).where(Source.example))
        if not sources or sources != examples:
            return
        if not db.scalar(select(func.count(ActivityRow.id)).where(ActivityRow.year == year)):
            import_example_activity(db, SYSTEM, year, feed_root=settings().feeds_path / "store")
    with _ledger() as db:
        version, built = build_inventory(
            db, SYSTEM, year, feed_root=settings().feeds_path / "store"
        )
    errors.print(
        f"已编制 {year} 年示例排放清单 {version}（示例数据，非真实清单）：{built.emissions.num_rows} 行"
        f"；lantian inventory report --year {year}"
    )
