"""``sps-rules bench``: speed and memory of both engines, measured against the engine floor.

The floor is what durable-rules' C module alone takes for the same ruleset and the same
citizens: assert the fact, drain the actions, delete the state, nothing else (the fact's JSON
is prepared beforehand). A full decision is measured from a JSON-ready dict: validated facts,
the engine's rule states, trace, citations and deadlines, on the compiled engine (the default)
and on durable-rules; ``to_json`` and the size of a decision line are measured apart.
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

from ..engine.compiler import CompiledRuleSet, drain, engine_fact
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
    floor_mean_us: float  # the bare durable-rules engine: assert, drain, delete
    engine_floor_ratio: float  # mean_us / floor_mean_us (target <= 0.25)
    json_us: float  # Decision.to_json(indent=None)
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

    def full(facts: dict[str, Any]) -> None:
        ruleset.evaluate(facts, check_dates=False, engine=engine_name)

    def durable(facts: dict[str, Any]) -> None:
        ruleset.evaluate(facts, check_dates=False, engine="durable-rules")

    for facts in people[:500]:  # warm up every path
        full(facts)
        durable(facts)
    for i in range(500):
        floor(i)

    floor_mean, _ = _timed(floor, list(range(n)), rounds)
    mean, samples = _timed(full, people, rounds)
    durable_mean, _ = _timed(durable, people[: max(n // 4, 100)], rounds)
    decisions = [ruleset.evaluate(facts, check_dates=False) for facts in people[:2000]]
    json_mean, _ = _timed(lambda d: d.to_json(indent=None), decisions, 1)
    lines = [len(f'{{"line":{i},"decision":{d.to_json(indent=None)}}}\n'.encode()) for i, d in enumerate(decisions, 1)]
    samples.sort()
    return BenchResult(
        municipality=ruleset.id, version=ruleset.version, engine=engine_name, rules=len(ruleset.rules), n=n,
        decisions_per_second=1 / mean, p50_us=samples[len(samples) // 2] / 1000,
        p99_us=samples[int(len(samples) * 0.99)] / 1000, mean_us=mean * 1e6, durable_mean_us=durable_mean * 1e6,
        floor_mean_us=floor_mean * 1e6, engine_floor_ratio=mean / floor_mean, json_us=json_mean * 1e6,
        line_bytes=statistics.fmean(lines), load_ms=load,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        machine=machine(), python=platform.python_version(),
    )
