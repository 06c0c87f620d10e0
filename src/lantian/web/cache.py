"""A response cache in front of the app: a GET's response is computed once per store manifest
version, query and language, and served from memory after that (with an ETag, so browsers
revalidate with a 304). Concurrent requests for an entry being computed wait for it and are
answered from it: each question is computed once per version in each worker process.

The key is normalised (issue #11 item 13): only the query parameters the route declares (and
``lang``) are kept, in a fixed order, a parameter that takes one value only once (its last, the one
the route reads), ``lang`` — query or cookie — only as a language the pages know, and the request is
passed on with exactly that query string — so junk parameters, repeated parameters and junk
languages neither make new entries nor reach the page — and an entry's size counts its key and
headers as well as its body.

The services below already memoise their results per manifest version (:mod:`.snapshot`); this
layer also skips routing, validation and JSON encoding for repeated questions, which is what makes
the JSON endpoints answer in a few milliseconds under load. An import changes the manifest, so the
next request sees the new data.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import OrderedDict
from collections.abc import Iterable
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, urlencode

import anyio.to_thread
from fastapi.dependencies.utils import field_annotation_is_sequence
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lantian.web.i18n import LANGUAGES
from lantian.web.snapshot import Snapshot, SnapshotSource

CACHED_PREFIXES = ("/api/v1/", "/now", "/history", "/attainment")
LIVE_PREFIXES = (
    "/api/v1/devices",
    "/api/v1/warnings",
    "/api/v1/inventory",
    "/api/v1/cases",
    "/api/v1/roadmap",
)
"""Routes over live feeds (``lantian.feeds``), the alarm store and the inventory's versions: they
change without a new store version; and the ledger's routes (cases, roadmap), which answer per
user: one user's answer must never be served to another."""
MAX_ENTRY_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024
COMPUTING = 8
"""Answers of the in-memory routes (the data API, the pages) that a worker process computes at
once; the others wait their turn, first come first served (issue #13). Computed all at once (64
clients: 32 a worker), the answers share the interpreter's lock in 5 ms slices, so that each ends
late — the long ones latest — and the event loop waits for the lock between them, cache hits
with it. Eight in turn: enough that a thread's wake-up on a busy machine does not leave the core
idle (two or four gave fewer answers a second), few enough that the tail is the queue's. Measured
with bench/bench_web.py --varied (docs/web.md): 2, 4, 8, 16 and unbounded."""
ALWAYS_KNOWN = frozenset({"lang"})
"""Query parameters every page reads besides its route's own."""


def _declared(route) -> tuple[frozenset[str], frozenset[str]]:
    """The route's query parameters, and those of them that take several values (lists)."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return frozenset(), frozenset()
    found, several, stack = set(), set(), [dependant]
    while stack:
        current = stack.pop()
        found |= {param.alias for param in current.query_params}
        several |= {
            param.alias
            for param in current.query_params
            if field_annotation_is_sequence(param.field_info.annotation)
        }
        stack.extend(current.dependencies)
    return frozenset(found), frozenset(several)


class QueryParameters:
    """The query parameters of each cached route (from the routers' own routes), and
    :data:`ALWAYS_KNOWN`; and whether the route's answers are computed in turn
    (:data:`COMPUTING`)."""

    def __init__(self, routes: Iterable, in_turn: Iterable = ()):
        turns = {id(route) for route in in_turn}
        self.routes = []
        for route in routes:
            if "GET" in getattr(route, "methods", ()) and hasattr(route, "path_regex"):
                known, several = _declared(route)
                turn = id(route) in turns
                self.routes.append((route.path_regex, known | ALWAYS_KNOWN, several, turn))
        self._found: dict[str, tuple[frozenset[str], frozenset[str], bool] | None] = {}

    def route(self, path: str) -> tuple[frozenset[str], frozenset[str], bool] | None:
        """The parameters of the route of ``path``, those of them that take several values, and
        whether its answers are computed in turn; None for a path no route serves (remembered
        for the last 4,096 paths asked)."""
        if path not in self._found:
            found = next((k[1:] for k in self.routes if k[0].match(path)), None)
            if len(self._found) >= 4096:
                self._found.clear()
            self._found[path] = found
        return self._found[path]

    def known(self, path: str) -> tuple[frozenset[str], frozenset[str]] | None:
        """The parameters of the route of ``path`` and those of them that take several values;
        None for a path no route serves."""
        found = self.route(path)
        return None if found is None else found[:2]

    def in_turn(self, path: str) -> bool:
        """Whether the answers of the route of ``path`` are computed in turn."""
        found = self.route(path)
        return found is not None and found[2]

    def normalised(self, path: str, query: bytes) -> bytes:
        """``query`` with only the route's parameters, sorted by name, one value of each that
        takes one (the last, as the route reads it), ``lang`` only as a known language (unknown
        path: only that)."""
        known, several = self.known(path) or (ALWAYS_KNOWN, frozenset())
        pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
        single = {name: value for name, value in pairs if name not in several}
        kept = sorted(
            [(name, value) for name, value in pairs if name in several and name in known]
            + [(name, value) for name, value in single.items() if name in known]
        )
        kept = [(name, value) for name, value in kept if name != "lang" or value in LANGUAGES]
        return urlencode(kept).encode("latin-1")


class ResponseCache:
    """ASGI middleware caching successful GET responses of the data routes and pages."""

    def __init__(
        self, app: ASGIApp, source: SnapshotSource, routes: Iterable = (), in_turn: Iterable = ()
    ):
        self.app = app
        self.source = source
        self.parameters = QueryParameters(routes, in_turn)
        self._turns: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self.entries: OrderedDict[tuple, tuple[int, list[tuple[bytes, bytes]], bytes]] = (
            OrderedDict()
        )
        self.total = 0
        self.filling: dict[tuple, asyncio.Event] = {}
        """Keys being computed: a request for one waits for that answer instead of computing it
        again (the "now" page on a heavy-pollution day, asked by everyone at once)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        cacheable = (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and (path == "/" or path.startswith(CACHED_PREFIXES))
            and not path.startswith(LIVE_PREFIXES)
        )
        if not cacheable:
            await self.app(scope, receive, send)
            return
        snapshot = self.source.peek() or await anyio.to_thread.run_sync(self.source.current)
        with self.source.pinned(snapshot):  # the whole answer from this version
            await self._answer(scope, receive, send, snapshot)

    async def _answer(self, scope: Scope, receive: Receive, send: Send, snapshot: Snapshot) -> None:
        path = scope["path"]
        headers = dict(scope["headers"])
        query = self.parameters.normalised(path, scope.get("query_string", b""))
        scope = {**scope, "query_string": query}
        key = (snapshot.version, path, query, _lang_cookie(headers))
        etag = f'"v{snapshot.version}-{_digest(key)}"'.encode()
        if headers.get(b"if-none-match") == etag:
            await _send(send, 304, [(b"etag", etag)], b"")
            return
        filling = self.filling.get(key)
        if filling is not None:  # the same question is being answered: wait for that answer
            await filling.wait()
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
            await _send(send, entry[0], entry[1], entry[2])
            return
        if filling is not None:  # that answer was not kept (an error): compute it here
            await self._fill_in_turn(scope, receive, send, key, etag)
            return
        self.filling[key] = done = asyncio.Event()
        try:
            await self._fill_in_turn(scope, receive, send, key, etag)
        finally:
            del self.filling[key]
            done.set()

    async def _fill_in_turn(
        self, scope: Scope, receive: Receive, send: Send, key: tuple, etag: bytes
    ) -> None:
        """:meth:`_fill`, for the routes computed in turn once one of :data:`COMPUTING` places
        is free (first come, first served)."""
        if not self.parameters.in_turn(scope["path"]):
            await self._fill(scope, receive, send, key, etag)
            return
        async with self._turn():
            await self._fill(scope, receive, send, key, etag)

    def _turn(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()  # (tests run one app in several loops, one at a time)
        if self._turns is None or self._turns[0] is not loop:
            self._turns = (loop, asyncio.Semaphore(COMPUTING))
        return self._turns[1]

    async def _fill(self, scope: Scope, receive: Receive, send: Send, key: tuple, etag: bytes):
        start: dict[str, object] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        body = b"".join(chunks)
        status = int(start.get("status", 500))  # type: ignore[call-overload]
        headers = [
            (k, v)
            for k, v in start.get("headers", [])  # type: ignore[attr-defined]
            if k.lower() != b"content-length"
        ]
        if status == 200:
            headers += [(b"etag", etag), (b"cache-control", b"no-cache")]
            self._store(key, (status, headers, body))
        await _send(send, status, headers, body)

    def _store(self, key: tuple, entry: tuple[int, list[tuple[bytes, bytes]], bytes]) -> None:
        size = _size(key, entry)
        if size > MAX_ENTRY_BYTES:
            return
        if key[0] != self.source.version:  # answered from the version before an import
            return
        if self.entries and next(iter(self.entries))[0] != key[0]:  # an import happened
            for stale in [k for k in self.entries if k[0] != key[0]]:
                self.total -= _size(stale, self.entries.pop(stale))
        if key in self.entries:
            self.total -= _size(key, self.entries[key])
        self.entries[key] = entry
        self.total += size
        while self.total > MAX_TOTAL_BYTES:
            old_key, old = self.entries.popitem(last=False)
            self.total -= _size(old_key, old)


def _size(key: tuple, entry: tuple[int, list[tuple[bytes, bytes]], bytes]) -> int:
    """What an entry holds in memory [bytes]: body, headers and key."""
    headers = sum(len(k) + len(v) for k, v in entry[1])
    return len(entry[2]) + headers + len(repr(key))


def _lang_cookie(headers: dict[bytes, bytes]) -> str:
    raw = headers.get(b"cookie")
    if not raw:
        return ""
    cookie = SimpleCookie()
    try:
        cookie.load(raw.decode("latin-1"))
    except Exception:  # a malformed cookie header is ignored, as by the pages
        return ""
    morsel = cookie.get("lang")
    return morsel.value if morsel and morsel.value in LANGUAGES else ""


def _digest(key: tuple) -> str:
    return hashlib.blake2b(repr(key).encode(), digest_size=8).hexdigest()


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
