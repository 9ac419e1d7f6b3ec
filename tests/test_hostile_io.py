"""The strict JSON reader and the atomic-write helpers every input and output goes through."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sps_rules.model.errors import FactsError, RecordError, SpsRulesError
from sps_rules.model.io import atomic_output, check_output, read_bounded, same_file, write_atomic
from sps_rules.model.jsonio import MAX_JSON_DEPTH, JsonError, loads_object, loads_strict


# --- loads_strict: each class of hostile JSON ---------------------------------------------------

def test_duplicate_keys_are_refused_at_any_depth() -> None:
    with pytest.raises(JsonError, match='duplicate key "eligibility"'):
        loads_strict('{"eligibility": "eligible", "eligibility": "not_eligible"}')
    with pytest.raises(JsonError, match='duplicate key "self_care"'):
        loads_strict('{"function_levels": {"self_care": 1, "self_care": 2}}')


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(constant: str) -> None:
    with pytest.raises(JsonError, match="not a JSON number"):
        loads_strict(f'{{"x": {constant}}}')


def test_float_overflowing_to_infinity_is_refused() -> None:
    with pytest.raises(JsonError, match="too large"):
        loads_strict('{"x": 1e999}')


@pytest.mark.parametrize("digits", [21, 4_301, 100_000])
def test_huge_integers_are_refused_without_crash(digits: int) -> None:
    with pytest.raises(JsonError, match=f"{digits:,} digits"):
        loads_strict('{"support_need_level": ' + "9" * digits + "}")
    with pytest.raises(JsonError, match="digits"):
        loads_strict("[-" + "1" * digits + "]")


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1_000, 100_000])
def test_deep_nesting_is_refused_without_recursion_error(depth: int) -> None:
    with pytest.raises(JsonError, match="nested"):
        loads_strict("[" * depth + "]" * depth)
    with pytest.raises(JsonError, match="nested"):
        loads_strict('{"a":' * depth + "1" + "}" * depth)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert loads_strict(json.dumps({"note": "[" * 500 + '\\"{' * 100})) == {"note": "[" * 500 + '\\"{' * 100}


def test_nesting_at_the_limit_is_accepted() -> None:
    assert loads_strict("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None


def test_size_limit_counts_utf8_bytes() -> None:
    with pytest.raises(JsonError, match="larger than 10 bytes"):
        loads_strict('"æøåæøå"', max_bytes=10)  # 7 characters, 14 bytes in UTF-8
    with pytest.raises(JsonError, match="larger than"):
        loads_strict(b'{"a": 1}' + b" " * 100, max_bytes=50)


def test_not_utf8_and_empty_and_surrogates_are_refused() -> None:
    with pytest.raises(JsonError, match="not UTF-8"):
        loads_strict(b'{"a": "\xff"}')
    with pytest.raises(JsonError, match="empty"):
        loads_strict("  \n")
    with pytest.raises(JsonError, match="surrogate"):
        loads_strict('{"a": "\\ud800"}')


def test_a_byte_order_mark_is_accepted() -> None:
    assert loads_strict("\ufeff{}".encode()) == {}


def test_syntax_errors_give_the_place_never_the_document() -> None:
    secret = "010190-1234"
    with pytest.raises(JsonError) as caught:
        loads_strict('{\n  "birth_date": "' + secret + '",\n  "x": }', what="facts.json")
    message = str(caught.value)
    assert message.startswith("facts.json: invalid JSON at line 3, column 8")
    assert secret not in message


def test_error_class_and_what_are_the_callers() -> None:
    with pytest.raises(FactsError, match=r"^line 7: duplicate key"):
        loads_strict('{"a":1,"a":2}', what="line 7", error=FactsError)
    with pytest.raises(RecordError, match=r"^r\.json: must be a JSON object \{\.\.\.\}, got an array"):
        loads_object("[]", what="r.json", error=RecordError)


def test_long_keys_are_cut_in_messages() -> None:
    key = "k" * 10_000
    with pytest.raises(JsonError) as caught:
        loads_strict(json.dumps({key: 1})[:-1] + f', "{key}": 2}}')
    assert len(str(caught.value)) < 200


def test_wrong_input_type_is_an_sps_rules_error() -> None:
    with pytest.raises(SpsRulesError, match="got int"):
        loads_strict(5)  # type: ignore[arg-type]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**18), 10**18) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8")),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_every_plain_json_value_round_trips(value: object) -> None:
    assert loads_strict(json.dumps(value)) == value


@given(st.text(max_size=200) | st.binary(max_size=200))
def test_any_text_gives_a_value_or_a_json_error(raw: str | bytes) -> None:
    try:
        loads_strict(raw)
    except JsonError:
        pass


# --- reading and writing files --------------------------------------------------------------------

def test_read_bounded_refuses_fifos_and_devices(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(SpsRulesError, match="not a regular file"):
        read_bounded(fifo, 100)
    with pytest.raises(SpsRulesError, match="not a regular file"):
        read_bounded("/dev/zero", 100)


def test_same_file_sees_through_symlinks_and_hardlinks(tmp_path: Path) -> None:
    original = tmp_path / "in.jsonl"
    original.write_text("x\n")
    (tmp_path / "soft").symlink_to(original)
    os.link(original, tmp_path / "hard")
    assert same_file(original, tmp_path / "soft")
    assert same_file(original, tmp_path / "hard")
    assert same_file(original, tmp_path / "." / "in.jsonl")
    assert not same_file(original, tmp_path / "missing")


def test_check_output_refuses_the_input_and_bad_targets(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("keep\n")
    (tmp_path / "link").symlink_to(source)
    for output in (source, tmp_path / "link"):
        with pytest.raises(SpsRulesError, match="the output is the input"):
            check_output(output, source)
    with pytest.raises(SpsRulesError, match="folder"):
        check_output(tmp_path, source)
    with pytest.raises(SpsRulesError, match="does not exist"):
        check_output(tmp_path / "no" / "out", source)
    check_output(tmp_path / "out.jsonl", source, "-")
    assert source.read_text() == "keep\n"


def test_atomic_output_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    with pytest.raises(RuntimeError), atomic_output(target) as handle:
        handle.write("partial")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_atomic_output_keeps_the_old_content_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_output(target) as handle:
        handle.write("new")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_write_atomic_replaces_and_keeps_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    write_atomic(target, "first")
    assert target.read_text() == "first"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()
    target.chmod(0o600)
    write_atomic(target, b"second")
    assert target.read_bytes() == b"second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_output_into_a_missing_folder_is_an_sps_rules_error(tmp_path: Path) -> None:
    with pytest.raises(SpsRulesError, match="cannot write"):
        write_atomic(tmp_path / "missing" / "out.txt", "x")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
