"""Commands for many citizens: batch, bench."""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any

import click

from ..model.errors import SpsRulesError
from .base import fail as _fail
from .base import main


@main.command()
@click.option("--municipality", "-m", default="roskilde", show_default=True)
@click.option("--n", "n", default=20_000, show_default=True, help="Number of generated citizens.")
@click.option("--seed", default=85, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def bench(municipality: str, n: int, seed: int, fmt: str) -> None:
    """Measure decisions/s, latency, load time, memory and the ratio to the bare durable-rules engine."""
    from dataclasses import asdict

    from ..run.bench import run as run_bench

    if n < 100:
        _fail("--n must be at least 100")
    try:
        result = run_bench(municipality, n, seed=seed)
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    click.echo(json.dumps(asdict(result), indent=2) if fmt == "json" else result.text())


@main.command()
@click.argument("municipality")
@click.argument("input_file", metavar="INPUT.jsonl|-")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, writable=True),
              help="Where to write the decisions (JSON Lines, one {\"line\", \"decision\"} per input line).")
@click.option("--workers", type=int, default=None, help="Worker processes (default: all cores).")
@click.option("--on-error", type=click.Choice(["skip", "fail"]), default="skip", show_default=True,
              help="skip: report a bad line and go on; fail: stop at the first bad line (exit 2).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@click.option("--dask", "dask", metavar="local|tcp://HOST:PORT", default=None,
              help="Run on Dask: 'local' starts a cluster sized to this machine; an address uses a running one.")
def batch(municipality: str, input_file: str, output: str, workers: int | None, on_error: str,
          progress: bool | None, dask: str | None) -> None:
    """Evaluate many citizens (JSON Lines or Parquet) on all cores or on Dask, streaming at constant memory.

    A .parquet input is a table of facts, one row per citizen; a .parquet output holds the decisions
    flattened to columns beside the whole decision as JSON.
    """
    from ..run.batch import run as run_batch
    from ..run.formats import ParquetSink, is_parquet, parquet_lines

    show = sys.stderr.isatty() if progress is None else progress
    total = None
    if show and input_file != "-" and not is_parquet(input_file):
        with open(input_file, "rb") as fh:
            total = sum(1 for _ in fh)
    try:
        source: Any = (sys.stdin if input_file == "-" else contextlib.closing(parquet_lines(input_file))
                       if is_parquet(input_file) else open(input_file, encoding="utf-8", errors="replace"))
    except OSError as exc:
        _fail(f"{input_file}: cannot read: {exc.strerror}")
    bar = click.progressbar(length=total or 0, label="evaluating", file=sys.stderr) if show else None
    done = [0]

    def progress_to(n: int) -> None:
        if bar is not None:
            bar.update(n - done[0])
            done[0] = n

    def report(bad: Any) -> None:
        click.echo(f"sps-rules: {input_file}: {bad}", err=True)

    try:
        with source as lines, (ParquetSink(output) if is_parquet(output) else open(output, "w", encoding="utf-8")) as sink:
            summary = run_batch(municipality, lines, sink, workers=workers, fail_fast=on_error == "fail",
                                on_bad=report, on_progress=progress_to, dask=dask)
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    except OSError as exc:
        _fail(f"{output}: cannot write: {exc.strerror}")
    finally:
        if bar is not None:
            bar.render_finish()
    if summary.stopped_at is not None:
        _fail(f"{input_file}: stopped at {summary.stopped_at}")
    click.echo(f"{summary.written} decisions written to {output}; {len(summary.bad)} bad line(s) skipped", err=True)


@main.command()
@click.argument("municipality")
@click.argument("population", metavar="POPULATION.jsonl|.parquet")
@click.option("--from", "old", required=True, help="The version in force (e.g. 2020-01).")
@click.option("--to", "new", required=True, help="The version to compare with (e.g. a draft's version).")
@click.option("--dask", "dask", metavar="local|tcp://HOST:PORT", default=None, help="Run on Dask (see batch).")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def simulate(municipality: str, population: str, old: str, new: str, dask: str | None, workers: int | None,
             fmt: str) -> None:
    """Run a whole POPULATION through two versions and report the outcome changes.

    Counts citizens by change (eligibility transition, and which parts of the decision changed) and
    names a few of them per change by line number.
    """
    from ..run.formats import is_parquet, parquet_lines
    from ..run.simulate import simulate as run_simulate

    try:
        if is_parquet(population):
            result = run_simulate(municipality, old, new, parquet_lines(population), dask=dask, workers=workers)
        else:
            with open(population, encoding="utf-8", errors="replace") as fh:
                result = run_simulate(municipality, old, new, fh, dask=dask, workers=workers)
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    except OSError as exc:
        _fail(f"{population}: cannot read: {exc.strerror}")
    click.echo(result.to_json() if fmt == "json" else result.text(), nl=fmt == "json")
