"""The HTTP service (``sps-rules serve``): FastAPI on uvicorn, installed with ``pip install 'sps-rules[server]'``.

``create_app(Settings(...))`` builds the ASGI app; the decision log is in ``store``.
"""

from __future__ import annotations

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
