"""sps-rules: municipal quality standards for socialpædagogisk støtte as cited, versioned rules.

The package is a pipeline, one subpackage per stage, each importing only from those before it:
``model`` (facts, decision, rule-file schema, errors) -> ``engine`` (load, compile, evaluate) ->
``audit`` (record, replay, explain, why-not) -> ``authoring`` (validate, test, compare, diff,
documents) -> ``run`` (batch, bench) -> ``cli``. This module is the public API and nothing else.

>>> import sps_rules
>>> decision = sps_rules.evaluate("roskilde", {"assessment_date": "2026-03-02", "birth_date": "1990-05-01"})
>>> decision.eligibility
'undetermined'
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .version import __version__

if TYPE_CHECKING:
    from .audit.explain import Format, explain
    from .audit.records import DecisionRecord, Difference, ReplayResult, read_record, record, replay
    from .audit.whynot import Change, WhyNot, why_not
    from .engine.evaluator import FactsInput, RuleSet
    from .engine.registry import evaluate, list_rulesets, load_ruleset, load_ruleset_file, load_ruleset_version
    from .model.decision import Decision
    from .model.errors import (EngineUnavailable, FactsError, Problem, RecordError, RuleFileError, RuleSetNotFound,
                               SpsRulesError, UnknownFormat)
    from .model.facts import CitizenFacts, FunctionLevels

#: Where each public name lives. They are imported on first use, so that ``import sps_rules``
#: stays fast and a first decision loads only what it needs (not the audit and authoring tools).
_PUBLIC = {
    "Change": ".audit.whynot",
    "CitizenFacts": ".model.facts",
    "Decision": ".model.decision",
    "DecisionRecord": ".audit.records",
    "Difference": ".audit.records",
    "EngineUnavailable": ".model.errors",
    "FactsError": ".model.errors",
    "FactsInput": ".engine.evaluator",
    "Format": ".audit.explain",
    "FunctionLevels": ".model.facts",
    "Problem": ".model.errors",
    "RecordError": ".model.errors",
    "ReplayResult": ".audit.records",
    "RuleFileError": ".model.errors",
    "RuleSet": ".engine.evaluator",
    "RuleSetNotFound": ".model.errors",
    "SpsRulesError": ".model.errors",
    "UnknownFormat": ".model.errors",
    "WhyNot": ".audit.whynot",
    "evaluate": ".engine.registry",
    "explain": ".audit.explain",
    "list_rulesets": ".engine.registry",
    "load_ruleset": ".engine.registry",
    "load_ruleset_file": ".engine.registry",
    "load_ruleset_version": ".engine.registry",
    "read_record": ".audit.records",
    "record": ".audit.records",
    "replay": ".audit.records",
    "why_not": ".audit.whynot",
}


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'sps_rules' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Change",
    "CitizenFacts",
    "Decision",
    "DecisionRecord",
    "Difference",
    "EngineUnavailable",
    "FactsError",
    "FactsInput",
    "Format",
    "FunctionLevels",
    "Problem",
    "RecordError",
    "ReplayResult",
    "RuleFileError",
    "RuleSet",
    "RuleSetNotFound",
    "SpsRulesError",
    "UnknownFormat",
    "WhyNot",
    "__version__",
    "evaluate",
    "explain",
    "list_rulesets",
    "load_ruleset",
    "load_ruleset_file",
    "load_ruleset_version",
    "read_record",
    "record",
    "replay",
    "why_not",
]
