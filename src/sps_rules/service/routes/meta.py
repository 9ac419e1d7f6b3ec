"""Health and JSON Schemas."""

from __future__ import annotations

from functools import cache
from typing import Any

import orjson

from fastapi import APIRouter
from starlette.responses import Response

from ...model.facts import CitizenFacts
from ...model.schema import rule_file_json_schema
from ...version import __version__
from ..schemas import Health
from .common import ServiceDep, in_worker, json_response

router = APIRouter()


@cache
def _schema(what: str) -> bytes:
    return orjson.dumps(CitizenFacts.model_json_schema() if what == "facts" else rule_file_json_schema())


@router.get("/healthz", tags=["meta"], response_model=None, responses={200: {"model": Health}})
async def healthz(service: ServiceDep) -> Response:
    """Whether the service is up, and how many rule-set versions it serves."""
    count = len(await in_worker(service, service.rulesets))
    return json_response({"status": "ok", "engine_version": __version__, "rulesets": count,
                          "decision_log": service.store is not None})


_schema_response: dict[int | str, dict[str, Any]] = {200: {"content": {"application/json": {"schema": {"type": "object"}}},
                                                           "description": "A JSON Schema (draft 2020-12)."}}


@router.get("/v1/schemas/facts", tags=["schemas"], response_model=None, responses=_schema_response)
async def facts_schema() -> Response:
    """The JSON Schema of citizen facts (the body of evaluate, why-not and compare)."""
    return Response(_schema("facts"), media_type="application/json")


@router.get("/v1/schemas/ruleset", tags=["schemas"], response_model=None, responses=_schema_response)
async def ruleset_schema() -> Response:
    """The JSON Schema of a rule file."""
    return Response(_schema("ruleset"), media_type="application/json")
