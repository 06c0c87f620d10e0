"""The ledger's router with all its routes: pages, form posts, downloads."""

from lantian.web.ledger import actions, downloads, pages, sites  # noqa: F401 - they register routes
from lantian.web.ledger.routing import router

__all__ = ["router"]
