"""The public pages (Jinja2 templates in ``templates/``), Chinese first with an English switch."""

from lantian.web.pages.routes import router

__all__ = ["router"]
