"""``lantian serve``: the web application (pages and ``/api/v1``) under uvicorn, in ``--workers``
processes (default: one per core) that share nothing but the store and the ledger's database; the
HJ 212 receiver (``--hj212-port``) runs once, in the first process."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Awaitable, Callable
from typing import Annotated

import typer

from lantian.cli.common import console, warn_if_clock_stopped
from lantian.cli.feeds import build_receiver, event_loop_factory
from lantian.settings import settings

GRACEFUL_SHUTDOWN_SECONDS = 5
"""On SIGTERM/Ctrl+C, requests still running get this long to finish before the server exits."""
UVICORN_OPTIONS = {
    "log_level": "warning",
    "access_log": False,
    "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
    "server_header": False,  # no "server: uvicorn"
    "proxy_headers": False,  # forwarded headers: lantian.web.guard.TrustedProxies decides
    "http": "lantian.web.guard:TimedRequestHead",  # a deadline on each request's head
}


def default_workers() -> int:
    """One worker process per core this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def serve(
    host: str,
    port: int,
    city: str | None = None,
    hj212_port: int | None = None,
    simulate: bool = False,
    workers: int | None = None,
) -> None:
    """Run the app over the store of ``--home`` until interrupted, printing its URL first; with
    ``hj212_port`` the HJ 212 receiver beside it (and with ``simulate`` the example registry's
    devices played against it, 模拟数据).

    One worker: the app, the receiver and the simulator share one event loop. Several: uvicorn
    binds the port once and starts ``workers`` processes that each accept on it (their app from
    :func:`lantian.web.app.served_app`, reading ``LANTIAN_HOME`` and ``LANTIAN_CITY``, set here);
    this process supervises them (SIGTERM/Ctrl+C stops them gracefully, a dead one is replaced) and
    runs the receiver in a thread of its own — once, not per worker. The workers split their
    start-up work in a folder made for the run (:mod:`lantian.web.shared`), removed at the end.
    """
    import uvicorn

    workers = workers or default_workers()
    if city is not None:
        os.environ["LANTIAN_CITY"] = city  # for the worker processes
    city = city or settings().city
    shown = f"[{host}]" if ":" in host else host
    console.print(
        f"蓝天 Lantian 正在服务 serving at [bold]http://{shown}:{port}/[/bold]"
        f"（{workers} 个进程 processes，Ctrl+C 停止）"
    )
    if workers > 1:
        from lantian.web.shared import SHARED_ENV, make_folder, remove_abandoned, remove_folder

        remove_abandoned()  # the folders of runs killed (SIGKILL) before they could remove theirs
        shared = make_folder()  # 0700: this user's only
        receiving = None
        try:
            os.environ[SHARED_ENV] = str(shared)  # the workers split their start-up work there
            if hj212_port is not None:
                thread = ReceiverThread(host, hj212_port, simulate, city)
                thread.start()
                receiving = thread  # (started: stopped below)
            uvicorn.run(
                "lantian.web.app:served_app",
                factory=True,
                host=host,
                port=port,
                workers=workers,
                **UVICORN_OPTIONS,
            )
        finally:
            if receiving is not None:
                receiving.stop()
            os.environ.pop(SHARED_ENV, None)
            remove_folder(shared)
        return

    from lantian.web import create_app

    app = create_app(settings().store_path, default_city=city)
    config = uvicorn.Config(app, host=host, port=port, **UVICORN_OPTIONS)
    if hj212_port is None:
        uvicorn.Server(config).run()
        return
    server = uvicorn.Server(config)
    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(_receiving(host, hj212_port, simulate, city, server.serve))


async def _receiving(
    host: str, hj212_port: int, simulate: bool, city: str, until: Callable[[], Awaitable[None]]
) -> None:
    """The HJ 212 receiver (and with ``simulate`` the example devices) until ``until()`` ends."""
    receiver = build_receiver(city=city)
    try:
        bound = await receiver.start(host, hj212_port)
    except OSError as error:  # the port is taken: serve the pages all the same
        receiver.raw.close()
        console.print(
            f"HJ 212 端口 {hj212_port} 不可用，未启动接收 (receiver not started): {error}"
        )
        await until()
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
        await until()
    finally:
        if playing is not None:
            playing.cancel()
        await receiver.stop()


class ReceiverThread(threading.Thread):
    """The receiver of a server with several workers: its own event loop in a thread of the
    supervising process, stopped (its acknowledged frames durable) when the workers have
    stopped."""

    def __init__(self, host: str, hj212_port: int, simulate: bool, city: str):
        super().__init__(name="lantian-hj212", daemon=True)
        self.arguments = (host, hj212_port, simulate, city)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.stopping: asyncio.Event | None = None
        self.ready = threading.Event()

    def run(self) -> None:
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(self._main())

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.stopping = asyncio.Event()
        self.ready.set()
        await _receiving(*self.arguments, until=self.stopping.wait)

    def stop(self, timeout: float = 30) -> None:
        self.ready.wait(timeout)
        if self.loop is not None and self.stopping is not None:
            self.loop.call_soon_threadsafe(self.stopping.set)
        self.join(timeout)


def serve_command(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    city: Annotated[
        str | None, typer.Option(help="the city the pages open on (default LANTIAN_CITY, 永州)")
    ] = None,
    hj212_port: Annotated[
        int | None, typer.Option(help="also receive HJ 212 frames on this TCP port")
    ] = None,
    simulate: Annotated[
        bool,
        typer.Option(help="with --hj212-port: play the example registry's devices (模拟数据)"),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="worker processes (default: one per core)"),
    ] = None,
) -> None:
    """服务 Serve the public pages and the JSON API over the store (http://HOST:PORT/), and with
    ``--hj212-port`` the HJ 212 receiver beside them."""
    warn_if_clock_stopped()
    serve(host, port, city, hj212_port, simulate, workers)
