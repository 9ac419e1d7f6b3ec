"""The fast path for plain facts dicts builds exactly what pydantic builds, or leaves it to pydantic."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sps_rules.engine.evaluator import coerce_facts
from sps_rules.model.errors import FactsError
from sps_rules.model.facts import NEED_CODES, REQUEST_CODES, THEMES, CitizenFacts
from sps_rules.model.fastfacts import HANDLED, quick_facts
from sps_rules.model.population import citizens

# Values of every JSON type and the near misses the strict facts refuse: bools as levels, floats,
# numbers and timestamps as dates, impossible and out-of-range days, codes that do not exist.
ODD = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 7), st.floats(allow_nan=False), st.just(1.0),
    st.text(max_size=12), st.sampled_from(["2026-03-02", "2026-02-30", "1899-12-31", "2201-01-01", "2026-W10-1",
                                           "20260302", "2026-03-02T00:00:00", "٢٠٢٦-03-02", "roskilde", "Roskilde",
                                           "roskilde\n", "mail", "escort_only"]),
    st.just(date(2026, 3, 2)), st.just(datetime(2026, 3, 2, 0, 0)),
    st.lists(st.sampled_from(NEED_CODES + REQUEST_CODES + ("x",)), max_size=4), st.tuples(st.sampled_from(NEED_CODES)),
    st.dictionaries(st.sampled_from((*THEMES, "other")), st.integers(-1, 5), max_size=3),
)
FIELDS = (*CitizenFacts.model_fields, "unknown_field")


def _outcome(data: Any) -> CitizenFacts | None:
    try:
        return CitizenFacts.model_validate(data)
    except (ValidationError, ValueError, TypeError):
        return None


def _agrees(data: Any) -> None:
    quick = quick_facts(data)
    if quick is None:
        return  # pydantic decides, as before
    full = _outcome(data)
    assert full is not None, "the fast path accepted what pydantic refuses"
    assert quick == full
    assert quick.model_fields_set == full.model_fields_set
    assert quick.model_dump_json() == full.model_dump_json()
    levels, full_levels = quick.function_levels, full.function_levels
    if levels is not None:
        assert full_levels is not None and levels.model_fields_set == full_levels.model_fields_set


@settings(max_examples=600, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), ODD, max_size=8), st.sampled_from(["2026-03-02", "2020-01-01"]))
def test_the_fast_path_builds_what_pydantic_builds_or_leaves_it(data: dict[str, Any], today: str) -> None:
    _agrees({"assessment_date": today, **data})
    _agrees(data)


def test_the_generated_population_takes_the_fast_path_and_gets_the_same_facts() -> None:
    for facts in citizens(500, seed=3):
        quick = quick_facts(facts)
        assert quick is not None
        assert quick == CitizenFacts.model_validate(facts)


@pytest.mark.parametrize("data", [
    {"assessment_date": "2026-03-02", "support_need_level": True},
    {"assessment_date": "2026-03-02", "function_levels": {"self_care": 1.0}},
    {"assessment_date": 20260302},
    {"assessment_date": "2026-02-30"},
    {"assessment_date": "2026-03-02", "birth_date": "2027-01-01"},
    {"assessment_date": "2026-03-02", "needs": ["mail", "no_such_need"]},
    {"assessment_date": "2026-03-02", "cpr": "0101901234"},
])
def test_bad_facts_still_get_pydantic_s_worded_error(data: dict[str, Any]) -> None:
    assert quick_facts(data) is None
    with pytest.raises(FactsError) as caught:
        coerce_facts(data)
    assert "0101901234" not in str(caught.value)


def test_lists_of_codes_are_sorted_and_deduplicated_as_pydantic_does() -> None:
    facts = quick_facts({"assessment_date": "2026-03-02", "needs": ["mail", "finances", "mail"]})
    assert facts is not None and facts.needs == ("finances", "mail")


def test_every_field_of_the_facts_is_checked_by_the_fast_path() -> None:
    assert sorted(HANDLED) == sorted(CitizenFacts.model_fields), "a new fact needs its check in model/fastfacts.py"
