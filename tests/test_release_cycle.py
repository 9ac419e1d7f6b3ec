"""The release cycle: a draft in one command, frozen releases with a lock, records that replay forever,
cases that carry over to a new version, and a test command that fails when it should."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import sps_rules
from sps_rules.authoring.diff import plausible
from sps_rules.authoring.release import LOCK_NAME, read_lock
from sps_rules.model.population import citizens
from sps_rules.cli import main

from .conftest import ROOT, RULES

EXAMPLE = ROOT / "examples" / "roskilde-citizen.json"
OLD_SENTENCE = "og har et moderat, svært eller fuldstændigt støttebehov"
NEW_SENTENCE = "og har et let, moderat, svært eller fuldstændigt støttebehov"
NEW_RULE = """\
  - id: target.support_need
    override: true
    text: Borgeren skal have et let, moderat, svært eller fuldstændigt støttebehov.
    source:
      section: Hvem kan modtage indsatsen?
      quote: har et let, moderat, svært eller fuldstændigt støttebehov
    interpretation: '"let, moderat, svært eller fuldstændigt" svarer til FFB-støttebehovsniveau 1 til 4.'
    when: {fact: support_need_level, at_least: 1}
    criterion:
      met: Borgeren har et let, moderat, svært eller fuldstændigt støttebehov.
      not_met: Borgeren har intet støttebehov.
      unknown: Borgerens støttebehovsniveau er ikke vurderet.
"""
#: The changed sentence is also cited by target.function: restated, citing what the new text still says.
RESTATED_RULE = """\
  - id: target.function
    override: true
    text: >-
      Borgeren skal have betydelig nedsat fysisk eller psykisk funktionsevne eller særlige sociale
      problemer.
    source:
      section: Hvem kan modtage indsatsen?
      quote: har betydelig nedsat fysisk eller psykisk funktionsevne eller særlige sociale problemer
      legal_reference: Serviceloven § 85
    interpretation: >-
      Betydelig nedsat funktionsevne = FFB-funktionsevneniveau 2 (moderat) eller højere i Fysiske
      eller Mentale funktioner (definitionen significantly_reduced_function i det nationale grundlag).
    when: {ref: target_group_85}
    criterion:
      met: Borgeren har betydelig nedsat funktionsevne eller særlige sociale problemer.
      not_met: Borgeren har hverken betydelig nedsat fysisk eller psykisk funktionsevne eller særlige sociale problemer.
      unknown: Det kan ikke afgøres, om borgeren har betydelig nedsat funktionsevne eller særlige sociale problemer.
"""
LEVEL_ONE_CASE = "- name: Let støttebehov (niveau 1) er ikke nok i Roskilde\n"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A private copy of the national baseline and Roskilde, without any lock."""
    out = tmp_path / "rules"
    for name in ("national", "roskilde"):
        shutil.copytree(RULES / name, out / name, ignore=shutil.ignore_patterns(LOCK_NAME))
    return out


def cli(root: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"SPS_RULES_PATH": str(root)})
    return result.exit_code, result.stdout, result.stderr


# The restated rules no longer cite these sentences; every sentence must stay accounted for.
NOT_RELEVANT = """
not_decision_relevant:
  roskilde:
    - reason: Forklarer målgruppen og kategorierne, som de genfortalte regler citerer andetsteds.
      sentences:
        - Socialpædagogisk støtte omfatter støtte, hjælp eller omsorg samt optræning
        - Kategorierne 'Intet støttebehov' og 'en smule, lidt støttebehov' er ikke medtaget
"""


def draft_with_change(root: Path, *, restate: bool = True) -> Path:
    """The documented way: new-version, the new standard's text in source/, the changed rule in the draft."""
    code, out, err = cli(root, "new-version", "roskilde", "--valid-from", "2027-03-01")
    assert code == 0, err
    draft = root / "roskilde" / "roskilde-2027-03-draft.yaml"
    assert f"wrote the draft rules/roskilde/{draft.name}" in out
    source = root / "roskilde" / "source"
    old_text = (source / "roskilde-kvalitetsstandard-sps.txt").read_text(encoding="utf-8")
    assert OLD_SENTENCE in old_text
    (source / "roskilde-kvalitetsstandard-sps-2027.txt").write_text(old_text.replace(OLD_SENTENCE, NEW_SENTENCE),
                                                                   encoding="utf-8")
    text = draft.read_text(encoding="utf-8")
    text = text.replace("source/roskilde-kvalitetsstandard-sps.txt", "source/roskilde-kvalitetsstandard-sps-2027.txt")
    draft.write_text(text.replace("rules: []\n", "rules:\n" + NEW_RULE + (RESTATED_RULE if restate else ""))
                     + NOT_RELEVANT, encoding="utf-8")
    return draft


def pin_changed_case(root: Path) -> None:
    cases = root / "roskilde" / "tests" / "roskilde.yaml"
    text = cases.read_text(encoding="utf-8")
    assert LEVEL_ONE_CASE in text
    cases.write_text(text.replace(LEVEL_ONE_CASE, LEVEL_ONE_CASE + '  version: "2020-01"\n') + """
- name: Fra 1. marts 2027 er et let støttebehov (niveau 1) nok
  facts: {assessment_date: 2027-03-02, birth_date: 1980-01-01, resident_municipality: roskilde,
          function_levels: {mental_functions: 3}, support_need_level: 1, need_met_by_less_intrusive_offer: false}
  expect: {eligibility: eligible, criteria: {target.support_need: met}}
""", encoding="utf-8")


# --- a new version in one command ------------------------------------------------------------------


def test_new_version_is_a_draft_that_extends_its_predecessor_and_applies_to_no_day(root: Path) -> None:
    draft = draft_with_change(root)
    loaded = sps_rules.load_ruleset_file(draft).loaded
    assert loaded.header.released is False and loaded.version == "2027-03"
    assert loaded.base is not None and (loaded.base.id, loaded.base.version) == ("roskilde", "2020-01")
    assert loaded.base.base is not None and loaded.base.base.id == "national"
    assert len(loaded.rules) == len(loaded.base.rules), "the draft states only what changes"
    # until it is released, the earlier version goes on applying, also after the draft's start
    assert sps_rules.load_ruleset("roskilde", date(2027, 6, 1), root=root).version == "2020-01"
    assert sps_rules.load_ruleset("roskilde", root=root).version == "2020-01"


def test_new_version_never_overwrites_and_checks_its_date(root: Path) -> None:
    draft = draft_with_change(root)
    before = draft.read_bytes()
    code, _, err = cli(root, "new-version", "roskilde", "--valid-from", "2028-01-01")
    assert code == 2 and "already has a draft: roskilde-2027-03-draft.yaml" in err
    assert draft.read_bytes() == before
    draft.unlink()
    code, _, err = cli(root, "new-version", "roskilde", "--valid-from", "2019-12-31")
    assert code == 2 and "is not after the newest version 2020-01" in err
    code, _, err = cli(root, "new-version", "nowhere", "--valid-from", "2027-01-01")
    assert code == 2 and "no rule set 'nowhere'" in err


def test_inherited_rules_must_quote_the_new_text_of_their_standard(root: Path) -> None:
    draft = draft_with_change(root, restate=False)
    code, out, _ = cli(root, "validate", str(root / "roskilde"))
    assert code == 1
    assert ("roskilde-2027-03-draft.yaml:22:7: rule 'target.function' of version 2020-01 cites a quote that the new "
            "text roskilde-kvalitetsstandard-sps-2027.txt no longer has") in out
    assert "restate rule 'target.function' here with 'override: true'" in out
    draft.write_text(draft.read_text(encoding="utf-8").replace(NOT_RELEVANT, RESTATED_RULE + NOT_RELEVANT),
                     encoding="utf-8")
    code, out, _ = cli(root, "validate", str(root / "roskilde"))
    assert code == 0, out
    loaded = sps_rules.load_ruleset_file(draft).loaded
    cited = {r.rule.id: r.document.file.name for r in loaded.rules if r.origin == "roskilde"}
    assert set(cited.values()) == {"roskilde-kvalitetsstandard-sps-2027.txt"}, "inherited rules cite the new text"


def test_a_version_builds_only_on_an_earlier_version_of_its_own_rule_set(root: Path) -> None:
    draft = draft_with_change(root)
    draft.write_text(draft.read_text(encoding="utf-8").replace("valid_from: 2027-03-01", "valid_from: 2019-06-01"),
                     encoding="utf-8")
    with pytest.raises(sps_rules.RuleFileError, match="which does not start before it"):
        sps_rules.load_ruleset_file(draft)


# --- frozen releases ---------------------------------------------------------------------------------


def test_a_record_replays_exactly_after_a_new_version_is_published(root: Path, tmp_path: Path) -> None:
    record = tmp_path / "record.json"
    code, _, err = cli(root, "evaluate", "roskilde", str(EXAMPLE), "--record", str(record))
    assert code == 0, err
    old_file = root / "roskilde" / "roskilde-2020-01.yaml"
    old_bytes = old_file.read_bytes()
    assert cli(root, "release", "roskilde", "2020-01")[0] == 0

    draft_with_change(root)
    pin_changed_case(root)
    code, out, err = cli(root, "release", "roskilde", "2027-03", "--released", "2027-02-15")
    assert code == 0, err
    assert "roskilde-2027-03-draft.yaml -> roskilde-2027-03.yaml" in out
    assert not (root / "roskilde" / "roskilde-2027-03-draft.yaml").exists()
    released = (root / "roskilde" / "roskilde-2027-03.yaml").read_text(encoding="utf-8")
    assert "released: false" not in released

    assert old_file.read_bytes() == old_bytes, "publishing never edits an earlier version"
    code, out, _ = cli(root, "replay", str(record))
    assert code == 0 and "reproduced exactly" in out
    # the earlier version ends the day before its successor starts
    assert sps_rules.load_ruleset("roskilde", date(2027, 2, 28), root=root).version == "2020-01"
    assert sps_rules.load_ruleset("roskilde", date(2027, 3, 1), root=root).version == "2027-03"
    assert sps_rules.load_ruleset("roskilde", root=root).version == "2027-03"
    # and the folder, lock included, is valid
    code, out, _ = cli(root, "validate", str(root / "roskilde"))
    assert code == 0, out


def test_the_lock_is_readable_deterministic_and_only_appended_to(root: Path) -> None:
    assert cli(root, "release", "roskilde", "2020-01", "--released", "2020-01-01")[0] == 0
    lock = root / "roskilde" / LOCK_NAME
    first = lock.read_text(encoding="utf-8")
    assert "- version: \"2020-01\"\n  file: \"roskilde-2020-01.yaml\"\n" in first
    assert f"  sha256: {sps_rules.load_ruleset_version('roskilde', '2020-01', root=root).sha256}\n" in first
    assert "  released: 2020-01-01\n" in first
    draft = draft_with_change(root)
    before = draft.read_bytes()
    code, _, err = cli(root, "release", "roskilde", "2027-03")
    assert code == 2 and "1 test case(s) do not hold on this version, e.g. roskilde.yaml:" in err
    assert "'Let støttebehov (niveau 1) er ikke nok i Roskilde': eligibility: expected not_eligible, got eligible" in err
    assert lock.read_text(encoding="utf-8") == first and draft.read_bytes() == before, "a refused release writes nothing"
    pin_changed_case(root)
    assert cli(root, "release", "roskilde", "2027-03")[0] == 0
    second = lock.read_text(encoding="utf-8")
    assert second.startswith(first) and "  released: 2027-03-01\n" in second[len(first):]
    assert [e.version for e in read_lock("roskilde", root)] == ["2020-01", "2027-03"]
    assert not [p.name for p in lock.parent.iterdir() if p.name.startswith(".")], "no temporary file is left"


def test_a_released_version_is_released_once(root: Path) -> None:
    assert cli(root, "release", "roskilde", "2020-01")[0] == 0
    code, _, err = cli(root, "release", "roskilde", "2020-01")
    assert code == 2 and "a correction is a new version" in err
    code, _, err = cli(root, "release", "roskilde", "1999-01")
    assert code == 2 and "no version '1999-01'" in err


def test_validate_fails_when_a_released_version_was_edited(root: Path) -> None:
    assert cli(root, "release", "roskilde", "2020-01")[0] == 0
    path = root / "roskilde" / "roskilde-2020-01.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("valid_from: 2020-01-01", "valid_from: 2020-01-01\n  valid_to: 2027-02-28"),
                    encoding="utf-8")
    code, out, _ = cli(root, "validate", str(root / "roskilde"))
    assert code == 1
    assert "released version 2020-01 has changed since its release" in out
    assert "a correction is a new version: sps-rules new-version roskilde" in out


def test_validate_fails_on_a_damaged_lock(root: Path) -> None:
    (root / "roskilde" / LOCK_NAME).write_text("- version: '2020-01'\n  sha256: nothex\n", encoding="utf-8")
    code, out, _ = cli(root, "validate", str(root / "roskilde"))
    assert code == 1 and "releases.lock:1:3: release 1:" in out


# --- tests that carry over, and a test command that fails when it should ------------------------------


def test_a_draft_runs_its_predecessors_cases_and_shows_what_changes(root: Path) -> None:
    draft = draft_with_change(root)
    code, out, _ = cli(root, "test", str(draft))
    assert code == 1
    assert "FAIL" in out and "Let støttebehov (niveau 1) er ikke nok i Roskilde" in out
    assert "eligibility: expected not_eligible, got eligible" in out
    assert "criteria.target.support_need: expected not_met, got met" in out
    assert out.count("\nFAIL ") == 1, "only the outcome that changes fails"
    pin_changed_case(root)
    code, out, _ = cli(root, "test", str(draft))
    assert code == 0, out
    assert "coverage roskilde@2027-03:" in out


def test_cases_carry_over_to_a_released_version_that_builds_on_theirs(root: Path) -> None:
    draft_with_change(root)
    pin_changed_case(root)
    assert cli(root, "release", "roskilde", "2027-03")[0] == 0
    code, out, _ = cli(root, "test", str(root / "roskilde"), "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["failed"] == 0
    carried = [c for c in report["cases"] if c["carried_to"] == "2027-03"]
    pinned = [c for c in report["cases"] if c["name"] == LEVEL_ONE_CASE[8:-1]]
    assert len(carried) == len(report["cases"]) // 2 - 1 and len(pinned) == 1
    assert {(c["ruleset"], c["version"]) for c in report["coverage"]} == {("roskilde", "2020-01"), ("roskilde", "2027-03")}


def test_the_test_command_fails_below_the_coverage_threshold(root: Path, tmp_path: Path) -> None:
    cases = root / "roskilde" / "tests" / "roskilde.yaml"
    cases.write_text("""\
- name: En borger i målgruppen
  facts: {assessment_date: 2026-03-02, birth_date: 1991-09-14, resident_municipality: roskilde,
          function_levels: {mental_functions: 3}, support_need_level: 2, need_met_by_less_intrusive_offer: false}
  expect: {eligibility: eligible}
""", encoding="utf-8")
    code, out, _ = cli(root, "test", str(root / "roskilde"))
    assert code == 1 and "1 passed, 0 failed" in out
    assert "below --min-coverage 80%: add cases" in out
    code, out, _ = cli(root, "test", str(root / "roskilde"), "--min-coverage", "5")
    assert code == 0, out


def test_zero_coverage_fails_whatever_the_threshold(root: Path) -> None:
    cases = root / "roskilde" / "tests" / "roskilde.yaml"
    cases.write_text("""\
- name: Kun alderen er kendt
  facts: {assessment_date: 2026-03-02, birth_date: 2010-01-01}
  expect: {eligibility: not_eligible}
""", encoding="utf-8")
    code, out, _ = cli(root, "test", str(root / "roskilde"), "--min-coverage", "0")
    assert code == 1 and "1 passed, 0 failed" in out and "coverage of roskilde@2020-01 is 0/" in out


def test_a_draft_no_case_reaches_fails(root: Path) -> None:
    draft_with_change(root)
    cases = root / "roskilde" / "tests" / "roskilde.yaml"
    cases.write_text("""\
- name: Et tilfælde der kun gælder den gamle version
  version: "2020-01"
  facts: {assessment_date: 2026-03-02, birth_date: 2010-01-01}
  expect: {eligibility: not_eligible}
""", encoding="utf-8")
    code, out, _ = cli(root, "test", str(root / "roskilde" / "roskilde-2027-03-draft.yaml"), "--min-coverage", "0")
    assert code == 1 and "0 passed, 0 failed" in out


# --- diff for the policy meeting -------------------------------------------------------------------------


def test_diff_examples_are_plausible_and_show_the_eligibility_change(root: Path) -> None:
    draft = draft_with_change(root)
    code, out, err = cli(root, "diff", "roskilde@2020-01", str(draft), "--n", "300", "--format", "json")
    assert code == 0, err
    report = json.loads(out)
    assert report["impact"]["eligibility"].get("not_eligible → eligible", 0) > 0
    examples = report["impact"]["examples"]
    assert examples and "eligibility" in examples[0]["differs"], "an eligibility change comes first"
    for example in examples:
        facts = example["facts"]
        assessed = facts["assessment_date"]
        if "decision_notified_date" in facts:
            assert facts["decision_notified_date"] > assessed
        if "complaint_received_date" in facts:
            assert facts["complaint_received_date"] > facts["decision_notified_date"]
        if "last_support_used_date" in facts:
            assert facts["last_support_used_date"] >= facts["support_start_date"]
    code, text, _ = cli(root, "diff", "roskilde@2020-01", str(draft), "--n", "300")
    assert "målgruppe ikke i målgruppen (not_eligible) → i målgruppen (eligible):" in text
    assert "funktionsevneniveauet for " in text and "_functions" not in text and "_conditions" not in text, "themes in Danish"


def test_diff_html_is_a_self_contained_escaped_page_written_whole(root: Path, tmp_path: Path) -> None:
    draft = draft_with_change(root)
    draft.write_text(draft.read_text(encoding="utf-8").replace(
        'title: "Kvalitetsstandard for socialpædagogisk støtte"', 'title: "Standard <script>x</script>"'),
        encoding="utf-8")
    page = tmp_path / "møde.html"
    code, out, err = cli(root, "diff", "roskilde@2020-01", str(draft), "--n", "200", "--format", "html", "-o", str(page))
    assert code == 0, err
    assert out == f"wrote {page}\n"
    html = page.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "src=" not in html and "href=" not in html, "nothing is fetched from elsewhere"
    assert "Ændringer fra roskilde@2020-01 til roskilde@2027-03" in html
    code, _, err = cli(root, "diff", "roskilde@2020-01", str(draft), "--n", "10", "-o", str(draft))
    assert code == 2 and "one of the versions compared" in err


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), day=st.dates(date(2000, 1, 1), date(2090, 1, 1)))
def test_invented_citizens_have_dates_in_an_order_that_can_happen(seed: int, day: date) -> None:
    import random

    rng = random.Random(seed)
    for generated in citizens(20, seed=seed, assessment_date=day):
        facts = plausible(generated, rng, "roskilde")
        sps_rules.CitizenFacts.model_validate(facts)
        notified = facts.get("decision_notified_date")
        assert notified is None or notified > facts["assessment_date"]
        assert "complaint_received_date" not in facts or facts["complaint_received_date"] > str(notified)
        assert "last_support_used_date" not in facts or facts["last_support_used_date"] >= facts["support_start_date"]


# --- the shipped rule sets ----------------------------------------------------------------------------


@pytest.mark.parametrize("ruleset_id", sorted(p.name for p in RULES.iterdir() if p.is_dir()))
def test_every_shipped_version_matches_its_lock(ruleset_id: str) -> None:
    from sps_rules.authoring.release import check_lock
    from sps_rules.engine.loader import versions

    shipped = versions(ruleset_id, RULES)
    entries = read_lock(ruleset_id, RULES)
    assert [(e.version, e.file) for e in entries] == [(v.version, v.path.name) for v in shipped], (
        f"release every shipped version: sps-rules release {ruleset_id} VERSION --rules rules")
    assert all(v.header.released for v in shipped), "no draft is shipped"
    for entry, version in zip(entries, shipped, strict=True):
        assert entry.sha256 == version.sha256, (
            f"{ruleset_id} {entry.version} changed after its release; a correction is a new version")
    assert check_lock(ruleset_id, RULES) == []


def test_a_lock_naming_a_version_twice_or_a_missing_version_is_refused(root: Path) -> None:
    assert cli(root, "release", "roskilde", "2020-01")[0] == 0
    lock = root / "roskilde" / LOCK_NAME
    text = lock.read_text(encoding="utf-8")
    entry = text[text.index("- version:"):]
    lock.write_text(text + entry, encoding="utf-8")
    code, out, _ = cli(root, "validate", str(root / "roskilde"))
    assert code == 1 and "version '2020-01' is released twice" in out
    lock.write_text(text + entry.replace('"2020-01"', '"2019-01"'), encoding="utf-8")
    code, out, _ = cli(root, "validate", str(root / "roskilde"))
    assert code == 1 and "released version 2019-01 (roskilde-2020-01.yaml) is missing" in out


def test_a_draft_not_named_as_one_is_released_in_place(root: Path) -> None:
    draft = draft_with_change(root)
    pin_changed_case(root)
    plain = draft.with_name("roskilde-2027-03.yaml")
    draft.rename(plain)
    code, out, err = cli(root, "release", "roskilde", "2027-03")
    assert code == 0, err
    assert "->" not in out
    assert "released: false" not in plain.read_text(encoding="utf-8")
    assert [e.file for e in read_lock("roskilde", root)] == ["roskilde-2027-03.yaml"]


def test_a_version_s_last_day_follows_its_successor_s_release_also_for_a_ruleset_held_before(root: Path) -> None:
    old = sps_rules.load_ruleset_version("roskilde", "2020-01", root=root)
    assert old.last_day() is None  # open-ended while it is the newest
    facts = json.loads(EXAMPLE.read_text(encoding="utf-8")) | {"assessment_date": "2027-03-02"}
    assert sps_rules.evaluate("roskilde", facts, root=root).ruleset.version == "2020-01"

    draft_with_change(root)
    pin_changed_case(root)
    assert cli(root, "release", "roskilde", "2027-03", "--released", "2027-02-15")[0] == 0

    # the same object, held since before the release, now ends the day before its successor starts
    assert old.last_day() == date(2027, 2, 28)
    assert sps_rules.evaluate("roskilde", facts, root=root).ruleset.version == "2027-03"
