"""Seeded, reproducible populations of citizens, for impact analysis and reachability checks.

Values are drawn from each fact's domain: levels 0-4, true/false, the codes, the constants a
rule set names (e.g. an age threshold or a municipality slug), and *unknown*. The same seed
always gives the same citizens.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta

from .facts import NEED_CODES, REQUEST_CODES, THEMES

SLUGS = ("roskilde", "gentofte", "faaborg_midtfyn", "koege")
FLAGS = ("special_social_problems", "can_participate_actively", "wants_to_participate", "can_participate_in_group",
         "need_met_by_less_intrusive_offer", "home_is_safe_workplace")
DATES = ("support_start_date", "last_support_used_date", "decision_notified_date", "complaint_received_date")


def citizens(n: int, *, seed: int = 85, assessment_date: date = date(2026, 3, 2),
             unknown_share: float = 0.15) -> Iterator[dict[str, Any]]:
    """``n`` citizens as JSON-ready fact objects. Deterministic for a given seed."""
    rng = random.Random(seed)

    def maybe(value: Any) -> Any:
        return None if rng.random() < unknown_share else value

    for _ in range(n):
        age = rng.choice([16, 17, 18, 19, 25, 40, 66, 80])
        birth = assessment_date - relativedelta(years=age, days=rng.randint(0, 364))
        facts: dict[str, Any] = {
            "assessment_date": assessment_date.isoformat(),
            "birth_date": maybe(birth.isoformat()),
            "resident_municipality": maybe(rng.choice(SLUGS)),
            "function_levels": {t: rng.randint(0, 4) for t in THEMES if rng.random() > unknown_share},
            "support_need_level": maybe(rng.randint(0, 4)),
            "needs": maybe(sorted(rng.sample(NEED_CODES, rng.randint(0, 4)))),
            "requests": maybe(sorted(rng.sample(REQUEST_CODES, rng.randint(0, 3)))),
        }
        for flag in FLAGS:
            facts[flag] = maybe(rng.random() < 0.5)
        for name in DATES:
            facts[name] = maybe((assessment_date + relativedelta(days=rng.randint(-200, 60))).isoformat())
        yield {k: v for k, v in facts.items() if v is not None}
