"""The command group and what every command shares: one-line errors (exit 2) and reading facts."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from ..version import __version__

MAX_FACTS_BYTES = 1_000_000
F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"sps-rules: error: {message}", err=True)
    sys.exit(code)


def read_facts(path: str) -> tuple[str, Any]:
    name = "<stdin>" if path == "-" else path
    try:
        raw = sys.stdin.buffer.read(MAX_FACTS_BYTES + 1) if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        fail(f"{name}: cannot read the facts file: {exc.strerror}")
    if len(raw) > MAX_FACTS_BYTES:
        fail(f"{name}: the facts file is larger than {MAX_FACTS_BYTES:,} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        fail(f"{name}: the facts file is not UTF-8 text")
    except json.JSONDecodeError as exc:
        fail(f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}")
    except RecursionError:
        fail(f"{name}: the JSON is nested too deeply to be citizen facts")
    if not isinstance(data, dict):
        fail(f"{name}: the facts must be a JSON object, got {type(data).__name__}")
    return name, data


def engine_option(*extra: str, default: str = "compiled") -> Callable[[F], F]:
    """``--engine``: which engine decides the rules' states (both give byte-identical decisions)."""
    return click.option("--engine", type=click.Choice(["compiled", "durable-rules", *extra]), default=default,
                        show_default=True,
                        help="compiled: the rule set compiled to Python (fast); durable-rules: the Rete engine, "
                             "the independent second engine" + (" ; both: run both and say whether they agree"
                                                                if "both" in extra else "") + ".")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sps-rules")
def main() -> None:
    """Evaluate Danish quality standards for socialpædagogisk støtte (Serviceloven § 85)."""
