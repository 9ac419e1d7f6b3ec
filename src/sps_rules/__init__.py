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

from .decision import Decision
from .errors import FactsError, Problem, RuleFileError, RuleSetNotFound, SpsRulesError
from .evaluator import FactsInput, RuleSet, coerce_facts
from .facts import CitizenFacts, FunctionLevels
from .loader import LoadedRuleSet, load_file, ruleset_ids, rules_root, select, versions
from .version import __version__

__all__ = [
    "CitizenFacts",
    "Decision",
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
