"""Two versions side by side (``sps-rules diff``): rule-level changes and their impact on a population."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..engine.evaluator import RuleSet
from ..model import labels
from ..model.errors import RuleSetNotFound, SpsRulesError
from ..model.population import citizens
from .compare import ROWS, summarise


@dataclass
class RuleChange:
    rule_id: str
    change: str  # added | removed | changed
    parts: list[str] = field(default_factory=list)  # what changed: when, conclusion, source, text, ...


@dataclass
class Impact:
    population: int
    seed: int
    changed: int
    eligibility: dict[str, int]  # "eligible → not_eligible": n
    aspects: dict[str, int]  # support_forms / exclusions / referrals / deadlines: citizens where it changed
    examples: list[dict[str, Any]]


@dataclass
class RuleSetDiff:
    old: str
    new: str
    header: list[str]
    rules: list[RuleChange]
    impact: Impact


_PARTS = ("when", "when_eligibility", "source", "text", "interpretation")


def _conclusion(rule: Any) -> Any:
    return {rule.kind: getattr(rule, rule.kind).model_dump(mode="json")}


def diff_rulesets(old: RuleSet, new: RuleSet, *, n: int = 2000, seed: int = 85) -> RuleSetDiff:
    header = []
    for key in ("title", "legal_basis", "version", "valid_from", "valid_to", "notes", "extends"):
        a, b = getattr(old.loaded.header, key), getattr(new.loaded.header, key)
        if a != b:
            header.append(f"{labels.label(labels.HEADER_FIELD, key)}: {_short(a)} → {_short(b)}")
    old_rules = {r.rule.id: r.rule for r in old.loaded.rules}
    new_rules = {r.rule.id: r.rule for r in new.loaded.rules}
    changes = []
    for rid, rule in old_rules.items():
        if rid not in new_rules:
            changes.append(RuleChange(rid, "removed"))
            continue
        other = new_rules[rid]
        parts = [p for p in _PARTS if _dump(getattr(rule, p)) != _dump(getattr(other, p))]
        if _conclusion(rule) != _conclusion(other):
            parts.insert(0, "conclusion")
        if parts:
            changes.append(RuleChange(rid, "changed", parts))
    changes += [RuleChange(rid, "added") for rid in new_rules if rid not in old_rules]
    return RuleSetDiff(f"{old.id}@{old.version}", f"{new.id}@{new.version}", header, changes,
                       impact(old, new, n=n, seed=seed))


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json", by_alias=True) if hasattr(value, "model_dump") else value


def _short(value: Any) -> str:
    text = json.dumps(_dump(value), ensure_ascii=False, default=str)
    return text if len(text) < 80 else text[:77] + "..."


def impact(old: RuleSet, new: RuleSet, *, n: int, seed: int) -> Impact:
    day = max(old.valid_from, new.valid_from)
    transitions: Counter[str] = Counter()
    aspects: Counter[str] = Counter()
    examples: list[dict[str, Any]] = []
    changed = 0
    for facts in citizens(n, seed=seed, assessment_date=day):
        a = summarise(old.evaluate(facts, check_dates=False))
        b = summarise(new.evaluate(facts, check_dates=False))
        differs = [k for k in ROWS if k != "missing_facts" and getattr(a, k) != getattr(b, k)]
        if not differs:
            continue
        changed += 1
        if a.eligibility != b.eligibility:
            transitions[f"{a.eligibility} → {b.eligibility}"] += 1
        for k in differs:
            if k != "eligibility":
                aspects[k] += 1
        if len(examples) < 5:
            examples.append({"facts": facts, "differs": {k: [getattr(a, k), getattr(b, k)] for k in differs}})
    return Impact(n, seed, changed, dict(sorted(transitions.items())), dict(sorted(aspects.items())), examples)


def diff_text(d: RuleSetDiff) -> str:
    lines = [f"{d.old} → {d.new}", ""]
    if d.header:
        lines += ["Metadata:"] + [f"  {h}" for h in d.header] + [""]
    counts = Counter(c.change for c in d.rules)
    lines.append(f"Regler: {counts['added']} tilføjet, {counts['removed']} fjernet, {counts['changed']} ændret")
    for c in d.rules:
        sign = {"added": "+", "removed": "-", "changed": "~"}[c.change]
        parts = ", ".join(labels.label(labels.RULE_PART, p) for p in c.parts)
        lines.append(f"  {sign} {c.rule_id}" + (f"  (ændret: {parts})" if c.parts else ""))
    i = d.impact
    lines += ["", f"Virkning på {i.population} genererede borgere (seed {i.seed}): {i.changed} afgørelser ændres"]
    for k, v in i.eligibility.items():
        old, new = k.split(" → ")
        lines.append(f"  målgruppe {_eligibility(old)} → {_eligibility(new)}: {v}")
    for k, v in i.aspects.items():
        lines.append(f"  {labels.label(labels.DECISION_PART, k)} ændret: {v}")
    for n, ex in enumerate(i.examples[:3], 1):
        lines.append(f"  eksempel {n}: {_facts(ex['facts'])}")
        for k, (a, b) in ex["differs"].items():
            lines.append(f"     {labels.label(labels.DECISION_PART, k)}: {_shown(k, a)} → {_shown(k, b)}")
    return "\n".join(lines) + "\n"


def _facts(facts: dict[str, Any]) -> str:
    """An example citizen's facts in Danish words: 'fødselsdatoen 2002-01-07, ...'."""
    shown = []
    for name, value in facts.items():
        if isinstance(value, dict):
            shown += [f"{labels.fact(f'{name}.{k}')} {v}" for k, v in value.items()]
        elif isinstance(value, list):
            table = {"needs": labels.NEED, "requests": labels.REQUEST}.get(name, {})
            shown.append(f"{labels.fact(name)} [{', '.join(labels.label(table, v) for v in value) or 'ingen'}]")
        else:
            shown.append(f"{labels.fact(name)} {_yes_no(value)}")
    return "; ".join(shown)


def _yes_no(value: Any) -> str:
    return "ja" if value is True else "nej" if value is False else str(value)


def _eligibility(code: str) -> str:
    return labels.labelled(labels.ELIGIBILITY, code)


def _shown(part: str, value: Any) -> str:
    """A summarised decision part (see ``compare.summarise``) in Danish: its codes as labels."""
    if part == "eligibility":
        return _eligibility(str(value))
    if not isinstance(value, list):
        return str(value)
    return "[" + ", ".join(_item(part, str(v)) for v in value) + "]"


def _item(part: str, text: str) -> str:
    head, _, rest = text.partition(" ")
    if part == "support_forms":  # 'group (permitted)'
        status = rest.strip("()")
        return labels.label(labels.FORM, head) + (f" ({labels.label(labels.STATUS, status)})" if status else "")
    if part == "exclusions":  # 'escort_only → Ledsagelse'
        return labels.label(labels.REQUEST, head) + (f" {rest}" if rest else "")
    if part == "deadlines":  # 'follow_up 2026-07-01'
        return labels.label(labels.DEADLINE, head) + (f" {rest}" if rest else "")
    if part == "missing_facts":
        return labels.fact(text)
    return text


def diff_json(d: RuleSetDiff) -> str:
    return json.dumps(asdict(d), indent=2, ensure_ascii=False, default=str)


def resolve(spec: str) -> RuleSet:
    """A rule set from 'id@version', 'id' (newest version) or a path to a rule file."""
    from ..engine.registry import load_ruleset, load_ruleset_file, load_ruleset_version

    if spec.endswith((".yaml", ".yml")) or Path(spec).is_file():
        return load_ruleset_file(spec)
    if "@" in spec:
        rid, version = spec.split("@", 1)
        return load_ruleset_version(rid, version)
    try:
        return load_ruleset(spec)
    except RuleSetNotFound as exc:
        raise SpsRulesError(f"{exc}; give 'id@version' or a path to a rule file") from None
