"""A response cache in front of the app: a GET's response is computed once per store manifest
version, query and language, and served from memory after that (with an ETag, so browsers
revalidate with a 304).

The services below already memoise their results per manifest version (:mod:`.snapshot`); this
layer also skips routing, validation and JSON encoding for repeated questions, which is what makes
the JSON endpoints answer in a few milliseconds under load. An import changes the manifest, so the
next request sees the new data.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from http.cookies import SimpleCookie

import anyio.to_thread
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lantian.web.snapshot import SnapshotSource

CACHED_PREFIXES = ("/api/v1/", "/now", "/history", "/attainment")
MAX_ENTRY_BYTES = 8 * 1024 * 1024
MAX_TOTAL_BYTES = 256 * 1024 * 1024


class ResponseCache:
    """ASGI middleware caching successful GET responses of the data routes and pages."""

    def __init__(self, app: ASGIApp, source: SnapshotSource):
        self.app = app
        self.source = source
        self.entries: OrderedDict[tuple, tuple[int, list[tuple[bytes, bytes]], bytes]] = (
            OrderedDict()
        )
        self.total = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        cacheable = (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and (path == "/" or path.startswith(CACHED_PREFIXES))
        )
        if not cacheable:
            await self.app(scope, receive, send)
            return
        snapshot = self.source.peek() or await anyio.to_thread.run_sync(self.source.current)
        headers = dict(scope["headers"])
        key = (snapshot.version, path, scope["query_string"], _lang_cookie(headers))
        etag = f'"v{snapshot.version}-{_digest(key)}"'.encode()
        if headers.get(b"if-none-match") == etag:
            await _send(send, 304, [(b"etag", etag)], b"")
            return
        entry = self.entries.get(key)
        if entry is not None:
            self.entries.move_to_end(key)
            await _send(send, entry[0], entry[1], entry[2])
            return
        await self._fill(scope, receive, send, key, etag)

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
        size = len(entry[2])
        if size > MAX_ENTRY_BYTES:
            return
        if self.entries and next(iter(self.entries))[0] != key[0]:  # an import happened
            for stale in [k for k in self.entries if k[0] != key[0]]:
                self.total -= len(self.entries.pop(stale)[2])
        self.entries[key] = entry
        self.total += size
        while self.total > MAX_TOTAL_BYTES:
            _, old = self.entries.popitem(last=False)
            self.total -= len(old[2])


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
    return morsel.value if morsel else ""


def _digest(key: tuple) -> str:
    return hashlib.blake2b(repr(key).encode(), digest_size=8).hexdigest()


async def _send(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
