"""Canonical JSON (RFC 8785, the JSON Canonicalization Scheme) and the sha256 taken over it.

Every hash the library publishes (a rule set's ``sha256``, a decision record's
``record_sha256``) is taken over these bytes: object keys sorted by UTF-16 code units, no
insignificant whitespace, strings in their shortest escaped form and numbers as ECMAScript
prints them (``2.0`` and ``2`` are the same number, ``1e-7`` has one spelling). NaN, Infinity
and integers outside JSON's exact range (±2**53) have no canonical form and are refused.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

from .errors import SpsRulesError


class CanonicalJSONError(SpsRulesError, ValueError):
    """A value that has no RFC 8785 form: NaN, Infinity, an integer beyond ±2**53, a non-JSON type."""


_MAX_EXACT = 2**53
_MAX_NODES = 5_000_000
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False,
                           check_circular=False).encode


def is_plain(payload: Any) -> bool:
    """True when ``payload`` holds nothing on which Python's JSON and RFC 8785 differ: no float
    (ECMAScript spells numbers its own way), no integer beyond ±2**53, no key outside ASCII (RFC
    8785 sorts by UTF-16 code units) and only JSON types. Records and rule sets hold no float."""
    stack = [payload]
    pop, push = stack.pop, stack.extend
    budget = _MAX_NODES  # a structure that holds itself never ends: the reference implementation words it
    while stack:
        budget -= 1
        if budget < 0:
            return False
        value = pop()
        kind = type(value)
        if kind is str or kind is bool or value is None:
            continue
        if kind is int:
            if not -_MAX_EXACT <= value <= _MAX_EXACT:
                return False
        elif kind is dict:
            for key in value:
                if type(key) is not str or not key.isascii():
                    return False
            push(value.values())
        elif kind is list or kind is tuple:
            push(value)
        else:
            return False
    return True


def canonical_json(payload: Any) -> bytes:
    """The RFC 8785 bytes of ``payload`` (JSON-ready data: dict, list, str, int, float, bool, None).

    Data without floats (all that records and rule sets hold) takes Python's C encoder, which
    then writes the same bytes (a property test compares the two); anything else takes the
    reference implementation.
    """
    if is_plain(payload):
        try:
            return _encode(payload).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: the reference implementation words it
            pass
    try:
        return rfc8785.dumps(payload)
    except rfc8785.FloatDomainError:
        raise CanonicalJSONError("NaN and Infinity are not JSON numbers and cannot be hashed or written") from None
    except rfc8785.IntegerDomainError:
        raise CanonicalJSONError("an integer is beyond ±2**53, outside what JSON represents exactly") from None
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalJSONError(f"not canonical JSON data: {str(exc)[:120]}") from None
    except (TypeError, ValueError, RecursionError) as exc:
        raise CanonicalJSONError(f"not canonical JSON data: {type(exc).__name__}") from None


def canonical_sha256(payload: Any) -> str:
    """Hex sha256 of the RFC 8785 form of ``payload``."""
    return hashlib.sha256(canonical_json(payload)).hexdigest()
