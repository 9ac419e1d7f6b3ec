"""The workbench's endpoints under ``/v1/workbench``: a draft rule file read beside its source, tried
on a citizen, tested, compared with the released version, and saved. (Its problems come from
``POST /v1/validate``, the same check as ``sps-rules validate``: its quick pass first, then the full one.)

Every endpoint works on the draft's text as sent; only ``save`` and ``cases`` write, and only inside
the service's rules folder. Bodies are read as strictly as the service's others (``parsed_body``).
Work runs in a worker thread under the service's time limit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from ...authoring import drafts
from ...engine.loaded import LoadedRuleSet
from ...model.errors import RuleFileError
from ..handlers import Service, strict_facts
from ..problems import ApiProblem, documented
from .common import ServiceDep, in_worker, json_response, parsed_body

router = APIRouter(prefix="/v1/workbench", tags=["workbench"])

ERRORS = documented(400, 401, 403, 404, 409, 413, 415, 422, 503)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Draft(_Strict):
    """A draft rule file: the folder (rule set) and file name it would have, and its text."""

    ruleset: str = Field(max_length=64, examples=["roskilde"])
    name: str = Field(max_length=100, examples=["roskilde-2027-01.yaml"])
    text: str = Field(description="The rule file's YAML text (the service's body limit bounds it).")


class DraftWithFacts(Draft):
    facts: dict[str, Any] = Field(description="Citizen facts, as for POST /v1/rulesets/{municipality}/evaluate.")


class NewCase(DraftWithFacts):
    case_name: str = Field(min_length=3, max_length=200, description="The name of the new test case.")


class FileEntry(BaseModel):
    name: str
    released: bool
    locked: bool


class RuleSetFiles(BaseModel):
    ruleset: str
    files: list[FileEntry]
    cases: list[str]


class DraftText(BaseModel):
    ruleset: str
    name: str
    released: bool
    text: str


class Sentence(BaseModel):
    text: str
    sentence: bool = Field(description="Long enough to count as a sentence of the standard (25 characters).")
    rules: list[str] = Field(description="The rules whose quote stands in this sentence.")
    relevant: bool = Field(description="Reads like a decision (skal, kan, frist, ...).")


class SourceDocument(BaseModel):
    id: str
    title: str
    sentences: list[Sentence]


class RuleQuote(BaseModel):
    id: str
    line: int
    quote: str


class Sources(BaseModel):
    documents: list[SourceDocument]
    rules: list[RuleQuote]


class Preset(BaseModel):
    name: str
    facts: dict[str, Any]


class Tried(BaseModel):
    decision: dict[str, Any] = Field(description="The decision, the same JSON as sps-rules evaluate --format json.")
    reasons: str = Field(description="The Danish reasons (sps-rules explain).")
    rule_lines: dict[str, int] = Field(description="The line of each rule the draft defines.")


class CaseRun(BaseModel):
    file: str
    line: int
    name: str
    status: Literal["passed", "failed", "not_applicable"]
    failures: list[str]


class CoverageOut(BaseModel):
    rules_total: int
    rules_unexercised: list[str]
    uncited_relevant: list[str]


class TestRun(BaseModel):
    passed: int
    failed: int
    not_applicable: int
    cases: list[CaseRun]
    coverage: CoverageOut


class AddedCase(BaseModel):
    file: str
    case: dict[str, Any]


class RuleChangeOut(BaseModel):
    rule_id: str
    change: Literal["added", "removed", "changed"]
    parts: list[str]
    line: int | None


class CitizenChange(BaseModel):
    citizen: int
    facts: dict[str, Any]
    differs: dict[str, list[Any]]


class Effect(BaseModel):
    old: str
    new: str
    header: list[str]
    rules: list[RuleChangeOut]
    population: int
    seed: int
    changed: int
    citizens: list[CitizenChange]


class Saved(BaseModel):
    file: str
    version: str
    sha256: str


def _body(model: type[BaseModel], description: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "description": description,
                            "content": {"application/json": {"schema": model.model_json_schema()}}}}


async def _run(service: Service, work: Callable[..., Any], *args: Any, status: int = 200) -> Response:
    """Do the work in a worker thread; a refused draft operation answers with its own status (403, 409, ...)."""
    try:
        result = await in_worker(service, work, *args)
    except drafts.DraftError as exc:
        raise ApiProblem(exc.status, "draft-refused", _hide(service, str(exc))) from None
    except RuleFileError as exc:
        problems = [{**p.as_dict(), "file": service._relative(p.file)} for p in exc.problems]
        raise ApiProblem(422, "invalid-rule-file", _hide(service, str(exc)).replace("\n", "; "), problems=problems) from None
    return json_response(result, status=status)


def _hide(service: Service, text: str) -> str:
    """A message naming no folder of this server: the rules folder reads ``rules``."""
    return text.replace(str(service.rules.resolve()), "rules").replace(str(service.rules), "rules")


def _load(service: Service, draft: Draft) -> LoadedRuleSet:
    return drafts.load_draft(service.rules, draft.ruleset, draft.name, draft.text)


@router.get("/rulesets", response_model=None, responses={200: {"model": list[RuleSetFiles]}, **documented(401)})
async def list_files(service: ServiceDep) -> Response:
    """Every rule-set folder with its version files and test-case files."""
    return await _run(service, drafts.rulesets, service.rules)


@router.get("/rulesets/{ruleset}/files/{name}", response_model=None, responses={200: {"model": DraftText}, **ERRORS})
async def read_file(ruleset: str, name: str, service: ServiceDep) -> Response:
    """The text of a version file, to start a draft from."""
    def work() -> dict[str, Any]:
        return {"ruleset": ruleset, "name": name, "released": True, "text": drafts.read_draft(service.rules, ruleset, name)}
    return await _run(service, work)


@router.get("/rulesets/{ruleset}/presets", response_model=None, responses={200: {"model": list[Preset]}, **ERRORS})
async def presets(ruleset: str, service: ServiceDep) -> Response:
    """The citizens of the rule set's test cases, as presets for the facts form."""
    return await _run(service, drafts.presets, service.rules, ruleset)


@router.post("/sources", response_model=None, openapi_extra=_body(Draft, "A draft rule file."),
             responses={200: {"model": Sources}, **ERRORS})
async def sources(request: Request, service: ServiceDep) -> Response:
    """The draft's source texts in sentences, each with the rules citing it; and each rule's line and quote."""
    draft = await parsed_body(request, service, Draft)

    def work() -> dict[str, Any]:
        loaded = _load(service, draft)
        return {"documents": drafts.source_sentences(loaded),
                "rules": [{"id": r.rule.id, "line": r.line, "quote": r.rule.source.quote}
                          for r in loaded.rules if r.origin == loaded.id]}
    return await _run(service, work)


@router.post("/try", response_model=None, openapi_extra=_body(DraftWithFacts, "A draft rule file and citizen facts."),
             responses={200: {"model": Tried}, **ERRORS})
async def try_citizen(request: Request, service: ServiceDep) -> Response:
    """The draft's decision for one citizen, with Danish reasons and the draft line of each rule."""
    body = await parsed_body(request, service, DraftWithFacts)
    strict_facts(body.facts)  # exactly the declared JSON types, as for evaluate
    return await _run(service, lambda: drafts.try_citizen(_load(service, body), body.facts))


@router.post("/test", response_model=None, openapi_extra=_body(Draft, "A draft rule file."),
             responses={200: {"model": TestRun}, **ERRORS})
async def run_tests(request: Request, service: ServiceDep) -> Response:
    """Run the rule set's test cases for the draft's version: pass/fail and coverage."""
    draft = await parsed_body(request, service, Draft)
    return await _run(service, lambda: drafts.run_cases(service.rules, _load(service, draft)))


@router.post("/cases", response_model=None, status_code=201, openapi_extra=_body(NewCase, "A draft, a citizen and a case name."),
             responses={201: {"model": AddedCase}, **ERRORS})
async def add_case(request: Request, service: ServiceDep) -> Response:
    """Add the citizen as a test case (tests/workbench.yaml), expecting the draft's decision."""
    body = await parsed_body(request, service, NewCase)
    strict_facts(body.facts)
    return await _run(service, lambda: drafts.add_case(service.rules, _load(service, body), body.case_name, body.facts),
                      status=201)


@router.post("/effect", response_model=None, openapi_extra=_body(Draft, "A draft rule file."),
             responses={200: {"model": Effect}, **ERRORS})
async def effect(request: Request, service: ServiceDep) -> Response:
    """The draft against the released version: changed rules, and outcome changes citizen by citizen."""
    draft = await parsed_body(request, service, Draft)
    return await _run(service, lambda: drafts.effect(service.rules, _load(service, draft)))


@router.post("/save", response_model=None, status_code=201, openapi_extra=_body(Draft, "A draft rule file."),
             responses={201: {"model": Saved}, **ERRORS})
async def save(request: Request, service: ServiceDep) -> Response:
    """Save the draft as a new version file in its rule set's folder; never over a released version."""
    draft = await parsed_body(request, service, Draft)
    return await _run(service, drafts.save_draft, service.rules, draft.ruleset, draft.name, draft.text, status=201)
