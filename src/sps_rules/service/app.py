"""``create_app(settings)``: the FastAPI application of ``sps-rules serve``.

Routes live in ``routes/`` (one APIRouter per resource) and hand their work to ``handlers``;
errors become RFC 9457 problems in ``problems``; ``access`` checks API keys and logs each request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException
from starlette.responses import Response

from ..model.errors import SpsRulesError
from ..version import __version__
from .access import AccessLayer
from .handlers import Service
from .problems import TITLES, ApiProblem, ProblemDetail, from_library, problem_response
from .routes import ROUTERS
from .schemas import input_schemas, output_schemas
from .settings import Settings

logger = logging.getLogger("sps_rules.service")

DESCRIPTION = """Decision support for socialpædagogisk støtte (Serviceloven § 85, § 82 a/b): citizen facts in,
a decision out, each reason citing the sentence of the quality standard or statute it comes from.
A decision is support for the caseworker's concrete, individual assessment, never an automatic refusal.
Errors are `application/problem+json` (RFC 9457)."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service's ASGI application; ``settings`` defaults to the shipped rules, no log, no keys."""
    settings = settings or Settings()
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # compile the rule sets in the background: the port opens at once, the first decisions need not wait
        threading.Thread(target=service.warm, name="sps-rules-warm", daemon=True).start()
        try:
            yield
        finally:
            service.close()

    app = FastAPI(title="sps-rules", version=__version__, description=DESCRIPTION, lifespan=lifespan,
                  redoc_url=None)
    app.state.service = service
    for router in ROUTERS:
        app.include_router(router)
    _problems(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(AccessLayer, keys=settings.api_keys)
    return app


def _problems(app: FastAPI) -> None:
    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem) -> Response:
        return problem_response(exc, request.url.path)

    @app.exception_handler(SpsRulesError)
    async def library_error(request: Request, exc: SpsRulesError) -> Response:
        problem = from_library(exc)
        rules = str(request.app.state.service.rules)  # name no folder of this server
        problem.detail = problem.detail.replace(rules, "rules")
        return problem_response(problem, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request: Request, exc: RequestValidationError) -> Response:
        errors = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
            errors.append({"field": field, "message": str(err.get("msg", "invalid value"))})
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid parameters"
        return problem_response(ApiProblem(422, "invalid-parameters", detail, errors=errors), request.url.path)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        status = exc.status_code
        detail = "no such endpoint; see /docs" if status == 404 else str(exc.detail)
        kind = TITLES.get(status, "error").lower().replace(" ", "-")
        return problem_response(ApiProblem(status, kind, detail, headers=dict(exc.headers or {})), request.url.path)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        logger.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return problem_response(ApiProblem(500, "internal-error", "the service failed unexpectedly; the error is logged"),
                                request.url.path)


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = document.setdefault("components", {}).setdefault("schemas", {})
        components.update(input_schemas())
        for name, schema in output_schemas().items():
            components.setdefault(name, schema)
        components.setdefault("ProblemDetail", ProblemDetail.model_json_schema(ref_template="#/components/schemas/{model}"))
        document["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"},
                                                     "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}}
        app.openapi_schema = document
    return app.openapi_schema
