"""Request and response schemas of the HTTP API, built from the library's own models.

Request bodies are parsed by the service itself (strictly, see ``body``), so their schemas are
added to the OpenAPI document here rather than through FastAPI's parameters.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from ..audit.records import DecisionRecord
from ..model.decision import Decision, RuleSetRef
from ..model.facts import CitizenFacts

ExplainFormat = Literal["text", "markdown", "html"]


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(_Out):
    status: Literal["ok"]
    engine_version: str
    rulesets: int = Field(description="How many rule-set versions the service can evaluate with.")
    decision_log: bool = Field(description="Whether decisions are stored in a decision log.")


class RuleSets(_Out):
    rulesets: list[RuleSetRef]


class Explanation(_Out):
    format: ExplainFormat
    text: str = Field(description="The decision's reasons in Danish, fit for a decision letter.")


class ExplainedDecision(_Out):
    decision: Decision
    explanation: Explanation


class ChangeOut(_Out):
    fact: str
    current: Any
    value: Any
    eligibility: str


class FixOut(_Out):
    criterion: str
    status: str
    fact: str
    value: Any


class WhyNotOut(_Out):
    eligibility: str
    deciding_facts: list[str] = Field(description="The facts of the criteria that are not met or unknown.")
    changes: list[ChangeOut] = Field(description="Single changes of one fact that alter the outcome.")
    fixes: list[FixOut] = Field(description="Single changes that make one failing criterion met.")


class DifferenceOut(_Out):
    path: str
    recorded: Any
    replayed: Any


class ReplayOut(_Out):
    reproduced: bool = Field(description="True only when the replayed decision is byte-identical and nothing was altered.")
    problems: list[str]
    differences: list[DifferenceOut]
    report: str


class StoredRecord(_Out):
    id: int
    record: DecisionRecord


class ValidateIn(BaseModel):
    """A draft rule file, validated as if it stood in the rule set's folder under ``filename``; nothing is written."""

    model_config = ConfigDict(extra="forbid")

    ruleset: str = Field(max_length=64, description="The rule set the draft belongs to, e.g. 'roskilde'.")
    filename: str = Field(default="draft.yaml", max_length=104, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}\.ya?ml$")
    text: str = Field(description="The rule file's YAML text.")
    checks: Literal["quick", "full"] = Field(
        default="full",
        description="'full': everything `sps-rules validate` checks, including the run over 1,500 generated citizens "
                    "(unreachable rules, contradictions, the two engines' cross-check), some hundred milliseconds. "
                    "'quick': the same without that population run (schema, meaning, verbatim quotes, thresholds, "
                    "uncited sentences), tens of milliseconds, each finding worded as in the full pass: the "
                    "workbench asks for it first, then for the full pass.")


class FindingOut(_Out):
    severity: Literal["error", "warning"]
    file: str
    line: int = Field(description="1-based; 0 when unknown.")
    column: int = Field(description="1-based; 0 when unknown.")
    message: str
    hint: str


class ValidateOut(_Out):
    ok: bool
    checks: Literal["quick", "full"] = Field(description="Which checks ran: 'quick' leaves out the population run.")
    findings: list[FindingOut]


class CaseOut(_Out):
    file: str
    line: int
    name: str
    passed: bool
    failures: list[str]


class CoverageOut(_Out):
    ruleset: str
    version: str
    rules_total: int
    rules_exercised: int
    rules_unexercised: list[str]
    cited_unexercised: list[str]
    uncited: list[str]


class TestOut(_Out):
    passed: int
    failed: int
    cases: list[CaseOut]
    coverage: list[CoverageOut]


class CompareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    facts: dict[str, Any] = Field(description="The citizen's facts (see CitizenFactsInput).")
    on: list[date] = Field(default_factory=list, max_length=20, description="Assessment dates to compare on.")


class Column(_Out):
    ruleset: str
    version: str | None
    assessment_date: str
    eligibility: str
    missing_facts: list[str]
    support_forms: list[str]
    exclusions: list[str]
    referrals: list[str]
    deadlines: list[str]


class Comparison(_Out):
    columns: list[Column]


class DiffOut(BaseModel):
    """Rule-level changes between two versions and their impact on a generated population."""

    model_config = ConfigDict(extra="allow")

    old: str
    new: str
    header: list[str]
    rules: list[dict[str, Any]]
    impact: dict[str, Any]


def input_schemas() -> dict[str, dict[str, Any]]:
    """OpenAPI component schemas for the request bodies, named ``<Model>Input``."""
    out: dict[str, dict[str, Any]] = {}
    for model in (CitizenFacts, DecisionRecord, ValidateIn, CompareIn):
        schema = TypeAdapter(model).json_schema(mode="validation", ref_template="#/components/schemas/{model}Input")
        for name, definition in schema.pop("$defs", {}).items():
            out[f"{name}Input"] = definition
        out[f"{model.__name__}Input"] = schema
    return out


def output_schemas() -> dict[str, dict[str, Any]]:
    """Component schemas of answers that are not a route's ``model`` (the explained decision)."""
    schema = TypeAdapter(ExplainedDecision).json_schema(mode="serialization", ref_template="#/components/schemas/{model}")
    out: dict[str, dict[str, Any]] = dict(schema.pop("$defs", {}))
    out["ExplainedDecision"] = schema
    return out


def body(name: str, description: str) -> dict[str, Any]:
    """The ``openapi_extra`` of a route whose JSON body is the named input schema."""
    return {"requestBody": {"required": True, "description": description,
                            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}Input"}}}}}
