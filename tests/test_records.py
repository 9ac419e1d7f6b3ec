"""Decision records, exact replay, tamper evidence; explain in Danish with citations; why-not by re-evaluation."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import sps_rules
from sps_rules.cli import main
from sps_rules.audit.records import RECORD_SCHEMA_VERSION, durable_rules_version

from .conftest import ROOT, RULES

EXAMPLE = json.loads((ROOT / "examples" / "roskilde-citizen.json").read_text(encoding="utf-8"))


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def record_file(tmp_path: Path) -> Path:
    path = tmp_path / "record.json"
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(EXAMPLE), encoding="utf-8")
    code, _, err = cli("evaluate", "roskilde", str(facts), "--record", str(path))
    assert code == 0, err
    return path


def edit(path: Path, change: Any) -> Path:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    out = path.with_name("edited.json")
    out.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return out


def test_record_is_self_contained(record_file: Path) -> None:
    data = json.loads(record_file.read_text(encoding="utf-8"))
    assert data["record_schema_version"] == RECORD_SCHEMA_VERSION
    assert data["engine_version"] == sps_rules.__version__
    assert data["durable_rules_version"] == durable_rules_version() != "unknown"
    assert data["facts"] == EXAMPLE
    assert data["ruleset"]["id"] == "roskilde" and data["ruleset"]["version"] == "2020-01"
    assert data["ruleset"]["sha256"] == sps_rules.load_ruleset("roskilde").sha256
    assert len(data["record_sha256"]) == 64
    assert data["decision"]["trace"], "the full trace is recorded"
    # the time of recording is outside the decision, which stays byte-identical
    assert "created_at" not in data["decision"]
    assert data["decision"] == sps_rules.evaluate("roskilde", EXAMPLE).model_dump(mode="json")


def test_a_record_written_today_replays_exactly(record_file: Path) -> None:
    code, out, _ = cli("replay", str(record_file))
    assert (code, out.splitlines()[0]) == (0, "reproduced exactly")
    assert "record schema 2: sha256 over RFC 8785 canonical JSON; unsigned" in out
    assert sps_rules.replay(record_file).reproduced


def test_python_api_record_and_replay() -> None:
    record = sps_rules.record("roskilde", EXAMPLE, created_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    again = sps_rules.record("roskilde", EXAMPLE, created_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert record.to_json() == again.to_json()
    result = sps_rules.replay(record.to_json().encode())
    assert result.reproduced and result.exit_code == 0 and result.report().splitlines()[0] == "reproduced exactly"


@pytest.mark.parametrize(
    ("fact", "value", "named"),
    [
        ("support_need_level", 1, "support_need_level"),
        ("birth_date", "2010-01-01", "birth_date"),
        ("resident_municipality", "koege", "resident_municipality"),
        ("function_levels", {"mental_functions": 1}, "function_levels.mental_functions"),
        ("support_start_date", "2026-05-31", "deadlines"),
        ("decision_notified_date", "2026-03-09", "deadlines"),
        ("needs", ["mail"], "needs"),
        ("requests", ["transport"], "requests"),
    ],
)
def test_changing_any_fact_fails_replay_and_names_what_differs(
    record_file: Path, fact: str, value: Any, named: str
) -> None:
    edited = edit(record_file, lambda d: d["facts"].__setitem__(fact, value))
    code, out, _ = cli("replay", str(edited))
    assert code == 1
    assert "altered after it was written" in out
    assert named in out


def test_changing_the_ruleset_hash_fails_replay(record_file: Path) -> None:
    edited = edit(record_file, lambda d: d["ruleset"].__setitem__("sha256", "0" * 64))
    code, out, _ = cli("replay", str(edited))
    assert code == 1 and "has changed since the record was made" in out


def test_editing_a_released_rule_set_is_caught(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    record = sps_rules.record("roskilde", EXAMPLE, root=root)
    rule_file = root / "roskilde" / "roskilde-2020-01.yaml"
    rule_file.write_text(rule_file.read_text(encoding="utf-8").replace("at_least: 2\n", "at_least: 3\n"), encoding="utf-8")
    result = sps_rules.replay(record, root=root)
    assert not result.reproduced
    assert any("has changed since the record was made" in p for p in result.problems)
    assert any(d.path == "eligibility" for d in result.differences)
    assert "eligibility: recorded \"eligible\", replayed \"not_eligible\"" in result.report()


def test_a_version_that_is_gone_is_never_replaced_by_another(record_file: Path) -> None:
    edited = edit(record_file, lambda d: d["ruleset"].__setitem__("version", "1999-01"))
    code, out, _ = cli("replay", str(edited))
    assert code == 1 and "no version 1999-01" in out and "no other version is used" in out


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"[]", b'{"record_schema_version": "1"}', "\udcff".encode("utf-8", "surrogatepass"),
     b'{"record_schema_version": "9"}'],
)
def test_corrupt_or_invalid_records_exit_2(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    code, _, err = cli("replay", str(path))
    assert code == 2 and err.startswith("sps-rules: error:") and err.count("\n") == 1


def test_missing_record_file_exits_2(tmp_path: Path) -> None:
    code, _, err = cli("replay", str(tmp_path / "nope.json"))
    assert code == 2 and "cannot read the record" in err


def test_explain_gives_danish_reasons_with_citations(record_file: Path) -> None:
    code, out, _ = cli("explain", str(record_file))
    assert code == 0
    assert "Borgeren opfylder standardens kriterier" in out
    assert "konkret, individuel vurdering" in out
    assert "Serviceloven § 85" in out and "»er over 18 år og bosiddende i Roskilde Kommune«" in out
    assert "target.age: opfyldt (met). Borgeren er fyldt 18 år. Oplysninger: fødselsdatoen 1991-09-14, alderen 34." in out
    assert "Klagefrist: senest 2026-04-07" in out and "Langfredag" in out
    assert "Til sagsbehandlerens konkrete, individuelle vurdering" in out


def test_explain_formats(record_file: Path) -> None:
    _, markdown, _ = cli("explain", str(record_file), "--format", "markdown")
    assert markdown.startswith("# Begrundelse") and "\n## Kriterier\n" in markdown and "> *" in markdown
    _, page, _ = cli("explain", str(record_file), "--format", "html")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="da">' in page and "<style>" in page
    assert "<script" not in page and "<link" not in page and "src=" not in page  # one self-contained file
    assert "&lt;" not in page or "<p>" not in page  # text is escaped, never raw markup from sources


def test_explain_from_facts_with_why_not(tmp_path: Path) -> None:
    facts = {**EXAMPLE, "support_need_level": 1}
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts), encoding="utf-8")
    code, out, _ = cli("explain", "--facts", str(path), "--municipality", "roskilde", "--why-not")
    assert code == 0
    assert "Hvad ville ændre resultatet" in out
    assert ("støttebehovsniveauet (support_need_level), nu 1: 2 → i målgruppen; 3 → i målgruppen; "
            "4 → i målgruppen") in out


def test_explain_needs_a_record_or_facts() -> None:
    code, _, err = cli("explain")
    assert code == 2 and "give either RECORD.json" in err


def test_why_not_changes_are_verified_by_re_evaluation() -> None:
    facts = {**EXAMPLE, "support_need_level": 1, "function_levels": {"physical_functions": 1},
             "special_social_problems": None}
    analysis = sps_rules.why_not("roskilde", facts)
    assert analysis.eligibility == "not_eligible"
    assert {"support_need_level", "function_levels.mental_functions", "special_social_problems"} <= set(
        analysis.deciding_facts)
    assert analysis.fixes, "each failing criterion gets the changes that would meet it"
    for fix in analysis.fixes:
        head, _, tail = fix.fact.partition(".")
        variant = dict(facts)
        variant[head] = {**(facts.get(head) or {}), tail: fix.value} if tail else fix.value
        status = {c.id: c.status for c in sps_rules.evaluate("roskilde", variant).criteria}[fix.criterion]
        assert status == "met", fix
    for change in analysis.changes:
        head, _, tail = change.fact.partition(".")
        variant = dict(facts)
        variant[head] = {**(facts.get(head) or {}), tail: change.value} if tail else change.value
        assert sps_rules.evaluate("roskilde", variant).eligibility == change.eligibility


def test_why_not_is_empty_for_an_eligible_citizen() -> None:
    analysis = sps_rules.why_not("roskilde", EXAMPLE)
    assert analysis.eligibility == "eligible" and not analysis.changes and not analysis.fixes


def test_why_not_finds_the_age_threshold() -> None:
    facts = {**EXAMPLE, "birth_date": "2010-06-01"}
    analysis = sps_rules.why_not("roskilde", facts)
    assert any(c.fact == "birth_date" and c.value == "2008-03-02" and c.eligibility == "eligible"
               for c in analysis.changes)


def test_a_record_made_by_0_1_replays_and_names_what_differs(record_file: Path) -> None:
    """0.1 kept the values each rule read inside its trace entry; replay still reads those records."""
    from sps_rules.audit.records import DecisionRecord

    data = json.loads(record_file.read_text(encoding="utf-8"))
    decision = data["decision"]
    facts, derived = decision.pop("facts"), decision.pop("derived_facts")
    flat = {**{k: v for k, v in facts.items() if not isinstance(v, dict)},
            **{f"function_levels.{k}": v for k, v in (facts["function_levels"] or {}).items()}, **derived}
    for entry in decision["trace"]:
        entry["facts"] = {path: flat[path] for path in entry.pop("reads")}
        if "support_need_level" in entry["facts"]:
            entry["facts"]["support_need_level"] = 3  # what that decision read; the record's facts say 2
    data["engine_version"] = decision["engine_version"] = "0.1.0"
    data["record_schema_version"] = "1"  # what 0.1 wrote: no dependencies, sorted-key JSON hash
    data.pop("dependencies")
    data["record_sha256"] = DecisionRecord.model_validate(data).content_sha256()
    old = record_file.with_name("old.json")
    old.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    code, out, _ = cli("replay", str(old))
    assert code == 1
    assert "altered" not in out
    assert f"engine version differs: recorded 0.1.0, now {sps_rules.__version__}" in out
    assert "fact support_need_level: the recorded decision read 3, the record's facts now give 2" in out
    assert "trace:" in out
