"""The durable-rules engine: one session per citizen, cleaned up; thread-safe; flat memory."""

from __future__ import annotations

import gc
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import durable_rules_engine
import pytest

import sps_rules
from sps_rules.compiler import compile_ruleset

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
    rs.evaluate(EXAMPLE)
    last_sid = str(next(rs.compiled._sessions) - 1)  # the session the call above used was the one before
    with pytest.raises(durable_rules_engine.error):
        durable_rules_engine.get_state(rs.compiled._handle, last_sid)


def test_session_state_is_deleted_when_evaluation_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    rs = sps_rules.load_ruleset("roskilde")
    compiled = rs.compiled
    deleted: list[str] = []
    real_delete = durable_rules_engine.delete_state

    def failing(*args: object) -> None:
        raise RuntimeError("engine failure")

    def recording_delete(handle: int, sid: str) -> None:
        deleted.append(sid)
        real_delete(handle, sid)

    monkeypatch.setattr("sps_rules.compiler._engine.start_action_for_state", failing)
    monkeypatch.setattr("sps_rules.compiler._engine.delete_state", recording_delete)
    with pytest.raises(RuntimeError, match="engine failure"):
        compiled.run({"sps": 1, "age": 30})
    assert len(deleted) == 1
    monkeypatch.undo()
    assert rs.evaluate(EXAMPLE).eligibility == "eligible"


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
    from sps_rules.decision import Decision
    from sps_rules.population import citizens

    for municipality in ("roskilde", "gentofte", "faaborg_midtfyn"):
        ruleset = sps_rules.load_ruleset(municipality)
        for facts in citizens(300, seed=7):
            decision = ruleset.evaluate(facts, check_dates=False)
            validated = Decision.model_validate(decision.model_dump())
            assert validated.to_json() == decision.to_json()


def test_memos_stay_bounded() -> None:
    from sps_rules.population import citizens

    ruleset = sps_rules.load_ruleset("roskilde")
    for facts in citizens(3000, seed=11):
        ruleset.evaluate(facts, check_dates=False)
    assert all(len(memo) <= memo.limit for memo in ruleset._trace_memo)
    assert len(ruleset._deadline_memo) <= ruleset._deadline_memo.limit
