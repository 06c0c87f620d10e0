"""The ledger pages' Jinja2 environment, words (Chinese first, English), headers and error pages.

Chinese names of the ledger's codes (statuses, steps, roles, colours, …) come from
:mod:`lantian.plan.vocabulary`; their English names and the pages' own words are in ``i18n.toml``.
Every response carries ``Cache-Control: no-store`` and a Content-Security-Policy that allows
nothing but this server's styles, images and fonts (the pages have no scripts at all).
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChoiceLoader, Environment, PackageLoader, PrefixLoader

from lantian.plan.errors import (
    ImportRejectedError,
    LedgerError,
    LedgerPermissionError,
    LoginThrottledError,
    NotAuthenticatedError,
    NotFoundError,
)
from lantian.plan.vocabulary import COLUMNS, VOCABULARIES, code, name_zh
from lantian.plan.xlsx import RAG_FILLS
from lantian.web.assets import asset_url
from lantian.web.i18n import EN, ZH, choose_language
from lantian.web.ledger.session import form_csrf, new_login_csrf, set_login_csrf
from lantian.web.pages.render import pages_loader, template_environment

LANG_COOKIE_AGE = 365 * 24 * 3600
NOT_REPORTED = "未报送"
"""The ledger's status of a task without a report (:func:`lantian.plan.views.ledger_row`)."""
ERROR_STATUS: tuple[tuple[type[LedgerError], int], ...] = (
    (LoginThrottledError, 429),
    (NotAuthenticatedError, 401),
    (LedgerPermissionError, 403),
    (NotFoundError, 404),
    (LedgerError, 400),
)
"""The ledger's error types and their HTTP status, the most specific first."""


@cache
def _words() -> dict[str, Any]:
    text = resources.files("lantian.web.ledger").joinpath("i18n.toml").read_text("utf-8")
    return tomllib.loads(text)


def messages() -> dict[str, dict[str, str]]:
    """The pages' words: key → {``zh-CN``, ``en``}."""
    return {k: v for k, v in _words().items() if k != "terms_en"}


def terms_en() -> dict[str, dict[str, str]]:
    """English names of the ledger's codes, per vocabulary of :mod:`lantian.plan.vocabulary`."""
    return _words()["terms_en"]


def translate(key: str, language: str) -> str:
    """The text of ``key``; a column header's Chinese is the ledger's (``COLUMNS``)."""
    entry = messages().get(key)
    if entry is None:
        raise KeyError(f"no i18n key {key!r} in lantian/web/ledger/i18n.toml")
    if language == ZH and "zh-CN" not in entry:
        return COLUMNS[key.removeprefix("col_")]
    return entry[language]


def term(value: str | None, vocabulary: str, language: str = ZH) -> str:
    """A ledger code (or its Chinese name, as the views give it) in the page's language."""
    if value in (None, ""):
        return ""
    if value == NOT_REPORTED:
        return translate("not_reported", language)
    try:
        key = code(vocabulary, value)
    except ValueError:
        return value
    return name_zh(vocabulary, key) if language == ZH else terms_en()[vocabulary][key]


def quantity(value: float | None) -> str:
    """A quantity without needless decimals (320, 85.5); empty for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.10g}"


def percent(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}"


@cache
def stylesheet_file() -> tuple[bytes, str]:
    """The pages' own stylesheet, with the ledger's red/amber/green (the export's fills), and
    its content hash."""
    body = resources.files("lantian.web.ledger").joinpath("static", "ledger.css").read_bytes()
    body += "".join(
        f".rag-{colour} {{ background: #{fill}; color: #000; }}\n"
        for colour, fill in RAG_FILLS.items()
    ).encode()
    return body, hashlib.sha256(body).hexdigest()[:12]


def stylesheet_url() -> str:
    return f"/ledger/static/ledger.css?v={stylesheet_file()[1]}"


@cache
def environment() -> Environment:
    """The ledger's templates, and the public pages' as ``pages/…`` (for their shared ``<head>``)."""
    ledger = PackageLoader("lantian.web.ledger", "templates")
    env = template_environment(ChoiceLoader([ledger, PrefixLoader({"pages": pages_loader()})]))
    env.filters.update(quantity=quantity, percent=percent)
    env.globals.update(
        asset_url=asset_url,
        stylesheet_url=stylesheet_url,
        VOCABULARIES=VOCABULARIES,
        unit_url=unit_url,
    )
    return env


def unit_url(name: str) -> str:
    """The page of unit ``name``."""
    return f"/ledger/units/{quote(name, safe='')}"


def query_url(path: str, params: dict[str, Any]) -> str:
    """``path?params`` without the empty ones."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def language_of(request: Request) -> str:
    return choose_language(request.query_params.get("lang"), request.cookies.get("lang"))


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """A ledger page in the request's language (``?lang=`` also sets the language cookie)."""
    language = language_of(request)
    params = dict(request.query_params)
    params["lang"] = EN if language == ZH else ZH
    shared = {
        "lang": language,
        "t": lambda key: translate(key, language),
        "term": lambda value, vocabulary: term(value, vocabulary, language),
        "switch_url": query_url(request.url.path, params),
        "csrf_token": form_csrf(request),
        "url": query_url,
        "actor": None,
        "flash": _flash(request.query_params.get("done"), language),
    }
    body = environment().get_template(template).render(**{**shared, **context})
    response = HTMLResponse(body, status_code=status_code)
    query_lang = request.query_params.get("lang")
    if query_lang in (ZH, EN):
        response.set_cookie("lang", query_lang, max_age=LANG_COOKIE_AGE, samesite="lax")
    return response


def _flash(done: str | None, language: str) -> str | None:
    """The message confirming a completed form post (``?done=filed`` …), if known."""
    entry = messages().get(f"done_{done}") if done else None
    return entry[language] if entry else None


def login_page(
    request: Request, message: str | None = None, status_code: int = 200, name: str = ""
) -> HTMLResponse:
    """The login form with a fresh CSRF token (set as its cookie too)."""
    token = new_login_csrf()
    following = request.query_params.get("next") or (
        request.url.path if request.method == "GET" and request.url.path != "/ledger/login" else ""
    )
    response = render(
        request,
        "login.html",
        status_code,
        login_csrf=token,
        message=message,
        name=name,
        next=safe_next(following),
    )
    set_login_csrf(response, request, token)
    return response


def safe_next(path: str | None) -> str:
    """Where to go after login: a ledger path on this server, else the ledger."""
    if path and path.startswith("/ledger") and not path.startswith("//") and "\\" not in path:
        return path
    return ""


def status_of(error: LedgerError) -> int:
    return next(status for kind, status in ERROR_STATUS if isinstance(error, kind))


def error_page(request: Request, error: LedgerError) -> HTMLResponse:
    """The Chinese (or English) message of a ledger error, with its HTTP status."""
    status = status_of(error)
    language = language_of(request)
    message = error.zh if language == ZH else error.en
    if isinstance(error, NotAuthenticatedError):
        response = login_page(request, message, status)
        if status == 429:
            response.headers["Retry-After"] = str(getattr(error, "retry_after", 900))
        return response
    details = (
        [f"{e.sheet}!{e.row} {e.column}：{e.zh if language == ZH else e.en}" for e in error.errors]
        if isinstance(error, ImportRejectedError)
        else []
    )
    return render(
        request, "error.html", status, message=message, field=error.field, details=details
    )
