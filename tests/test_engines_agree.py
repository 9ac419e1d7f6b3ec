"""The two engines (the rule set compiled to Python, and durable-rules) give byte-identical decisions."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

import sps_rules
from sps_rules.engine.evaluator import coerce_facts
from sps_rules.engine.loader import load_file
from sps_rules.engine.registry import ruleset_for
from sps_rules.model.errors import EngineUnavailable, RuleFileError
from sps_rules.model.facts import NEED_CODES, REQUEST_CODES, THEMES
from sps_rules.model.population import citizens as population
from sps_rules.run.synthetic import write_synthetic

from .conftest import ROOT
from .test_properties import citizens

VERSIONS = [(rs.id, rs.version) for rs in sps_rules.list_rulesets()]
EXAMPLE = json.loads((ROOT / "examples" / "roskilde-citizen.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("ruleset_id", "version"), VERSIONS)
def test_every_shipped_version_decides_byte_identically_on_both_engines(ruleset_id: str, version: str) -> None:
    ruleset = sps_rules.load_ruleset_version(ruleset_id, version)
    people = [*population(2000, seed=17, assessment_date=ruleset.valid_from),
              *population(1000, seed=18, assessment_date=ruleset.valid_from, unknown_share=0.5)]
    for facts in people:
        citizen = coerce_facts(facts)
        compiled = ruleset.evaluate(citizen, check_dates=False, engine="compiled")
        durable = ruleset.evaluate(citizen, check_dates=False, engine="durable-rules")
        assert compiled.to_json() == durable.to_json(), facts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(VERSIONS), citizens())
def test_engines_agree_on_any_citizen(version: tuple[str, str], facts: dict[str, object]) -> None:
    ruleset = sps_rules.load_ruleset_version(*version)
    citizen = coerce_facts(facts)
    assert ruleset.disagreements(citizen) == []
    assert (ruleset.evaluate(citizen, check_dates=False).to_json()
            == ruleset.evaluate(citizen, check_dates=False, engine="durable-rules").to_json())


# --- random conditions: every comparison, nested, on both engines -------------------------------

_DAY = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)).map(date.isoformat)
_LEAVES = st.one_of(
    st.builds(lambda t, op, v: {"fact": f"function_levels.{t}", op: v}, st.sampled_from(THEMES),
              st.sampled_from(["equals", "not_equals", "at_least", "at_most", "greater_than", "less_than"]),
              st.integers(0, 4)),
    st.builds(lambda v: {"fact": "support_need_level", "one_of": v}, st.lists(st.integers(0, 4), min_size=1, max_size=3)),
    st.builds(lambda op, v: {"fact": "age", op: v}, st.sampled_from(["at_least", "less_than", "equals"]),
              st.integers(15, 70)),
    st.builds(lambda f, op, v: {"fact": f, op: v}, st.sampled_from(["special_social_problems", "wants_to_participate"]),
              st.sampled_from(["equals", "not_equals"]), st.booleans()),
    st.builds(lambda v: {"fact": "resident_municipality", "one_of": v},
              st.lists(st.sampled_from(["roskilde", "koege", "gentofte"]), min_size=1, max_size=2)),
    st.builds(lambda f, c: {"fact": f[0], "contains": c(f[1])},
              st.sampled_from([("needs", NEED_CODES), ("requests", REQUEST_CODES)]),
              st.just(lambda codes: codes[0])),
    st.builds(lambda v: {"fact": "needs", "contains_any": v}, st.lists(st.sampled_from(NEED_CODES), min_size=1, max_size=3)),
    st.builds(lambda op, v: {"fact": "decision_notified_date", op: v},
              st.sampled_from(["at_least", "at_most", "equals", "not_equals"]), _DAY),
    st.builds(lambda f, k: {"fact": f, "known": k}, st.sampled_from(["birth_date", "needs", "function_levels.self_care"]),
              st.booleans()),
    st.just({"ref": "significantly_reduced_function"}),
)
_CONDITIONS = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(st.builds(lambda xs: {"all": xs}, st.lists(inner, min_size=1, max_size=3)),
                            st.builds(lambda xs: {"any": xs}, st.lists(inner, min_size=1, max_size=3)),
                            st.builds(lambda x: {"not": x}, inner)),
    max_leaves=6,
)


def _flow(value: object) -> str:
    """YAML flow text; plain scalars unquoted, so dates stay dates."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return json.dumps(value) if isinstance(value, bool) else str(value)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(_CONDITIONS, min_size=1, max_size=12))
def test_engines_agree_on_random_conditions(tmp_path_factory: pytest.TempPathFactory, conditions: list[object]) -> None:
    folder = tmp_path_factory.mktemp("random")
    try:
        loaded = load_file(write_synthetic(folder, len(conditions), [_flow(c) for c in conditions]))
    except RuleFileError as exc:  # the loader refuses what durable-rules could not build: nothing to compare
        assert all("too complex for the rule engine" in p.message for p in exc.problems), exc
        reject()
    ruleset = ruleset_for(loaded)
    for facts in population(150, seed=len(conditions), assessment_date=date(2026, 3, 2), unknown_share=0.3):
        citizen = coerce_facts(facts)
        assert ruleset.disagreements(citizen) == [], (conditions, facts)


def test_a_generated_200_rule_set_agrees_on_both_engines(tmp_path: Path) -> None:
    ruleset = ruleset_for(load_file(write_synthetic(tmp_path, 200)))
    for facts in population(1000, seed=5, assessment_date=ruleset.valid_from):
        assert ruleset.disagreements(coerce_facts(facts)) == [], facts


# --- choosing the engine, and what each reports ----------------------------------------------------


def test_an_unknown_engine_is_a_clear_error() -> None:
    with pytest.raises(EngineUnavailable, match="unknown engine 'rete'; choose one of: compiled, durable-rules"):
        sps_rules.evaluate("roskilde", EXAMPLE, engine="rete")  # type: ignore[arg-type]


def test_the_default_engine_never_builds_the_durable_rules_ruleset(tmp_path: Path) -> None:
    ruleset = ruleset_for(load_file(write_synthetic(tmp_path, 30)))
    ruleset.evaluate(EXAMPLE, check_dates=False)
    assert ruleset._compiled is None


def test_cli_evaluate_gives_the_same_bytes_on_both_engines() -> None:
    example = str(ROOT / "examples" / "roskilde-citizen.json")
    outputs = [subprocess.run([sys.executable, "-m", "sps_rules.cli", "evaluate", "roskilde", example, "--format", "json",
                               "--engine", engine], capture_output=True, check=True, timeout=120).stdout
               for engine in ("compiled", "durable-rules")]
    assert outputs[0] == outputs[1]
    assert json.loads(outputs[0])["eligibility"] == "eligible"


def test_replay_on_both_engines_says_they_agree(tmp_path: Path) -> None:
    record = sps_rules.record("roskilde", EXAMPLE)
    result = sps_rules.replay(record, engine="both")
    assert result.reproduced and result.engines_agree
    lines = result.report().splitlines()
    assert lines[0] == "reproduced exactly"
    assert "two independent engines (the compiled rule set and durable-rules) agree" in lines


def test_replay_reports_engines_that_disagree(monkeypatch: pytest.MonkeyPatch) -> None:
    record = sps_rules.record("roskilde", EXAMPLE)
    ruleset = sps_rules.load_ruleset("roskilde")
    real = ruleset.compiled.run

    def flipped(fact: dict[str, object]) -> list[int]:
        states = real(fact)
        states[1] = 3 - states[1] if states[1] else 1  # target.age: true <-> false
        return states

    monkeypatch.setattr(ruleset.compiled, "run", flipped)
    result = sps_rules.replay(record, engine="both")
    assert not result.reproduced and result.engines_agree is False
    assert "the two engines disagree" in result.report() and "target.age" in result.report()


def test_validate_fails_when_the_engines_disagree(monkeypatch: pytest.MonkeyPatch) -> None:
    from sps_rules.authoring.validate import validate

    ruleset = sps_rules.load_ruleset("roskilde")
    real = ruleset.compiled.run
    monkeypatch.setattr(ruleset.compiled, "run", lambda fact: [0] * len(real(fact)))
    findings = [f for f in validate(ROOT / "rules" / "roskilde" / "roskilde-2020-01.yaml") if f.severity == "error"]
    assert any("the two engines disagree" in str(f) for f in findings), findings
