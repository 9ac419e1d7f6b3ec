"""Every public function that takes citizen facts takes them in the same five forms."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

import sps_rules

from .conftest import ROOT

EXAMPLE = ROOT / "examples" / "roskilde-citizen.json"
NOT_ELIGIBLE = {**json.loads(EXAMPLE.read_text(encoding="utf-8")), "support_need_level": 1}
WHEN = datetime(2026, 3, 2, 12, tzinfo=UTC)


def forms(data: dict[str, Any], tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return {
        "CitizenFacts": sps_rules.CitizenFacts.model_validate(data),
        "dict": data,
        "Mapping": MappingProxyType(data),
        "str": json.dumps(data),
        "bytes": json.dumps(data).encode("utf-8"),
        "Path": path,
    }


USES: dict[str, Callable[[Any], Any]] = {
    "evaluate": lambda facts: sps_rules.evaluate("roskilde", facts).to_json(),
    "RuleSet.evaluate": lambda facts: sps_rules.load_ruleset("roskilde").evaluate(facts).to_json(),
    "record": lambda facts: sps_rules.record("roskilde", facts, created_at=WHEN).decision,
    "why_not": lambda facts: sps_rules.why_not("roskilde", facts),
    "explain(facts=...)": lambda facts: sps_rules.explain(
        sps_rules.evaluate("roskilde", NOT_ELIGIBLE), why_not=True, facts=facts),
}


@pytest.mark.parametrize("use", sorted(USES))
def test_every_form_of_facts_gives_the_same_result(use: str, tmp_path: Path) -> None:
    results = {kind: USES[use](facts) for kind, facts in forms(NOT_ELIGIBLE, tmp_path).items()}
    first = results.pop("dict")
    assert first
    for kind, result in results.items():
        assert result == first, f"{use} gives another result for facts as {kind}"


@pytest.mark.parametrize("use", sorted(USES))
@pytest.mark.parametrize("bad", [42, ["assessment_date"], b"\xff", "{", "[]"])
def test_wrong_facts_raise_facts_error(use: str, bad: Any) -> None:
    with pytest.raises(sps_rules.FactsError):
        USES[use](bad)


def test_facts_error_is_a_value_error_and_not_found_a_lookup_error() -> None:
    assert issubclass(sps_rules.FactsError, ValueError) and issubclass(sps_rules.FactsError, sps_rules.SpsRulesError)
    assert issubclass(sps_rules.RuleSetNotFound, LookupError)
    assert issubclass(sps_rules.UnknownFormat, ValueError)
    with pytest.raises(sps_rules.UnknownFormat, match="pdf"):
        sps_rules.explain(sps_rules.evaluate("roskilde", EXAMPLE), format="pdf")  # type: ignore[arg-type]
    assert isinstance(NOT_ELIGIBLE, Mapping)
