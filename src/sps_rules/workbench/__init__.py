"""The rule workbench: a browser page for policy staff, served at ``/workbench`` beside the ``/v1`` API.

The page is a prebuilt bundle (``static/``, built from ``frontend/`` with esbuild and shipped in the
wheel), so a user needs no Node. It talks only to the service's ``/v1`` endpoints; its own live in
``sps_rules.service.routes.workbench`` and edit drafts in the app's rules folder
(``Settings.rules_dir``).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"

__all__ = ["STATIC", "mount"]


def mount(app: FastAPI) -> None:
    """Serve the workbench page at ``/workbench`` (and ``/workbench/``) of an app from ``create_app``."""
    app.mount("/workbench", StaticFiles(directory=STATIC, html=True), name="workbench")
