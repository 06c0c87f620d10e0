"""``/api/v1/docs``: the API's interactive documentation (Swagger UI), served from the package.

FastAPI's own ``/docs`` loads Swagger UI from a CDN, which an offline intranet cannot reach; this
page links the vendored ``swagger-ui-dist`` files (``static/swagger-ui/PROVENANCE.md``) by their
versioned URLs and starts them with a script file (no inline script).
"""

from __future__ import annotations

from fastapi.responses import HTMLResponse

from lantian.web.assets import asset_url

OPENAPI_URL = "/api/v1/openapi.json"


def api_docs() -> HTMLResponse:
    """The Swagger UI page over :data:`OPENAPI_URL`."""
    css = asset_url("swagger-ui/swagger-ui.css")
    bundle = asset_url("swagger-ui/swagger-ui-bundle.js")
    start = asset_url("swagger-ui/lantian-api-docs.js")
    return HTMLResponse(
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>蓝天 Lantian API</title><link rel="stylesheet" href="{css}"></head>'
        f'<body><div id="swagger-ui" data-openapi="{OPENAPI_URL}"></div>'
        f'<script src="{bundle}"></script><script src="{start}"></script></body></html>'
    )
