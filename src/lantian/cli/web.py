"""``lantian serve``: the web application (pages and ``/api/v1``) under uvicorn, one process."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from lantian.cli.common import console
from lantian.cli.feeds import build_receiver, event_loop_factory
from lantian.settings import settings

GRACEFUL_SHUTDOWN_SECONDS = 5
"""On SIGTERM/Ctrl+C, requests still running get this long to finish before the server exits."""


def serve(
    host: str,
    port: int,
    city: str = "永州",
    hj212_port: int | None = None,
    simulate: bool = False,
) -> None:
    """Run the app over the store of ``--home`` until interrupted, printing its URL first; with
    ``hj212_port`` the HJ 212 receiver beside it (and with ``simulate`` the example registry's
    devices played against it, 模拟数据), all in one event loop."""
    import uvicorn

    from lantian.web import create_app

    app = create_app(settings().store_path, default_city=city)
    shown = f"[{host}]" if ":" in host else host
    console.print(
        f"蓝天 Lantian 正在服务 serving at [bold]http://{shown}:{port}/[/bold]（Ctrl+C 停止）"
    )
    if hj212_port is not None:
        config = uvicorn.Config(app, host=host, port=port, **UVICORN_OPTIONS)
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(
                _serve_with_receiver(uvicorn.Server(config), host, hj212_port, simulate, city)
            )
        return
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


UVICORN_OPTIONS = {
    "log_level": "warning",
    "access_log": False,
    "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
    "server_header": False,
    "proxy_headers": False,
}


async def _serve_with_receiver(
    server, host: str, hj212_port: int, simulate: bool, city: str
) -> None:
    receiver = build_receiver(city=city)
    try:
        bound = await receiver.start(host, hj212_port)
    except OSError as error:  # the port is taken: serve the pages all the same
        receiver.raw.close()
        console.print(
            f"HJ 212 端口 {hj212_port} 不可用，未启动接收 (receiver not started): {error}"
        )
        await server.serve()
        return
    console.print(f"HJ 212 接收 receiving on {host}:{bound}")
    playing = None
    if simulate:
        from lantian.feeds.simulator import Simulator, example_fleet

        devices = example_fleet(receiver.directory)
        simulator = Simulator(len(devices), host, bound, devices=devices)
        console.print(f"模拟数据 simulating the {len(devices)} example devices (示例) → {bound}")
        playing = asyncio.create_task(simulator.run())
    try:
        await server.serve()
    finally:
        if playing is not None:
            playing.cancel()
        await receiver.stop()


def serve_command(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    city: Annotated[str, typer.Option(help="the city the pages open on")] = "永州",
    hj212_port: Annotated[
        int | None, typer.Option(help="also receive HJ 212 frames on this TCP port")
    ] = None,
    simulate: Annotated[
        bool,
        typer.Option(help="with --hj212-port: play the example registry's devices (模拟数据)"),
    ] = False,
) -> None:
    """服务 Serve the public pages and the JSON API over the store (http://HOST:PORT/), and with
    ``--hj212-port`` the HJ 212 receiver beside them."""
    serve(host, port, city, hj212_port, simulate)
