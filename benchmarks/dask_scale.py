"""Decisions per second against worker count: in process, local processes, and a Dask LocalCluster.

Also measures Dask's default worker malloc trimming (MALLOC_TRIM_THRESHOLD_=65536) against the
threshold sps-rules sets. Prints one line per configuration; a Dask run's time includes starting its
LocalCluster (1.4 s for 10 citizens here). Bounded: a few thousand citizens.

    .venv/bin/python benchmarks/dask_scale.py [--n 6000] [--municipality roskilde]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
from unittest import mock

import sps_rules
from sps_rules.model.population import citizens
from sps_rules.run import cluster
from sps_rules.run.batch import run


def lines(n: int) -> list[str]:
    return [json.dumps(p) for p in citizens(n, seed=85)]


def timed(label: str, n: int, fn: object) -> None:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    took = time.perf_counter() - start
    print(f"{label:<44} {n / took:>9,.0f} decisions/s  ({took:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=6000)
    parser.add_argument("--municipality", default="roskilde")
    args = parser.parse_args()
    population = lines(args.n)
    cores = os.cpu_count() or 1
    print(f"{args.n} citizens, {args.municipality}, {cores} cores")
    ruleset = sps_rules.load_ruleset(args.municipality)
    timed("in process (evaluate + JSON bytes)", args.n,
          lambda: [ruleset.evaluate(x).to_json_bytes() for x in population])
    for workers in sorted({1, cores}):
        timed(f"batch, {workers} local process(es)", args.n,
              lambda w=workers: run(args.municipality, population, io.BytesIO(), workers=w))
    for workers in sorted({1, cores}):
        timed(f"batch --dask local, {workers} worker(s)", args.n,
              lambda w=workers: run(args.municipality, population, io.BytesIO(), workers=w, dask="local"))
    with mock.patch.object(cluster, "MALLOC_TRIM_THRESHOLD", "65536"):
        timed(f"batch --dask local, {cores} worker(s), Dask's trim", args.n,
              lambda: run(args.municipality, population, io.BytesIO(), workers=cores, dask="local"))


if __name__ == "__main__":
    main()
