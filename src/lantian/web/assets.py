"""The pages' static files (ECharts, CSS, JavaScript, the web font), served by Lantian itself.

Each file is read once, gzip-compressed once in memory (fonts are WOFF2, compressed already) and
served with a content hash: pages link ``/static/NAME?v=HASH``, which browsers may cache for a
year; a request without the current hash is revalidated with its ETag. A stylesheet's relative
``url("...")`` of another static file (the fonts of ``lantian.css``) gets that file's hash when
served, so it is cached the same way. Nothing is loaded from outside the server.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import posixpath
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from starlette.requests import Request
from starlette.responses import Response

ECHARTS_VERSION = "6.1.0"
YEAR = 365 * 24 * 3600
# Media types that mimetypes may not know, and those not worth compressing again.
MEDIA_TYPES = {".woff2": "font/woff2"}
COMPRESSED = {"font/woff2"}
CSS_URL = re.compile(r'url\("([^":?#]+)"\)')


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
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
    media_type = media_type_of(name)
    if media_type == "text/css":
        body = versioned_urls(body.decode("utf-8"), posixpath.dirname(name)).encode("utf-8")
    if media_type.startswith("text/") or media_type.endswith("javascript"):
        media_type += "; charset=utf-8"
    digest = hashlib.sha256(body).hexdigest()[:12]
    gzipped = None if media_type in COMPRESSED else gzip.compress(body, compresslevel=9, mtime=0)
    return Asset(body, gzipped, digest, media_type)


def media_type_of(name: str) -> str:
    suffix = posixpath.splitext(name)[1].lower()
    guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return MEDIA_TYPES.get(suffix, guessed)


def versioned_urls(css: str, directory: str) -> str:
    """``css`` with each ``url("relative/path")`` naming a static file given that file's hash."""

    def versioned(match: re.Match[str]) -> str:
        reference = match.group(1)
        found = asset(posixpath.normpath(posixpath.join(directory, reference)))
        return match.group(0) if found is None else f'url("{reference}?v={found.digest}")'

    return CSS_URL.sub(versioned, css)


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
    if found.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(found.gzipped, media_type=found.media_type, headers=headers)
    return Response(found.body, media_type=found.media_type, headers=headers)
