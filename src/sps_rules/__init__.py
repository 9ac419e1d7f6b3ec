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

from .audit.explain import Format, explain
from .audit.records import DecisionRecord, Difference, ReplayResult, read_record, record, replay
from .audit.whynot import Change, WhyNot, why_not
from .engine.evaluator import FactsInput, RuleSet
from .engine.registry import evaluate, list_rulesets, load_ruleset, load_ruleset_file, load_ruleset_version
from .model.decision import Decision
from .model.errors import FactsError, Problem, RecordError, RuleFileError, RuleSetNotFound, SpsRulesError, UnknownFormat
from .model.facts import CitizenFacts, FunctionLevels
from .version import __version__

__all__ = [
    "Change",
    "CitizenFacts",
    "Decision",
    "DecisionRecord",
    "Difference",
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
