"""Commands for policy staff: validate, test, compare, diff, docs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from ..model.errors import FactsError, RuleFileError, SpsRulesError
from ..model.io import write_atomic
from .base import engine_option, main
from .base import fail as _fail
from .base import output_or_fail as _output_or_fail
from .base import read_facts as _read_facts

#: The largest population ``diff`` generates.
MAX_POPULATION = 200_000


@main.command()
@click.argument("path", type=click.Path())
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@engine_option()
def validate(path: str, fmt: str, engine: str) -> None:
    """Check rule files (a file, a rule-set folder or rules/) and their test cases.

    Prints file:line:col: message (hint: ...) per problem; exit 1 if there is any error.
    Both engines run on a generated population; any difference between them is an error.
    """
    from ..authoring.validate import validate as run_validate

    findings = run_validate(Path(path), engine=engine)  # type: ignore[arg-type]
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
@click.option("--min-coverage", "min_coverage", type=click.IntRange(0, 100), default=80, show_default=True,
              help="Fail when a tested version has fewer of its own rules exercised (percent); 0 rules always fails.")
def test_command(path: str, fmt: str, coverage: bool, min_coverage: int) -> None:
    """Run the YAML test cases under PATH (rules/, a rule-set folder or a case file); exit 1 on any failure.

    Given a rule file (a draft made by new-version), run its rule set's cases on that version: each
    outcome that changes from what the cases expect is reported, expected against actual.
    """
    from ..authoring.testcases import coverage as measure
    from ..authoring.testcases import run_path

    target = Path(path)
    on_version = target.is_file() and target.parent.name != "tests"
    try:
        results, root = run_path(target)
        required = None
        if on_version:
            from ..engine.loader import load_file

            loaded = load_file(target, root=root)
            required = {(loaded.id, loaded.version)}
        report = measure(results, root, required) if coverage else []
    except RuleFileError as exc:
        _fail(str(exc).replace("\n", "; "))
    failed = [r for r in results if not r.passed]
    low = [c for c in report if c.rules_total and (c.rules_exercised == 0 or 100 * c.rules_exercised < min_coverage * c.rules_total)]
    if fmt == "json":
        click.echo(json.dumps({
            "passed": len(results) - len(failed), "failed": len(failed),
            "cases": [{"file": r.file, "line": r.line, "name": r.case.name, "passed": r.passed,
                       "failures": r.failures, "carried_to": r.carried_to} for r in results],
            "coverage": [{**c.__dict__, "rules_exercised": c.rules_exercised} for c in report],
            "min_coverage": min_coverage,
            "below_min_coverage": [f"{c.ruleset}@{c.version}" for c in low],
        }, indent=2, ensure_ascii=False))
    else:
        if required:
            (rid, version), = required
            click.echo(f"{rid}@{version}: every case of {rid} not pinned to another version ({len(results)}), "
                       "run on this version; a FAIL is an outcome that changes")
        for r in results:
            carried = f" (carried over to version {r.carried_to})" if r.carried_to else ""
            click.echo(f"{'PASS' if r.passed else 'FAIL'} {_shown(r.file)}:{r.line} {r.case.name}{carried}")
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
        for c in low:
            click.echo(f"\ncoverage of {c.ruleset}@{c.version} is {c.rules_exercised}/{c.rules_total} rules, "
                       f"below --min-coverage {min_coverage}%: add cases that make its other rules apply")
        click.echo(f"\n{len(results) - len(failed)} passed, {len(failed)} failed")
    sys.exit(1 if failed or not results or low else 0)


def _shown(file: str) -> str:
    """A file's path relative to the working folder where it lies below it."""
    try:
        return str(Path(file).relative_to(Path.cwd()))
    except ValueError:
        return file


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
@click.option("--n", "n", type=click.IntRange(min=1, max=MAX_POPULATION), default=2000, show_default=True,
              help=f"Size of the generated population (1..{MAX_POPULATION:,}).")
@click.option("--seed", default=85, show_default=True, help="Seed of the generated population.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file (whole, never half-written).")
def diff(old: str, new: str, n: int, seed: int, fmt: str, output: str | None) -> None:
    """Rule-level changes between two versions (id@version or rule-file paths) and their impact on outcomes.

    --format html gives a page to bring to the policy meeting.
    """
    from ..authoring.diff import diff_html, diff_json, diff_rulesets, diff_text, resolve
    from ..model.io import write_atomic

    try:
        result = diff_rulesets(resolve(old), resolve(new), n=n, seed=seed)
        text = {"json": lambda r: diff_json(r) + "\n", "html": diff_html, "text": diff_text}[fmt](result)
        if output:
            target = Path(output)
            if target.resolve() in {Path(p).resolve() for p in (old, new)}:
                _fail(f"{output} is one of the versions compared; write the report elsewhere")
            write_atomic(target, text)
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    except OSError as exc:
        _fail(f"{output}: cannot write: {exc.strerror or exc}")
    if output:
        click.echo(f"wrote {output}")
    else:
        click.echo(text, nl=False)


@main.command()
@click.argument("ruleset")
@click.option("--format", "fmt", type=click.Choice(["html", "md"]), default="html", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to a file (never the rule file itself).")
def docs(ruleset: str, fmt: str, output: str | None) -> None:
    """A readable document of a rule set (id, id@version or a file): each rule beside the sentence it quotes."""
    from ..authoring.diff import resolve
    from ..authoring.docs import to_html, to_markdown

    if output:
        _output_or_fail(output, ruleset)
    try:
        document = (to_html if fmt == "html" else to_markdown)(resolve(ruleset))
    except SpsRulesError as exc:
        _fail(str(exc).replace("\n", "; "))
    if output:
        try:
            write_atomic(output, document, what="document")
        except SpsRulesError as exc:
            _fail(str(exc))
    else:
        click.echo(document, nl=False)
