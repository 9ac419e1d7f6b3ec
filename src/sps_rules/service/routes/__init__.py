"""The API's routers, one module per resource; ``create_app`` includes each of ``ROUTERS``."""

from __future__ import annotations

from fastapi import APIRouter

from . import authoring, meta, records, rulesets, workbench

ROUTERS: tuple[APIRouter, ...] = (meta.router, rulesets.router, authoring.router, records.router, workbench.router)

__all__ = ["ROUTERS"]
