"""A fast path for the common case: a plain dict of facts that is valid as it stands.

Validating a citizen with pydantic takes about 12 µs, a third of a whole decision, because each
strict field runs a Python validator. ``quick_facts`` checks the same rules by hand for a plain
``dict`` and builds the same ``CitizenFacts`` without pydantic. It never decides that input is
bad: anything it does not recognise as plainly valid (a wrong type, an unknown key, a bad date,
another mapping type) gives ``None``, and the caller validates with pydantic, which words the
error. A property test checks that whatever this accepts, pydantic accepts and builds equal.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from .facts import (
    EARLIEST_DATE,
    LATEST_DATE,
    NEED_CODES,
    REQUEST_CODES,
    VOCABULARY,
    CitizenFacts,
    FactKind,
    FunctionLevels,
)

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch  # as the strict validator in facts.py
_SLUG = re.compile(r"[a-z][a-z0-9_]{0,63}").fullmatch  # the Slug pattern, anchored by fullmatch
_LEVELS = frozenset((0, 1, 2, 3, 4))
_NEEDS = frozenset(NEED_CODES)
_REQUESTS = frozenset(REQUEST_CODES)

_FIELDS = tuple(CitizenFacts.model_fields)
_DAYS = tuple(name for name in _FIELDS if name in VOCABULARY and VOCABULARY[name].kind is FactKind.DATE)
_FLAGS = tuple(name for name in _FIELDS if name in VOCABULARY and VOCABULARY[name].kind is FactKind.BOOL)
#: Every field, by how quick_facts checks it; a test fails when a field is added that none covers.
HANDLED = (*_DAYS, *_FLAGS, "resident_municipality", "support_need_level", "function_levels", "needs", "requests")
_THEMES = tuple(FunctionLevels.model_fields)
_KNOWN = frozenset(_FIELDS)
_KNOWN_THEMES = frozenset(_THEMES)
_EMPTY: dict[str, Any] = dict.fromkeys(_FIELDS)
_NO_THEMES: dict[str, Any] = dict.fromkeys(_THEMES)
_new = object.__new__
_fromiso = date.fromisoformat
_SEEN_DAYS: dict[str, date] = {}  # ISO text -> the day it names, for text already checked
_CODES = (("needs", _NEEDS), ("requests", _REQUESTS))
_set = object.__setattr__


def _model(cls: type[Any], values: dict[str, Any], given: set[str]) -> Any:
    """What ``cls.model_validate`` builds for these already checked values."""
    model = _new(cls)
    _set(model, "__dict__", values)
    _set(model, "__pydantic_fields_set__", given)
    _set(model, "__pydantic_extra__", None)
    _set(model, "__pydantic_private__", None)
    return model


def quick_facts(data: Any) -> CitizenFacts | None:
    """The ``CitizenFacts`` pydantic would build from ``data``, or None to let pydantic decide."""
    # Written out flat: this runs once per decision, and each Python call here costs a few % of one.
    if type(data) is not dict or not _KNOWN.issuperset(data):
        return None
    values = _EMPTY.copy()
    for name in _DAYS:
        value = data.get(name)
        if value is None:
            continue
        if type(value) is str:
            day = _SEEN_DAYS.get(value)  # a population shares its assessment date and many others
            if day is None:
                if not _DAY(value):
                    return None
                try:
                    day = _fromiso(value)
                except ValueError:
                    return None
                if not EARLIEST_DATE <= day <= LATEST_DATE:
                    return None
                if len(_SEEN_DAYS) >= 4096:
                    _SEEN_DAYS.clear()
                _SEEN_DAYS[value] = day
            value = day
        elif type(value) is not date or not EARLIEST_DATE <= value <= LATEST_DATE:
            return None
        values[name] = value
    today = values["assessment_date"]
    if today is None:
        return None
    for name in _FLAGS:
        flag = data.get(name)
        if flag is not None:
            if type(flag) is not bool:
                return None
            values[name] = flag
    municipality = data.get("resident_municipality")
    if municipality is not None:
        if type(municipality) is not str or not _SLUG(municipality):
            return None
        values["resident_municipality"] = municipality
    level = data.get("support_need_level")
    if level is not None:
        if type(level) is not int or level not in _LEVELS:
            return None
        values["support_need_level"] = level
    themes = data.get("function_levels")
    if themes is not None:
        if type(themes) is not dict or not _KNOWN_THEMES.issuperset(themes):
            return None
        for level in themes.values():
            if level is not None and (type(level) is not int or level not in _LEVELS):
                return None
        levels = _NO_THEMES.copy()
        levels.update(themes)
        values["function_levels"] = _model(FunctionLevels, levels, set(themes))
    for name, allowed in _CODES:
        codes = data.get(name)
        if codes is not None:
            if type(codes) is not list and type(codes) is not tuple:
                return None
            for code in codes:
                if type(code) is not str or code not in allowed:
                    return None
            values[name] = tuple(sorted(set(codes)))
    born = values["birth_date"]
    if born is not None and born > today:
        return None
    return _model(CitizenFacts, values, set(data))  # type: ignore[no-any-return]
