"""The workbench's endpoints under ``/v1/workbench``: a draft rule file, checked, read beside its
source, tried on a citizen, tested, compared with the released version, and saved.

Every endpoint works on the draft's text as sent; only ``save`` and ``cases`` write, and only
inside the rules folder the app was started with (``app.state.workbench_rules``, set by
``sps_rules.workbench.mount``). Work is done in FastAPI's thread pool (plain ``def`` routes).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ...authoring import drafts
from ...engine.loaded import LoadedRuleSet
from ...engine.loader import rules_root
from ...model.errors import FactsError, RuleFileError, SpsRulesError

router = APIRouter(prefix="/v1/workbench", tags=["workbench"])

PROBLEM = "application/problem+json"


def rules_dir(request: Request) -> Path:
    found = getattr(request.app.state, "workbench_rules", None)
    return Path(found) if found is not None else rules_root()


RulesDir = Annotated[Path, Depends(rules_dir)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Draft(_Strict):
    """A draft rule file: the folder (rule set) and file name it would have, and its text."""

    ruleset: str = Field(max_length=64, examples=["roskilde"])
    name: str = Field(max_length=100, examples=["roskilde-2027-01.yaml"])
    text: str = Field(max_length=drafts.MAX_DRAFT_BYTES)


class DraftWithFacts(Draft):
    facts: dict[str, Any] = Field(description="Citizen facts, as for POST /v1/rulesets/{municipality}/evaluate.")


class NewCase(DraftWithFacts):
    case_name: str = Field(min_length=3, max_length=200, description="The name of the new test case.")


class FindingOut(BaseModel):
    severity: Literal["error", "warning"]
    line: int
    column: int
    message: str
    hint: str


class CheckResult(BaseModel):
    ok: bool
    findings: list[FindingOut]


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


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"type": "about:blank", "title": title, "status": status, "detail": detail, **extra},
                        status_code=status, media_type=PROBLEM)


def refused(exc: SpsRulesError) -> JSONResponse:
    """A library error as problem+json: invalid drafts list their problems with line and column."""
    if isinstance(exc, RuleFileError):
        return problem(422, "Kladden er ugyldig", "kladden kan ikke indlæses; se problemerne",
                       problems=[{"line": p.line, "column": p.column, "message": p.message, "hint": p.hint} for p in exc.problems])
    if isinstance(exc, FactsError):
        return problem(422, "Ugyldige oplysninger om borgeren", str(exc), errors=list(exc.errors))
    status = exc.status if isinstance(exc, drafts.DraftError) else 400
    return problem(status, "Afvist", str(exc))


_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"description": text, "content": {PROBLEM: {}}}
    for code, text in ((400, "Bad input"), (403, "Outside the rules folder"), (409, "Already released"),
                       (422, "Invalid draft or facts"))
}


def _load(rules: Path, draft: Draft) -> LoadedRuleSet:
    return drafts.load_draft(rules, draft.ruleset, draft.name, draft.text)


@router.get("/rulesets", response_model=list[RuleSetFiles])
def list_files(rules: RulesDir) -> Any:
    """Every rule-set folder with its version files and test-case files."""
    return drafts.rulesets(rules)


@router.get("/rulesets/{ruleset}/files/{name}", response_model=DraftText, responses=_ERRORS)
def read_file(ruleset: str, name: str, rules: RulesDir) -> Any:
    """The text of a version file, to start a draft from."""
    try:
        text = drafts.read_draft(rules, ruleset, name)
    except SpsRulesError as exc:
        return refused(exc)
    return {"ruleset": ruleset, "name": name, "released": True, "text": text}


@router.get("/rulesets/{ruleset}/presets", response_model=list[Preset], responses=_ERRORS)
def presets(ruleset: str, rules: RulesDir) -> Any:
    """The citizens of the rule set's test cases, as presets for the facts form."""
    try:
        return drafts.presets(rules, ruleset)
    except SpsRulesError as exc:
        return refused(exc)


@router.post("/check", response_model=CheckResult, responses=_ERRORS)
def check(draft: Draft, rules: RulesDir) -> Any:
    """Everything ``sps-rules validate`` would say of the draft, with line and column."""
    try:
        findings = drafts.check_draft(rules, draft.ruleset, draft.name, draft.text)
    except SpsRulesError as exc:
        return refused(exc)
    return {"ok": not any(f.severity == "error" for f in findings),
            "findings": [{"severity": f.severity, "line": f.problem.line, "column": f.problem.column,
                          "message": f.problem.message, "hint": f.problem.hint} for f in findings]}


@router.post("/sources", response_model=Sources, responses=_ERRORS)
def sources(draft: Draft, rules: RulesDir) -> Any:
    """The draft's source texts in sentences, each with the rules citing it; and each rule's line and quote."""
    try:
        loaded = _load(rules, draft)
    except SpsRulesError as exc:
        return refused(exc)
    return {"documents": drafts.source_sentences(loaded),
            "rules": [{"id": r.rule.id, "line": r.line, "quote": r.rule.source.quote}
                      for r in loaded.rules if r.origin == loaded.id]}


@router.post("/try", response_model=Tried, responses=_ERRORS)
def try_citizen(body: DraftWithFacts, rules: RulesDir) -> Any:
    """The draft's decision for one citizen, with Danish reasons and the draft line of each rule."""
    try:
        return drafts.try_citizen(_load(rules, body), body.facts)
    except SpsRulesError as exc:
        return refused(exc)


@router.post("/test", response_model=TestRun, responses=_ERRORS)
def run_tests(draft: Draft, rules: RulesDir) -> Any:
    """Run the rule set's test cases for the draft's version: pass/fail and coverage."""
    try:
        return drafts.run_cases(rules, _load(rules, draft))
    except SpsRulesError as exc:
        return refused(exc)


@router.post("/cases", response_model=AddedCase, status_code=201, responses=_ERRORS)
def add_case(body: NewCase, rules: RulesDir) -> Any:
    """Add the citizen as a test case (tests/workbench.yaml), expecting the draft's decision."""
    try:
        return drafts.add_case(rules, _load(rules, body), body.case_name, body.facts)
    except SpsRulesError as exc:
        return refused(exc)


@router.post("/effect", response_model=Effect, responses=_ERRORS)
def effect(draft: Draft, rules: RulesDir) -> Any:
    """The draft against the released version: changed rules, and outcome changes citizen by citizen."""
    try:
        return drafts.effect(rules, _load(rules, draft))
    except SpsRulesError as exc:
        return refused(exc)


@router.post("/save", response_model=Saved, status_code=201, responses=_ERRORS)
def save(draft: Draft, rules: RulesDir) -> Any:
    """Save the draft as a new version file in its rule set's folder; never over a released version."""
    try:
        return drafts.save_draft(rules, draft.ruleset, draft.name, draft.text)
    except SpsRulesError as exc:
        return refused(exc)
