"""The ledger's router with all its routes: pages, form posts, downloads."""

from lantian.web.ledger import (  # noqa: F401 - they register routes
    actions,
    cases,
    downloads,
    pages,
    roadmap,
    sites,
)
from lantian.web.ledger.routing import router

__all__ = ["router"]
