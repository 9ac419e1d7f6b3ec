"""Compact decision JSON built from cached fragments.

Most parts of a decision (trace entries, criteria, support forms, conditions, citations, the
rule-set reference) are immutable objects prebuilt once per rule-set version and shared by
every decision. Their JSON is made once, by the same pydantic serialiser ``model_dump_json``
uses, and then joined; only the parts that belong to one citizen (facts, dates, missing facts)
are serialised per decision. The result is byte-identical to ``model_dump_json()`` (a test
checks it on thousands of decisions).

Fragments are kept as UTF-8 bytes, as pydantic makes them: joining bytes is a plain copy, while a
``str`` holding one character beyond Latin-1 (an en dash in a quote) makes every join and every
encode for output convert the whole decision, which cost more than the rest of the JSON.
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any, Literal

from pydantic import TypeAdapter

#: Fragments by object identity. Every object whose fragment is kept is also kept alive (in
#: ``_alive``), so its id cannot be reused by another object while the entry lives. Bounded:
#: when full it starts again, so memory stays flat however many decisions are written.
LIMIT = 50_000
_texts: dict[int, bytes] = {}
_alive: list[Any] = []
_adapters: dict[type, TypeAdapter[Any]] = {}
_lock = threading.Lock()
_text_of = _texts.__getitem__


def fragment(value: Any) -> bytes:
    """The compact JSON of one immutable decision part, made once per object."""
    text = _texts.get(id(value))
    if text is not None:
        return text
    kind = type(value)
    adapter = _adapters.get(kind)
    if adapter is None:
        adapter = _adapters[kind] = TypeAdapter(kind)
    text = adapter.dump_json(value)
    with _lock:
        if len(_alive) >= LIMIT:
            _texts.clear()
            _alive.clear()
        _alive.append(value)
        _texts[id(value)] = text
    return text


def array(values: list[Any]) -> bytes:
    """The elements of a JSON array, comma-separated, without the brackets (the caller's prefix
    and suffix hold them, so the decision's text is copied once, in one join)."""
    try:
        return b",".join(map(_text_of, map(id, values)))
    except KeyError:  # some part not seen before
        return b",".join(map(fragment, values))


_plans: dict[type, list[tuple[str, bytes, Any, bytes]]] = {}


def _how(annotation: Any) -> Any:
    """How one field's value becomes JSON: cached fragments for immutable parts, else its adapter."""
    from dataclasses import is_dataclass
    from typing import get_args, get_origin

    if get_origin(annotation) is list and len(get_args(annotation)) == 1 and is_dataclass(get_args(annotation)[0]):
        return array
    if isinstance(annotation, type) and is_dataclass(annotation):
        return fragment
    adapter: TypeAdapter[Any] = TypeAdapter(annotation)
    if annotation is str or get_origin(annotation) is Literal:
        return lambda value: _strings.get(value) or _string(value, adapter)
    if annotation is date:
        return lambda value: b'"' + value.isoformat().encode() + b'"'
    return adapter.dump_json


_strings: dict[str, bytes] = {}


def _string(value: str, adapter: TypeAdapter[Any]) -> bytes:
    text = adapter.dump_json(value)
    with _lock:
        if len(_strings) >= LIMIT:
            _strings.clear()
        _strings[value] = text
    return text


def compact_json(model: Any) -> bytes:
    """``model.model_dump_json()`` (compact) as UTF-8, from cached fragments where the parts allow."""
    kind = type(model)
    plan = _plans.get(kind)
    if plan is None:
        plan = _plans[kind] = _plan(kind)
    given = model.__dict__
    pieces = [piece for name, prefix, how, suffix in plan for piece in (prefix, how(given[name]), suffix)]
    return b"".join(pieces)


def _plan(kind: Any) -> list[tuple[str, bytes, Any, bytes]]:
    """Per field: the text before its value, how the value becomes JSON, and the text after it."""
    plan = []
    for position, (name, field) in enumerate(kind.model_fields.items()):
        how = _how(field.annotation)
        bracket = how is array
        prefix = ("{" if position == 0 else ",") + f'"{name}":' + ("[" if bracket else "")
        plan.append((name, prefix.encode(), how, b"]" if bracket else b""))
    name, first, how, suffix = plan[-1]
    plan[-1] = (name, first, how, suffix + b"}")
    return plan
