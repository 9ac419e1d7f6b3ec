"""Batch with one worker process against evaluating in-process, both writing JSON Lines (as bytes,
as a file opened for writing gets them).

    .venv/bin/python benchmarks/batch_rate.py [N] [MUNICIPALITY]
"""

from __future__ import annotations

import io
import json
import sys
import time

import sps_rules
from sps_rules.model.population import citizens
from sps_rules.run.batch import run


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    municipality = sys.argv[2] if len(sys.argv) > 2 else "roskilde"
    ruleset = sps_rules.load_ruleset(municipality)
    lines = [json.dumps(facts) for facts in citizens(n, seed=85, assessment_date=ruleset.valid_from)]

    started = time.perf_counter()
    sink = io.BytesIO()
    for number, text in enumerate(lines, 1):
        decision = sps_rules.evaluate(municipality, json.loads(text))
        sink.write(b'{"line":%d,"decision":%b}\n' % (number, decision.to_json_bytes()))
    in_process = n / (time.perf_counter() - started)
    size = len(sink.getvalue()) / n

    started = time.perf_counter()
    out = io.BytesIO()
    run(municipality, iter(lines), out, workers=1)
    one_worker = n / (time.perf_counter() - started)
    assert out.getvalue() == sink.getvalue(), "batch output differs from the in-process output"

    print(f"{municipality}, n = {n}: in-process {in_process:,.0f} decisions/s; batch with one worker "
          f"{one_worker:,.0f} decisions/s ({one_worker / in_process:.2f} of in-process); "
          f"decision line {size / 1024:.1f} KB on average")


if __name__ == "__main__":
    main()
