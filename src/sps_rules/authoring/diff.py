"""Two versions side by side (``sps-rules diff``): rule-level changes and their impact on a population."""

from __future__ import annotations

import html
import json
import random
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
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
        # notes: those every decision states, the versions built on included
        a, b = (old.ref.notes, new.ref.notes) if key == "notes" else (getattr(old.loaded.header, key),
                                                                       getattr(new.loaded.header, key))
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


MAX_EXAMPLES = 6


def plausible(facts: dict[str, Any], rng: random.Random, home: str | None = None) -> dict[str, Any]:
    """The citizen with its dates in an order that can happen: the decision is notified after the
    assessment, a complaint comes after the notification, support starts after the decision and is
    last used after it started. Dates that cannot be ordered (no notification) are left out."""
    out = dict(facts)
    if home is not None and "resident_municipality" in out and rng.random() < 0.9:
        out["resident_municipality"] = home  # most citizens a municipality assesses live there
    day = date.fromisoformat(str(out["assessment_date"]))
    notified = day + timedelta(days=rng.randint(1, 21))
    if "decision_notified_date" in out:
        out["decision_notified_date"] = notified.isoformat()
        if "complaint_received_date" in out:
            out["complaint_received_date"] = (notified + timedelta(days=rng.randint(1, 35))).isoformat()
    else:
        out.pop("complaint_received_date", None)
    start = notified + timedelta(days=rng.randint(7, 30))
    if "support_start_date" in out:
        out["support_start_date"] = start.isoformat()
        if "last_support_used_date" in out:
            out["last_support_used_date"] = (start + timedelta(days=rng.randint(0, 90))).isoformat()
    else:
        out.pop("last_support_used_date", None)
    return out


def impact(old: RuleSet, new: RuleSet, *, n: int, seed: int) -> Impact:
    """The two versions over ``n`` plausible generated citizens, assessed on the later version's first day.

    The examples show first one citizen per change of eligibility, then one per other kind of change.
    """
    day = max(old.valid_from, new.valid_from)
    rng = random.Random(seed)
    transitions: Counter[str] = Counter()
    aspects: Counter[str] = Counter()
    firsts: dict[str, dict[str, Any]] = {}
    changed = 0
    for generated in citizens(n, seed=seed, assessment_date=day):
        facts = plausible(generated, rng, None if new.id == "national" else new.id)
        a = summarise(old.evaluate(facts, check_dates=False))
        b = summarise(new.evaluate(facts, check_dates=False))
        differs = [k for k in ROWS if k != "missing_facts" and getattr(a, k) != getattr(b, k)]
        if not differs:
            continue
        changed += 1
        example = {"facts": facts, "differs": {k: [getattr(a, k), getattr(b, k)] for k in differs}}
        if a.eligibility != b.eligibility:
            key = f"{a.eligibility} → {b.eligibility}"
            transitions[key] += 1
            firsts.setdefault(key, example)
        for k in differs:
            if k != "eligibility":
                aspects[k] += 1
                firsts.setdefault(k, example)
    order = sorted(k for k in firsts if "→" in k) + [k for k in ROWS if k in firsts]
    examples: list[dict[str, Any]] = []
    for key in order:
        if firsts[key] not in examples and len(examples) < MAX_EXAMPLES:
            examples.append(firsts[key])
    return Impact(n, seed, changed, dict(sorted(transitions.items())), dict(sorted(aspects.items())), examples)


def _transition(key: str) -> str:
    a, b = key.split(" → ")
    return f"{_eligibility(a)} → {_eligibility(b)}"


def _citizen(facts: dict[str, Any]) -> str:
    """A one-line description of an invented citizen, in Danish."""
    parts = []
    if "birth_date" in facts:
        born = date.fromisoformat(facts["birth_date"])
        day = date.fromisoformat(facts["assessment_date"])
        age = day.year - born.year - ((day.month, day.day) < (born.month, born.day))
        parts.append(f"{age} år")
    if "resident_municipality" in facts:
        parts.append(f"bor i {facts['resident_municipality']}")
    if "support_need_level" in facts:
        parts.append(f"støttebehov {facts['support_need_level']}")
    levels = facts.get("function_levels") or {}
    if levels:
        parts.append("funktionsniveau " + ", ".join(f"{labels.label(labels.THEME, k)} {v}" for k, v in sorted(levels.items())))
    for name, label in (("decision_notified_date", "afgørelse modtaget"), ("complaint_received_date", "klage modtaget")):
        if name in facts:
            parts.append(f"{label} {facts[name]}")
    return f"vurderet {facts['assessment_date']}: " + ", ".join(parts)


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
    lines += ["", f"Virkning på {i.population} opdigtede borgere (seed {i.seed}): {i.changed} afgørelser ændres"]
    for k, v in i.eligibility.items():
        lines.append(f"  målgruppe {_transition(k)}: {v}")
    for k, v in i.aspects.items():
        lines.append(f"  {labels.label(labels.DECISION_PART, k)} ændret: {v}")
    for n, ex in enumerate(i.examples, 1):
        lines.append(f"  eksempel {n}: {_citizen(ex['facts'])}")
        for k, (a, b) in ex["differs"].items():
            lines.append(f"     {labels.label(labels.DECISION_PART, k)}: {_shown(k, a)} → {_shown(k, b)}")
    return "\n".join(lines) + "\n"


def diff_html(d: RuleSetDiff) -> str:
    """A self-contained page (no scripts, no outside files) for the policy meeting; every value escaped."""
    e = html.escape
    counts = Counter(c.change for c in d.rules)
    change = {"added": "tilføjet", "removed": "fjernet", "changed": "ændret"}
    out = ["<!DOCTYPE html>", '<html lang="da"><head><meta charset="utf-8">',
           f"<title>Ændringer: {e(d.old)} → {e(d.new)}</title>",
           "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
           "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .6em;text-align:left;"
           "vertical-align:top}.added{color:#060}.removed{color:#900}</style></head><body>",
           f"<h1>Ændringer fra {e(d.old)} til {e(d.new)}</h1>"]
    if d.header:
        out.append("<h2>Metadata</h2><ul>" + "".join(f"<li>{e(h)}</li>" for h in d.header) + "</ul>")
    out.append(f"<h2>Regler</h2><p>{counts['added']} tilføjet, {counts['removed']} fjernet, "
               f"{counts['changed']} ændret.</p>")
    if d.rules:
        out.append("<table><tr><th>Regel</th><th>Ændring</th><th>Hvad</th></tr>" + "".join(
            f'<tr class="{e(c.change)}"><td>{e(c.rule_id)}</td><td>{e(change[c.change])}</td>'
            f"<td>{e(', '.join(labels.label(labels.RULE_PART, p) for p in c.parts))}</td></tr>" for c in d.rules) + "</table>")
    i = d.impact
    out.append(f"<h2>Virkning</h2><p>{i.changed} af {i.population} opdigtede borgere (seed {i.seed}) får en "
               "anden afgørelse.</p><ul>")
    out += [f"<li>målgruppe {e(_transition(k))}: {v}</li>" for k, v in i.eligibility.items()]
    out += [f"<li>{e(labels.label(labels.DECISION_PART, k))} ændret: {v}</li>" for k, v in i.aspects.items()]
    out.append("</ul>")
    for n, ex in enumerate(i.examples, 1):
        out.append(f"<h3>Eksempel {n}</h3><p>{e(_citizen(ex['facts']))}</p><table>"
                   "<tr><th></th><th>Før</th><th>Efter</th></tr>" + "".join(
                       f"<tr><td>{e(labels.label(labels.DECISION_PART, k))}</td><td>{e(_shown(k, a))}</td><td>{e(_shown(k, b))}</td></tr>"
                       for k, (a, b) in ex["differs"].items()) + "</table>")
    out.append("</body></html>\n")
    return "\n".join(out)


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
