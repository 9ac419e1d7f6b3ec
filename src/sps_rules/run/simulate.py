"""``sps-rules simulate``: a whole population through two versions of a rule set, and what changes.

Each citizen is evaluated under both versions as if each applied on the citizen's assessment date
(the versions' own validity is not checked: the question is "what if"). A citizen changes when its
eligibility, permitted support forms, exclusions, referrals or deadlines differ. The report counts the
citizens by change and names a few of them by line number per change, never by their facts.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from ..engine.evaluator import coerce_facts
from ..model.decision import Decision
from ..model.errors import SpsRulesError
from .batch import BadLine, line_facts, numbered_chunks
from .cluster import Pin, check_pins
from .executors import executor, ordered

#: The parts of a decision compared, in report order.
ASPECTS = ("eligibility", "support_forms", "exclusions", "referrals", "deadlines")
#: Line numbers kept per change for the report.
SAMPLE = 5

Outcome = tuple[int, str | None, tuple[str, ...], str | None]


@dataclass
class Simulation:
    ruleset: str
    old: str
    new: str
    citizens: int = 0
    changed: int = 0
    eligibility: dict[str, int] = field(default_factory=dict)  # "eligible → not_eligible": n (changed only)
    aspects: dict[str, int] = field(default_factory=dict)  # aspect: citizens where it changed
    samples: dict[str, list[int]] = field(default_factory=dict)  # change: first line numbers
    bad: int = 0
    first_bad: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False, sort_keys=True)

    def text(self) -> str:
        lines = [f"{self.ruleset}: {self.old} → {self.new} på {self.citizens} borgere: "
                 f"{self.changed} ændret, {self.citizens - self.changed} uændret"]
        if self.eligibility:
            lines.append("udfald (eligibility):")
            lines += [f"  {k}: {n}" for k, n in sorted(self.eligibility.items(), key=lambda kv: (-kv[1], kv[0]))]
        if self.aspects:
            lines.append("ændrede dele af afgørelsen:")
            lines += [f"  {k}: {n}" for k, n in sorted(self.aspects.items(), key=lambda kv: (-kv[1], kv[0]))]
        if self.samples:
            lines.append("eksempler (linjenumre i populationen):")
            lines += [f"  {k}: {', '.join(map(str, v))}" for k, v in sorted(self.samples.items())]
        if self.bad:
            lines.append(f"{self.bad} ugyldige linjer sprunget over; de første: " + "; ".join(self.first_bad))
        return "\n".join(lines) + "\n"


def _summary(d: Decision) -> dict[str, Any]:
    return {
        "eligibility": d.eligibility,
        "support_forms": sorted((f.form, f.status) for f in d.support_forms),
        "exclusions": sorted(e.request for e in d.exclusions),
        "referrals": sorted(r.to for r in d.referrals),
        "deadlines": sorted((x.kind, str(x.earliest), str(x.due)) for x in d.deadlines),
    }


def _compare_chunk(task: tuple[Pin, Pin, list[tuple[int, str | None]]]) -> list[Outcome]:
    """In a worker: each citizen under both versions → (line, eligibility change, changed aspects, error)."""
    from ..engine.registry import load_ruleset_version

    old_pin, new_pin, lines = task
    check_pins((old_pin, new_pin))
    old = load_ruleset_version(old_pin.id, old_pin.version)
    new = load_ruleset_version(new_pin.id, new_pin.version)
    out: list[Outcome] = []
    for number, text in lines:
        try:
            citizen = coerce_facts(line_facts(text))
            a = _summary(old.evaluate(citizen, check_dates=False))
            b = _summary(new.evaluate(citizen, check_dates=False))
        except SpsRulesError as exc:
            out.append((number, None, (), str(exc)[:300]))
            continue
        aspects = tuple(k for k in ASPECTS if a[k] != b[k])
        out.append((number, f"{a['eligibility']} → {b['eligibility']}" if aspects else None, aspects, None))
    return out


def simulate(ruleset_id: str, old_version: str, new_version: str, population: IO[bytes] | Iterable[str], *,
             dask: str | None = None, workers: int | None = None) -> Simulation:
    """Compare two versions of a rule set on a population (JSON text of each citizen's facts, in order).

    Raises ``RuleSetNotFound`` for an unknown version. Bad citizens are counted and skipped.
    """
    from ..engine.registry import load_ruleset_version

    old, new = load_ruleset_version(ruleset_id, old_version), load_ruleset_version(ruleset_id, new_version)
    old_pin, new_pin = Pin(old.id, old.version, old.sha256), Pin(new.id, new.version, new.sha256)
    result = Simulation(ruleset=ruleset_id, old=old_version, new=new_version)
    transitions: Counter[str] = Counter()
    aspects: Counter[str] = Counter()
    tasks = ((old_pin, new_pin, chunk) for chunk in numbered_chunks(population))
    with executor(_compare_chunk, dask=dask, workers=workers) as (submit, inflight):
        for outcomes in ordered(submit, tasks, inflight):
            for number, change, parts, error in outcomes:
                if error is not None:
                    result.bad += 1
                    if len(result.first_bad) < 5:
                        result.first_bad.append(str(BadLine(number, error)))
                    continue
                result.citizens += 1
                if change is None:
                    continue
                result.changed += 1
                transitions[change] += 1
                aspects.update(parts)
                for key in (change, *(f"{change}: {p}" for p in parts if p != "eligibility")):
                    sample = result.samples.setdefault(key, [])
                    if len(sample) < SAMPLE:
                        sample.append(number)
    result.eligibility = dict(transitions)
    result.aspects = dict(aspects)
    return result


__all__ = ["ASPECTS", "Simulation", "simulate"]
