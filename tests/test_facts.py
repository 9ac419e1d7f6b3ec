"""CitizenFacts: every kind of bad input is refused with the field named; unknown is never 0 or no."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sps_rules import CitizenFacts, FactsError
from sps_rules.engine.evaluator import coerce_facts

BASE = {"assessment_date": "2026-03-02"}


def test_only_assessment_date_is_required() -> None:
    facts = coerce_facts(BASE)
    assert facts.birth_date is None and facts.function_levels is None and facts.needs is None


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"shoe_size": 42}, "shoe_size", "unknown field"),
        ({"function_levels": {"mental": 2}}, "function_levels.mental", "unknown field"),
        ({"birth_date": "1990-13-01"}, "birth_date", "date"),
        ({"support_need_level": 5}, "support_need_level", "0, 1, 2, 3 or 4"),
        ({"function_levels": {"mental_functions": -1}}, "function_levels.mental_functions", ""),
        ({"special_social_problems": "maybe"}, "special_social_problems", "bool"),
        ({"needs": ["finances", "flying"]}, "needs.1", ""),
        ({"requests": "transport"}, "requests", ""),
        ({"resident_municipality": "Roskilde Kommune"}, "resident_municipality", "pattern"),
        ({"birth_date": "1066-10-14"}, "birth_date", "plausible range"),
        ({"support_start_date": "9999-01-01"}, "support_start_date", "plausible range"),
        ({"birth_date": "2030-01-01"}, "(top level)", "after assessment_date"),
    ],
)
def test_bad_facts_name_the_field(extra: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(FactsError) as info:
        coerce_facts({**BASE, **extra})
    message = str(info.value)
    assert field in message
    assert words.lower() in message.lower()


def test_missing_assessment_date() -> None:
    with pytest.raises(FactsError, match="assessment_date: required field is missing"):
        coerce_facts({"birth_date": "1990-01-01"})


def test_not_an_object() -> None:
    with pytest.raises(FactsError, match="JSON object"):
        coerce_facts(42)  # type: ignore[arg-type]


def test_json_text_is_accepted_and_validated() -> None:
    assert coerce_facts('{"assessment_date": "2026-03-02"}').assessment_date.isoformat() == "2026-03-02"
    with pytest.raises(FactsError):
        coerce_facts("{not json")


def test_null_means_unknown() -> None:
    facts = coerce_facts({**BASE, "birth_date": None, "function_levels": {"mental_functions": None}})
    assert facts.age() is None
    assert facts.function_levels is not None and facts.function_levels.mental_functions is None


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [("2008-03-02", "2026-03-02", 18), ("2008-03-03", "2026-03-02", 17), ("2008-02-29", "2026-02-28", 17),
     ("2008-02-29", "2026-03-01", 18), ("2008-02-29", "2028-02-29", 20)],
)
def test_age_in_completed_years(birth: str, on: str, age: int) -> None:
    assert coerce_facts({"assessment_date": on, "birth_date": birth}).age() == age


def test_codes_are_sorted_and_deduplicated() -> None:
    facts = coerce_facts({**BASE, "needs": ["mail", "finances", "mail"]})
    assert facts.needs == ("finances", "mail")


def test_facts_are_immutable() -> None:
    facts = CitizenFacts.model_validate(BASE)
    with pytest.raises(ValidationError):
        facts.birth_date = None  # type: ignore[misc]
