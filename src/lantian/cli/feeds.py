"""``lantian receive``, ``lantian simulate hj212`` and ``lantian devices``: the live feeds."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from lantian.cli.common import OutputFormat, console, store, warn_if_clock_stopped
from lantian.cli.tables import emit
from lantian.settings import settings

simulate_app = typer.Typer(help="模拟 Simulated devices (模拟数据), for demos and load tests.")
devices_app = typer.Typer(help="设备 Devices on the live feeds: their state.")

DEFAULT_PORT = 9212
WORKER_ENV = "LANTIAN_RECEIVER_WORKER"
"""``N:PID``: set by ``lantian receive --workers`` for the worker processes it starts."""


def event_loop_factory():
    """Uvloop's event loop where it is installed (Linux, macOS), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def device_directory(simulated: int):
    """The devices the receiver accepts: those of the source registry (``lantian sources``,
    re-read when it changes), then the simulator's fleet of ``simulated`` devices."""
    from lantian.feeds.simulator import fleet_directory
    from lantian.plan.database import open_ledger
    from lantian.sources.directory import ChainedDirectory, RegistryDirectory

    registry = RegistryDirectory(open_ledger())
    return ChainedDirectory(registry, fleet_directory(simulated)) if simulated else registry


def build_receiver(simulated: int = 0, alarms: bool = True, cases: bool = True, **options: object):
    """A receiver over ``--home``'s feed folder and measurement store; with ``alarms``, the
    alarm rules in force (``LANTIAN_ALARM_RULES``) judge what it stores as it stores it.

    With several worker processes, worker 0 alone stores values (it reads the others' raw
    logs), so the live evaluation runs there and sees every device, whichever process its
    connection reached."""
    from lantian.feeds.receiver import Receiver, ReceiverOptions

    measurements = store()
    alarms = alarms and not int(str(options.get("worker", 0)))
    listeners = [live_alarms(measurements, cases)] if alarms else []
    return Receiver(
        settings().feeds_path,
        device_directory(simulated),
        measurements,
        ReceiverOptions(**options),
        listeners=listeners,
    )


def live_alarms(measurements, cases: bool = True):
    """The live alarm evaluation over ``--home``'s stores (``lantian.alarms.live``); with
    ``cases``, its alarms open cases in the ledger (``lantian.cases``)."""
    from sqlalchemy.orm import Session

    from lantian.alarms.live import LiveAlarms, case_listener
    from lantian.alarms.rules import load_rules
    from lantian.alarms.scan import device_facts
    from lantian.alarms.store import AlarmStore
    from lantian.feeds.store import FeedStore
    from lantian.plan.database import open_ledger

    def facts():
        with Session(open_ledger()) as db:
            return device_facts(db)

    live = LiveAlarms(
        FeedStore(settings().feeds_path / "store"),
        AlarmStore(settings().alarms_path),
        load_rules(settings().alarm_rules),
        facts,
        measurements,
    )
    if cases:
        live.on_alarms.append(case_listener(open_ledger()))
    return live


def receive_command(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port (HJ 212)")] = DEFAULT_PORT,
    simulated: Annotated[
        int, typer.Option(help="also accept the simulator's first N devices (模拟数据)")
    ] = 0,
    idle_seconds: Annotated[float, typer.Option(help="disconnect a peer silent this long")] = 600.0,
    frame_seconds: Annotated[
        float, typer.Option(help="disconnect a peer that takes longer to finish a frame")
    ] = 30.0,
    max_bad_frames: Annotated[
        int, typer.Option(help="disconnect a peer after more malformed frames than this")
    ] = 10,
    max_connections: Annotated[int, typer.Option(help="connections served at once")] = 4096,
    max_unproven_per_address: Annotated[
        int,
        typer.Option(
            min=1, help="connections of one address held before it sends an accepted frame"
        ),
    ] = 1024,
    flush_seconds: Annotated[
        float, typer.Option(help="commit received values to the feed store this often")
    ] = 2.0,
    event_log_mb: Annotated[
        float,
        typer.Option(
            min=0.001, help="the most the quarantine and the rejection log each write a day [MB]"
        ),
    ] = 256.0,
    city: Annotated[
        str | None, typer.Option(help="the city device stations are registered in")
    ] = None,
    alarms: Annotated[
        bool, typer.Option(help="judge stored minutes by the alarm rules as they arrive")
    ] = True,
    cases: Annotated[
        bool, typer.Option(help="with --alarms: alarms open cases (or append to the open one)")
    ] = True,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="receiver processes sharing the port (one per core; SO_REUSEPORT); with more "
            "than one, one more process stores what they receive",
        ),
    ] = 1,
) -> None:
    """接收 Receive HJ 212-2017/2005 frames over TCP: acknowledge what is durable, store values in
    the feed store and device hours in the measurement store (Ctrl+C or SIGTERM stops)."""
    import subprocess
    import sys

    from lantian.feeds.receiver import die_with_parent, serve_forever

    # workers 1 … N-1 are this command started by worker 0, told who they are by WORKER_ENV
    worker, _, parent = os.environ.pop(WORKER_ENV, "0:0").partition(":")
    if int(worker):
        die_with_parent(int(parent))
    else:
        warn_if_clock_stopped()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    receiver = build_receiver(
        simulated,
        idle_seconds=idle_seconds,
        frame_seconds=frame_seconds,
        max_bad_frames=max_bad_frames,
        max_connections=max_connections,
        max_unproven_per_address=max_unproven_per_address,
        flush_seconds=flush_seconds,
        event_log_bytes=int(event_log_mb * 1024 * 1024),
        city=city,
        alarms=alarms,
        cases=cases,
        workers=workers,
        worker=int(worker),
    )

    def start_workers(bound: int) -> list[subprocess.Popen]:
        """Workers 1 … N: the same command on the port bound (they inherit ``--home``)."""
        options = [
            "--host", host, "--port", str(bound), "--simulated", str(simulated),
            "--idle-seconds", str(idle_seconds), "--frame-seconds", str(frame_seconds),
            "--max-bad-frames", str(max_bad_frames), "--max-connections", str(max_connections),
            "--max-unproven-per-address", str(max_unproven_per_address),
            "--flush-seconds", str(flush_seconds), "--event-log-mb", str(event_log_mb),
            "--alarms" if alarms else "--no-alarms",
            "--cases" if cases else "--no-cases",
            "--workers", str(workers),
            *(["--city", city] if city else []),
        ]  # fmt: skip
        command = [sys.executable, "-m", "lantian", "receive", *options]
        return [
            subprocess.Popen(command, env={**os.environ, WORKER_ENV: f"{n}:{os.getpid()}"})
            for n in range(1, workers + 1)
        ]

    with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
        runner.run(
            serve_forever(
                receiver, host, port, start_workers if workers > 1 and not int(worker) else None
            )
        )


@simulate_app.command("hj212")
def simulate_hj212_command(
    devices: Annotated[int, typer.Option(help="how many simulated devices")] = 10,
    host: Annotated[str, typer.Option(help="the receiver's address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="the receiver's port")] = DEFAULT_PORT,
    speed: Annotated[float, typer.Option(help="simulated time runs this many times faster")] = 1.0,
    minutes: Annotated[
        int | None, typer.Option(help="stop after this many simulated minutes (default: never)")
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="simulated start time, Beijing (default: now)")
    ] = None,
    acknowledged: Annotated[
        Path | None, typer.Option(help="write the acknowledged frames (MN DataTime CN) here")
    ] = None,
    no_faults: Annotated[
        bool, typer.Option("--no-faults", help="send every frame cleanly")
    ] = False,
    example: Annotated[
        bool,
        typer.Option(
            "--example", help="play the example registry's devices (示例; ignores --devices)"
        ),
    ] = False,
    exceed: Annotated[
        list[str] | None,
        typer.Option(help="make this device (MN) exceed the dust rules every hour (模拟超标)"),
    ] = None,
) -> None:
    """模拟 Play N simulated dust monitors and micro-stations (模拟数据) against a receiver: minute
    frames from real 2019 national-station data plus site increments and noise, with late,
    duplicated, corrupted, wrong-password frames and offline spells."""
    from lantian.feeds.simulator import FAULTS, Simulator, example_fleet

    begin = dt.datetime.fromisoformat(start) if start else None
    played = example_fleet(device_directory(0)) if example else None
    try:
        simulator = Simulator(
            devices,
            host,
            port,
            speed,
            begin,
            minutes,
            faults={} if no_faults else FAULTS,
            devices=played,
            exceed=exceed or (),
        )
    except ValueError as error:
        console.print(f"[red]✗ {error}[/red]")
        raise typer.Exit(2) from error
    exceeding = f", 模拟超标 {', '.join(exceed)}" if exceed else ""
    console.print(
        f"模拟数据 simulating {len(simulator.devices)} devices → {host}:{port}, ×{speed:g}, from "
        f"{simulator.start:%Y-%m-%d %H:%M}{exceeding}"
    )
    try:
        log = asyncio.run(simulator.run())
    finally:
        if acknowledged is not None:
            simulator.log.write_acknowledged(acknowledged)
    console.print(
        f"sent {log.sent['frames']} frames, acknowledged {len(log.acknowledged)}, "
        f"faults {dict(log.faults)}"
    )


@devices_app.command("status")
def devices_status_command(
    output: Annotated[OutputFormat, typer.Option("--format", help="table, json or csv")] = (
        OutputFormat.table
    ),
) -> None:
    """设备状态 Each device's last frame, data rate, missing minutes today and flags."""
    from lantian.feeds.status import device_status

    rows = device_status(settings().feeds_path)
    if output is OutputFormat.table:  # a terminal's width: the columns an operator scans
        shown = (
            "mn",
            "data",
            "last_data_time",
            "minutes_last_hour",
            "missing_minutes_today",
            "flags",
        )
        rows = [{key: row[key] for key in shown} for row in rows]
    emit(rows, output, "设备状态 device status")
