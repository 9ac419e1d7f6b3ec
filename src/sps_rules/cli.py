"""The ``sps-rules`` command line. Exit 0 on success, 2 with a one-line error for bad input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from . import evaluate as evaluate_facts
from . import explain as explain_decision
from . import list_rulesets, load_ruleset
from .errors import FactsError, RecordError, RuleFileError, SpsRulesError
from .records import make_record, read_record
from .records import replay as replay_record
from .render import to_text
from .facts import CitizenFacts
from .schema import rule_file_json_schema
from .version import __version__

MAX_FACTS_BYTES = 1_000_000


def _fail(message: str, code: int = 2) -> NoReturn:
    click.echo(f"sps-rules: error: {message}", err=True)
    sys.exit(code)


def _read_facts(path: str) -> tuple[str, Any]:
    name = "<stdin>" if path == "-" else path
    try:
        raw = sys.stdin.buffer.read(MAX_FACTS_BYTES + 1) if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        _fail(f"{name}: cannot read the facts file: {exc.strerror}")
    if len(raw) > MAX_FACTS_BYTES:
        _fail(f"{name}: the facts file is larger than {MAX_FACTS_BYTES:,} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        _fail(f"{name}: the facts file is not UTF-8 text")
    except json.JSONDecodeError as exc:
        _fail(f"{name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}")
    if not isinstance(data, dict):
        _fail(f"{name}: the facts must be a JSON object, got {type(data).__name__}")
    return name, data


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sps-rules")
def main() -> None:
    """Evaluate Danish quality standards for socialpædagogisk støtte (Serviceloven § 85)."""


@main.command()
@click.argument("municipality")
@click.argument("facts", metavar="FACTS.json|-")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--record", "record_file", type=click.Path(dir_okay=False, writable=True),
              help="Also write a self-contained, hashed decision record to this file.")
def evaluate(municipality: str, facts: str, fmt: str, record_file: str | None) -> None:
    """Evaluate one citizen's FACTS against MUNICIPALITY's rule set."""
    name, data = _read_facts(facts)
    try:
        decision = evaluate_facts(municipality, data)
        if record_file:
            citizen_date = decision.assessment_date
            record = make_record(load_ruleset(municipality, citizen_date), data)
            Path(record_file).write_text(record.to_json(), encoding="utf-8")
    except FactsError as exc:
        _fail(f"{name}: {str(exc).split(': ', 1)[1]}")
    except RuleFileError as exc:
        _fail(str(exc).replace("\n", "; "))
    except SpsRulesError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"{record_file}: cannot write the record: {exc.strerror}")
    click.echo(decision.to_json() if fmt == "json" else to_text(decision), nl=fmt == "json")


@main.command()
@click.argument("record_file", metavar="RECORD.json")
def replay(record_file: str) -> None:
    """Re-evaluate a decision record with the rule-set version it names.

    Exit 0 "reproduced exactly"; 1 with a field-level diff when anything differs; 2 for a
    corrupt or invalid record.
    """
    try:
        result = replay_record(Path(record_file))
    except RecordError as exc:
        _fail(str(exc))
    click.echo(result.report())
    sys.exit(result.exit_code)


@main.command()
@click.argument("record_file", metavar="[RECORD.json]", required=False)
@click.option("--facts", "facts_file", help="Facts JSON file (instead of a record).")
@click.option("--municipality", help="Rule set to evaluate --facts against.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html"]), default="text", show_default=True)
@click.option("--why-not", is_flag=True, help="Add the facts that decide the outcome and what would change it.")
def explain(record_file: str | None, facts_file: str | None, municipality: str | None, fmt: str, why_not: bool) -> None:
    """Danish reasons for a decision, fit for a decision letter, from a record or from facts."""
    try:
        if record_file and not facts_file:
            record = read_record(Path(record_file))
            click.echo(explain_decision(record, format=fmt, why_not=why_not), nl=False)  # type: ignore[arg-type]
            return
        if not (facts_file and municipality) or record_file:
            _fail("give either RECORD.json, or both --facts FILE and --municipality NAME")
        name, data = _read_facts(facts_file)
        decision = evaluate_facts(municipality, data)
        click.echo(explain_decision(decision, format=fmt, why_not=why_not, facts=data), nl=False)  # type: ignore[arg-type]
    except FactsError as exc:
        _fail(str(exc))
    except (RecordError, RuleFileError) as exc:
        _fail(str(exc).replace("\n", "; "))
    except SpsRulesError as exc:
        _fail(str(exc))


@main.command(name="list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_command(fmt: str) -> None:
    """List every rule set and its versions."""
    try:
        items = list_rulesets()
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    if fmt == "json":
        click.echo(json.dumps([item.ref.model_dump(mode="json") for item in items], indent=2, ensure_ascii=False))
        return
    for item in items:
        ref = item.ref
        span = f"{ref.valid_from} .. {ref.valid_to or 'open'}"
        base = f"  builds on {ref.base}" if ref.base else ""
        click.echo(f"{ref.id:<16} {ref.version:<8} {span:<26} {ref.sha256[:12]}  {ref.title}{base}")


@main.command()
@click.argument("what", type=click.Choice(["rules", "facts", "decision"]), default="rules")
def schema(what: str) -> None:
    """Print the JSON Schema of rule files, citizen facts or decisions."""
    from .decision import Decision

    document = {
        "rules": rule_file_json_schema,
        "facts": CitizenFacts.model_json_schema,
        "decision": Decision.model_json_schema,
    }[what]()
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


if __name__ == "__main__":  # pragma: no cover
    main()
