"""Errors that lead to the fix: every problem in one run, at the key itself, by rule id, with a hint."""

from __future__ import annotations

from pathlib import Path

import pytest

from sps_rules import RuleFileError
from sps_rules.authoring.validate import validate
from sps_rules.engine.loader import load_file

from .conftest import GOOD_RULE, MUNICIPAL_HEADER

AGE_RULE = """\
  - id: target.age2
    text: Du skal være fyldt 18 år.
    source: {section: Målgruppe, quote: Du skal være fyldt 18 år.}
    when:
      all:
        - {fact: age, at_least: 18}
        - {fact: agee, at_least: 18}
    criterion: {met: Fyldt 18., not_met: Under 18., unknown: Ukendt alder.}
"""


def write(root: Path, body: str) -> Path:
    path = root / "testkommune" / "testkommune-2024-01.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(RuleFileError) as caught:
        load_file(path)
    return [str(p) for p in caught.value.problems]


def test_schema_errors_and_errors_of_meaning_come_in_one_run(rules_copy: Path) -> None:
    broken = GOOD_RULE.replace("form.group", "form.other").replace("    text: Støtten gives som gruppeforløb.\n", "")
    found = problems(write(rules_copy, MUNICIPAL_HEADER + broken + AGE_RULE))
    assert any("missing required key 'text' in rule form.other" in p for p in found), found
    assert any("unknown fact 'agee'" in p and "did you mean 'age'" in p for p in found), found
    findings = [str(f) for f in validate(rules_copy / "testkommune" / "testkommune-2024-01.yaml")]
    assert any("missing required key 'text'" in f for f in findings) and any("agee" in f for f in findings)


def test_a_location_names_the_rule_by_id_and_points_at_the_key(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE + AGE_RULE
    [message] = problems(write(rules_copy, body))
    line = body.splitlines().index("        - {fact: agee, at_least: 18}") + 1
    assert f"testkommune-2024-01.yaml:{line}:12: rule target.age2, when.all[1].fact: unknown fact 'agee'" in message


def test_a_misspelt_key_gets_a_did_you_mean(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace("    support_form:", "    interpretaton: læst sådan\n    support_form:")
    [message] = problems(write(rules_copy, body))
    line = body.splitlines().index("    interpretaton: læst sådan") + 1
    assert f":{line}:5: unknown key 'interpretaton' in rule form.group" in message
    assert "did you mean 'interpretation'?" in message


def test_a_misplaced_key_is_moved_not_deleted(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace(
        "    source: {section: Målgruppe, quote: Støtten gives som gruppeforløb.}\n",
        "    source:\n      section: Målgruppe\n      quote: Støtten gives som gruppeforløb.\n"
        "      support_form: {form: group, status: default}\n").replace(
        "    support_form: {form: group, status: default}\n", "", 1)
    found = problems(write(rules_copy, body))
    misplaced = [p for p in found if "unknown key 'support_form'" in p]
    assert misplaced, found
    assert "move it there" in misplaced[0] and "remove" not in misplaced[0]


def test_errors_in_definitions_name_the_definition(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER.replace("rules:\n", "definitions:\n  voksen: {text: voksen, when: {fact: agee, at_least: 18}}\nrules:\n")
    [message] = problems(write(rules_copy, body + GOOD_RULE))
    assert "definition voksen, when.fact: unknown fact 'agee'" in message
