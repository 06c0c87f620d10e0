"""The JSON API (``/api/v1``) and its OpenAPI document (``/api/v1/openapi.json``)."""

from lantian.web.api.routes import router

__all__ = ["router"]
