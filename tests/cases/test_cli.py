"""``lantian cases …`` as a user runs it: against a real ledger (LANTIAN_DATABASE_URL) on SQLite and
PostgreSQL, and once as a real process."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys

from openpyxl import load_workbook
from typer.testing import CliRunner

from lantian.cli import app
from lantian.plan.access import SYSTEM
from lantian.plan.database import transaction
from lantian.sources.example import import_example

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["cases", *args], env={"COLUMNS": "250"})


def _registry(engine) -> None:
    with transaction(engine) as db:
        import_example(db, SYSTEM)


def test_the_workflow_from_the_command_line(engine, tmp_path):
    _registry(engine)
    opened = run("open", "--origin", "complaint", "--title", "夜间施工扬尘", "--source", "示例GD01",
                 "--ref", "12369-0001")  # fmt: skip
    assert opened.exit_code == 0, opened.output
    assert "案件 1 已立案：待派发，区住建局" in opened.output
    dispatched = run("dispatch", "1", "--note", "请三个工作日内核查")
    assert dispatched.exit_code == 0, dispatched.output
    refused = run("answer", "1", "已整改", "--user", "hb")  # 区环保局's reporter: not theirs
    assert refused.exit_code == 1
    assert "本单位" in refused.output
    photo = tmp_path / "现场.jpg"
    photo.write_bytes(b"\xff\xd8\xff photo")
    answered = run("answer", "1", "已停工洒水", "--evidence", str(photo), "--user", "zj")
    assert answered.exit_code == 0, answered.output
    assert "待核查" in answered.output
    early = run("close", "9", "--closure", "x")
    assert early.exit_code == 1
    assert "没有案件 9" in early.output
    closed = run("close", "1", "--closure", "复查属实", "--user", "office")
    assert closed.exit_code == 0, closed.output
    again = run("close", "1", "--closure", "再办结")
    assert again.exit_code == 1
    assert "已办结" in again.output

    shown = json.loads(run("show", "1", "--format", "json").stdout)
    assert [s["action"] for s in shown["steps"]] == [
        "open",
        "dispatch",
        "evidence",
        "answer",
        "close",
    ]
    assert shown["evidence"][0]["filename"] == "现场.jpg"
    assert "办理过程" in run("show", "1").output

    rows = json.loads(run("list", "--format", "json").stdout)
    assert [(r["case_id"], r["status"], r["unit"]) for r in rows] == [(1, "closed", "区住建局")]
    assert json.loads(run("list", "--open", "--format", "json").stdout) == []
    table = run("list", "--format", "csv").stdout
    parsed = list(csv.DictReader(io.StringIO(table.removeprefix("\ufeff"))))
    assert parsed[0]["状态"] == "已办结"
    out = tmp_path / "案件.xlsx"
    assert run("list", "--format", "xlsx", "-o", str(out)).exit_code == 0
    sheet = load_workbook(out).active
    assert sheet["A1"].value == "案件编号"
    assert sheet["A2"].value == 1
    assert json.loads(run("list", "--format", "json", "--user", "hb").stdout) == []


def test_every_case_action_is_a_command(engine, tmp_path):
    """``lantian cases <action>`` for each action of the one table, as the API and the pages."""
    from lantian.cases.service import CASE_ACTIONS
    from lantian.cli.cases import cases_app

    assert set(CASE_ACTIONS) <= {command.name for command in cases_app.registered_commands}
    _registry(engine)
    assert (
        run(
            "open", "--origin", "complaint", "--title", "渣土撒漏", "--source", "示例GD01"
        ).exit_code
        == 0
    )
    photo = tmp_path / "现场.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n")
    added = run("evidence", "1", str(photo), "--note", "现场照片", "--user", "office")
    assert added.exit_code == 0, added.output
    assert "已上传材料：待派发" in added.output
    shown = json.loads(run("show", "1", "--format", "json").stdout)
    assert [s["action"] for s in shown["steps"]] == ["open", "evidence"]
    assert shown["evidence"][0]["filename"] == "现场.png"


def test_escalate_and_rules(engine):
    _registry(engine)
    assert (
        run(
            "open", "--origin", "inspection", "--title", "裸土未覆盖", "--source", "示例GD02"
        ).exit_code
        == 0
    )
    escalated = run("escalate", "1", "--reason", "多次巡查发现")
    assert escalated.exit_code == 0, escalated.output
    assert json.loads(run("show", "1", "--format", "json").stdout)["escalation"] == "inspect"
    assert run("escalate").exit_code != 0  # neither a case nor --overdue
    assert "升级 0 件" in run("escalate", "--overdue").output
    rules = json.loads(run("rules").stdout)
    assert rules["steps"] == ["inspect", "assign", "patrol", "interview", "special_inspection"]
    assert 2024 in rules["calendar_years"]


def test_as_a_real_process(tmp_path):
    """The installed command in a process of its own, on a fresh SQLite ledger in LANTIAN_HOME."""
    env = {**os.environ, "LANTIAN_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    env.pop("LANTIAN_DATABASE_URL", None)

    def lantian(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "lantian", *args], env=env, capture_output=True, text=True,
            timeout=300,
        )  # fmt: skip

    assert lantian("plan", "load-example").returncode == 0
    opened = lantian(
        "cases", "open", "--origin", "complaint", "--title", "焚烧垃圾", "--town", "梅湾街道"
    )
    assert opened.returncode == 0, opened.stderr
    refused = lantian("cases", "dispatch", "1")  # no unit known for a place without a source
    assert refused.returncode == 1
    assert "须指定责任单位" in refused.stderr + refused.stdout
    done = lantian("cases", "dispatch", "1", "--unit", "区城管执法局")
    assert done.returncode == 0, done.stderr
    listed = json.loads(lantian("cases", "list", "--format", "json").stdout)
    assert listed[0]["unit"] == "区城管执法局"
    assert listed[0]["deadline"]


def test_cases_from_the_alarm_store(engine):
    """Constructed alarms (not measured: two of an EXAMPLE device, one of an unregistered one)
    stored as lantian.alarms stores them, then opened as cases — twice, the second time idempotent."""
    import datetime as dt

    import pyarrow as pa

    from lantian.alarms.evaluate import ALARM_SCHEMA
    from lantian.alarms.store import AlarmStore
    from lantian.settings import settings

    _registry(engine)
    rows = [
        {"alarm_id": f"t-{n}", "rule_id": "constructed", "kind": "absolute", "level": level,
         "mn": mn, "pollutant": "PM10", "ts": dt.datetime(2026, 12, 1, 9, n), "window": 60,
         "day": dt.date(2026, 12, 1), "occurrence": n, "value": 231.0, "limit": 150.0,
         "background": None, "background_measured": None, "readings": "[]",
         "citation": "constructed for the test"}
        for n, (mn, level) in enumerate(
            [("EXAMPLE00DUST0001", "预警"), ("EXAMPLE00DUST0001", "报警"), ("NOTREGISTERED", "报警")],
            start=1,
        )
    ]  # fmt: skip
    AlarmStore(settings().alarms_path).add(pa.Table.from_pylist(rows, schema=ALARM_SCHEMA))
    first = run("from-alarms", "--from", "2026-12-01", "--to", "2026-12-01")
    assert first.exit_code == 0, first.output
    assert "立案 1，追加 1，已在案 0，未登记设备 1" in first.output
    again = run("from-alarms", "--from", "2026-12-01", "--to", "2026-12-01")
    assert "立案 0，追加 0，已在案 2" in again.output
    cases = json.loads(run("list", "--format", "json").stdout)
    assert [(c["origin"], c["occurrences"], c["unit"]) for c in cases] == [("alarm", 2, "区住建局")]
