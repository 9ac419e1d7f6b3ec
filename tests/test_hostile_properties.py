"""Any input gives a decision or an SpsRulesError, within a time and memory bound.

Facts come from the published facts schema (every field, drawn from what the schema says it
takes) and from arbitrary JSON-like values and text; rule files are the shipped ones, mutated.
(hypothesis-jsonschema 0.23.1, the newest, fails inside hypothesis 6.170, so the schema is read here.)
"""

from __future__ import annotations

import resource
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sps_rules
from sps_rules import CitizenFacts, Decision, RuleFileError, SpsRulesError
from sps_rules.engine.evaluator import RuleSet
from sps_rules.engine.loader import load_text

ROOT = Path(__file__).resolve().parents[1]
ROSKILDE = ROOT / "rules" / "roskilde" / "roskilde-2020-01.yaml"
FIELDS = list(CitizenFacts.model_fields) + ["function_levels.self_care", "x", ""]
TIME_BOUND = 5.0  # seconds for any one input (a decision takes milliseconds)

json_like = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
    | st.sampled_from(["2026-03-02", "1990-05-01", "010190-1234", "yes", "1", "0x10", "NaN"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), inner,
                                                                max_size=6),
    max_leaves=25,
)


def _decides_or_refuses(facts: Any) -> None:
    started = time.perf_counter()
    try:
        result = sps_rules.evaluate("roskilde", facts)
    except SpsRulesError:
        pass
    else:
        assert isinstance(result, Decision)
    assert time.perf_counter() - started < TIME_BOUND


SCHEMA = CitizenFacts.model_json_schema()


def _from_schema(node: dict[str, Any]) -> st.SearchStrategy[Any]:
    """Values a JSON schema node of the facts schema accepts (the kinds it uses: enum, date, pattern...)."""
    if "$ref" in node:
        return _from_schema(SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[-1]])
    if "anyOf" in node:
        return st.one_of([_from_schema(n) for n in node["anyOf"]])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(node.get("minimum", -10), node.get("maximum", 200))
    if kind == "string" and node.get("format") == "date":
        return st.dates().map(lambda d: d.isoformat())
    if kind == "string":
        return st.from_regex(node["pattern"], fullmatch=True) if "pattern" in node else st.text(max_size=10)
    if kind == "array":
        return st.lists(_from_schema(node["items"]), max_size=5)
    if kind == "object":
        fields = {k: _from_schema(v) for k, v in node["properties"].items()}
        required = set(node.get("required", ()))
        return st.fixed_dictionaries({k: v for k, v in fields.items() if k in required},
                                     optional={k: v for k, v in fields.items() if k not in required})
    raise AssertionError(f"the facts schema uses {node}; teach _from_schema about it")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_from_schema(SCHEMA))
def test_facts_from_the_schema_give_a_decision_or_an_sps_rules_error(facts: dict[str, Any]) -> None:
    _decides_or_refuses(facts)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), json_like, max_size=8).map(
    lambda d: {"assessment_date": "2026-03-02", **d}))
def test_any_json_like_facts_give_a_decision_or_an_sps_rules_error(facts: dict[str, Any]) -> None:
    _decides_or_refuses(facts)


@settings(max_examples=200, deadline=None)
@given(json_like | st.text(max_size=80) | st.binary(max_size=80))
def test_any_value_or_text_gives_a_decision_or_an_sps_rules_error(facts: Any) -> None:
    _decides_or_refuses(facts)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(['{"assessment_date":"2026-03-02","support_need_level":%s}',
                        '{"assessment_date":"2026-03-02","needs":%s}', "%s"]),
       st.sampled_from(["1" * 5000, "[" * 3000 + "]" * 3000, "1e999", "-Infinity", '"\\ud800"', "0.1e-99999",
                        '{"a":1,"a":2}']))
def test_hostile_json_text_gives_an_sps_rules_error(template: str, part: str) -> None:
    _decides_or_refuses(template % part)


def _mutate(text: str, data: st.DataObject) -> str:
    lines = text.splitlines(keepends=True)
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(lines) - 1))
        kind = data.draw(st.sampled_from(["drop", "copy", "cut", "insert", "indent", "swap"]))
        if kind == "drop":
            del lines[i]
        elif kind == "copy":
            lines.insert(i, lines[i])
        elif kind == "cut":
            lines[i] = lines[i][: data.draw(st.integers(0, len(lines[i])))] + "\n"
        elif kind == "insert":
            lines[i] = data.draw(st.sampled_from(["{", "[", "- ", ": ", "&a ", "*a ", "!!python/tuple ", "\t", "\x00",
                                                  "0x" + "f" * 40, "'", '"', "? "])) + lines[i]
        elif kind == "indent":
            lines[i] = " " * data.draw(st.integers(1, 6)) + lines[i]
        else:
            j = data.draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        if not lines:
            break
    return "".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_rule_files_give_a_rule_set_or_a_rule_file_error(data: st.DataObject) -> None:
    text = _mutate(ROSKILDE.read_text(encoding="utf-8"), data)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    try:
        ruleset = RuleSet(load_text(text, ROSKILDE))
    except RuleFileError:
        pass
    else:
        assert ruleset.evaluate({"assessment_date": "2026-03-02"}) is not None
    assert time.perf_counter() - started < 20
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 200  # MB
