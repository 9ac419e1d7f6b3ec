"""One citizen across every municipality and version (``sps-rules compare``)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from ..engine.evaluator import FactsInput, coerce_facts
from ..engine.loader import rules_root, ruleset_ids
from ..model.decision import Decision
from ..model.errors import RuleSetNotFound

BASELINE = "national"


# --- compare: one citizen, every municipality ----------------------------------------------------


@dataclass
class Column:
    ruleset: str
    version: str | None
    assessment_date: str
    eligibility: str
    missing_facts: list[str] = field(default_factory=list)
    support_forms: list[str] = field(default_factory=list)
    exclusions: list[str] = field(default_factory=list)
    referrals: list[str] = field(default_factory=list)
    deadlines: list[str] = field(default_factory=list)


def summarise(d: Decision) -> Column:
    return Column(
        ruleset=d.ruleset.id, version=d.ruleset.version, assessment_date=d.assessment_date.isoformat(),
        eligibility=d.eligibility, missing_facts=list(d.missing_facts),
        support_forms=[f"{f.form} ({f.status})" for f in d.support_forms],
        exclusions=[e.request + (f" → {e.referral.to}" if e.referral else "") for e in d.exclusions],
        referrals=[r.to for r in d.referrals],
        deadlines=[f"{x.kind} " + (f"{x.earliest}..{x.due}" if x.earliest else str(x.due or "ukendt anker"))
                   for x in d.deadlines],
    )


def compare(facts: FactsInput, *, on: list[date] | None = None, root: Path | None = None) -> list[Column]:
    """The citizen under every municipal rule set, on each date in ``on`` (default: the facts' own date)."""
    from ..engine.registry import load_ruleset

    citizen = coerce_facts(facts)
    given = citizen.model_dump(mode="json", exclude_none=True)
    columns = []
    for day in on or [citizen.assessment_date]:
        for rid in ruleset_ids(root or rules_root()):
            if rid == BASELINE:
                continue
            try:
                ruleset = load_ruleset(rid, day, root=root)
            except RuleSetNotFound:
                columns.append(Column(rid, None, day.isoformat(), "ingen version gælder denne dag"))
                continue
            columns.append(summarise(ruleset.evaluate({**given, "assessment_date": day.isoformat()})))
    return columns


ROWS = ("eligibility", "missing_facts", "support_forms", "exclusions", "referrals", "deadlines")


def compare_text(columns: list[Column], width: int = 34) -> str:
    def cell(value: Any) -> list[str]:
        items = value if isinstance(value, list) else [value]
        return [str(i)[:width] for i in items] or ["—"]

    headers = [f"{c.ruleset} {c.version or ''}".strip() for c in columns]
    dates = [c.assessment_date for c in columns]
    label_w = 14
    lines = [" " * label_w + " | ".join(h.ljust(width) for h in headers),
             "dato".ljust(label_w) + " | ".join(d.ljust(width) for d in dates)]
    lines.append("-" * len(lines[0]))
    for row in ROWS:
        cells = [cell(getattr(c, row)) for c in columns]
        for i in range(max(len(x) for x in cells)):
            label = row if i == 0 else ""
            lines.append(label.ljust(label_w) + " | ".join((x[i] if i < len(x) else "").ljust(width) for x in cells))
        lines.append("")
    return "\n".join(line.rstrip() for line in lines)


def compare_json(columns: list[Column]) -> str:
    return json.dumps([asdict(c) for c in columns], indent=2, ensure_ascii=False)
