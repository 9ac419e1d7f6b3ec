"""RFC 9457 problem details: every error the service returns is ``application/problem+json``.

Handlers raise :class:`ApiProblem`; library errors (``SpsRulesError``) are mapped to a status
here, with the library's own human message as ``detail``. Nothing from a request body is ever
echoed except through those messages, which never contain a personal value.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from ..model.errors import FactsError, RecordError, RuleFileError, RuleSetNotFound, SpsRulesError, UnknownFormat

PROBLEM_TYPE = "https://sps-rules.dk/problems/"
MEDIA_TYPE = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    408: "Request timeout",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    500: "Internal server error",
    503: "Service unavailable",
}


class ProblemDetail(BaseModel):
    """An RFC 9457 problem: ``type``, ``title``, ``status``, ``detail``, plus ``errors`` and ``problems`` where known."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str = Field(description="What is wrong, for a person; the same message as the library gives.")
    instance: str | None = Field(default=None, description="The request path.")
    errors: list[dict[str, str]] | None = Field(default=None, description="Per field: {field, message}.")
    problems: list[dict[str, Any]] | None = Field(default=None, description="Per place in a rule file: file, line, column, message, hint.")


class ApiProblem(Exception):
    """Raised by a handler to answer with a problem document."""

    def __init__(self, status: int, kind: str, detail: str, *, errors: list[dict[str, str]] | None = None,
                 problems: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.errors = errors
        self.problems = problems
        self.headers = headers or {}


def from_library(exc: SpsRulesError) -> ApiProblem:
    """The problem for an error the library raised on purpose (always a client error)."""
    if isinstance(exc, RuleSetNotFound):
        return ApiProblem(404, "ruleset-not-found", str(exc))
    if isinstance(exc, FactsError):
        return ApiProblem(422, "invalid-facts", str(exc), errors=[dict(e) for e in exc.errors] or None)
    if isinstance(exc, RuleFileError):
        return ApiProblem(422, "invalid-rule-file", str(exc).replace("\n", "; "),
                          problems=[p.as_dict() for p in exc.problems])
    if isinstance(exc, RecordError):
        return ApiProblem(422, "invalid-record", str(exc))
    if isinstance(exc, UnknownFormat):
        return ApiProblem(422, "unknown-format", str(exc))
    return ApiProblem(422, "invalid-input", str(exc))


def problem_response(problem: ApiProblem, instance: str | None = None) -> Response:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE + problem.kind,
        "title": TITLES.get(problem.status, "Error"),
        "status": problem.status,
        "detail": problem.detail,
    }
    if instance is not None:
        body["instance"] = instance
    if problem.errors:
        body["errors"] = problem.errors
    if problem.problems:
        body["problems"] = problem.problems
    return Response(orjson.dumps(body), status_code=problem.status, media_type=MEDIA_TYPE, headers=problem.headers)


def documented(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the problems a route may answer with."""
    return {status: {"model": ProblemDetail, "description": TITLES[status],
                     "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}}}
            for status in statuses}
