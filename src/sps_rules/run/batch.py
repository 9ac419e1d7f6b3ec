"""``sps-rules batch``: many citizens (JSON Lines) on all cores, streaming at constant memory.

Lines are read in chunks and handed to worker processes, with a bounded number of chunks in
flight, and written in input order as they come back. Each output line is
``{"line": N, "decision": {...}}``. A bad input line is never dropped silently: it is reported
with its line number, and either skipped or made fatal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from .cluster import Pin, check_pins, pins
from .executors import executor, ordered

CHUNK = 250


class TextSink(Protocol):
    """Where decisions go: an open text file, or ``formats.ParquetSink``."""

    def write(self, text: str, /) -> int: ...
MAX_LINE_BYTES = 1_000_000


@dataclass
class BadLine:
    line: int
    error: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.error}"


@dataclass
class BatchSummary:
    read: int = 0
    written: int = 0
    bad: list[BadLine] = field(default_factory=list)
    stopped_at: BadLine | None = None


def _evaluate_chunk(args: tuple[str, list[tuple[int, str]]]) -> list[tuple[int, str | None, str | None]]:
    """In a worker: (line number, output JSON or None, error or None) for each line."""
    from ..engine.registry import evaluate
    from ..model.errors import SpsRulesError

    municipality, lines = args
    out: list[tuple[int, str | None, str | None]] = []
    for number, text in lines:
        try:
            if len(text) > MAX_LINE_BYTES:
                raise SpsRulesError(f"the line is longer than {MAX_LINE_BYTES:,} characters")
            try:
                data = json.loads(text)
            except (json.JSONDecodeError, RecursionError) as exc:
                raise SpsRulesError(f"invalid JSON: {getattr(exc, 'msg', exc)}") from None
            if not isinstance(data, dict):
                raise SpsRulesError(f"expected a JSON object of facts, got {type(data).__name__}")
            decision = evaluate(municipality, data)
            out.append((number, f'{{"line":{number},"decision":{decision.to_json(indent=None)}}}', None))
        except SpsRulesError as exc:
            message = str(exc)
            out.append((number, None, message[len("facts: "):] if message.startswith("facts: ") else message))
    return out


def _chunks(lines: Iterable[str]) -> Iterator[list[tuple[int, str]]]:
    chunk: list[tuple[int, str]] = []
    for number, text in enumerate(lines, 1):
        text = text.strip()
        if not text:
            continue
        chunk.append((number, text))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def run(municipality: str, source: Iterable[str], sink: TextSink, *, workers: int | None = None,
        fail_fast: bool = False, on_bad: Callable[[BadLine], None] | None = None,
        on_progress: Callable[[int], None] | None = None, dask: str | None = None) -> BatchSummary:
    """Evaluate every line of ``source`` and write the decisions to ``sink``, in order.

    ``dask`` runs the chunks on a Dask cluster instead of local processes: ``"local"`` starts a
    LocalCluster sized to the machine, ``"tcp://HOST:PORT"`` uses a running scheduler. The output is
    the same, line for line, as a local run.
    """
    from ..engine.registry import load_ruleset

    load_ruleset(municipality)  # fail early, in this process, if the rule set is unknown or invalid
    pinned = pins(municipality) if dask is not None else ()
    tasks = ((municipality, pinned, chunk) for chunk in _chunks(source))
    summary = BatchSummary()
    with executor(_evaluate_task, dask=dask, workers=workers) as (submit, inflight):
        for results in ordered(submit, tasks, inflight):
            for number, output, error in results:
                summary.read += 1
                if error is not None:
                    bad = BadLine(number, error)
                    summary.bad.append(bad)
                    if on_bad:
                        on_bad(bad)
                    if fail_fast:
                        summary.stopped_at = bad
                        return summary
                    continue
                sink.write(f"{output}\n")
                summary.written += 1
            if on_progress:
                on_progress(summary.read)
    return summary


def _evaluate_task(task: tuple[str, tuple[Pin, ...], list[tuple[int, str]]]) -> list[tuple[int, str | None, str | None]]:
    """In a worker: check that its rule files are the client's (Dask), then evaluate the chunk."""
    municipality, pinned, lines = task
    check_pins(pinned)
    return _evaluate_chunk((municipality, lines))
