"""Bad rule files: each is refused with file:line, what is wrong and how to fix it; nothing half-loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

import sps_rules
from sps_rules import RuleFileError, RuleSetNotFound
from sps_rules.engine.loader import load_file
from sps_rules.engine.yamlsafe import MAX_BYTES

from .conftest import GOOD_RULE, MUNICIPAL_HEADER


def write(root: Path, body: str, name: str = "testkommune-2024-01.yaml") -> Path:
    path = root / "testkommune" / name
    path.write_text(body, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(RuleFileError) as info:
        load_file(path)
    return [str(p) for p in info.value.problems]


def test_a_good_municipal_file_loads_and_inherits(rules_copy: Path) -> None:
    path = write(rules_copy, MUNICIPAL_HEADER + GOOD_RULE)
    loaded = load_file(path)
    ids = [r.rule.id for r in loaded.rules]
    assert "target.age" in ids and "form.group" in ids
    assert loaded.base is not None and loaded.base.id == "national"
    ruleset = sps_rules.load_ruleset("testkommune", root=rules_copy)
    decision = ruleset.evaluate({"assessment_date": "2024-05-01"})
    assert decision.ruleset.base == "national@2021-08"


def test_unknown_key_is_named_with_its_line(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace("    support_form:", "    colour: blue\n    support_form:")
    [message] = problems(write(rules_copy, body))
    line = body.splitlines().index("    colour: blue") + 1
    assert f"testkommune-2024-01.yaml:{line}:" in message
    assert "unknown key 'colour'" in message and "hint:" in message


def test_broken_yaml_names_the_line(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE + "  - id: [unclosed\n"
    [message] = problems(write(rules_copy, body))
    assert "YAML syntax error" in message
    assert ":18:" in message or ":19:" in message


def test_unknown_fact_gets_a_suggestion(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace("    support_form:", "    when: {fact: agee, at_least: 18}\n    support_form:")
    [message] = problems(write(rules_copy, body))
    assert "unknown fact 'agee'" in message and "did you mean 'age'" in message


def test_unknown_code(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace("    support_form:", "    when: {fact: needs, contains: money}\n    support_form:")
    [message] = problems(write(rules_copy, body))
    assert "unknown code 'money'" in message


def test_comparison_that_does_not_fit_the_fact(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace(
        "    support_form:", "    when: {fact: special_social_problems, at_least: 2}\n    support_form:")
    [message] = problems(write(rules_copy, body))
    assert "'at_least' cannot be used on 'special_social_problems'" in message


def test_level_out_of_range(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace(
        "    support_form:", "    when: {fact: support_need_level, at_least: 7}\n    support_form:")
    assert any("level from 0 to 4" in m for m in problems(write(rules_copy, body)))


def test_quote_not_in_source(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace("quote: Støtten gives som gruppeforløb.", "quote: Støtten gives altid i grupper.")
    [message] = problems(write(rules_copy, body))
    assert "not found verbatim in standard.txt" in message


def test_section_not_in_source(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace("section: Målgruppe", "section: Formål")
    [message] = problems(write(rules_copy, body))
    assert "section 'Formål'" in message


def test_duplicate_key(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace("    text: Støtten", "    text: x\n    text: Støtten")
    [message] = problems(write(rules_copy, body))
    assert "duplicate key 'text'" in message


def test_anchors_and_aliases_are_refused(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace("text: Støtten gives som gruppeforløb.", "text: &t Støtten gives som gruppeforløb.") \
        + GOOD_RULE.replace("id: form.group", "id: form.group2").replace("text: Støtten gives som gruppeforløb.", "text: *t")
    assert any("anchors and aliases" in m for m in problems(write(rules_copy, body)))


def test_billion_laughs_is_refused_fast(rules_copy: Path) -> None:
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n"
        for i in range(8))
    assert any("anchors and aliases" in m for m in problems(write(rules_copy, bomb)))


def test_python_tags_are_refused(rules_copy: Path) -> None:
    body = "ruleset: !!python/object/apply:os.system ['echo owned']\n"
    [message] = problems(write(rules_copy, body))
    assert "not allowed" in message and ":1:" in message


def test_non_utf8_is_refused(rules_copy: Path) -> None:
    path = rules_copy / "testkommune" / "testkommune-2024-01.yaml"
    path.write_bytes(MUNICIPAL_HEADER.encode("utf-8") + "  - id: målgruppe\n".encode("latin-1"))
    [message] = problems(path)
    assert "not UTF-8" in message and ":14:" in message


def test_oversize_file_is_refused(rules_copy: Path) -> None:
    path = rules_copy / "testkommune" / "testkommune-2024-01.yaml"
    path.write_bytes(b"# " + b"x" * MAX_BYTES + b"\n")
    [message] = problems(path)
    assert "at most" in message


def test_deep_nesting_is_refused(rules_copy: Path) -> None:
    body = "a: " + "[" * 60 + "]" * 60 + "\n"
    assert any("deeper than" in m for m in problems(write(rules_copy, body)))


def test_rule_without_citation(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace(
        "    source: {section: Målgruppe, quote: Støtten gives som gruppeforløb.}\n", "")
    [message] = problems(write(rules_copy, body))
    assert "missing required key 'source' in rule form.group" in message


def test_rule_with_two_conclusions(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE + "    condition: {category: scope}\n"
    assert any("exactly one conclusion" in m for m in problems(write(rules_copy, body)))


def test_baseline_id_needs_explicit_override(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace("id: form.group", "id: target.age")
    [message] = problems(write(rules_copy, body))
    assert "already used by the baseline" in message and "override: true" in message


def test_override_without_baseline_rule(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace("    text:", "    override: true\n    text:", 1)
    [message] = problems(write(rules_copy, body))
    assert "no baseline rule has that id" in message


def test_duplicate_rule_id(rules_copy: Path) -> None:
    [message] = problems(write(rules_copy, MUNICIPAL_HEADER + GOOD_RULE + GOOD_RULE))
    assert "duplicate rule id 'form.group'" in message


def test_unknown_definition(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace("    support_form:", "    when: {ref: target_group_58}\n    support_form:")
    [message] = problems(write(rules_copy, body))
    assert "unknown definition 'target_group_58'" in message and "target_group_85" in message


def test_missing_source_file(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER.replace("source/standard.txt", "source/missing.txt") + GOOD_RULE
    assert any("source text 'source/missing.txt' not found" in m for m in problems(write(rules_copy, body)))


def test_deadline_anchor_must_be_a_date(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace(
        "    support_form: {form: group, status: default}",
        "    deadline: {kind: follow_up, anchor: age, add: {months: 3}}")
    assert any("not a date fact" in m for m in problems(write(rules_copy, body)))


def test_unknown_baseline_version(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER.replace('version: "2021-08"}', 'version: "1999-01"}') + GOOD_RULE
    assert any("no version '1999-01'" in m for m in problems(write(rules_copy, body)))


def test_every_problem_is_reported_at_once(rules_copy: Path) -> None:
    body = MUNICIPAL_HEADER + GOOD_RULE.replace("quote: Støtten gives som gruppeforløb.", "quote: nope nope") \
        + GOOD_RULE.replace("id: form.group", "id: form.other").replace("section: Målgruppe", "section: Nowhere")
    assert len(problems(write(rules_copy, body))) == 2


def test_overlapping_versions(rules_copy: Path) -> None:
    write(rules_copy, MUNICIPAL_HEADER + GOOD_RULE)
    write(rules_copy, MUNICIPAL_HEADER.replace('"2024-01"', '"2025-01"') + GOOD_RULE,  # starts the same day
          name="testkommune-2025-01.yaml")
    with pytest.raises(RuleFileError, match="overlaps version 2024-01"):
        sps_rules.load_ruleset("testkommune", root=rules_copy)


def test_nothing_half_loaded(rules_copy: Path) -> None:
    good = write(rules_copy, MUNICIPAL_HEADER + GOOD_RULE)
    before = sps_rules.load_ruleset("testkommune", root=rules_copy)
    good.write_text(MUNICIPAL_HEADER + GOOD_RULE.replace("support_form", "suport_form"), encoding="utf-8")
    with pytest.raises(RuleFileError):
        sps_rules.load_ruleset("testkommune", root=rules_copy)
    # the earlier, valid version object is untouched and still evaluates
    assert before.evaluate({"assessment_date": "2024-05-01"}).ruleset.sha256 == before.sha256


def test_unknown_ruleset_and_date() -> None:
    with pytest.raises(RuleSetNotFound, match="known rule sets"):
        sps_rules.load_ruleset("atlantis")
    with pytest.raises(RuleSetNotFound, match="no version of rule set 'roskilde' applies on 1999-01-01"):
        sps_rules.evaluate("roskilde", {"assessment_date": "1999-01-01"})
    with pytest.raises(RuleSetNotFound, match="not a rule set name"):
        sps_rules.load_ruleset("../etc")
