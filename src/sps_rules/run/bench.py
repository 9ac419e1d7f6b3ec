"""``sps-rules bench``: speed and memory of both engines, measured against durable-rules.

A full decision is measured from a JSON-ready dict: validated facts, the engine's rule states,
trace, citations and deadlines, on the compiled engine (the default) and on durable-rules; the
JSON and the size of a decision line are measured apart. It is set beside three measures of
durable-rules alone on the same citizens:

- the peer: durable-rules used as its documentation shows (``durable.engine.Host``, a Python
  action per rule, the fact posted as a dict) on eligibility and exclusions alone, the question
  issue 17's target is set on;
- the floor: its C module alone on the whole rule set (assert the prepared JSON, drain the
  actions, delete the state);
- the eligibility floor: the same C calls on eligibility and exclusions alone.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import time
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

import durable_rules_engine as engine

from ..engine.compiler import CompiledRuleSet, _engine_ruleset, drain, engine_fact
from ..engine.evaluator import Engine, RuleSet, coerce_facts
from ..engine.loader import _load_uncached, rules_root, versions
from ..engine.pycompile import compile_python
from ..model.population import citizens


@dataclass
class BenchResult:
    municipality: str
    version: str
    engine: str  # the engine of mean_us, p50_us, p99_us and decisions_per_second
    rules: int
    n: int
    decisions_per_second: float
    p50_us: float
    p99_us: float
    mean_us: float  # a full decision on the chosen engine (the compiled one by default)
    durable_mean_us: float  # the same full decision on durable-rules
    floor_mean_us: float  # the bare durable-rules engine on the whole rule set: assert, drain, delete
    engine_floor_ratio: float  # mean_us / floor_mean_us
    eligibility_floor_us: float  # the bare C calls on the criteria and the excluding request rules only
    eligibility_floor_ratio: float  # mean_us / eligibility_floor_us
    peer_us: float  # durable-rules through its own Python API (Host), eligibility and exclusions only
    peer_ratio: float  # mean_us / peer_us (issue 17's target: <= 0.25)
    json_us: float  # Decision.to_json_bytes(): the compact JSON as batch and the service write it
    line_bytes: float  # mean size of a batch output line
    load_ms: float  # read, check and compile one version, as a new process would
    peak_rss_mb: float
    machine: str
    python: str

    def text(self) -> str:
        rows = asdict(self)
        width = max(len(k) for k in rows)
        return "\n".join(f"{k.ljust(width)}  {v:.2f}" if isinstance(v, float) else f"{k.ljust(width)}  {v}"
                         for k, v in rows.items())


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def _floor_once(compiled: CompiledRuleSet, payload: str, sid: str) -> None:
    """The bare engine: assert, drain every action (the same way the evaluator does), delete."""
    handle = compiled._handle
    deque(drain(handle, engine.assert_fact(handle, payload)[1]), maxlen=0)
    engine.delete_state(handle, sid)


def _eligibility_rules(ruleset: RuleSet) -> dict[str, Any]:
    """The durable-rules definitions (by probe name) of the criteria and the excluding request
    rules: the question a peer engine answers when it decides eligibility and exclusions alone."""
    compiled = ruleset.compiled
    compiled._handle  # noqa: B018 - builds the definition
    wanted = {rule.index for rule in ruleset.rules
              if rule.loaded.rule.criterion is not None
              or (rule.loaded.rule.request is not None and rule.loaded.rule.request.status == "excluded")}
    definition = json.loads(compiled.definition_json)
    return {name: definition[name] for probe, name in enumerate(compiled._probe_names)
            if probe // 2 in wanted and name in definition}


def eligibility_only(ruleset: RuleSet) -> Any:
    """A durable-rules ruleset holding only those rules (kept alive by the caller: it holds the
    engine's ruleset)."""
    return _engine_ruleset(json.dumps(_eligibility_rules(ruleset), sort_keys=True), f"floor_{ruleset.id}")


def peer(ruleset: RuleSet) -> tuple[Any, str]:
    """durable-rules used as its documentation shows, on eligibility and exclusions alone: a
    ``durable.engine.Host`` with the same rules, each with a Python action that notes its result,
    and a fact posted as a dict. This is what a peer script built on durable-rules pays."""
    from durable.engine import Host  # type: ignore[import-untyped]

    results: list[str] = []

    def note(name: str) -> Any:
        return lambda c: results.append(name)

    rules = {name: {**rule, "run": note(name)} for name, rule in _eligibility_rules(ruleset).items()}
    label = f"peer_{ruleset.id}_{len(_peers)}"
    host = Host({label: rules})
    # Host's timer threads dispatch its rulesets' queues every 0.2 s, concurrently with the calls
    # measured; with the list they walk emptied they only re-arm (the directory still finds it).
    host._ruleset_list.clear()
    _peers.append(host)
    return host, label


_peers: list[Any] = []  # Hosts run a timer thread; keep them for the process's life


def load_ms(ruleset: RuleSet) -> float:
    """Milliseconds to read, check and compile this version afresh (no cache), as a new process would."""
    from ..engine import pycompile

    loaded = ruleset.loaded
    started = time.perf_counter()
    fresh = _load_uncached(loaded.path, rules_root().resolve(), depth=0, display=str(loaded.path))
    with pycompile._lock:
        pycompile._compiled.pop(fresh.sha256, None)
    RuleSet(fresh)
    elapsed = (time.perf_counter() - started) * 1000
    compile_python(ruleset.loaded, ruleset.rules)
    return elapsed


def _timed(fn: Any, items: list[Any], rounds: int) -> tuple[float, list[int]]:
    """Median over rounds of the mean seconds per item, and the last round's per-item nanoseconds."""
    means, samples = [], []
    clock = time.perf_counter_ns
    for _ in range(rounds):
        durations = []
        t0 = time.perf_counter()
        for item in items:
            s = clock()
            fn(item)
            durations.append(clock() - s)
        means.append((time.perf_counter() - t0) / len(items))
        samples = durations
    return statistics.median(means), samples


def run(municipality: str, n: int = 20_000, *, seed: int = 85, rounds: int = 3,
        engine_name: Engine = "compiled") -> BenchResult:
    from ..engine.registry import ruleset_for

    loaded = versions(municipality)[-1]
    ruleset: RuleSet = ruleset_for(loaded)
    load = load_ms(ruleset)
    people = list(citizens(n, seed=seed, assessment_date=loaded.header.valid_from))
    payloads = []
    for i, facts in enumerate(people):
        fact = engine_fact(coerce_facts(facts))
        payloads.append(json.dumps({**fact, "sid": f"floor{i}", "id": "citizen"}, separators=(",", ":")))
    compiled = ruleset.compiled

    def floor(i: int) -> None:
        _floor_once(compiled, payloads[i], f"floor{i}")

    narrow_ruleset = eligibility_only(ruleset)
    narrow = narrow_ruleset.handle

    def eligibility_floor(i: int) -> None:
        deque(drain(narrow, engine.assert_fact(narrow, payloads[i])[1]), maxlen=0)
        engine.delete_state(narrow, f"floor{i}")

    def full(facts: dict[str, Any]) -> None:
        ruleset.evaluate(facts, check_dates=False, engine=engine_name)

    def durable(facts: dict[str, Any]) -> None:
        ruleset.evaluate(facts, check_dates=False, engine="durable-rules")

    host, label = peer(ruleset)
    peer_facts = [json.loads(p) for p in payloads]

    from durable.engine import MessageNotHandledException

    def peer_run(i: int) -> None:
        try:
            host.assert_fact(label, peer_facts[i])
        except MessageNotHandledException:  # no rule matched: every criterion unknown, nothing excluded
            pass
        host.delete_state(label, f"floor{i}")

    for facts in people[:500]:  # warm up every path
        full(facts)
        durable(facts)
    for i in range(min(500, n)):
        floor(i)
        eligibility_floor(i)
        peer_run(i)

    floor_mean, _ = _timed(floor, list(range(n)), rounds)
    narrow_mean, _ = _timed(eligibility_floor, list(range(n)), rounds)
    peer_mean, _ = _timed(peer_run, list(range(n)), rounds)
    mean, samples = _timed(full, people, rounds)
    durable_mean, _ = _timed(durable, people[: max(n // 4, 100)], rounds)
    decisions = [ruleset.evaluate(facts, check_dates=False) for facts in people[:2000]]
    json_mean, _ = _timed(lambda d: d.to_json_bytes(), decisions, 1)
    lines = [len(b'{"line":%d,"decision":%b}\n' % (i, d.to_json_bytes())) for i, d in enumerate(decisions, 1)]
    samples.sort()
    return BenchResult(
        municipality=ruleset.id, version=ruleset.version, engine=engine_name, rules=len(ruleset.rules), n=n,
        decisions_per_second=1 / mean, p50_us=samples[len(samples) // 2] / 1000,
        p99_us=samples[int(len(samples) * 0.99)] / 1000, mean_us=mean * 1e6, durable_mean_us=durable_mean * 1e6,
        floor_mean_us=floor_mean * 1e6, engine_floor_ratio=mean / floor_mean,
        eligibility_floor_us=narrow_mean * 1e6, eligibility_floor_ratio=mean / narrow_mean,
        peer_us=peer_mean * 1e6, peer_ratio=mean / peer_mean, json_us=json_mean * 1e6,
        line_bytes=statistics.fmean(lines), load_ms=load,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        machine=machine(), python=platform.python_version(),
    )
