"""``lantian serve``: the web application (pages and ``/api/v1``) under uvicorn, one process."""

from __future__ import annotations

from typing import Annotated

import typer

from lantian.cli.common import console
from lantian.settings import settings

GRACEFUL_SHUTDOWN_SECONDS = 5
"""On SIGTERM/Ctrl+C, requests still running get this long to finish before the server exits."""


def serve(host: str, port: int, city: str = "永州") -> None:
    """Run the app over the store of ``--home`` until interrupted, printing its URL first."""
    import uvicorn

    from lantian.web import create_app

    app = create_app(settings().store_path, default_city=city)
    shown = f"[{host}]" if ":" in host else host
    console.print(
        f"蓝天 Lantian 正在服务 serving at [bold]http://{shown}:{port}/[/bold]（Ctrl+C 停止）"
    )
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        server_header=False,  # no "server: uvicorn"
        proxy_headers=False,  # forwarded headers: lantian.web.guard.TrustedProxies decides
    )


def serve_command(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    city: Annotated[str, typer.Option(help="the city the pages open on")] = "永州",
) -> None:
    """服务 Serve the public pages and the JSON API over the store (http://HOST:PORT/)."""
    serve(host, port, city)
