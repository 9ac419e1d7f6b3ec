"""The rule-file format: pydantic models for one YAML rule-set file.

A rule file has three parts: ``ruleset`` (metadata), ``definitions`` (named, reusable
conditions such as "betydelig nedsat funktionsevne") and ``rules``. Every rule has an id,
a Danish ``text``, a ``source`` with a verbatim quote, an optional ``when`` condition and
exactly one conclusion. Unknown keys are errors everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

Eligibility = Literal["eligible", "not_eligible", "undetermined"]
ScalarValue = bool | int | date | str

RULE_ID = r"^[a-z0-9][a-z0-9_.-]{0,79}$"
SLUG = r"^[a-z][a-z0-9_]{0,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- conditions -------------------------------------------------------------------------

COMPARISONS = (
    "equals",
    "not_equals",
    "at_least",
    "at_most",
    "greater_than",
    "less_than",
    "one_of",
    "contains",
    "contains_any",
    "known",
)


class FactTest(_Strict):
    """A test of one fact, e.g. ``{fact: age, at_least: 18}``. Unknown facts give an unknown result."""

    fact: str = Field(description="Dotted fact path, e.g. function_levels.mental_functions or age.")
    equals: ScalarValue | None = None
    not_equals: ScalarValue | None = None
    at_least: int | date | None = None
    at_most: int | date | None = None
    greater_than: int | date | None = None
    less_than: int | date | None = None
    one_of: list[ScalarValue] | None = Field(default=None, min_length=1)
    contains: str | None = Field(default=None, description="A code that a list fact (needs, requests) contains.")
    contains_any: list[str] | None = Field(default=None, min_length=1)
    known: bool | None = Field(default=None, description="true: the fact is known; false: it is unknown.")

    @model_validator(mode="after")
    def _exactly_one_comparison(self) -> FactTest:
        given = [name for name in COMPARISONS if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a fact test needs exactly one comparison ({', '.join(COMPARISONS)}); found "
                + (", ".join(given) if given else "none")
            )
        return self

    @property
    def comparison(self) -> str:
        return next(name for name in COMPARISONS if getattr(self, name) is not None)

    @property
    def value(self) -> Any:
        return getattr(self, self.comparison)


class AllOf(_Strict):
    all: list[Condition] = Field(min_length=1, description="True when every part is true.")


class AnyOf(_Strict):
    any: list[Condition] = Field(min_length=1, description="True when at least one part is true.")


class Not(_Strict):
    not_: Condition = Field(alias="not", description="True when the part is false.")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Ref(_Strict):
    ref: str = Field(description="The name of a definition in this rule set or the one it builds on.")


def _condition_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key in ("all", "any", "not", "ref", "fact"):
            if key in value:
                return key
        return None
    if isinstance(value, BaseModel):
        return {AllOf: "all", AnyOf: "any", Not: "not", Ref: "ref", FactTest: "fact"}.get(type(value))
    return None


Condition = Annotated[
    Annotated[AllOf, Tag("all")]
    | Annotated[AnyOf, Tag("any")]
    | Annotated[Not, Tag("not")]
    | Annotated[Ref, Tag("ref")]
    | Annotated[FactTest, Tag("fact")],
    Discriminator(
        _condition_tag,
        custom_error_type="condition",
        custom_error_message="a condition must have one of the keys: fact, all, any, not, ref",
    ),
]

AllOf.model_rebuild()
AnyOf.model_rebuild()
Not.model_rebuild()


def walk(cond: Condition, definitions: Mapping[str, Definition] | None = None) -> Iterator[FactTest | Ref]:
    """Every fact test and reference in a condition, in order.

    With ``definitions``, references are followed into the definitions' conditions (and not
    yielded themselves); without, they are yielded as they are.
    """
    if isinstance(cond, AllOf):
        for part in cond.all:
            yield from walk(part, definitions)
    elif isinstance(cond, AnyOf):
        for part in cond.any:
            yield from walk(part, definitions)
    elif isinstance(cond, Not):
        yield from walk(cond.not_, definitions)
    elif isinstance(cond, Ref) and definitions is not None:
        yield from walk(definitions[cond.ref].when, definitions)
    else:
        yield cond


def fact_tests(cond: Condition | None, definitions: Mapping[str, Definition] | None = None) -> Iterator[FactTest]:
    """The fact tests of a condition; through named definitions when they are given."""
    if cond is not None:
        yield from (t for t in walk(cond, definitions) if isinstance(t, FactTest))


# --- citations --------------------------------------------------------------------------


class Source(_Strict):
    """Where a rule comes from. The quote must stand verbatim in the shipped source text."""

    document: str | None = Field(
        default=None, description="Id of a document in ruleset.sources; defaults to the first one."
    )
    section: str = Field(min_length=1, description="The heading of the section the quote stands under.")
    quote: str = Field(min_length=3, description="Verbatim sentence from the source text.")
    legal_reference: str | None = Field(default=None, description="E.g. 'Serviceloven § 85'.")


# --- conclusions ------------------------------------------------------------------------

SupportFormCode = Literal["group", "individual", "group_and_individual", "course", "digital"]
DeadlineKind = Literal["follow_up", "complaint", "complaint_reassessment", "duration_review", "non_use_contact"]


class Criterion(_Strict):
    """An eligibility criterion: met when ``when`` is true, not met when false, else unknown."""

    met: str = Field(description="Danish reason when the criterion is met.")
    not_met: str = Field(description="Danish reason when it is not met.")
    unknown: str | None = Field(default=None, description="Danish reason when facts are missing.")


class NeedConclusion(_Strict):
    """The standard names (or excludes) a need. Without a code: the default for needs it does not name."""

    code: str | None = None
    status: Literal["listed", "excluded", "not_listed"]

    @model_validator(mode="after")
    def _default_has_no_code(self) -> NeedConclusion:
        if (self.code is None) != (self.status == "not_listed"):
            raise ValueError("a need with status not_listed is the default and has no code; listed/excluded need a code")
        return self


class ReferralTarget(_Strict):
    to: str = Field(min_length=1, description="Where the citizen is referred, in Danish.")
    legal_basis: str | None = None


class RequestConclusion(_Strict):
    """What the standard says of a request. Without a code: the default for requests it does not address."""

    code: str | None = None
    status: Literal["included", "excluded", "not_addressed"]
    referral: ReferralTarget | None = None

    @model_validator(mode="after")
    def _default_has_no_code(self) -> RequestConclusion:
        if (self.code is None) != (self.status == "not_addressed"):
            raise ValueError(
                "a request with status not_addressed is the default and has no code; included/excluded need a code"
            )
        return self


class SupportFormConclusion(_Strict):
    form: SupportFormCode
    status: Literal["default", "permitted", "exception"]


class ConditionConclusion(_Strict):
    category: Literal[
        "citizen_obligation",
        "home_workplace",
        "provider",
        "costs",
        "handleplan",
        "scope",
        "follow_up",
        "end",
        "application",
        "complaint",
    ]


class AssessmentConclusion(_Strict):
    """A point the caseworker must weigh in the individual assessment (not a hard criterion)."""

    about: list[str] = Field(default_factory=list, description="Fact paths the point concerns.")


class Period(_Strict):
    years: int = Field(default=0, ge=0, le=10)
    months: int = Field(default=0, ge=0, le=120)
    weeks: int = Field(default=0, ge=0, le=520)
    days: int = Field(default=0, ge=0, le=3660)

    @model_validator(mode="after")
    def _not_empty(self) -> Period:
        if not (self.years or self.months or self.weeks or self.days):
            raise ValueError("a period needs at least one of years, months, weeks, days above 0")
        return self


class DeadlineConclusion(_Strict):
    kind: DeadlineKind
    anchor: str = Field(description="The date fact the deadline counts from.")
    add: Period = Field(description="Due = anchor + this period (months clamp at month end).")
    earliest: Period | None = Field(default=None, description="For a window: earliest = anchor + this period.")
    next_weekday: bool = Field(
        default=False,
        description="A due date on a Saturday, Sunday or Danish public holiday moves to the next weekday.",
    )


class PrincipleConclusion(_Strict):
    principle: Literal["individual_assessment"]


class Rule(_Strict):
    id: str = Field(pattern=RULE_ID, description="Unique id; a municipal rule with a baseline id overrides it.")
    text: str = Field(min_length=3, description="What the rule says, in plain Danish.")
    source: Source
    interpretation: str | None = Field(
        default=None, description="Required where the rule interprets the text: what is assumed, and why."
    )
    override: bool = Field(default=False, description="true: this rule replaces the baseline rule with the same id.")
    when: Condition | None = Field(default=None, description="When the conclusion applies; absent means always.")
    when_eligibility: list[Eligibility] | None = Field(
        default=None, min_length=1, description="Apply only when the decision's eligibility is one of these."
    )

    criterion: Criterion | None = None
    need: NeedConclusion | None = None
    request: RequestConclusion | None = None
    support_form: SupportFormConclusion | None = None
    referral: ReferralTarget | None = None
    condition: ConditionConclusion | None = None
    assessment: AssessmentConclusion | None = None
    deadline: DeadlineConclusion | None = None
    principle: PrincipleConclusion | None = None

    @model_validator(mode="after")
    def _exactly_one_conclusion(self) -> Rule:
        given = [kind for kind in CONCLUSION_KINDS if getattr(self, kind) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a rule needs exactly one conclusion ({', '.join(CONCLUSION_KINDS)}); found "
                + (", ".join(given) if given else "none")
            )
        if self.criterion is not None and self.when is None:
            raise ValueError("a criterion needs a 'when' condition")
        if self.criterion is not None and self.when_eligibility is not None:
            raise ValueError("a criterion decides eligibility and cannot depend on it: remove when_eligibility")
        return self

    @property
    def kind(self) -> str:
        return next(kind for kind in CONCLUSION_KINDS if getattr(self, kind) is not None)


CONCLUSION_KINDS = (
    "criterion",
    "need",
    "request",
    "support_form",
    "referral",
    "condition",
    "assessment",
    "deadline",
    "principle",
)


class Definition(_Strict):
    """A named condition, e.g. the reading of "betydelig nedsat funktionsevne"."""

    text: str = Field(min_length=3)
    interpretation: str | None = None
    when: Condition


class DocumentRef(_Strict):
    id: str = Field(pattern=SLUG)
    title: str = Field(min_length=3)
    file: str = Field(description="Path of the source text, relative to the rule file.")
    dated: str | None = Field(default=None, description="Adoption or update date as the document gives it.")


class BaseRef(_Strict):
    ruleset: str = Field(pattern=SLUG)
    version: str


class RuleSetHeader(_Strict):
    id: str = Field(pattern=SLUG, description="The rule set id: the municipality slug, or 'national'.")
    municipality: str | None = Field(default=None, description="The municipality's name, e.g. Roskilde Kommune.")
    title: str = Field(min_length=3)
    legal_basis: str = Field(min_length=3)
    version: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z.\-]{0,31}$")
    valid_from: date
    valid_to: date | None = Field(default=None, description="Last day this version applies; absent: open-ended.")
    notes: list[str] = Field(default_factory=list, description="Assumptions stated in every decision.")
    released: bool = Field(default=True, description=(
        "false: a draft (written by sps-rules new-version) that applies to no day until sps-rules release. "
        "A released version is immutable; its sha256 is pinned in releases.lock."))
    extends: BaseRef | None = None
    sources: list[DocumentRef] = Field(min_length=1)

    @model_validator(mode="after")
    def _dates_in_order(self) -> RuleSetHeader:
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self


class RuleFile(_Strict):
    """One YAML file: one version of one rule set."""

    ruleset: RuleSetHeader
    definitions: dict[str, Definition] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)


def rule_file_json_schema() -> dict[str, Any]:
    """The JSON Schema of a rule file, for editors with a YAML language server."""
    schema = RuleFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sps-rules rule set file"
    return schema
