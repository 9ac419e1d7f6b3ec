"""Danish documents show Danish labels, never bare English codes; one label table serves them all."""

from __future__ import annotations

import json
import re
import typing

import pytest

import sps_rules
from sps_rules.authoring.diff import diff_rulesets, diff_text
from sps_rules.authoring.docs import to_html, to_markdown
from sps_rules.model import labels, schema
from sps_rules.model.decision import Deadline, SupportForm
from sps_rules.model.facts import NEED_CODES, REQUEST_CODES, THEMES, VOCABULARY

from .conftest import ROOT

EXAMPLE = json.loads((ROOT / "examples" / "roskilde-citizen.json").read_text(encoding="utf-8"))
MUNICIPALITIES = ("roskilde", "gentofte", "faaborg_midtfyn")
CITIZENS = {
    "eligible": EXAMPLE,
    "not_eligible": {**EXAMPLE, "birth_date": "2010-01-01", "requests": ["escort_only", "transport"]},
    "undetermined": {"assessment_date": "2026-03-02", "needs": ["mail", "health"]},
}
# The codes a Danish document must not show bare. Header field names (valid_from, title, ...) are
# left out: rule-set notes written by policy staff may name them.
TABLES = (labels.STATUS, labels.FORM, labels.DEADLINE, labels.NEED, labels.REQUEST, labels.THEME, labels.FACT,
          labels.CONDITION_CATEGORY, labels.ELIGIBILITY, labels.RULE_PART, labels.DECISION_PART)
# Codes that are also Danish words (or the same in both languages).
SAME_IN_DANISH = {"digital", "transport", "handleplan", "version"}
CODES = sorted({code for table in TABLES for code in table if labels.label(table, code) != code} - SAME_IN_DANISH)


def bare_codes(text: str) -> dict[str, str]:
    """Each code that stands alone in ``text`` (not in parentheses after its label, not inside a
    rule id such as need.finances), with the text around its first occurrence."""
    found = {}
    for code in CODES:
        match = re.search(r"(?<![\w.(\[/-])" + re.escape(code) + r"(?![\w.)\]/-])", text)
        if match:
            found[code] = text[max(0, match.start() - 60): match.end() + 60]
    return found


def _literals(annotation: object) -> set[str]:
    return {a for a in typing.get_args(annotation) if isinstance(a, str)}


def test_every_code_of_the_vocabulary_has_a_label() -> None:
    hints = typing.get_type_hints
    expected = {
        "NEED": set(NEED_CODES), "REQUEST": set(REQUEST_CODES), "THEME": set(THEMES),
        "FORM": _literals(schema.SupportFormCode), "DEADLINE": _literals(schema.DeadlineKind),
        "ELIGIBILITY": _literals(schema.Eligibility),
        "CONDITION_CATEGORY": _literals(hints(schema.ConditionConclusion)["category"]),
        "RULE_KIND": {name for name in schema.Rule.model_fields if name in labels.RULE_KIND},
        "STATUS": set().union(*(_literals(hints(cls)["status"]) for cls in (
            sps_rules.Decision.model_fields["criteria"].annotation.__args__[0],  # type: ignore[union-attr]
            SupportForm, Deadline, schema.NeedConclusion, schema.RequestConclusion))),
    }
    for table, codes in expected.items():
        missing = codes - set(getattr(labels, table))
        assert not missing, f"labels.{table} lacks {sorted(missing)}"
    facts = {spec.path for spec in VOCABULARY.values() if not spec.path.startswith("function_levels.")}
    assert not facts - set(labels.FACT), f"labels.FACT lacks {sorted(facts - set(labels.FACT))}"
    assert all(labels.fact(f"function_levels.{t}") != f"function_levels.{t}" for t in THEMES)


def test_labelled_puts_the_code_in_parentheses() -> None:
    assert labels.labelled(labels.STATUS, "not_met") == "ikke opfyldt (not_met)"
    assert labels.labelled(labels.NEED, "finances") == "økonomi (finances)"
    assert labels.labelled(labels.NEED, "no_such_code") == "no_such_code"


@pytest.mark.parametrize("municipality", MUNICIPALITIES)
@pytest.mark.parametrize("outcome", sorted(CITIZENS))
@pytest.mark.parametrize("fmt", ["text", "markdown", "html"])
def test_explain_shows_no_bare_codes(municipality: str, outcome: str, fmt: sps_rules.Format) -> None:
    facts = CITIZENS[outcome]
    decision = sps_rules.evaluate(municipality, facts)
    out = sps_rules.explain(decision, format=fmt, why_not=True, facts=facts)
    assert bare_codes(out) == {}


def test_explain_shows_labels_with_codes_for_auditors() -> None:
    facts = CITIZENS["not_eligible"]
    out = sps_rules.explain(sps_rules.evaluate("roskilde", facts))
    assert "target.age: ikke opfyldt (not_met)." in out
    assert "ledsagelse uden socialpædagogisk indhold (escort_only): udelukket (excluded)." in out
    out = sps_rules.explain(sps_rules.evaluate("roskilde", EXAMPLE))
    assert "struktur i hverdagen (daily_structure): nævnt i standarden (listed)." in out


def test_evaluate_summary_is_short_and_danish() -> None:
    from sps_rules.audit.explain import summary

    for municipality in MUNICIPALITIES:
        for facts in CITIZENS.values():
            lines = summary(sps_rules.evaluate(municipality, facts))
            assert 3 <= len(lines) <= 6, lines
            assert lines[0].startswith("Resultat: ")
            assert bare_codes("\n".join(lines).replace(f"({sps_rules.evaluate(municipality, facts).eligibility})", "")) == {}
    lines = summary(sps_rules.evaluate("roskilde", EXAMPLE))
    assert lines[0].startswith("Resultat: i målgruppen (eligible)")
    assert lines[1].startswith("Støtteformer: gruppeforløb (mulig)")
    assert "gældsrådgivning (henvis til Roskilde Frivilligcenter)" in lines[2]
    assert lines[3] == "Næste frister: klagefrist 2026-04-07; opfølgning 2026-07-01; opfølgning 2026-10-01"
    lines = summary(sps_rules.evaluate("roskilde", CITIZENS["not_eligible"]))
    assert lines[1] == "Ikke opfyldt: target.age: Borgeren er under 18 år og er derfor ikke i målgruppen."


def test_no_doubled_full_stops() -> None:
    """'Datoen gættes ikke..' and the like: a sentence from the decision ends once."""
    for municipality in MUNICIPALITIES:
        for facts in CITIZENS.values():
            out = sps_rules.explain(sps_rules.evaluate(municipality, facts))
            assert not re.search(r"(?<!\.)\.\.(?!\.)", out), re.search(r".{60}(?<!\.)\.\.(?!\.).{20}", out)


@pytest.mark.parametrize("municipality", MUNICIPALITIES)
def test_docs_conclusions_and_conditions_show_no_bare_codes(municipality: str) -> None:
    markdown = to_markdown(sps_rules.load_ruleset(municipality))
    # Interpretations and notes are policy staff's own words, which may name codes on purpose.
    lines = [line for line in markdown.splitlines()
             if line.startswith(("- **Gælder når:**", "- **Konklusion:**", "- **", "  - ["))
             and not line.startswith(("- **Fortolkning:**", "- **Antagelse:**"))]
    assert lines
    assert bare_codes("\n".join(lines)) == {}


@pytest.mark.parametrize("municipality", MUNICIPALITIES)
def test_docs_have_a_table_of_contents(municipality: str) -> None:
    ruleset = sps_rules.load_ruleset(municipality)
    markdown = to_markdown(ruleset)
    toc = markdown.split("## Indhold\n", 1)[1].split("\n## ", 1)[0]
    headings = re.findall(r"^### (.+)$", markdown, flags=re.M)
    assert len(headings) == len(ruleset.loaded.rules)
    assert len(re.findall(r"^  - \[", toc, flags=re.M)) == len(headings)
    for section in re.findall(r"^## (.+)$", markdown, flags=re.M):
        if section != "Indhold":
            assert f"[{section}](#" in toc
    page = to_html(ruleset)
    assert "<nav><h2>Indhold</h2>" in page
    for anchor in re.findall(r'<a href="#([^"]+)"', page):
        assert f'id="{anchor}"' in page, anchor


def test_diff_text_is_danish() -> None:
    old = sps_rules.load_ruleset_version("gentofte", "2014-06")
    new = sps_rules.load_ruleset_version("gentofte", "2022-01")
    out = diff_text(diff_rulesets(old, new, n=150))
    assert "(ændret: konklusion, kildehenvisning" in out
    assert "frister ændret" in out and "eksempel 1: vurderet " in out
    metadata = out.split("Regler:")[0].replace("antagelser: [", "")
    rules_and_impact = out.split("Regler:", 1)[1]
    assert bare_codes(rules_and_impact) == {}, bare_codes(rules_and_impact)
    assert "titel:" in metadata and "gyldig fra:" in metadata
