"""Canonical JSON takes Python's encoder for float-free data; it must give RFC 8785's bytes exactly."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from sps_rules.audit.records import laid_out, pretty
from sps_rules.model.canonical import CanonicalJSONError, canonical_json, is_plain

_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["\x00\x1f\x7f\u2028\u2029", "\"\\/\b\f\n\r\t", "æøå §–…", "😀 \U0001F600", "\ud7ff\ue000\uffff", "lone \ud800"])
_KEYS = _TEXT | st.sampled_from(["a", "B", "_", "aa", "a\x00", "ø", "😀", "\uffff", "\U00010000"])
_LEAVES = st.none() | st.booleans() | st.integers(-(2**60), 2**60) | st.floats(allow_nan=False, allow_infinity=False) | _TEXT
_JSON = st.recursive(_LEAVES, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=4),
                     max_leaves=30)


def _reference(payload: Any) -> Any:
    try:
        return rfc8785.dumps(payload)
    except Exception as exc:  # noqa: BLE001 - compare the failure too
        return type(exc).__name__


@settings(max_examples=500, deadline=None)
@given(_JSON)
def test_canonical_json_is_rfc8785_byte_for_byte(payload: Any) -> None:
    expected = _reference(payload)
    if isinstance(expected, bytes):
        assert canonical_json(payload) == expected
    else:
        with pytest.raises(CanonicalJSONError):
            canonical_json(payload)


def test_float_free_data_takes_the_fast_path_and_floats_do_not() -> None:
    assert is_plain({"a": [1, "x", None, True, {"b": -(2**53)}]})
    assert not is_plain({"a": 1.0})
    assert not is_plain({"a": 2**53 + 1})
    assert not is_plain({"ø": 1})
    assert canonical_json({"b": 1, "a": [2.0, 1e-7]}) == b'{"a":[2,1e-7],"b":1}'


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_a_record_s_layout_is_the_canonical_json_with_whitespace_between_tokens(payload: Any) -> None:
    if not isinstance(_reference(payload), bytes):
        return
    assert laid_out(payload) == pretty(canonical_json(payload).decode("utf-8"))


def test_a_structure_that_holds_itself_is_refused_not_walked_forever() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    with pytest.raises(CanonicalJSONError):
        canonical_json(loop)
