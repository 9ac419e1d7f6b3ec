"""Compact decision JSON built from cached fragments.

Most parts of a decision (trace entries, criteria, support forms, conditions, citations, the
rule-set reference) are immutable objects prebuilt once per rule-set version and shared by
every decision. Their JSON is made once, by the same pydantic serialiser ``model_dump_json``
uses, and then joined; only the parts that belong to one citizen (facts, dates, missing facts)
are serialised per decision. The result is byte-identical to ``model_dump_json()`` (a test
checks it on thousands of decisions).

There are two caches of the same fragments, one of UTF-8 bytes (``compact_json``, for files and
HTTP responses) and one of text (``compact_text``, for ``to_json``): converting a whole decision
from one form to the other costs more than all the rest, because one character beyond Latin-1
(an en dash in a quote) makes the text two bytes a character.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date
from typing import Any, Generic, Literal, TypeVar

from pydantic import TypeAdapter

#: Fragments kept per cache. Every object whose fragment is kept is also kept alive, so its id
#: cannot be reused by another object while the entry lives. Bounded: when full it starts again,
#: so memory stays flat however many decisions are written.
LIMIT = 50_000
_lock = threading.Lock()
_adapters: dict[type, TypeAdapter[Any]] = {}

Out = TypeVar("Out", str, bytes)


def _adapter(kind: Any) -> TypeAdapter[Any]:
    adapter = _adapters.get(kind)
    if adapter is None:
        adapter = _adapters[kind] = TypeAdapter(kind)
    return adapter


class _Fragments(Generic[Out]):
    """The JSON of immutable parts by object identity, and of strings by value, in one form."""

    def __init__(self, convert: Callable[[bytes], Out], empty: Out):
        self.convert: Callable[[bytes], Out] = convert
        self.texts: dict[int, Out] = {}
        self.alive: list[Any] = []
        self.strings: dict[str, Out] = {}
        self.text_of: Callable[[int], Out] = self.texts.__getitem__
        self.comma: Out = convert(b",")
        self.empty: Out = empty
        self.plans: dict[type, list[tuple[str, Out, Callable[[Any], Out], Out]]] = {}

    def fragment(self, value: Any) -> Out:
        """The compact JSON of one immutable decision part, made once per object."""
        text = self.texts.get(id(value))
        if text is not None:
            return text
        text = self.convert(_adapter(type(value)).dump_json(value))
        with _lock:
            if len(self.alive) >= LIMIT:
                self.texts.clear()
                self.alive.clear()
            self.alive.append(value)
            self.texts[id(value)] = text
        return text

    def array(self, values: list[Any]) -> Out:
        """The elements of a JSON array, comma-separated, without the brackets (the caller's prefix
        and suffix hold them, so the decision's text is copied once more, in one join)."""
        if not values:
            return self.empty
        try:
            return self.comma.join(map(self.text_of, map(id, values)))
        except KeyError:  # some part not seen before
            return self.comma.join(map(self.fragment, values))

    def string_array(self, values: list[str], adapter: TypeAdapter[Any]) -> Out:
        """The elements of a JSON array of strings, as ``array`` does for parts."""
        return self.comma.join([self.string(value, adapter) for value in values])

    def string(self, value: str, adapter: TypeAdapter[Any]) -> Out:
        text = self.strings.get(value)
        if text is None:
            text = self.convert(adapter.dump_json(value))
            with _lock:
                if len(self.strings) >= LIMIT:
                    self.strings.clear()
                self.strings[value] = text
        return text

    def how(self, annotation: Any) -> tuple[Callable[[Any], Out], bool]:
        """How one field's value becomes JSON (cached fragments for immutable parts, else its
        adapter), and whether that writes an array's elements, for the plan to put brackets round."""
        from dataclasses import is_dataclass
        from typing import get_args, get_origin

        args = get_args(annotation)
        if get_origin(annotation) is list and len(args) == 1 and is_dataclass(args[0]):
            return self.array, True
        if get_origin(annotation) is list and args == (str,):
            text: TypeAdapter[Any] = TypeAdapter(str)
            return (lambda values: self.string_array(values, text)), True
        if isinstance(annotation, type) and is_dataclass(annotation):
            return self.fragment, False
        convert = self.convert
        adapter: TypeAdapter[Any] = TypeAdapter(annotation)
        if annotation is str or get_origin(annotation) is Literal:
            return (lambda value: self.string(value, adapter)), False
        if annotation is date:
            quote = convert(b'"')
            return (lambda value: quote + convert(value.isoformat().encode()) + quote), False
        return (lambda value: convert(adapter.dump_json(value))), False

    def plan(self, kind: Any) -> list[tuple[str, Out, Callable[[Any], Out], Out]]:
        """Per field: the text before its value, how the value becomes JSON, and the text after it."""
        plan = []
        convert = self.convert
        for position, (name, field) in enumerate(kind.model_fields.items()):
            how, bracket = self.how(field.annotation)
            prefix = ("{" if position == 0 else ",") + f'"{name}":' + ("[" if bracket else "")
            plan.append((name, convert(prefix.encode()), how, convert(b"]" if bracket else b"")))
        name, first, how, suffix = plan[-1]
        plan[-1] = (name, first, how, suffix + convert(b"}"))
        return plan

    def dump(self, model: Any) -> Out:
        kind = type(model)
        plan = self.plans.get(kind)
        if plan is None:
            plan = self.plans[kind] = self.plan(kind)
        given = model.__dict__
        return self.empty.join([piece for name, prefix, how, suffix in plan for piece in (prefix, how(given[name]), suffix)])


def _as_bytes(raw: bytes) -> bytes:
    return raw


def _as_text(raw: bytes) -> str:
    return raw.decode("utf-8")


_BYTES: _Fragments[bytes] = _Fragments(_as_bytes, b"")
_TEXT: _Fragments[str] = _Fragments(_as_text, "")


def compact_json(model: Any) -> bytes:
    """``model.model_dump_json()`` (compact) as UTF-8, from cached fragments where the parts allow."""
    return _BYTES.dump(model)


def compact_text(model: Any) -> str:
    """``model.model_dump_json()`` (compact) as text, from cached fragments where the parts allow."""
    return _TEXT.dump(model)
