"""Zen (the ``zen-engine`` package, GoRules' Rust engine) on the same question, for comparison.

Each rule set's criteria and request exclusions become one Zen expression node: per rule, the
same positive "true" and "false" expressions durable-rules gets (translated from the compiler's
durable-rules JSON), over the same flat fact. Eligibility (three-valued) and the exclusions are
then read from Zen's result, and checked against sps-rules' decision for every citizen. Timed
with Zen's trace on, beside a full sps-rules decision on the compiled engine.

    .venv/bin/pip install zen-engine   # only for this script; not a dependency of sps-rules
    .venv/bin/python benchmarks/zen_compare.py [N]
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import zen  # type: ignore[import-not-found]

import sps_rules
from sps_rules.engine.compiler import MARKER, _Translator, engine_fact, implicit_condition
from sps_rules.engine.evaluator import coerce_facts
from sps_rules.model.population import citizens

_OPS = {"$gte": ">=", "$lte": "<=", "$gt": ">", "$lt": "<", "$neq": "!="}


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return "'" + value + "'"  # slugs and codes only
    return str(value)


def zen_expression(expr: dict[str, Any]) -> str:
    """A durable-rules condition as a Zen expression: an absent key is null and matches nothing."""
    (key, value), = expr.items()
    if key in ("$and", "$or"):
        return "(" + f" {key[1:]} ".join(zen_expression(e) for e in value) + ")"
    if key == "$ex":
        return f"{next(iter(value))} != null"
    if key == "$nex":
        return f"{next(iter(value))} == null"
    if key in _OPS:
        (name, operand), = value.items()
        return f"({name} != null and {name} {_OPS[key]} {_literal(operand)})"
    return f"{key} == {_literal(value)}"


def zen_decision(ruleset: sps_rules.RuleSet) -> tuple[Any, list[tuple[str, str, str | None]]]:
    translator = _Translator(ruleset.loaded.definitions)
    expressions, wanted = [], []
    for item in ruleset.loaded.rules:
        rule = item.rule
        excluded = rule.request is not None and rule.request.status == "excluded"
        if rule.criterion is None and not excluded:
            continue
        condition = implicit_condition(rule)
        assert condition is not None
        name = rule.id.replace(".", "_").replace("-", "_")
        expressions.append({"id": f"{name}_t", "key": f"{name}_t", "value": zen_expression(translator.true(condition))})
        expressions.append({"id": f"{name}_f", "key": f"{name}_f", "value": zen_expression(translator.false(condition))})
        wanted.append((name, "criterion" if rule.criterion else "exclusion",
                       rule.request.code if excluded and rule.request else None))
    content = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "facts", "position": {"x": 0, "y": 0}},
            {"id": "rules", "type": "expressionNode", "name": "rules", "position": {"x": 200, "y": 0},
             "content": {"expressions": expressions}},
            {"id": "out", "type": "outputNode", "name": "result", "position": {"x": 400, "y": 0}},
        ],
        "edges": [{"id": "e1", "sourceId": "in", "targetId": "rules", "type": "edge"},
                  {"id": "e2", "sourceId": "rules", "targetId": "out", "type": "edge"}],
    }
    return zen.ZenEngine().create_decision(json.dumps(content)), wanted


def zen_outcome(result: dict[str, Any], wanted: list[tuple[str, str, str | None]], requests: tuple[str, ...]) -> Any:
    states = ["not_met" if result[f"{n}_f"] else "met" if result[f"{n}_t"] else "unknown"
              for n, kind, _ in wanted if kind == "criterion"]
    eligibility = "not_eligible" if "not_met" in states else "undetermined" if "unknown" in states else "eligible"
    excluded = sorted(code for n, kind, code in wanted if kind == "exclusion" and result[f"{n}_t"] and code in requests)
    return eligibility, excluded


def zen_figures(n: int) -> None:
    print("| rule set | Zen with trace µs | sps-rules full decision µs (compiled) | Zen / sps-rules |")
    print("|---|---|---|---|")
    for name in ("roskilde", "gentofte", "faaborg_midtfyn"):
        ruleset = sps_rules.load_ruleset(name)
        decision, wanted = zen_decision(ruleset)
        people = list(citizens(n, seed=85, assessment_date=ruleset.valid_from))
        facts = [{k: v for k, v in engine_fact(coerce_facts(p)).items() if k != MARKER} for p in people]
        for p, fact in zip(people[:2000], facts, strict=False):  # same answers as sps-rules
            ours = ruleset.evaluate(p, check_dates=False)
            theirs = zen_outcome(decision.evaluate(fact, {"trace": True})["result"], wanted, ours.facts.requests or ())
            assert theirs == (ours.eligibility, sorted(e.request for e in ours.exclusions)), (p, theirs)
        started = time.perf_counter()
        for fact in facts:
            decision.evaluate(fact, {"trace": True})
        zen_us = (time.perf_counter() - started) / n * 1e6
        started = time.perf_counter()
        for p in people:
            ruleset.evaluate(p, check_dates=False)
        ours_us = (time.perf_counter() - started) / n * 1e6
        print(f"| {name} | {zen_us:.1f} | {ours_us:.1f} | {zen_us / ours_us:.1f} |")


if __name__ == "__main__":
    zen_figures(int(sys.argv[1]) if len(sys.argv) > 1 else 5_000)
