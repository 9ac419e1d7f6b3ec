"""Hostile rule files: every one is a RuleFileError with a place and plain words, quickly and in bounded memory."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from sps_rules import RuleFileError
from sps_rules.authoring.validate import validate
from sps_rules.engine.checks import MAX_ENGINE_OPERATORS, MAX_EXPANDED_DEPTH, MAX_RULES
from sps_rules.engine.evaluator import RuleSet
from sps_rules.engine.loader import load_file, load_text
from sps_rules.engine.yamlsafe import MAX_DEPTH, MAX_NODES, parse_yaml

from .conftest import GOOD_RULE, MUNICIPAL_HEADER


def write(root: Path, body: str | bytes) -> Path:
    path = root / "testkommune" / "testkommune-2024-01.yaml"
    if isinstance(body, str):
        path.write_text(body, encoding="utf-8")
    else:
        path.write_bytes(body)
    return path


def refused(raw: bytes) -> str:
    with pytest.raises(RuleFileError) as caught:
        parse_yaml(raw, "f.yaml")
    return str(caught.value)


# --- the file itself ------------------------------------------------------------------------------

def test_a_nul_byte_is_named_in_plain_words_with_its_place() -> None:
    message = refused(b"ruleset:\n  id: te\x00st\n")
    assert message.startswith("f.yaml:2:9: filen indeholder et NUL-tegn")
    assert "special characters" not in message and "#x0000" not in message


def test_other_control_characters_are_named_too() -> None:
    assert "usynligt styretegn (U+0007)" in refused(b"a: b\x07\n")


@pytest.mark.parametrize("raw", [b"", b"   \n\n", b"# kun en kommentar\n", b"\xef\xbb\xbf"])
def test_an_empty_file_says_so(raw: bytes) -> None:
    assert "filen er tom" in refused(raw)


def test_an_indentation_tab_is_named() -> None:
    message = refused(b"ruleset:\n  id: x\n\tversion: 1\n")
    assert "f.yaml:3:" in message and "tabulatortegn" in message


def test_a_byte_order_mark_is_harmless() -> None:
    data, _ = parse_yaml(b"\xef\xbb\xbfruleset: {id: x}\n", "f.yaml")
    assert data == {"ruleset": {"id": "x"}}


def test_two_documents_are_named() -> None:
    assert "mere end ét YAML-dokument" in refused(b"a: 1\n---\nb: 2\n")


def test_a_flood_of_flow_items_is_refused_fast() -> None:
    raw = b"[" + b"1," * 490_000 + b"1]"
    started = time.perf_counter()
    message = refused(raw)
    assert f"more than {MAX_NODES:,} values" in message
    assert time.perf_counter() - started < 10  # was 34 s; about 0.5 s on one idle core


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 500, 5_000, 200_000])
def test_deep_flow_nesting_is_an_error_not_a_recursion_error(depth: int) -> None:
    raw = b"[" * depth + b"]" * depth
    if len(raw) > 1_000_000:
        raw = raw[:999_999]
    message = refused(raw)
    assert "nest" in message


def test_deep_block_nesting_is_an_error() -> None:
    raw = "".join(f"{'  ' * i}k{i}:\n" for i in range(600)).encode()
    assert "nesting is deeper" in refused(raw)


@pytest.mark.parametrize("literal", ["0x" + "f" * 5000, "9" * 5000, "-" + "1" * 4400])
def test_huge_integers_are_refused_without_crash(literal: str) -> None:
    assert "at most 30 are accepted" in refused(f"x: {literal}\n".encode())


# --- definitions, rules and header ----------------------------------------------------------------

def _bomb(levels: int) -> str:
    """Each definition refers twice to the one below: 2**levels parts once filled in."""
    body = "definitions:\n  d0: {text: grund, when: {fact: age, at_least: 18}}\n"
    for i in range(1, levels):
        body += f"  d{i}: {{text: led, when: {{all: [{{ref: d{i - 1}}}, {{not: {{ref: d{i - 1}}}}}]}}}}\n"
    return body


def _chain(n: int) -> str:
    body = "definitions:\n  d0: {text: grund, when: {fact: age, at_least: 18}}\n"
    return body + "".join(f"  d{i}: {{text: led, when: {{ref: d{i - 1}}}}}\n" for i in range(1, n))


@pytest.mark.parametrize(("levels", "used"), [(16, True), (22, True), (40, False), (200, False)])
def test_a_ref_bomb_is_refused_fast(rules_copy: Path, levels: int, used: bool) -> None:
    rule = GOOD_RULE + (f"    when: {{ref: d{levels - 1}}}\n" if used else "")
    path = write(rules_copy, MUNICIPAL_HEADER.replace("rules:\n", _bomb(levels) + "rules:\n") + rule)
    started = time.perf_counter()
    with pytest.raises(RuleFileError) as caught:
        load_file(path)
    assert time.perf_counter() - started < 10
    message = str(caught.value)
    assert f"more than {MAX_ENGINE_OPERATORS} all/any/comparison steps" in message
    assert len(caught.value.problems) == 1  # where it starts, not every definition built on it


def test_a_small_ref_tree_still_loads_and_compiles(rules_copy: Path) -> None:
    path = write(rules_copy, MUNICIPAL_HEADER.replace("rules:\n", _bomb(3) + "rules:\n") + GOOD_RULE
                 + "    when: {ref: d2}\n")
    assert RuleSet(load_file(path)).evaluate({"assessment_date": "2024-05-01"}) is not None


@pytest.mark.parametrize("length", [MAX_EXPANDED_DEPTH + 5, 1_000, 3_000])
def test_a_long_chain_of_refs_is_refused(rules_copy: Path, length: int) -> None:
    path = write(rules_copy, MUNICIPAL_HEADER.replace("rules:\n", _chain(length) + "rules:\n") + GOOD_RULE
                 + f"    when: {{ref: d{length - 1}}}\n")
    with pytest.raises(RuleFileError, match="long chain of refs"):
        load_file(path)


def test_a_chain_within_the_limit_compiles(rules_copy: Path) -> None:
    path = write(rules_copy, MUNICIPAL_HEADER.replace("rules:\n", _chain(90) + "rules:\n") + GOOD_RULE
                 + "    when: {ref: d89}\n")
    RuleSet(load_file(path))


def test_a_long_cycle_is_found_in_linear_time(rules_copy: Path) -> None:
    body = "definitions:\n" + "".join(f"  d{i}: {{text: led, when: {{ref: d{(i + 1) % 3000}}}}}\n" for i in range(3000))
    path = write(rules_copy, MUNICIPAL_HEADER.replace("rules:\n", body + "rules:\n") + GOOD_RULE)
    started = time.perf_counter()
    with pytest.raises(RuleFileError, match="cycle"):
        load_file(path)
    assert time.perf_counter() - started < 10


def test_a_rule_without_refs_cannot_explode_either(rules_copy: Path) -> None:
    parts = ", ".join(f"{{any: [{{fact: age, at_least: {i}}}, {{fact: support_need_level, at_least: 2}}]}}"
                      for i in range(12))
    path = write(rules_copy, MUNICIPAL_HEADER + GOOD_RULE + f"    when: {{all: [{parts}]}}\n")
    with pytest.raises(RuleFileError, match="too complex for the rule engine"):
        load_file(path)


def test_too_many_rules_are_refused_with_the_documented_limit(rules_copy: Path) -> None:
    rules = "".join(
        f"  - id: r{i}\n    text: Støtten gives.\n    source: {{section: Målgruppe, quote: Støtten gives som gruppeforløb.}}\n"
        f"    support_form: {{form: group, status: default}}\n"
        for i in range(MAX_RULES + 1))
    with pytest.raises(RuleFileError, match=f"at most {MAX_RULES:,} are supported"):
        load_text(MUNICIPAL_HEADER + rules, rules_copy / "testkommune" / "testkommune-2024-01.yaml")


@pytest.mark.parametrize("day", ["1800-01-01", "1899-12-31", "2201-01-01", "9999-12-31"])
def test_validity_outside_1900_2200_is_a_finding_not_a_crash(rules_copy: Path, day: str) -> None:
    path = write(rules_copy, MUNICIPAL_HEADER.replace("valid_from: 2024-01-01", f"valid_from: {day}") + GOOD_RULE)
    findings = validate(path)
    assert any("outside the years 1900-2200" in str(f) for f in findings), findings
    with pytest.raises(RuleFileError, match=r"testkommune-2024-01.yaml:7:3: valid_from"):
        load_file(path)
