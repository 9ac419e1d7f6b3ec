"""Records that hold up (issue 18 §1, §2; issue 12's record items): schema 2 hashes what is
stored, canonically; every library version that shapes a decision is recorded; replay checks
the header against the release; explain verifies a record before rendering it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import sps_rules
from sps_rules.audit.records import dependency_versions, pretty, read_record
from sps_rules.cli import main
from sps_rules.model.canonical import canonical_json, canonical_sha256

from .conftest import ROOT

EXAMPLE = json.loads((ROOT / "examples" / "roskilde-citizen.json").read_text(encoding="utf-8"))
WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def stored() -> bytes:
    return sps_rules.record("roskilde", EXAMPLE, created_at=WHEN).to_json().encode("utf-8")


def rehash(data: dict[str, Any]) -> bytes:
    """What someone who edits a record and recomputes its sha256 would write."""
    content = {k: v for k, v in data.items() if k not in ("record_sha256", "signature")}
    return (pretty(canonical_json({**data, "record_sha256": canonical_sha256(content)}).decode()) + "\n").encode()


def test_a_new_record_is_schema_2_and_its_file_is_canonical_json_laid_out(stored: bytes) -> None:
    data = json.loads(stored)
    assert data["record_schema_version"] == "2"
    assert b"".join(stored.split()) != canonical_json(data)  # strings keep their spaces ...
    assert json.loads(stored) == json.loads(canonical_json(data))  # ... and nothing else differs
    content = {k: v for k, v in data.items() if k != "record_sha256"}
    assert data["record_sha256"] == canonical_sha256(content)
    assert data["created_at"] == "2026-03-02T09:00:00Z"


def test_created_at_respelt_with_the_same_instant_is_detected(stored: bytes, tmp_path: Path) -> None:
    edited = stored.replace(b'"2026-03-02T09:00:00Z"', b'"2026-03-02T09:00:00+00:00"')
    assert edited != stored
    result = sps_rules.replay(edited)
    assert not result.reproduced
    assert any("altered after it was written" in p for p in result.problems)


def test_a_number_respelt_as_a_float_is_detected(stored: bytes) -> None:
    edited = stored.replace(b'"support_need_level": 2', b'"support_need_level": 2.0', 1)
    assert edited != stored
    record = read_record(edited)
    problems = sps_rules.replay(record).problems
    assert any("not as they were written" in p for p in problems)


def test_whitespace_outside_strings_is_not_content(stored: bytes) -> None:
    squeezed = canonical_json(json.loads(stored))
    reflowed = json.dumps(json.loads(stored), indent=7, ensure_ascii=False, sort_keys=True).encode()
    assert sps_rules.replay(squeezed).reproduced
    assert sps_rules.replay(reflowed).reproduced


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_nan_and_infinity_are_refused_in_a_record(stored: bytes, constant: bytes) -> None:
    edited = stored.replace(b'"support_need_level": 2', b'"support_need_level": ' + constant, 1)
    with pytest.raises(sps_rules.RecordError, match="not a JSON number"):
        read_record(edited)


def test_nan_and_infinity_are_refused_in_the_facts_of_a_record() -> None:
    for bad in (float("nan"), float("inf")):
        with pytest.raises(sps_rules.FactsError):
            sps_rules.record("roskilde", {**EXAMPLE, "support_need_level": bad})
    with pytest.raises(sps_rules.FactsError):
        sps_rules.record("roskilde", '{"assessment_date": "2026-03-02", "support_need_level": NaN}')


def test_a_schema_1_record_still_replays_and_says_its_scheme(tmp_path: Path) -> None:
    old = ROOT / "tests" / "data" / "record-schema-1.json"
    result = sps_rules.replay(old)
    assert result.reproduced, result.report()
    assert "record schema 1: sha256 over sorted-key JSON (before RFC 8785); unsigned" in result.report()
    edited = old.read_bytes().replace(b'T12:00:00Z"', b'T12:00:00+00:00"')
    assert edited != old.read_bytes()
    assert "altered after it was written" in sps_rules.replay(edited).report()


def test_every_library_that_shapes_a_decision_is_recorded(stored: bytes) -> None:
    data = json.loads(stored)
    assert {"holidays", "python-dateutil", "pydantic", "pydantic_core", "python"} <= set(data["dependencies"])
    assert data["dependencies"] == dependency_versions()
    assert "unknown" not in data["dependencies"].values()


def test_replay_names_a_version_difference_as_the_likely_cause(stored: bytes) -> None:
    data = json.loads(stored)
    data["dependencies"]["holidays"] = "0.40"
    for deadline in data["decision"]["deadlines"]:  # what an older holiday calendar might have given
        if deadline.get("due"):
            deadline["due"] = "2026-12-31"
    result = sps_rules.replay(rehash(data))
    assert not result.reproduced
    report = result.report()
    assert f"likely cause: library versions differ from the record's: holidays 0.40 → {dependency_versions()['holidays']}" in report
    assert "deadlines" in report


def test_a_version_difference_alone_is_reported_but_does_not_fail(stored: bytes) -> None:
    data = json.loads(stored)
    data["dependencies"]["python-dateutil"] = "2.8.2"
    result = sps_rules.replay(rehash(data))
    assert result.reproduced
    assert "library versions differ, without changing the decision: python-dateutil 2.8.2 →" in result.report()


def test_replay_checks_the_header_validity_against_the_release(stored: bytes) -> None:
    data = json.loads(stored)
    data["ruleset"]["valid_to"] = "2026-12-31"
    data["decision"]["ruleset"]["valid_to"] = "2026-12-31"
    result = sps_rules.replay(rehash(data))
    assert not result.reproduced
    assert "the record says rule set roskilde 2020-01 is valid 2020-01-01 .. 2026-12-31, the release says 2020-01-01 .. open" \
        in result.problems


def test_replay_checks_the_header_against_the_decision(stored: bytes) -> None:
    data = json.loads(stored)
    data["decision"]["ruleset"]["version"] = "2019-01"
    data["decision"]["engine_version"] = "0.0.1"
    problems = sps_rules.replay(rehash(data)).problems
    assert any("name different rule sets" in p for p in problems)
    assert any("name different engine versions" in p for p in problems)


def test_replay_refuses_an_assessment_date_outside_the_validity(stored: bytes) -> None:
    data = json.loads(stored)
    data["decision"]["assessment_date"] = "2019-06-01"
    problems = sps_rules.replay(rehash(data)).problems
    assert "the assessment date 2019-06-01 lies outside the rule set's validity 2020-01-01 .. open" in problems


@pytest.mark.parametrize(("created_at", "says"), [
    ("2099-01-01T00:00:00Z", "lies in the future"),
    ("1999-12-31T00:00:00Z", "before any record could have been written"),
    ("2026-03-02T09:00:00", "has no time zone"),
])
def test_replay_checks_created_at_is_plausible(stored: bytes, created_at: str, says: str) -> None:
    data = json.loads(stored)
    data["created_at"] = created_at
    result = sps_rules.replay(rehash(data), now=WHEN + timedelta(days=30))
    assert not result.reproduced and any(says in p for p in result.problems)


def test_explain_refuses_a_tampered_record(stored: bytes, tmp_path: Path) -> None:
    data = json.loads(stored)
    data["decision"]["eligibility"] = "not_eligible"
    tampered = json.dumps(data, indent=2, ensure_ascii=False).encode()
    with pytest.raises(sps_rules.RecordError, match="altered after it was written"):
        sps_rules.explain(read_record(tampered))
    path = tmp_path / "tampered.json"
    path.write_bytes(tampered)
    code, out, err = cli("explain", str(path))
    assert code == 2 and out == "" and "the record cannot be trusted" in err and err.count("\n") == 1
    assert "Resultat" in sps_rules.explain(read_record(stored))


def test_explain_refuses_a_respelt_record(stored: bytes) -> None:
    edited = stored.replace(b'"2026-03-02T09:00:00Z"', b'"2026-03-02T09:00:00+00:00"')
    with pytest.raises(sps_rules.RecordError):
        sps_rules.explain(read_record(edited))


def test_explain_of_a_record_whose_decision_is_malformed_is_a_record_error(stored: bytes) -> None:
    data = json.loads(stored)
    data["decision"]["criteria"] = "nonsense"
    with pytest.raises(sps_rules.RecordError, match="not a valid decision"):
        sps_rules.explain(read_record(rehash(data)))


def test_an_engine_version_difference_is_named_as_the_likely_cause(stored: bytes) -> None:
    data = json.loads(stored)
    data["engine_version"] = data["decision"]["engine_version"] = "0.1.0"
    report = sps_rules.replay(rehash(data)).report()
    assert f"likely cause: library versions differ from the record's: sps-rules 0.1.0 → {sps_rules.__version__}" in report


def test_a_record_validated_from_a_parsed_document_is_hashed_as_it_was_given(stored: bytes) -> None:
    """The service and other callers hand over parsed JSON: the hash is still over what was given."""
    data = json.loads(stored)
    assert sps_rules.replay(sps_rules.DecisionRecord.model_validate(data)).reproduced
    data["created_at"] = "2026-03-02T09:00:00+00:00"
    record = sps_rules.DecisionRecord.model_validate(data)
    assert record.created_at == WHEN  # the same instant ...
    assert any("altered after it was written" in p for p in sps_rules.replay(record).problems)  # ... but not as stored


def test_a_record_built_from_python_objects_hashes_its_fields(stored: bytes) -> None:
    parsed = read_record(stored)
    built = sps_rules.DecisionRecord(**{name: getattr(parsed, name) for name in sps_rules.DecisionRecord.model_fields})
    assert built.content_sha256() == parsed.record_sha256
    assert sps_rules.replay(built).reproduced
