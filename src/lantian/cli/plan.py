"""``lantian plan …``, ``lantian users …`` and ``lantian audit verify``: the plan ledger's commands.

Every command works on the ledger of ``LANTIAN_DATABASE_URL`` (default: SQLite in ``LANTIAN_HOME``),
migrating its schema first. Commands act as the server's administrator (``system``) unless
``--user NAME`` names a ledger user; filing reports needs a unit reporter's name.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table
from sqlalchemy import select

from lantian.cli.common import console, errors
from lantian.ingest.schema import FormatError
from lantian.plan.access import SYSTEM, Actor
from lantian.plan.audit import verify_chain
from lantian.plan.auth import actor_of, add_user, list_users, set_active, set_password
from lantian.plan.database import open_ledger, transaction
from lantian.plan.errors import ImportRejectedError, LedgerError, NotFoundError
from lantian.plan.models import User
from lantian.plan.plan_workbook import import_plan, plan_data, write_plan_workbook
from lantian.plan.plans import get_plan, get_unit, load_example, plan_tasks
from lantian.plan.views import ledger, measures
from lantian.plan.vocabulary import COLUMNS, COMPARISONS, ROLES, name_zh
from lantian.plan.xlsx import (
    REPORT_SHEET,
    export_views,
    import_reports,
    read_workbook,
    write_report_template,
)
from lantian.settings import settings
from lantian.sources.tables import RegisterImportError

plan_app = typer.Typer(
    help="计划台账 The plan ledger: measures, units, monthly reports.", no_args_is_help=True
)
users_app = typer.Typer(help="用户 Users and roles of the plan ledger.", no_args_is_help=True)

Home = Annotated[Path | None, typer.Option("--home", help="overrides LANTIAN_HOME (data folder)")]
PlanCode = Annotated[str | None, typer.Option("--plan", help="plan code (default: the newest)")]
UserName = Annotated[
    str | None, typer.Option("--user", help="act as this ledger user (default: administrator)")
]
Format = Annotated[str, typer.Option("--format", help="table or json")]
T = TypeVar("T")


def _set_home(home: Path | None) -> None:
    if home is not None:
        os.environ["LANTIAN_HOME"] = str(home)
        settings.cache_clear()


@plan_app.callback()
def plan_options(home: Home = None) -> None:
    """计划台账 The plan ledger: measures, units, monthly reports."""
    _set_home(home)


@users_app.callback()
def users_options(home: Home = None) -> None:
    """用户 Users and roles of the plan ledger."""
    _set_home(home)


@contextmanager
def _ledger() -> Iterator:
    """A ledger transaction; a ledger error is printed (Chinese / English) and exits with 1."""
    try:
        with transaction(open_ledger()) as db:
            yield db
    except ImportRejectedError as error:
        errors.print(f"[red]{error.zh}[/red]（{error.en}）")
        for problem in error.errors:
            errors.print(f"  {problem}")
        raise typer.Exit(1) from None
    except LedgerError as error:
        errors.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None


def print_rejected(error: RegisterImportError) -> None:
    """Every problem of a rejected file, a line each (``file!sheet 第N行 column：reason``): the
    one report of a register, activity data or an emergency list that was not imported."""
    errors.print(f"[red]{len(error.rejections)} 处错误，未导入任何数据[/red] / nothing imported:")
    for rejection in error.rejections:
        errors.print(f"  {rejection}", markup=False)


def import_all_or_nothing(user: str | None, work: Callable[[Any, Actor], T]) -> T:
    """``work(db, actor)`` — an import into the ledger (a register, activity data) — in one
    transaction as ``user``; a rejected file prints every problem (``file!sheet 第N行 column：reason``)
    or why it cannot be read, stores nothing and exits with 1."""
    try:
        with _ledger() as db:
            return work(db, _actor(db, user))
    except RegisterImportError as error:
        print_rejected(error)
        raise typer.Exit(1) from None
    except FormatError as error:
        errors.print(f"[red]无法读取 / cannot read:[/red] {error}", markup=False)
        raise typer.Exit(1) from None


def _actor(db, user: str | None) -> Actor:
    if user is None:
        return SYSTEM
    found = db.scalar(select(User).where(User.name == user, User.active))
    if found is None:
        raise NotFoundError(f"没有在用用户“{user}”", f"no active user {user!r}", "user")
    return actor_of(found)


def _target_text(target: dict) -> str:
    deadline = f"，{target['deadline']} 前" if target["deadline"] else ""
    start = f"，{target['start']} 起" if target["start"] else ""
    value = f"{COMPARISONS[target['comparison']]} {target['value']:g} {target['quantity_unit']}"
    return f"{target['indicator']} {value}{start}{deadline}"


def _check_format(value: str) -> None:
    if value not in {"table", "json"}:
        raise typer.BadParameter(f"--format must be table or json, not {value!r}")


@plan_app.command("load-example")
def load_example_command() -> None:
    """载入示例计划 Load the bundled model plan (冷水滩区达标方案, 冷政发〔2019〕1号)."""
    with _ledger() as db:
        plan = load_example(db, SYSTEM)
        tasks = len(plan_tasks(db, plan))
        console.print(
            f"已载入 {plan.title}（{plan.document_number}）：{len(plan.measures)} 项措施，"
            f"{tasks} 项任务 / loaded {plan.code}: {len(plan.measures)} measures, {tasks} tasks"
        )


@plan_app.command("measures")
def measures_command(
    plan: PlanCode = None, format: Format = "table", user: UserName = None
) -> None:
    """措施清单 The plan's measures with their units and quantified targets."""
    _check_format(format)
    with _ledger() as db:
        rows = measures(db, _actor(db, user), get_plan(db, plan))
    if format == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title="措施清单", show_lines=True)
    for header in ("编号", "类别", "措施", "牵头单位", "配合/实施/参与单位", "量化目标"):
        table.add_column(header, overflow="fold")
    for row in rows:
        others = row["cooperate"] + row["implement"] + row["participate"]
        table.add_row(
            str(row["number"]),
            str(row["category"]),
            row["title"],
            "、".join(row["lead"]),
            "、".join(others),
            "\n".join(_target_text(t) for t in row["targets"]),
        )
    console.print(table)


@plan_app.command("ledger")
def ledger_command(
    month: Annotated[str | None, typer.Option(help="reporting month YYYY-MM")] = None,
    plan: PlanCode = None,
    format: Format = "table",
    user: UserName = None,
) -> None:
    """台账 A row per task with its latest report and red/amber/green."""
    _check_format(format)
    with _ledger() as db:
        rows = ledger(db, _actor(db, user), get_plan(db, plan), month)
    if format == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    keys = ["task_id", "measure", "unit", "title", "target_value", "deadline", "month", "status"]
    keys += ["quantity", "rag", "rag_reason"]
    table = Table(title=f"台账 {month or ''}")
    for key in keys:
        table.add_column(COLUMNS[key])
    styles = {"red": "red", "amber": "yellow", "green": "green"}
    for row in rows:
        cells = ["" if row[k] is None else str(row[k]) for k in keys]
        cells[keys.index("rag")] = name_zh("rag", row["rag"])
        table.add_row(*cells, style=styles[row["rag"]] if row["rag"] != "green" else None)
    console.print(table)


@plan_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="xlsx workbook")],
    user: UserName = None,
) -> None:
    """导入 Import a plan workbook, or a filled monthly-report template (needs --user REPORTER)."""
    with _ledger() as db:
        actor = _actor(db, user)
        if REPORT_SHEET in read_workbook(file).sheetnames:
            count = import_reports(db, actor, file)
            console.print(f"已导入 {count} 条月度进展 / imported {count} monthly reports")
        else:
            plan = import_plan(db, actor, file)
            console.print(f"已导入计划 {plan.code}：{len(plan.measures)} 项措施 / imported plan")


@plan_app.command("export")
def export_command(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="xlsx workbook to write")],
    month: Annotated[str, typer.Option(help="reporting month YYYY-MM")],
    year: Annotated[int | None, typer.Option(help="assessment year (default: the month's)")] = None,
    plan: PlanCode = None,
    user: UserName = None,
) -> None:
    """导出 Write the ledger, overdue list, month summary, assessment and measures to xlsx."""
    with _ledger() as db:
        sheets = export_views(db, _actor(db, user), get_plan(db, plan), file, month, year)
    console.print(f"已导出 {file}：{'、'.join(sheets)}")


@plan_app.command("export-plan")
def export_plan_command(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="xlsx workbook to write")],
    plan: PlanCode = None,
) -> None:
    """导出计划 Write the plan itself (measures, units, targets) as an importable workbook."""
    with _ledger() as db:
        write_plan_workbook(plan_data(get_plan(db, plan)), file)
    console.print(f"已导出计划到 {file}")


@plan_app.command("template")
def template_command(
    file: Annotated[Path, typer.Argument(dir_okay=False, help="xlsx workbook to write")],
    month: Annotated[str, typer.Option(help="reporting month YYYY-MM")],
    unit: Annotated[str | None, typer.Option(help="only this unit's tasks")] = None,
    plan: PlanCode = None,
    user: UserName = None,
) -> None:
    """填报模板 Write the monthly-report template (a row per task of the unit)."""
    with _ledger() as db:
        unit_id = get_unit(db, unit).id if unit else None
        count = write_report_template(
            db, _actor(db, user), get_plan(db, plan), file, month, unit_id
        )
    console.print(f"已生成 {file}：{count} 项任务")


def _password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return typer.prompt("密码 Password", hide_input=True, confirmation_prompt=True)


@users_app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[str, typer.Option(help="office, reporter or leader")],
    unit: Annotated[str | None, typer.Option(help="the reporter's unit, e.g. 区环保局")] = None,
    display_name: Annotated[str | None, typer.Option(help="name shown in the ledger")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """添加用户 Add a user (password from a prompt, or --password-stdin)."""
    password = _password(password_stdin)
    with _ledger() as db:
        user = add_user(db, SYSTEM, name, role, password, unit=unit, display_name=display_name)
        bound = f"（{user.unit.name}）" if user.unit else ""
        console.print(f"已添加用户 {user.name}：{ROLES[user.role]}{bound}")


@users_app.command("list")
def list_command(format: Format = "table") -> None:
    """用户列表 List the ledger's users."""
    _check_format(format)
    with _ledger() as db:
        rows = list_users(db, SYSTEM)
    if format == "json":
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title="用户")
    for header in ("用户名", "姓名", "角色", "单位", "在用", "创建时间"):
        table.add_column(header)
    for row in rows:
        table.add_row(
            row["name"],
            row["display_name"] or "",
            ROLES[row["role"]],
            row["unit"] or "",
            "是" if row["active"] else "否",
            row["created_at"],
        )
    console.print(table)


@users_app.command("passwd")
def passwd_command(
    name: Annotated[str, typer.Argument(help="login name")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from standard input")
    ] = False,
) -> None:
    """修改密码 Set a user's password."""
    password = _password(password_stdin)
    with _ledger() as db:
        set_password(db, SYSTEM, name, password)
    console.print(f"已修改 {name} 的密码")


@users_app.command("disable")
def disable_command(name: Annotated[str, typer.Argument(help="login name")]) -> None:
    """停用 Disable a user (a leaver): their sessions end at once, login is refused."""
    with _ledger() as db:
        set_active(db, SYSTEM, name, False)
    console.print(f"已停用 {name}，其登录已全部结束 / {name} disabled, sessions ended")


@users_app.command("enable")
def enable_command(name: Annotated[str, typer.Argument(help="login name")]) -> None:
    """启用 Enable a disabled user again."""
    with _ledger() as db:
        set_active(db, SYSTEM, name, True)
    console.print(f"已启用 {name} / {name} enabled")


audit_app = typer.Typer(help="审计日志 The ledger's audit log.", no_args_is_help=True)


@audit_app.callback()
def audit_options(home: Home = None) -> None:
    """审计日志 The ledger's audit log."""
    _set_home(home)


@audit_app.command("verify")
def verify_command(format: Format = "table") -> None:
    """校验 Recompute the audit log's hash chain; exit 1 naming the first broken link."""
    _check_format(format)
    engine = open_ledger()
    try:
        with engine.connect() as connection:
            check = verify_chain(connection)
    finally:
        engine.dispose()
    if format == "json":
        document = {"intact": check.intact, "rows": check.rows, "head": check.head}
        document.update({"broken_id": check.broken_id, "reason": check.reason})
        console.print_json(json.dumps(document))
    elif check.intact:
        console.print(
            f"审计日志完整：{check.rows} 条，链头 {check.head}"
            f" / the audit log is intact: {check.rows} rows, head {check.head}"
        )
    else:
        errors.print(
            f"[red]审计日志第 {check.broken_id} 条的链接断开（之前 {check.rows} 条完好）[/red]"
            f" / the chain breaks at audit_log id {check.broken_id}: {check.reason}"
        )
    if not check.intact:
        raise typer.Exit(1)
