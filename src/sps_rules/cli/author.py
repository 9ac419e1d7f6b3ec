"""Commands for policy staff: validate, test, compare, diff, docs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..model.errors import FactsError, RuleFileError, SpsRulesError
from .base import fail as _fail
from .base import main
from .base import read_facts as _read_facts


@main.command()
@click.argument("path", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def validate(path: str, fmt: str) -> None:
    """Check rule files (a file, a rule-set folder or rules/) and their test cases.

    Prints file:line:col: message (hint: ...) per problem; exit 1 if there is any error.
    """
    from ..authoring.validate import validate as run_validate

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
    from ..authoring.testcases import coverage as measure
    from ..authoring.testcases import run_path

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
            click.echo(f"  sentences neither cited nor listed as not decision-relevant: {len(c.uncited)}")
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
    from ..authoring.compare import compare as run_compare
    from ..authoring.compare import compare_json, compare_text

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
    from ..authoring.diff import diff_json, diff_rulesets, diff_text, resolve

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
    from ..authoring.diff import resolve
    from ..authoring.docs import to_html, to_markdown

    try:
        document = (to_html if fmt == "html" else to_markdown)(resolve(ruleset))
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    if output:
        from ..audit.files import write_atomic

        source = Path(ruleset)
        if source.is_file() and source.resolve() == Path(output).resolve():
            _fail(f"{output}: the document would overwrite the rule file; choose another name")
        try:
            write_atomic(Path(output), document.encode("utf-8"), what="document")
        except SpsRulesError as exc:
            _fail(str(exc))
    else:
        click.echo(document, nl=False)
