"""``sps-rules validate``: everything wrong with rule files, as ``file:line:col: message (hint)``.

Beyond loading (schema, facts, codes, verbatim quotes, ids, overrides, overlapping versions),
it runs each rule set over a seeded population of citizens through the real engine, and reports:

- unreachable conclusions: a rule that no citizen makes apply;
- contradictory conclusions: one citizen given the same support form with two statuses;
- a threshold (at_least, at_most, ...) in a rule without an ``interpretation``;
- a sentence of the rule set's own source texts that no rule cites and that is not listed under
  ``not_decision_relevant`` (an error for a released, shipped rule set, else a warning);
- any citizen for whom the two engines (the compiled rule set and durable-rules) disagree.

Test-case files under ``tests/`` are checked too.

``draft_findings`` checks a draft's text (the service's ``/v1/validate``, the workbench's
markers); its quick pass leaves out the population run (the first two checks and the last:
reachability, contradictions and the two-engine cross-check) and words everything else alike.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..engine.evaluator import Engine, RuleSet
from ..engine.loaded import LoadedRuleSet
from ..engine.loader import _display, load_file, load_text, rules_root, versions
from ..engine.yamlsafe import LineMap, location, parse_yaml, read_yaml
from ..model.errors import EngineUnavailable, Problem, RuleFileError, RuleSetNotFound
from ..model.population import citizens
from ..model.schema import fact_tests
from .coverage import account
from .release import check_lock
from .testcases import load_cases

POPULATION = 1500
Checks = Literal["quick", "full"]
YIELD_EVERY = 4  # citizens of the population run between two hand-overs of the GIL
THRESHOLDS = {"at_least", "at_most", "greater_than", "less_than"}


@dataclass(frozen=True)
class Finding:
    severity: Literal["error", "warning"]
    problem: Problem

    def __str__(self) -> str:
        return f"{self.severity}: {self.problem}" if self.severity == "warning" else str(self.problem)

    def as_dict(self) -> dict[str, Any]:
        return {"severity": self.severity, **self.problem.as_dict()}


def validate(path: Path | str, *, engine: Engine = "compiled") -> list[Finding]:
    """Every finding for a rule file, a rule-set folder, or a folder of rule sets.

    ``engine`` decides the population's decisions for reachability; both engines always run
    on every citizen and any difference between them is an error.
    """
    path = Path(path)
    if not path.exists():
        return [Finding("error", Problem(str(path), 0, 0, "no such file or folder"))]
    findings: list[Finding] = []
    rule_files, case_files = _files(path)
    if not rule_files and not case_files:
        findings.append(Finding("error", Problem(str(path), 0, 0, "no rule files (*.yaml) found here")))
    loaded_ok: list[LoadedRuleSet] = []
    for file in rule_files:
        try:
            loaded_ok.append(load_file(file))
        except RuleFileError as exc:
            findings += [Finding("error", p) for p in exc.problems]
    for folder in sorted({f.parent for f in rule_files}):
        try:
            versions(folder.name, folder.parent)
        except (RuleFileError, RuleSetNotFound) as exc:
            problems = exc.problems if isinstance(exc, RuleFileError) else (Problem(str(folder), 0, 0, str(exc)),)
            findings += [Finding("error", p) for p in problems if str(p) not in {str(f.problem) for f in findings}]
        findings += [Finding("error", p) for p in check_lock(folder.name, folder.parent)]  # frozen releases
    for loaded in loaded_ok:
        findings += _interpretation_warnings(loaded)
        findings += _reachability(loaded, engine)
        findings += sentence_findings(loaded)
    for file in case_files:
        try:
            load_cases(file)
        except RuleFileError as exc:
            findings += [Finding("error", p) for p in exc.problems]
    return findings


def draft_findings(text: str, path: Path, *, root: Path, checks: Checks = "full",
                   engine: Engine = "compiled") -> list[Finding]:
    """Every finding for a draft's text as if it stood at ``path`` (nothing is read there or written).

    ``"full"``: what ``validate`` finds for the file (loading: schema, meaning, verbatim quotes;
    thresholds without an interpretation; uncited sentences; then the population run).
    ``"quick"``: the same without the population run, in tens of milliseconds rather than
    hundreds; each finding it reports is worded exactly as in the full pass, which lists it first.
    """
    try:
        loaded = load_text(text, path, root=root)
    except RuleFileError as exc:
        return [Finding("error", p) for p in exc.problems]
    _, lines = parse_yaml(text.encode("utf-8"), _display(path))  # it loaded, so it parses
    findings = _interpretation_warnings(loaded) + sentence_findings(loaded, lines=lines)
    if checks == "full":
        findings += _reachability(loaded, engine, share_cpu=True)
    return findings


def _files(path: Path) -> tuple[list[Path], list[Path]]:
    if path.is_file():
        return ([], [path]) if path.parent.name == "tests" else ([path], [])
    rule_files: list[Path] = []
    case_files: list[Path] = []
    for file in sorted(path.rglob("*.yaml")):
        (case_files if file.parent.name == "tests" else rule_files).append(file)
    return rule_files, case_files


def sentence_findings(loaded: LoadedRuleSet, *, lines: LineMap | None = None) -> list[Finding]:
    """Sentences of the rule set's own sources that are neither cited nor listed as not decision-relevant.

    Errors for a released rule set among the shipped ones (the rules folder in use), warnings for
    a draft or a rule set elsewhere, so that accounting can be completed while a file is written.
    ``lines`` locates the findings in a text that is not (or not yet) the file on disk.
    """
    shipped = loaded.path.resolve().is_relative_to(rules_root().resolve())
    severity: Literal["error", "warning"] = "error" if loaded.header.released and shipped else "warning"
    if lines is None:
        try:
            _, lines = read_yaml(loaded.path)
        except RuleFileError:
            lines = None
    index = {ref.id: i for i, ref in enumerate(loaded.header.sources)}
    out = []
    for doc in account(loaded):
        line, col = location(lines, ("ruleset", "sources", index[doc.document_id])) if lines else (0, 0)
        for sentence in doc.unaccounted:
            shown = sentence if len(sentence) <= 120 else sentence[:117] + "..."
            out.append(Finding(severity, Problem(
                _display(loaded.path), line, col,
                f"a sentence of {doc.file} is neither cited by a rule nor listed as not decision-relevant: {shown!r}",
                f"cite it in a rule's source or also, or list it under not_decision_relevant.{doc.document_id} "
                "with a one-line reason")))
    return out


def _interpretation_warnings(loaded: LoadedRuleSet) -> list[Finding]:
    out = []
    for item in loaded.rules:
        if item.origin != loaded.id or item.rule.interpretation:
            continue
        tests = [t for t in fact_tests(item.rule.when) if t.comparison in THRESHOLDS]  # refs carry their own
        if tests:
            out.append(Finding("warning", Problem(
                item.file, item.line, 5,
                f"rule {item.rule.id!r} uses a threshold ({tests[0].fact} {tests[0].comparison} {tests[0].value}) "
                "but says nothing about how it reads the standard",
                "add 'interpretation:' saying what the threshold stands for and why")))
    return out


def _reachability(loaded: LoadedRuleSet, engine: Engine = "compiled", *, share_cpu: bool = False) -> list[Finding]:
    """Rules no citizen of the population reaches, contradictions, and the engines' cross-check.

    The run holds the CPU for hundreds of milliseconds. With ``share_cpu`` (a draft checked in a
    service) it lets other threads run every few citizens (``time.sleep(0)`` releases the GIL):
    otherwise a quick pass asked meanwhile (the workbench's next pause in typing) waits out most
    of it, as each file it reads hands the GIL back and waits a whole switch interval to get it
    again (measured: 240 ms instead of 40; with the hand-overs about 55, for about 7 % more time
    in the run itself).
    """
    from ..engine.evaluator import coerce_facts
    from ..engine.registry import ruleset_for

    ruleset: RuleSet = ruleset_for(loaded)
    fired: set[str] = set()
    contradictions: dict[str, Problem] = {}
    engines: list[Finding] = []
    for number, facts in enumerate(citizens(POPULATION, seed=85, assessment_date=loaded.header.valid_from)):
        if share_cpu and number % YIELD_EVERY == 0:
            time.sleep(0)  # hand the GIL over; see _reachability's docstring
        citizen = coerce_facts(facts)
        if not engines:  # until the first finding
            engines = _cross_check(ruleset, loaded, citizen, number)
        decision = ruleset.evaluate(citizen, check_dates=False, engine=engine)
        fired.update(t.rule_id for t in decision.trace if t.fired)
        forms: dict[str, str] = {}
        for form in decision.support_forms:
            if form.form in forms and forms[form.form] != form.status and form.form not in contradictions:
                concluding = {r.rule.id: r for r in loaded.rules
                              if r.rule.support_form is not None and r.rule.support_form.form == form.form}
                rules = [t.rule_id for t in decision.trace if t.fired and t.rule_id in concluding]
                item = concluding[rules[0]]
                contradictions[form.form] = Problem(
                    item.file, item.line, 5,
                    f"contradictory conclusions: support form {form.form!r} is both {forms[form.form]} and "
                    f"{form.status} for the same citizen (rules {', '.join(rules)})",
                    "make the rules' 'when' conditions exclude each other")
            forms[form.form] = form.status
    out = engines + [Finding("error", p) for p in contradictions.values()]
    for item in loaded.rules:
        if item.origin == loaded.id and item.rule.id not in fired:
            out.append(Finding("error", Problem(
                item.file, item.line, 5,
                f"rule {item.rule.id!r} never applies: none of {POPULATION} varied citizens makes its condition "
                "true (with its when_eligibility)",
                "check the condition for a contradiction, e.g. at_least 3 together with at_most 2")))
    return out


def _cross_check(ruleset: RuleSet, loaded: LoadedRuleSet, citizen: Any, number: int) -> list[Finding]:
    """[] when the engines agree on this citizen; else one finding, after which the rest of the
    population is not cross-checked: an error naming the rules, or a warning that durable-rules
    cannot run this rule set."""
    try:
        differing = ruleset.disagreements(citizen)
    except EngineUnavailable as exc:
        return [Finding("warning", Problem(str(loaded.path), 0, 0, f"not cross-checked on durable-rules: {exc}"))]
    if not differing:
        return []
    item = next(r for r in loaded.rules if r.rule.id == differing[0])
    return [Finding("error", Problem(
        item.file, item.line, 5,
        f"the two engines disagree on rule(s) {', '.join(differing)} for generated citizen {number} "
        f"(seed 85): the compiled rule set and durable-rules give different results",
        "report this as a bug in sps-rules, with the rule file"))]
