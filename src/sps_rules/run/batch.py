"""``sps-rules batch``: many citizens (JSON Lines) on all cores, streaming at constant memory.

Lines are read in chunks and handed to worker processes, with a bounded number of chunks in
flight, and written in input order as they come back. Each output line is
``{"line": N, "decision": {...}}``. A bad input line is never dropped silently: it is reported
with its line number, and either skipped or made fatal.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING, Protocol, cast

from .cluster import Pin, check_pins, pins
from .executors import executor, ordered

if TYPE_CHECKING:
    from ..engine.evaluator import Engine

CHUNK = 250
#: The longest input line, in bytes; a longer one is reported as bad without being read whole.
MAX_LINE_BYTES = 1_000_000
#: The bad lines a summary keeps for the report; the rest are only counted.
MAX_BAD_KEPT = 100


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
    bad: list[BadLine] = field(default_factory=list)  # the first MAX_BAD_KEPT bad lines
    bad_count: int = 0  # every bad line, kept or not
    stopped_at: BadLine | None = None


def _evaluate_chunk(args: tuple[str, list[tuple[int, str | None]], Engine]) -> list[tuple[int, bytes | None, str | None]]:
    """In a worker: (line number, output JSON as UTF-8 or None, error or None) for each line.

    A line's text is None when it was too long or not UTF-8 (the reader says which in a marker).
    """
    from ..engine.registry import evaluate
    from ..model.errors import SpsRulesError

    municipality, lines, engine = args
    out: list[tuple[int, bytes | None, str | None]] = []
    for number, text in lines:
        try:
            decision = evaluate(municipality, line_facts(text), engine=engine)
            out.append((number, b'{"line":%d,"decision":%b}' % (number, decision.to_json_bytes()), None))
        except SpsRulesError as exc:
            message = str(exc)
            out.append((number, None, message[len("facts: "):] if message.startswith("facts: ") else message))
        except Exception as exc:  # noqa: BLE001 - one line must never take the whole batch down
            out.append((number, None, f"the line could not be evaluated ({type(exc).__name__})"))
    return out


def line_facts(text: str | None) -> dict[str, object]:
    """The facts object of one input line; SpsRulesError for a marker or invalid JSON."""
    from ..model.errors import SpsRulesError
    from ..model.jsonio import loads_object

    if text is None or text in _MARKERS:
        raise SpsRulesError(_MARKERS.get(text or "", _MARKERS[_TOO_LONG]))
    return loads_object(text, what="facts", max_bytes=MAX_LINE_BYTES)


_TOO_LONG = "\x00too-long"
_NOT_UTF8 = "\x00not-utf8"
_MARKERS = {
    _TOO_LONG: f"the line is longer than {MAX_LINE_BYTES:,} bytes",
    _NOT_UTF8: "the line is not UTF-8 text",
}


def _read_lines(source: IO[bytes] | IO[str] | Iterable[str]) -> Iterator[str]:
    """Each line of ``source`` as text, never holding more than MAX_LINE_BYTES of one line.

    An over-long line is skipped to its end in pieces and yields a marker; so does a line that
    is not UTF-8 (text is never silently altered by a replacement character).
    """
    stream = getattr(source, "buffer", source)  # a text stream's bytes: checked as UTF-8, never replaced
    readline = getattr(stream, "readline", None)
    if readline is None:
        for line in cast(Iterable[str], source):  # e.g. a list of str in a test: already in memory
            yield line if len(line) <= MAX_LINE_BYTES else _TOO_LONG
        return
    while True:
        raw: bytes | str = readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        newline = b"\n" if isinstance(raw, bytes) else "\n"
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(newline):  # type: ignore[arg-type]
            while raw and not raw.endswith(newline):  # type: ignore[arg-type]
                raw = readline(MAX_LINE_BYTES)
            yield _TOO_LONG
        elif isinstance(raw, str):
            yield raw
        else:
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError:
                yield _NOT_UTF8


def _chunks(lines: Iterable[str]) -> Iterator[list[tuple[int, str | None]]]:
    chunk: list[tuple[int, str | None]] = []
    for number, text in enumerate(lines, 1):
        text = text if text in _MARKERS else text.strip()
        if not text:
            continue
        chunk.append((number, text))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def numbered_chunks(source: IO[bytes] | IO[str] | Iterable[str]) -> Iterator[list[tuple[int, str | None]]]:
    """The non-empty lines of ``source`` with their line numbers, CHUNK at a time."""
    return _chunks(_read_lines(source))


class BytesSink(Protocol):
    """Where decisions go as UTF-8 lines: a file opened for bytes, or ``formats.ParquetSink``."""

    def write(self, data: bytes, /) -> int: ...


#: A text stream (``io.StringIO``, a file opened with "w") is written text; anything else bytes,
#: which saves encoding every decision again.
Sink = BytesSink | IO[str]


def run(municipality: str, source: IO[bytes] | IO[str] | Iterable[str], sink: Sink, *,
        workers: int | None = None, fail_fast: bool = False, on_bad: Callable[[BadLine], None] | None = None,
        on_progress: Callable[[int], None] | None = None, dask: str | None = None,
        engine: Engine = "compiled") -> BatchSummary:
    """Evaluate every line of ``source`` and write the decisions to ``sink``, in order: a text
    stream (``io.StringIO``, a file opened with "w") is written text, any other sink (a file
    opened with "wb", ``formats.ParquetSink``) UTF-8 bytes.

    ``source`` is best a binary file (lines are then checked to be UTF-8, and a line longer than
    MAX_LINE_BYTES is never read whole). The summary keeps the first MAX_BAD_KEPT bad lines and
    counts them all. ``dask`` runs the chunks on a Dask cluster instead of local processes:
    ``"local"`` starts a LocalCluster sized to the machine, ``"tcp://HOST:PORT"`` uses a running
    scheduler; the output is the same, line for line, as a local run.
    """
    from ..engine.registry import load_ruleset

    load_ruleset(municipality)  # fail early, in this process, if the rule set is unknown or invalid
    pinned = pins(municipality) if dask is not None else ()
    tasks = ((municipality, pinned, chunk, engine) for chunk in numbered_chunks(source))
    summary = BatchSummary()
    as_text = isinstance(sink, io.TextIOBase)
    with executor(_evaluate_task, dask=dask, workers=workers) as (submit, inflight):
        for results in ordered(submit, tasks, inflight):
            for number, output, error in results:
                summary.read += 1
                if error is not None:
                    bad = BadLine(number, error)
                    summary.bad_count += 1
                    if len(summary.bad) < MAX_BAD_KEPT:
                        summary.bad.append(bad)
                    if on_bad:
                        on_bad(bad)
                    if fail_fast:
                        summary.stopped_at = bad
                        return summary
                    continue
                assert output is not None
                if as_text:
                    cast(IO[str], sink).write(output.decode("utf-8") + "\n")
                else:
                    cast(BytesSink, sink).write(output + b"\n")
                summary.written += 1
            if on_progress:
                on_progress(summary.read)
    return summary


def _evaluate_task(task: tuple[str, tuple[Pin, ...], list[tuple[int, str | None]], Engine],
                   ) -> list[tuple[int, bytes | None, str | None]]:
    """In a worker: check that its rule files are the client's (Dask), then evaluate the chunk."""
    municipality, pinned, lines, engine = task
    check_pins(pinned)
    return _evaluate_chunk((municipality, lines, engine))
