"""The strict JSON reader skips its slow scans only where they cannot find anything."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sps_rules.model.jsonio import MAX_JSON_DEPTH, JsonError, loads_strict

_LEAVES = st.none() | st.booleans() | st.integers(-(10**18), 10**18) | st.text(max_size=10) | st.sampled_from(
    ["[[[", "{{{}", "\\u", '"', "æøå", "\u2028"])
_JSON = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
                     max_leaves=30)


@settings(max_examples=400, deadline=None)
@given(_JSON, st.booleans())
def test_any_acceptable_document_reads_as_json_loads_reads_it(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert loads_strict(text) == json.loads(text)
    assert loads_strict(text.encode("utf-8")) == json.loads(text)


@pytest.mark.parametrize("text", [
    '{"a": "\\ud800"}',                                  # an escape of an unpaired surrogate, few brackets
    '[[["x", {"b": "\\udfff"}]]]',
])
def test_an_unpaired_surrogate_escape_is_refused_however_few_brackets(text: str) -> None:
    with pytest.raises(JsonError, match="unpaired surrogate"):
        loads_strict(text)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = json.dumps({"a": "[" * 100, "b": ["{" * 100]})
    assert loads_strict(text)["a"] == "[" * 100


def test_nesting_past_the_limit_is_refused_with_its_depth() -> None:
    depth = MAX_JSON_DEPTH + 1
    with pytest.raises(JsonError, match=f"{depth} levels"):
        loads_strict("[" * depth + "]" * depth)
    assert loads_strict("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
