"""For policy staff: validate a draft rule file, and compare one citizen across municipalities."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from starlette.responses import Response

from ..problems import documented
from ..schemas import CompareIn, Comparison, ValidateIn, ValidateOut, body
from .common import ServiceDep, in_worker, json_response, parsed_body

router = APIRouter(prefix="/v1", tags=["authoring"])


@router.post("/validate", response_model=None, openapi_extra=body("ValidateIn", "A draft rule file."),
             responses={200: {"model": ValidateOut}, **documented(400, 401, 404, 408, 413, 415, 422, 503)})
async def validate(request: Request, service: ServiceDep) -> Response:
    """Every problem of a draft rule file, with line and column, as `sps-rules validate` finds them. Nothing is written.

    With `"checks": "quick"` the run over generated citizens is left out: the quick pass answers in
    tens of milliseconds with the same messages, for markers while typing."""
    draft = await parsed_body(request, service, ValidateIn)
    return json_response(await in_worker(service, service.validate, draft.ruleset, draft.filename, draft.text,
                                         draft.checks))


@router.post("/compare", response_model=None, openapi_extra=body("CompareIn", "Facts and, optionally, dates."),
             responses={200: {"model": Comparison}, **documented(400, 401, 404, 408, 413, 415, 422, 503)})
async def compare(request: Request, service: ServiceDep) -> Response:
    """One citizen under every municipality's rule set, on the facts' own date or each date in `on`."""
    asked = await parsed_body(request, service, CompareIn)
    days: list[date] = list(asked.on)
    return json_response({"columns": await in_worker(service, service.compare, asked.facts, days)})
