"""Everything about a rule set's decisions that does not depend on the citizen, built once per version.

``make_plan`` turns each compiled rule into a ``Plan`` (its prebuilt conclusion, citation and the
facts it reads); ``Tables`` holds, per eligibility outcome, every decision part picked by a rule's
state (none, true or false), so that evaluating a citizen is mostly lookups.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from ..model.decision import (
    Assessment,
    CriterionResult,
    DecisionCondition,
    Exclusion,
    NeedResult,
    Referral,
    RequestResult,
    SourceRef,
    SupportForm,
    TraceEntry,
)
from ..model.facts import NEED_CODES, REQUEST_CODES
from ..model.schema import Rule, Source
from .compiler import CompiledRule
from .loaded import Document, LoadedRule

#: Derived facts and the given facts they come from, for the list of missing facts.
DERIVED_FROM = {"age": "birth_date"}

def _cite(src: Source, document: Document, also: tuple[SourceRef, ...] = ()) -> SourceRef:
    ref = document.ref
    return SourceRef(document=document.title, section=src.place, quote=src.quote, legal_reference=src.legal_reference,
                     kind=ref.kind if ref is not None else "standard",
                     citation=ref.citation(src) if ref is not None else None, also=also)


def _source(item: LoadedRule) -> SourceRef:
    """The rule's citation as a decision shows it, with its further citations (``also``) inside."""
    rule = item.rule
    also = tuple(_cite(src, doc) for src, doc in zip(rule.also, item.also, strict=True))
    return _cite(rule.source, item.document, also)


class Bounded(dict[Any, Any]):
    """A memo that forgets everything when full, so memory stays flat over any number of citizens."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def put(self, key: Any, value: Any) -> Any:
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


@dataclass(frozen=True)
class Plan:
    """Everything about one rule that does not depend on the citizen, built once per rule set."""

    index: int
    rule: Rule
    kind: str
    origin: str
    has_false: bool
    reads: tuple[str, ...]
    trace_paths: tuple[str, ...]
    gate: tuple[str, ...] | None
    source: SourceRef
    output: Any  # the prebuilt conclusion (support form, condition, ...) where it is static
    alt: Any = None  # for criteria: the not_met result; for requests: the exclusion

    def admits(self, eligibility: str) -> bool:
        return self.gate is None or eligibility in self.gate


ELIGIBILITIES = ("eligible", "not_eligible", "undetermined")
KINDS = ("support_form", "referral", "condition", "assessment")


def picker(positions: list[int]) -> Callable[[list[int]], tuple[int, ...]]:
    """A C-speed function that picks these positions from a list, always as a tuple."""
    if len(positions) == 1:
        only = positions[0]
        return lambda flags: (flags[only],)
    if not positions:
        return lambda flags: ()
    return itemgetter(*positions)


class Tables:
    """Every citizen-independent part of a decision under one eligibility outcome, prebuilt.

    A rule's result is known from which of its probes fired (compiler.NONE, TRUE or FALSE), so
    most parts are a lookup ``table[state]``. Only a few parts depend on the
    citizen's values: unknown criteria (which facts are missing), deadlines (their dates),
    and needs and requests (which codes). Trace entries name the facts they read; the values
    stand once in the decision.
    """

    def __init__(self, plans: list[Plan], need_plans: dict[str | None, Plan],
                 request_plans: dict[str | None, Plan], eligibility: str):
        # by state: NONE (unknown, or false for a rule without a condition), TRUE, FALSE
        self.trace = [(self._entry(p, "unknown" if p.has_false else "false", eligibility),
                       self._entry(p, "true", eligibility), self._entry(p, "false", eligibility)) for p in plans]
        self.outputs = {}
        for kind in KINDS:
            chosen = [p for p in plans if p.kind == kind and p.admits(eligibility)]
            self.outputs[kind] = (picker([p.index for p in chosen]), [(None, p.output, None) for p in chosen])
        self.outputs_in_order = tuple(self.outputs[kind] for kind in KINDS)
        self.deadlines = [p for p in plans if p.kind == "deadline" and p.admits(eligibility)]
        #: per deadline rule: its position, the fact it counts from, its plan
        self.deadline_anchors = [(p.index, p.rule.deadline.anchor, p) for p in self.deadlines
                                 if p.rule.deadline is not None]
        self.needs = self._codes(need_plans, NEED_CODES, eligibility)
        self.requests = self._codes(request_plans, REQUEST_CODES, eligibility)
        self.exclusions = {code: (p.index, p.alt) for code, p in request_plans.items()
                           if code is not None and p.alt is not None and p.admits(eligibility)}

    @staticmethod
    def _entry(p: Plan, result: str, eligibility: str) -> TraceEntry:
        fired = result == "true" and p.admits(eligibility)
        note = None
        if result == "true" and not fired and p.gate is not None:
            note = f"gælder kun ved eligibility {' eller '.join(p.gate)}; her {eligibility}"
        return TraceEntry(rule_id=p.rule.id, kind=p.kind, origin=p.origin, result=result,  # type: ignore[arg-type]
                          fired=fired, note=note, reads=p.trace_paths, source=p.source)

    @staticmethod
    def _codes(plans: dict[str | None, Plan], codes: tuple[str, ...], eligibility: str) -> dict[str, Any]:
        """Per code: (the position of its rule, its result by that rule's state)."""
        fallback = plans[None]
        table = {}
        for code in codes:
            found = plans.get(code)
            off = _code_result(fallback, code)
            on = _code_result(found, code) if found is not None and found.admits(eligibility) else off
            table[code] = (found.index if found is not None else 0, (off, on, off))
        return table


def _code_result(p: Plan, code: str) -> NeedResult | RequestResult:
    if p.kind == "need":
        return NeedResult(need=code, status=p.output, reason=p.rule.text, source=p.source)
    return RequestResult(request=code, status=p.output, reason=p.rule.text, source=p.source)



def make_plan(compiled: CompiledRule) -> Plan:
    item = compiled.loaded
    r = item.rule
    src = _source(item)
    trace_paths = tuple(dict.fromkeys(
        p for path in compiled.reads for p in ((DERIVED_FROM[path], path) if path in DERIVED_FROM else (path,))))
    output: Any = None
    alt: Any = None
    if r.criterion is not None:
        output = CriterionResult(id=r.id, status="met", reason=r.criterion.met, source=src)
        alt = CriterionResult(id=r.id, status="not_met", reason=r.criterion.not_met, source=src)
    elif r.support_form is not None:
        output = SupportForm(form=r.support_form.form, status=r.support_form.status, reason=r.text, source=src)
    elif r.referral is not None:
        output = Referral(to=r.referral.to, legal_basis=r.referral.legal_basis, reason=r.text, source=src)
    elif r.condition is not None:
        output = DecisionCondition(id=r.id, category=r.condition.category, text=r.text, source=src)
    elif r.assessment is not None:
        output = Assessment(id=r.id, text=r.text, about=list(r.assessment.about), source=src)
    elif r.need is not None:
        output = r.need.status  # the result is built per need code
    elif r.request is not None:
        output = r.request.status
        target = r.request.referral
        if r.request.status == "excluded" and r.request.code is not None:
            referral = (Referral(to=target.to, legal_basis=target.legal_basis, reason=r.text, source=src)
                        if target is not None else None)
            alt = Exclusion(request=r.request.code, reason=r.text, referral=referral, source=src)
    return Plan(
        index=compiled.index, rule=r, kind=r.kind, origin=item.origin, has_false=compiled.has_false,
        reads=compiled.reads, trace_paths=trace_paths,
        gate=tuple(r.when_eligibility) if r.when_eligibility is not None else None,
        source=src, output=output, alt=alt,
    )
