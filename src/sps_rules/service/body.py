"""Reading request bodies strictly: JSON only, a size limit while streaming, then the library's
strict reader (no duplicate keys, NaN or Infinity, huge integers or deep nesting)."""

from __future__ import annotations

import json
from typing import Any

import orjson
from starlette.requests import Request

from ..model.jsonio import JsonError, loads_strict
from .problems import ApiProblem


def dumps(data: Any, *, sort_keys: bool = False) -> bytes:
    """JSON bytes of JSON data (orjson; the standard library for what orjson cannot write, such as
    an integer beyond 64 bits that a caller sent and the strict reader let through)."""
    try:
        return orjson.dumps(data, option=orjson.OPT_SORT_KEYS if sort_keys else None)
    except TypeError:
        return json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=sort_keys).encode("utf-8")


def parse_json(raw: bytes, *, max_depth: int) -> Any:
    """JSON data from a request body (the library's strict reader), or an ApiProblem (400) saying what is wrong."""
    try:
        return loads_strict(raw, what="the body", max_bytes=len(raw), max_depth=max_depth)
    except JsonError as exc:
        raise ApiProblem(400, "invalid-json", str(exc)) from None


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
    return parse_json(raw, max_depth=max_depth)


async def read_object(request: Request, *, limit: int, max_depth: int, what: str) -> dict[str, Any]:
    data = await read_json(request, limit=limit, max_depth=max_depth)
    if not isinstance(data, dict):
        raise ApiProblem(422, "invalid-input", f"{what} must be a JSON object, got {type(data).__name__}")
    return data
