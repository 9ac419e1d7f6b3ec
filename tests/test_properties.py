"""Invariants that must hold for every citizen (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sps_rules
from sps_rules.model.facts import NEED_CODES, REQUEST_CODES, THEMES
from sps_rules.engine.loaded import fold

MUNICIPALITIES = [rs.id for rs in sps_rules.list_rulesets()]
maybe = lambda s: st.none() | s  # noqa: E731
days = st.dates(min_value=date(2022, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def citizens(draw: st.DrawFn) -> dict[str, object]:
    assessment = draw(days)
    facts: dict[str, object] = {"assessment_date": assessment.isoformat()}
    birth = draw(maybe(st.dates(min_value=date(1920, 1, 1), max_value=assessment)))
    if birth is not None:
        facts["birth_date"] = birth.isoformat()
    facts["resident_municipality"] = draw(maybe(st.sampled_from(["roskilde", "gentofte", "faaborg_midtfyn", "koege"])))
    facts["function_levels"] = draw(maybe(st.dictionaries(st.sampled_from(THEMES), st.integers(0, 4))))
    facts["support_need_level"] = draw(maybe(st.integers(0, 4)))
    for flag in ("special_social_problems", "can_participate_actively", "wants_to_participate",
                 "can_participate_in_group", "need_met_by_less_intrusive_offer", "home_is_safe_workplace"):
        facts[flag] = draw(maybe(st.booleans()))
    facts["needs"] = draw(maybe(st.lists(st.sampled_from(NEED_CODES), max_size=5)))
    facts["requests"] = draw(maybe(st.lists(st.sampled_from(REQUEST_CODES), max_size=5)))
    for name in ("support_start_date", "last_support_used_date", "decision_notified_date", "complaint_received_date"):
        value = draw(maybe(days))
        facts[name] = None if value is None else value.isoformat()
    return facts


PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _evaluate(municipality: str, facts: dict[str, object]) -> sps_rules.Decision | None:
    try:
        return sps_rules.evaluate(municipality, facts)
    except sps_rules.RuleSetNotFound:
        return None  # no version of that rule set applies on the drawn date


@PROPERTY
@given(st.sampled_from(MUNICIPALITIES), citizens())
def test_deterministic_byte_for_byte(municipality: str, facts: dict[str, object]) -> None:
    first = _evaluate(municipality, facts)
    second = _evaluate(municipality, dict(reversed(list(facts.items()))))
    assert (first is None) == (second is None)
    if first is not None and second is not None:
        assert first.to_json() == second.to_json()


@PROPERTY
@given(st.sampled_from(MUNICIPALITIES), citizens(), st.integers(0, 17))
def test_under_18_is_never_eligible(municipality: str, facts: dict[str, object], years: int) -> None:
    assessment = date.fromisoformat(str(facts["assessment_date"]))
    facts["birth_date"] = (assessment.replace(year=assessment.year - years - 1) + timedelta(days=1)).isoformat() \
        if not (assessment.month == 2 and assessment.day == 29) else f"{assessment.year - years}-01-01"
    if assessment < date(2024, 1, 1) and (municipality == "national"
                                          or (municipality == "gentofte" and assessment < date(2022, 1, 1))):
        return  # no age limit then: serviceloven's "fyldt 18 år" dates from 1 January 2024 (barnets lov § 212)
    decision = _evaluate(municipality, facts)
    if decision is not None:
        assert decision.eligibility == "not_eligible"


@PROPERTY
@given(st.sampled_from(MUNICIPALITIES), citizens())
def test_unknown_facts_never_give_eligible_and_are_listed(municipality: str, facts: dict[str, object]) -> None:
    decision = _evaluate(municipality, facts)
    if decision is None:
        return
    unknown = [c for c in decision.criteria if c.status == "unknown"]
    if decision.eligibility == "eligible":
        assert not unknown and not decision.missing_facts
    if decision.eligibility == "undetermined":
        assert unknown and decision.missing_facts
    for path in decision.missing_facts:
        head = path.split(".")[0]
        assert facts.get(head) is None or (head == "function_levels" and path.split(".")[1] not in (facts[head] or {}))


@PROPERTY
@given(st.sampled_from(MUNICIPALITIES), citizens())
def test_every_conclusion_cites_a_verbatim_quote(municipality: str, facts: dict[str, object]) -> None:
    decision = _evaluate(municipality, facts)
    if decision is None:
        return
    ruleset = sps_rules.load_ruleset(municipality, decision.assessment_date)
    texts = {doc.title: doc.folded for doc in ruleset.loaded.documents.values()}
    sources = [decision.individual_assessment.source]
    for group in (decision.criteria, decision.needs, decision.requests, decision.support_forms, decision.exclusions,
                  decision.referrals, decision.conditions, decision.assessments, decision.deadlines, decision.trace):
        sources += [item.source for item in group]  # type: ignore[attr-defined]
    for source in sources:
        assert fold(source.quote) in texts[source.document]


@PROPERTY
@given(st.sampled_from(MUNICIPALITIES), citizens())
def test_no_deadline_falls_before_its_anchor(municipality: str, facts: dict[str, object]) -> None:
    decision = _evaluate(municipality, facts)
    if decision is None:
        return
    for deadline in decision.deadlines:
        if deadline.status == "computed":
            assert deadline.anchor_date is not None and deadline.due is not None
            assert deadline.due > deadline.anchor_date
            assert deadline.earliest is None or deadline.anchor_date < deadline.earliest <= deadline.due
        else:
            assert deadline.due is None and facts.get(deadline.anchor) is None


@PROPERTY
@given(citizens(), st.integers(0, 3))
def test_roskilde_raising_support_need_never_turns_eligible_into_not_eligible(facts: dict[str, object], low: int) -> None:
    facts["support_need_level"] = low
    before = _evaluate("roskilde", facts)
    facts["support_need_level"] = low + 1
    after = _evaluate("roskilde", facts)
    if before is not None and after is not None and before.eligibility == "eligible":
        assert after.eligibility == "eligible"


@settings(max_examples=20, deadline=None)
@given(citizens())
def test_the_strategy_covers_every_fact_field(facts: dict[str, object]) -> None:
    """A field added to CitizenFacts must be added to the strategy too, or this fails."""
    from sps_rules import CitizenFacts, FunctionLevels

    fields = set(CitizenFacts.model_fields)
    assert set(facts) <= fields and fields - {"birth_date"} <= set(facts)
    assert set(FunctionLevels.model_fields) == set(THEMES)


@PROPERTY
@given(st.sampled_from(MUNICIPALITIES), citizens())
def test_no_exception_on_any_valid_facts(municipality: str, facts: dict[str, object]) -> None:
    decision = _evaluate(municipality, facts)
    if decision is not None:
        assert decision.eligibility in {"eligible", "not_eligible", "undetermined"}
        assert decision.to_json()


@PROPERTY
@given(st.sampled_from(MUNICIPALITIES), citizens(), st.sampled_from(["physical_functions", "mental_functions"]))
def test_raising_a_function_level_never_turns_eligible_into_not_eligible(
    municipality: str, facts: dict[str, object], theme: str
) -> None:
    levels = dict(facts.get("function_levels") or {})  # type: ignore[call-overload]
    before = _evaluate(municipality, {**facts, "function_levels": levels})
    if before is None or before.eligibility != "eligible" or levels.get(theme, 0) >= 4:
        return
    after = _evaluate(municipality, {**facts, "function_levels": {**levels, theme: levels.get(theme, 0) + 1}})
    assert after is not None and after.eligibility == "eligible"


@PROPERTY
@given(st.sampled_from(MUNICIPALITIES), citizens())
def test_special_social_problems_never_turn_eligible_into_not_eligible(municipality: str, facts: dict[str, object]) -> None:
    before = _evaluate(municipality, {**facts, "special_social_problems": False})
    after = _evaluate(municipality, {**facts, "special_social_problems": True})
    if before is not None and before.eligibility == "eligible":
        assert after is not None and after.eligibility == "eligible"


@PROPERTY
@given(st.sampled_from(MUNICIPALITIES), citizens())
def test_learning_a_missing_fact_never_turns_not_eligible_into_something_else(
    municipality: str, facts: dict[str, object]
) -> None:
    """Kleene logic is monotone in information: a known 'no' stays 'no' when more is learned."""
    decision = _evaluate(municipality, facts)
    if decision is None or decision.eligibility != "not_eligible":
        return
    filled = {**facts, "special_social_problems": facts.get("special_social_problems") or False,
              "support_need_level": facts.get("support_need_level") if facts.get("support_need_level") is not None else 0}
    again = _evaluate(municipality, filled)
    assert again is not None and again.eligibility == "not_eligible"
