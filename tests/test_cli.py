"""The command line: exit 0 with a decision; exit 2 with one human line for bad input."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from sps_rules.cli import main

from .conftest import ROOT

EXAMPLE = str(ROOT / "examples" / "roskilde-citizen.json")


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_evaluate_text() -> None:
    code, out, _ = run("evaluate", "roskilde", EXAMPLE)
    assert code == 0
    assert out.startswith("Resultat: i målgruppen (eligible)") and "Borgeren opfylder standardens kriterier" in out
    assert "konkret, individuel vurdering" in out


def test_evaluate_json_is_the_decision() -> None:
    code, out, _ = run("evaluate", "roskilde", EXAMPLE, "--format", "json")
    assert code == 0
    decision = json.loads(out)
    assert decision["eligibility"] == "eligible"
    assert decision["ruleset"]["id"] == "roskilde" and len(decision["ruleset"]["sha256"]) == 64


def test_evaluate_from_stdin() -> None:
    code, out, _ = run("evaluate", "roskilde", "-", "--format", "json", stdin=Path(EXAMPLE).read_text())
    assert code == 0 and json.loads(out)["eligibility"] == "eligible"


def test_bad_inputs_exit_2_with_one_line() -> None:
    cases = [
        (["evaluate", "roskilde", "-"], '{"assessment_date": "2026-01-01", "shoe": 1}', "shoe: unknown field"),
        (["evaluate", "roskilde", "-"], "[1, 2", "invalid JSON"),
        (["evaluate", "roskilde", "-"], "[1, 2]", "must be a JSON object"),
        (["evaluate", "roskilde", "-"], '{"birth_date": "1990-01-01"}', "assessment_date: required field is missing"),
        (["evaluate", "atlantis", EXAMPLE], None, "no rule set 'atlantis'"),
        (["evaluate", "roskilde", "/nonexistent.json"], None, "cannot read the facts file"),
        (["evaluate", "roskilde", "-"], '{"assessment_date": "1999-01-01"}', "no version of rule set 'roskilde'"),
    ]
    for args, stdin, words in cases:
        code, _, err = run(*args, stdin=stdin)
        assert code == 2, (args, stdin, err)
        assert words in err and err.count("\n") == 1, err


def test_list_shows_every_rule_set_and_version() -> None:
    code, out, _ = run("list")
    assert code == 0
    for ruleset in ("national", "roskilde"):
        assert ruleset in out
    code, out, _ = run("list", "--format", "json")
    assert {item["id"] for item in json.loads(out)} >= {"national", "roskilde"}


def test_schema_matches_the_shipped_files() -> None:
    for what, name in (("rules", "ruleset.schema.json"), ("facts", "facts.schema.json"), ("cases", "cases.schema.json")):
        code, out, _ = run("schema", what)
        assert code == 0
        shipped = (ROOT / "src" / "sps_rules" / "schemas" / name).read_text(encoding="utf-8")
        assert json.loads(out) == json.loads(shipped), f"regenerate with: sps-rules schema {what} > src/sps_rules/schemas/{name}"
