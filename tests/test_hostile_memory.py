"""Drafts do not leak: engine rulesets are shared by content and deleted with their last user."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import durable_rules_engine

from sps_rules.engine import compiler
from sps_rules.engine.evaluator import RuleSet
from sps_rules.engine.loader import load_text

ROSKILDE = Path(__file__).resolve().parents[1] / "rules" / "roskilde" / "roskilde-2020-01.yaml"
FACTS = {"assessment_date": "2026-03-02", "birth_date": "1990-05-01"}


def draft(age: int, version: str = "2020-01") -> str:
    text = ROSKILDE.read_text(encoding="utf-8").replace("at_least: 18", f"at_least: {age}", 1)
    return text.replace('version: "2020-01"', f'version: "{version}"', 1)


def test_drafts_with_the_same_conditions_share_one_engine_ruleset() -> None:
    first = RuleSet(load_text(draft(18, "d-1"), ROSKILDE))
    second = RuleSet(load_text(draft(18, "d-2"), ROSKILDE))
    assert first.sha256 != second.sha256
    assert first.compiled._handle == second.compiled._handle
    assert first.evaluate(FACTS).model_dump() | {"ruleset": None} == second.evaluate(FACTS).model_dump() | {"ruleset": None}


def test_many_drafts_keep_a_bounded_number_of_engine_rulesets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiler, "MAX_COMPILED", 3)
    deleted: list[int] = []
    real_delete = durable_rules_engine.delete_ruleset

    def counting_delete(handle: int) -> None:
        deleted.append(handle)
        real_delete(handle)

    monkeypatch.setattr(durable_rules_engine, "delete_ruleset", counting_delete)
    for age in range(60, 72):
        RuleSet(load_text(draft(age), ROSKILDE)).evaluate(FACTS, engine="durable-rules")
    gc.collect()
    alive = [e for e in compiler._engines.values() if e.name.startswith("sps_roskilde_2020-01_")]
    assert len(deleted) >= 12 - 3 - 1
    assert len(alive) <= 3 + 1


def test_a_dropped_ruleset_in_use_keeps_working(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiler, "MAX_COMPILED", 1)
    kept = RuleSet(load_text(draft(40), ROSKILDE))
    for age in range(41, 45):
        RuleSet(load_text(draft(age), ROSKILDE))
    gc.collect()
    assert kept.evaluate(FACTS).eligibility in {"eligible", "not_eligible", "undetermined"}
