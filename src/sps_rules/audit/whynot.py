"""Why not, and what would change it: found by re-evaluating variants of the facts, never guessed.

For a decision that is ``not_eligible`` or ``undetermined``, every fact a criterion reads is
varied, one at a time, over its possible values (levels 0..4, true/false, the municipality
slugs and age thresholds the rule set itself names). Each variant is evaluated under the same
rule-set version; the variants that change the outcome are reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta

from ..engine.tables import DERIVED_FROM
from ..engine.evaluator import FactsInput, RuleSet, coerce_facts
from ..engine.registry import load_ruleset
from ..model.errors import guarded
from ..model.facts import VOCABULARY, FactKind
from ..model.schema import fact_tests


@dataclass(frozen=True)
class Change:
    """Setting ``fact`` to ``value`` (from ``current``) would make the outcome ``eligibility``."""

    fact: str
    current: Any
    value: Any
    eligibility: str


@dataclass(frozen=True)
class Fix:
    """Setting ``fact`` to ``value`` would make the criterion ``criterion`` met."""

    criterion: str
    status: str  # the criterion's status now
    fact: str
    value: Any


@dataclass(frozen=True)
class WhyNot:
    eligibility: str
    deciding_facts: list[str]  # the facts of the criteria that are not met or unknown
    changes: list[Change]  # single changes that alter the outcome
    fixes: list[Fix]  # single changes that make one failing criterion met


def analyse(ruleset: RuleSet, facts: FactsInput) -> WhyNot:
    """Why-not under one given rule-set version (see ``why_not``)."""
    citizen = coerce_facts(facts)
    base = ruleset.evaluate(citizen, check_dates=False)
    given = citizen.model_dump(mode="json", exclude_none=True)
    criteria = [r for r in ruleset.rules if r.loaded.rule.criterion is not None]
    failing = {c.id for c in base.criteria if c.status != "met"}
    deciding: dict[str, None] = {}
    for rule in criteria:
        if rule.loaded.rule.id in failing:
            for path in rule.reads:
                deciding[DERIVED_FROM.get(path, path)] = None
    if base.eligibility == "eligible":
        return WhyNot(base.eligibility, [], [], [])
    status_now = {c.id: c.status for c in base.criteria}
    readable: dict[str, None] = {}
    for rule in criteria:
        for path in rule.reads:
            readable[path] = None
    constants = _constants(ruleset)
    changes: list[Change] = []
    fixes: list[Fix] = []
    for path in readable:
        target = DERIVED_FROM.get(path, path)
        current = _get(given, target)
        for value in _variants(path, constants.get(path, []), citizen.assessment_date):
            if value == current:
                continue
            variant = ruleset.evaluate(_set(given, target, value), check_dates=False)
            if variant.eligibility != base.eligibility:
                changes.append(Change(target, current, value, variant.eligibility))
            for c in variant.criteria:
                if c.id in failing and c.status == "met":
                    fixes.append(Fix(c.id, status_now[c.id], target, value))
    return WhyNot(base.eligibility, list(deciding), changes, fixes)


def _variants(path: str, constants: list[Any], assessment: date) -> list[Any]:
    spec = VOCABULARY[path]
    if spec.kind is FactKind.BOOL:
        return [True, False]
    if spec.kind is FactKind.LEVEL:
        return [0, 1, 2, 3, 4]
    if spec.kind is FactKind.SLUG:
        return sorted({str(c) for c in constants})
    if path == "age":
        ages = sorted({int(c) for c in constants} | {int(c) - 1 for c in constants})
        return [(assessment - relativedelta(years=a)).isoformat() for a in ages if a >= 0]
    return []


def _get(facts: dict[str, Any], path: str) -> Any:
    head, _, tail = path.partition(".")
    value = facts.get(head)
    return value.get(tail) if tail and isinstance(value, dict) else (None if tail else value)


def _set(facts: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = dict(facts)
    head, _, tail = path.partition(".")
    if tail:
        out[head] = {**(out.get(head) or {}), tail: value}
    else:
        out[head] = value
    return out


def _constants(ruleset: RuleSet) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    definitions = ruleset.loaded.definitions
    for item in ruleset.loaded.rules:
        if item.rule.when is not None:
            for test in fact_tests(item.rule.when, definitions):
                values = test.value if isinstance(test.value, list) else [test.value]
                found.setdefault(test.fact, []).extend(v for v in values if not isinstance(v, bool) or test.comparison != "known")
    return found


@guarded("why_not")
def why_not(municipality: str, facts: FactsInput, *, root: Path | str | None = None) -> WhyNot:
    """For a not_eligible or undetermined outcome: the deciding facts and the single changes that alter it.

    Every change is found by re-evaluating a variant of the facts under the same version, so each
    claim holds by construction. Takes the same as ``evaluate`` (facts: a ``CitizenFacts``, a
    mapping, JSON text or a ``Path``). Returns a ``WhyNot`` (``.deciding_facts``, ``.changes``,
    ``.fixes``). Raises ``FactsError`` and ``RuleSetNotFound`` as ``evaluate``.

    >>> facts = {"assessment_date": "2026-03-02", "birth_date": "1990-01-01", "resident_municipality": "roskilde",
    ...          "function_levels": {"mental_functions": 3}, "support_need_level": 1,
    ...          "need_met_by_less_intrusive_offer": False}
    >>> [(c.fact, c.value, c.eligibility) for c in sps_rules.why_not("roskilde", facts).changes][:1]
    [('support_need_level', 2, 'eligible')]
    """
    citizen = coerce_facts(facts)
    return analyse(load_ruleset(municipality, citizen.assessment_date, root=root), citizen)
