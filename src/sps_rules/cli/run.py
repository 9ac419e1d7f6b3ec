"""Commands for many citizens: batch, bench."""

from __future__ import annotations

import json
import os
import stat
import sys
from typing import IO, Any

import click

from ..model.errors import SpsRulesError
from ..model.io import atomic_output
from .base import fail as _fail
from .base import main
from .base import output_or_fail as _output_or_fail

#: The most worker processes ``batch`` starts.
MAX_WORKERS = 64


@main.command()
@click.option("--municipality", "-m", default="roskilde", show_default=True)
@click.option("--n", "n", type=click.IntRange(min=100), default=20_000, show_default=True,
              help="Number of generated citizens (at least 100).")
@click.option("--seed", default=85, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def bench(municipality: str, n: int, seed: int, fmt: str) -> None:
    """Measure decisions/s, latency, load time, memory and the ratio to the bare durable-rules engine."""
    from dataclasses import asdict

    from ..run.bench import run as run_bench

    try:
        result = run_bench(municipality, n, seed=seed)
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    click.echo(json.dumps(asdict(result), indent=2) if fmt == "json" else result.text())


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
def batch(municipality: str, input_file: str, output: str, workers: int | None, on_error: str,
          progress: bool | None) -> None:
    """Evaluate many citizens from JSON Lines on all cores, streaming at constant memory."""
    from ..run.batch import MAX_BAD_KEPT
    from ..run.batch import run as run_batch

    # every argument is checked before anything is read or written
    if input_file != "-":
        _input_or_fail(input_file)
    _output_or_fail(output, input_file)
    show = sys.stderr.isatty() if progress is None else progress
    total = _count_lines(input_file) if show and input_file != "-" else None
    try:
        source: IO[bytes] = sys.stdin.buffer if input_file == "-" else open(input_file, "rb")  # noqa: SIM115
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
        with source, atomic_output(output) as sink:
            summary = run_batch(municipality, source, sink, workers=workers, fail_fast=on_error == "fail",
                                on_bad=report, on_progress=progress_to)
            if summary.stopped_at is not None:
                raise _Stopped  # leave no partial output under the final name
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
