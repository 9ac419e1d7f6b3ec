"""``sps-rules bench``: speed and memory, measured against the engine floor.

The floor is what durable-rules' C module alone takes for the same compiled ruleset and the
same citizens: assert the fact, drain the actions, delete the state, nothing else (the fact's
JSON is prepared beforehand). Our time is a full decision from a JSON-ready dict: validated
facts, engine run, trace, citations and deadlines.
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
from ..engine.evaluator import RuleSet, coerce_facts
from ..engine.loader import _load_uncached, rules_root, select
from ..model.population import citizens


@dataclass
class BenchResult:
    municipality: str
    version: str
    n: int
    decisions_per_second: float
    p50_us: float
    p99_us: float
    mean_us: float
    floor_mean_us: float
    engine_floor_ratio: float
    load_ms: float
    peak_rss_mb: float
    machine: str
    python: str

    def text(self) -> str:
        rows = asdict(self)
        width = max(len(k) for k in rows)
        return "\n".join(f"{k.ljust(width)}  {v:.1f}" if isinstance(v, float) else f"{k.ljust(width)}  {v}"
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


def run(municipality: str, n: int = 20_000, *, seed: int = 85, rounds: int = 3) -> BenchResult:
    from ..engine.registry import ruleset_for

    started = time.perf_counter()
    loaded = select(municipality, _today_for(municipality))
    fresh = _load_uncached(loaded.path, rules_root().resolve(), depth=0, display=str(loaded.path))
    CompiledRuleSet(fresh)  # compile a fresh durable-rules ruleset, as a new process would
    load_ms = (time.perf_counter() - started) * 1000

    ruleset: RuleSet = ruleset_for(loaded)
    people = list(citizens(n, seed=seed, assessment_date=loaded.header.valid_from))
    payloads = []
    for i, facts in enumerate(people):
        fact = engine_fact(coerce_facts(facts))
        payloads.append(json.dumps({**fact, "sid": f"floor{i}", "id": "citizen"}, separators=(",", ":")))

    for facts in people[:500]:  # warm up both paths
        ruleset.evaluate(facts, check_dates=False)
    for i, payload in enumerate(payloads[:500]):
        _floor_once(ruleset.compiled, payload, f"floor{i}")

    means, floors, samples = [], [], []
    for _ in range(rounds):
        t0 = time.perf_counter()
        for i, payload in enumerate(payloads):
            _floor_once(ruleset.compiled, payload, f"floor{i}")
        floors.append((time.perf_counter() - t0) / n)
        durations = []
        clock = time.perf_counter_ns
        t0 = time.perf_counter()
        for facts in people:
            s = clock()
            ruleset.evaluate(facts, check_dates=False)
            durations.append(clock() - s)
        means.append((time.perf_counter() - t0) / n)
        samples = durations
    samples.sort()
    mean, floor = statistics.median(means), statistics.median(floors)
    return BenchResult(
        municipality=ruleset.id, version=ruleset.version, n=n,
        decisions_per_second=1 / mean, p50_us=samples[len(samples) // 2] / 1000,
        p99_us=samples[int(len(samples) * 0.99)] / 1000, mean_us=mean * 1e6, floor_mean_us=floor * 1e6,
        engine_floor_ratio=mean / floor, load_ms=load_ms,
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        machine=machine(), python=platform.python_version(),
    )


def _today_for(municipality: str) -> Any:
    from ..engine.loader import versions

    return versions(municipality)[-1].header.valid_from
