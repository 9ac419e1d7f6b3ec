"""The rule workbench: a browser page for policy staff, served at ``/workbench`` beside the ``/v1`` API.

The page is a prebuilt bundle (``static/``, built from ``frontend/`` with esbuild and shipped in the
wheel), so a user needs no Node. It talks only to the service's ``/v1`` endpoints; its own live in
``sps_rules.service.routes.workbench``.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"

__all__ = ["STATIC", "mount"]


def mount(app: FastAPI, rules_dir: Path | str) -> None:
    """Serve the workbench page at ``/workbench`` and let its endpoints edit drafts in ``rules_dir``."""
    app.state.workbench_rules = Path(rules_dir).resolve()
    app.mount("/workbench", StaticFiles(directory=STATIC, html=True), name="workbench")
