"""``lantian plan …`` and ``lantian users …`` against a real ledger (LANTIAN_DATABASE_URL), on
SQLite and PostgreSQL."""

from __future__ import annotations

import json

from openpyxl import load_workbook
from typer.testing import CliRunner

from lantian.cli import app

runner = CliRunner()


def run(*args: str, input: str | None = None):
    return runner.invoke(app, list(args), input=input, env={"COLUMNS": "250"})


def test_plan_and_users_commands(empty_engine, tmp_path):
    loaded = run("plan", "load-example")
    assert loaded.exit_code == 0, loaded.output
    assert "27 项措施" in loaded.output
    again = run("plan", "load-example")
    assert again.exit_code == 1
    assert "已存在" in again.output

    listed = run("plan", "measures", "--format", "json")
    rows = json.loads(listed.stdout)
    assert len(rows) == 27
    assert rows[1]["targets"][0]["value"] == 85
    assert "机械化清扫率" in run("plan", "measures").output

    added = run(
        "users",
        "add",
        "hb",
        "--role",
        "reporter",
        "--unit",
        "区环保局",
        "--password-stdin",
        input="a long password\n",
    )
    assert added.exit_code == 0, added.output
    prompted = run("users", "add", "ld", "--role", "leader", input="another pw 1\nanother pw 1\n")
    assert prompted.exit_code == 0, prompted.output
    refused = run(
        "users",
        "add",
        "x",
        "--role",
        "reporter",
        "--unit",
        "无此单位",
        "--password-stdin",
        input="a long password\n",
    )
    assert refused.exit_code == 1
    assert "没有单位" in refused.output
    users = json.loads(run("users", "list", "--format", "json").stdout)
    assert [(u["name"], u["role"], u["unit"]) for u in users] == [
        ("hb", "reporter", "区环保局"),
        ("ld", "leader", None),
    ]

    template = tmp_path / "模板.xlsx"
    assert (
        run("plan", "template", str(template), "--month", "2019-03", "--unit", "区环保局").exit_code
        == 0
    )
    book = load_workbook(template)
    sheet = book["月度进展"]
    sheet.cell(row=2, column=8).value = "推进中"
    book.save(template)
    imported = run("plan", "import", str(template), "--user", "hb")
    assert imported.exit_code == 0, imported.output
    assert "已导入 1 条" in imported.output
    as_admin = run("plan", "import", str(template))
    assert as_admin.exit_code == 1
    assert "无权" in as_admin.output

    ledger = json.loads(run("plan", "ledger", "--month", "2019-03", "--format", "json").stdout)
    assert sum(row["month"] == "2019-03" for row in ledger) == 1

    exported = tmp_path / "export.xlsx"
    assert run("plan", "export", str(exported), "--month", "2019-03").exit_code == 0
    assert "台账" in load_workbook(exported).sheetnames

    plan_file = tmp_path / "plan.xlsx"
    assert run("plan", "export-plan", str(plan_file)).exit_code == 0
    duplicate = run("plan", "import", str(plan_file))
    assert duplicate.exit_code == 1
    assert "已存在" in duplicate.output


def test_home_option_sets_the_sqlite_ledger(tmp_path, monkeypatch):
    monkeypatch.delenv("LANTIAN_DATABASE_URL", raising=False)
    home = tmp_path / "elsewhere"
    assert run("plan", "--home", str(home), "load-example").exit_code == 0
    assert (home / "plan.sqlite3").exists()


def test_no_plan_yet_says_how_to_load_one(empty_engine):
    result = run("plan", "measures")
    assert result.exit_code == 1
    assert "load-example" in result.output
