"""The guards every request passes, as ASGI middleware around the whole app (outside even the
handler of unexpected errors, so that a 500 carries them too) — one place for what every page,
form, upload, API route and static file needs (issue #11, items 3, 14 and 16):

* :class:`TrustedProxies`: the client's address and scheme are the socket's, unless the peer is a
  configured reverse proxy (``LANTIAN_TRUSTED_PROXIES``); only then are ``X-Forwarded-For`` (its
  right-most address that is not itself a trusted proxy) and ``X-Forwarded-Proto`` believed. The
  rate limits count what this gives, so a client cannot choose its own address.
* :class:`BodyLimit`: a request carrying both ``Content-Length`` and ``Transfer-Encoding`` is
  refused (400: the two framings disagree, the classic request-smuggling shape); a body is
  counted as it is *received* and the request is answered 413 as soon as it passes the limit of its
  path (:data:`BODY_LIMITS`), whatever ``Content-Length`` claimed, so nothing larger is spooled.
* :class:`SecurityHeaders`: a Content-Security-Policy (nothing from outside the server, no
  framing), ``X-Content-Type-Options: nosniff``, ``X-Frame-Options``, ``Referrer-Policy`` on every
  response — pages, the API, static files, 404 and 500 — and HSTS on HTTPS; also
  ``X-Lantian-Worker`` (:data:`WORKER`).

:func:`guarded` wraps an ASGI app in all three; :class:`lantian.web.app.LantianApp` does so.

Before any of them, at the connection: :class:`TimedRequestHead`, the HTTP/1.1 protocol that
``lantian serve`` runs uvicorn with, closes a connection whose request line and headers are not
complete :data:`REQUEST_HEAD_SECONDS` after it opened or after its last answer (slowloris: uvicorn
itself waits for a head without end, so idle or dribbling connections could take every file
descriptor of a server that faces its clients without a proxy).
"""

from __future__ import annotations

import asyncio
import ipaddress
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from lantian.settings import settings

KIB = 1024
MIB = 1024 * KIB
DEFAULT_BODY_LIMIT = 64 * KIB
"""A form without a file: the most any route takes unless :data:`BODY_LIMITS` says otherwise."""
BODY_LIMITS: dict[str, int] = {
    "/ledger/reports": 21 * MIB,  # a report with one evidence file (20 MB) and its fields
    "/ledger/import": 11 * MIB,  # a filled template (10 MB)
    "/ledger/inventory/activity": 11 * MIB,  # activity data (a register's workbook: 10 MB)
    "/ledger/roadmap/apportionment": 3 * MIB,  # an apportionment workbook (2 MB)
    "/api/v1/cases": 21 * MIB,  # a case's evidence file (20 MB) and its fields
    "/ledger/cases": 21 * MIB,  # a case's answer with one evidence file (20 MB)
}
"""The body limit [bytes] of the paths that take uploads, by longest prefix."""

PUBLIC_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""The public pages' policy: everything from this server only (ECharts and the colour chips set
inline styles, so styles may be inline; scripts may not)."""
LEDGER_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
"""The ledger's pages run no script at all (but the map and site pages: ``LEDGER_CHART_PATHS``);
their font, Lantian Sans, comes from this server's ``/static/fonts`` like the public pages'."""
HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
WORKER = secrets.token_hex(4)
"""``X-Lantian-Worker``: a random name of this process, drawn at start, on every response — which of
``lantian serve --workers N`` answered, for operators and tests; it tells nothing about the
machine (not the process id)."""


LEDGER_CHART_PATHS = ("/ledger/map", "/ledger/sites/", "/ledger/roadmap")
"""The ledger pages that draw charts with this server's ECharts (``static/sites.js``): they get
the public pages' policy (this server's scripts only, no inline script), the other ledger pages
none."""


def content_security_policy(path: str) -> str:
    if path == LEDGER_CHART_PATHS[0] or path.startswith(LEDGER_CHART_PATHS[1:]):
        return PUBLIC_CSP
    return LEDGER_CSP if path == "/ledger" or path.startswith("/ledger/") else PUBLIC_CSP


def _header(scope: Scope, name: bytes) -> list[bytes]:
    return [value for key, value in scope.get("headers", []) if key.lower() == name]


class SecurityHeaders:
    """Adds :data:`HEADERS`, the path's CSP (and on HTTPS, HSTS) to every response that does not
    set them itself; the ledger's pages also get ``Cache-Control: no-store``."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        extra = dict(HEADERS)
        extra["x-lantian-worker"] = WORKER
        extra["content-security-policy"] = content_security_policy(path)
        if path.startswith("/ledger"):
            extra["cache-control"] = "no-store"
        if scope.get("scheme") == "https":
            extra["strict-transport-security"] = HSTS

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {key.lower() for key, _ in headers}
                headers += [
                    (name.encode(), value.encode())
                    for name, value in extra.items()
                    if name.encode() not in present
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_secured)


def body_limit(path: str) -> int:
    """The most bytes a request to ``path`` may carry (:data:`BODY_LIMITS`, longest prefix)."""
    matches = [prefix for prefix in BODY_LIMITS if path.startswith(prefix)]
    return BODY_LIMITS[max(matches, key=len)] if matches else DEFAULT_BODY_LIMIT


async def _refuse(send: Send, status: int, zh: str, en: str) -> None:
    body = f"{zh}\n{en}\n".encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class BodyLimit:
    """Refuses ambiguous framing and counts every body as it arrives (see the module)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _header(scope, b"content-length") and _header(scope, b"transfer-encoding"):
            await _refuse(
                send,
                400,
                "请求同时带有 Content-Length 与 Transfer-Encoding，不予受理",
                "a request may not carry both Content-Length and Transfer-Encoding",
            )
            return
        limit = body_limit(scope.get("path", ""))
        state = {"received": 0, "over": False, "started": False}

        async def counted() -> Message:
            if state["over"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["over"] = True
                    return {"type": "http.disconnect"}  # the app stops reading here
            return message

        async def send_unless_over(message: Message) -> None:
            if state["over"]:
                return  # the 413 below is the answer
            state["started"] = True
            await send(message)

        try:
            await self.app(scope, counted, send_unless_over)
        except Exception:
            if not state["over"]:
                raise
        if state["over"] and not state["started"]:
            megabytes = max(1, limit // MIB)
            await _refuse(
                send,
                413,
                f"请求内容过大：此处每次不超过约 {megabytes} MB",
                f"the request body is too large: at most about {megabytes} MB here",
            )


@dataclass(frozen=True)
class ProxyList:
    """The networks of trusted reverse proxies."""

    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]

    @classmethod
    def parse(cls, text: str) -> ProxyList:
        """From ``LANTIAN_TRUSTED_PROXIES``: addresses or networks, comma-separated."""
        items = (item.strip() for item in text.split(","))
        return cls(tuple(ipaddress.ip_network(item, strict=False) for item in items if item))

    def trusts(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client(self, peer: str, forwarded_for: Iterable[bytes]) -> str:
        """The client's address: the right-most ``X-Forwarded-For`` hop not a trusted proxy."""
        hops = [h.strip() for v in forwarded_for for h in v.decode("latin-1").split(",")]
        address = peer
        for hop in reversed([h for h in hops if h]):
            if not self.trusts(address):
                break
            try:
                address = str(ipaddress.ip_address(hop))
            except ValueError:
                break  # a malformed hop: keep the last trusted-derived address
        return address


class TrustedProxies:
    """Sets the request's client address and scheme from a trusted proxy's headers only."""

    def __init__(self, app: ASGIApp, proxies: ProxyList | None = None):
        self.app = app
        self.proxies = proxies or ProxyList.parse(settings().trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] in ("http", "websocket") and client and self.proxies.trusts(client[0]):
            address = self.proxies.client(client[0], _header(scope, b"x-forwarded-for"))
            scope = {**scope, "client": (address, 0)}
            proto = _header(scope, b"x-forwarded-proto")
            if proto and proto[-1].decode("latin-1").strip() in ("http", "https"):
                scheme = proto[-1].decode("latin-1").strip()
                if scope["type"] == "websocket":
                    scheme = {"http": "ws", "https": "wss"}[scheme]
                scope["scheme"] = scheme
        await self.app(scope, receive, send)


def guarded(app: ASGIApp) -> ASGIApp:
    """``app`` behind the three guards (proxies first: the others see the real client)."""
    return TrustedProxies(BodyLimit(SecurityHeaders(app)))


REQUEST_HEAD_SECONDS = 20.0
"""How long a client may take to send a request's line and headers (from the connection's
opening, or from the last answer on a kept-alive connection)."""


class TimedRequestHead(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline on each request's head (see the module)."""

    head_seconds = REQUEST_HEAD_SECONDS
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting and self._deadline is None:
            self._arm()  # the first bytes of the next request on a kept-alive connection
        before = self.cycle
        super().data_received(data)
        if self.cycle is not before:  # a head came whole: its request runs
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.head_seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        waiting = self.cycle is None or self.cycle.response_complete
        if waiting and not self.transport.is_closing():
            self.transport.close()
