"""The ledger pages in real headless Chromium (Debian's, driven by Playwright) against a real
``lantian serve`` subprocess whose LANTIAN_HOME holds a ledger with the model plan and a user of
each role (added through the plan services): a unit's reporter files a monthly report with an
evidence file; the office reviews it, locks the month and sees the ledger row change; a form
stripped of its CSRF token is refused and stores nothing. Any request leaving the server fails
the test. Screenshots go to ``test-artifacts/web_ledger/``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browsing import (
    CHROMIUM,
    chromium,
    confined_context,
    platform_fonts,
    screenshot,
    serving,
    wait_for,
    wait_until_answers,
)
from tests.browsing import log_in as browser_log_in

from .conftest import PASSWORD, seed_ledger
from .helpers import general_task

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "web_ledger"
MONTH = "2019-06"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (run scripts/browser)"
    ),
]


@pytest.fixture(scope="module")
def served_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ledger-home")


@pytest.fixture(scope="module")
def started(served_home: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """``lantian serve`` started on a free loopback port over the home, whose ledger is seeded
    while the server imports (it opens the ledger on the first ledger request)."""
    env = {k: v for k, v in os.environ.items() if k != "LANTIAN_DATABASE_URL"}
    with serving(served_home, env) as (base, process):
        seed_ledger(f"sqlite:///{served_home / 'plan.sqlite3'}")
        yield base, process


@pytest.fixture(scope="module")
def server(started, browser, served_home: Path) -> str:
    """The base URL of the server, once it answers (Chromium starts meanwhile)."""
    base, process = started
    wait_until_answers(base, "/ledger/login", process, served_home / "serve.log")
    return base


@pytest.fixture(scope="module")
def browser():
    with chromium() as instance:
        yield instance


@pytest.fixture
def new_page(browser, server):
    """``new_page()``: a page in a context of its own (its own cookies) whose every request is
    checked: anything not addressed to the server is aborted, recorded, and fails the test."""
    contexts, outside, errors = [], [], []

    def make():
        context = confined_context(
            browser, server, outside, viewport={"width": 1280, "height": 900}, locale="zh-CN"
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.base = server
        return page

    yield make
    for context in contexts:
        context.close()
    assert outside == [], f"requests left the server: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"


def shot(page, name: str) -> None:
    screenshot(page, ARTIFACTS, name)


def log_in(page, name: str) -> None:
    browser_log_in(page, name, PASSWORD)


def ledger_row(page, task_id: int) -> dict[str, str]:
    page.goto(f"{page.base}/ledger?month={MONTH}")
    row = f'#ledger-table tr[data-task="{task_id}"]'
    return {
        "rag": page.get_attribute(row, "data-rag"),
        "status": page.text_content(f"{row} td.status").strip(),
        "review": page.text_content(f"{row} td.review").strip(),
    }


def test_reporter_files_and_the_office_reviews_and_locks(new_page, served_home, tmp_path):
    from lantian.plan.database import create_ledger_engine

    engine = create_ledger_engine(f"sqlite:///{served_home / 'plan.sqlite3'}")
    task_id = general_task(engine, "区环保局")
    engine.dispose()

    office = new_page()
    log_in(office, "office")
    before = ledger_row(office, task_id)
    assert before["status"] == "未报送"
    assert before["rag"] != "green"

    reporter = new_page()
    log_in(reporter, "hb")
    assert "/ledger/units/" in reporter.url  # a reporter lands on their unit's page
    reporter.goto(f"{reporter.base}/ledger/units/区环保局?month={MONTH}")
    reporter.click(f'a[data-file-task="{task_id}"]')
    reporter.wait_for_selector("#report-form")
    reporter.select_option("#report-status", "completed")
    reporter.fill("#report-narrative", "已完成本月任务，附验收材料。")
    evidence = tmp_path / "验收材料.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% Lantian test evidence\n")
    reporter.set_input_files("#report-evidence", str(evidence))
    shot(reporter, "report-form")
    reporter.click("#submit-report")
    reporter.wait_for_selector("#flash")
    assert "已提交月度进展" in reporter.text_content("#flash")
    report_row = f'#unit-reports tr[data-task="{task_id}"][data-month="{MONTH}"]'
    assert "验收材料.pdf" in reporter.text_content(f"{report_row} td.evidence")
    assert reporter.text_content(f"{report_row} td.review").strip() == "已报送"
    shot(reporter, "unit-after-filing")

    filed = ledger_row(office, task_id)
    assert filed == {"rag": "green", "status": "已完成", "review": "已报送"}
    office.goto(f"{office.base}/ledger/units/区环保局?month={MONTH}")
    report_id = office.get_attribute(report_row, "data-report")
    with office.expect_download() as download:
        office.click(f"{report_row} td.evidence a")
    assert Path(download.value.path()).read_bytes() == evidence.read_bytes()
    office.click(f'button[data-accept="{report_id}"]')
    office.wait_for_selector("#flash")
    assert office.text_content(f"{report_row} td.review").strip().startswith("已审核")
    office.goto(f"{office.base}/ledger/summary?month={MONTH}")
    office.click("#lock-month")
    office.wait_for_selector("#locked")
    assert "已锁定该月份" in office.text_content("#flash")
    after = ledger_row(office, task_id)
    assert after == {"rag": "green", "status": "已完成", "review": "已审核"}
    assert office.is_visible("#locked")
    shot(office, "ledger-after")

    reporter.goto(f"{reporter.base}/ledger/tasks/{task_id}/report?month={MONTH}")
    assert reporter.is_visible("#locked-message")
    assert reporter.locator("#report-form").count() == 0


def test_a_form_without_its_csrf_token_is_refused_and_stores_nothing(new_page):
    """A lock form stripped of its token, then with a forged one: 403, the month stays open."""
    office = new_page()
    log_in(office, "office")
    month = "2019-08"
    office.goto(f"{office.base}/ledger/summary?month={month}")
    assert office.is_visible("#unlocked")
    office.eval_on_selector("#lock-form input[name=csrf_token]", "e => e.remove()")
    office.click("#lock-month")
    office.wait_for_selector("#error-message")
    assert "防伪令牌" in office.text_content("#error-message")
    shot(office, "forged-form-refused")
    office.goto(f"{office.base}/ledger/summary?month={month}")
    assert office.is_visible("#unlocked")  # nothing stored
    office.eval_on_selector("#lock-form input[name=csrf_token]", "e => { e.value = 'forged'; }")
    office.click("#lock-month")
    office.wait_for_selector("#error-message")
    office.goto(f"{office.base}/ledger/summary?month={month}")
    assert office.is_visible("#unlocked")

    office.goto(f"{office.base}/ledger?month={MONTH}&lang=en")  # and the English switch
    assert office.get_attribute("html", "lang") == "en"
    assert "Task ledger" in office.text_content("h1")
    office.click("#switch-language")
    wait_for(office, "document.documentElement.lang === 'zh-CN'")
    assert "任务台账" in office.text_content("h1")


@pytest.mark.parametrize("path", ["/ledger/login", "/ledger/summary?month=2019-06"])
def test_ledger_pages_draw_in_lantian_sans_under_their_policy(new_page, path):
    """The ledger's policy (``default-src 'none'``) names ``font-src 'self'``: Lantian Sans, served
    from our package, loads and draws the page (Debian's Chromium has the system's Noto Sans CJK SC
    too, so the drawn face must be the web font's: isCustomFont), and the browser reports no
    policy violation."""
    page = new_page()
    fonts, refused = {}, []
    page.on("response", lambda r: "/static/fonts/" in r.url and fonts.update({r.url: r.status}))
    page.on("console", lambda m: "Content Security Policy" in m.text and refused.append(m.text))
    if path != "/ledger/login":
        log_in(page, "office")
    answer = page.goto(page.base + path)
    assert "font-src 'self'" in answer.headers["content-security-policy"]
    assert page.evaluate("document.fonts.ready.then(() => document.fonts.status)") == "loaded"
    drawn = platform_fonts(page, "h1")
    assert refused == [], refused
    assert "NotoSansSC-Regular.subset.woff2" in {u.split("?")[0].rsplit("/", 1)[1] for u in fonts}
    assert set(fonts.values()) == {200}
    assert ("Noto Sans CJK SC", True) in {(f["familyName"], f["isCustomFont"]) for f in drawn}
