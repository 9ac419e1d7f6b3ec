"""sps-rules: municipal quality standards for socialpædagogisk støtte as cited, versioned rules.

The pipeline: load + validate (``loader``) -> compile (``compiler``) -> evaluate
(``evaluator``) -> decision (``decision``).

>>> import sps_rules
>>> decision = sps_rules.evaluate("roskilde", {"assessment_date": "2026-03-02", "birth_date": "1990-05-01"})
>>> decision.eligibility
'undetermined'
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

from datetime import datetime

from .decision import Decision
from .errors import FactsError, Problem, RecordError, RuleFileError, RuleSetNotFound, SpsRulesError
from .evaluator import FactsInput, RuleSet, coerce_facts
from .facts import CitizenFacts, FunctionLevels
from .loader import LoadedRuleSet, load_file, ruleset_ids, rules_root, select, versions
from .records import DecisionRecord, Difference, ReplayResult, make_record, read_record, replay
from .render import Format
from .render import explain as _render
from .version import __version__
from .whynot import Change, WhyNot
from .whynot import why_not as _why_not

__all__ = [
    "Change",
    "CitizenFacts",
    "Decision",
    "DecisionRecord",
    "Difference",
    "RecordError",
    "ReplayResult",
    "WhyNot",
    "explain",
    "read_record",
    "record",
    "replay",
    "why_not",
    "FactsError",
    "FunctionLevels",
    "Problem",
    "RuleFileError",
    "RuleSet",
    "RuleSetNotFound",
    "SpsRulesError",
    "__version__",
    "evaluate",
    "list_rulesets",
    "load_ruleset",
    "load_ruleset_file",
]

_rulesets: dict[str, RuleSet] = {}
_lock = threading.Lock()


def _ruleset(loaded: LoadedRuleSet) -> RuleSet:
    with _lock:
        found = _rulesets.get(loaded.sha256)
        if found is None or found.loaded is not loaded:
            found = RuleSet(loaded)
            _rulesets[loaded.sha256] = found
        return found


def load_ruleset(municipality: str, on: date | None = None, *, root: Path | str | None = None) -> RuleSet:
    """The version of a municipality's rule set that applies on ``on`` (the newest if None).

    Raises RuleSetNotFound if there is no such rule set or version, RuleFileError if its
    files are invalid.
    """
    base = Path(root) if root is not None else None
    if on is None:
        loaded = versions(municipality, base)[-1]
    else:
        loaded = select(municipality, on, base)
    return _ruleset(loaded)


def load_ruleset_file(path: Path | str) -> RuleSet:
    """A rule set from one file, e.g. a draft a policy officer is editing."""
    return _ruleset(load_file(path))


def evaluate(municipality: str, facts: FactsInput, *, root: Path | str | None = None) -> Decision:
    """The decision for one citizen under the version that applies on their assessment date."""
    citizen = coerce_facts(facts)
    return load_ruleset(municipality, citizen.assessment_date, root=root).evaluate(citizen)


def list_rulesets(root: Path | str | None = None) -> list[RuleSet]:
    """Every version of every rule set, grouped by rule set, oldest version first."""
    base = Path(root) if root is not None else rules_root()
    return [_ruleset(v) for rid in ruleset_ids(base) for v in versions(rid, base)]


def load_ruleset_version(ruleset_id: str, version: str, *, root: Path | str | None = None) -> RuleSet:
    """Exactly the named version of a rule set (no date lookup); RuleSetNotFound if it does not exist."""
    base = Path(root) if root is not None else None
    for loaded in versions(ruleset_id, base):
        if loaded.version == version:
            return _ruleset(loaded)
    raise RuleSetNotFound(f"rule set {ruleset_id!r} has no version {version!r}")


def record(municipality: str, facts: FactsInput, *, created_at: datetime | None = None,
           root: Path | str | None = None) -> DecisionRecord:
    """Evaluate and return a self-contained, hashed decision record (write it with ``.to_json()``)."""
    citizen = coerce_facts(facts)
    return make_record(load_ruleset(municipality, citizen.assessment_date, root=root), facts, created_at=created_at)


def why_not(municipality: str, facts: FactsInput, *, root: Path | str | None = None) -> WhyNot:
    """For a not_eligible or undetermined outcome: the deciding facts and the single changes that alter it."""
    citizen = coerce_facts(facts)
    return _why_not(load_ruleset(municipality, citizen.assessment_date, root=root), citizen)


def explain(source: Decision | DecisionRecord, *, format: Format = "text", why_not: bool = False,
            facts: FactsInput | None = None) -> str:
    """Danish reasons for a decision (or a record's decision) as text, Markdown or HTML.

    With ``why_not``, the facts that decide a negative or open outcome and the changes that
    would alter it are added; they come from re-evaluating under the same rule-set version,
    so they need the facts (a record carries them).
    """
    if isinstance(source, DecisionRecord):
        decision = Decision.model_validate(source.decision)
        facts = source.facts if facts is None else facts
    else:
        decision = source
    analysis = None
    if why_not and decision.eligibility != "eligible":
        if facts is None:
            raise ValueError("why_not needs the facts: pass facts=..., or explain a DecisionRecord")
        ruleset = load_ruleset_version(decision.ruleset.id, decision.ruleset.version)
        analysis = _why_not(ruleset, facts)
    return _render(decision, format=format, why=analysis)
