"""``lantian plan roadmap``, ``lantian plan links …`` and ``lantian plan apportionment …``: the
measures' expected cuts and the attainment roadmap (issue #16 parts 2 and 3). Parse, call
:mod:`lantian.planning`, print."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import select

from lantian.cli.assess import AreaOpt, PlanOpt, _scope
from lantian.cli.common import store
from lantian.cli.plan import PlanCode, UserName, _actor, _ledger, console, errors, plan_app
from lantian.cli.tables import write_rows
from lantian.plan.access import SYSTEM as SYSTEM_ACTOR
from lantian.plan.plans import get_plan
from lantian.planning import apportionment as apportionments
from lantian.planning.links import link_cuts, load_example_links, plan_links
from lantian.planning.outputs import basis_line, measure_table, roadmap_xlsx, summary_rows
from lantian.planning.roadmap import roadmap

links_app = typer.Typer(help="措施关联清单 Measures' links to the inventory.", no_args_is_help=True)
apportionment_app = typer.Typer(
    help="源解析结果 Source-apportionment results.", no_args_is_help=True
)
plan_app.add_typer(links_app, name="links")
plan_app.add_typer(apportionment_app, name="apportionment")


class RoadmapFormat(StrEnum):
    table = "table"
    json = "json"
    xlsx = "xlsx"
    html = "html"


def _inventory(year: int):
    from lantian.inventory import InventoryNotBuiltError, load

    try:
        return load(year)
    except InventoryNotBuiltError as error:
        errors.print(f"[red]✗[/red] {error}")
        raise typer.Exit(2) from None


@plan_app.command("roadmap")
def roadmap_command(
    area: AreaOpt = None,
    target_year: Annotated[int, typer.Option("--target-year", help="e.g. 2020")] = ...,
    base_year: Annotated[
        int | None,
        typer.Option("--base-year", help="inventory and observed base (default: year before)"),
    ] = None,
    target: Annotated[
        float | None, typer.Option("--target", help="PM2.5 target [µg/m³] (default: the plan's)")
    ] = None,
    month: Annotated[
        str | None, typer.Option("--month", help="achieved cuts as of this month (YYYY-MM)")
    ] = None,
    apportionment: Annotated[
        str | None, typer.Option("--apportionment", help="result name (default: the area's newest)")
    ] = None,
    plan_file: PlanOpt = None,
    plan: PlanCode = None,
    output: Annotated[RoadmapFormat, typer.Option("--format", help="table, json, xlsx or html")] = (
        RoadmapFormat.table
    ),
    file: Annotated[Path | None, typer.Option("--output", "-o", help="file for xlsx/html")] = None,
    user: UserName = None,
) -> None:
    """达标路线图 The cut needed, the measures' planned and achieved µg/m³, and the residual gap."""
    if area is None:
        raise typer.BadParameter("give --area, e.g. 冷水滩区中心城区")
    scope = _scope(None, None, area, plan_file)
    inventory = _inventory(base_year or target_year - 1)
    with _ledger() as db:
        doc = roadmap(
            db,
            _actor(db, user),
            get_plan(db, plan),
            store(),
            scope,
            inventory,
            target_year,
            base_year=base_year,
            target=target,
            month=month,
            apportionment=apportionment,
            plan_file=plan_file,
        )
    _print_roadmap(doc, output, file)


def _print_roadmap(doc: dict, output: RoadmapFormat, file: Path | None) -> None:
    if output is RoadmapFormat.json:
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1, default=str) + "\n")
        return
    if output is RoadmapFormat.table:
        write_rows(
            summary_rows(doc), "table", None, f"{doc['area']} {doc['target_year']} 年达标路线图"
        )
        rows = [{k: v for k, v in r.items() if k != "名称"} for r in measure_table(doc)]
        write_rows(rows, "table", None, "措施贡献")
        console.print(basis_line(doc))
        return
    if output is RoadmapFormat.xlsx:
        data = roadmap_xlsx(doc)
    else:
        from lantian.reports.monthly import render_roadmap_html

        data = render_roadmap_html(doc).encode("utf-8")
    target = file or Path(f"{doc['area']}-{doc['target_year']}-达标路线图.{output.value}")
    target.write_bytes(data)
    console.print(f"已写入 written: {target}")


@links_app.command("load-example")
def links_example_command(plan: PlanCode = None) -> None:
    """载入示例关联 Store the EXAMPLE links of the model plan's measures (示例数据)."""
    with _ledger() as db:
        count = load_example_links(db, SYSTEM_ACTOR, get_plan(db, plan))
    console.print(f"已载入 {count} 条示例关联（示例数据） / loaded {count} EXAMPLE links")


@links_app.command("list")
def links_list_command(
    year: Annotated[int | None, typer.Option("--year", help="inventory year: show tonnes")] = None,
    month: Annotated[str | None, typer.Option("--month", help="achieved as of (YYYY-MM)")] = None,
    plan: PlanCode = None,
    format: Annotated[
        str, typer.Option("--format", help="table, json, csv, xlsx or html")
    ] = "table",
    file: Annotated[Path | None, typer.Option("--output", "-o")] = None,
    user: UserName = None,
) -> None:
    """措施关联 Each link, and with --year its tonnes removed planned and achieved."""
    inventory = _inventory(year) if year else None
    with _ledger() as db:
        actor, the_plan = _actor(db, user), get_plan(db, plan)
        if inventory is None:
            rows = [_link_row(link, format != "table") for link in plan_links(db, the_plan)]
        else:
            month = month or f"{year + 1}-12"
            rows = [
                {
                    **_link_row(cut.link, format != "table"),
                    "削减比例": round(cut.fraction, 4),
                    "完成比例": round(cut.done_share, 4),
                    "计划削减 (t)": _tonnes(cut.planned),
                    "已完成削减 (t)": _tonnes(cut.achieved),
                }
                for cut in link_cuts(db, actor, the_plan, inventory, month)
            ]
    if format == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
    else:
        write_rows(rows, format, file, "措施关联清单")


def _tonnes(table) -> str:
    return "、".join(
        f"{p} {t:.3g}"
        for p, t in zip(table["pollutant"].to_pylist(), table["t"].to_pylist(), strict=True)
    )


def _link_row(link, with_basis: bool) -> dict[str, object]:
    """A link as a row; its 依据 (long text) only where it is not a terminal table."""
    row = {
        "编号": link.id,
        "措施": link.measure.number,
        "量化目标": link.target.key if link.target else "",
        "清单行": "，".join(f"{k}={v}" for k, v in link.selector.items()),
        "污染物": "、".join(link.pollutants or []) or "全部",
        "变化类型": link.change_kind,
        "变化前": link.value_before,
        "变化后": link.value_after,
        "控制效率": link.control_efficiency,
        "费用 (万元)": link.cost,
        "示例": "示例" if link.example else "",
    }
    return {**row, "依据": link.basis} if with_basis else row


@apportionment_app.command("template")
def apportionment_template_command(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="xlsx workbook to write")],
) -> None:
    """源解析模板 Write the apportionment workbook's template (基本信息, 源解析, 模型敏感性)."""
    file.write_bytes(apportionments.template_workbook())
    console.print(f"已写入 written: {file}")


@apportionment_app.command("import")
def apportionment_import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="xlsx workbook")],
    user: UserName = None,
) -> None:
    """导入源解析 Import a PMF output, published apportionment or CTM sensitivities (all or nothing)."""
    with _ledger() as db:
        result = apportionments.import_workbook(db, _actor(db, user), file.name, file.read_bytes())
        name, kind = result.name, apportionments.KIND_ZH[result.kind]
    console.print(f"已导入源解析结果“{name}”（{kind}） / imported")


@apportionment_app.command("state")
def apportionment_state_command(
    name: Annotated[str, typer.Option("--name", help="a name for this statement")],
    area: Annotated[str, typer.Option("--area")],
    year: Annotated[int, typer.Option("--year")],
    regional: Annotated[float, typer.Option("--regional", help="regional share [0–1]")],
    source: Annotated[str, typer.Option("--source", help="where the fractions come from")],
    sulphate: Annotated[float, typer.Option("--sulphate")] = 0.0,
    nitrate: Annotated[float, typer.Option("--nitrate")] = 0.0,
    soa: Annotated[float, typer.Option("--soa")] = 0.0,
    ammonium: Annotated[float, typer.Option("--ammonium")] = 0.0,
    example: Annotated[
        bool, typer.Option("--example", help="mark as example data (示例数据)")
    ] = False,
    user: UserName = None,
) -> None:
    """设定比例 No apportionment: state the regional and secondary fractions (inventory basis)."""
    secondary = {"sulphate": sulphate, "nitrate": nitrate, "SOA": soa, "ammonium": ammonium}
    with _ledger() as db:
        apportionments.store_inventory_basis(
            db, _actor(db, user), name, area, year, regional, secondary, source, example
        )
    console.print(f"已保存“{name}”：一次源按清单 PM2.5 占比分配 / stored (inventory basis)")


@apportionment_app.command("list")
def apportionment_list_command(format: Annotated[str, typer.Option("--format")] = "table") -> None:
    """源解析结果 The stored results: name, kind, area, year, source."""
    from lantian.planning.models import Apportionment

    with _ledger() as db:
        rows = [
            {
                "名称": r.name,
                "类别": apportionments.KIND_ZH[r.kind],
                "区域": r.area,
                "年份": r.year,
                "出处": r.source,
                "示例": "示例" if r.example else "",
            }
            for r in db.scalars(select(Apportionment).order_by(Apportionment.id))
        ]
    if format == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=1) + "\n")
    else:
        write_rows(rows, format, None, "源解析结果")


EXAMPLE_APPORTIONMENT = "示例-清单法"
"""The demo's stated fractions (示例数据): invented to show the method, never the district's."""


def ensure_example_roadmap(area: str = "冷水滩区中心城区", year: int = 2019) -> bool:
    """The measures and the apportionment of the demo's chain inventory → measures → roadmap on
    EXAMPLE data (示例数据), each only where the home lacks it: the model plan, the example links and
    an example statement of the regional and secondary fractions. The example inventory is
    ``lantian.cli.inventory.ensure_example_inventory``'s; False when ``year`` has none."""
    from lantian.inventory.store import years
    from lantian.plan.models import Plan
    from lantian.plan.plans import load_example
    from lantian.planning.models import Apportionment

    if year not in years():
        return False
    with _ledger() as db:
        plan = db.scalars(select(Plan)).first() or load_example(db, SYSTEM_ACTOR)
        if not plan_links(db, plan):
            load_example_links(db, SYSTEM_ACTOR, plan)
        if db.scalar(select(Apportionment).where(Apportionment.area == area)) is None:
            apportionments.store_inventory_basis(
                db,
                SYSTEM_ACTOR,
                EXAMPLE_APPORTIONMENT,
                area,
                year,
                0.35,
                {"sulphate": 0.12, "nitrate": 0.10, "SOA": 0.05, "ammonium": 0.06},
                "示例数据：区域传输与二次组分比例为演示而设，非本地源解析结果",
                example=True,
            )
    return True


def print_demo_roadmap(area: str = "冷水滩区中心城区", target_year: int = 2020) -> None:
    """The demo's roadmap table (the same as ``lantian plan roadmap``)."""
    if not ensure_example_roadmap(area, target_year - 1):
        errors.print(
            f"未编制 {target_year - 1} 年排放清单，跳过达标路线图 / no inventory: no roadmap"
        )
        return
    scope = _scope(None, None, area, None)
    inventory = _inventory(target_year - 1)
    with _ledger() as db:
        doc = roadmap(db, SYSTEM_ACTOR, get_plan(db), store(), scope, inventory, target_year)
    _print_roadmap(doc, RoadmapFormat.table, None)


@apportionment_app.command("pmf")
def apportionment_pmf_command(
    values: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="speciation CSV")],
    uncertainty: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="uncertainty CSV, same layout")
    ],
    factors: Annotated[int, typer.Option("--factors", help="number of factors")],
    name: Annotated[str, typer.Option("--name", help="a name for the result")],
    area: Annotated[str, typer.Option("--area")],
    year: Annotated[int, typer.Option("--year")],
    source: Annotated[str, typer.Option("--source", help="where the samples come from")],
    total: Annotated[str, typer.Option("--total", help="the total variable")] = "PM2.5",
    factor: Annotated[
        list[str] | None,
        typer.Option(
            "--factor", help='what a factor is: "Factor 1=一次源:扬尘源", "Factor 2=二次:硝酸盐"'
        ),
    ] = None,
    models: Annotated[int, typer.Option("--models", help="ESAT models (best kept)")] = 10,
    seed: Annotated[int, typer.Option("--seed")] = 42,
    user: UserName = None,
) -> None:
    """受体模型 Run PMF with US EPA's ESAT on speciation data and store the result (scripts/esat)."""
    from lantian.ingest.schema import FormatError
    from lantian.ingest.speciation import read_speciation
    from lantian.planning.pmf import (
        EsatUnavailableError,
        factor_shares,
        parse_factor,
        run_esat,
        store_run,
    )

    try:
        samples, species, v = read_speciation(values)
        samples_u, species_u, u = read_speciation(uncertainty)
        if (samples_u, species_u) != (samples, species):
            raise typer.BadParameter("the uncertainty file's samples and species differ")
        meanings = dict(parse_factor(text) for text in factor or [])
        with console.status(
            f"ESAT：{len(samples)} 个样品、{len(species)} 个组分、{factors} 个因子…"
        ):
            run = run_esat(v, u, tuple(species), factors, models=models, seed=seed)
    except (FormatError, ValueError, EsatUnavailableError) as error:
        sys.stderr.write(f"✗ {error}\n")
        raise typer.Exit(2) from None
    with _ledger() as db:
        store_run(
            db,
            _actor(db, user),
            run,
            name=name,
            area=area,
            year=year,
            total=total,
            meanings=meanings,
            source=source,
        )
    write_rows(
        [
            {
                "因子": f,
                "贡献率": f"{share:.1%}",
                "含义": meanings[f].kind if f in meanings else "未解析",
            }
            for f, share in factor_shares(run, total).items()
        ],
        "table",
        None,
        f"PMF（ESAT {run.esat_version}）Q(true) {run.q_true:.1f}，Q(robust) {run.q_robust:.1f}",
    )
