"""``/api/v1/docs``: Swagger UI served from the package (issue #12 item 9), over the real
``/api/v1/openapi.json`` — every file it names is Lantian's own, and in a real Chromium it draws
every documented route without a request leaving the server."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browsing import CHROMIUM, chromium, confined_context, serving, wait_until_answers


def test_the_page_names_only_local_versioned_files(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    links = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert len(links) == 3
    assert "<script>" not in response.text  # no inline script: the start-up is a file
    for link in links:
        assert link.startswith("/static/swagger-ui/")
        assert "?v=" in link
        served = client.get(link)
        assert served.status_code == 200
        assert "max-age=31536000, immutable" in served.headers["cache-control"]
    assert 'data-openapi="/api/v1/openapi.json"' in response.text


def test_the_vendored_files_carry_their_licence():
    folder = Path(__file__).parents[2] / "src" / "lantian" / "web" / "static" / "swagger-ui"
    assert "Apache License" in (folder / "LICENSE").read_text("utf-8")
    provenance = (folder / "PROVENANCE.md").read_text("utf-8")
    digest = hashlib.sha256((folder / "swagger-ui-bundle.js").read_bytes()).hexdigest()
    assert digest in provenance


@pytest.fixture(scope="module")
def server(web_home: Path) -> Iterator[str]:
    with serving(web_home) as (base, process):
        wait_until_answers(base, "/api/v1/years", process, web_home / "serve.log", seconds=60)
        yield base


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (run scripts/browser)"
)
def test_swagger_ui_draws_every_route_offline(server, client):
    documented = client.get("/api/v1/openapi.json").json()["paths"]
    outside: list[str] = []
    errors: list[str] = []
    with chromium() as browser:
        context = confined_context(browser, server, outside, locale="zh-CN")
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server + "/api/v1/docs")
        page.wait_for_selector(".opblock-summary-path", timeout=60_000)
        paths = set(
            page.eval_on_selector_all(".opblock-summary-path", "es => es.map(e => e.dataset.path)")
        )
        context.close()
    assert outside == []
    assert errors == []
    assert paths == set(documented)
