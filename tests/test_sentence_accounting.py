"""Sentence splitting that knows Danish abbreviations, and every sentence of a source accounted for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sps_rules
from sps_rules import RuleFileError
from sps_rules.authoring.coverage import account
from sps_rules.authoring.docs import to_markdown
from sps_rules.authoring.validate import sentence_findings, validate
from sps_rules.engine.loaded import fold
from sps_rules.engine.loader import load_file, versions
from sps_rules.engine.sentences import split_sentences, statute_paragraphs

from .conftest import GOOD_RULE, MUNICIPAL_HEADER, RULES


@pytest.mark.parametrize("text", [
    "Støtten kan f.eks. gives i grupper, jf. § 85, stk. 2, nr. 3 i loven.",
    "Der kan bl.a. ydes vejledning, evt. i hjemmet, ca. to timer, inkl. transport, jf. 3. pkt. i bestemmelsen.",
    "Hjælp til pleje m.v. Hjælpen kan gives.",
    "Se f.eks. Ankestyrelsens afgørelse, jf. Serviceloven § 85.",
])
def test_abbreviations_do_not_end_a_sentence(text: str) -> None:
    expected = 2 if "m.v. Hjælpen" in text else 1
    assert len(split_sentences(text)) == expected, split_sentences(text)


def test_sentence_ends_lists_and_labels() -> None:
    text = ("Hjælp til pleje mv. Den kombineres ofte med ydelser. Hvem kan få den?\n"
            "• at skabe struktur• at håndtere medicin\n"
            "§ 85. Kommunalbestyrelsen skal tilbyde hjælp.\nStk. 2. Hjælpen gives efter en vurdering.")
    assert split_sentences(text) == [
        "Hjælp til pleje mv.", "Den kombineres ofte med ydelser.", "Hvem kan få den?",
        "at skabe struktur", "at håndtere medicin",
        "Kommunalbestyrelsen skal tilbyde hjælp.", "Hjælpen gives efter en vurdering."]


def test_a_wrapped_pdf_line_is_not_a_sentence_break() -> None:
    text = "Formålet er, at borgeren gennem \n\nvejledning bliver bedre i stand til at leve. \n\nHvem leverer ydelsen? \n"
    assert split_sentences(text) == ["Formålet er, at borgeren gennem vejledning bliver bedre i stand til at leve.",
                                     "Hvem leverer ydelsen?"]


WORDS = st.lists(st.sampled_from(["Hjælp", "støtte", "f.eks.", "stk.", "jf.", "nr.", "2.", "mv.", "Den", "og", ".",
                                  "?", "!", ",", "\n", "\n\n", "•", "bl.a.", "Kommunen", "1)", "(", ")", "m.v."]),
                 max_size=60)


@settings(max_examples=150, deadline=None)
@given(WORDS)
def test_splitting_never_loses_or_invents_a_word(parts: list[str]) -> None:
    text = " ".join(parts)
    joined = " ".join(split_sentences(text))
    assert re.findall(r"\w+", joined) == re.findall(r"\w+", fold(text))


def test_statute_paragraphs_and_stk() -> None:
    text = "Header\n====\n\n§ 82 a\n§ 82 a. Første.\nStk. 2. Anden.\n\n§ 85\n§ 85. Tredje.\n----\nAppendix\n"
    found = statute_paragraphs(text)
    assert list(found) == ["§ 82 a", "§ 85"]
    assert found["§ 82 a"].stk == {1: "§ 82 a. Første.", 2: "Stk. 2. Anden."}
    assert found["§ 85"].stk == {1: "§ 85. Tredje."}


# --- accounting ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("ruleset", ["national", "gentofte", "roskilde", "faaborg_midtfyn"])
def test_every_sentence_of_the_shipped_sources_is_accounted_for(ruleset: str) -> None:
    for version in versions(ruleset):
        assert sentence_findings(version) == []
        documents = account(version)
        assert documents and all(not d.unaccounted for d in documents)
        for document in documents:
            assert all(row.rules or row.reason for row in document.sentences)


def test_a_statute_counts_only_its_paragraphs_not_its_provenance_header() -> None:
    [national] = versions("national")
    [serviceloven] = [d for d in account(national) if d.document_id == "serviceloven"]
    assert not any("Consolidation" in row.sentence or "github" in row.sentence for row in serviceloven.sentences)
    assert any(row.rules == ("target.need",) or "target.need" in row.rules for row in serviceloven.sentences)


def _draft(root: Path, *, released: bool, listed: str = "") -> Path:
    body = MUNICIPAL_HEADER.replace('  valid_from: 2024-01-01\n', f'  valid_from: 2024-01-01\n  released: {str(released).lower()}\n')
    path = root / "testkommune" / "testkommune-2024-01.yaml"
    path.write_text(body + GOOD_RULE + listed, encoding="utf-8")
    return path


LISTED = """\
not_decision_relevant:
  std:
    - reason: Titel og overskrift.
      sentences: [Kvalitetsstandard for Testkommune, Målgruppe]
    - reason: Aldersgrænsen kommer fra grundlaget.
      sentences: [Du skal være fyldt 18 år.]
"""


def test_validate_reports_an_unaccounted_sentence_as_an_error_when_shipped_and_released(
        rules_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _draft(rules_copy, released=True)
    assert {f.severity for f in validate(path) if "neither cited" in str(f)} == {"warning"}  # not shipped
    monkeypatch.setenv("SPS_RULES_PATH", str(rules_copy))
    found = [f for f in validate(path) if "neither cited" in str(f)]
    assert found and all(f.severity == "error" for f in found)
    assert any("'Du skal være fyldt 18 år.'" in str(f) for f in found)
    assert f"{path.name}:" in str(found[0]) and "not_decision_relevant.std" in str(found[0])


def test_a_draft_gets_warnings_and_a_complete_list_silences_them(rules_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPS_RULES_PATH", str(rules_copy))
    draft = _draft(rules_copy, released=False)
    assert {f.severity for f in validate(draft) if "neither cited" in str(f)} == {"warning"}
    complete = _draft(rules_copy, released=True, listed=LISTED)
    assert not [f for f in validate(complete) if "neither cited" in str(f)]


@pytest.mark.parametrize(("listed", "expected"), [
    (LISTED.replace("Du skal være fyldt 18 år.", "Du skal være fyldt 21 år."), "not found verbatim in standard.txt"),
    (LISTED.replace("  std:", "  other:"), "unknown source document 'other'"),
    (LISTED.replace("reason: Titel og overskrift.", "reason: ''"), "reason"),
])
def test_a_bad_not_decision_relevant_list_is_refused(rules_copy: Path, listed: str, expected: str) -> None:
    with pytest.raises(RuleFileError) as info:
        load_file(_draft(rules_copy, released=True, listed=listed))
    assert any(expected in str(p) for p in info.value.problems)


def test_the_rule_set_document_shows_coverage_per_sentence() -> None:
    text = to_markdown(sps_rules.load_ruleset_version("gentofte", "2014-06"))
    assert "## Sætningsdækning" in text
    assert "| Kvalitetsstandarden revurderes og behandles politisk mindst én gang i hver valgperiode. | citeret |" \
        " scope.revision_each_election_period |" in text
    assert "ikke afgørende | Titel og overskrifter; ikke indhold." in text
    assert "IKKE REDEGJORT FOR" not in text


def test_coverage_markdown_escapes_markup_from_the_sources(rules_copy: Path) -> None:
    (rules_copy / "testkommune" / "source" / "standard.txt").write_text(
        "Målgruppe\n\nStøtten gives som gruppeforløb.\n\nKlik <b>*her*</b> [link](javascript:x) | #.\n", encoding="utf-8")
    _draft(rules_copy, released=True)
    text = to_markdown(sps_rules.load_ruleset("testkommune", root=rules_copy))
    section = text[text.index("## Sætningsdækning"):]
    assert "[link](javascript" not in section and "<b>" not in section


def test_shipped_rules_folder_validates_clean() -> None:
    assert [str(f) for f in validate(RULES) if f.severity == "error"] == []
