"""The compiled decision path: one rule-set version as generated plain Python.

Each version is translated once (cached by its sha256) into the source of one function,
``states(citizen)``, that returns per rule the same state the durable-rules run gives
(``compiler.NONE``, ``TRUE`` or ``FALSE``). The translation follows the durable-rules one
rule for rule: a condition is true when its positive "true" expression holds and false when
its positive "false" expression holds (Kleene logic pushed down to the facts, an unknown
fact never matching); a named definition is worked out once per citizen instead of being
copied into every rule that refers to it, so the cost is linear in the size of the rule set.

durable-rules stays the independent second engine: the test suite and ``validate`` run both
on generated citizens and fail on any difference.

The generated source holds no value from a rule file except as a Python literal (``repr`` of
a bool, int or validated slug/code) or a date constant bound by name, so a rule file cannot
inject code. Every variable name is made from a position, never from a fact or rule name.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..model.facts import VOCABULARY, CitizenFacts, FactKind
from ..model.schema import AllOf, AnyOf, Condition, Definition, FactTest, Not, Ref
from .compiler import FALSE, NONE, TRUE, CompiledRule, implicit_condition
from .loaded import LoadedRuleSet

_OPS = {"at_least": ">=", "at_most": "<=", "greater_than": ">", "less_than": "<", "equals": "==", "not_equals": "!="}
_NEGATE = {"at_least": "less_than", "at_most": "greater_than", "greater_than": "at_most", "less_than": "at_least",
           "equals": "not_equals", "not_equals": "equals"}


class _Writer:
    """Turns conditions into Python expressions over local variables, one per fact read."""

    def __init__(self, definitions: dict[str, Definition]):
        self.definitions = definitions
        self.facts: dict[str, str] = {}  # fact path -> local name
        self.constants: dict[str, Any] = {}  # global name -> value (dates)
        self.defs: dict[str, int] = {}  # definition name -> position, in dependency order
        self.def_lines: list[str] = []

    def var(self, path: str) -> str:
        name = self.facts.get(path)
        if name is None:
            name = self.facts[path] = f"f{len(self.facts)}"
        return name

    def literal(self, kind: FactKind, value: Any) -> str:
        if isinstance(value, date):
            name = f"K{len(self.constants)}"
            self.constants[name] = value
            return name
        if isinstance(value, (bool, int, str)) and kind is not FactKind.DATE:
            return repr(value)
        raise ValueError(f"cannot compile the value {value!r} for a {kind.value} fact")  # checks.py refuses these

    def ref(self, name: str) -> int:
        found = self.defs.get(name)
        if found is None:
            when = self.definitions[name].when
            true, false = self.true(when), self.false(when)  # nested definitions come first
            found = self.defs[name] = len(self.defs)
            self.def_lines.append(f"    t{found} = {true}\n    n{found} = {false}\n")
        return found

    def true(self, cond: Condition) -> str:
        if isinstance(cond, AllOf):
            return _join(" and ", [self.true(c) for c in cond.all])
        if isinstance(cond, AnyOf):
            return _join(" or ", [self.true(c) for c in cond.any])
        if isinstance(cond, Not):
            return self.false(cond.not_)
        if isinstance(cond, Ref):
            return f"t{self.ref(cond.ref)}"
        return self.leaf(cond, want=True)

    def false(self, cond: Condition) -> str:
        if isinstance(cond, AllOf):
            return _join(" or ", [self.false(c) for c in cond.all])
        if isinstance(cond, AnyOf):
            return _join(" and ", [self.false(c) for c in cond.any])
        if isinstance(cond, Not):
            return self.true(cond.not_)
        if isinstance(cond, Ref):
            return f"n{self.ref(cond.ref)}"
        return self.leaf(cond, want=False)

    def leaf(self, test: FactTest, *, want: bool) -> str:
        spec = VOCABULARY[test.fact]
        x = self.var(test.fact)
        op, value = test.comparison, test.value
        if op == "known":
            return f"{x} is not None" if value == want else f"{x} is None"
        if spec.kind is FactKind.CODES:
            codes = [value] if op == "contains" else list(value)
            if want:
                return f"({x} is not None and ({' or '.join(f'{c!r} in {x}' for c in codes)}))"
            return f"({x} is not None and {' and '.join(f'{c!r} not in {x}' for c in codes)})"
        if op == "one_of":
            values = ", ".join(self.literal(spec.kind, v) for v in value)
            return f"({x} in ({values},))" if want else f"({x} is not None and {x} not in ({values},))"
        if not want:
            op = _NEGATE[op]
        literal = self.literal(spec.kind, value)
        if op == "equals":  # the value is never None, so an unknown fact never equals it
            return f"({x} == {literal})"
        return f"({x} is not None and {x} {_OPS[op]} {literal})"


def _join(sep: str, parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + sep.join(parts) + ")"


def _reads(path: str, name: str) -> str:
    """The line that reads one fact into its local variable, from ``g`` (the citizen's fields)."""
    if path == "age":
        return f"    {name} = citizen.age()\n"
    if path.startswith("function_levels."):
        return f"    {name} = levels[{path.split('.', 1)[1]!r}]\n"
    return f"    {name} = g[{path!r}]\n"


_NO_LEVELS: dict[str, None] = dict.fromkeys(p.split(".", 1)[1] for p in VOCABULARY if p.startswith("function_levels."))


def generate(loaded: LoadedRuleSet, rules: tuple[CompiledRule, ...]) -> tuple[str, dict[str, Any]]:
    """The Python source of ``states(citizen)`` for a rule set, and the constants it refers to."""
    writer = _Writer(loaded.definitions)
    items = []
    for rule in rules:
        condition = implicit_condition(rule.loaded.rule)
        if condition is None:
            items.append(f"        {TRUE},\n")
        else:
            true, false = writer.true(condition), writer.false(condition)
            items.append(f"        {TRUE} if {true} else {FALSE} if {false} else {NONE},\n")
    head = ["def states(citizen):\n", "    g = citizen.__dict__\n"]
    if any(p.startswith("function_levels.") for p in writer.facts):
        head.append("    levels = g['function_levels']\n")
        head.append("    levels = NO_LEVELS if levels is None else levels.__dict__\n")
    head += [_reads(path, name) for path, name in writer.facts.items()]
    source = "".join([*head, *writer.def_lines, "    return [\n", *items, "    ]\n"])
    return source, {**writer.constants, "NO_LEVELS": _NO_LEVELS}


@dataclass(frozen=True)
class PythonRuleSet:
    """One rule-set version compiled to a Python function from a citizen to its rule states."""

    sha256: str
    source: str
    states: Callable[[CitizenFacts], list[int]]

    def run(self, citizen: CitizenFacts) -> list[int]:
        return self.states(citizen)


_compiled: dict[str, PythonRuleSet] = {}
_lock = threading.Lock()


def compile_python(loaded: LoadedRuleSet, rules: tuple[CompiledRule, ...]) -> PythonRuleSet:
    """Compile once per rule-set content (sha256); later calls return the same function."""
    with _lock:
        found = _compiled.get(loaded.sha256)
    if found is not None:
        return found
    source, constants = generate(loaded, rules)
    code = compile(source, f"<sps-rules {loaded.id}@{loaded.version} {loaded.sha256[:12]}>", "exec")
    namespace: dict[str, Any] = {"__builtins__": {}, **constants}
    exec(code, namespace)  # noqa: S102 - our own generated source; see the module docstring
    compiled = PythonRuleSet(loaded.sha256, source, namespace["states"])
    with _lock:
        return _compiled.setdefault(loaded.sha256, compiled)

