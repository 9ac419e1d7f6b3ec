"""YAML test cases for rule sets, in the style of OpenFisca's: facts in, expected parts of the decision out.

A case file (``rules/<ruleset>/tests/*.yaml``) is a list of cases::

    - name: Borger på 17 år er ikke i målgruppen
      source: "er over 18 år og bosiddende i Roskilde Kommune"   # the sentence the case comes from
      facts: {assessment_date: 2026-03-02, birth_date: 2009-01-01}
      expect:
        eligibility: not_eligible
        criteria: {target.age: not_met}

Only what ``expect`` names is checked. Mappings (criteria, needs, requests, support_forms)
are checked key by key; ``exclusions``, ``conditions``, ``assessments`` and ``missing_facts``
are exact sets; ``referrals`` lists names of places referred to that must be present;
``deadlines`` lists deadlines that must be present (by kind, with due/earliest if given);
``fired`` and ``not_fired`` list rule ids.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..engine.yamlsafe import location, read_yaml
from ..model.decision import Decision
from ..model.errors import FactsError, Problem, RuleFileError, SpsRulesError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ExpectedDeadline(_Strict):
    kind: str
    due: date | None = None
    earliest: date | None = None
    status: Literal["computed", "missing_anchor"] | None = None


class Expect(_Strict):
    eligibility: Literal["eligible", "not_eligible", "undetermined"] | None = None
    criteria: dict[str, Literal["met", "not_met", "unknown"]] | None = None
    missing_facts: list[str] | None = None
    needs: dict[str, Literal["listed", "not_listed", "excluded"]] | None = None
    requests: dict[str, Literal["included", "excluded", "not_addressed"]] | None = None
    support_forms: dict[str, Literal["default", "permitted", "exception"]] | None = None
    no_support_forms: bool | None = None
    exclusions: list[str] | None = None
    referrals: list[str] | None = None
    no_referrals: bool | None = None
    conditions: list[str] | None = None
    assessments: list[str] | None = None
    deadlines: list[ExpectedDeadline] | None = None
    no_deadlines_of_kind: list[str] | None = None
    fired: list[str] | None = None
    not_fired: list[str] | None = None


class Case(_Strict):
    name: str = Field(min_length=3)
    source: str | None = Field(default=None, description="The sentence of the standard the case comes from.")
    ruleset: str | None = Field(default=None, description="Defaults to the folder the case file lies in.")
    version: str | None = Field(default=None, description="Pin a version; by default the assessment date picks it.")
    facts: dict[str, Any]
    expect: Expect


@dataclass
class CaseResult:
    file: str
    line: int
    case: Case
    failures: list[str] = field(default_factory=list)
    decision: Decision | None = None
    carried_to: str | None = None  # a later version the case carried over to (see run_all)

    @property
    def passed(self) -> bool:
        return not self.failures


def load_cases(path: Path) -> list[tuple[Case, int]]:
    """The cases of one file with their line numbers; RuleFileError names file:line on bad input."""
    data, lines = read_yaml(path, allow_aliases=True)
    if not isinstance(data, list):
        raise RuleFileError([Problem(str(path), 1, 1, "a test-case file is a list of cases (each starting with '- name:')")])
    cases = []
    problems = []
    for i, item in enumerate(data):
        try:
            cases.append((Case.model_validate(item), location(lines, (i,))[0]))
        except ValidationError as exc:
            for err in exc.errors():
                line, col = location(lines, (i, *err["loc"]))
                loc = ".".join(str(p) for p in err["loc"])
                msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
                problems.append(Problem(str(path), line, col, f"case {i + 1}: {loc}: {msg}"))
    if problems:
        raise RuleFileError(problems)
    return cases


def case_files(root: Path, ruleset: str | None = None) -> list[Path]:
    folders = [root / ruleset] if ruleset else sorted(p for p in root.iterdir() if p.is_dir())
    return [f for folder in folders for f in sorted((folder / "tests").glob("*.yaml"))]


def run_case(case: Case, *, default_ruleset: str, file: str, line: int, root: Path | None = None) -> CaseResult:
    from ..engine.registry import load_ruleset

    result = CaseResult(file=file, line=line, case=case)
    ruleset_id = case.ruleset or default_ruleset
    try:
        from ..engine.evaluator import coerce_facts

        facts = coerce_facts(case.facts, source=f"{file}:{line}")
        if case.version:
            from ..engine.loader import versions

            match = [v for v in versions(ruleset_id, root) if v.version == case.version]
            if not match:
                raise SpsRulesError(f"rule set {ruleset_id!r} has no version {case.version!r}")
            from ..engine.registry import ruleset_for

            ruleset = ruleset_for(match[0])
            decision = ruleset.evaluate(facts, check_dates=False)
        else:
            decision = load_ruleset(ruleset_id, facts.assessment_date, root=root).evaluate(facts)
    except (FactsError, SpsRulesError) as exc:
        result.failures.append(f"evaluation failed: {exc}")
        return result
    result.decision = decision
    result.failures.extend(compare(case.expect, decision))
    return result


def compare(expect: Expect, d: Decision) -> list[str]:
    """Readable differences between what a case expects and what the decision says."""
    out: list[str] = []

    def check_map(name: str, wanted: Mapping[str, str] | None, actual: Mapping[str, str]) -> None:
        for key, value in (wanted or {}).items():
            got = actual.get(key, "(absent)")
            if got != value:
                out.append(f"{name}.{key}: expected {value}, got {got}")

    def check_set(name: str, wanted: list[str] | None, actual: list[str]) -> None:
        if wanted is not None and sorted(set(wanted)) != sorted(set(actual)):
            missing = sorted(set(wanted) - set(actual))
            extra = sorted(set(actual) - set(wanted))
            out.append(f"{name}: expected {sorted(set(wanted))}, got {sorted(set(actual))}"
                       + (f" (missing {missing})" if missing else "") + (f" (unexpected {extra})" if extra else ""))

    if expect.eligibility and expect.eligibility != d.eligibility:
        out.append(f"eligibility: expected {expect.eligibility}, got {d.eligibility}")
    check_map("criteria", expect.criteria, {c.id: c.status for c in d.criteria})
    check_set("missing_facts", expect.missing_facts, d.missing_facts)
    check_map("needs", expect.needs, {n.need: n.status for n in d.needs})
    check_map("requests", expect.requests, {r.request: r.status for r in d.requests})
    check_map("support_forms", expect.support_forms, {f.form: f.status for f in d.support_forms})
    if expect.no_support_forms and d.support_forms:
        out.append(f"support_forms: expected none, got {[f.form for f in d.support_forms]}")
    check_set("exclusions", expect.exclusions, [e.request for e in d.exclusions])
    for to in expect.referrals or []:
        if not any(to in r.to for r in d.referrals):
            out.append(f"referrals: expected one to {to!r}, got {[r.to for r in d.referrals]}")
    if expect.no_referrals and d.referrals:
        out.append(f"referrals: expected none, got {[r.to for r in d.referrals]}")
    check_set("conditions", expect.conditions, [c.id for c in d.conditions])
    check_set("assessments", expect.assessments, [a.id for a in d.assessments])
    for wanted in expect.deadlines or []:
        candidates = [x for x in d.deadlines if x.kind == wanted.kind]
        ok = any(
            (wanted.due is None or x.due == wanted.due)
            and (wanted.earliest is None or x.earliest == wanted.earliest)
            and (wanted.status is None or x.status == wanted.status)
            for x in candidates
        )
        if not ok:
            shown = [f"{x.kind} due {x.due} earliest {x.earliest} ({x.status})" for x in candidates] or ["none"]
            out.append(f"deadlines: expected {wanted.kind} due {wanted.due} earliest {wanted.earliest}; got {', '.join(shown)}")
    for kind in expect.no_deadlines_of_kind or []:
        if any(x.kind == kind for x in d.deadlines):
            out.append(f"deadlines: expected no {kind} deadline, got one")
    fired = {t.rule_id for t in d.trace if t.fired}
    for rule_id in expect.fired or []:
        if rule_id not in fired:
            out.append(f"fired: expected rule {rule_id} to fire; it did not")
    for rule_id in expect.not_fired or []:
        if rule_id in fired:
            out.append(f"not_fired: expected rule {rule_id} not to fire; it did")
    return out


def run_on_version(version_file: Path, root: Path) -> list[CaseResult]:
    """The folder's cases run on one version file (a draft, typically), whatever their dates say.

    Cases pinned to another version are left out; every other case runs on this version, so a draft
    is tested against the cases its predecessor passes, and each outcome that changes is a failure
    that shows expected against actual.
    """
    from ..engine.evaluator import coerce_facts
    from ..engine.loader import load_file
    from ..engine.registry import ruleset_for

    loaded = load_file(version_file, root=root)
    ruleset = ruleset_for(loaded)
    results = []
    for path in case_files(root, loaded.id):
        for case, line in load_cases(path):
            if (case.ruleset or loaded.id) != loaded.id or case.version not in (None, loaded.version):
                continue
            result = CaseResult(file=str(path), line=line, case=case)
            try:
                decision = ruleset.evaluate(coerce_facts(case.facts, source=f"{path}:{line}"), check_dates=False)
            except (FactsError, SpsRulesError) as exc:
                result.failures.append(f"evaluation failed: {exc}")
            else:
                result.decision = decision
                result.failures.extend(compare(case.expect, decision))
            results.append(result)
    return results


def run_all(root: Path, ruleset: str | None = None) -> list[CaseResult]:
    """Every case under ``root`` (or one rule set), each on the version its assessment date selects;
    an unpinned case also carries over to every later released version that builds on that version
    (made by new-version), so a new version inherits its predecessor's cases with its rules. A case
    that no longer holds there says so with ``version:``."""
    results = []
    for path in case_files(root, ruleset):
        for case, line in load_cases(path):
            result = run_case(case, default_ruleset=path.parent.parent.name, file=str(path), line=line, root=root)
            results.append(result)
            if result.decision is not None and case.version is None:
                results += _carry_over(result, root)
    return results


def _carry_over(result: CaseResult, root: Path) -> list[CaseResult]:
    from ..engine.loader import versions
    from ..engine.registry import ruleset_for

    assert result.decision is not None
    ref = result.decision.ruleset
    out = []
    for later in versions(ref.id, root):
        base = later.base
        while base is not None and not (base.id == ref.id and base.version == ref.version):
            base = base.base
        if base is None or not later.header.released:
            continue
        carried = CaseResult(file=result.file, line=result.line, case=result.case, carried_to=later.version)
        decision = ruleset_for(later).evaluate(result.case.facts, check_dates=False)
        carried.decision = decision
        carried.failures.extend(compare(result.case.expect, decision))
        out.append(carried)
    return out


# --- coverage: per rule and per sentence of the source text ------------------------------------

_RELEVANT = ("skal", "kan ", "ikke", "målgruppe", "omfatter", "bevilg", "frist", "klage", "måned", "uge", "opfølg",
             "18 år", "ledsag", "udgift", "betal", "vælge", "leverand", "henvis", "varetages")


@dataclass
class Coverage:
    ruleset: str
    version: str
    rules_total: int
    rules_unexercised: list[str]
    cited_unexercised: list[str]  # sentences cited only by rules no case makes fire
    uncited: list[str]  # decision-relevant sentences no rule cites

    @property
    def rules_exercised(self) -> int:
        return self.rules_total - len(self.rules_unexercised)


def sentences(text: str) -> list[str]:
    """The sentences of a source text, folded, for coverage (bullets and lines split too)."""
    from ..engine.loaded import fold

    parts = re.split(r"[\n•\uf0b7]|(?<=[.!?])\s+", text)
    return [s for s in (fold(p) for p in parts) if len(s) >= 25]


def coverage(results: list[CaseResult], root: Path | None = None,
             required: set[tuple[str, str]] | None = None) -> list[Coverage]:
    """Coverage of each version a case reached, and of each ``required`` version (by default the
    version of each tested rule set that applies today, i.e. its newest released one)."""
    from ..engine.loaded import fold
    from ..engine.registry import list_rulesets

    fired: dict[tuple[str, str], set[str]] = {}
    for result in results:
        if result.decision is not None:
            key = (result.decision.ruleset.id, result.decision.ruleset.version)
            fired.setdefault(key, set()).update(t.rule_id for t in result.decision.trace if t.fired)
    tested = {r.decision.ruleset.id for r in results if r.decision is not None}
    if required is None:
        newest: dict[str, str] = {}
        for rs in list_rulesets(root):
            if rs.id in tested and rs.loaded.header.released:
                newest[rs.id] = rs.version
        required = set(newest.items())
    out = []
    for rs in list_rulesets(root):
        if (rs.id, rs.version) not in fired and (rs.id, rs.version) not in required:
            continue
        hit = fired.get((rs.id, rs.version), set())
        own = [r for r in rs.loaded.rules if r.origin == rs.id]
        unexercised = [r.rule.id for r in own if r.rule.id not in hit]
        quotes_hit = [fold(r.rule.source.quote) for r in own if r.rule.id in hit]
        quotes_all = [fold(r.rule.source.quote) for r in own]
        cited_unexercised: list[str] = []
        uncited: list[str] = []
        for doc in {r.document.file: r.document for r in own}.values():
            for sentence in sentences(doc.text):
                cited = [q for q in quotes_all if q in sentence or sentence in q]
                if not cited:
                    if any(k in sentence.lower() for k in _RELEVANT):
                        uncited.append(sentence)
                elif not any(q in sentence or sentence in q for q in quotes_hit):
                    cited_unexercised.append(sentence)
        out.append(Coverage(rs.id, rs.version, len(own), unexercised, cited_unexercised, uncited))
    return out


def run_path(path: Path) -> tuple[list[CaseResult], Path]:
    """Run the cases under a rules folder, one rule-set folder, or one case file; or, given a rule
    file (a draft), run its rule set's cases on that version. Returns results and root."""
    path = path.resolve()
    if path.is_file() and path.parent.name != "tests":
        root = path.parent.parent
        return run_on_version(path, root), root
    if path.is_file():
        folder = path.parent.parent
        root = folder.parent
        results = [run_case(case, default_ruleset=folder.name, file=str(path), line=line, root=root)
                   for case, line in load_cases(path)]
        return results, root
    if (path / "tests").is_dir() or any(path.glob("*.yaml")):
        return run_all(path.parent, path.name), path.parent
    return run_all(path), path


def cases_json_schema() -> dict[str, Any]:
    """The JSON Schema of a test-case file (a list of cases), for editors."""
    from pydantic import TypeAdapter

    schema = TypeAdapter(list[Case]).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "sps-rules test cases"
    return schema
