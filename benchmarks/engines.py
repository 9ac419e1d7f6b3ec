"""Both engines side by side, per rule set: the compiled rule set, durable-rules, the bare
durable-rules floor (assert, drain, delete) and, where the ``zen-engine`` package is installed,
Zen with trace on the same eligibility-and-exclusions question. Prints one table.

    .venv/bin/python benchmarks/engines.py [N]
"""

from __future__ import annotations

import sys

from sps_rules.engine.loader import ruleset_ids
from sps_rules.run.bench import machine, run


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    print(f"n = {n} generated citizens per rule set; {machine()}")
    print("| rule set | rules | compiled µs | p50 µs | p99 µs | decisions/s | durable-rules µs | floor µs "
          "| compiled / floor | to_json µs | line KB | load ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in ruleset_ids():
        if name == "national":
            continue
        r = run(name, n)
        print(f"| {r.municipality} | {r.rules} | {r.mean_us:.1f} | {r.p50_us:.1f} | {r.p99_us:.1f} | "
              f"{r.decisions_per_second:,.0f} | {r.durable_mean_us:.1f} | {r.floor_mean_us:.1f} | "
              f"{r.engine_floor_ratio:.2f} | {r.json_us:.1f} | {r.line_bytes / 1024:.1f} | {r.load_ms:.1f} |")
    try:
        from zen_compare import zen_figures  # type: ignore[import-not-found]
    except ImportError:
        return
    zen_figures(n)


if __name__ == "__main__":
    main()
