"""蓝天 Lantian's web application: public pages and the JSON API over the measurement store.

``create_app()`` builds the FastAPI app; ``lantian serve`` runs it under uvicorn. See docs/web.md.
"""

from lantian.web.app import create_app

__all__ = ["create_app"]
