"""The command group and what every command shares: one-line errors (exit 2), reading facts, outputs."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from ..model.errors import SpsRulesError
from ..model.io import check_output, read_bounded, read_stream_bounded
from ..model.jsonio import loads_object
from ..version import __version__

MAX_FACTS_BYTES = 1_000_000
F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"sps-rules: error: {message}", err=True)
    sys.exit(code)


def read_facts(path: str) -> tuple[str, Any]:
    """The facts object of a file (or ``-``: standard input), read strictly and with a size limit."""
    name = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            raw = read_stream_bounded(sys.stdin.buffer, MAX_FACTS_BYTES, what="facts file")
        else:
            raw = read_bounded(path, MAX_FACTS_BYTES, what="facts file")
        return name, loads_object(raw, what=name, max_bytes=MAX_FACTS_BYTES)
    except SpsRulesError as exc:
        fail(str(exc))


def output_or_fail(output: str, *inputs: str) -> None:
    """Exit 2 before anything is read or written when ``output`` is one of ``inputs`` or unwritable."""
    try:
        check_output(output, *inputs)
    except SpsRulesError as exc:
        fail(str(exc))


def engine_option(*extra: str, default: str = "compiled") -> Callable[[F], F]:
    """``--engine``: which engine decides the rules' states (both give byte-identical decisions)."""
    return click.option("--engine", type=click.Choice(["compiled", "durable-rules", *extra]), default=default,
                        show_default=True,
                        help="compiled: the rule set compiled to Python (fast); durable-rules: the Rete engine, "
                             "the independent second engine" + (" ; both: run both and say whether they agree"
                                                                if "both" in extra else "") + ".")


def _tolerant_streams() -> None:
    """Never crash on a character the terminal's encoding lacks (PYTHONIOENCODING=latin-1 and "ø")."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):  # a stream that cannot be reconfigured keeps its settings
                pass


class _Group(click.Group):
    def main(self, *args: Any, **kwargs: Any) -> Any:
        _tolerant_streams()
        return super().main(*args, **kwargs)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sps-rules")
def main() -> None:
    """Evaluate Danish quality standards for socialpædagogisk støtte (Serviceloven § 85)."""
