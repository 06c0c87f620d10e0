"""The pages' words and formats: every i18n key in both languages and used keys present; dates
as Chinese users write them; no page or asset refers to anything outside the server."""

from __future__ import annotations

import datetime as dt
import re
from importlib import resources
from pathlib import Path

import pytest

from lantian.web.formatting import concentration, day_label, hour_end_label
from lantian.web.i18n import LANGUAGES, choose_language, messages
from lantian.web.pages.render import text_colour

WEB = Path(str(resources.files("lantian.web")))
OWN_FILES = [
    *WEB.glob("pages/templates/*.html"),
    WEB / "static/lantian.js",
    WEB / "static/lantian.css",
]


def test_every_key_has_both_languages():
    for key, entry in messages().items():
        assert set(entry) == set(LANGUAGES), key
        assert all(text.strip() for text in entry.values()), key


def test_every_key_used_is_defined():
    used = set()
    for path in WEB.glob("pages/templates/*.html"):
        used |= set(re.findall(r"t\('([a-z0-9_]+)'\)", path.read_text(encoding="utf-8")))
    used |= set(re.findall(r"\bT\.([a-z0-9_]+)", (WEB / "static/lantian.js").read_text()))
    assert used - set(messages()) == set()
    assert len(used) > 40


@pytest.mark.parametrize("path", OWN_FILES, ids=lambda p: p.name)
def test_no_external_reference(path):
    """Only the footer's own API link is a URL; nothing points outside the server."""
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("ts", "zh", "en"),
    [
        (
            dt.datetime(2020, 1, 1, 0),
            "2019年12月31日 24时",
            "2019-12-31 24:00",
        ),  # hour ending midnight
        (dt.datetime(2019, 12, 31, 23), "2019年12月31日 23时", "2019-12-31 23:00"),
        (dt.datetime(2019, 3, 1, 1), "2019年3月1日 1时", "2019-03-01 01:00"),
        ("2019-03-01T00:00:00", "2019年2月28日 24时", "2019-02-28 24:00"),
    ],
)
def test_hour_end_labels(ts, zh, en):
    assert hour_end_label(ts, "zh-CN") == zh
    assert hour_end_label(ts, "en") == en


def test_day_and_concentration_labels():
    assert day_label("2019-12-31") == "2019年12月31日"
    assert concentration(1.25, "CO") == "1.2"  # CO to 0.1 mg/m³ (values arrive rounded)
    assert concentration(38.0, "NO2") == "38"
    assert concentration(None, "PM2.5") == "—"


def test_language_choice_is_chinese_first():
    assert choose_language(None, None) == "zh-CN"
    assert choose_language("en", None) == "en"
    assert choose_language(None, "en") == "en"
    assert choose_language("fr", "xx") == "zh-CN"


@pytest.mark.parametrize(
    ("background", "text"),
    [
        ("#00E400", "#000000"),
        ("#FFFF00", "#000000"),
        ("#FF7E00", "#000000"),
        ("#FF0000", "#000000"),
        ("#99004C", "#FFFFFF"),
        ("#7E0023", "#FFFFFF"),
    ],
)
def test_text_colour_reads_on_each_category(background, text):
    assert text_colour(background) == text


def test_docs_name_every_route_and_page():
    """docs/web.md documents every route of the API and every page (datasette's habit)."""
    from lantian.web import create_app

    docs = (Path(__file__).parents[2] / "docs" / "web.md").read_text(encoding="utf-8")
    app = create_app("/nonexistent", warm_up=False)
    paths = {getattr(route, "path", "") for route in app.routes}
    public = {
        p
        for p in paths
        if p.startswith("/api/v1/") or p in ("/", "/now", "/history", "/attainment")
    }
    missing = sorted(p for p in public if f"`{p}" not in docs)
    assert missing == []
