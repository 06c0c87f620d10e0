"""The documentation against the code (issue #12 item 8; the ledger's own is tests/plan/test_docs.py):
every command of ``lantian`` answers ``--help`` and is named in the README or docs/, every option of
the top-level commands is in its help, every route of the API document is in docs/web.md, and
every setting is documented with its environment variable. (The API's text once said the default
standard was the period's last day's while the code used the first: the rule-set policy is now
checked against the document too.)"""

from __future__ import annotations

from pathlib import Path

import click
import pytest
import typer.main
from typer.testing import CliRunner

from lantian.cli.main import app
from lantian.settings import Settings
from lantian.web import create_app

ROOT = Path(__file__).resolve().parents[1]
DOCS = "\n".join(
    [(ROOT / "README.md").read_text("utf-8")]
    + [p.read_text("utf-8") for p in sorted((ROOT / "docs").glob("*.md"))]
)
WEB_DOC = (ROOT / "docs" / "web.md").read_text("utf-8")


def _commands(group: click.Group, prefix: str = "lantian") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix} {name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix} {name}")
    return found


COMMANDS = _commands(typer.main.get_group(app))


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_every_command_answers_help_and_is_documented(name, command):
    result = CliRunner().invoke(app, [*name.split()[1:], "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert name in DOCS, f"`{name}` is in no README or docs/*.md"
    for parameter in command.params:
        for option in getattr(parameter, "opts", []):
            if option.startswith("--"):
                assert option in result.output, f"{name} --help does not show {option}"


@pytest.fixture(scope="module")
def api_document(tmp_path_factory) -> dict:
    return create_app(tmp_path_factory.mktemp("docs") / "measurements", warm_up=False).openapi()


def test_every_api_route_is_in_docs_web(api_document):
    missing = [path for path in api_document["paths"] if f"`{path}`" not in WEB_DOC]
    assert missing == []


def test_the_api_states_the_rule_set_policy_the_code_follows(api_document):
    """The ``standard`` parameter's text says what :func:`lantian.standards.period_rule_set`
    does: by the period's dates, refused across a change — not "the period's last day"."""
    descriptions = {
        parameter["description"]
        for route in api_document["paths"].values()
        for operation in route.values()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "standard" and "description" in parameter
    }
    assert descriptions
    for text in descriptions:
        assert "last day" not in text
        assert "2026-03-01" in text or "HJ633" in text


@pytest.mark.parametrize("name", sorted(Settings.model_fields))
def test_every_setting_is_documented_with_its_variable(name):
    variable = f"LANTIAN_{name.upper()}"
    assert variable in DOCS, f"{variable} is in no README or docs/*.md"
