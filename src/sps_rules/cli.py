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
    except RecursionError:
        _fail(f"{name}: the JSON is nested too deeply to be citizen facts")
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
        from pydantic import TypeAdapter

        from .decision import RuleSetRef

        refs = TypeAdapter(list[RuleSetRef]).dump_python([item.ref for item in items], mode="json")
        click.echo(json.dumps(refs, indent=2, ensure_ascii=False))
        return
    for item in items:
        ref = item.ref
        span = f"{ref.valid_from} .. {ref.valid_to or 'open'}"
        base = f"  builds on {ref.base}" if ref.base else ""
        click.echo(f"{ref.id:<16} {ref.version:<8} {span:<26} {ref.sha256[:12]}  {ref.title}{base}")


@main.command()
@click.argument("what", type=click.Choice(["rules", "facts", "cases", "decision"]), default="rules")
def schema(what: str) -> None:
    """Print the JSON Schema of rule files, citizen facts, test-case files or decisions."""
    from .decision import Decision
    from .testcases import cases_json_schema

    document = {
        "rules": rule_file_json_schema,
        "facts": CitizenFacts.model_json_schema,
        "cases": cases_json_schema,
        "decision": Decision.model_json_schema,
    }[what]()
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


@main.command()
@click.argument("path", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def validate(path: str, fmt: str) -> None:
    """Check rule files (a file, a rule-set folder or rules/) and their test cases.

    Prints file:line:col: message (hint: ...) per problem; exit 1 if there is any error.
    """
    from .validate import validate as run_validate

    findings = run_validate(Path(path))
    errors = [f for f in findings if f.severity == "error"]
    if fmt == "json":
        click.echo(json.dumps({"ok": not errors, "findings": [f.as_dict() for f in findings]}, indent=2,
                              ensure_ascii=False))
    else:
        for finding in findings:
            click.echo(str(finding))
        warnings = len(findings) - len(errors)
        click.echo(f"{path}: {'OK' if not errors else 'INVALID'}: {len(errors)} error(s), {warnings} warning(s)")
    sys.exit(1 if errors else 0)


@main.command(name="test")
@click.argument("path", type=click.Path(exists=True), default="rules")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--coverage/--no-coverage", default=True, show_default=True, help="Report coverage per rule and sentence.")
def test_command(path: str, fmt: str, coverage: bool) -> None:
    """Run the YAML test cases under PATH (rules/, a rule-set folder or a case file); exit 1 on any failure."""
    from .testcases import coverage as measure
    from .testcases import run_path

    try:
        results, root = run_path(Path(path))
    except RuleFileError as exc:
        _fail(str(exc).replace("\n", "; "))
    report = measure(results, root) if coverage else []
    failed = [r for r in results if not r.passed]
    if fmt == "json":
        click.echo(json.dumps({
            "passed": len(results) - len(failed), "failed": len(failed),
            "cases": [{"file": r.file, "line": r.line, "name": r.case.name, "passed": r.passed,
                       "failures": r.failures} for r in results],
            "coverage": [{**c.__dict__, "rules_exercised": c.rules_exercised} for c in report],
        }, indent=2, ensure_ascii=False))
    else:
        for r in results:
            click.echo(f"{'PASS' if r.passed else 'FAIL'} {r.file}:{r.line} {r.case.name}")
            for failure in r.failures:
                click.echo(f"     {failure}")
        for c in report:
            click.echo(f"\ncoverage {c.ruleset}@{c.version}: {c.rules_exercised}/{c.rules_total} rules exercised")
            for rid in c.rules_unexercised:
                click.echo(f"  rule no case exercises: {rid}")
            for s in c.cited_unexercised:
                click.echo(f"  cited sentence no case exercises: {s}")
            click.echo(f"  decision-relevant sentences no rule cites: {len(c.uncited)}")
            for s in c.uncited:
                click.echo(f"    - {s}")
        click.echo(f"\n{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed or not results else 0)


@main.command()
@click.argument("facts", metavar="FACTS.json|-")
@click.option("--on", "on", multiple=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Assessment date(s) to compare on (repeatable); picks each rule set's version for that day.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def compare(facts: str, on: tuple[Any, ...], fmt: str) -> None:
    """One citizen across every municipality (and versions, with --on)."""
    from .compare import compare as run_compare
    from .compare import compare_json, compare_text

    name, data = _read_facts(facts)
    try:
        columns = run_compare(data, on=[d.date() for d in on] or None)
    except FactsError as exc:
        _fail(f"{name}: {str(exc).split(': ', 1)[1]}")
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    click.echo(compare_json(columns) if fmt == "json" else compare_text(columns))


@main.command()
@click.argument("old")
@click.argument("new")
@click.option("--n", "n", default=2000, show_default=True, help="Size of the generated population.")
@click.option("--seed", default=85, show_default=True, help="Seed of the generated population.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def diff(old: str, new: str, n: int, seed: int, fmt: str) -> None:
    """Rule-level changes between two versions (id@version or rule-file paths) and their impact on outcomes."""
    from .compare import diff_json, diff_rulesets, diff_text, resolve

    try:
        result = diff_rulesets(resolve(old), resolve(new), n=n, seed=seed)
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    click.echo(diff_json(result) if fmt == "json" else diff_text(result), nl=fmt == "json")


@main.command()
@click.argument("ruleset")
@click.option("--format", "fmt", type=click.Choice(["html", "md"]), default="html", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write to a file.")
def docs(ruleset: str, fmt: str, output: str | None) -> None:
    """A readable document of a rule set (id, id@version or a file): each rule beside the sentence it quotes."""
    from .compare import resolve
    from .docs import to_html, to_markdown

    try:
        document = (to_html if fmt == "html" else to_markdown)(resolve(ruleset))
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    if output:
        Path(output).write_text(document, encoding="utf-8")
    else:
        click.echo(document, nl=False)


@main.command()
@click.option("--municipality", "-m", default="roskilde", show_default=True)
@click.option("--n", "n", default=20_000, show_default=True, help="Number of generated citizens.")
@click.option("--seed", default=85, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def bench(municipality: str, n: int, seed: int, fmt: str) -> None:
    """Measure decisions/s, latency, load time, memory and the ratio to the bare durable-rules engine."""
    from dataclasses import asdict

    from .bench import run as run_bench

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
def batch(municipality: str, input_file: str, output: str, workers: int | None, on_error: str,
          progress: bool | None) -> None:
    """Evaluate many citizens from JSON Lines on all cores, streaming at constant memory."""
    from .batch import run as run_batch

    show = sys.stderr.isatty() if progress is None else progress
    total = None
    if show and input_file != "-":
        with open(input_file, "rb") as fh:
            total = sum(1 for _ in fh)
    try:
        source = sys.stdin if input_file == "-" else open(input_file, encoding="utf-8", errors="replace")
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
        with source, open(output, "w", encoding="utf-8") as sink:
            summary = run_batch(municipality, source, sink, workers=workers, fail_fast=on_error == "fail",
                                on_bad=report, on_progress=progress_to)
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


if __name__ == "__main__":  # pragma: no cover
    main()
