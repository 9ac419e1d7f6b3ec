"""Stage 2: compile a loaded rule set to one durable-rules (Rete) ruleset.

Conditions are three-valued: true, false or unknown (a fact they need is unknown). Rete
rules only fire on a match, so each sps rule n becomes two durable-rules probes: ``2n``
matches exactly when the condition is true and ``2n+1`` exactly when it is false (Kleene
logic pushed down to the facts: an unknown fact is an absent key). When neither fires, the
condition is unknown.

The citizen is one durable-rules fact. Dotted fact paths become keys with ``__``; dates
become ordinal day numbers; code lists (needs, requests) become one boolean key per code,
present only when the list is known, plus the list's length under its own key.
"""

from __future__ import annotations

import itertools
import json
import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

from .facts import VOCABULARY, FactKind, FactValue
from .loader import LoadedRule, LoadedRuleSet
from .schema import AllOf, AnyOf, Condition, Definition, FactTest, Not, Ref, Rule, fact_tests

try:
    import durable_rules_engine as _engine
except ImportError as exc:  # pragma: no cover - depends on the machine
    raise ImportError(
        "sps-rules needs durable-rules' C module (durable_rules_engine), which failed to load: "
        f"{exc}. Install it with 'pip install durable-rules==2.0.28' (it compiles with gcc and the "
        "Python headers). On Python 3.13 build it with: "
        "CPPFLAGS=-DPyEval_CallObject=PyObject_CallObject pip install --no-cache-dir durable-rules==2.0.28"
    ) from exc

Expr = dict[str, Any]
MARKER = "sps"  # every citizen fact carries sps=1; durable's own state object does not


def engine_key(path: str) -> str:
    return path.replace(".", "__")


def code_key(path: str, code: str) -> str:
    return f"{engine_key(path)}__{code}"


# (path, engine key, kind, [(code, code key)]) for every fact, computed once
_LAYOUT = [
    (path, engine_key(path), spec.kind, [(code, code_key(path, code)) for code in spec.codes])
    for path, spec in VOCABULARY.items()
]


def engine_fact(values: dict[str, FactValue]) -> dict[str, Any]:
    """The durable-rules fact for a citizen: unknown facts are left out."""
    fact: dict[str, Any] = {MARKER: 1}
    for path, key, kind, codes in _LAYOUT:
        value = values.get(path)
        if value is None:
            continue
        if kind is FactKind.CODES:
            present = set(value)  # type: ignore[arg-type]
            fact[key] = len(present)  # the list is known (possibly empty)
            for code, ckey in codes:
                fact[ckey] = code in present
        elif kind is FactKind.DATE:
            fact[key] = date.fromisoformat(value).toordinal()  # type: ignore[arg-type]
        else:
            fact[key] = value
    return fact


# --- three-valued conditions as positive durable-rules expressions -------------------------


class _Translator:
    def __init__(self, definitions: dict[str, Definition]):
        self.definitions = definitions

    def true(self, cond: Condition) -> Expr:
        if isinstance(cond, AllOf):
            return _and([self.true(c) for c in cond.all])
        if isinstance(cond, AnyOf):
            return _or([self.true(c) for c in cond.any])
        if isinstance(cond, Not):
            return self.false(cond.not_)
        if isinstance(cond, Ref):
            return self.true(self.definitions[cond.ref].when)
        return _leaf(cond, want=True)

    def false(self, cond: Condition) -> Expr:
        if isinstance(cond, AllOf):
            return _or([self.false(c) for c in cond.all])
        if isinstance(cond, AnyOf):
            return _and([self.false(c) for c in cond.any])
        if isinstance(cond, Not):
            return self.true(cond.not_)
        if isinstance(cond, Ref):
            return self.false(self.definitions[cond.ref].when)
        return _leaf(cond, want=False)


def _and(parts: list[Expr]) -> Expr:
    return parts[0] if len(parts) == 1 else {"$and": parts}


def _or(parts: list[Expr]) -> Expr:
    return parts[0] if len(parts) == 1 else {"$or": parts}


_NEGATE = {"at_least": "less_than", "at_most": "greater_than", "greater_than": "at_most", "less_than": "at_least",
           "equals": "not_equals", "not_equals": "equals"}
_DURABLE_OP = {"at_least": "$gte", "at_most": "$lte", "greater_than": "$gt", "less_than": "$lt", "not_equals": "$neq"}


def _value(spec_kind: FactKind, value: Any) -> Any:
    return value.toordinal() if spec_kind is FactKind.DATE and isinstance(value, date) else value


def _leaf(test: FactTest, *, want: bool) -> Expr:
    spec = VOCABULARY[test.fact]
    key = engine_key(test.fact)
    op, value = test.comparison, test.value
    exists = {"$ex": {key: 1}}
    if op == "known":
        return exists if value == want else {"$nex": {key: 1}}
    if spec.kind is FactKind.CODES:
        codes = [value] if op == "contains" else list(value)
        if want:
            return _or([{code_key(test.fact, c): True} for c in codes])
        return _and([{code_key(test.fact, c): False} for c in codes])
    if op == "one_of":
        if want:
            return _or([{key: _value(spec.kind, v)} for v in value])
        return _and([exists] + [{"$neq": {key: _value(spec.kind, v)}} for v in value])
    if not want:
        op = _NEGATE[op]
    v = _value(spec.kind, value)
    if op == "equals":
        return {key: v}
    return _and([exists, {_DURABLE_OP[op]: {key: v}}])


# --- the compiled rule set ------------------------------------------------------------------------


@dataclass(frozen=True)
class CompiledRule:
    index: int
    loaded: LoadedRule
    reads: tuple[str, ...]  # fact paths the condition reads, in order
    has_false: bool  # False for rules that always apply (no 'false' probe)


class CompiledRuleSet:
    """A durable-rules ruleset for one rule-set version, and a way to run one citizen through it.

    Thread-safe: durable-rules' C module is not documented as safe for concurrent calls on one
    ruleset handle, so each session (assert, drain, delete) runs under this ruleset's lock.
    """

    _names = itertools.count()

    def __init__(self, loaded: LoadedRuleSet):
        self.loaded = loaded
        translator = _Translator(loaded.definitions)
        definition: dict[str, Any] = {}
        rules: list[CompiledRule] = []
        for index, item in enumerate(loaded.rules):
            condition = _implicit_condition(item.rule)
            guard = {MARKER: 1}
            # probe 2n matches when rule n's condition is true, probe 2n+1 when it is false
            if condition is None:
                definition[str(2 * index)] = {"all": [{"m": guard}]}
            else:
                definition[str(2 * index)] = {"all": [{"m": {"$and": [guard, translator.true(condition)]}}]}
                definition[str(2 * index + 1)] = {"all": [{"m": {"$and": [guard, translator.false(condition)]}}]}
            reads = tuple(dict.fromkeys(t.fact for t in fact_tests(condition, loaded.definitions)))
            rules.append(CompiledRule(index, item, reads, condition is not None))
        self.rules: tuple[CompiledRule, ...] = tuple(rules)
        self.definition_json = json.dumps(definition, sort_keys=True)
        self.name = f"sps_{loaded.id}_{loaded.version}_{loaded.sha256[:12]}_{next(self._names)}"
        self._handle = _engine.create_ruleset(self.name, self.definition_json)
        self._lock = threading.Lock()
        self._sessions = itertools.count(1)

    def run(self, fact: dict[str, Any]) -> list[int]:
        """Assert one citizen in a fresh session; return per rule what fired.

        For each rule: 0 nothing, 1 its true probe, 2 its false probe (3 would be both, a bug).
        The session's state is deleted afterwards, also when something fails.
        """
        flags = [0] * len(self.rules)
        with self._lock:
            sid = str(next(self._sessions))
            payload = json.dumps({**fact, "sid": sid, "id": "citizen"}, separators=(",", ":"))
            try:
                result = _engine.assert_fact(self._handle, payload)
                state_handle = result[1]
                action = _engine.start_action_for_state(self._handle, state_handle)
                message = action[1] if action else None
                while message:
                    # the message is {"<probe number>": {"m": <fact>}}; only the number matters.
                    # A probe can fire once per matching branch of an $or; |= makes that harmless.
                    probe = int(message[2:message.index('"', 2)])
                    flags[probe >> 1] |= 1 + (probe & 1)
                    message = _engine.complete_and_start_action(self._handle, state_handle)
            finally:
                _engine.delete_state(self._handle, sid)
        return flags


def _implicit_condition(rule: Rule) -> Condition | None:
    """A need or request rule applies only when the citizen has that need or request."""
    implicit: FactTest | None = None
    if rule.need is not None and rule.need.code is not None:
        implicit = FactTest(fact="needs", contains=rule.need.code)
    elif rule.request is not None and rule.request.code is not None:
        implicit = FactTest(fact="requests", contains=rule.request.code)
    if implicit is None:
        return rule.when
    if rule.when is None:
        return implicit
    return AllOf(all=[implicit, rule.when])



_compiled: dict[str, CompiledRuleSet] = {}
_compiled_lock = threading.Lock()


def compile_ruleset(loaded: LoadedRuleSet) -> CompiledRuleSet:
    """Compile once per rule-set content (sha256); later calls return the same compiled ruleset.

    durable-rules never frees a created ruleset, so compiling the same content again would leak.
    """
    with _compiled_lock:
        compiled = _compiled.get(loaded.sha256)
        if compiled is None:
            compiled = CompiledRuleSet(loaded)
            _compiled[loaded.sha256] = compiled
        return compiled
