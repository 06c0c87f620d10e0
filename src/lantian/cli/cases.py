"""``lantian cases …``: the one case workflow (``docs/cases.md``) from the command line.

Commands act as the server's administrator (``system``) unless ``--user NAME`` names a ledger user
(a unit's reporter answers as themself). Each is one service call of :mod:`lantian.cases.service`
in one transaction: a refusal prints the reason (中文 / English) and exits 1, storing nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from lantian.cases.service import COLUMNS
from lantian.cli.common import FileFormat, FileFormatOption, OutputOption
from lantian.cli.plan import Home, UserName, _actor, _ledger, _set_home
from lantian.cli.tables import write_json, write_rows

cases_app = typer.Typer(
    help="案件 Cases: one workflow for alarms, truck violations, complaints, inspections and "
    "supervision (docs/cases.md).",
    no_args_is_help=True,
)

TABLE_COLUMNS = ("case_id", "origin_zh", "title", "source_name", "unit", "status_zh")
TABLE_COLUMNS += ("escalation_zh", "deadline", "overdue")
"""The columns of the terminal table (it must fit a terminal; CSV and xlsx have them all)."""
STATUS_HELP = "pending 待派发, dispatched 已派发, handling 处置中, verifying 待核查, closed 已办结, returned 退回"
ORIGIN_HELP = "alarm, truck_violation, complaint, inspection, supervision"


CaseId = Annotated[int, typer.Argument(help="case number (案件编号)", min=1, max=2**31 - 1)]
Note = Annotated[str, typer.Option("--note", help="说明 a note for the step")]
Day = Annotated[dt.datetime | None, typer.Option(formats=["%Y-%m-%d"], help="a date YYYY-MM-DD")]


@cases_app.callback()
def cases_options(home: Home = None) -> None:
    """案件 Cases: one workflow for alarms, violations, complaints, inspections, supervision."""
    _set_home(home)


def _emit(rows: list[dict], output: FileFormat, path: Path | None, title: str) -> None:
    if output is FileFormat.json:
        write_json(rows, path)
        return
    keys = TABLE_COLUMNS if output is FileFormat.table else tuple(COLUMNS)
    shown = [{COLUMNS[k]: _shown(row[k]) for k in keys} for row in rows]
    if output is FileFormat.xlsx and path is None:
        raise typer.BadParameter("xlsx needs --output FILE", param_hint="--output")
    write_rows(shown, output.value, path, title)


def _shown(value: object) -> object:
    return ("是" if value else "") if isinstance(value, bool) else value


def _done(case, verb: str) -> None:
    from lantian.cases.workflow import STATUSES

    deadline = f"，期限 {case.deadline}" if case.deadline else ""
    unit = f"，{case.unit.name}" if case.unit else ""
    typer.echo(
        f"案件 {case.id} {verb}：{STATUSES[case.status]}{unit}{deadline} / case {case.id}: {case.status}"
    )


@cases_app.command("list")
def list_command(
    status: Annotated[
        str | None, typer.Option(help="pending, dispatched, handling, verifying, closed, returned")
    ] = None,
    origin: Annotated[
        str | None, typer.Option(help="alarm, truck_violation, complaint, inspection, supervision")
    ] = None,
    unit: Annotated[str | None, typer.Option(help="responsible unit (责任单位)")] = None,
    source: Annotated[
        str | None, typer.Option(help="registry code of the source (污染源编号)")
    ] = None,
    open_only: Annotated[bool, typer.Option("--open", help="only cases not yet closed")] = False,
    format: FileFormatOption = FileFormat.table,
    output: OutputOption = None,
    user: UserName = None,
) -> None:
    """案件列表 The cases you may read, by deadline (a reporter: their unit's)."""
    from lantian.cases.service import list_cases

    with _ledger() as db:
        rows = list_cases(
            db,
            _actor(db, user),
            status=status,
            origin=origin,
            unit=unit,
            source=source,
            open_only=open_only,
        )
    _emit(rows, format, output, "案件")


@cases_app.command("show")
def show_command(
    case_id: CaseId,
    format: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    user: UserName = None,
) -> None:
    """案件详情 One case: its facts, every step (who, when, what) and its evidence files."""
    from lantian.cases.service import case_document

    if format not in ("table", "json"):
        raise typer.BadParameter("--format must be table or json", param_hint="--format")
    with _ledger() as db:
        document = case_document(db, _actor(db, user), case_id)
    if format == "json":
        write_json(document, None)
        return
    facts = [{"项目": COLUMNS[k], "内容": document[k]} for k in COLUMNS]
    facts.append({"项目": "说明", "内容": document["description"]})
    write_rows(facts, "table", None, f"案件 {case_id}")
    steps = [
        {
            "时间": s["at"][:19],
            "操作人": s["user"],
            "操作": s["action_zh"],
            "状态": f"{s['from_status'] or ''}→{s['to_status']}",
            "说明": s["note"],
            "单位": s["unit"],
            "期限": s["deadline"],
        }
        for s in document["steps"]
    ]
    write_rows(steps, "table", None, "办理过程")
    if document["evidence"]:
        write_rows(document["evidence"], "table", None, "材料")


@cases_app.command("open")
def open_command(
    origin: Annotated[
        str, typer.Option(help="alarm, truck_violation, complaint, inspection, supervision")
    ],
    title: Annotated[str, typer.Option(help="事由 what the case is about")],
    source: Annotated[str | None, typer.Option(help="registry code of the source")] = None,
    longitude: Annotated[float | None, typer.Option(help="WGS-84 [°]")] = None,
    latitude: Annotated[float | None, typer.Option(help="WGS-84 [°]")] = None,
    town: Annotated[str | None, typer.Option(help="乡镇（街道）")] = None,
    unit: Annotated[
        str | None, typer.Option(help="responsible unit (default: by the rules)")
    ] = None,
    description: Annotated[str, typer.Option(help="说明")] = "",
    ref: Annotated[
        str | None, typer.Option(help="the origin's own number (e.g. a 12369 ticket)")
    ] = None,
    user: UserName = None,
) -> None:
    """立案 Open a case (待派发) on a registered source or a place."""
    from lantian.cases.service import open_case

    with _ledger() as db:
        case = open_case(
            db,
            _actor(db, user),
            origin,
            title,
            description=description,
            source=source,
            longitude=longitude,
            latitude=latitude,
            town=town,
            unit=unit,
            origin_ref=ref,
        )
        _done(case, "已立案")


def _take(action: str, case_id: int, user: str | None, **values: object) -> None:
    """One action of the table (:data:`lantian.cases.service.CASE_ACTIONS`: the API and the pages
    take the same) in one transaction, and what became of the case."""
    from lantian.cases.service import CASE_ACTIONS, perform

    with _ledger() as db:
        _done(perform(db, _actor(db, user), case_id, action, values), CASE_ACTIONS[action].done_zh)


def _file(path: Path) -> tuple[str, bytes]:
    return path.name, path.read_bytes()


@cases_app.command("dispatch")
def dispatch_command(
    case_id: CaseId,
    unit: Annotated[str | None, typer.Option(help="responsible unit (default: the case's)")] = None,
    deadline: Day = None,
    note: Note = "",
    user: UserName = None,
) -> None:
    """派发 Send a case to its unit; the deadline by the rules' working days unless given."""
    day = deadline.date() if deadline else None
    _take("dispatch", case_id, user, unit=unit, deadline=day, note=note)


@cases_app.command("accept")
def accept_command(case_id: CaseId, note: Note = "", user: UserName = None) -> None:
    """签收 The unit takes the case in hand (its reporter: --user)."""
    _take("accept", case_id, user, note=note)


@cases_app.command("decline")
def decline_command(case_id: CaseId, note: Note = "", user: UserName = None) -> None:
    """申请改派 The unit hands a case back to the office as not its own (reason in --note)."""
    _take("decline", case_id, user, note=note)


@cases_app.command("answer")
def answer_command(
    case_id: CaseId,
    text: Annotated[str, typer.Argument(help="办理情况 what the unit found and did")],
    evidence: Annotated[
        list[Path] | None,
        typer.Option(
            "--evidence", exists=True, dir_okay=False, help="a file to attach (repeatable)"
        ),
    ] = None,
    user: UserName = None,
) -> None:
    """办理回复 The unit's answer, with evidence files; the case goes to 待核查."""
    from lantian.cases.service import CASE_ACTIONS, attach_evidence, check_step, get_case, perform

    files = [_file(path) for path in evidence or []]
    with _ledger() as db:
        actor = _actor(db, user)
        if files:  # a refused answer stores none of its files
            check_step(get_case(db, case_id), actor, "answer")
        for filename, content in files[:-1]:  # the answer itself brings the last one
            attach_evidence(db, actor, case_id, filename, content)
        values = {"answer": text, "evidence": files[-1] if files else None}
        _done(perform(db, actor, case_id, "answer", values), CASE_ACTIONS["answer"].done_zh)


@cases_app.command("evidence")
def evidence_command(
    case_id: CaseId,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the file to attach")],
    note: Note = "",
    user: UserName = None,
) -> None:
    """上传材料 Attach an evidence file (photo, document) to a case; its status stays."""
    _take("evidence", case_id, user, file=_file(file), note=note)


@cases_app.command("return")
def return_command(
    case_id: CaseId,
    reason: Annotated[str, typer.Option(help="退回原因 why the answer is not enough")],
    user: UserName = None,
) -> None:
    """退回 Send the answer back to the handling unit."""
    _take("return", case_id, user, reason=reason)


@cases_app.command("close")
def close_command(
    case_id: CaseId,
    closure: Annotated[str, typer.Option(help="办结情况 what was verified")],
    on: Day = None,
    user: UserName = None,
) -> None:
    """办结 Close a case whose remedy the office has verified."""
    _take("close", case_id, user, closure=closure, closed_on=on.date() if on else None)


@cases_app.command("escalate")
def escalate_command(
    case_id: Annotated[int | None, typer.Argument(help="case number; none with --overdue")] = None,
    reason: Annotated[str, typer.Option(help="升级原因")] = "",
    overdue: Annotated[
        bool, typer.Option("--overdue", help="every case open past its deadline (the daily job)")
    ] = False,
    user: UserName = None,
) -> None:
    """升级督办 One step up the five steps (督查→交办→巡查→约谈→专项督察)."""
    from lantian.cases.service import escalate_overdue

    if (case_id is None) == (not overdue):
        raise typer.BadParameter("give a case number or --overdue (not both)")
    if not overdue:
        _take("escalate", case_id, user, reason=reason)
        return
    with _ledger() as db:
        found = escalate_overdue(db, _actor(db, user))
        typer.echo(f"升级 {len(found)} 件逾期案件 / escalated {len(found)} overdue cases")
        for case in found:
            _done(case, "已升级")


@cases_app.command("from-alarms")
def from_alarms_command(
    first: Annotated[dt.datetime, typer.Option("--from", formats=["%Y-%m-%d"], help="first day")],
    last: Annotated[dt.datetime, typer.Option("--to", formats=["%Y-%m-%d"], help="last day")],
) -> None:
    """报警立案 Open cases from the alarm store's alarms of --from … --to (repeats append to the
    source's open case; an alarm already on a case is skipped, so running it again is safe)."""
    from collections import Counter

    from lantian.alarms.store import AlarmStore
    from lantian.cases.alarms import open_from_alarms
    from lantian.settings import settings

    alarms = AlarmStore(settings().alarms_path).read(first.date(), last.date()).to_pylist()
    with _ledger() as db:
        outcomes, unknown = open_from_alarms(db, alarms)
    counts = Counter(
        "opened"
        if o.opened
        else "appended"
        if o.appended
        else "duplicate"
        if o.duplicate
        else "below"
        for o in outcomes
    )
    typer.echo(
        f"{len(alarms)} 条报警：立案 {counts['opened']}，追加 {counts['appended']}，"
        f"已在案 {counts['duplicate']}，未登记设备 {len(unknown)} / {len(alarms)} alarms: "
        f"{counts['opened']} opened, {counts['appended']} appended, {counts['duplicate']} already "
        f"on a case, {len(unknown)} of unregistered devices"
    )


@cases_app.command("rules")
def rules_command() -> None:
    """案件规则 The case rules in force (deadlines, escalation, units by source kind) as JSON."""
    import dataclasses

    from lantian.cases.calendar import national_calendar
    from lantian.cases.rules import case_rules

    rules = dataclasses.asdict(case_rules())
    rules = {k: sorted(v) if isinstance(v, frozenset) else v for k, v in rules.items()}
    rules["calendar_years"] = sorted(national_calendar().years)
    write_json(rules, None)
