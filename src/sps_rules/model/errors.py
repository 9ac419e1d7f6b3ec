"""Errors meant for people: each says what is wrong, where, and how to fix it."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from pydantic import ValidationError

#: The longest error message, in characters; a longer one is cut and says how much was left out.
MAX_MESSAGE_CHARS = 4_000
#: The longest message or hint of one Problem.
MAX_PROBLEM_CHARS = 1_000
#: The most problems one RuleFileError keeps (the rest are counted).
MAX_PROBLEMS = 100
#: The most field errors one FactsError lists (the rest are counted).
MAX_FIELD_ERRORS = 5


def cap(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """``text`` cut to about ``limit`` characters, saying how many were left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text) - limit:,} more characters)"


class SpsRulesError(Exception):
    """Base class of every error sps-rules raises on purpose. Its message is capped in length."""

    def __init__(self, *args: object):
        if args and isinstance(args[0], str):
            args = (cap(args[0]), *args[1:])
        super().__init__(*args)


@dataclass(frozen=True)
class Problem:
    """One problem in one file, at a line and column (1-based; 0 when unknown)."""

    file: str
    line: int
    column: int
    message: str
    hint: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "message", cap(self.message, MAX_PROBLEM_CHARS))
        object.__setattr__(self, "hint", cap(self.hint, MAX_PROBLEM_CHARS))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.message}" + (f" (hint: {self.hint})" if self.hint else "")

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message, "hint": self.hint}


class RuleFileError(SpsRulesError, ValueError):
    """A rule file (or the rule set it belongs to) is invalid. Nothing of it was loaded."""

    def __init__(self, problems: Iterable[Problem]):
        kept: list[Problem] = []
        self.omitted = 0  # problems beyond MAX_PROBLEMS, counted but not kept
        for problem in problems:
            if len(kept) < MAX_PROBLEMS:
                kept.append(problem)
            else:
                self.omitted += 1
        self.problems: tuple[Problem, ...] = tuple(kept)
        text = "\n".join(str(p) for p in self.problems) if self.problems else "invalid rule file"
        if self.omitted:
            text += f"\n… and {self.omitted:,} more problem(s)"
        super().__init__(text)


class RuleSetNotFound(SpsRulesError, LookupError):
    """No rule set, or no version of it, matches what was asked for."""


class FactsError(SpsRulesError, ValueError):
    """Citizen facts are invalid. The message names the field and what is wrong."""

    def __init__(self, message: str, *, source: str = "facts", errors: tuple[dict[str, Any], ...] = ()):
        self.source = source
        self.errors = errors
        super().__init__(f"{source}: {message}")

    @classmethod
    def from_validation(cls, exc: ValidationError, *, source: str = "facts",
                        fields: Mapping[str, Iterable[str]] | None = None) -> FactsError:
        """One message naming each wrong field and what it expects, never the value given.

        ``fields`` maps a dotted parent path ("" for the top level) to the field names allowed
        there, for a did-you-mean on unknown fields. At most MAX_FIELD_ERRORS are listed.
        """
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        details = tuple({"field": _loc(e["loc"]), "message": _human(e, fields or {})}
                        for e in errors[:MAX_FIELD_ERRORS * 4])
        parts = [f"{d['field'] or '(top level)'}: {d['message']}" for d in details[:MAX_FIELD_ERRORS]]
        if len(errors) > MAX_FIELD_ERRORS:
            parts.append(f"and {len(errors) - MAX_FIELD_ERRORS:,} more problem(s)")
        return cls("; ".join(parts), source=source, errors=details)


def _loc(loc: Iterable[Any]) -> str:
    return ".".join(cap(str(p), 40) for p in loc)


def _human(err: Any, fields: Mapping[str, Iterable[str]]) -> str:
    """What a field expects, in words; never the value given (it may be a CPR number or a name)."""
    kind = err.get("type", "")
    loc = [str(p) for p in err.get("loc", ())]
    if kind == "extra_forbidden":
        known = list(fields.get(".".join(loc[:-1]), ()))
        close = difflib.get_close_matches(loc[-1], known, n=1, cutoff=0.6) if loc and known else []
        suggestion = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown field; {suggestion}check its spelling against the CitizenFacts fields (sps-rules schema facts)"
    if kind == "missing":
        return "required field is missing"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return "the date is outside the plausible range 1900-01-01..2200-12-31"
    if kind == "model_type" or kind == "model_attributes_type":
        return "expected an object {...}"
    message = str(err.get("msg", "invalid value"))
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message[:1].lower() + message[1:]


class RecordError(SpsRulesError, ValueError):
    """A decision record is corrupt or invalid."""


class UnknownFormat(SpsRulesError, ValueError):
    """An output format was asked for that the function does not write."""


class EngineUnavailable(SpsRulesError, ValueError):
    """The engine asked for cannot run this rule set (durable-rules and a very large one), or is unknown."""


_F = TypeVar("_F", bound=Callable[..., Any])

#: What may escape library code on hostile input besides an SpsRulesError; turned into one at the API.
_UNEXPECTED = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError,
               UnicodeError)


def guarded(what: str) -> Callable[[_F], _F]:
    """Make a public function raise only SpsRulesError: anything else hostile input can cause
    (a RecursionError, an OverflowError, a KeyError...) becomes one naming ``what``, never a value."""

    def decorate(function: _F) -> _F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except SpsRulesError:
                raise
            except _UNEXPECTED as exc:
                raise SpsRulesError(f"{what}: the input could not be processed ({type(exc).__name__})") from exc

        return cast(_F, wrapper)

    return decorate
