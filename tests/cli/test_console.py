"""The one console of the CLI reads the terminal's width at each print (issue #12: under
pytest-xdist ``tests/plan/test_cli.py`` printed at the width of whichever test first imported the
CLI, and ``lantian plan`` kept a console of its own)."""

from __future__ import annotations

import io

from rich.table import Table

from lantian.cli import common, plan
from lantian.cli.common import RunConsole


def test_the_width_is_read_at_each_print_not_when_the_console_is_made(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    made = RunConsole(file=io.StringIO())
    assert made.width == 40
    monkeypatch.setenv("COLUMNS", "200")
    assert made.width == 200
    table = Table()
    table.add_column("措施")
    table.add_row("道路机械化清扫率达到 85% 以上" * 4)
    made.print(table)
    assert max(len(line) for line in made.file.getvalue().splitlines()) > 40


def test_an_explicit_width_is_kept(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    assert RunConsole(file=io.StringIO(), width=60).width == 60


def test_every_command_prints_through_the_one_console():
    assert plan.console is common.console
    assert plan.errors is common.errors
    assert isinstance(common.console, RunConsole)
    assert isinstance(common.errors, RunConsole)
