"""The ``lantian`` command."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="蓝天 Lantian: air-quality attainment under GB 3095 / HJ 633 / HJ 663.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def main() -> None:
    """蓝天 Lantian: air-quality attainment under GB 3095 / HJ 633 / HJ 663."""
