"""For policy staff: validate a draft rule file, and compare one citizen across municipalities."""

from __future__ import annotations

from datetime import date
from typing import TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from ..body import dumps
from ..handlers import Service, without_values
from ..problems import ApiProblem, documented
from ..schemas import CompareIn, Comparison, ValidateIn, ValidateOut, body
from .common import ServiceDep, in_worker, json_response, object_body

router = APIRouter(prefix="/v1", tags=["authoring"])
In = TypeVar("In", bound=BaseModel)


def _invalid(exc: ValidationError, what: str) -> ApiProblem:
    problem = without_values(exc, source=what)
    return ApiProblem(422, "invalid-input", str(problem), errors=[dict(e) for e in problem.errors])


async def _parsed(request: Request, service: Service, model: type[In]) -> In:
    """The request body as ``model``: strict JSON types, a 422 naming the field (never its value) otherwise."""
    data = await object_body(request, service, "the request")
    try:
        return model.model_validate_json(dumps(data), strict=True)
    except ValidationError as exc:
        raise _invalid(exc, "request") from None


@router.post("/validate", response_model=None, openapi_extra=body("ValidateIn", "A draft rule file."),
             responses={200: {"model": ValidateOut}, **documented(400, 401, 404, 408, 413, 415, 422, 503)})
async def validate(request: Request, service: ServiceDep) -> Response:
    """Every problem of a draft rule file, with line and column, as `sps-rules validate` finds them. Nothing is written.

    With `"checks": "quick"` the run over generated citizens is left out: the quick pass answers in
    tens of milliseconds with the same messages, for markers while typing."""
    draft = await _parsed(request, service, ValidateIn)
    return json_response(await in_worker(service, service.validate, draft.ruleset, draft.filename, draft.text,
                                         draft.checks))


@router.post("/compare", response_model=None, openapi_extra=body("CompareIn", "Facts and, optionally, dates."),
             responses={200: {"model": Comparison}, **documented(400, 401, 404, 408, 413, 415, 422, 503)})
async def compare(request: Request, service: ServiceDep) -> Response:
    """One citizen under every municipality's rule set, on the facts' own date or each date in `on`."""
    asked = await _parsed(request, service, CompareIn)
    days: list[date] = list(asked.on)
    return json_response({"columns": await in_worker(service, service.compare, asked.facts, days)})
