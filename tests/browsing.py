"""What the browser tests share: Debian's Chromium launched by Playwright, a free loopback port,
a real ``lantian serve`` subprocess and the wait until it answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-gpu",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serving(
    home: Path, env: dict[str, str] | None = None, args: tuple[str, ...] = ()
) -> Iterator[tuple[str, subprocess.Popen]]:
    """``lantian serve`` over ``home`` on a free loopback port (with ``args`` appended, e.g.
    ``("--workers", "2")``; by default one worker process per core): (base URL, process); its
    output goes to ``home/serve.log``; stopped on exit."""
    port = free_port()
    command = [sys.executable, "-m", "lantian", "--home", str(home), "serve", "--port", str(port)]
    with open(home / "serve.log", "w") as log:
        process = subprocess.Popen(
            [*command, *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**(os.environ if env is None else env), "PYTHONUNBUFFERED": "1"},
        )
        try:
            yield f"http://127.0.0.1:{port}", process
        finally:
            process.terminate()  # uvicorn lets running requests finish for ≤ 5 s
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # stopping is not what these tests test
                process.kill()
                process.wait()


def descendants(pid: int) -> set[int]:
    """The processes started by ``pid``, and theirs (Linux ``/proc``): a server's workers."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # ended meanwhile
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    """Whether process ``pid`` is running (not ended, not a zombie)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_until_answers(
    base: str, path: str, process: subprocess.Popen, log: Path, seconds: float = 90
) -> None:
    """Poll ``base + path`` until it answers 200; the server's log is the error if it dies or times out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(f"{base}{path}", timeout=30) as response:
                if response.status == 200:
                    return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(log.read_text()) from None
            time.sleep(0.2)


@contextmanager
def chromium():
    """Debian's Chromium driven by Playwright (Playwright's own browser download does not work here)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        try:
            yield instance
        finally:
            instance.close()


def confined_context(browser, server: str, outside: list[str], **options):
    """A new browser context (``options`` as Playwright's ``new_context``) whose requests may go
    only to ``server`` and to ``data:`` URLs: any other is aborted and recorded in ``outside``."""
    context = browser.new_context(**options)

    def guard(route) -> None:
        url = route.request.url
        if url.startswith((server + "/", "data:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    return context


def chart_option(page, element_id: str) -> dict:
    """The option of the ECharts instance drawn in ``element_id`` (functions left out)."""
    script = (
        "id => JSON.parse(JSON.stringify("
        "echarts.getInstanceByDom(document.getElementById(id)).getOption(),"
        " (k, v) => typeof v === 'function' ? undefined : v))"
    )
    return page.evaluate(script, element_id)


def wait_for(page, expression: str, timeout: float = 30_000) -> None:
    """Wait until the JavaScript ``expression`` is true in ``page`` (at most ``timeout`` ms).

    Playwright's ``wait_for_function`` compiles its predicate with ``eval`` inside the page, which
    the pages' Content-Security-Policy (rightly) forbids; ``page.evaluate`` runs through the
    DevTools protocol, outside the policy, so this polls with it instead."""
    deadline = time.monotonic() + timeout / 1000
    while not _evaluate_quietly(page, expression):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{expression!r} still false after {timeout / 1000:.0f} s")
        page.wait_for_timeout(100)


def _evaluate_quietly(page, expression: str) -> object:
    """``page.evaluate``, false while a navigation has no document yet (a click that loads the
    next page: ``document.documentElement`` is briefly null, or the context is destroyed)."""
    try:
        return page.evaluate(expression)
    except PlaywrightError as error:
        if "null" in str(error) or "destroyed" in str(error) or "navigat" in str(error):
            return False
        raise


def platform_fonts(page, selector: str) -> list[dict]:
    """The fonts Chromium drew the text of ``selector`` with (DevTools CSS.getPlatformFontsForNode)."""
    session = page.context.new_cdp_session(page)
    session.send("DOM.enable")
    session.send("CSS.enable")
    root = session.send("DOM.getDocument")["root"]["nodeId"]
    node = session.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    return session.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]


def log_in(page, name: str, password: str) -> None:
    """Log ``name`` in through the ledger's login form in ``page`` (``page.base``: the server)."""
    page.goto(page.base + "/ledger/login")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#login")
    page.wait_for_selector("#who")
    assert page.text_content("#who").startswith(name)


def screenshot(page, folder: Path, name: str) -> None:
    """A full-page screenshot ``folder/name.png``."""
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
