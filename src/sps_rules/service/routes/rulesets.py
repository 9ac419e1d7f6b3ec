"""Rule sets and decisions: list, evaluate, why-not, test and diff."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from ..problems import documented
from ..schemas import DiffOut, ExplainFormat, RuleSets, TestOut, WhyNotOut, body
from .common import DECISION_HEADERS, ServiceDep, in_worker, json_response, object_body, ruleset_headers

router = APIRouter(prefix="/v1/rulesets", tags=["rulesets"])

Version = Annotated[str | None, Query(max_length=32, description="Pin this version (e.g. 2020-01) instead of the one "
                                                                  "that applies on the assessment date.")]
_decision = {"$ref": "#/components/schemas/Decision"}
_explained = {"$ref": "#/components/schemas/ExplainedDecision"}


@router.get("", response_model=None, responses={200: {"model": RuleSets}, **documented(401, 503)})
async def list_rulesets(service: ServiceDep) -> Response:
    """Every rule set and version, with its validity and sha256."""
    return json_response({"rulesets": await in_worker(service, service.rulesets)})


@router.post(
    "/{municipality}/evaluate", response_model=None,
    openapi_extra=body("CitizenFacts", "The citizen's facts."),
    responses={200: {"description": "The decision (the same JSON as `sps-rules evaluate --format json`); with "
                                    "`explain`, the decision and its Danish rendering.",
                     "headers": DECISION_HEADERS,
                     "content": {"application/json": {"schema": {"anyOf": [_decision, _explained]}}}},
               **documented(400, 401, 404, 408, 413, 415, 422, 503)},
)
async def evaluate(municipality: str, request: Request, service: ServiceDep, version: Version = None,
                   explain: ExplainFormat | None = None) -> Response:
    """Evaluate one citizen's facts with the version that applies on their assessment date (or `version`).

    With a decision log, the decision is stored as a hashed record; its id is in the `SPS-Record-Id` header.
    """
    facts = await object_body(request, service, "the facts")
    result = await in_worker(service, lambda: service.evaluate(municipality, facts, version=version, explain=explain))
    headers = ruleset_headers(result.ruleset)
    if result.record_id is not None:
        headers["SPS-Record-Id"] = str(result.record_id)
    return Response(result.body, media_type="application/json", headers=headers)


@router.post(
    "/{municipality}/why-not", response_model=None,
    openapi_extra=body("CitizenFacts", "The citizen's facts."),
    responses={200: {"model": WhyNotOut, "headers": DECISION_HEADERS}, **documented(400, 401, 404, 408, 413, 415, 422, 503)},
)
async def why_not(municipality: str, request: Request, service: ServiceDep, version: Version = None) -> Response:
    """For a not_eligible or undetermined outcome: the deciding facts and the single changes that alter it."""
    facts = await object_body(request, service, "the facts")
    data, ruleset = await in_worker(service, lambda: service.why_not(municipality, facts, version=version))
    return json_response(data, headers=ruleset_headers(ruleset))


@router.post("/{municipality}/test", response_model=None,
             responses={200: {"model": TestOut}, **documented(401, 404, 422, 503)})
async def test(municipality: str, service: ServiceDep) -> Response:
    """Run the rule set's own YAML test cases; each case's result and the coverage per rule and sentence."""
    return json_response(await in_worker(service, service.test, municipality))


@router.get("/{municipality}/diff", response_model=None,
            responses={200: {"model": DiffOut}, **documented(401, 404, 422, 503)})
async def diff(municipality: str, service: ServiceDep,
               old: Annotated[str, Query(max_length=32, description="The older version, e.g. 2014-06.")],
               new: Annotated[str, Query(max_length=32, description="The newer version, e.g. 2022-01.")],
               n: Annotated[int, Query(ge=1, le=100_000, description="Size of the generated population.")] = 2000,
               seed: Annotated[int, Query(ge=0, le=2**31, description="Seed of the generated population.")] = 85) -> Response:
    """Rule-level changes between two versions and their impact on a generated population."""
    return json_response(await in_worker(service, service.diff, municipality, old, new, n, seed))
