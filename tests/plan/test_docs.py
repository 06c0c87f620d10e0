"""docs/plan-ledger.md documents every command, table, role and enumerated code of the ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from lantian.cli.plan import audit_app, plan_app, users_app
from lantian.plan.access import PERMISSIONS
from lantian.plan.models import Base
from lantian.plan.vocabulary import VOCABULARIES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "plan-ledger.md").read_text("utf-8")


def _commands(app, prefix):
    group = typer.main.get_group(app)
    return [f"lantian {prefix} {name}" for name in group.commands]


@pytest.mark.parametrize(
    "command",
    _commands(plan_app, "plan") + _commands(users_app, "users") + _commands(audit_app, "audit"),
)
def test_every_command_is_documented(command):
    assert command in DOC


@pytest.mark.parametrize("table", sorted(Base.metadata.tables))
def test_every_table_is_documented(table):
    assert f"`{table}`" in DOC


@pytest.mark.parametrize(
    "code", sorted({c for name, v in VOCABULARIES.items() if name != "rag" for c in v})
)
def test_every_code_is_documented(code):
    assert code in DOC


def test_every_role_is_in_the_permission_table():
    roles = {role for roles in PERMISSIONS.values() for role in roles}
    for role in roles:
        assert role in DOC
