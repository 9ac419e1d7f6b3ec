"""Every public function says what it takes, returns and raises, with an example that runs."""

from __future__ import annotations

import doctest
import inspect
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import sps_rules
from sps_rules.audit import explain as explain_module
from sps_rules.model import decision as decision_module
from sps_rules.model import labels, markdown

from .conftest import ROOT

PUBLIC_FUNCTIONS = sorted(name for name in sps_rules.__all__ if inspect.isfunction(getattr(sps_rules, name)))
# Beyond the public functions: the methods and helpers whose docstrings carry examples.
MORE: dict[str, Any] = {
    "RuleSet.evaluate": sps_rules.RuleSet.evaluate,
    "Part": decision_module.Part,
    "summary": explain_module.summary,
    "labels": labels,
    "markdown": markdown,
    "sps_rules": sps_rules,
}


def test_the_public_functions_are_the_expected_ones() -> None:
    assert PUBLIC_FUNCTIONS == ["evaluate", "explain", "list_rulesets", "load_ruleset", "load_ruleset_file",
                                "load_ruleset_version", "read_record", "record", "replay", "why_not"]


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS)
def test_docstring_says_what_it_takes_returns_and_raises(name: str) -> None:
    doc = inspect.getdoc(getattr(sps_rules, name)) or ""
    for word in ("Takes", "Returns", "Raises", ">>>"):
        assert word in doc, f"sps_rules.{name}: the docstring does not say {word!r}"


@pytest.mark.parametrize("name", PUBLIC_FUNCTIONS + sorted(MORE))
def test_docstring_examples_run(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # examples name files such as examples/roskilde-citizen.json
    obj = MORE.get(name) or getattr(sps_rules, name)
    module = inspect.getmodule(obj)
    globs = {**vars(module), "sps_rules": sps_rules, "date": date, "Path": Path}
    finder = doctest.DocTestFinder(recurse=inspect.ismodule(obj))
    tests = [t for t in finder.find(obj, name, globs=globs) if t.examples]
    assert tests, f"{name}: no example in the docstring"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0, f"{name}: an example in the docstring fails (see above)"
