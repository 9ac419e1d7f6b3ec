"""Memory of a process that validates many drafts (the workbench, the service): does it stay flat?

Each draft is the Roskilde rule set with one threshold changed, so every draft compiles to a
different durable-rules ruleset. Prints the resident memory after every block of drafts, and
the growth per draft. Run: python benchmarks/draft_memory.py [DRAFTS]
"""

from __future__ import annotations

import gc
import resource
import sys
import time
from pathlib import Path

from sps_rules.engine.evaluator import RuleSet
from sps_rules.engine.loader import load_text

ROOT = Path(__file__).resolve().parents[1]
ROSKILDE = ROOT / "rules" / "roskilde" / "roskilde-2020-01.yaml"


def rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def main(drafts: int) -> None:
    text = ROSKILDE.read_text(encoding="utf-8")
    assert "at_least: 18" in text
    facts = {"assessment_date": "2026-03-02", "birth_date": "1990-05-01"}
    RuleSet(load_text(text, ROSKILDE)).evaluate(facts)  # warm up imports and caches
    gc.collect()
    start = rss_mb()
    started = time.perf_counter()
    print(f"drafts  rss_mb  growth_mb  (start {start:.1f} MB)")
    block = max(drafts // 10, 1)
    half = start
    for i in range(1, drafts + 1):
        draft = text.replace("at_least: 18", f"at_least: {18 + i % 50_000}", 1)
        draft = draft.replace('version: "2020-01"', f'version: "draft-{i}"', 1)
        RuleSet(load_text(draft, ROSKILDE)).evaluate(facts)
        if i % block == 0:
            gc.collect()
            now = rss_mb()
            print(f"{i:6d}  {now:6.1f}  {now - start:9.1f}")
        if i == drafts // 2:
            gc.collect()
            half = rss_mb()
    gc.collect()
    end = rss_mb()
    print(f"growth per draft over the second half: {(end - half) / (drafts - drafts // 2) * 1024:.1f} kB; "
          f"in all {end - start:.1f} MB over {drafts} drafts "
          f"({(time.perf_counter() - started) / drafts * 1000:.1f} ms per draft)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
