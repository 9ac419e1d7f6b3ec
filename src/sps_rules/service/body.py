"""Reading request bodies strictly: a size limit while streaming, JSON only, no duplicate keys,
no NaN or Infinity, no numbers beyond 2**53, and a nesting limit.

``parse_json`` is the one place JSON text becomes data, so switching it to the library's own
strict reader is a one-line change.
"""

from __future__ import annotations

import json
import math
from typing import Any

from starlette.requests import Request

from .problems import ApiProblem

MAX_BIG_INT = 2**53


class _Duplicate(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(f"the key {key!r} appears twice in one object")
        out[key] = value
    return out


def _constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"{text[:20]} is Infinity, not a JSON number")
    return value


def _integer(text: str) -> int:
    if len(text) > 20 or abs(int(text)) > MAX_BIG_INT:
        raise ValueError("an integer is too large (the limit is 2**53)")
    return int(text)


def _depth(raw: bytes, limit: int) -> int:
    """The deepest nesting of objects and arrays in JSON text (strings are skipped)."""
    if raw.count(b"[") + raw.count(b"{") <= limit:  # cannot be deeper: skip the scan
        return 0
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x7B, 0x5B):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    return deepest
        elif byte in (0x7D, 0x5D):
            depth -= 1
    return deepest


_DECODER = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_constant, parse_int=_integer, parse_float=_float)


def parse_json(raw: bytes, *, max_depth: int) -> Any:
    """JSON data from a request body, or an ApiProblem (400) naming line and column."""
    if _depth(raw, max_depth) > max_depth:
        raise ApiProblem(400, "too-deep", f"the JSON is nested more than {max_depth} levels deep")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiProblem(400, "invalid-json", "the body is not UTF-8 text") from None
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise ApiProblem(400, "invalid-json", f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except _Duplicate as exc:
        raise ApiProblem(400, "invalid-json", f"invalid JSON: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise ApiProblem(400, "invalid-json", f"invalid JSON: {exc}") from None


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_body(request: Request, *, limit: int) -> bytes:
    """The body, refusing a non-JSON content type (415) or more than ``limit`` bytes (413) without reading it all."""
    if not _is_json(request.headers.get("content-type", "")):
        raise ApiProblem(415, "unsupported-media-type", "send the body as application/json")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiProblem(413, "too-large", f"the body is {int(declared):,} bytes; the limit is {limit:,}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiProblem(413, "too-large", f"the body is larger than {limit:,} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: Request, *, limit: int, max_depth: int) -> Any:
    raw = await read_body(request, limit=limit)
    if not raw.strip():
        raise ApiProblem(400, "invalid-json", "the body is empty; send a JSON document")
    return parse_json(raw, max_depth=max_depth)


async def read_object(request: Request, *, limit: int, max_depth: int, what: str) -> dict[str, Any]:
    data = await read_json(request, limit=limit, max_depth=max_depth)
    if not isinstance(data, dict):
        raise ApiProblem(422, "invalid-input", f"{what} must be a JSON object, got {type(data).__name__}")
    return data
