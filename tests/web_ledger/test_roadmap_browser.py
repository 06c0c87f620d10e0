"""The roadmap page in real headless Chromium against a real ``lantian serve`` over a home with the
demo store and the demo's chain on EXAMPLE data (示例数据): the waterfall is drawn by this server's
ECharts under the page's script policy (no inline script), the page is Chinese first with the
example label, the office's apportionment upload refuses a broken workbook listing its errors, and
no request leaves the server. Screenshot: ``test-artifacts/web_ledger/roadmap.png``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.attacking import running, server_env
from tests.attacks.conftest import attack_home
from tests.browsing import CHROMIUM, chromium, confined_context, log_in, screenshot, wait_for
from tests.ledger_users import PASSWORD
from tests.planning.helpers import build_example_home
from tests.web import conftest as web_conftest

web_home = web_conftest.web_home  # the demo store, built once per session
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts" / "web_ledger"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (run scripts/browser)"
    ),
]


@pytest.fixture(scope="module")
def base(tmp_path_factory, web_home) -> Iterator[str]:
    home = attack_home(tmp_path_factory.mktemp("roadmap-browser") / "home", web_home)
    build_example_home(home, seed=False)
    with running(home, server_env()) as url:
        yield url


def test_the_roadmap_page_draws_its_chart_offline(base, tmp_path):
    outside: list[str] = []
    errors: list[str] = []
    with chromium() as browser:
        context = confined_context(browser, base, outside, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        # a script the page's policy blocked shows only as a console error
        page.on("console", lambda m: errors.append(m.text) if "script" in m.text.lower() else None)
        page.base = base
        log_in(page, "office", PASSWORD)
        page.click('a[href="/ledger/roadmap"]')
        page.wait_for_selector("#roadmap-summary")
        wait_for(page, "document.querySelector('#roadmap-chart').dataset.drawn === 'true'")
        assert page.get_attribute("html", "lang") == "zh-CN"
        assert "达标路线图" in page.text_content("h1")
        assert "示例数据" in page.text_content("#roadmap-example")
        assert "响应模型依据" in page.text_content("#roadmap-basis")
        assert page.locator("#roadmap-chart canvas").count() >= 1
        assert page.locator("#roadmap-measures tbody tr").count() >= 1
        screenshot(page, ARTIFACTS, "roadmap")
        broken = tmp_path / "源解析.xlsx"
        broken.write_bytes(b"PK\x03\x04 not a workbook")
        page.set_input_files('#apportionment-form input[type="file"]', str(broken))
        page.click('#apportionment-form button[type="submit"]')
        page.wait_for_load_state()
        assert "源解析.xlsx" in page.content()
        context.close()
    assert outside == [], f"requests left the server: {outside}"
    assert errors == [], f"JavaScript errors: {errors}"
