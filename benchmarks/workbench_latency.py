"""How long each workbench request takes for Roskilde's rule file (in process, no network); prints medians.

    .venv/bin/python benchmarks/workbench_latency.py [ROUNDS]

The editor asks /v1/validate 0.4 s after a pause in typing, so "validate" plus 0.4 s is how long a
marker takes to appear. Run it on a quiet machine: the figures scale with the load.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from fastapi.testclient import TestClient

from sps_rules.service import Settings, create_app
from sps_rules.workbench import STATIC

ROOT = Path(__file__).resolve().parents[1]


def main(rounds: int) -> None:
    client = TestClient(create_app(Settings(rules_dir=ROOT / "rules")))
    text = (ROOT / "rules" / "roskilde" / "roskilde-2020-01.yaml").read_text(encoding="utf-8")
    draft = {"ruleset": "roskilde", "name": "roskilde-kladde.yaml", "text": text}
    facts = {"assessment_date": "2026-03-02", "birth_date": "1990-01-01", "resident_municipality": "roskilde"}
    asks = [
        ("validate (markers)", "/v1/validate", {"ruleset": "roskilde", "filename": "roskilde-kladde.yaml", "text": text}),
        ("sources", "/v1/workbench/sources", draft),
        ("try a citizen", "/v1/workbench/try", {**draft, "facts": facts}),
        ("test cases", "/v1/workbench/test", draft),
        ("effect (500 citizens)", "/v1/workbench/effect", {**draft, "text": text.replace("at_least: 18", "at_least: 21")}),
    ]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {rounds} rounds each")
    for name, path, body in asks:
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            response = client.post(path, json=body)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text[:200]
        print(f"{name:24} median {statistics.median(times) * 1000:7.0f} ms   min {min(times) * 1000:7.0f} ms")
    for file in sorted(STATIC.iterdir()):
        print(f"bundle {file.name:18} {file.stat().st_size / 1024:7.1f} KiB")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
