"""Lean output: compact JSON from cached fragments, cached version lookup, lazy imports, libyaml."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

import sps_rules
from sps_rules.engine import registry, yamlsafe
from sps_rules.model import fragments
from sps_rules.model.population import citizens

from .conftest import RULES


@pytest.mark.parametrize("municipality", ["roskilde", "gentofte", "faaborg_midtfyn"])
def test_compact_json_from_fragments_equals_pydantic(municipality: str) -> None:
    ruleset = sps_rules.load_ruleset(municipality)
    for facts in citizens(1500, seed=21, assessment_date=ruleset.valid_from, unknown_share=0.3):
        decision = ruleset.evaluate(facts, check_dates=False)
        assert decision.to_json(indent=None) == decision.model_dump_json()
        assert decision.to_json_bytes() == decision.model_dump_json().encode("utf-8")
    assert decision.to_json() == decision.model_dump_json(indent=2)


def test_the_fragment_cache_stays_bounded_and_correct_after_it_starts_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fragments, "LIMIT", 40)
    for cache in (fragments._BYTES, fragments._TEXT):
        cache.texts.clear()
        cache.alive.clear()
    ruleset = sps_rules.load_ruleset("roskilde")
    for facts in citizens(200, seed=2, assessment_date=ruleset.valid_from):
        decision = ruleset.evaluate(facts, check_dates=False)
        assert decision.to_json(indent=None) == decision.model_dump_json()
        assert decision.to_json_bytes() == decision.model_dump_json().encode("utf-8")
        assert len(fragments._BYTES.alive) <= 40 and len(fragments._TEXT.alive) <= 40


def _copy_rules(tmp_path: Path) -> Path:
    root = tmp_path / "rules"
    for name in ("national", "gentofte"):
        shutil.copytree(RULES / name, root / name)
    return root


def test_version_lookup_is_cached_until_a_file_changes(tmp_path: Path) -> None:
    root = _copy_rules(tmp_path)
    first = sps_rules.load_ruleset("gentofte", date(2023, 1, 1), root=root)
    assert sps_rules.load_ruleset("gentofte", date(2023, 1, 1), root=root) is first
    assert registry.cached_versions("gentofte", root) is registry.cached_versions("gentofte", root)

    newest = root / "gentofte" / "gentofte-2022-01.yaml"
    text = newest.read_text(encoding="utf-8")
    newest.write_text(text.replace('title: "Kvalitetsstandard:', 'title: "Ændret kvalitetsstandard:', 1), encoding="utf-8")
    os.utime(newest, ns=(1, 1))  # a different time even on coarse clocks
    changed = sps_rules.load_ruleset("gentofte", date(2023, 1, 1), root=root)
    assert changed is not first and changed.title.startswith("Ændret ")

    (root / "gentofte" / "gentofte-2014-06.yaml").unlink()  # a removed version is seen too
    with pytest.raises(sps_rules.RuleSetNotFound, match="no version of rule set 'gentofte' applies on 2016-05-10"):
        sps_rules.load_ruleset("gentofte", date(2016, 5, 10), root=root)


def test_a_changed_baseline_reloads_the_rule_sets_built_on_it(tmp_path: Path) -> None:
    root = _copy_rules(tmp_path)
    first = sps_rules.load_ruleset("gentofte", root=root)
    national = root / "national" / "national-2021-08.yaml"
    national.write_text(national.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    os.utime(national, ns=(1, 1))
    again = sps_rules.load_ruleset("gentofte", root=root)
    assert again.loaded is not first.loaded  # reloaded; same content, so the same sha256
    assert again.sha256 == first.sha256


def test_import_sps_rules_loads_nothing_the_first_call_does_not_need() -> None:
    code = ("import sys, sps_rules; heavy = [m for m in ('pydantic', 'yaml', 'holidays', 'durable_rules_engine', "
            "'sps_rules.audit.records', 'sps_rules.authoring.validate') if m in sys.modules]; print(heavy); "
            "sps_rules.evaluate('roskilde', {'assessment_date': '2026-03-02'}); "
            "print(sorted(m for m in ('holidays', 'sps_rules.audit.records', 'sps_rules.authoring.validate') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120).stdout
    assert out.splitlines() == ["[]", "[]"]


def test_every_public_name_resolves() -> None:
    for name in sps_rules.__all__:
        assert getattr(sps_rules, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        sps_rules.nope  # noqa: B018


@pytest.mark.skipif(not hasattr(yaml, "CSafeLoader"), reason="PyYAML without libyaml")
def test_libyaml_and_pure_python_give_the_same_data_and_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    for path in sorted(RULES.rglob("*.yaml")):
        raw = path.read_bytes()
        fast = yamlsafe.parse_yaml(raw, path.name, allow_aliases=path.parent.name == "tests")
        monkeypatch.setattr(yamlsafe, "_EventLoader", yaml.SafeLoader)
        slow = yamlsafe.parse_yaml(raw, path.name, allow_aliases=path.parent.name == "tests")
        monkeypatch.undo()
        assert fast == slow, path
    assert yamlsafe._EventLoader is yaml.CSafeLoader
