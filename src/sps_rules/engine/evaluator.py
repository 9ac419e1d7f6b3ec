"""Stage 3: evaluate one citizen against a compiled rule set and assemble the decision.

An engine decides which conditions are true, false or unknown: the compiled path
(``pycompile``, the default) or durable-rules (``compiler``), the independent second engine
that gives the same states. This module turns those states into the decision: eligibility
from the criteria (any not met -> not_eligible; else any unknown -> undetermined; else
eligible), then every other conclusion whose condition is true and
whose ``when_eligibility`` admits the outcome, with dates computed by ``dates``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from operator import getitem
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from ..model.dates import add_period, describe_day, next_weekday
from ..model.decision import (
    CriterionResult,
    Deadline,
    Decision,
    RuleSetRef,
    Statement,
)
from ..model.errors import EngineUnavailable, FactsError, guarded
from ..model.facts import FIELDS_BY_PARENT, CitizenFacts
from ..model.fastfacts import quick_facts
from ..model.io import read_bounded
from ..model.jsonio import loads_object
from ..model.schema import Period
from ..version import __version__
from .compiler import FALSE, NONE, TRUE, CompiledRule, CompiledRuleSet, analyse, compile_ruleset, engine_fact
from .loaded import LoadedRuleSet
from .pycompile import PythonRuleSet, compile_python
from .tables import DERIVED_FROM, ELIGIBILITIES, Bounded, Plan, Tables, make_plan, picker

FactsInput = CitizenFacts | Mapping[str, Any] | str | bytes | Path
#: The engines that decide each rule's state: the rule set compiled to Python (the default), and
#: durable-rules' Rete engine, the independent second engine that must agree with it.
Engine = Literal["compiled", "durable-rules"]
ENGINES: tuple[str, ...] = ("compiled", "durable-rules")
#: The largest facts document read from a file or accepted as JSON text.
MAX_FACTS_BYTES = 1_000_000


def coerce_facts(facts: FactsInput, *, source: str = "facts") -> CitizenFacts:
    """CitizenFacts from a model, a mapping, JSON text or a JSON file; a clear FactsError otherwise.

    JSON goes through the strict reader (no duplicate keys, NaN, huge integers or deep nesting);
    every field takes its JSON type only. Messages name the field, never the value.
    """
    if type(facts) is dict:
        quick = quick_facts(facts)
        if quick is not None:
            return quick
    elif isinstance(facts, CitizenFacts):
        return facts
    if isinstance(facts, Path):
        source = str(facts) if source == "facts" else source
        facts = read_bounded(facts, MAX_FACTS_BYTES, what="facts file", error=FactsError)
    if isinstance(facts, (str, bytes, bytearray)):
        facts = loads_object(facts, what=source, max_bytes=MAX_FACTS_BYTES, error=FactsError)
    if not isinstance(facts, Mapping):
        raise FactsError(f"expected a JSON object of citizen facts, got {type(facts).__name__}", source=source)
    try:
        return CitizenFacts.model_validate(facts if type(facts) is dict else dict(facts))
    except ValidationError as exc:
        raise FactsError.from_validation(exc, source=source, fields=FIELDS_BY_PARENT) from None
    except (ValueError, TypeError, OverflowError, RecursionError, KeyError) as exc:
        raise FactsError(f"the facts cannot be read ({type(exc).__name__})", source=source) from None


def _period_text(period: Period) -> str:
    parts = []
    for amount, one, many in ((period.years, "år", "år"), (period.months, "måned", "måneder"),
                              (period.weeks, "uge", "uger"), (period.days, "dag", "dage")):
        if amount:
            parts.append(f"{amount} {one if amount == 1 else many}")
    return " og ".join(parts)


def _add(anchor: date, period: Period) -> date:
    return add_period(anchor, years=period.years, months=period.months, weeks=period.weeks, days=period.days)


def _notes(loaded: LoadedRuleSet) -> list[str]:
    """The notes of a version and of every version it builds on, the baseline's first."""
    return [*(_notes(loaded.base) if loaded.base else []), *loaded.header.notes]


class RuleSet:
    """One version of a municipality's rule set, compiled and ready to evaluate citizens.

    Obtain it with :func:`sps_rules.load_ruleset`. Safe to share between threads: it holds no
    per-citizen state, and its memos only ever hold immutable values.
    """

    def __init__(self, loaded: LoadedRuleSet, compiled: CompiledRuleSet | None = None):
        self._loaded = loaded
        self._rules: tuple[CompiledRule, ...] = compiled.rules if compiled is not None else analyse(loaded)
        self._compiled = compiled  # durable-rules, built on first use
        self._python: PythonRuleSet = compile_python(loaded, self._rules)
        header = loaded.header
        self._ref = RuleSetRef(
            id=header.id, version=header.version, title=header.title, municipality=header.municipality,
            valid_from=header.valid_from, valid_to=header.valid_to, sha256=loaded.sha256,
            base=f"{loaded.base.id}@{loaded.base.version}" if loaded.base else None,
            notes=_notes(loaded),
        )
        self._plans = [make_plan(r) for r in self._rules]
        self._need_plans: dict[str | None, Plan] = {p.rule.need.code: p for p in self._plans if p.rule.need is not None}
        self._request_plans: dict[str | None, Plan] = {p.rule.request.code: p for p in self._plans
                                                        if p.rule.request is not None}
        principle = next(p for p in self._plans if p.rule.principle is not None)
        self._principle = Statement(text=principle.rule.text, source=principle.source)
        self._criteria = [p for p in self._plans if p.kind == "criterion"]
        self._criteria_of = picker([p.index for p in self._criteria])
        # per criterion, by state: unknown (None: built per citizen, it names what is missing), met, not met
        self._criterion_table = [(None, p.output, p.alt) for p in self._criteria]
        self._lack_checks = [_lack_checks(p) for p in self._criteria]
        self._tables = {e: Tables(self._plans, self._need_plans, self._request_plans, e) for e in ELIGIBILITIES}
        self._legal_basis = loaded.header.legal_basis
        self._unknown_memo = Bounded(1024)
        self._deadline_memo = Bounded(4096)

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

    def last_day(self) -> date | None:
        """The last day this version applies: its own ``valid_to``, else, for a released version,
        the day before the next released version of its folder starts (None: open end).

        The end is derived when it is asked for, so a version published later ends this one
        without changing it.
        """
        header = self._loaded.header
        if header.valid_to is not None or not header.released:
            return header.valid_to
        from ..model.errors import SpsRulesError
        from .loader import ends
        from .registry import cached_versions

        try:
            found = cached_versions(self.id, self._loaded.path.parent.parent)
        except SpsRulesError:  # a file outside a rule-set folder, or a folder that no longer loads
            return None
        return next((end for item, end in ends(found) if item.sha256 == self.sha256), None)

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
    def rules(self) -> tuple[CompiledRule, ...]:
        """Per rule: its position, the facts it reads and whether it can be false."""
        return self._rules

    @property
    def compiled(self) -> CompiledRuleSet:
        """The durable-rules engine's ruleset for this version (compiled on first use)."""
        if self._compiled is None:
            self._compiled = compile_ruleset(self._loaded, self._rules)
        return self._compiled

    @property
    def python(self) -> PythonRuleSet:
        """This version compiled to Python: the default engine."""
        return self._python

    def __repr__(self) -> str:
        return f"RuleSet({self.id!r}, version={self.version!r}, sha256={self.sha256[:12]!r})"

    # --- evaluation ---
    @guarded("RuleSet.evaluate")
    def evaluate(self, facts: FactsInput, *, check_dates: bool = True, engine: Engine = "compiled") -> Decision:
        """The decision for one citizen under this version.

        Takes ``facts``: a ``CitizenFacts``, a mapping, JSON text (``str``/``bytes``) or a ``Path``
        to a JSON file. With ``check_dates`` (the default) the assessment date must lie within
        the dates this version's file states (a version ended by a successor released later is
        caught by ``sps_rules.evaluate``, which picks the version per citizen; see ``last_day``).
        Returns a ``Decision``. Raises ``FactsError`` for bad facts or an assessment date outside
        the version. ``engine`` chooses what decides the rules' states:
        "compiled" (the default) or "durable-rules"; both give byte-identical decisions.
        ``EngineUnavailable`` if durable-rules cannot hold this rule set.

        >>> ruleset = sps_rules.load_ruleset("roskilde")
        >>> ruleset.evaluate({"assessment_date": "2026-03-02", "birth_date": "2010-01-01"}).eligibility
        'not_eligible'
        """
        citizen = quick_facts(facts) if type(facts) is dict else None
        if citizen is None:
            citizen = coerce_facts(facts)
        if check_dates and not self._loaded.covers(citizen.assessment_date):
            raise FactsError(
                f"assessment_date {citizen.assessment_date.isoformat()} is outside rule set {self.id} version "
                f"{self.version} ({self.valid_from} to {self.valid_to or 'open end'}); "
                f"use sps_rules.evaluate({self.id!r}, facts) to pick the version that applies"
            )
        return self._assemble(citizen, self._python.states(citizen) if engine == "compiled" else self.states(citizen, engine))

    def states(self, citizen: CitizenFacts, engine: Engine = "compiled") -> list[int]:
        """Per rule, what the engine found: compiler.NONE (unknown), TRUE or FALSE."""
        if engine == "compiled":
            return self._python.states(citizen)
        if engine == "durable-rules":
            return self.compiled.run(engine_fact(citizen))
        raise EngineUnavailable(f"unknown engine {engine!r}; choose one of: {', '.join(ENGINES)}")

    def disagreements(self, citizen: CitizenFacts) -> list[str]:
        """The ids of the rules whose state the two engines find differently for a citizen (none: they agree).

        ``EngineUnavailable`` if durable-rules cannot run this rule set or this citizen.
        """
        compiled, durable = self.states(citizen, "compiled"), self.states(citizen, "durable-rules")
        return [p.rule.id for p, a, b in zip(self._plans, compiled, durable, strict=True) if a != b]

    def _assemble(self, citizen: CitizenFacts, states: list[int]) -> Decision:
        # Every part is either prebuilt per rule set (see _Tables) or built from values of the
        # right types without validation; a test checks the result equals a fully validated
        # Decision, byte for byte.
        criteria_states = self._criteria_of(states)
        eligibility = ("not_eligible" if FALSE in criteria_states else "undetermined" if NONE in criteria_states
                       else "eligible")
        tables = self._tables[eligibility]

        criteria = list(map(getitem, self._criterion_table, criteria_states))
        given = citizen.__dict__
        missing: dict[str, None] = {}
        if NONE in criteria_states:  # an unknown criterion's reason names what is missing
            levels = given["function_levels"]
            themes = None if levels is None else levels.__dict__
            for position, state in enumerate(criteria_states):
                if state == NONE:
                    lacking = tuple([path for path, field, theme in self._lack_checks[position]
                                     if (given[field] is None if theme is None else themes is None or themes[theme] is None)])
                    criteria[position] = self._unknown_memo.get((position, lacking)) or self._unknown(position, lacking)
                    missing.update(dict.fromkeys(lacking))

        (pick, outputs), (pick_referrals, referral_outputs), (pick_conditions, conditions), \
            (pick_assessments, assessments) = tables.outputs_in_order
        memo = self._deadline_memo
        deadlines = [memo.get((index, given[anchor])) or self._deadline(p, citizen)
                     for index, anchor, p in tables.deadline_anchors if states[index] == TRUE]
        needs = [results[states[index]] for index, results in map(tables.needs.__getitem__, given["needs"] or ())]
        referrals = list(filter(None, map(getitem, referral_outputs, pick_referrals(states))))
        exclusions = []
        requests = []
        if given["requests"]:
            requests = [results[states[index]] for index, results in map(tables.requests.__getitem__, given["requests"])]
            for code in given["requests"]:
                found = tables.exclusions.get(code)
                if found is not None and states[found[0]] == TRUE:
                    exclusion = found[1]
                    exclusions.append(exclusion)
                    if exclusion.referral is not None:
                        referrals.append(exclusion.referral)
        return Decision._trusted({
            "eligibility": eligibility,
            "individual_assessment": self._principle,
            "legal_basis": self._legal_basis,
            "assessment_date": citizen.assessment_date,
            "engine_version": __version__,
            "ruleset": self._ref,
            "criteria": criteria,
            "missing_facts": list(missing),
            "needs": needs,
            "requests": requests,
            "support_forms": list(filter(None, map(getitem, outputs, pick(states)))),
            "exclusions": exclusions,
            "referrals": referrals,
            "conditions": list(filter(None, map(getitem, conditions, pick_conditions(states)))),
            "assessments": list(filter(None, map(getitem, assessments, pick_assessments(states)))),
            "deadlines": deadlines,
            "facts": citizen,
            "derived_facts": {"age": citizen.age()},
            "trace": list(map(getitem, tables.trace, states)),
        })

    def _unknown(self, position: int, lacking: tuple[str, ...]) -> CriterionResult:
        p = self._criteria[position]
        criterion = p.rule.criterion
        reason = criterion.unknown if criterion is not None and criterion.unknown else "Kan ikke afgøres, fordi oplysninger mangler"
        result = CriterionResult(id=p.rule.id, status="unknown", reason=f"{reason} (mangler: {', '.join(lacking)})",
                                 source=p.source)
        return self._unknown_memo.put((position, lacking), result)  # type: ignore[no-any-return]

    def _deadline(self, p: Plan, citizen: CitizenFacts) -> Deadline:
        spec = p.rule.deadline
        assert spec is not None
        anchor: date | None = getattr(citizen, spec.anchor)
        key = (p.index, anchor)
        cached = self._deadline_memo.get(key)
        if cached is not None:
            return cached  # type: ignore[no-any-return]
        if anchor is None:
            deadline = Deadline(
                kind=spec.kind, due=None, earliest=None, anchor=spec.anchor, anchor_date=None,
                status="missing_anchor", counting=f"Kan ikke beregnes: {spec.anchor} er ikke oplyst. Datoen gættes ikke.",
                reason=p.rule.text, source=p.source)
            return self._deadline_memo.put(key, deadline)  # type: ignore[no-any-return]
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
            counting=counting, reason=p.rule.text, source=p.source)
        return self._deadline_memo.put(key, deadline)  # type: ignore[no-any-return]


def _lack_checks(p: Plan) -> tuple[tuple[str, str, str | None], ...]:
    """Per fact a rule reads: the path named as missing, the citizen's field, and the theme for a
    function level (None otherwise). Age is missing when birth_date is."""
    paths = dict.fromkeys(DERIVED_FROM.get(path, path) for path in p.reads)
    return tuple((path, "function_levels", path[16:]) if path.startswith("function_levels.") else (path, path, None)
                 for path in paths)
