"""The review's findings in the shipped rule files, each test naming the sentence it rests on."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import sps_rules
from sps_rules.engine.loader import versions
from sps_rules.engine.sentences import statute_paragraphs

from .conftest import RULES

SHARED_LAW = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "law"

CITIZEN: dict[str, Any] = {
    "birth_date": "1980-01-01",
    "function_levels": {"mental_functions": 3},
    "need_met_by_less_intrusive_offer": False,
}
WHERE = {  # rule set -> an assessment date it covers and its residence
    "national": ("2016-05-10", None),
    "gentofte": ("2026-03-02", "gentofte"),
    "gentofte_2014": ("2016-05-10", "gentofte"),
    "faaborg_midtfyn": ("2026-03-02", "faaborg_midtfyn"),
    "roskilde": ("2026-03-02", "roskilde"),
}


def decide(name: str, **facts: Any) -> sps_rules.Decision:
    day, town = WHERE[name]
    given = {**CITIZEN, "assessment_date": day, **({"resident_municipality": town} if town else {}), **facts}
    return sps_rules.evaluate(name.removesuffix("_2014"), given)


def criterion(decision: sps_rules.Decision, rule_id: str) -> str:
    return next(c.status for c in decision.criteria if c.id == rule_id)


# --- § 85: "personer, der har behov herfor" -----------------------------------------------------

@pytest.mark.parametrize("name", ["national", "gentofte", "gentofte_2014", "faaborg_midtfyn"])
def test_no_support_need_is_not_eligible_and_an_unknown_need_is_undetermined(name: str) -> None:
    # serviceloven § 85: "... til personer, der har behov herfor på grund af betydelig nedsat ..."
    none = decide(name, support_need_level=0)
    assert criterion(none, "target.need") == "not_met" and none.eligibility == "not_eligible"
    unknown = decide(name)
    assert criterion(unknown, "target.need") == "unknown" and unknown.eligibility == "undetermined"
    assert "support_need_level" in unknown.missing_facts
    some = decide(name, support_need_level=1)
    assert criterion(some, "target.need") == "met" and some.eligibility == "eligible"


def test_the_need_rules_cite_the_standard_and_the_statute() -> None:
    # Gentofte: "Borgere i målgruppen har behov for socialpædagogisk støtte"; § 85 beside it.
    source = next(c.source for c in decide("gentofte", support_need_level=2).criteria if c.id == "target.need")
    assert source.quote == "Borgere i målgruppen har behov for socialpædagogisk støtte"
    assert [a.citation for a in source.also if a.citation] == ["serviceloven § 85, jf. LBK nr 1129 af 22/09/2025"]
    national = next(c.source for c in decide("national", support_need_level=2).criteria if c.id == "target.need")
    assert national.citation == "serviceloven § 85, jf. LBK nr 1129 af 22/09/2025"


# --- the age limit: serviceloven § 2, stk. 1, from barnets lov § 212, stk. 1 (1 January 2024) -----

def test_the_national_age_limit_applies_from_1_january_2024() -> None:
    # barnets lov § 212, stk. 1: "Loven træder i kraft den 1. januar 2024"
    facts = {"birth_date": "2006-06-01", "support_need_level": 2, "function_levels": {"mental_functions": 3}}
    before = sps_rules.evaluate("national", {**facts, "assessment_date": "2023-12-31"})
    after = sps_rules.evaluate("national", {**facts, "assessment_date": "2024-01-01"})
    assert criterion(before, "target.age") == "met"
    assert criterion(after, "target.age") == "not_met" and after.eligibility == "not_eligible"
    source = next(c.source for c in after.criteria if c.id == "target.age")
    assert source.citation == "serviceloven § 2, stk. 1, jf. LBK nr 1129 af 22/09/2025"
    assert "barnets lov § 212, stk. 1, jf. lov nr 721 af 13/06/2023" in [a.citation for a in source.also]


def test_gentofte_2014_follows_its_own_target_group_and_the_law_of_its_time() -> None:
    # The 2014 standard's target group is § 85's sentence, which names no age; "fyldt 18 år" came 2024.
    decision = decide("gentofte_2014", birth_date="1999-06-02", support_need_level=2)  # 16 on 2016-05-10
    assert "target.age" not in {c.id for c in decision.criteria} and decision.eligibility == "eligible"
    [said] = [c for c in decision.conditions if c.id == "target.age"]
    assert "ikke et kriterium" in said.text
    assert said.source.also[0].citation == "barnets lov § 212, stk. 1, jf. lov nr 721 af 13/06/2023"
    assert any("1. januar 2024" in note for note in decision.ruleset.notes)


# --- validity of the baseline ----------------------------------------------------------------------

def test_the_baseline_covers_every_version_that_builds_on_it() -> None:
    [national] = versions("national")
    for ruleset in ("gentofte", "roskilde", "faaborg_midtfyn"):
        for version in versions(ruleset):
            assert national.covers(version.header.valid_from), (ruleset, version.version)
    assert sps_rules.evaluate("national", {"assessment_date": "2014-06-04"}).ruleset.valid_from.year == 2007


# --- rules for the national description's sentences --------------------------------------------------

@pytest.mark.parametrize(("rule_id", "quote"), [
    ("scope.appointments", "hjælp til at overholde aftaler med for eksempel jobcenter, bank, læge"),
    ("scope.escort_to_activities", "ledsagelse til at deltage i samværs- og aktivitetstilbud"),
])
def test_the_national_description_s_content_sentences_reach_a_decision(rule_id: str, quote: str) -> None:
    decision = decide("national", support_need_level=2)
    [condition] = [c for c in decision.conditions if c.id == rule_id]
    assert quote in condition.source.quote and condition.source.kind == "guidance"


# --- Gentofte 2014: revision in each election period and the assumed switch --------------------------

def test_gentofte_2014_states_the_assumed_switch_where_a_decision_shows_it() -> None:
    # "Kvalitetsstandarden revurderes og behandles politisk mindst én gang i hver valgperiode."
    decision = sps_rules.evaluate("gentofte", {**CITIZEN, "assessment_date": "2021-12-31", "support_need_level": 2})
    assert decision.ruleset.version == "2014-06"
    [condition] = [c for c in decision.conditions if c.id == "scope.revision_each_election_period"]
    assert "valgperiode" in condition.source.quote
    assert "2021-12-31" in condition.text and "2022-01-01" in condition.text
    assert any("2021-12-31" in n and "2022-01-01" in n for n in decision.ruleset.notes)
    later = sps_rules.evaluate("gentofte", {**CITIZEN, "assessment_date": "2022-01-01", "support_need_level": 2})
    assert later.ruleset.version == "2022-01"


# --- Roskilde: interpretations are marked -------------------------------------------------------------

@pytest.mark.parametrize("rule_id", ["request.transport", "request.hospital_stay_support", "need.medication",
                                     "request.employment_or_education_support"])
def test_roskilde_marks_its_readings_beyond_the_text(rule_id: str) -> None:
    [roskilde] = versions("roskilde")
    [item] = [r for r in roskilde.rules if r.rule.id == rule_id]
    assert item.rule.interpretation and item.rule.interpretation.startswith("Fortolkning")


def test_employment_support_cites_that_section_85_is_not_an_employment_measure() -> None:
    # national description: "Socialpædagogisk støtte er en social indsats ... og ikke en beskæftigelsesindsats."
    decision = decide("roskilde", support_need_level=2, requests=["employment_or_education_support"])
    [request] = [r for r in decision.requests if r.request == "employment_or_education_support"]
    assert any("ikke en beskæftigelsesindsats" in a.quote for a in request.source.also)


# --- the law as the source -----------------------------------------------------------------------------

def test_complaint_rules_cite_the_statutes() -> None:
    decision = decide("national", support_need_level=2, decision_notified_date="2016-05-02",
                      complaint_received_date="2016-05-20")
    cited = {d.kind: d.source.citation for d in decision.deadlines}
    assert cited["complaint"] == "retssikkerhedsloven § 67, stk. 1, jf. LBK nr 354 af 02/04/2025"
    assert cited["complaint_reassessment"] == "retssikkerhedsbekendtgørelsen § 11, stk. 1, jf. BEK nr 861 af 19/06/2025"
    [referral] = [r for r in decision.referrals if r.to == "Ankestyrelsen"]
    assert referral.source.citation == "retssikkerhedsloven § 66, stk. 2, jf. LBK nr 354 af 02/04/2025"
    [deadline] = [d for d in decision.deadlines if d.kind == "complaint"]
    assert "Justitsministeriets vejledning" in next(
        r.rule.interpretation or "" for r in versions("national")[0].rules if r.rule.id == "complaint.deadline")
    assert deadline.source.also[0].citation == "serviceloven § 166, stk. 1, jf. LBK nr 1129 af 22/09/2025"


def test_nothing_cites_the_internal_brief_or_a_secondary_page() -> None:
    texts = [p.read_text(encoding="utf-8") for p in RULES.glob("*/*.yaml")]
    for text in texts:
        assert "domain.md" not in text and "domæneresum" not in text and "domain-lovgrundlag" not in text
        assert "lovtekst-uddrag" not in text and "ast.dk" not in text
    assert not list(RULES.glob("national/source/*.md"))
    for ruleset in ("national", "gentofte", "roskilde", "faaborg_midtfyn"):
        for version in versions(ruleset):
            for item in version.rules:
                for source in item.rule.citations:
                    assert not re.search(r"\b(the|from|since|covers)\b", source.quote), (item.rule.id, source.quote)


def test_statute_sources_carry_their_provenance() -> None:
    [national] = versions("national")
    statutes = [d for d in national.documents.values() if d.ref is not None and d.ref.kind == "statute"]
    assert {d.ref.law for d in statutes if d.ref} >= {"serviceloven", "retssikkerhedsloven", "barnets lov"}
    for document in statutes:
        assert document.ref is not None and document.ref.eli and document.ref.consolidation
        assert str(document.ref.consolidation) in document.text  # the file states what it reproduces
        assert document.ref.eli in document.text


@pytest.mark.skipif(not SHARED_LAW.is_dir(), reason="the shared statute texts are not beside the checkout")
def test_shipped_statute_excerpts_are_verbatim_in_the_reference_texts() -> None:
    shipped = sorted((RULES / "national" / "source").glob("*.txt"))
    reference = {p.name: p.read_text(encoding="utf-8") for p in SHARED_LAW.glob("*.txt")}
    checked = 0
    for path in shipped:
        text = path.read_text(encoding="utf-8")
        paragraphs = statute_paragraphs(text)
        if not paragraphs:
            continue  # not a statute text
        name = re.search(r"reference/law/([a-z_]+\.txt)", text)
        assert name is not None, f"{path.name} does not say which reference text it copies"
        original = reference[name.group(1)]
        for paragraph in paragraphs.values():
            block = "\n".join(paragraph.stk[k] for k in sorted(paragraph.stk))
            assert f"\n{paragraph.paragraph}\n{block}\n" in original, (path.name, paragraph.paragraph)
            checked += 1
    assert checked >= 10
