"""The durable-rules engine: one session per citizen, cleaned up; thread-safe; flat memory."""

from __future__ import annotations

import gc
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import durable_rules_engine
import pytest

import sps_rules
from sps_rules.engine.compiler import compile_ruleset

from .conftest import ROOT

EXAMPLE = json.loads((ROOT / "examples" / "roskilde-citizen.json").read_text(encoding="utf-8"))


def _rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def test_each_rule_set_version_compiles_once() -> None:
    rs = sps_rules.load_ruleset("roskilde")
    assert compile_ruleset(rs.loaded) is rs.compiled
    assert sps_rules.load_ruleset("roskilde") is rs


def test_session_state_is_deleted_after_each_evaluation() -> None:
    rs = sps_rules.load_ruleset("roskilde")
    rs.evaluate(EXAMPLE, engine="durable-rules")
    last_sid = str(next(rs.compiled._sessions) - 1)  # the session the call above used was the one before
    with pytest.raises(durable_rules_engine.error):
        durable_rules_engine.get_state(rs.compiled._handle, last_sid)


def test_a_session_that_cannot_be_drained_is_left_not_deleted(monkeypatch: pytest.MonkeyPatch) -> None:
    """Deleting a session with actions still queued corrupts durable-rules' memory (SIGABRT): never do it."""
    rs = sps_rules.load_ruleset("roskilde")
    compiled = rs.compiled
    deleted: list[str] = []
    real_delete = durable_rules_engine.delete_state
    abandoned = compiled.abandoned

    def failing(*args: object) -> None:
        raise RuntimeError("engine failure")

    def recording_delete(handle: int, sid: str) -> None:
        deleted.append(sid)
        real_delete(handle, sid)

    monkeypatch.setattr("sps_rules.engine.compiler._engine.start_action_for_state", failing)
    monkeypatch.setattr("sps_rules.engine.compiler._engine.delete_state", recording_delete)
    with pytest.raises(RuntimeError, match="engine failure"):
        compiled.run({"sps": 1, "age": 30})
    assert deleted == []
    assert compiled.abandoned == abandoned + 1
    monkeypatch.undo()
    assert rs.evaluate(EXAMPLE, engine="durable-rules").eligibility == "eligible"


def test_eight_threads_give_the_sequential_results() -> None:
    citizens = []
    for i in range(200):
        facts = dict(EXAMPLE)
        facts["birth_date"] = f"{1950 + i % 60}-0{1 + i % 9}-1{i % 9}"
        facts["support_need_level"] = i % 5
        facts["function_levels"] = {"mental_functions": i % 5}
        facts["support_start_date"] = f"2026-0{1 + i % 9}-{10 + i % 19}"
        citizens.append(facts)
    sequential = [sps_rules.evaluate("roskilde", c).to_json() for c in citizens]
    with ThreadPoolExecutor(max_workers=8) as pool:
        parallel = list(pool.map(lambda c: sps_rules.evaluate("roskilde", c).to_json(), citizens * 4))
    assert parallel == sequential * 4


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc to read RSS")
def test_memory_stays_flat_over_100k_decisions() -> None:
    rs = sps_rules.load_ruleset("roskilde")
    citizen = sps_rules.CitizenFacts.model_validate(EXAMPLE)
    for _ in range(5_000):
        rs.evaluate(citizen)
    gc.collect()
    before = _rss_kb()
    for _ in range(100_000):
        rs.evaluate(citizen)
    gc.collect()
    growth_mb = (_rss_kb() - before) / 1024
    assert growth_mb < 10, f"RSS grew {growth_mb:.1f} MB over 100k decisions"


def test_fast_assembly_equals_a_fully_validated_decision() -> None:
    from sps_rules.model.decision import Decision
    from sps_rules.model.population import citizens

    for municipality in ("roskilde", "gentofte", "faaborg_midtfyn"):
        ruleset = sps_rules.load_ruleset(municipality)
        for facts in citizens(300, seed=7):
            decision = ruleset.evaluate(facts, check_dates=False)
            validated = Decision.model_validate(decision.model_dump())
            assert validated.to_json() == decision.to_json()


def test_memos_stay_bounded() -> None:
    from sps_rules.model.population import citizens

    ruleset = sps_rules.load_ruleset("roskilde")
    for facts in citizens(3000, seed=11):
        ruleset.evaluate(facts, check_dates=False)
    assert len(ruleset._unknown_memo) <= ruleset._unknown_memo.limit
    assert len(ruleset._deadline_memo) <= ruleset._deadline_memo.limit


def test_trusted_construction_equals_model_construct() -> None:
    from sps_rules.model.decision import Decision

    decision = sps_rules.evaluate("roskilde", EXAMPLE)
    fields = dict(decision.__dict__)
    assert list(fields) == list(Decision.model_fields), "the evaluator must pass every field, in order"
    constructed = Decision.model_construct(**fields)
    assert Decision._trusted(dict(fields)) == constructed
    assert Decision._trusted(dict(fields)).model_fields_set == constructed.model_fields_set
    assert Decision._trusted(dict(fields)).to_json() == constructed.to_json()


def test_each_trace_entry_names_the_facts_it_read() -> None:
    decision = sps_rules.evaluate("roskilde", EXAMPLE)
    age = decision.values_read("target.age")
    assert age == {"birth_date": "1991-09-14", "age": 34}
    assert decision.derived_facts == {"age": 34}
    levels = next(e for e in decision.trace if "function_levels.mental_functions" in e.reads)
    assert decision.values_read(levels)["function_levels.mental_functions"] == 3
    needs = next(e for e in decision.trace if e.rule_id.startswith("need.") and "needs" in e.reads)
    assert decision.values_read(needs)["needs"] == ["daily_structure", "finances", "mail", "social_relations"]
    assert all(e.reads == () for e in decision.trace if e.kind == "principle")
    with pytest.raises(KeyError, match="no rule 'nope'"):
        decision.values_read("nope")


def test_engine_fact_matches_the_vocabulary() -> None:
    """The fast engine_fact agrees with the obvious construction from fact_values, path by path."""
    from datetime import date

    from sps_rules.engine.compiler import code_key, engine_fact, engine_key
    from sps_rules.model.facts import VOCABULARY, FactKind, fact_values
    from sps_rules.model.population import citizens

    for facts in citizens(300, seed=3, unknown_share=0.3):
        citizen = sps_rules.CitizenFacts.model_validate(facts)
        expected: dict[str, object] = {"sps": 1, "id": "citizen"}
        for path, value in fact_values(citizen).items():
            spec = VOCABULARY[path]
            if value is None:
                continue
            if spec.kind is FactKind.DATE:
                expected[engine_key(path)] = date.fromisoformat(str(value)).toordinal()
            elif spec.kind is FactKind.CODES:
                assert isinstance(value, tuple)
                expected[engine_key(path)] = len(value)
                expected.update({code_key(path, code): code in value for code in spec.codes})
            else:
                expected[engine_key(path)] = value
        assert engine_fact(citizen) == expected


def test_a_rule_both_true_and_false_is_an_internal_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from sps_rules.engine.compiler import TRUE, engine_fact

    compiled = sps_rules.load_ruleset("roskilde").compiled
    citizen = sps_rules.CitizenFacts.model_validate(EXAMPLE)
    states = compiled.run(engine_fact(citizen))
    target = next(r for r in compiled.rules if r.has_false and states[r.index] == TRUE)
    extra = [f'{{"{compiled._probe_names[2 * target.index + 1]}":{{"m":{{}}}}}}']  # its false probe, too
    real = durable_rules_engine.complete_and_start_action

    drained: list[bool] = []

    def with_extra(handle: int, state: int) -> str | None:
        message = None if drained else real(handle, state)
        if message is None and extra:
            drained.append(True)
            return extra.pop()
        return message

    monkeypatch.setattr("sps_rules.engine.compiler._engine.complete_and_start_action", with_extra)
    with pytest.raises(RuntimeError, match=f"internal error: rule {target.loaded.rule.id} is both true and false"):
        compiled.run(engine_fact(citizen))
