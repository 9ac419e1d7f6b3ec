"""Commands for many citizens: batch, bench."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
from typing import Any

import click

from ..model.errors import SpsRulesError
from ..model.io import atomic_output
from .base import engine_option, main
from .base import fail as _fail
from .base import output_or_fail as _output_or_fail

#: The most worker processes ``batch`` starts.
MAX_WORKERS = 64


@main.command()
@click.option("--municipality", "-m", default="roskilde", show_default=True, help="A rule set, or 'all'.")
@click.option("--n", "n", type=click.IntRange(min=100), default=20_000, show_default=True,
              help="Number of generated citizens (at least 100).")
@click.option("--seed", default=85, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@engine_option()
def bench(municipality: str, n: int, seed: int, fmt: str, engine: str) -> None:
    """Measure decisions/s, latency, load time, memory, both engines and the bare durable-rules floor."""
    from dataclasses import asdict

    from ..engine.loader import ruleset_ids
    from ..run.bench import run as run_bench

    names = [r for r in ruleset_ids() if r != "national"] if municipality == "all" else [municipality]
    try:
        results = [run_bench(name, n, seed=seed, engine_name=engine) for name in names]  # type: ignore[arg-type]
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    if fmt == "json":
        click.echo(json.dumps([asdict(r) for r in results] if municipality == "all" else asdict(results[0]), indent=2))
    else:
        click.echo("\n\n".join(r.text() for r in results))


@main.command()
@click.argument("municipality")
@click.argument("input_file", metavar="INPUT.jsonl|-")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="Where to write the decisions (JSON Lines, one {\"line\", \"decision\"} per input line). "
                   "Written beside it and renamed at the end: a failed run leaves no file under this name.")
@click.option("--workers", type=click.IntRange(min=1, max=MAX_WORKERS), default=None,
              help=f"Worker processes, 1..{MAX_WORKERS} (default: all cores).")
@click.option("--on-error", type=click.Choice(["skip", "fail"]), default="skip", show_default=True,
              help="skip: report a bad line and go on; fail: stop at the first bad line (exit 2).")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: when stderr is a terminal).")
@click.option("--dask", "dask", metavar="local|tcp://HOST:PORT", default=None,
              help="Run on Dask: 'local' starts a cluster sized to this machine; an address uses a running one.")
@engine_option()
def batch(municipality: str, input_file: str, output: str, workers: int | None, on_error: str,
          progress: bool | None, dask: str | None, engine: str) -> None:
    """Evaluate many citizens (JSON Lines or Parquet) on all cores or on Dask, streaming at constant memory.

    A .parquet input is a table of facts, one row per citizen; a .parquet output holds the decisions
    flattened to columns beside the whole decision as JSON.
    """
    from ..run.batch import MAX_BAD_KEPT
    from ..run.batch import run as run_batch
    from ..run.formats import ParquetSink, is_parquet, parquet_lines

    # every argument is checked before anything is read or written
    if input_file != "-":
        _input_or_fail(input_file)
    _output_or_fail(output, input_file)
    show = sys.stderr.isatty() if progress is None else progress
    total = _count_lines(input_file) if show and input_file != "-" and not is_parquet(input_file) else None
    try:
        source: Any = (sys.stdin.buffer if input_file == "-" else contextlib.closing(parquet_lines(input_file))
                       if is_parquet(input_file) else open(input_file, "rb"))  # noqa: SIM115
    except OSError as exc:
        _fail(f"{input_file}: cannot read: {exc.strerror}")
    bar = click.progressbar(length=total or 0, label="evaluating", file=sys.stderr) if show else None
    done = [0]

    def progress_to(n: int) -> None:
        if bar is not None:
            bar.update(n - done[0])
            done[0] = n

    shown = [0]

    def report(bad: Any) -> None:
        shown[0] += 1
        if shown[0] <= MAX_BAD_KEPT:
            click.echo(f"sps-rules: {input_file}: {bad}", err=True)
        elif shown[0] == MAX_BAD_KEPT + 1:
            click.echo(f"sps-rules: {input_file}: more bad lines; only the first {MAX_BAD_KEPT} are shown", err=True)

    try:
        parquet = is_parquet(output)
        with source as lines, atomic_output(output, mode="wb") as handle:
            sink = ParquetSink(handle) if parquet else handle
            summary = run_batch(municipality, lines, sink, workers=workers, fail_fast=on_error == "fail",
                                on_bad=report, on_progress=progress_to, dask=dask,
                                engine=engine)  # type: ignore[arg-type]
            if summary.stopped_at is not None:
                raise _Stopped  # leave no partial output under the final name
            if isinstance(sink, ParquetSink):
                sink.close()
    except _Stopped:
        _fail(f"{input_file}: stopped at {summary.stopped_at}; no output written")
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    except OSError as exc:
        _fail(f"{output}: cannot write: {exc.strerror}")
    finally:
        if bar is not None:
            bar.render_finish()
    click.echo(f"{summary.written} decisions written to {output}; {summary.bad_count} bad line(s) skipped", err=True)


class _Stopped(Exception):
    """--on-error fail met a bad line."""


def _input_or_fail(path: str) -> None:
    try:
        info = os.stat(path)
    except OSError as exc:
        _fail(f"{path}: cannot read: {exc.strerror}")
    if not stat.S_ISREG(info.st_mode):
        _fail(f"{path}: the input is not a regular file")


def _count_lines(path: str) -> int:
    """Lines in a file, for the progress bar, reading it in pieces (a 1 GB line is never held whole)."""
    count = 0
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                count += chunk.count(b"\n")
    except OSError as exc:
        _fail(f"{path}: cannot read: {exc.strerror}")
    return count


@main.command()
@click.argument("municipality")
@click.argument("population", metavar="POPULATION.jsonl|.parquet")
@click.option("--from", "old", required=True, help="The version in force (e.g. 2020-01).")
@click.option("--to", "new", required=True, help="The version to compare with (e.g. a draft's version).")
@click.option("--dask", "dask", metavar="local|tcp://HOST:PORT", default=None, help="Run on Dask (see batch).")
@click.option("--workers", type=click.IntRange(min=1, max=MAX_WORKERS), default=None,
              help=f"Worker processes, 1..{MAX_WORKERS} (default: all cores).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def simulate(municipality: str, population: str, old: str, new: str, dask: str | None, workers: int | None,
             fmt: str) -> None:
    """Run a whole POPULATION through two versions and report the outcome changes.

    Counts citizens by change (eligibility transition, and which parts of the decision changed) and
    names a few of them per change by line number.
    """
    from ..run.formats import is_parquet, parquet_lines
    from ..run.simulate import simulate as run_simulate

    _input_or_fail(population)
    try:
        if is_parquet(population):
            result = run_simulate(municipality, old, new, parquet_lines(population), dask=dask, workers=workers)
        else:
            with open(population, "rb") as fh:
                result = run_simulate(municipality, old, new, fh, dask=dask, workers=workers)
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    except OSError as exc:
        _fail(f"{population}: cannot read: {exc.strerror}")
    click.echo(result.to_json() if fmt == "json" else result.text(), nl=fmt == "json")
