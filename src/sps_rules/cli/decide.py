"""Commands for one decision: evaluate, replay, explain, list, schema."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .. import evaluate as evaluate_facts
from .. import explain as explain_decision
from .. import list_rulesets, load_ruleset
from ..audit.explain import to_text
from ..audit.records import make_record, read_record
from ..audit.records import replay as replay_record
from ..model.errors import FactsError, RecordError, RuleFileError, SpsRulesError
from ..model.facts import CitizenFacts
from ..model.io import same_file
from ..model.schema import rule_file_json_schema
from .base import engine_option, main
from .base import fail as _fail
from .base import output_or_fail as _output_or_fail
from .base import read_facts as _read_facts


@main.command()
@click.argument("municipality")
@click.argument("facts", metavar="FACTS.json|-")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--record", "record_file", type=click.Path(dir_okay=False, writable=True),
              help="Also write a self-contained, hashed decision record to this file.")
@engine_option()
@click.option("--sign-key", "sign_key", type=click.Path(dir_okay=False),
              help="Sign the record with this Ed25519 private key (see 'keys new'; needs sps-rules[sign]).")
def evaluate(municipality: str, facts: str, fmt: str, record_file: str | None, sign_key: str | None,
             engine: str) -> None:
    """Evaluate one citizen's FACTS against MUNICIPALITY's rule set."""
    if sign_key and not record_file:
        _fail("--sign-key signs the record: give --record FILE too")
    if record_file:
        if facts != "-" and same_file(record_file, facts):
            _fail(f"{record_file}: the record would overwrite the facts file; choose another name")
        _output_or_fail(record_file, facts, *([sign_key] if sign_key else []))
    name, data = _read_facts(facts)
    try:
        decision = evaluate_facts(municipality, data, engine=engine)  # type: ignore[arg-type]
        if record_file:
            citizen_date = decision.assessment_date
            record = make_record(load_ruleset(municipality, citizen_date), data, sign_key=sign_key)
            record.write(Path(record_file))
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
@click.option("--verify-key", "verify_key", type=click.Path(dir_okay=False),
              help="Require a signature by this Ed25519 public key (needs sps-rules[sign]).")
@engine_option("both")
def replay(record_file: str, verify_key: str | None, engine: str) -> None:
    """Re-evaluate a decision record with the rule-set version it names.

    Exit 0 "reproduced exactly"; 1 with a field-level diff when anything differs (or the record
    was altered, or not signed by --verify-key, or with --engine both the two engines disagree); 2 for a corrupt or invalid record or key.
    """
    try:
        result = replay_record(Path(record_file), verify_key=verify_key, engine=engine)  # type: ignore[arg-type]
    except SpsRulesError as exc:
        _fail(str(exc))
    click.echo(result.report())
    sys.exit(result.exit_code)


@main.command()
@click.argument("record_file", metavar="[RECORD.json]", required=False)
@click.option("--facts", "facts_file", help="Facts JSON file (instead of a record).")
@click.option("--municipality", help="Rule set to evaluate --facts against.")
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "html"]), default="text", show_default=True)
@click.option("--why-not", is_flag=True, help="Add the facts that decide the outcome and what would change it.")
@click.option("--verify-key", "verify_key", type=click.Path(dir_okay=False),
              help="Require the record to be signed by this Ed25519 public key.")
def explain(record_file: str | None, facts_file: str | None, municipality: str | None, fmt: str, why_not: bool,
            verify_key: str | None) -> None:
    """Danish reasons for a decision, fit for a decision letter, from a record or from facts.

    A record is verified first (its hash; its signature, with --verify-key): an altered record
    is refused.
    """
    try:
        if record_file and not facts_file:
            record = read_record(Path(record_file))
            try:
                text = explain_decision(record, format=fmt, why_not=why_not, verify_key=verify_key)  # type: ignore[arg-type]
            except RecordError as exc:
                _fail(f"{record_file}: {exc}")
            click.echo(text, nl=False)
            return
        if verify_key:
            _fail("--verify-key checks a record: give RECORD.json")
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
        from pydantic import TypeAdapter

        from ..model.decision import RuleSetRef

        refs = TypeAdapter(list[RuleSetRef]).dump_python([item.ref for item in items], mode="json")
        click.echo(json.dumps(refs, indent=2, ensure_ascii=False))
        return
    from ..engine.loader import ends, versions

    end_of = {(v.id, v.version): end for rid in dict.fromkeys(i.id for i in items) for v, end in ends(versions(rid))}
    for item in items:
        ref = item.ref
        key = (ref.id, ref.version)
        span = f"{ref.valid_from} .. {end_of[key] or 'open'}" if key in end_of else f"{ref.valid_from} (draft)"
        base = f"  builds on {ref.base}" if ref.base else ""
        click.echo(f"{ref.id:<16} {ref.version:<8} {span:<26} {ref.sha256[:12]}  {ref.title}{base}")


@main.command()
@click.argument("what", type=click.Choice(["rules", "facts", "cases", "decision"]), default="rules")
def schema(what: str) -> None:
    """Print the JSON Schema of rule files, citizen facts, test-case files or decisions."""
    from ..authoring.testcases import cases_json_schema
    from ..model.decision import Decision

    document = {
        "rules": rule_file_json_schema,
        "facts": CitizenFacts.model_json_schema,
        "cases": cases_json_schema,
        "decision": Decision.model_json_schema,
    }[what]()
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))
