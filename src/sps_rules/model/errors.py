"""Errors meant for people: each says what is wrong, where, and how to fix it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError


class SpsRulesError(Exception):
    """Base class of every error sps-rules raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One problem in one file, at a line and column (1-based; 0 when unknown)."""

    file: str
    line: int
    column: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.message}" + (f" (hint: {self.hint})" if self.hint else "")

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message, "hint": self.hint}


class RuleFileError(SpsRulesError, ValueError):
    """A rule file (or the rule set it belongs to) is invalid. Nothing of it was loaded."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(
            "\n".join(str(p) for p in self.problems) if self.problems else "invalid rule file"
        )


class RuleSetNotFound(SpsRulesError, LookupError):
    """No rule set, or no version of it, matches what was asked for."""


class FactsError(SpsRulesError, ValueError):
    """Citizen facts are invalid. The message names the field and what is wrong."""

    def __init__(self, message: str, *, source: str = "facts", errors: tuple[dict[str, Any], ...] = ()):
        self.source = source
        self.errors = errors
        super().__init__(f"{source}: {message}")

    @classmethod
    def from_validation(cls, exc: ValidationError, *, source: str = "facts") -> FactsError:
        parts = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "(top level)"
            parts.append(f"{loc}: {_human(err)}")
        details = tuple({"field": ".".join(str(p) for p in e["loc"]), "message": _human(e)} for e in exc.errors())
        return cls("; ".join(parts), source=source, errors=details)


def _human(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return "unknown field; check its spelling against the CitizenFacts fields (sps-rules schema facts)"
    if kind == "missing":
        return "required field is missing"
    if kind in ("greater_than_equal", "less_than_equal") and isinstance(err.get("input"), (str, date)):
        return f"date {err['input']} is outside the plausible range 1900-01-01..2200-12-31"
    if kind == "literal_error":
        return f"{err['msg'].lower()} (got {err.get('input')!r})"
    message = str(err.get("msg", "invalid value"))
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return f"{message} (got {err.get('input')!r})" if "input" in err and kind != "value_error" else message


class RecordError(SpsRulesError, ValueError):
    """A decision record is corrupt or invalid."""


class UnknownFormat(SpsRulesError, ValueError):
    """An output format was asked for that the function does not write."""


class EngineUnavailable(SpsRulesError, ValueError):
    """The engine asked for cannot run this rule set (durable-rules and a very large one), or is unknown."""
