"""Compact decision JSON built from cached fragments.

Most parts of a decision (trace entries, criteria, support forms, conditions, citations, the
rule-set reference) are immutable objects prebuilt once per rule-set version and shared by
every decision. Their JSON is made once, by the same pydantic serialiser ``model_dump_json``
uses, and then joined; only the parts that belong to one citizen (facts, dates, missing facts)
are serialised per decision. The result is byte-identical to ``model_dump_json()`` (a test
checks it on thousands of decisions).
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
_texts: dict[int, str] = {}
_alive: list[Any] = []
_adapters: dict[type, TypeAdapter[Any]] = {}
_lock = threading.Lock()
_text_of = _texts.__getitem__


def fragment(value: Any) -> str:
    """The compact JSON of one immutable decision part, made once per object."""
    text = _texts.get(id(value))
    if text is not None:
        return text
    kind = type(value)
    adapter = _adapters.get(kind)
    if adapter is None:
        adapter = _adapters[kind] = TypeAdapter(kind)
    text = adapter.dump_json(value).decode()
    with _lock:
        if len(_alive) >= LIMIT:
            _texts.clear()
            _alive.clear()
        _alive.append(value)
        _texts[id(value)] = text
    return text


def array(values: list[Any]) -> str:
    try:
        return "[" + ",".join(map(_text_of, map(id, values))) + "]"
    except KeyError:  # some part not seen before
        return "[" + ",".join(map(fragment, values)) + "]"


_plans: dict[type, list[tuple[str, str, Any]]] = {}


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
        return lambda value: f'"{value.isoformat()}"'
    return lambda value: adapter.dump_json(value).decode()


_strings: dict[str, str] = {}


def _string(value: str, adapter: TypeAdapter[Any]) -> str:
    text = adapter.dump_json(value).decode()
    with _lock:
        if len(_strings) >= LIMIT:
            _strings.clear()
        _strings[value] = text
    return text


def compact_json(model: Any) -> str:
    """``model.model_dump_json()`` (compact), from cached fragments where the parts allow."""
    kind = type(model)
    plan = _plans.get(kind)
    if plan is None:
        plan = _plans[kind] = [(name, f'"{name}":', _how(field.annotation))
                               for name, field in kind.model_fields.items()]
    given = model.__dict__
    return "{" + ",".join([prefix + how(given[name]) for name, prefix, how in plan]) + "}"
