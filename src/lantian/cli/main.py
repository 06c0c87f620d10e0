"""The ``lantian`` command: parse, call a service, print."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from lantian.cli.alarms import alarms_app
from lantian.cli.assess import (
    aqi_command,
    assess_command,
    progress_command,
    rank_command,
    report_command,
    trend_command,
)
from lantian.cli.cases import cases_app
from lantian.cli.common import errors
from lantian.cli.data import import_command, stations_command
from lantian.cli.demo import demo_command
from lantian.cli.feeds import devices_app, receive_command, simulate_app
from lantian.cli.fetch import fetch_app, update_command
from lantian.cli.forecast import emergency_app, forecast_app, warning_command
from lantian.cli.inventory import inventory_app
from lantian.cli.plan import audit_app, plan_app, users_app
from lantian.cli.planning import apportionment_app, links_app  # noqa: F401  (registers plan commands)
from lantian.cli.release import check_release_command
from lantian.cli.sources import sources_app
from lantian.cli.store import store_app
from lantian.settings import settings
from lantian.times import stopped_clock

app = typer.Typer(
    help="蓝天 Lantian: air-quality attainment under GB 3095 / HJ 633 / HJ 663.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(plan_app, name="plan")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(forecast_app, name="forecast")
app.add_typer(emergency_app, name="emergency")
app.add_typer(simulate_app, name="simulate")
app.add_typer(devices_app, name="devices")
app.command("receive")(receive_command)
app.add_typer(sources_app, name="sources")
app.add_typer(alarms_app, name="alarms")
app.add_typer(inventory_app, name="inventory")
app.add_typer(cases_app, name="cases")
app.add_typer(store_app, name="store")
app.command("warning")(warning_command)
app.command("demo")(demo_command)
app.command("import")(import_command)
app.add_typer(fetch_app, name="fetch")
app.command("update")(update_command)
app.command("stations")(stations_command)
app.command("serve")(__import__("lantian.cli.web", fromlist=["serve_command"]).serve_command)
app.command("assess")(assess_command)
app.command("aqi")(aqi_command)
app.command("check-release")(check_release_command)
app.command("rank")(rank_command)
app.command("progress")(progress_command)
app.command("trend")(trend_command)
app.command("report")(report_command)


@app.callback()
def main(
    home: Annotated[
        Path | None,
        typer.Option("--home", help="data folder (default: LANTIAN_HOME or the user data folder)"),
    ] = None,
) -> None:
    """蓝天 Lantian: air-quality attainment under GB 3095 / HJ 633 / HJ 663."""
    try:
        stopped_clock()  # a malformed LANTIAN_NOW stops every command here, not at its first stamp
    except ValueError as error:
        errors.print(f"[red]✗ {escape(str(error))}[/red]", soft_wrap=True)
        raise typer.Exit(2) from None
    if home is not None:
        os.environ["LANTIAN_HOME"] = str(home)
        settings.cache_clear()
