"""RFC 8785 canonical hashing of rule sets and records (issue 18 §1)."""

from __future__ import annotations

import hashlib
import json
import math

import pytest
import rfc8785

import sps_rules
from sps_rules.engine.loader import ruleset_ids, versions
from sps_rules.model.canonical import CanonicalJSONError, canonical_json, canonical_sha256


@pytest.mark.parametrize("rid", ruleset_ids())
def test_every_rule_set_hash_is_over_its_rfc8785_form(rid: str) -> None:
    for loaded in versions(rid):
        raw = loaded.canonical.encode("utf-8")
        assert raw == rfc8785.dumps(json.loads(raw))
        assert loaded.sha256 == hashlib.sha256(raw).hexdigest()


def test_the_same_number_has_one_canonical_form() -> None:
    assert canonical_json({"b": 2.0, "a": 1e-7}) == canonical_json({"a": 1e-07, "b": 2}) == b'{"a":1e-7,"b":2}'
    assert canonical_sha256({"x": "æ"}) == hashlib.sha256('{"x":"æ"}'.encode()).hexdigest()


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, 2**60, {1: 2}, object()])
def test_values_without_a_canonical_form_are_refused(bad: object) -> None:
    with pytest.raises(CanonicalJSONError) as err:
        canonical_json({"value": [bad]})
    assert isinstance(err.value, sps_rules.SpsRulesError)
