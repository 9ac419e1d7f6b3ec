"""Decision records: replay a record, and read or replay one from the decision log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from ..problems import documented
from ..schemas import ReplayOut, StoredRecord, body
from .common import DECISION_HEADERS, ServiceDep, in_worker, json_response, raw_body, ruleset_headers

router = APIRouter(prefix="/v1", tags=["records"])

RecordId = Annotated[int, Path(ge=1, le=2**62, description="The record's place in the decision log (1, 2, ...).")]


@router.post("/replay", response_model=None, openapi_extra=body("DecisionRecord", "A decision record."),
             responses={200: {"model": ReplayOut, "headers": DECISION_HEADERS}, **documented(400, 401, 408, 413, 415, 422, 503)})
async def replay(request: Request, service: ServiceDep) -> Response:
    """Re-evaluate a record with exactly the rule-set version it names: reproduced, or what differs field by field."""
    raw = await raw_body(request, service)
    result, ruleset = await in_worker(service, service.replay, raw)
    return json_response(result, headers=ruleset_headers(ruleset))


@router.get("/records/{record_id}", response_model=None,
            responses={200: {"model": StoredRecord}, **documented(401, 404, 422, 503)})
async def get_record(record_id: RecordId, service: ServiceDep) -> Response:
    """One decision record from the decision log."""
    record = await in_worker(service, service.record, record_id)
    return json_response({"id": record_id, "record": record.model_dump(mode="json")})


@router.post("/records/{record_id}/replay", response_model=None,
             responses={200: {"model": ReplayOut, "headers": DECISION_HEADERS}, **documented(401, 404, 422, 503)})
async def replay_record(record_id: RecordId, service: ServiceDep) -> Response:
    """Replay one record from the decision log."""
    result, ruleset = await in_worker(service, service.replay_stored, record_id)
    return json_response(result, headers=ruleset_headers(ruleset))
