"""Stage 3: evaluate one citizen against a compiled rule set and assemble the decision.

durable-rules decides which conditions are true or false; this module turns that into
the decision: eligibility from the criteria (any not met -> not_eligible; else any unknown
-> undetermined; else eligible), then every other conclusion whose condition is true and
whose ``when_eligibility`` admits the outcome, with dates computed by ``dates``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Literal
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


class RuleSet:
    """One version of a municipality's rule set, compiled and ready to evaluate citizens.

    Obtain it with :func:`sps_rules.load_ruleset`. Safe to share between threads.
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
        self._sources = [_source(r.loaded) for r in self._compiled.rules]
        rules = self._compiled.rules
        # the trace shows what a derived fact came from, e.g. birth_date beside age
        self._trace_paths = [
            tuple(dict.fromkeys(p for path in r.reads for p in ((DERIVED_FROM[path], path) if path in DERIVED_FROM else (path,))))
            for r in rules
        ]
        self._need_rules = {r.loaded.rule.need.code: r for r in rules if r.loaded.rule.need is not None}
        self._request_rules = {r.loaded.rule.request.code: r for r in rules if r.loaded.rule.request is not None}
        principle = next(r for r in rules if r.loaded.rule.principle is not None)
        self._principle = Statement(text=principle.loaded.rule.text, source=self._sources[principle.index])

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

    def _assemble(self, citizen: CitizenFacts, values: dict[str, FactValue], fired: set[str]) -> Decision:
        rules = self._compiled.rules
        truth: list[str] = []
        for rule in rules:
            t, f = f"{rule.index}.t" in fired, f"{rule.index}.f" in fired
            if t and f:
                raise RuntimeError(f"internal error: rule {rule.loaded.rule.id} is both true and false")
            truth.append("true" if t else "false" if f or not rule.has_false else "unknown")

        criteria: list[CriterionResult] = []
        status: Literal["met", "not_met", "unknown"]
        missing: dict[str, None] = {}
        for rule in rules:
            criterion = rule.loaded.rule.criterion
            if criterion is None:
                continue
            value = truth[rule.index]
            if value == "true":
                status, reason = "met", criterion.met
            elif value == "false":
                status, reason = "not_met", criterion.not_met
            else:
                lacking = [DERIVED_FROM.get(p, p) for p in rule.reads if values.get(p) is None]
                for path in lacking:
                    missing[path] = None
                status = "unknown"
                reason = criterion.unknown or "Kan ikke afgøres, fordi oplysninger mangler"
                reason = f"{reason} (mangler: {', '.join(dict.fromkeys(lacking))})"
            criteria.append(CriterionResult(id=rule.loaded.rule.id, status=status, reason=reason,
                                            source=self._sources[rule.index]))
        statuses = {c.status for c in criteria}
        eligibility = "not_eligible" if "not_met" in statuses else "undetermined" if "unknown" in statuses else "eligible"

        applies: list[bool] = []
        notes: list[str | None] = []
        for rule in rules:
            r = rule.loaded.rule
            if r.criterion is not None:
                applies.append(truth[rule.index] == "true")
                notes.append(None)
                continue
            gate = r.when_eligibility
            if truth[rule.index] == "true" and gate is not None and eligibility not in gate:
                applies.append(False)
                notes.append(f"gælder kun ved eligibility {' eller '.join(gate)}; her {eligibility}")
            else:
                applies.append(truth[rule.index] == "true")
                notes.append(None)

        out: dict[str, list[Any]] = {k: [] for k in ("forms", "referrals", "conditions", "assessments", "deadlines")}
        need_by_code, request_by_code = self._need_rules, self._request_rules
        for rule in rules:
            r = rule.loaded.rule
            src = self._sources[rule.index]
            if not applies[rule.index]:
                continue
            if r.support_form is not None:
                out["forms"].append(SupportForm(form=r.support_form.form, status=r.support_form.status,
                                                reason=r.text, source=src))
            elif r.referral is not None:
                out["referrals"].append(Referral(to=r.referral.to, legal_basis=r.referral.legal_basis,
                                                 reason=r.text, source=src))
            elif r.condition is not None:
                out["conditions"].append(DecisionCondition(id=r.id, category=r.condition.category, text=r.text,
                                                           source=src))
            elif r.assessment is not None:
                out["assessments"].append(Assessment(id=r.id, text=r.text, about=list(r.assessment.about),
                                                     source=src))
            elif r.deadline is not None:
                out["deadlines"].append(self._deadline(rule, values))

        needs = [self._need(code, need_by_code, applies) for code in (citizen.needs or ())]
        requests = [self._request(code, request_by_code, applies) for code in (citizen.requests or ())]
        exclusions: list[Exclusion] = []
        for code in citizen.requests or ():
            excluding = request_by_code.get(code)
            if excluding is None or not applies[excluding.index]:
                continue
            r = excluding.loaded.rule
            if r.request is None or r.request.status != "excluded":
                continue
            target = r.request.referral
            src = self._sources[excluding.index]
            referral = None
            if target is not None:
                referral = Referral(to=target.to, legal_basis=target.legal_basis, reason=r.text, source=src)
                out["referrals"].append(referral)
            exclusions.append(Exclusion(request=code, reason=r.text, referral=referral, source=src))

        trace = [
            TraceEntry(
                rule_id=rule.loaded.rule.id, kind=rule.loaded.rule.kind, origin=rule.loaded.origin,
                result=truth[rule.index], fired=applies[rule.index], note=notes[rule.index],  # type: ignore[arg-type]
                facts={path: _plain(values.get(path)) for path in self._trace_paths[rule.index]},
                source=self._sources[rule.index],
            )
            for rule in rules
        ]
        return Decision(
            eligibility=eligibility,  # type: ignore[arg-type]
            individual_assessment=self._principle,
            legal_basis=self._loaded.header.legal_basis,
            assessment_date=citizen.assessment_date,
            engine_version=__version__,
            ruleset=self._ref,
            criteria=criteria,
            missing_facts=list(missing),
            needs=needs,
            requests=requests,
            support_forms=out["forms"],
            exclusions=exclusions,
            referrals=out["referrals"],
            conditions=out["conditions"],
            assessments=out["assessments"],
            deadlines=out["deadlines"],
            trace=trace,
        )

    def _need(self, code: str, by_code: dict[str | None, CompiledRule], applies: list[bool]) -> NeedResult:
        found = by_code.get(code)
        rule = found if found is not None and applies[found.index] else by_code[None]
        need = rule.loaded.rule.need
        assert need is not None
        return NeedResult(need=code, status=need.status, reason=rule.loaded.rule.text, source=self._sources[rule.index])

    def _request(self, code: str, by_code: dict[str | None, CompiledRule], applies: list[bool]) -> RequestResult:
        found = by_code.get(code)
        rule = found if found is not None and applies[found.index] else by_code[None]
        request = rule.loaded.rule.request
        assert request is not None
        return RequestResult(request=code, status=request.status, reason=rule.loaded.rule.text,
                             source=self._sources[rule.index])

    def _deadline(self, rule: CompiledRule, values: dict[str, FactValue]) -> Deadline:
        r = rule.loaded.rule
        spec = r.deadline
        assert spec is not None
        raw = values.get(spec.anchor)
        src = self._sources[rule.index]
        if raw is None:
            return Deadline(kind=spec.kind, due=None, earliest=None, anchor=spec.anchor, anchor_date=None,
                            status="missing_anchor",
                            counting=f"Kan ikke beregnes: {spec.anchor} er ikke oplyst. Datoen gættes ikke.",
                            reason=r.text, source=src)
        anchor = date.fromisoformat(str(raw))
        due = _add(anchor, spec.add)
        counting = f"{spec.anchor} {anchor.isoformat()} + {_period_text(spec.add)} = {due.isoformat()}"
        if spec.next_weekday:
            moved = next_weekday(due)
            if moved != due:
                counting += f"; {due.isoformat()} er {describe_day(due)}, så fristen flyttes til næste hverdag {moved.isoformat()}"
                due = moved
        earliest = None
        if spec.earliest is not None:
            earliest = _add(anchor, spec.earliest)
            counting = (f"tidligst {spec.anchor} {anchor.isoformat()} + {_period_text(spec.earliest)} = "
                        f"{earliest.isoformat()}; senest {counting}")
        return Deadline(kind=spec.kind, due=due, earliest=earliest, anchor=spec.anchor, anchor_date=anchor,
                        status="computed", counting=counting, reason=r.text, source=src)


def _plain(value: FactValue) -> Any:
    return list(value) if isinstance(value, tuple) else value


def decision_json(decision: Decision) -> str:
    """Compact, key-sorted JSON of a decision: the canonical bytes for hashing."""
    return json.dumps(decision.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
