"""``lantian plan …`` and ``lantian users …``: the plan ledger's commands (issue #6)."""

from __future__ import annotations

import typer

plan_app = typer.Typer(
    help="计划台账 The plan ledger: measures, units, monthly reports.", no_args_is_help=True
)
users_app = typer.Typer(help="用户 Users and roles of the plan ledger.", no_args_is_help=True)
