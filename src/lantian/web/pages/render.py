"""The Jinja2 environment of the pages: templates, filters, and the context every page shares."""

from __future__ import annotations

import json
from functools import cache
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import BaseLoader, Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from lantian.assess.progress import STATUS_NAMES
from lantian.standards import (
    BASIC_POLLUTANTS,
    completeness_default,
    completeness_name,
    display_name,
    unit,
)
from lantian.standards.evaluation import metric_name
from lantian.standards.pollutants import symbol
from lantian.web import formatting
from lantian.web.assets import asset_url
from lantian.web.i18n import EN, ZH, bundle, choose_language, translate
from lantian.web.service import categories
from lantian.web.tables import dumps

LANG_COOKIE_AGE = 365 * 24 * 3600


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on ``background`` (``#RRGGBB``; WCAG luminance)."""
    if not background or len(background) != 7:
        return "#000000"
    channels = [int(background[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if luminance > 0.179 else "#FFFFFF"


def pollutant_label(pollutant: str, language: str = ZH, long: bool = False) -> str:
    """``PM₂.₅`` (short) or ``细颗粒物…`` (long) from the standards' pollutant table."""
    return display_name(pollutant, "zh" if language == ZH else "en") if long else symbol(pollutant)


def primary_label(ids: str | None, language: str) -> str:
    """Primary pollutant ids (``O3,PM2.5``) as symbols; 'none' when empty."""
    if not ids:
        return translate("none", language)
    return "、".join(symbol(p) for p in ids.split(","))


def metric_label(metric: str, language: str = ZH) -> str:
    """An evaluation statistic's name from the standards' metric table (年平均 …)."""
    return metric_name(metric, "zh" if language == ZH else "en")


def status_label(status: str, language: str = ZH) -> str:
    """A progress status's name, as ``lantian.assess.progress`` names it (进度正常 …)."""
    names = STATUS_NAMES.get(status)
    return status if names is None else names[0 if language == ZH else 1]


def pages_loader() -> PackageLoader:
    """The public pages' templates; the ledger's environment loads them too, as ``pages/…``."""
    return PackageLoader("lantian.web", "pages/templates")


def template_environment(loader: BaseLoader) -> Environment:
    """A Jinja2 environment as both page sets (public, ledger) have it: HTML escaped, an undefined
    name an error, block tags' own lines dropped."""
    return Environment(
        loader=loader,
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@cache
def environment() -> Environment:
    env = template_environment(pages_loader())
    env.filters.update(
        hour_end=formatting.hour_end_label,
        day=formatting.day_label,
        conc=formatting.concentration,
        number=formatting.number,
        text_colour=text_colour,
        pollutant=pollutant_label,
        primary=primary_label,
        unit=unit,
        metric=metric_label,
        status=status_label,
    )
    env.globals.update(
        asset_url=asset_url, POLLUTANTS=BASIC_POLLUTANTS, month_label=formatting.month_label
    )
    return env


def query_url(path: str, params: dict[str, Any]) -> str:
    """``path?params`` without the empty ones."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def completeness_note(language: str) -> str:
    """Which treatment of an AQI with a pollutant missing the pages use, real-time and daily
    (``standards/tables/aqi_completeness.csv``; docs/cnemc-release-check.md)."""
    code = "zh" if language == ZH else "en"
    return "; ".join(
        completeness_name(completeness_default(report), report, code)
        for report in ("hourly", "daily")
    )


def render(request: Request, template: str, page: str, **context: Any) -> HTMLResponse:
    """A page in the request's language; ``?lang=`` also sets the language cookie."""
    query_lang = request.query_params.get("lang")
    language = choose_language(query_lang, request.cookies.get("lang"))
    other = EN if language == ZH else ZH
    params = dict(request.query_params)
    params["lang"] = other
    hj633 = context.pop("hj633", "HJ633-2012")
    shared = {
        "lang": language,
        "t": lambda key: translate(key, language),
        "page": page,
        "switch_url": query_url(request.url.path, params),
        "i18n_json": Markup(_script_json(bundle(language))),
        "categories": categories(hj633),
        "categories_json": Markup(_script_json(categories(hj633))),
        "url": query_url,
        "completeness_note": completeness_note(language),
    }
    body = environment().get_template(template).render(**shared, **context)
    response = HTMLResponse(body, status_code=context.get("status_code", 200))
    if query_lang in (ZH, EN):
        response.set_cookie("lang", query_lang, max_age=LANG_COOKIE_AGE, samesite="lax")
    return response


def _script_json(value: Any) -> str:
    """JSON safe inside a ``<script type="application/json">`` element."""
    return dumps(value).decode().replace("<", "\\u003c").replace(">", "\\u003e")


def json_script(value: Any) -> Markup:
    return Markup(_script_json(value))


__all__ = ["environment", "json", "json_script", "query_url", "render", "text_colour"]
