"""Both engines side by side, per rule set: a full decision on the compiled rule set and on
durable-rules; the peer (durable-rules through its own Python API, on eligibility and exclusions
alone, as issue 17's target is set); the bare C-module floors (assert, drain, delete) for the
whole rule set and for eligibility and exclusions alone; and, where the ``zen-engine`` package is
installed, Zen with trace on the same eligibility-and-exclusions question. Prints Markdown tables.

    .venv/bin/python benchmarks/engines.py [N]
"""

from __future__ import annotations

import sys

from sps_rules.engine.loader import ruleset_ids
from sps_rules.run.bench import machine, run


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    print(f"n = {n} generated citizens per rule set; {machine()}")
    print("| rule set | rules | compiled µs | p50 µs | p99 µs | decisions/s | durable-rules µs | peer µs | compiled / peer "
          "| floor µs | compiled / floor | eligibility floor µs | compiled / eligibility floor | JSON µs | line KB "
          "| load ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in ruleset_ids():
        if name == "national":
            continue
        r = run(name, n)
        print(f"| {r.municipality} | {r.rules} | {r.mean_us:.1f} | {r.p50_us:.1f} | {r.p99_us:.1f} | "
              f"{r.decisions_per_second:,.0f} | {r.durable_mean_us:.1f} | {r.peer_us:.1f} | {r.peer_ratio:.2f} | "
              f"{r.floor_mean_us:.1f} | "
              f"{r.engine_floor_ratio:.2f} | {r.eligibility_floor_us:.1f} | {r.eligibility_floor_ratio:.2f} | "
              f"{r.json_us:.1f} | {r.line_bytes / 1024:.1f} | {r.load_ms:.1f} |")
    try:
        from zen_compare import zen_figures  # type: ignore[import-not-found]
    except ImportError:
        return
    zen_figures(n)


if __name__ == "__main__":
    main()
