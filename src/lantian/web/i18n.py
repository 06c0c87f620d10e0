"""The pages' words in Chinese (first) and English, from ``i18n.toml``.

Names that the standards define — pollutants, AQI categories, colours, health advice — are not
here: they come from :mod:`lantian.standards` so that a page and a report never disagree.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from lantian.web.formatting import EN, LANGUAGES, ZH

__all__ = ["EN", "LANGUAGES", "ZH", "choose_language", "messages", "translate"]


@cache
def messages() -> dict[str, dict[str, str]]:
    """Every key with its text per language (``zh-CN``, ``en``)."""
    text = resources.files("lantian.web").joinpath("i18n.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def translate(key: str, language: str) -> str:
    """The text of ``key`` in ``language``; a missing key raises ``KeyError`` naming it."""
    entry = messages().get(key)
    if entry is None:
        raise KeyError(f"no i18n key {key!r} in lantian/web/i18n.toml")
    return entry[language]


def choose_language(query: str | None, cookie: str | None) -> str:
    """The page language: ``?lang=`` first, then the ``lang`` cookie, else Chinese."""
    for candidate in (query, cookie):
        if candidate in LANGUAGES:
            return candidate
    return ZH


def bundle(language: str, prefix: str = "") -> dict[str, str]:
    """The texts of ``language`` (keys starting with ``prefix``), for the pages' JavaScript."""
    return {k: v[language] for k, v in messages().items() if k.startswith(prefix)}
