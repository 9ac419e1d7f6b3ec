"""Every part of a decision serialises on its own, exactly as it stands in the whole decision."""

from __future__ import annotations

import inspect
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import sps_rules
from sps_rules.model import decision as decision_module
from sps_rules.model.decision import Decision, Part

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "roskilde-citizen.json"


@pytest.fixture(scope="module")
def decision() -> Decision:
    return sps_rules.evaluate("roskilde", EXAMPLE)


# Where each part type stands in a decision: (field, is a list), or a path through another part.
WHERE: dict[str, tuple[str, ...]] = {
    "CriterionResult": ("criteria",),
    "NeedResult": ("needs",),
    "RequestResult": ("requests",),
    "SupportForm": ("support_forms",),
    "Exclusion": ("exclusions",),
    "Referral": ("referrals",),
    "DecisionCondition": ("conditions",),
    "Assessment": ("assessments",),
    "Deadline": ("deadlines",),
    "TraceEntry": ("trace",),
    "RuleSetRef": ("ruleset",),
    "Statement": ("individual_assessment",),
    "SourceRef": ("criteria", "source"),
}


def _parts(decision: Decision, where: tuple[str, ...]) -> list[tuple[Any, Any]]:
    """(part, the JSON the whole decision holds for it) for every part at ``where``."""
    whole = json.loads(decision.to_json())
    field, *rest = where
    objects, dumped = getattr(decision, field), whole[field]
    pairs = list(zip(objects, dumped, strict=True)) if isinstance(objects, list) else [(objects, dumped)]
    for key in rest:
        pairs = [(getattr(o, key), d[key]) for o, d in pairs]
    return pairs


def test_every_part_type_is_covered() -> None:
    types = {name for name, obj in inspect.getmembers(decision_module, inspect.isclass)
             if issubclass(obj, Part) and obj is not Part}
    assert types == set(WHERE)


@pytest.mark.parametrize("name", sorted(WHERE))
def test_part_dumps_as_it_stands_in_the_decision(decision: Decision, name: str) -> None:
    pairs = _parts(decision, WHERE[name])
    assert pairs, f"the example decision has no {name}"
    for part, in_decision in pairs:
        assert type(part).__name__ == name
        assert part.model_dump(mode="json") == in_decision
        assert json.loads(part.model_dump_json()) == in_decision
        assert json.loads(part.model_dump_json(indent=2)) == in_decision


@pytest.mark.parametrize("name", sorted(WHERE))
def test_part_round_trips_through_json(decision: Decision, name: str) -> None:
    part, _ = _parts(decision, WHERE[name])[0]
    kind = type(part)
    assert kind.model_validate_json(part.model_dump_json()) == part
    assert kind.model_validate(part.model_dump(mode="json")) == part
    assert kind.model_validate(part.model_dump()) == part


def test_python_mode_keeps_dates_as_dates(decision: Decision) -> None:
    deadline = next(x for x in decision.deadlines if x.due is not None)
    assert isinstance(deadline.model_dump()["due"], date)
    assert isinstance(deadline.model_dump(mode="json")["due"], str)


def test_parts_stay_slotted_and_frozen(decision: Decision) -> None:
    criterion = decision.criteria[0]
    assert not hasattr(criterion, "__dict__")
    with pytest.raises(AttributeError):
        criterion.status = "met"  # type: ignore[misc]


def test_validation_refuses_a_wrong_code(decision: Decision) -> None:
    data = decision.criteria[0].model_dump(mode="json") | {"status": "maybe"}
    with pytest.raises(ValidationError):
        type(decision.criteria[0]).model_validate(data)


def test_whole_decision_json_is_the_parts_joined(decision: Decision) -> None:
    """Decision.to_json is unchanged by the parts' own methods: the parts, dumped alone, rebuild it."""
    rebuilt = json.loads(decision.to_json())
    for field in ("criteria", "needs", "requests", "support_forms", "exclusions", "referrals", "conditions",
                  "assessments", "deadlines", "trace"):
        rebuilt[field] = [json.loads(p.model_dump_json()) for p in getattr(decision, field)]
    rebuilt["ruleset"] = json.loads(decision.ruleset.model_dump_json())
    assert json.dumps(rebuilt, indent=2, ensure_ascii=False) == decision.to_json()
