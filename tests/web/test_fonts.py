"""The pages' web font, Lantian Sans (``lantian/web/static/fonts``, built by ``scripts/build_font``):
served by the app as ``font/woff2`` under versioned URLs, covering every character of the pages'
templates, i18n strings and the tables they show, and drawing the now page in real Chromium
(Debian's, driven by Playwright, against a real ``lantian serve``) with no request leaving the server.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

import lantian.web
from lantian.demo import STATION_LIST, demo_file
from lantian.web.assets import asset_url
from tests.browsing import (
    CHROMIUM,
    chromium,
    confined_context,
    platform_fonts,
    serving,
    wait_for,
    wait_until_answers,
)

WEB = Path(lantian.web.__file__).parent
FONTS = WEB / "static" / "fonts"
STANDARDS_TABLES = WEB.parent / "standards" / "tables"
FACE = re.compile(r"@font-face\s*\{([^}]*)\}")


def font_faces(css: str) -> list[dict[str, str]]:
    """The ``@font-face`` rules of ``css``: their descriptors by name."""
    faces = []
    for body in FACE.findall(css):
        descriptors = (part.split(":", 1) for part in body.split(";") if ":" in part)
        faces.append({name.strip(): value.strip() for name, value in descriptors})
    return faces


def face_file(face: dict[str, str]) -> str:
    """The file name of a face's ``src: url("fonts/NAME?v=HASH")``, without the version."""
    return re.search(r'url\("fonts/([^"?]+)', face["src"]).group(1)


def unicode_range(face: dict[str, str]) -> set[int] | None:
    """The code points a face's ``unicode-range`` admits; None when it has none (all of them)."""
    if "unicode-range" not in face:
        return None
    admitted = set()
    for part in face["unicode-range"].split(","):
        first, _, last = part.strip().removeprefix("U+").partition("-")
        admitted |= set(range(int(first, 16), int(last or first, 16) + 1))
    return admitted


def coverage() -> dict[int, str]:
    """``fonts/coverage.txt``: each covered code point and the face (file stem) holding it."""
    lines = (FONTS / "coverage.txt").read_text(encoding="utf-8").splitlines()
    rows = (line.split() for line in lines if line and not line.startswith("#"))
    return {int(code.removeprefix("U+"), 16): stem for code, stem in rows}


def shown_characters() -> set[str]:
    """Every printable character of the page and ledger templates, the i18n files, the standards'
    tables (category names, health advice, pollutant symbols) and the station names of the reference station list."""
    files = [
        *WEB.glob("pages/templates/*.html"),
        *WEB.glob("ledger/templates/*.html"),
        WEB / "i18n.toml",
        WEB / "ledger" / "i18n.toml",
        *STANDARDS_TABLES.glob("*.csv"),
        demo_file(STATION_LIST),
    ]
    text = "".join(path.read_text(encoding="utf-8") for path in files)
    return {c for c in text if not unicodedata.category(c).startswith("C")}


@pytest.fixture(scope="module")
def stylesheet(client) -> str:
    response = client.get(asset_url("lantian.css"))
    assert response.status_code == 200
    return response.text


def test_the_stylesheet_puts_lantian_sans_first(stylesheet):
    root = re.search(r":root\s*\{([^}]*)\}", stylesheet).group(1)
    family = re.search(r"font-family:\s*([^;]+);", root).group(1)
    assert family.startswith('"Lantian Sans", ')
    assert family.rstrip().endswith("sans-serif")  # the system fonts stay as fallbacks
    faces = font_faces(stylesheet)
    assert {face["font-family"] for face in faces} == {'"Lantian Sans"'}
    assert {(face_file(face), face["font-weight"]) for face in faces} == {
        ("NotoSansSC-Regular.subset.woff2", "400"),
        ("NotoSansSC-Bold.subset.woff2", "700"),
        ("NotoSansMono-Regular.subset.woff2", "400"),
        ("NotoSansMono-Bold.subset.woff2", "700"),
    }
    assert all(face["font-display"] == "swap" for face in faces)


def test_fonts_are_served_as_woff2_cached_for_a_year(client, stylesheet):
    for face in font_faces(stylesheet):
        url = re.search(r'url\("([^"]+)"\)', face["src"]).group(1)
        assert "?v=" in url, "the stylesheet links the font by its content hash"
        response = client.get(f"/static/{url}", headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        assert response.headers["content-type"] == "font/woff2"
        assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert "content-encoding" not in response.headers  # WOFF2 is compressed already
        assert response.content[:4] == b"wOF2"
        assert response.content == (FONTS / face_file(face)).read_bytes()
        assert len(response.content) < 2_000_000


def test_every_shown_character_is_in_a_face_that_admits_it(stylesheet):
    faces = {face_file(face).split("-")[0]: unicode_range(face) for face in font_faces(stylesheet)}
    covered = coverage()
    missing = sorted(c for c in shown_characters() if ord(c) not in covered)
    assert missing == [], f"not in Lantian Sans {missing}: run scripts/build_font and commit"
    for character in shown_characters():
        admitted = faces[covered[ord(character)]]
        assert admitted is None or ord(character) in admitted, character


def test_coverage_lists_the_fonts_code_points():
    """coverage.txt, which the test above trusts, is what the WOFF2 files hold (fontTools and
    brotli are development dependencies: the tests read the fonts, Lantian only serves them)."""
    covered = coverage()
    for path in sorted(FONTS.glob("*.woff2")):
        stem = path.name.split("-")[0]
        expected = {code_point for code_point, face in covered.items() if face == stem}
        assert set(TTFont(path).getBestCmap()) == expected, path.name


@pytest.fixture(scope="module")
def server(web_home: Path) -> Iterator[str]:
    with serving(web_home) as (base, process):
        wait_until_answers(base, "/api/v1/years", process, web_home / "serve.log", seconds=60)
        yield base


# The charts drawn and the forecast filled in: the server is left with no request in progress
# (`lantian serve` stops within the 10 s tests/browsing.py gives it only when idle).
SETTLED = """
[...document.querySelectorAll('[data-chart]'), document.getElementById('forecast-now')]
  .every(e => ['1', 'error'].includes(e.dataset.ready))
"""
FONT_READY = """
async () => {
  await document.fonts.ready;
  return document.fonts.check('16px "Lantian Sans"', '空气质量');
}
"""


CHART_FONTS = """
[...document.querySelectorAll('[data-chart]')]
  .map(e => echarts.getInstanceByDom(e)?.getOption().textStyle)
  .map(t => (Array.isArray(t) ? t[0] : t)?.fontFamily)
"""


@pytest.mark.browser
@pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Debian's chromium is not installed (run scripts/browser)"
)
def test_chromium_draws_the_now_page_in_lantian_sans(server):
    """Debian's Chromium has the system's Noto Sans CJK SC too: the drawn fonts must be the web
    font's faces (isCustomFont), not the system's."""
    outside: list[str] = []
    fonts: dict[str, str] = {}
    with chromium() as browser:
        context = confined_context(browser, server, outside, locale="zh-CN")

        def record(response):
            if "/static/fonts/" in response.url:
                fonts[response.url] = response.headers["content-type"]

        page = context.new_page()
        page.on("response", record)
        page.goto(server + "/now?city=永州", timeout=60_000)
        wait_for(page, SETTLED, timeout=120_000)
        assert page.evaluate(FONT_READY) is True
        chart_fonts = page.evaluate(CHART_FONTS)
        hero = platform_fonts(page, ".hero-label")
        pm25 = platform_fonts(page, "#city-concentrations [data-pollutant='PM2.5'] dt")
        context.close()
    assert outside == [], f"requests left the server: {outside}"
    assert chart_fonts  # the charts draw their text in the page's font too
    assert all(f and f.startswith('"Lantian Sans"') for f in chart_fonts), chart_fonts
    assert {name.split("?")[0].rsplit("/", 1)[1] for name in fonts} >= {
        "NotoSansSC-Regular.subset.woff2",
        "NotoSansMono-Regular.subset.woff2",
    }
    assert set(fonts.values()) == {"font/woff2"}
    assert [(f["familyName"], f["isCustomFont"]) for f in hero] == [("Noto Sans CJK SC", True)]
    assert {(f["familyName"], f["isCustomFont"]) for f in pm25} == {
        ("Noto Sans CJK SC", True),  # P, M, the full stop
        ("Noto Sans Mono", True),  # ₂ ₅
    }
