"""The ASGI layer in front of the routes: API keys, and one log line per request.

The log line names the method, the path, the status, the time taken and the rule-set version
that decided (from the response headers). It never holds a body, a query string or a fact value.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .problems import MEDIA_TYPE, PROBLEM_TYPE

logger = logging.getLogger("sps_rules.service")

#: Paths anyone may read without a key: health, the API's own description, and the workbench's
#: static page (it holds no data; the page sends the key the user gives it with each /v1 request).
OPEN_PATHS = frozenset({"/healthz", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/workbench"})
OPEN_PREFIXES = ("/workbench/",)


def _digest(key: str | bytes) -> bytes:
    return hashlib.sha256(key.encode("utf-8") if isinstance(key, str) else key).digest()


class KeyChecker:
    """Checks a presented key against every accepted key in constant time (no early exit, fixed-length digests)."""

    def __init__(self, keys: tuple[str, ...]):
        self._digests = tuple(_digest(k) for k in keys)

    def __bool__(self) -> bool:
        return bool(self._digests)

    def accepts(self, presented: bytes | None) -> bool:
        if presented is None:
            return False
        given = _digest(presented)
        found = False
        for digest in self._digests:
            found |= hmac.compare_digest(given, digest)
        return found


def presented_key(headers: list[tuple[bytes, bytes]]) -> bytes | None:
    """The key in ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``."""
    for name, value in headers:
        if name == b"x-api-key":
            return value.strip()
        if name == b"authorization" and value[:7].lower() == b"bearer ":
            return value[7:].strip()
    return None


_UNAUTHORIZED = orjson.dumps({"type": PROBLEM_TYPE + "unauthorized", "title": "Unauthorized", "status": 401,
                              "detail": "a valid API key is needed: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'"})


class AccessLayer:
    """API keys for every path but the open ones, and the access log line."""

    def __init__(self, app: ASGIApp, keys: tuple[str, ...]):
        self.app = app
        self.keys = KeyChecker(keys)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        seen: dict[str, Any] = {"status": 500, "ruleset": "-"}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                headers = dict(message.get("headers") or [])
                rid, version = headers.get(b"sps-ruleset-id"), headers.get(b"sps-ruleset-version")
                if rid and version:
                    seen["ruleset"] = f"{rid.decode('latin-1')}@{version.decode('latin-1')}"
            await send(message)

        try:
            path: str = scope["path"]
            is_open = path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)
            if self.keys and not is_open and not self.keys.accepts(presented_key(scope["headers"])):
                await sending({"type": "http.response.start", "status": 401,
                               "headers": [(b"content-type", MEDIA_TYPE.encode()), (b"www-authenticate", b"Bearer"),
                                           (b"content-length", str(len(_UNAUTHORIZED)).encode())]})
                await sending({"type": "http.response.body", "body": _UNAUTHORIZED})
                return
            await self.app(scope, receive, sending)
        finally:
            elapsed = (time.perf_counter() - start) * 1000
            logger.info("%s %s %d %.1fms %s", scope["method"], scope["path"], seen["status"], elapsed, seen["ruleset"])
