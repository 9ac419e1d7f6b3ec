"""How long each workbench request takes for Roskilde's rule file (in process, no network); prints medians.

    .venv/bin/python benchmarks/workbench_latency.py [ROUNDS]

The editor asks /v1/validate for the quick pass (no run over generated citizens) 0.25 s after a
pause in typing, and for the full pass 0.3 s after the quick answer if the text is unchanged; so a
marker appears after about 0.25 s + the quick pass, and the full pass's own findings (unreachable
rules, contradictions, the engines' cross-check) after about 0.25 s + quick + 0.3 s + full.
Run it on a quiet machine: the figures scale with the load.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from sps_rules.service import Settings, create_app
from sps_rules.workbench import STATIC

QUICK_DELAY = 0.25  # frontend/src/main.js: QUICK_DELAY
FULL_AFTER = 0.3  # frontend/src/main.js: FULL_AFTER
ROOT = Path(__file__).resolve().parents[1]


def main(rounds: int) -> None:
    client = TestClient(create_app(Settings(rules_dir=ROOT / "rules")))
    text = (ROOT / "rules" / "roskilde" / "roskilde-2020-01.yaml").read_text(encoding="utf-8")
    draft = {"ruleset": "roskilde", "name": "roskilde-kladde.yaml", "text": text}
    facts = {"assessment_date": "2026-03-02", "birth_date": "1990-01-01", "resident_municipality": "roskilde"}
    check = {"ruleset": "roskilde", "filename": "roskilde-kladde.yaml", "text": text}
    asks = [
        ("validate quick (markers)", "/v1/validate", {**check, "checks": "quick"}),
        ("validate full", "/v1/validate", check),
        ("sources", "/v1/workbench/sources", draft),
        ("try a citizen", "/v1/workbench/try", {**draft, "facts": facts}),
        ("test cases", "/v1/workbench/test", draft),
        ("effect (500 citizens)", "/v1/workbench/effect", {**draft, "text": text.replace("at_least: 18", "at_least: 21")}),
    ]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; {rounds} rounds each")
    medians: dict[str, float] = {}
    for name, path, body in asks:
        times = []
        for _ in range(rounds):
            start = time.perf_counter()
            response = client.post(path, json=body)
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.text[:200]
        medians[name] = statistics.median(times)
        print(f"{name:24} median {medians[name] * 1000:7.0f} ms   min {min(times) * 1000:7.0f} ms")
    quick, full = medians["validate quick (markers)"], medians["validate full"]
    print(f"marker appears after ≈ {QUICK_DELAY * 1000:.0f} + {quick * 1000:.0f} = {(QUICK_DELAY + quick) * 1000:.0f} ms "
          f"(the full pass's own findings after ≈ {(QUICK_DELAY + quick + FULL_AFTER + full) * 1000:.0f} ms; "
          f"one pass alone would take {(QUICK_DELAY + full) * 1000:.0f} ms)")
    print(f"validate quick while a full pass runs (typing on during it): median "
          f"{statistics.median(quick_during_full(client, check, rounds)) * 1000:.0f} ms")
    for file in sorted(STATIC.iterdir()):
        print(f"bundle {file.name:18} {file.stat().st_size / 1024:7.1f} KiB")


def quick_during_full(client: TestClient, check: dict[str, str], rounds: int) -> list[float]:
    """The quick pass asked 0.1 s into a full pass of the previous text, which the server still finishes."""
    times = []
    for _ in range(rounds):
        full = threading.Thread(target=client.post, args=("/v1/validate",), kwargs={"json": check})
        full.start()
        time.sleep(0.1)
        start = time.perf_counter()
        assert client.post("/v1/validate", json={**check, "checks": "quick"}).status_code == 200
        times.append(time.perf_counter() - start)
        full.join()
    return times


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
