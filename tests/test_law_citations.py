"""Citations: several per rule, statute sources with their provenance, quotes that cannot be gamed,
sources confined to the rule set's folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import sps_rules
from sps_rules import RuleFileError
from sps_rules.audit.explain import cite
from sps_rules.engine.loader import load_file
from sps_rules.model.decision import SourceRef

from .conftest import GOOD_RULE, MUNICIPAL_HEADER

STATUTE = """\
SERVICELOVEN — uddrag til test
========
§ 85
§ 85. Kommunalbestyrelsen skal tilbyde hjælp, omsorg eller støtte til personer, der har behov herfor.

§ 141
§ 141. Når der ydes hjælp, skal kommunalbestyrelsen skønne, om det er hensigtsmæssigt at tilbyde en handleplan.
Stk. 2. Kommunalbestyrelsen skal tilbyde at udarbejde en handleplan, når hjælpen ydes til personer med betydelig nedsat funktionsevne.
"""

STATUTE_SOURCE = """\
    - id: sel
      title: Serviceloven (uddrag)
      file: source/sel.txt
      kind: statute
      law: serviceloven
      consolidation: {type: LBK, number: 1129, date: 2025-09-22}
      eli: https://www.retsinformation.dk/eli/lta/2025/1129
"""


def write(root: Path, body: str) -> Path:
    (root / "testkommune" / "source" / "sel.txt").write_text(STATUTE, encoding="utf-8")
    path = root / "testkommune" / "testkommune-2024-01.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def with_statute(rules: str) -> str:
    return MUNICIPAL_HEADER.replace("rules:\n", STATUTE_SOURCE + "rules:\n") + rules


def problems(path: Path) -> list[str]:
    with pytest.raises(RuleFileError) as info:
        load_file(path)
    return [str(p) for p in info.value.problems]


TWO_CITATIONS = """\
  - id: form.group
    text: Støtten gives som gruppeforløb.
    source: {section: Målgruppe, quote: Støtten gives som gruppeforløb.}
    also:
      - document: sel
        paragraph: § 85
        quote: Kommunalbestyrelsen skal tilbyde hjælp, omsorg eller støtte
    support_form: {form: group, status: default}
"""


def test_a_rule_cites_the_standard_and_the_statute_and_the_decision_shows_both(rules_copy: Path) -> None:
    write(rules_copy, with_statute(TWO_CITATIONS))
    decision = sps_rules.load_ruleset("testkommune", root=rules_copy).evaluate({"assessment_date": "2024-05-01"})
    [form] = [f for f in decision.support_forms if f.form == "group"]
    assert form.source.kind == "standard" and form.source.citation is None
    [statute] = form.source.also
    assert statute.kind == "statute" and statute.section == "§ 85"
    assert statute.citation == "serviceloven § 85, jf. LBK nr 1129 af 22/09/2025"
    assert "serviceloven § 85, jf. LBK nr 1129 af 22/09/2025: »Kommunalbestyrelsen" in cite(form.source)
    assert '"citation":"serviceloven § 85, jf. LBK nr 1129 af 22/09/2025"' in decision.to_json(indent=None)


def test_a_statute_quote_must_stand_in_the_cited_stk(rules_copy: Path) -> None:
    rule = TWO_CITATIONS.replace("paragraph: § 85", "paragraph: § 141\n        stk: 2").replace(
        "quote: Kommunalbestyrelsen skal tilbyde hjælp, omsorg eller støtte",
        "quote: skønne, om det er hensigtsmæssigt")
    [message] = problems(write(rules_copy, with_statute(rule)))
    assert "not found verbatim in § 141, stk. 2 of sel.txt" in message
    good = rule.replace("quote: skønne, om det er hensigtsmæssigt", "quote: tilbyde at udarbejde en handleplan")
    load_file(write(rules_copy, with_statute(good)))


@pytest.mark.parametrize(("change", "expected"), [
    ("paragraph: § 86", "§ 86 is not in sel.txt"),
    ("paragraph: § 141\n        stk: 5", "§ 141 has no stk. 5"),
    ("section: Målgruppe", "needs 'paragraph'"),
])
def test_a_statute_citation_names_an_existing_paragraph_and_stk(rules_copy: Path, change: str, expected: str) -> None:
    rule = TWO_CITATIONS.replace("paragraph: § 85", change)
    assert any(expected in m for m in problems(write(rules_copy, with_statute(rule))))


def test_a_statute_source_needs_its_provenance(rules_copy: Path) -> None:
    body = with_statute(TWO_CITATIONS).replace("      eli: https://www.retsinformation.dk/eli/lta/2025/1129\n", "")
    assert any("a statute source needs law, consolidation and eli" in m for m in problems(write(rules_copy, body)))


def test_a_standard_is_cited_by_section_not_paragraph(rules_copy: Path) -> None:
    rule = GOOD_RULE.replace("source: {section: Målgruppe,", "source: {paragraph: § 85,")
    assert any("'paragraph' belongs to a statute" in m for m in problems(write(rules_copy, MUNICIPAL_HEADER + rule)))


@pytest.mark.parametrize("quote", ["'<not in the text>'", "'<b></b> ... '", "'...'", "'** ** **'", "'<p>'"])
def test_a_quote_that_folds_to_nothing_or_markup_is_refused(rules_copy: Path, quote: str) -> None:
    rule = GOOD_RULE.replace("quote: Støtten gives som gruppeforløb.", f"quote: {quote}")
    assert any("quote" in m for m in problems(write(rules_copy, MUNICIPAL_HEADER + rule)))


def test_tags_are_stripped_from_the_source_only_never_from_the_quote(rules_copy: Path) -> None:
    (rules_copy / "testkommune" / "source" / "standard.txt").write_text(
        "Målgruppe\n\n<p>Du skal være fyldt 18 år.</p> Støtten gives som <b>gruppeforløb</b>.\n", encoding="utf-8")
    load_file(write(rules_copy, MUNICIPAL_HEADER + GOOD_RULE))  # the source's own tags are folded away
    hostile = GOOD_RULE.replace("quote: Støtten gives som gruppeforløb.",
                                "quote: 'Støtten gives som <img src=x onerror=alert(1)> gruppeforløb.'")
    assert any("not found verbatim" in m for m in problems(write(rules_copy, MUNICIPAL_HEADER + hostile)))


SECRET = "Hemmelig linje med Støtten gives som gruppeforlob og CPR 010190-1234."


@pytest.mark.parametrize("name", ["../../outside.txt", "source/../../outside.txt", "ABS", "source/link.txt"])
def test_sources_are_confined_to_the_rule_sets_folder(rules_copy: Path, name: str) -> None:
    outside = rules_copy.parent / "outside.txt"
    outside.write_text(SECRET, encoding="utf-8")
    os.symlink(outside, rules_copy / "testkommune" / "source" / "link.txt")
    name = str(outside) if name == "ABS" else name
    body = MUNICIPAL_HEADER.replace("file: source/standard.txt", f"file: '{name}'") + GOOD_RULE
    found = problems(write(rules_copy, body))
    assert any("lies outside the rule set's folder" in m for m in found)
    assert not any("Hemmelig" in m or "010190" in m for m in found)


def test_a_symlink_inside_the_folder_is_followed(rules_copy: Path) -> None:
    os.symlink(rules_copy / "testkommune" / "source" / "standard.txt", rules_copy / "testkommune" / "source" / "alias.txt")
    body = MUNICIPAL_HEADER.replace("file: source/standard.txt", "file: source/alias.txt") + GOOD_RULE
    load_file(write(rules_copy, body))


def test_a_fifo_source_is_refused_without_hanging(rules_copy: Path) -> None:
    os.mkfifo(rules_copy / "testkommune" / "source" / "fifo.txt")
    body = MUNICIPAL_HEADER.replace("file: source/standard.txt", "file: source/fifo.txt") + GOOD_RULE
    assert any("not a regular file" in m for m in problems(write(rules_copy, body)))


def test_source_refs_of_older_records_still_read() -> None:
    from pydantic import TypeAdapter

    old = {"document": "d", "section": "Målgruppe", "quote": "q", "legal_reference": None}
    ref = TypeAdapter(SourceRef).validate_python(old)
    assert ref.kind == "standard" and ref.citation is None and ref.also == ()


def _strip_new_keys(value: object) -> object:
    """A decision as engine 0.2 wrote it: SourceRefs without kind, citation and also."""
    if isinstance(value, dict):
        return {k: _strip_new_keys(v) for k, v in value.items() if k not in {"kind", "citation", "also"}
                or not {"document", "quote"} <= set(value)}
    if isinstance(value, list):
        return [_strip_new_keys(v) for v in value]
    return value


def test_a_record_made_by_engine_0_2_still_replays_and_names_the_engine_change() -> None:
    facts = {"assessment_date": "2026-03-02", "birth_date": "1990-01-01", "resident_municipality": "roskilde",
             "support_need_level": 2, "function_levels": {"mental_functions": 3},
             "need_met_by_less_intrusive_offer": False}
    new = sps_rules.record("roskilde", facts)
    decision = _strip_new_keys(new.decision)
    assert isinstance(decision, dict) and "citation" not in decision["criteria"][0]["source"]
    old = new.model_copy(update={"engine_version": "0.2.0", "decision": decision})
    old = old.model_copy(update={"record_sha256": old.content_sha256()})
    result = sps_rules.replay(old)
    assert result.decision is not None and result.decision.eligibility == "eligible"
    assert any("engine version differs: recorded 0.2.0" in p for p in result.problems)
    assert any(".source.kind" in d.path or ".source" in d.path for d in result.differences)
