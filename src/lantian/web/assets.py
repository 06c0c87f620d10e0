"""The pages' static files (ECharts, CSS, JavaScript), served by Lantian itself.

Each file is read once, gzip-compressed once in memory and served with a content hash: pages link
``/static/NAME?v=HASH``, which browsers may cache for a year; a request without the current hash
is revalidated with its ETag. Nothing is loaded from outside the server.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from functools import cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

ECHARTS_VERSION = "6.1.0"
YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes
    digest: str
    media_type: str


@cache
def asset(name: str) -> Asset | None:
    """The static file ``name`` (a path under ``lantian/web/static``), or None."""
    if not name or ".." in name.split("/") or name.startswith("/"):
        return None
    path = resources.files("lantian.web").joinpath("static", *name.split("/"))
    if not path.is_file():
        return None
    body = path.read_bytes()
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if media_type.startswith("text/") or media_type.endswith("javascript"):
        media_type += "; charset=utf-8"
    digest = hashlib.sha256(body).hexdigest()[:12]
    return Asset(body, gzip.compress(body, compresslevel=9, mtime=0), digest, media_type)


def asset_url(name: str) -> str:
    """The versioned URL of a static file, for templates."""
    found = asset(name)
    if found is None:
        raise KeyError(f"no static file {name!r} in lantian/web/static")
    return f"/static/{name}?v={found.digest}"


def serve_asset(request: Request, name: str) -> Response:
    """The static file's response: gzip when accepted, immutable when asked by its hash."""
    found = asset(name)
    if found is None:
        return Response("not found", status_code=404, media_type="text/plain; charset=utf-8")
    etag = f'"{found.digest}"'
    immutable = request.query_params.get("v") == found.digest
    headers = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={YEAR}, immutable" if immutable else "no-cache",
        "Vary": "Accept-Encoding",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(found.gzipped, media_type=found.media_type, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)
