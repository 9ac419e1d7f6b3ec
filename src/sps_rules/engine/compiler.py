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

import functools
import hashlib
import itertools
import json
import operator
import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from ..model.errors import EngineUnavailable
from ..model.facts import VOCABULARY, CitizenFacts, FactKind
from ..model.schema import AllOf, AnyOf, Condition, Definition, FactTest, Not, Ref, Rule, fact_tests
from .loaded import LoadedRule, LoadedRuleSet

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
#: What run() reports per rule: no probe fired (unknown, or false for a rule that always
#: applies), the true probe fired, the false probe fired.
NONE, TRUE, FALSE = 0, 1, 2
MARKER = "sps"  # every citizen fact carries sps=1; durable's own state object does not
#: The most rules a rule set may have for durable-rules to run it; larger ones run on the compiled
#: engine only. Measured with generated rule sets (run/synthetic.py): from about 450 rules some
#: citizens fail with error 303 (more than 64 pending alpha matches), from about 2,000 the ruleset
#: fails to compile (error 107). The README's "Engine" section gives the figures.
DURABLE_MAX_RULES = 250
#: After this many sessions durable-rules could not finish (each is left in the engine, since
#: deleting it would abort the process), it is no longer used for that rule set: memory stays bounded.
MAX_ABANDONED = 8


def engine_key(path: str) -> str:
    return path.replace(".", "__")


def code_key(path: str, code: str) -> str:
    return f"{engine_key(path)}__{code}"


# The citizen's fields by how they become engine keys; a test checks that these cover VOCABULARY.
_DATES = tuple(p for p, spec in VOCABULARY.items() if spec.kind is FactKind.DATE)
_PLAIN = tuple(p for p, spec in VOCABULARY.items()
               if spec.kind in (FactKind.BOOL, FactKind.LEVEL, FactKind.SLUG) and "." not in p)
_THEME_KEYS = {p.split(".", 1)[1]: engine_key(p) for p in VOCABULARY if p.startswith("function_levels.")}
_CODE_LISTS = tuple((p, {code: code_key(p, code) for code in spec.codes},
                     {code_key(p, code): False for code in spec.codes})
                    for p, spec in VOCABULARY.items() if spec.kind is FactKind.CODES)


def engine_fact(citizen: CitizenFacts) -> dict[str, Any]:
    """The durable-rules fact for a citizen: unknown facts are left out."""
    given = citizen.__dict__
    fact: dict[str, Any] = {MARKER: 1, "id": "citizen"}
    for path in _DATES:
        day = given[path]
        if day is not None:
            fact[path] = day.toordinal()
    age = citizen.age()
    if age is not None:
        fact["age"] = age
    for path in _PLAIN:
        value = given[path]
        if value is not None:
            fact[path] = value
    levels = given["function_levels"]
    if levels is not None:
        for theme, level in levels.__dict__.items():
            if level is not None:
                fact[_THEME_KEYS[theme]] = level
    for path, keys, all_false in _CODE_LISTS:
        codes = given[path]
        if codes is not None:
            fact[path] = len(codes)  # the list is known (possibly empty); codes are unique
            fact.update(all_false)
            for code in codes:
                fact[keys[code]] = True
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

    def __init__(self, loaded: LoadedRuleSet, rules: tuple[CompiledRule, ...] | None = None):
        self.loaded = loaded
        self.rules: tuple[CompiledRule, ...] = rules if rules is not None else analyse(loaded)
        self._create_lock = threading.Lock()
        self._handle_value: int | None = None
        #: sessions left in the engine because they could not be drained (deleting them would abort)
        self.abandoned = 0

    @property
    def _handle(self) -> int:
        """The durable-rules ruleset, created on first use (the compiled path never needs it)."""
        if self._handle_value is None:
            with self._create_lock:
                if self._handle_value is None:
                    self._create()
        assert self._handle_value is not None
        return self._handle_value

    def _create(self) -> None:
        loaded = self.loaded
        if len(self.rules) > DURABLE_MAX_RULES:
            raise EngineUnavailable(
                f"rule set {loaded.id} version {loaded.version} has {len(self.rules)} rules; the durable-rules "
                f"engine holds at most {DURABLE_MAX_RULES} (above that it fails citizens with error 303, aborts "
                "the process or fails to compile). Use the compiled engine (the default) for this rule set.")
        translator = _Translator(loaded.definitions)
        definition: dict[str, Any] = {}
        # Probe 2n matches when rule n's condition is true, probe 2n+1 when it is false. Every
        # probe name has the same number of digits, so run() can cut the name from the start of
        # an action's message, {"<name>":{"m":{...}}}, without parsing the rest.
        width = len(str(2 * len(loaded.rules) + 1))
        names = [str(10**width + probe) for probe in range(2 * len(loaded.rules))]
        for index, item in enumerate(loaded.rules):
            condition = implicit_condition(item.rule)
            guard = {MARKER: 1}
            if condition is None:
                definition[names[2 * index]] = {"all": [{"m": guard}]}
            else:
                definition[names[2 * index]] = {"all": [{"m": {"$and": [guard, translator.true(condition)]}}]}
                definition[names[2 * index + 1]] = {"all": [{"m": {"$and": [guard, translator.false(condition)]}}]}
        self.definition_json = json.dumps(definition, sort_keys=True)
        self._probe_names = names
        self._name_in = operator.itemgetter(slice(2, 3 + width))
        self._state_of = {name: (probe // 2, FALSE if probe % 2 else TRUE) for probe, name in enumerate(names)}
        self._no_states = dict.fromkeys(range(len(self.rules)), NONE)
        try:
            self._engine = _engine_ruleset(self.definition_json, f"sps_{loaded.id}_{loaded.version}")
        except _engine.error as exc:  # e.g. error 107: more alpha branches than the engine's fixed lists
            raise EngineUnavailable(f"durable-rules cannot compile rule set {loaded.id} version {loaded.version} "
                                    f"({exc}); use the compiled engine (the default)") from None
        self.name = self._engine.name
        self._lock = self._engine.lock  # shared by every CompiledRuleSet on this engine ruleset
        self._sessions = self._engine.sessions
        self._handle_value = self._engine.handle

    def _abandon(self) -> None:
        self.abandoned += 1
        if self._engine not in _never_deleted:
            _never_deleted.append(self._engine)

    def run(self, fact: dict[str, Any]) -> list[int]:
        """Assert one citizen (from engine_fact) in a fresh session; return per rule which of
        its probes fired: NONE, TRUE or FALSE.

        ``fact`` gets the session id under "sid". The session's state is deleted afterwards,
        also when something fails.
        """
        handle = self._handle
        if self.abandoned >= MAX_ABANDONED:
            raise EngineUnavailable(
                f"durable-rules failed {self.abandoned} citizens of rule set {self.loaded.id} version "
                f"{self.loaded.version} and is no longer used for it (each failure leaves memory in the engine); "
                "use the compiled engine (the default)")
        with self._lock:
            fact["sid"] = sid = str(next(self._sessions))
            payload = orjson.dumps(fact).decode()
            try:
                state_handle = _engine.assert_fact(handle, payload)[1]
            except _engine.error as exc:
                # The engine failed part-way through the citizen (error 303: more pending alpha
                # matches than its fixed stack of 64). Deleting that half-stored session aborts the
                # process, so it is left in the engine and counted.
                self._abandon()
                raise EngineUnavailable(
                    f"durable-rules could not run rule set {self.loaded.id} version {self.loaded.version} for "
                    f"this citizen ({exc}); use the compiled engine (the default)") from None
            drained = False
            try:
                # A probe fires once per matching branch of an $or, so a name may repeat: a set is harmless.
                fired = set(map(self._name_in, drain(handle, state_handle)))
                drained = True
            finally:
                # Deleting a session with actions still queued corrupts the engine's memory (the
                # process aborts): delete only a drained session, else drain it first.
                if drained or _finish(handle, state_handle):
                    _engine.delete_state(handle, sid)
                else:
                    self._abandon()
        states = self._no_states.copy()
        states.update(map(self._state_of.__getitem__, fired))
        result = list(states.values())
        if len(fired) != len(result) - result.count(NONE):  # some rule fired both its probes
            names = self._probe_names
            both = next(r.loaded.rule.id for r in self.rules if {names[2 * r.index], names[2 * r.index + 1]} <= fired)
            raise RuntimeError(f"internal error: rule {both} is both true and false")
        return result


def drain(handle: int, state_handle: int) -> Iterator[str]:
    """The messages of every action the engine has ready for a session, each completed in turn.

    The C module is driven directly: start_action_for_state gives the first action,
    complete_and_start_action completes it and gives the next, None when there are no more.
    """
    first = _engine.start_action_for_state(handle, state_handle)
    if not first:
        return iter(())
    return itertools.chain((first[1],), iter(functools.partial(_engine.complete_and_start_action, handle, state_handle), None))


def _finish(handle: int, state_handle: int) -> bool:
    """Complete a session's remaining actions; False if the engine fails to."""
    try:
        deque(drain(handle, state_handle), maxlen=0)
    except Exception:  # noqa: BLE001 - any failure: the session is left, never deleted half-drained
        return False
    return True


def implicit_condition(rule: Rule) -> Condition | None:
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



def analyse(loaded: LoadedRuleSet) -> tuple[CompiledRule, ...]:
    """Per rule: its position, the facts its condition reads and whether it can be false."""
    rules = []
    for index, item in enumerate(loaded.rules):
        condition = implicit_condition(item.rule)
        reads = tuple(dict.fromkeys(t.fact for t in fact_tests(condition, loaded.definitions)))
        rules.append(CompiledRule(index, item, reads, condition is not None))
    return tuple(rules)


#: Engine rulesets holding sessions that could not be finished: deleting such a ruleset frees
#: half-built state, which may abort the process as deleting the session would, so they are
#: kept for the life of the process (at most MAX_ABANDONED sessions each).
_never_deleted: list[_EngineRuleset] = []


class _EngineRuleset:
    """One durable-rules ruleset, shared by every compiled rule set whose conditions are the same
    (drafts that differ only in texts, quotes or versions), and deleted when none uses it."""

    _names = itertools.count()

    def __init__(self, definition_json: str, label: str):
        self.name = f"{label}_{next(self._names)}"
        self.handle = _engine.create_ruleset(self.name, definition_json)
        self.lock = threading.Lock()
        self.sessions = itertools.count(1)
        # durable-rules keeps a ruleset until it is deleted: free it with its last user
        weakref.finalize(self, _engine.delete_ruleset, self.handle)


#: Engine rulesets alive, by sha256 of their definition: reused, never created twice at once.
_engines: weakref.WeakValueDictionary[str, _EngineRuleset] = weakref.WeakValueDictionary()
_engines_lock = threading.Lock()


def _engine_ruleset(definition_json: str, label: str) -> _EngineRuleset:
    key = hashlib.sha256(definition_json.encode("utf-8")).hexdigest()
    with _engines_lock:
        found = _engines.get(key)
        if found is None:
            found = _EngineRuleset(definition_json, label)
            _engines[key] = found
        return found


#: Compiled rule sets kept for reuse, most recently used last. Beyond this many, the least
#: recently used is dropped (and its engine ruleset deleted once nothing else holds it), so a
#: process that validates draft after draft stays flat in memory.
MAX_COMPILED = 64
_compiled: OrderedDict[str, CompiledRuleSet] = OrderedDict()
_compiled_lock = threading.Lock()


def compile_ruleset(loaded: LoadedRuleSet, rules: tuple[CompiledRule, ...] | None = None) -> CompiledRuleSet:
    """Compile once per rule-set content (sha256); later calls return the same compiled ruleset.

    At most MAX_COMPILED are cached; rule sets with the same conditions share one engine ruleset.
    """
    with _compiled_lock:
        compiled = _compiled.get(loaded.sha256)
        if compiled is not None:
            _compiled.move_to_end(loaded.sha256)
            return compiled
    compiled = CompiledRuleSet(loaded, rules)
    with _compiled_lock:
        compiled = _compiled.setdefault(loaded.sha256, compiled)
        _compiled.move_to_end(loaded.sha256)
        while len(_compiled) > MAX_COMPILED:
            _compiled.popitem(last=False)
        return compiled
