"""Stage 3: evaluate one citizen against a compiled rule set and assemble the decision.

durable-rules decides which conditions are true or false; this module turns that into
the decision: eligibility from the criteria (any not met -> not_eligible; else any unknown
-> undetermined; else eligible), then every other conclusion whose condition is true and
whose ``when_eligibility`` admits the outcome, with dates computed by ``dates``.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from datetime import date
from typing import Any
from collections.abc import Mapping

from pydantic import ValidationError

from .compiler import CompiledRuleSet, CompiledRule, compile_ruleset, engine_fact
from .dates import add_period, describe_day, next_weekday
from .decision import (
    Assessment,
    CriterionResult,
    Decision,
    DecisionCondition,
    Deadline,
    Exclusion,
    NeedResult,
    Referral,
    RequestResult,
    RuleSetRef,
    SourceRef,
    Statement,
    SupportForm,
    TraceEntry,
)
from .errors import FactsError
from .facts import CitizenFacts, FactValue, fact_values
from .loader import LoadedRule, LoadedRuleSet
from .schema import Period
from .version import __version__

#: Derived facts and the given facts they come from, for the list of missing facts.
DERIVED_FROM = {"age": "birth_date"}

FactsInput = CitizenFacts | Mapping[str, Any] | str | bytes


def coerce_facts(facts: FactsInput, *, source: str = "facts") -> CitizenFacts:
    """CitizenFacts from a model, a mapping or JSON text; a clear FactsError otherwise."""
    if isinstance(facts, CitizenFacts):
        return facts
    try:
        if isinstance(facts, (str, bytes)):
            return CitizenFacts.model_validate_json(facts)
        if isinstance(facts, Mapping):
            return CitizenFacts.model_validate(dict(facts))
    except ValidationError as exc:
        raise FactsError.from_validation(exc, source=source) from None
    raise FactsError(f"expected a JSON object of citizen facts, got {type(facts).__name__}", source=source)


def _source(item: LoadedRule) -> SourceRef:
    src = item.rule.source
    return SourceRef(document=item.document.title, section=src.section, quote=src.quote,
                     legal_reference=src.legal_reference)


def _period_text(period: Period) -> str:
    parts = []
    for amount, one, many in ((period.years, "år", "år"), (period.months, "måned", "måneder"),
                              (period.weeks, "uge", "uger"), (period.days, "dag", "dage")):
        if amount:
            parts.append(f"{amount} {one if amount == 1 else many}")
    return " og ".join(parts)


def _add(anchor: date, period: Period) -> date:
    return add_period(anchor, years=period.years, months=period.months, weeks=period.weeks, days=period.days)


class _Bounded(dict[Any, Any]):
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
class _Plan:
    """Everything about one rule that does not depend on the citizen, built once per rule set."""

    index: int
    rule_id: str
    kind: str
    origin: str
    has_false: bool
    reads: tuple[str, ...]
    trace_paths: tuple[str, ...]
    gate: tuple[str, ...] | None
    source: SourceRef
    output: Any  # the prebuilt conclusion (support form, condition, ...) where it is static
    alt: Any = None  # for criteria: the not_met result; for requests: the exclusion
    getter: Any = None  # itemgetter of the values this rule reads: a hashable memo key at C speed


_GETTERS: dict[tuple[str, ...], Any] = {}
_TRUTH = ("unknown", "true", "false")


class RuleSet:
    """One version of a municipality's rule set, compiled and ready to evaluate citizens.

    Obtain it with :func:`sps_rules.load_ruleset`. Safe to share between threads: it holds no
    per-citizen state, and its memos only ever hold immutable values.
    """

    def __init__(self, loaded: LoadedRuleSet, compiled: CompiledRuleSet | None = None):
        self._loaded = loaded
        self._compiled = compiled or compile_ruleset(loaded)
        header = loaded.header
        self._ref = RuleSetRef(
            id=header.id, version=header.version, title=header.title, municipality=header.municipality,
            valid_from=header.valid_from, valid_to=header.valid_to, sha256=loaded.sha256,
            base=f"{loaded.base.id}@{loaded.base.version}" if loaded.base else None,
            notes=[*(loaded.base.header.notes if loaded.base else []), *header.notes],
        )
        self._plans = [self._plan(r) for r in self._compiled.rules]
        self._sources = [p.source for p in self._plans]
        self._need_plans = {r.loaded.rule.need.code: p for r, p in zip(self._compiled.rules, self._plans, strict=True)
                            if r.loaded.rule.need is not None}
        self._request_plans = {r.loaded.rule.request.code: p
                               for r, p in zip(self._compiled.rules, self._plans, strict=True)
                               if r.loaded.rule.request is not None}
        principle = next(p for p, r in zip(self._plans, self._compiled.rules, strict=True)
                         if r.loaded.rule.principle is not None)
        self._principle = Statement(text=self._compiled.rules[principle.index].loaded.rule.text,
                                    source=principle.source)
        self._trace_memo = [_Bounded(256) for _ in self._plans]
        self._deadline_memo = _Bounded(4096)

    def _plan(self, compiled: CompiledRule) -> _Plan:
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
        if trace_paths and trace_paths not in _GETTERS:
            _GETTERS[trace_paths] = itemgetter(*trace_paths)
        return _Plan(
            index=compiled.index, rule_id=r.id, kind=r.kind, origin=item.origin,
            has_false=compiled.has_false, getter=_GETTERS.get(trace_paths),
            reads=compiled.reads, trace_paths=trace_paths,
            gate=tuple(r.when_eligibility) if r.when_eligibility is not None else None,
            source=src, output=output, alt=alt,
        )

    # --- metadata ---
    @property
    def id(self) -> str:
        return self._loaded.id

    @property
    def version(self) -> str:
        return self._loaded.version

    @property
    def title(self) -> str:
        return self._loaded.header.title

    @property
    def valid_from(self) -> date:
        return self._loaded.header.valid_from

    @property
    def valid_to(self) -> date | None:
        return self._loaded.header.valid_to

    @property
    def sha256(self) -> str:
        return self._loaded.sha256

    @property
    def ref(self) -> RuleSetRef:
        return self._ref

    @property
    def loaded(self) -> LoadedRuleSet:
        return self._loaded

    @property
    def compiled(self) -> CompiledRuleSet:
        return self._compiled

    def __repr__(self) -> str:
        return f"RuleSet({self.id!r}, version={self.version!r}, sha256={self.sha256[:12]!r})"

    # --- evaluation ---
    def evaluate(self, facts: FactsInput, *, check_dates: bool = True) -> Decision:
        """The decision for one citizen under this version.

        ``facts`` may be a CitizenFacts, a mapping or JSON text. With ``check_dates`` (the
        default) the assessment date must lie within this version's validity.
        """
        citizen = coerce_facts(facts)
        if check_dates and not self._loaded.covers(citizen.assessment_date):
            raise FactsError(
                f"assessment_date {citizen.assessment_date.isoformat()} is outside rule set {self.id} version "
                f"{self.version} ({self.valid_from} to {self.valid_to or 'open end'}); "
                f"use sps_rules.evaluate({self.id!r}, facts) to pick the version that applies"
            )
        values = fact_values(citizen)
        fired = self._compiled.run(engine_fact(values))
        return self._assemble(citizen, values, fired)

    def _assemble(self, citizen: CitizenFacts, values: dict[str, FactValue], flags: list[int]) -> Decision:
        # Every output object is immutable and either prebuilt per rule set or built with
        # constructed directly (no validation) from values of the right types; tests check the result equals a fully
        # validated Decision, byte for byte.
        plans = self._plans
        if 3 in flags:
            raise RuntimeError(f"internal error: rule {plans[flags.index(3)].rule_id} is both true and false")
        truth = [_TRUTH[flag] if flag or p.has_false else "false" for flag, p in zip(flags, plans, strict=True)]

        criteria: list[CriterionResult] = []
        missing: dict[str, None] = {}
        for p in plans:
            if p.kind != "criterion":
                continue
            value = truth[p.index]
            if value == "true":
                criteria.append(p.output)
            elif value == "false":
                criteria.append(p.alt)
            else:
                lacking = [DERIVED_FROM.get(x, x) for x in p.reads if values.get(x) is None]
                for path in lacking:
                    missing[path] = None
                rule = self._compiled.rules[p.index].loaded.rule
                reason = (rule.criterion.unknown if rule.criterion and rule.criterion.unknown
                          else "Kan ikke afgøres, fordi oplysninger mangler")
                criteria.append(CriterionResult(
                    id=p.rule_id, status="unknown", reason=f"{reason} (mangler: {', '.join(dict.fromkeys(lacking))})",
                    source=p.source))
        statuses = {c.status for c in criteria}
        eligibility = "not_eligible" if "not_met" in statuses else "undetermined" if "unknown" in statuses else "eligible"

        applies: list[bool] = []
        forms: list[SupportForm] = []
        referrals: list[Referral] = []
        conditions: list[DecisionCondition] = []
        assessments: list[Assessment] = []
        deadlines: list[Deadline] = []
        for p in plans:
            on = truth[p.index] == "true" and (p.gate is None or eligibility in p.gate)
            applies.append(on)
            if not on:
                continue
            kind = p.kind
            if kind == "support_form":
                forms.append(p.output)
            elif kind == "referral":
                referrals.append(p.output)
            elif kind == "condition":
                conditions.append(p.output)
            elif kind == "assessment":
                assessments.append(p.output)
            elif kind == "deadline":
                deadlines.append(self._deadline(p, values))

        needs = [self._need(code, applies) for code in (citizen.needs or ())]
        requests = [self._request(code, applies) for code in (citizen.requests or ())]
        exclusions: list[Exclusion] = []
        for code in citizen.requests or ():
            plan = self._request_plans.get(code)
            if plan is not None and applies[plan.index] and plan.alt is not None:
                exclusions.append(plan.alt)
                if plan.alt.referral is not None:
                    referrals.append(plan.alt.referral)

        trace = []
        for p, result, fired in zip(plans, truth, applies, strict=True):
            key = (result, fired, eligibility if result == "true" and not fired else None,
                   p.getter(values) if p.getter is not None else ())
            memo = self._trace_memo[p.index]
            entry = memo.get(key)
            trace.append(entry if entry is not None else self._trace(p, result, fired, eligibility, values, key))
        return Decision.model_construct(
            eligibility=eligibility,
            individual_assessment=self._principle,
            legal_basis=self._loaded.header.legal_basis,
            assessment_date=citizen.assessment_date,
            engine_version=__version__,
            ruleset=self._ref,
            criteria=criteria,
            missing_facts=list(missing),
            needs=needs,
            requests=requests,
            support_forms=forms,
            exclusions=exclusions,
            referrals=referrals,
            conditions=conditions,
            assessments=assessments,
            deadlines=deadlines,
            trace=trace,
        )

    def _trace(self, p: _Plan, result: str, fired: bool, eligibility: str, values: dict[str, FactValue],
               key: Any) -> TraceEntry:
        note = None
        if result == "true" and not fired and p.gate is not None:
            note = f"gælder kun ved eligibility {' eller '.join(p.gate)}; her {eligibility}"
        facts = {path: _plain(values.get(path)) for path in p.trace_paths}
        entry = TraceEntry(rule_id=p.rule_id, kind=p.kind, origin=p.origin, result=result,  # type: ignore[arg-type]
                           fired=fired, note=note, facts=facts, source=p.source)
        return self._trace_memo[p.index].put(key, entry)  # type: ignore[no-any-return]

    def _need(self, code: str, applies: list[bool]) -> NeedResult:
        found = self._need_plans.get(code)
        p = found if found is not None and applies[found.index] else self._need_plans[None]
        return NeedResult(need=code, status=p.output, reason=self._text(p), source=p.source)

    def _request(self, code: str, applies: list[bool]) -> RequestResult:
        found = self._request_plans.get(code)
        p = found if found is not None and applies[found.index] else self._request_plans[None]
        return RequestResult(request=code, status=p.output, reason=self._text(p), source=p.source)

    def _text(self, p: _Plan) -> str:
        return self._compiled.rules[p.index].loaded.rule.text

    def _deadline(self, p: _Plan, values: dict[str, FactValue]) -> Deadline:
        rule = self._compiled.rules[p.index].loaded.rule
        spec = rule.deadline
        assert spec is not None
        raw = values.get(spec.anchor)
        key = (p.index, raw)
        cached = self._deadline_memo.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        if raw is None:
            deadline = Deadline(
                kind=spec.kind, due=None, earliest=None, anchor=spec.anchor, anchor_date=None,
                status="missing_anchor", counting=f"Kan ikke beregnes: {spec.anchor} er ikke oplyst. Datoen gættes ikke.",
                reason=rule.text, source=p.source)
            return self._deadline_memo.put(key, deadline)  # type: ignore[no-any-return]
        anchor = date.fromisoformat(str(raw))
        due = _add(anchor, spec.add)
        counting = f"{spec.anchor} {anchor.isoformat()} + {_period_text(spec.add)} = {due.isoformat()}"
        if spec.next_weekday:
            moved = next_weekday(due)
            if moved != due:
                counting += (f"; {due.isoformat()} er {describe_day(due)}, så fristen flyttes til næste hverdag "
                             f"{moved.isoformat()}")
                due = moved
        earliest = None
        if spec.earliest is not None:
            earliest = _add(anchor, spec.earliest)
            counting = (f"tidligst {spec.anchor} {anchor.isoformat()} + {_period_text(spec.earliest)} = "
                        f"{earliest.isoformat()}; senest {counting}")
        deadline = Deadline(
            kind=spec.kind, due=due, earliest=earliest, anchor=spec.anchor, anchor_date=anchor, status="computed",
            counting=counting, reason=rule.text, source=p.source)
        return self._deadline_memo.put(key, deadline)  # type: ignore[no-any-return]


def _plain(value: FactValue) -> Any:
    return list(value) if isinstance(value, tuple) else value
