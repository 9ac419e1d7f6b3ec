"""What every route shares: the service state, running work in a worker thread under the time
limit, reading bodies, and writing JSON responses and decision headers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Request
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from ...engine.evaluator import RuleSet
from ...model.decision import RuleSetRef
from ...version import __version__
from ..body import dumps, parse_json, read_body, read_object
from ..handlers import Service, without_values
from ..problems import ApiProblem

T = TypeVar("T")
In = TypeVar("In", bound=BaseModel)


async def get_service(request: Request) -> Service:
    """The app's service state (async, so FastAPI calls it on the loop rather than in a worker thread)."""
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


async def in_worker(service: Service, work: Callable[..., T], *args: Any) -> T:
    """Run blocking work off the event loop; answer 503 when it takes longer than the time limit."""
    limit = service.settings.time_limit
    with anyio.move_on_after(limit) as scope:
        return await anyio.to_thread.run_sync(work, *args, abandon_on_cancel=True)
    assert scope.cancelled_caught
    raise ApiProblem(503, "time-limit", f"the request took longer than the service's limit of {limit:g} seconds",
                     headers={"Retry-After": "1"})


async def raw_body(request: Request, service: Service) -> bytes:
    """The request's JSON body as bytes, checked by the strict reader, for a library function that reads bytes."""
    limit = service.settings.time_limit
    with anyio.move_on_after(limit):
        raw = await read_body(request, limit=service.settings.max_body_bytes)
        parse_json(raw, max_depth=service.settings.max_depth)
        return raw
    raise ApiProblem(408, "request-timeout", f"the body did not arrive within the service's limit of {limit:g} seconds")


async def object_body(request: Request, service: Service, what: str) -> dict[str, Any]:
    """The request's JSON object; a body that does not arrive within the time limit is 408."""
    limit = service.settings.time_limit
    with anyio.move_on_after(limit):
        return await read_object(request, limit=service.settings.max_body_bytes, max_depth=service.settings.max_depth,
                                 what=what)
    raise ApiProblem(408, "request-timeout", f"the body did not arrive within the service's limit of {limit:g} seconds")


async def parsed_body(request: Request, service: Service, model: type[In]) -> In:
    """The request body as ``model``: the strict reader (no duplicate keys, ...), then exactly the
    declared JSON types and no unknown key; a 422 naming each wrong field, never the value sent."""
    data = await object_body(request, service, "the request")
    try:
        return model.model_validate_json(dumps(data), strict=True)
    except ValidationError as exc:
        problem = without_values(exc, source="request")
        raise ApiProblem(422, "invalid-input", str(problem), errors=[dict(e) for e in problem.errors]) from None


def ruleset_headers(ruleset: RuleSet | RuleSetRef | None) -> dict[str, str]:
    """The headers of every decision response: the engine and the exact rule-set version."""
    if ruleset is None:
        return {"SPS-Engine-Version": __version__}
    return {
        "SPS-Engine-Version": __version__,
        "SPS-Ruleset-Id": ruleset.id,
        "SPS-Ruleset-Version": ruleset.version,
        "SPS-Ruleset-Sha256": ruleset.sha256,
    }


def json_response(data: Any, *, headers: dict[str, str] | None = None, status: int = 200) -> Response:
    return Response(dumps(data), status_code=status, media_type="application/json", headers=headers)


DECISION_HEADERS = {
    "SPS-Engine-Version": {"description": "The sps-rules engine version.", "schema": {"type": "string"}},
    "SPS-Ruleset-Id": {"description": "The rule set that decided.", "schema": {"type": "string"}},
    "SPS-Ruleset-Version": {"description": "Its version.", "schema": {"type": "string"}},
    "SPS-Ruleset-Sha256": {"description": "The sha256 of that version's content.", "schema": {"type": "string"}},
}
