"""Soak: many decisions in one process; prints RSS as it goes. Not part of the timed test suite.

    .venv/bin/python benchmarks/soak.py [N] [MUNICIPALITY]
"""

from __future__ import annotations

import gc
import sys
import time

import sps_rules
from sps_rules.model.population import citizens


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
    municipality = sys.argv[2] if len(sys.argv) > 2 else "roskilde"
    ruleset = sps_rules.load_ruleset(municipality)
    people = list(citizens(5_000, seed=1, assessment_date=ruleset.valid_from))
    for facts in people:
        ruleset.evaluate(facts, check_dates=False)
    gc.collect()
    start_rss, started = rss_mb(), time.perf_counter()
    print(f"{municipality}: after warm-up RSS {start_rss:.1f} MB")
    step = max(n // 10, 1)
    for i in range(1, n + 1):
        ruleset.evaluate(people[i % len(people)], check_dates=False)
        if i % step == 0:
            print(f"{i:>9,} decisions  RSS {rss_mb():7.1f} MB  {i / (time.perf_counter() - started):8.0f}/s")
    gc.collect()
    print(f"RSS growth over {n:,} decisions: {rss_mb() - start_rss:+.1f} MB")


if __name__ == "__main__":
    main()
