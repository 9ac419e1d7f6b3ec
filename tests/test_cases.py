"""Runs every YAML test case of every rule set, and checks that the cases exercise every rule."""

from __future__ import annotations

from pathlib import Path

import pytest

import sps_rules
from sps_rules.authoring.testcases import CaseResult, case_files, load_cases, run_case

from .conftest import RULES

CASES = [
    pytest.param(path, case, line, id=f"{path.parent.parent.name}:{line}:{case.name}")
    for path in case_files(RULES)
    for case, line in load_cases(path)
]


@pytest.mark.parametrize(("path", "case", "line"), CASES)
def test_case(path: Path, case: object, line: int) -> None:
    result = run_case(case, default_ruleset=path.parent.parent.name, file=str(path), line=line)  # type: ignore[arg-type]
    assert result.passed, f"{path}:{line}: " + "; ".join(result.failures)


def _all_results() -> list[CaseResult]:
    return [run_case(case, default_ruleset=path.parent.parent.name, file=str(path), line=line)
            for path in case_files(RULES) for case, line in load_cases(path)]


def test_every_municipal_rule_set_has_cases() -> None:
    municipal = {rs.id for rs in sps_rules.list_rulesets() if rs.id != "national"}
    with_cases = {p.parent.parent.name for p in case_files(RULES)}
    assert municipal <= with_cases


def test_every_rule_fires_in_some_case_and_every_criterion_takes_every_value() -> None:
    fired: dict[tuple[str, str], set[str]] = {}
    statuses: dict[tuple[str, str], set[str]] = {}
    for result in _all_results():
        d = result.decision
        if d is None:
            continue
        key = (d.ruleset.id, d.ruleset.version)
        fired.setdefault(key, set()).update(t.rule_id for t in d.trace if t.fired)
        for c in d.criteria:
            statuses.setdefault((f"{key[0]}@{key[1]}", c.id), set()).add(c.status)
    problems = []
    for rs in sps_rules.list_rulesets():
        if rs.id == "national":
            continue
        ids = [r.rule.id for r in rs.loaded.rules]
        never = [i for i in ids if i not in fired.get((rs.id, rs.version), set())]
        if never:
            problems.append(f"{rs.id}@{rs.version}: no case fires {never}")
        for r in rs.loaded.rules:
            if r.rule.criterion is not None:
                seen = statuses.get((f"{rs.id}@{rs.version}", r.rule.id), set())
                if seen != {"met", "not_met", "unknown"}:
                    problems.append(f"{rs.id}@{rs.version}: criterion {r.rule.id} only seen as {sorted(seen)}")
    assert not problems, "\n".join(problems)
