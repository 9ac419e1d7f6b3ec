"""Start-up and scale: ``import sps_rules``, loading each shipped version, and generated rule
sets of 500 to 5,000 rules (load time and the cost of one decision per rule, compiled engine).

    .venv/bin/python benchmarks/startup.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sps_rules.engine.loader import load_file, ruleset_ids, versions
from sps_rules.engine.registry import ruleset_for
from sps_rules.model.population import citizens
from sps_rules.run.bench import load_ms
from sps_rules.run.synthetic import write_synthetic


def import_ms(runs: int = 7) -> float:
    """Median wall time of ``import sps_rules`` in a fresh interpreter, minus the bare interpreter's start."""
    def once(code: str) -> float:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        return time.perf_counter() - started

    bare = statistics.median(once("pass") for _ in range(runs))
    full = statistics.median(once("import sps_rules") for _ in range(runs))
    return (full - bare) * 1000


def main() -> None:
    print(f"import sps_rules: {import_ms():.1f} ms (fresh interpreter, median of 7, interpreter start subtracted)")
    for name in ruleset_ids():
        for loaded in versions(name):
            ruleset = ruleset_for(loaded)
            cpu = time.process_time()
            wall = statistics.median(load_ms(ruleset) for _ in range(5))
            cpu_ms = (time.process_time() - cpu) * 1000 / 5
            print(f"load {name} {loaded.version} ({len(ruleset.rules)} rules): {wall:.1f} ms wall (median of 5), "
                  f"{cpu_ms:.1f} ms CPU (mean)")
    print("| generated rules | load s | load ms per rule | compiled decision µs | µs per rule |")
    print("|---|---|---|---|---|")
    for n in (500, 1000, 2000, 5000):
        folder = Path(tempfile.mkdtemp(prefix="sps-synth-"))
        path = write_synthetic(folder, n)
        started = time.perf_counter()
        ruleset = ruleset_for(load_file(path))
        load_s = time.perf_counter() - started
        people = list(citizens(300, seed=1, assessment_date=ruleset.valid_from))
        started = time.perf_counter()
        for facts in people:
            ruleset.evaluate(facts, check_dates=False)
        per = (time.perf_counter() - started) / len(people) * 1e6
        total = len(ruleset.rules)
        print(f"| {total} | {load_s:.2f} | {load_s * 1000 / total:.2f} | {per:.0f} | {per / total:.2f} |")


if __name__ == "__main__":
    main()
