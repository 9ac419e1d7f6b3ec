"""Property: any edit of a stored record's bytes is detected, except whitespace outside strings.

Whitespace between JSON tokens is layout, not content (a record may be re-indented); every
other change (a byte replaced, inserted or deleted anywhere, including inside strings, numbers,
keys, the hash and the signature) makes the record unreadable (RecordError) or makes its
integrity check fail.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sps_rules
from sps_rules.audit.records import check_integrity, read_record
from sps_rules.audit.signing import new_keys

WHITESPACE = b" \t\n\r"
FACTS = {"assessment_date": "2026-03-02", "birth_date": "1991-09-14", "support_need_level": 2,
         "resident_municipality": "roskilde", "needs": ["mail"]}
WHEN = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def records(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    private, _, _ = new_keys(tmp_path_factory.mktemp("keys"))
    return {
        "unsigned": sps_rules.record("roskilde", FACTS, created_at=WHEN).to_json().encode(),
        "signed": sps_rules.record("roskilde", FACTS, created_at=WHEN, sign_key=private).to_json().encode(),
    }


def detected(raw: bytes) -> bool:
    try:
        record = read_record(raw)
    except sps_rules.RecordError:
        return True
    return bool(check_integrity(record).problems)


def layout_only(original: bytes, edited: bytes, old: bytes, new: bytes) -> bool:
    """Whitespace replaced, added or removed without changing any JSON value."""
    if not all(b in WHITESPACE for b in old + new):
        return False
    try:
        return bool(json.loads(edited) == json.loads(original))
    except ValueError:
        return False


def interesting(raw: bytes) -> list[int]:
    return [i for i, b in enumerate(raw) if chr(b) in '0123456789":,{}[]Z.-+\\ ']


edits = st.tuples(st.sampled_from(["replace", "insert", "delete"]),
                  st.integers(min_value=0, max_value=1 << 30),
                  st.one_of(st.integers(0, 255), st.sampled_from(list(b' \n\t.0e"\\Z+-,:{}[]2'))),
                  st.booleans())


@pytest.mark.parametrize("kind", ["unsigned", "signed"])
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edit=edits)
def test_any_edit_of_a_stored_record_is_detected(records: dict[str, bytes], kind: str,
                                                 edit: tuple[str, int, int, bool]) -> None:
    raw = records[kind]
    op, where, byte, targeted = edit
    spots = interesting(raw)
    at = spots[where % len(spots)] if targeted else where % len(raw)
    new = bytes([byte])
    if op == "replace":
        old = raw[at:at + 1]
        if old == new:
            return
        edited = raw[:at] + new + raw[at + 1:]
    elif op == "insert":
        old, edited = b"", raw[:at] + new + raw[at:]
    else:
        old, new, edited = raw[at:at + 1], b"", raw[:at] + raw[at + 1:]
    if layout_only(raw, edited, old, new):
        assert not detected(edited)
    else:
        assert detected(edited), f"{op} at {at} ({raw[max(0, at - 30):at + 30]!r}) -> {new!r} went unnoticed"


def test_an_untouched_record_is_not_flagged(records: dict[str, bytes], tmp_path: Path) -> None:
    for raw in records.values():
        assert not detected(raw)
