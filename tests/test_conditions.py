"""Three-valued conditions compiled to durable-rules: every comparison, on known and unknown facts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import sps_rules

from .conftest import MUNICIPAL_HEADER

RULE = """\
  - id: probe
    text: Prøveregel.
    source: {{section: Målgruppe, quote: Støtten gives som gruppeforløb.}}
    when: {when}
    assessment: {{}}
"""


def truth(root: Path, when: str, facts: dict[str, Any]) -> str:
    path = root / "testkommune" / "testkommune-2024-01.yaml"
    path.write_text(MUNICIPAL_HEADER + RULE.format(when=when), encoding="utf-8")
    ruleset = sps_rules.load_ruleset_file(path)
    decision = ruleset.evaluate({"assessment_date": "2024-05-01", **facts})
    [entry] = [t for t in decision.trace if t.rule_id == "probe"]
    return entry.result


CASES = [
    ("{fact: needs, known: false}", {}, "true"),
    ("{fact: needs, known: false}", {"needs": []}, "false"),
    ("{fact: needs, known: true}", {"needs": ["mail"]}, "true"),
    ("{fact: needs, contains: mail}", {"needs": ["mail"]}, "true"),
    ("{fact: needs, contains: mail}", {"needs": ["finances"]}, "false"),
    ("{fact: needs, contains: mail}", {}, "unknown"),
    ("{fact: requests, contains_any: [transport, escort_only]}", {"requests": ["escort_only"]}, "true"),
    ("{fact: requests, contains_any: [transport, escort_only]}", {"requests": []}, "false"),
    ("{fact: age, at_least: 18}", {"birth_date": "2006-05-01"}, "true"),
    ("{fact: age, at_least: 18}", {"birth_date": "2006-05-02"}, "false"),
    ("{fact: age, at_least: 18}", {}, "unknown"),
    ("{fact: age, greater_than: 18}", {"birth_date": "2006-05-01"}, "false"),
    ("{fact: age, less_than: 18}", {"birth_date": "2006-05-02"}, "true"),
    ("{fact: age, at_most: 17}", {"birth_date": "2006-05-01"}, "false"),
    ("{fact: support_need_level, one_of: [2, 3]}", {"support_need_level": 3}, "true"),
    ("{fact: support_need_level, one_of: [2, 3]}", {"support_need_level": 4}, "false"),
    ("{fact: support_need_level, not_equals: 0}", {"support_need_level": 0}, "false"),
    ("{fact: support_need_level, not_equals: 0}", {}, "unknown"),
    ("{fact: support_start_date, at_least: 2024-01-01}", {"support_start_date": "2024-01-01"}, "true"),
    ("{fact: support_start_date, less_than: 2024-01-01}", {"support_start_date": "2024-01-01"}, "false"),
    ("{fact: resident_municipality, equals: roskilde}", {"resident_municipality": "koege"}, "false"),
    ("{fact: special_social_problems, equals: false}", {"special_social_problems": False}, "true"),
    ("{not: {fact: special_social_problems, equals: true}}", {}, "unknown"),
    ("{not: {fact: special_social_problems, equals: true}}", {"special_social_problems": False}, "true"),
    # Kleene logic: a false part decides 'all', a true part decides 'any', whatever is unknown
    ("{all: [{fact: special_social_problems, equals: true}, {fact: age, at_least: 18}]}",
     {"special_social_problems": False}, "false"),
    ("{all: [{fact: special_social_problems, equals: true}, {fact: age, at_least: 18}]}",
     {"special_social_problems": True}, "unknown"),
    ("{any: [{fact: special_social_problems, equals: true}, {fact: age, at_least: 18}]}",
     {"special_social_problems": True}, "true"),
    ("{any: [{fact: special_social_problems, equals: true}, {fact: age, at_least: 18}]}",
     {"special_social_problems": False}, "unknown"),
    ("{ref: significantly_reduced_function}", {"function_levels": {"physical_functions": 2}}, "true"),
    ("{ref: significantly_reduced_function}", {"function_levels": {"physical_functions": 1}}, "unknown"),
    ("{ref: significantly_reduced_function}",
     {"function_levels": {"physical_functions": 1, "mental_functions": 1}}, "false"),
]


@pytest.mark.parametrize(("when", "facts", "expected"), CASES)
def test_three_valued_condition(rules_copy: Path, when: str, facts: dict[str, Any], expected: str) -> None:
    (rules_copy / "testkommune" / "source" / "standard.txt").write_text(
        "Målgruppe\nStøtten gives som gruppeforløb.\n", encoding="utf-8")
    assert truth(rules_copy, when, facts) == expected
