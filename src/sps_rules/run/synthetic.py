"""Generated rule sets of any size, to measure and test how the engines scale.

``write_synthetic(folder, n)`` writes a rule set ``synth`` that builds on the shipped national
baseline and adds ``n`` rules whose conditions cycle through every kind of fact test (levels,
flags, slugs, code lists, dates, named definitions, all/any/not), each citing its own sentence
of a generated source text. It is plain data for measuring, never a real standard.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

from ..engine.loader import rules_root

_THEMES = ("physical_functions", "mental_functions", "self_care", "practical_tasks", "mobility", "communication",
           "relations", "community_life", "health_conditions", "social_conditions")
_FLAGS = ("special_social_problems", "can_participate_actively", "wants_to_participate", "can_participate_in_group",
          "need_met_by_less_intrusive_offer", "home_is_safe_workplace")
_NEEDS = ("daily_structure", "finances", "mail", "mobility", "social_relations", "network", "treatment")
_SLUGS = ("roskilde", "gentofte", "koege", "faaborg_midtfyn")


def _condition(i: int) -> str:
    theme, flag, need = _THEMES[i % 10], _FLAGS[i % 6], _NEEDS[i % 7]
    level = (i // 10) % 5
    shapes = (
        f"{{fact: function_levels.{theme}, at_least: {level}}}",
        f"{{fact: {flag}, equals: {'true' if i % 2 else 'false'}}}",
        f"{{all: [{{fact: support_need_level, at_most: {level}}}, {{fact: function_levels.{theme}, greater_than: 1}}]}}",
        f"{{any: [{{fact: needs, contains: {need}}}, {{not: {{fact: {flag}, equals: true}}}}]}}",
        f"{{fact: resident_municipality, one_of: [{_SLUGS[i % 4]}, {_SLUGS[(i + 1) % 4]}]}}",
        f"{{fact: age, less_than: {18 + i % 60}}}",
        "{ref: significantly_reduced_function}",
        f"{{fact: decision_notified_date, at_least: 2026-0{1 + i % 9}-1{i % 10}}}",
        f"{{not: {{fact: {flag}, known: true}}}}",
        f"{{fact: support_need_level, not_equals: {level}}}",
    )
    return shapes[i % len(shapes)]


def write_synthetic(folder: Path, n: int, conditions: Sequence[str] | None = None) -> Path:
    """Write rule sets ``national`` (copied) and ``synth`` (n rules) under ``folder``; the rule file's path.

    ``conditions`` (YAML flow text, one per rule, cycled) replaces the built-in shapes.
    """
    national = folder / "national"
    if not national.exists():
        shutil.copytree(rules_root() / "national", national, ignore=shutil.ignore_patterns("tests"))
    target = folder / "synth"
    (target / "source").mkdir(parents=True, exist_ok=True)
    sentences = [f"Punkt {i} gælder." for i in range(n)]
    (target / "source" / "synth.txt").write_text("Genereret standard\n\nPunkter\n\n" + "\n".join(sentences) + "\n",
                                                 encoding="utf-8")
    lines = [
        "ruleset:",
        "  id: synth",
        "  title: Genereret regelsæt til målinger",
        "  legal_basis: Serviceloven § 85",
        '  version: "1"',
        "  valid_from: 2022-01-01",
        '  extends: {ruleset: national, version: "2021-08"}',
        "  sources: [{id: synth, title: Genereret standard, file: source/synth.txt}]",
        "rules:",
    ]
    for i, sentence in enumerate(sentences):
        kind = "condition: {category: scope}" if i % 3 else "assessment: {}"
        gate = ", when_eligibility: [eligible]" if i % 7 == 3 else ""
        lines.append(f"  - {{id: r{i}, text: {sentence}, source: {{section: Punkter, quote: {sentence}}}, "
                     f"when: {conditions[i % len(conditions)] if conditions else _condition(i)}{gate}, {kind}}}")
    path = target / "synth-1.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
