"""One strict JSON reader for every JSON input: facts, a batch line, a decision record, HTTP bodies.

``json.loads`` alone accepts duplicate keys (the last wins), ``NaN`` and ``Infinity``, integers of
any length (a 4,300-digit one raises ValueError) and any nesting (a deep one raises RecursionError).
:func:`loads_strict` refuses each of these with an :class:`SpsRulesError` naming the input and the
place (line and column, or the key), never a value from the document.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import FactsError, SpsRulesError

#: The largest JSON document accepted, in bytes (UTF-8).
MAX_JSON_BYTES = 1_000_000
#: The deepest nesting of objects and arrays accepted (citizen facts need 2, a decision record about 8).
MAX_JSON_DEPTH = 32
#: The most digits an integer may have (the largest value sps-rules reads has 4).
MAX_INT_DIGITS = 20
#: The longest key echoed in a message; longer keys are cut.
_KEY_SHOWN = 40

_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)  # unrolled: one step per run of plain characters
_BRACKETS = re.compile(r"[\[\]{}]")


class JsonError(SpsRulesError, ValueError):
    """A JSON input is not acceptable: malformed, too large, too deep or ambiguous."""


class _Refused(Exception):
    """Raised inside the decoder's hooks; turned into the caller's error class."""


def _show_key(key: str) -> str:
    shown = key if len(key) <= _KEY_SHOWN else key[:_KEY_SHOWN] + "…"
    return json.dumps(shown, ensure_ascii=True)


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Refused(f"duplicate key {_show_key(key)} in one object; each key may appear only once")
        result[key] = value
    return result


def _int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise _Refused(f"an integer has {digits:,} digits; at most {MAX_INT_DIGITS} are accepted")
    return int(text)


def _float(text: str) -> float:
    if len(text) > 64:
        raise _Refused("a number is written with more than 64 characters")
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("a number is too large to be represented")
    return value


def _constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON number; write a finite number or null")


def _depth(text: str) -> int:
    """The deepest nesting of objects and arrays, ignoring brackets inside strings (linear time)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _check_strings(value: Any) -> None:
    """Refuse lone surrogates (``"\\ud800"``): they cannot be written back as UTF-8."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            texts: list[str] = [item]
        elif isinstance(item, dict):
            texts = list(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
            continue
        else:
            continue
        for text in texts:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise _Refused("a string holds an unpaired surrogate escape (\\ud800..\\udfff)") from None


def loads_strict(raw: str | bytes | bytearray, *, what: str = "JSON", max_bytes: int = MAX_JSON_BYTES,
                 max_depth: int = MAX_JSON_DEPTH, error: type[SpsRulesError] = JsonError) -> Any:
    """The value of one JSON document, refused with ``error`` when it is not strictly acceptable.

    Refused: more than ``max_bytes`` bytes, text that is not UTF-8, invalid JSON (the message gives
    line and column), duplicate keys, ``NaN``/``Infinity``, integers over ``MAX_INT_DIGITS`` digits,
    non-finite numbers, nesting deeper than ``max_depth`` and unpaired surrogates. ``what`` names
    the input in the message (``"facts"``, ``"line 7"``, a file name); no value of the document is
    ever echoed. With ``error=FactsError`` the message is prefixed the way FactsError does it.
    """
    try:
        return _loads(raw, max_bytes=max_bytes, max_depth=max_depth)
    except _Refused as exc:
        if issubclass(error, FactsError):
            raise error(str(exc), source=what) from None
        raise error(f"{what}: {exc}") from None


def loads_object(raw: str | bytes | bytearray, *, what: str = "JSON", max_bytes: int = MAX_JSON_BYTES,
                 max_depth: int = MAX_JSON_DEPTH, error: type[SpsRulesError] = JsonError) -> dict[str, Any]:
    """Like :func:`loads_strict`, and the document must be a JSON object."""
    value = loads_strict(raw, what=what, max_bytes=max_bytes, max_depth=max_depth, error=error)
    if not isinstance(value, dict):
        message = f"must be a JSON object {{...}}, got {_kind(value)}"
        if issubclass(error, FactsError):
            raise error(message, source=what)
        raise error(f"{what}: {message}")
    return value


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array"


def _loads(raw: str | bytes | bytearray, *, max_bytes: int, max_depth: int) -> Any:
    if isinstance(raw, (bytes, bytearray)):
        if len(raw) > max_bytes:
            raise _Refused(f"the JSON is larger than {max_bytes:,} bytes")
        try:
            text = bytes(raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _Refused(f"the JSON is not UTF-8 text (bad byte at offset {exc.start})") from None
    elif isinstance(raw, str):
        if len(raw) > max_bytes:  # characters, a lower bound of the UTF-8 size: cheap first check
            raise _Refused(f"the JSON is larger than {max_bytes:,} bytes")
        text = raw
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError:
            raise _Refused("the JSON text holds an unpaired surrogate character") from None
        if size > max_bytes:
            raise _Refused(f"the JSON is larger than {max_bytes:,} bytes")
    else:
        raise _Refused(f"expected JSON text (str or bytes), got {type(raw).__name__}")
    if text.startswith("\ufeff"):
        text = text[1:]  # a byte-order mark is harmless; Windows editors write one
    if not text.strip():
        raise _Refused("the JSON is empty")
    # Fewer brackets than the limit cannot nest deeper than it (facts have a handful): then the
    # scan that skips brackets inside strings is not needed.
    deepest = _depth(text) if text.count("[") + text.count("{") > max_depth else 0
    if deepest > max_depth:
        raise _Refused(f"the JSON is nested too deeply ({deepest:,} levels; at most {max_depth} are accepted)")
    try:
        value = json.loads(text, object_pairs_hook=_pairs, parse_int=_int, parse_float=_float,
                           parse_constant=_constant)
    except json.JSONDecodeError as exc:
        raise _Refused(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise _Refused(f"the JSON is nested too deeply (at most {max_depth} levels are accepted)") from None
    except (ValueError, OverflowError) as exc:  # a hook's own failure; never echoes the value
        raise _Refused(f"a value cannot be read ({type(exc).__name__})") from None
    if "\\u" in text:  # only an escape can make an unpaired surrogate: raw ones are refused above
        _check_strings(value)
    return value
