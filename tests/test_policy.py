"""Policy staff's tools: validate, test, compare, diff and docs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from sps_rules.cli import main

from .conftest import GOOD_RULE, MUNICIPAL_HEADER, ROOT, RULES

EXAMPLE = str(ROOT / "examples" / "roskilde-citizen.json")


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def draft(rules_copy: Path) -> Path:
    path = rules_copy / "testkommune" / "testkommune-2024-01.yaml"
    path.write_text(MUNICIPAL_HEADER + GOOD_RULE, encoding="utf-8")
    return path


# --- validate ----------------------------------------------------------------------------------

def test_shipped_rules_validate() -> None:
    code, out, _ = cli("validate", str(RULES))
    assert code == 0, out
    assert out.strip().endswith("OK: 0 error(s), 0 warning(s)")


def test_planted_unknown_key_is_named_with_its_line(draft: Path) -> None:
    draft.write_text(draft.read_text(encoding="utf-8").replace("    support_form:", "    colour: red\n    support_form:"),
                     encoding="utf-8")
    code, out, _ = cli("validate", str(draft.parent))
    assert code == 1
    line = draft.read_text(encoding="utf-8").splitlines().index("    colour: red") + 1
    assert f"testkommune-2024-01.yaml:{line}:5: unknown key 'colour'" in out and "hint:" in out


def test_broken_yaml_is_named_with_its_line(draft: Path) -> None:
    draft.write_text(draft.read_text(encoding="utf-8") + "  - id: [broken\n", encoding="utf-8")
    code, out, _ = cli("validate", str(draft))
    assert code == 1 and "YAML syntax error" in out and "testkommune-2024-01.yaml:" in out


def test_validate_json_for_ci(draft: Path) -> None:
    draft.write_text(draft.read_text(encoding="utf-8").replace("support_form:", "suport_form:"), encoding="utf-8")
    code, out, _ = cli("validate", str(draft), "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["ok"] is False
    assert any(f["message"].startswith("unknown key 'suport_form'") and f["line"] > 0 for f in report["findings"])


def test_unreachable_conclusion(draft: Path) -> None:
    rule = GOOD_RULE.replace("id: form.group", "id: form.never").replace(
        "    support_form:", "    when: {all: [{fact: support_need_level, at_least: 3}, {fact: support_need_level, at_most: 2}]}\n"
        "    interpretation: test\n    support_form:")
    draft.write_text(MUNICIPAL_HEADER + rule, encoding="utf-8")
    code, out, _ = cli("validate", str(draft))
    assert code == 1 and "rule 'form.never' never applies" in out


def test_contradictory_conclusions(draft: Path) -> None:
    other = GOOD_RULE.replace("id: form.group", "id: form.group_too").replace("status: default", "status: exception")
    draft.write_text(MUNICIPAL_HEADER + GOOD_RULE + other, encoding="utf-8")
    code, out, _ = cli("validate", str(draft))
    assert code == 1 and "contradictory conclusions: support form 'group'" in out
    assert "(rules form.group, form.group_too)" in out


def test_threshold_without_interpretation_is_a_warning(draft: Path) -> None:
    draft.write_text(draft.read_text(encoding="utf-8").replace(
        "    support_form:", "    when: {fact: support_need_level, at_least: 2}\n    support_form:"), encoding="utf-8")
    code, out, _ = cli("validate", str(draft))
    assert code == 0 and "warning:" in out and "add 'interpretation:'" in out


def test_overlapping_versions_are_found(draft: Path) -> None:
    later = draft.with_name("testkommune-2025-01.yaml")
    later.write_text(draft.read_text(encoding="utf-8").replace('"2024-01"', '"2025-01"'), encoding="utf-8")  # same valid_from
    code, out, _ = cli("validate", str(draft.parent))
    assert code == 1 and "overlaps version 2024-01" in out


def test_bad_case_file(draft: Path) -> None:
    tests = draft.parent / "tests"
    tests.mkdir()
    (tests / "cases.yaml").write_text("- name: x\n  facts: {}\n  expect: {eligibilty: eligible}\n", encoding="utf-8")
    code, out, _ = cli("validate", str(draft.parent))
    assert code == 1 and "cases.yaml:3:" in out and "eligibilty" in out


# --- test ----------------------------------------------------------------------------------------

def test_shipped_cases_pass_with_coverage() -> None:
    code, out, _ = cli("test", str(RULES))
    assert code == 0, out[-2000:]
    assert "coverage roskilde@2020-01: 54/54 rules exercised" in out
    assert "decision-relevant sentences no rule cites" in out
    assert out.strip().splitlines()[-1].endswith("passed, 0 failed")


def test_a_rule_change_shows_which_cases_fail(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    rule_file = root / "roskilde" / "roskilde-2020-01.yaml"
    rule_file.write_text(rule_file.read_text(encoding="utf-8").replace("      at_least: 2\n", "      at_least: 3\n", 1),
                         encoding="utf-8")
    code, out, _ = cli("test", str(root / "roskilde"))
    assert code == 1
    assert "FAIL" in out and "criteria.target.support_need: expected met, got not_met" in out


def test_test_json() -> None:
    code, out, _ = cli("test", str(RULES / "roskilde"), "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["failed"] == 0 and report["coverage"][0]["rules_exercised"] == report["coverage"][0]["rules_total"]


# --- compare and diff -----------------------------------------------------------------------------

def test_compare_shows_every_municipality() -> None:
    code, out, _ = cli("compare", EXAMPLE)
    assert code == 0
    for name in ("roskilde 2020-01", "gentofte 2022-01", "faaborg_midtfyn 2021-09"):
        assert name in out
    for row in ("eligibility", "support_forms", "exclusions", "referrals", "deadlines"):
        assert row in out


def test_compare_across_versions_in_json() -> None:
    code, out, _ = cli("compare", EXAMPLE, "--on", "2016-05-10", "--on", "2026-03-02", "--format", "json")
    columns = json.loads(out)
    assert code == 0
    gentofte = {c["version"] for c in columns if c["ruleset"] == "gentofte"}
    assert gentofte == {"2014-06", "2022-01"}
    assert any(c["version"] is None for c in columns), "a rule set with no version on a day says so"


def test_diff_gentofte_2014_and_current_reports_real_changes() -> None:
    code, out, _ = cli("diff", "gentofte@2014-06", "gentofte@2022-01", "--n", "400")
    assert code == 0
    assert "- needs.medication" in out and "+ follow_up.first" in out and "~ target.age" in out
    assert "gyldig fra" in out
    assert "afgørelser ændres" in out and "frister ændret" in out
    again = cli("diff", "gentofte@2014-06", "gentofte@2022-01", "--n", "400")[1]
    assert again == out, "the population is seeded, so the report is reproducible"


def test_diff_of_two_files_and_json(tmp_path: Path) -> None:
    old = RULES / "roskilde" / "roskilde-2020-01.yaml"
    code, out, _ = cli("diff", str(old), str(old), "--n", "50", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["rules"] == [] and report["impact"]["changed"] == 0


def test_diff_unknown_version() -> None:
    code, _, err = cli("diff", "gentofte@1999-01", "gentofte@2022-01")
    assert code == 2 and "no version '1999-01'" in err


# --- docs -------------------------------------------------------------------------------------------

def test_docs_markdown() -> None:
    code, out, _ = cli("docs", "roskilde", "--format", "md")
    assert code == 0
    assert out.startswith("# Kvalitetsstandard for socialpædagogisk støtte")
    assert "### target.support_need" in out and "**Gælder når:** støttebehovsniveauet er mindst 2" in out
    assert "> »har betydelig nedsat fysisk eller psykisk funktionsevne" in out


def test_docs_html_is_one_self_contained_file(tmp_path: Path) -> None:
    target = tmp_path / "roskilde.html"
    code, _, _ = cli("docs", "gentofte@2014-06", "--format", "html", "-o", str(target))
    page = target.read_text(encoding="utf-8")
    assert code == 0 and page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "src=" not in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_docs_html_renders_in_headless_chromium(tmp_path: Path) -> None:
    target = tmp_path / "roskilde.html"
    cli("docs", "roskilde", "--format", "html", "-o", str(target))
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run([str(CHROMIUM), *flags, "--dump-dom", target.as_uri()], capture_output=True, text=True,
                         timeout=120, check=False).stdout
    assert "Kvalitetsstandard for socialpædagogisk støtte" in dom
    assert dom.count('<tr id="') == 63  # every rule of Roskilde and its baseline is shown
    shot = tmp_path / "page.png"
    subprocess.run([str(CHROMIUM), *flags, "--window-size=1200,1600", f"--screenshot={shot}", target.as_uri()],
                   capture_output=True, timeout=120, check=False, cwd=tmp_path)
    assert shot.exists() and shot.stat().st_size > 20_000  # a page with content, not a blank one
