"""The HTTP service (``sps-rules serve``): FastAPI on uvicorn, installed with ``pip install 'sps-rules[server]'``.

``create_app(Settings(...))`` builds the ASGI app; the decision log is in ``store`` and ``logbook``.
``create_app`` is imported on first use, so the decision log and its commands (``sps-rules log``)
work without the extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .settings import Settings

if TYPE_CHECKING:
    from .app import create_app

__all__ = ["Settings", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        try:
            from .app import create_app
        except ImportError as exc:
            raise ImportError(f"{exc}; the HTTP service needs its extra: pip install 'sps-rules[server]'") from exc
        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
