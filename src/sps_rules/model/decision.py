"""The decision: what a rule set implies for one citizen, and why, with citations.

Keys and codes are English; reasons are Danish. A decision is deterministic: the same facts
under the same rule-set version give byte-identical JSON (``Decision.to_json``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .facts import CitizenFacts, FactValue, fact_values
from .schema import DeadlineKind, Eligibility, SupportFormCode

# The parts of a decision are frozen, slotted dataclasses: pydantic validates, serialises and
# documents them like models, and they cost a tenth as much to create, which matters because
# a decision holds one per rule considered. ``Part`` gives each the serialising half of a
# model's interface, so a part can be dumped on its own exactly as it stands in the decision.


class Part:
    """``model_dump``, ``model_dump_json`` and ``model_validate`` for a decision part (a dataclass).

    Each uses one pydantic ``TypeAdapter`` per part type, built on first use, so a part dumps
    exactly as it does inside ``Decision.model_dump`` / ``Decision.to_json``.

    >>> part = SourceRef("Serviceloven", "§ 85", "Stk. 1").model_dump()
    >>> part["document"], part["section"], part["kind"], part["citation"], part["also"]
    ('Serviceloven', '§ 85', 'standard', None, ())
    """

    __slots__ = ()

    @classmethod
    def _adapter(cls) -> TypeAdapter[Any]:
        adapter = _ADAPTERS.get(cls)
        if adapter is None:
            adapter = _ADAPTERS.setdefault(cls, TypeAdapter(cls))
        return adapter

    def model_dump(self, *, mode: Literal["python", "json"] = "python") -> dict[str, Any]:
        """The part as a dict; ``mode="json"`` gives JSON-ready values (dates as ISO text)."""
        dumped: dict[str, Any] = self._adapter().dump_python(self, mode=mode)
        return dumped

    def model_dump_json(self, *, indent: int | None = None) -> str:
        """The part as JSON text, byte for byte as it stands in the decision's JSON."""
        return self._adapter().dump_json(self, indent=indent).decode("utf-8")

    @classmethod
    def model_validate(cls, data: Any) -> Self:
        """A part from a dict (e.g. one read back from a decision's JSON); pydantic validates it."""
        part: Self = cls._adapter().validate_python(data)
        return part

    @classmethod
    def model_validate_json(cls, data: str | bytes) -> Self:
        """A part from JSON text; pydantic validates it."""
        part: Self = cls._adapter().validate_json(data)
        return part


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}


@dataclass(frozen=True, slots=True)
class SourceRef(Part):
    """A verbatim citation: the document, the section (or §, stk.) it stands under, and the quote.

    ``citation`` is set for a statute and reads as a lawyer writes it ("serviceloven § 85, jf. LBK
    nr 1129 af 22/09/2025"); ``also`` holds further citations that carry the same rule (for
    instance the statute beside the standard's sentence), each without an ``also`` of its own.
    """

    document: str
    section: str
    quote: str
    legal_reference: str | None = None
    kind: Annotated[Literal["standard", "guidance", "statute"], Field(
        description="What the document is: a quality standard, an authority's guidance, or a statute.")] = "standard"
    citation: Annotated[str | None, Field(
        description="For a statute: law, §, stk. and consolidation, e.g. 'serviceloven § 85, jf. LBK nr 1129 af 22/09/2025'.")] = None
    also: Annotated[tuple[SourceRef, ...], Field(description="Further citations of the same rule.")] = ()


@dataclass(frozen=True, slots=True)
class RuleSetRef(Part):
    id: str
    version: str
    title: str
    municipality: str | None
    valid_from: date
    valid_to: date | None
    sha256: Annotated[str, Field(description="sha256 of the rule set's canonical content, baseline included.")]
    base: Annotated[str | None, Field(description="'<id>@<version>' of the baseline it builds on.")]
    notes: Annotated[list[str], Field(description="Assumptions the rule set makes, e.g. an assumed valid_from.")]


@dataclass(frozen=True, slots=True)
class CriterionResult(Part):
    id: str
    status: Literal["met", "not_met", "unknown"]
    reason: str
    source: SourceRef


@dataclass(frozen=True, slots=True)
class NeedResult(Part):
    need: str
    status: Literal["listed", "not_listed", "excluded"]
    reason: str
    source: SourceRef


@dataclass(frozen=True, slots=True)
class RequestResult(Part):
    request: str
    status: Literal["included", "excluded", "not_addressed"]
    reason: str
    source: SourceRef


@dataclass(frozen=True, slots=True)
class SupportForm(Part):
    form: SupportFormCode
    status: Literal["default", "permitted", "exception"]
    reason: str
    source: SourceRef


@dataclass(frozen=True, slots=True)
class Referral(Part):
    to: str
    legal_basis: str | None
    reason: str
    source: SourceRef


@dataclass(frozen=True, slots=True)
class Exclusion(Part):
    request: str
    reason: str
    referral: Referral | None
    source: SourceRef


@dataclass(frozen=True, slots=True)
class DecisionCondition(Part):
    id: str
    category: str
    text: str
    source: SourceRef


@dataclass(frozen=True, slots=True)
class Assessment(Part):
    """A point the caseworker must weigh in the concrete, individual assessment."""

    id: str
    text: str
    about: list[str]
    source: SourceRef


@dataclass(frozen=True, slots=True)
class Deadline(Part):
    kind: DeadlineKind
    due: Annotated[date | None, Field(description="None when the anchor date is unknown: never guessed.")]
    earliest: Annotated[date | None, Field(description="Start of a window, e.g. follow-up within 3-6 months.")]
    anchor: Annotated[str, Field(description="The fact the deadline counts from.")]
    anchor_date: date | None
    status: Literal["computed", "missing_anchor"]
    counting: Annotated[str, Field(description="How the date was counted, in Danish.")]
    reason: str
    source: SourceRef


@dataclass(frozen=True, slots=True)
class Statement(Part):
    text: str
    source: SourceRef


@dataclass(frozen=True, slots=True)
class TraceEntry(Part):
    rule_id: str
    kind: str
    origin: Annotated[str, Field(description="The rule set whose file defines the rule.")]
    result: Annotated[Literal["true", "false", "unknown"], Field(description="The value of the rule's condition.")]
    fired: Annotated[bool, Field(description="Whether the rule's conclusion is part of the decision.")]
    note: str | None
    reads: Annotated[tuple[str, ...], Field(
        description="The fact paths the rule read; their values stand in the decision's facts and derived_facts.")]
    source: SourceRef


class Decision(BaseModel):
    """What the standard implies for one citizen. A caseworker's concrete, individual assessment decides."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    eligibility: Eligibility
    individual_assessment: Statement
    legal_basis: str
    assessment_date: date
    engine_version: str
    ruleset: RuleSetRef
    criteria: list[CriterionResult]
    missing_facts: list[str] = Field(description="Facts whose absence leaves a criterion unknown.")
    needs: list[NeedResult]
    requests: list[RequestResult]
    support_forms: list[SupportForm]
    exclusions: list[Exclusion]
    referrals: list[Referral]
    conditions: list[DecisionCondition]
    assessments: list[Assessment]
    deadlines: list[Deadline]
    facts: CitizenFacts = Field(description="The facts the decision was made from, as validated (lists sorted, deduplicated).")
    derived_facts: dict[str, Any] = Field(description="Facts computed from the given ones, e.g. age on the assessment date.")
    trace: list[TraceEntry] = Field(
        description="Every rule considered, in order: its result, whether it fired, the facts it read, its source.")

    def values_read(self, entry: TraceEntry | str) -> dict[str, Any]:
        """The fact values one trace entry (or rule id) read, e.g. {"birth_date": "1990-01-01", "age": 30}."""
        if isinstance(entry, str):
            found = next((e for e in self.trace if e.rule_id == entry), None)
            if found is None:
                raise KeyError(f"no rule {entry!r} in this decision's trace")
            entry = found
        values = fact_values(self.facts)
        return {path: _plain(values[path]) for path in entry.reads}

    @classmethod
    def _trusted(cls, fields: dict[str, Any]) -> Decision:
        """What model_construct(**fields) gives, without its per-field loop: for the evaluator,
        which passes every field, already of the right type. A test checks the two agree."""
        decision = _new(cls)
        _set(decision, "__dict__", fields)
        _set(decision, "__pydantic_fields_set__", set(fields))
        _set(decision, "__pydantic_extra__", None)
        _set(decision, "__pydantic_private__", None)
        return decision

    def to_json(self, *, indent: int | None = 2) -> str:
        """Deterministic JSON: same facts and rule-set version give the same bytes.

        Compact JSON (``indent=None``, one decision per line in batch output) is joined from
        cached fragments of the parts decisions share; it equals ``model_dump_json()``.
        """
        if indent is None:
            return self.to_json_bytes().decode("utf-8")
        return self.model_dump_json(indent=indent)

    def to_json_bytes(self) -> bytes:
        """The compact JSON as UTF-8 bytes, ready to write or send: ``to_json(indent=None)``
        encoded, made without building the text first (the fastest way to output a decision).

        >>> decision = sps_rules.evaluate("roskilde", {"assessment_date": "2026-03-02"})
        >>> decision.to_json_bytes() == decision.to_json(indent=None).encode("utf-8")
        True
        """
        from .fragments import compact_json

        return compact_json(self)

    def to_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


_new = object.__new__
_set = object.__setattr__


def _plain(value: FactValue) -> Any:
    return list(value) if isinstance(value, tuple) else value
