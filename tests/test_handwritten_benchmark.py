"""The hand-written Roskilde decision (benchmarks/handwritten_roskilde.py) stays byte-identical to sps_rules.

It is the baseline of the "within 2× of a hand-written decision" speed target. When the decision's
JSON changes (a new field, another wording, the trace's citations), these tests fail: the
hand-written baseline must follow, or the benchmark compares against a different output.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sps_rules
from sps_rules.model.population import citizens

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "handwritten_roskilde.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("handwritten_roskilde", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


handwritten = _load()
ROSKILDE = sps_rules.load_ruleset_version("roskilde", "2020-01")


def _engine(facts: dict[str, Any]) -> str:
    return ROSKILDE.evaluate(facts).to_json(indent=None)


def test_the_version_is_roskildes_latest() -> None:
    """The baseline is written for Roskilde 2020-01: a newer version needs a new hand-written decision."""
    latest = sps_rules.load_ruleset("roskilde")
    assert (latest.version, latest.valid_from.isoformat()) == ("2020-01", handwritten.VALID_FROM)


@pytest.mark.parametrize(("seed", "day"), [(85, date(2020, 1, 1)), (7, date(2020, 1, 1)), (3, date(2026, 3, 2))])
def test_byte_identical_on_generated_citizens(seed: int, day: date) -> None:
    for number, facts in enumerate(citizens(120, seed=seed, assessment_date=day)):
        assert handwritten.decide(facts) == _engine(facts), f"citizen {number} of seed {seed}"


EDGES: list[dict[str, Any]] = [
    {"assessment_date": "2020-01-01"},  # nothing known
    {"assessment_date": "2020-01-01", "function_levels": {}, "needs": [], "requests": []},
    {"assessment_date": "2024-06-03", "birth_date": "2006-06-03", "resident_municipality": "roskilde",  # eligible
     "function_levels": {"mental_functions": 3}, "support_need_level": 2, "need_met_by_less_intrusive_offer": False,
     "can_participate_in_group": False, "can_participate_actively": False, "home_is_safe_workplace": False,
     "support_start_date": "2024-01-31", "decision_notified_date": "2024-03-04",  # due 1 April: 2. påskedag
     "complaint_received_date": "2024-11-30",  # due 28 December, a Saturday
     "needs": ["mail", "medication", "mail"], "requests": ["transport", "escort_only", "specialist_health_advice"]},
    {"assessment_date": "2024-06-03", "birth_date": "2006-06-04", "resident_municipality": "koege",  # not eligible
     "function_levels": {"physical_functions": 1, "mental_functions": 0}, "special_social_problems": False,
     "support_need_level": 0, "need_met_by_less_intrusive_offer": True, "can_participate_in_group": False,
     "wants_to_participate": False, "home_is_safe_workplace": False, "support_start_date": "2020-02-29",
     "requests": sorted(handwritten.REQUEST_CODES), "needs": sorted(handwritten.NEED_CODES)},
    {"assessment_date": "2021-03-01", "birth_date": "2004-02-29", "special_social_problems": True,  # 17 on 1 March
     "support_start_date": "2020-11-30", "decision_notified_date": "2021-11-27"},  # due Christmas Day
]


@pytest.mark.parametrize("facts", EDGES)
def test_byte_identical_on_edge_cases(facts: dict[str, Any]) -> None:
    assert handwritten.decide(facts) == _engine(facts)


def maybe(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | values


days = st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 12, 31))


@st.composite
def any_citizen(draw: st.DrawFn) -> dict[str, Any]:
    """Facts with explicit nulls, unsorted and repeated codes, dates around holidays and month ends."""
    assessment = draw(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
    facts: dict[str, Any] = {"assessment_date": assessment.isoformat()}
    birth = draw(maybe(st.dates(min_value=date(1900, 1, 1), max_value=assessment)))
    facts["birth_date"] = None if birth is None else birth.isoformat()
    facts["resident_municipality"] = draw(maybe(st.sampled_from(["roskilde", "koege", "gentofte"])))
    facts["function_levels"] = draw(maybe(st.dictionaries(st.sampled_from(handwritten.THEMES), maybe(st.integers(0, 4)))))
    facts["support_need_level"] = draw(maybe(st.integers(0, 4)))
    for flag in ("special_social_problems", "can_participate_actively", "wants_to_participate",
                 "can_participate_in_group", "need_met_by_less_intrusive_offer", "home_is_safe_workplace"):
        facts[flag] = draw(maybe(st.booleans()))
    facts["needs"] = draw(maybe(st.lists(st.sampled_from(handwritten.NEED_CODES), max_size=6)))
    facts["requests"] = draw(maybe(st.lists(st.sampled_from(handwritten.REQUEST_CODES), max_size=6)))
    for name in ("support_start_date", "last_support_used_date", "decision_notified_date", "complaint_received_date"):
        value = draw(maybe(days))
        facts[name] = None if value is None else value.isoformat()
    return {k: v for k, v in facts.items() if draw(st.booleans()) or v is not None or k == "assessment_date"}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_citizen())
def test_byte_identical_for_any_citizen(facts: dict[str, Any]) -> None:
    assert handwritten.decide(facts) == _engine(facts)


BAD: list[tuple[dict[Any, Any], str]] = [
    ({"birth_date": "1990-01-01"}, "assessment_date"),
    ({"assessment_date": "2019-12-31"}, "assessment_date"),
    ({"assessment_date": "2020-01-01", "colour": "blue"}, "unknown field"),
    ({"assessment_date": "2020-01-01", 7: "blue", "colour": "blue"}, "unknown field: 7, colour"),
    ({"assessment_date": "2020-01-01", "birth_date": "2020-01-02"}, "birth_date"),
    ({"assessment_date": "2020-01-01", "birth_date": "1990-02-30"}, "birth_date"),
    ({"assessment_date": "2020-01-01", "birth_date": "1990-1-1"}, "birth_date"),
    ({"assessment_date": "2020-01-01", "birth_date": "1899-12-31"}, "birth_date"),
    ({"assessment_date": "2020-01-01", "support_need_level": True}, "support_need_level"),
    ({"assessment_date": "2020-01-01", "support_need_level": 5}, "support_need_level"),
    ({"assessment_date": "2020-01-01", "support_need_level": 2.0}, "support_need_level"),
    ({"assessment_date": "2020-01-01", "function_levels": {"mental_functions": [3]}}, "function_levels.mental_functions"),
    ({"assessment_date": "2020-01-01", "function_levels": {"mental_functions": "3"}}, "function_levels.mental_functions"),
    ({"assessment_date": "2020-01-01", "function_levels": {"moods": 3}}, "function_levels"),
    ({"assessment_date": "2020-01-01", "special_social_problems": 1}, "special_social_problems"),
    ({"assessment_date": "2020-01-01", "resident_municipality": "Roskilde"}, "resident_municipality"),
    ({"assessment_date": "2020-01-01", "needs": ["cooking"]}, "needs"),
    ({"assessment_date": "2020-01-01", "requests": "transport"}, "requests"),
    ({"assessment_date": "2020-01-01", "requests": [["transport"]]}, "requests"),
]


@pytest.mark.parametrize(("facts", "field"), BAD)
def test_bad_facts_are_refused_as_sps_rules_refuses_them(facts: dict[Any, Any], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        handwritten.decide(facts)
    with pytest.raises(sps_rules.SpsRulesError):
        _engine(facts)


def test_a_decision_needs_nothing_of_sps_rules() -> None:
    """With sps_rules made unimportable, the module still loads and decides: nothing at decision time
    (or start-up) calls into the library it is the baseline for."""
    facts = next(citizens(1, seed=85, assessment_date=date(2020, 1, 1)))
    expected = _engine(facts)
    code = (f"import json, sys; sys.modules['sps_rules'] = None; sys.path.insert(0, {str(SCRIPT.parent)!r}); "
            f"import handwritten_roskilde as h; sys.stdout.write(h.decide(json.loads(sys.stdin.read())))")
    import json

    done = subprocess.run([sys.executable, "-c", code], input=json.dumps(facts), capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout == expected
