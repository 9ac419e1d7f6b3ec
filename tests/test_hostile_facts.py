"""Strict facts: each field takes its JSON type only, and no message echoes a personal value."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import sps_rules
from sps_rules import FactsError
from sps_rules.engine.evaluator import coerce_facts

BASE: dict[str, Any] = {"assessment_date": "2026-03-02"}
CPR = "010190-1234"


@pytest.mark.parametrize(("field", "value"), [
    ("support_need_level", True),
    ("support_need_level", False),
    ("support_need_level", 2.0),
    ("support_need_level", "2"),
    ("support_need_level", [2]),
])
def test_a_level_is_a_whole_number_only(field: str, value: object) -> None:
    with pytest.raises(FactsError, match=f"{field}: expected a whole number 0..4"):
        coerce_facts({**BASE, field: value})
    with pytest.raises(FactsError, match="function_levels.self_care: expected a whole number 0..4"):
        coerce_facts({**BASE, "function_levels": {"self_care": value}})


@pytest.mark.parametrize("value", [1, 0, "yes", "on", "true", "1", 1.0, [True]])
def test_a_boolean_is_true_or_false_only(value: object) -> None:
    with pytest.raises(FactsError, match="special_social_problems: expected a boolean"):
        coerce_facts({**BASE, "special_social_problems": value})


@pytest.mark.parametrize("value", [0, 1_700_000_000, 20260302, 1.5, True, ["2026-03-02"], {"y": 2026}])
def test_a_date_is_never_a_number_or_other_type(value: object) -> None:
    with pytest.raises(FactsError, match="birth_date: expected a date as text YYYY-MM-DD"):
        coerce_facts({**BASE, "birth_date": value})


@pytest.mark.parametrize("value", ["1700000000", "20260302", "2026-3-2", "2026-03-02T00:00:00", "02-03-2026",
                                   " 2026-03-02", "２０２６-03-02", "2026-03-02Z"])
def test_a_date_is_iso_text_only(value: str) -> None:
    with pytest.raises(FactsError, match="birth_date: expected a date written YYYY-MM-DD"):
        coerce_facts({**BASE, "birth_date": value})


def test_dates_still_accept_iso_text_and_date_objects() -> None:
    facts = coerce_facts({"assessment_date": date(2026, 3, 2), "birth_date": "1990-05-01"})
    assert facts.birth_date == date(1990, 5, 1)
    assert coerce_facts('{"assessment_date": "2026-03-02"}').assessment_date == date(2026, 3, 2)


@pytest.mark.parametrize(("field", "value"), [("needs", "finances"), ("requests", {"transport": True}),
                                              ("resident_municipality", 4000), ("resident_municipality", True)])
def test_lists_and_text_take_their_json_type_only(field: str, value: object) -> None:
    with pytest.raises(FactsError, match=f"{field}: expected"):
        coerce_facts({**BASE, field: value})


def test_json_text_is_read_strictly() -> None:
    with pytest.raises(FactsError, match="duplicate key"):
        coerce_facts('{"assessment_date": "2026-03-02", "assessment_date": "2020-01-01"}')
    with pytest.raises(FactsError, match="digits"):
        coerce_facts('{"assessment_date": "2026-03-02", "support_need_level": 1' + "0" * 5000 + "}")
    with pytest.raises(FactsError, match="nested"):
        coerce_facts('{"assessment_date": "2026-03-02", "needs": ' + "[" * 5000 + "]" * 5000 + "}")
    with pytest.raises(FactsError, match="not a JSON number"):
        coerce_facts('{"assessment_date": "2026-03-02", "support_need_level": NaN}')


def test_a_facts_file_is_read_strictly(tmp_path: Path) -> None:
    path = tmp_path / "facts.json"
    path.write_text('{"assessment_date": "2026-03-02", "birth_date": "1990-01-01", "birth_date": "1950-01-01"}')
    with pytest.raises(FactsError, match="duplicate key"):
        sps_rules.evaluate("roskilde", path)


@pytest.mark.parametrize("facts", [
    {**BASE, "support_need_level": CPR},
    {**BASE, "special_social_problems": CPR},
    {**BASE, "resident_municipality": CPR},
    {**BASE, "needs": [CPR]},
    {**BASE, "birth_date": CPR},
    {**BASE, "birth_date": "1990-02-30"},
    {**BASE, "birth_date": "1812-01-23"},
    {**BASE, "birth_date": "2031-01-23"},
    {**BASE, "function_levels": CPR},
])
def test_messages_never_echo_the_value(facts: dict[str, Any]) -> None:
    with pytest.raises(FactsError) as caught:
        coerce_facts(facts)
    message = str(caught.value)
    for secret in (CPR, "1990-02-30", "1812-01-23", "2031-01-23", "1234"):
        assert secret not in message
        assert secret not in json.dumps(caught.value.errors)


def test_a_syntax_error_never_echoes_the_document() -> None:
    with pytest.raises(FactsError) as caught:
        coerce_facts('{"assessment_date": "2026-03-02", "name": "Jens Hansen", "cpr": "' + CPR + '"')
    assert "Jens" not in str(caught.value) and CPR not in str(caught.value)


def test_a_huge_wrong_list_gives_a_short_message() -> None:
    with pytest.raises(FactsError) as caught:
        coerce_facts({**BASE, "needs": ["nope"] * 150_000})
    assert len(str(caught.value)) < 2_000
    assert "more problem" in str(caught.value)
    assert len(caught.value.errors) <= 20


def test_unknown_fields_get_a_did_you_mean() -> None:
    with pytest.raises(FactsError, match="did you mean 'birth_date'"):
        coerce_facts({**BASE, "birthdate": "1990-01-01"})
    with pytest.raises(FactsError, match="did you mean 'self_care'"):
        coerce_facts({**BASE, "function_levels": {"selfcare": 2}})


@pytest.mark.parametrize("facts", [[], 5, None, "[]", b"null", object()])
def test_anything_not_an_object_is_a_facts_error(facts: Any) -> None:
    with pytest.raises(FactsError):
        sps_rules.evaluate("roskilde", facts)


def test_a_python_mapping_with_odd_keys_is_a_facts_error() -> None:
    with pytest.raises(FactsError):
        coerce_facts({**BASE, 5: 1})  # type: ignore[dict-item]
