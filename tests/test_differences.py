"""One citizen through every rule set: where the standards answer differently, the decisions differ."""

from __future__ import annotations

from datetime import date

import sps_rules

CITIZEN = {
    "assessment_date": "2026-03-02",
    "birth_date": "1985-06-01",
    "resident_municipality": "koege",
    "function_levels": {"mental_functions": 2},
    "support_need_level": 1,
    "special_social_problems": False,
    "need_met_by_less_intrusive_offer": False,
    "can_participate_in_group": False,
    "needs": ["mail", "medication", "mobility"],
    "requests": ["employment_or_education_support", "transport", "escort_with_pedagogical_support"],
    "support_start_date": "2026-05-31",
    "last_support_used_date": "2026-06-15",
    "decision_notified_date": "2026-03-06",
}


def decisions() -> dict[str, sps_rules.Decision]:
    return {m: sps_rules.evaluate(m, CITIZEN) for m in ("roskilde", "gentofte", "faaborg_midtfyn")}


def test_every_municipal_rule_set_is_compared() -> None:
    ids = {rs.id for rs in sps_rules.list_rulesets()} - {"national"}
    assert ids == set(decisions())


def test_roskilde_alone_requires_residence_and_a_moderate_support_need() -> None:
    d = decisions()
    assert d["roskilde"].eligibility == "not_eligible"
    statuses = {c.id: c.status for c in d["roskilde"].criteria}
    assert statuses["target.residence"] == "not_met" and statuses["target.support_need"] == "not_met"
    assert d["gentofte"].eligibility == "eligible"
    assert d["faaborg_midtfyn"].eligibility == "eligible"


def test_support_forms_differ() -> None:
    d = decisions()
    forms = {m: {f.form: f.status for f in x.support_forms} for m, x in d.items()}
    assert forms["roskilde"] == {}  # not eligible there
    assert forms["gentofte"]["course"] == "default"  # group courses by default, group impossible here
    assert "digital" in forms["faaborg_midtfyn"] and "digital" not in forms["gentofte"]


def test_follow_up_and_other_deadlines_differ() -> None:
    d = decisions()
    kinds = {m: {(x.kind, x.due, x.earliest) for x in v.deadlines if x.status == "computed"} for m, v in d.items()}
    assert ("follow_up", date(2026, 11, 30), date(2026, 8, 31)) in kinds["gentofte"]  # 3-6 month window
    assert ("non_use_contact", date(2026, 7, 15), None) in kinds["faaborg_midtfyn"]
    assert not any(k == "follow_up" for k, _, _ in kinds["faaborg_midtfyn"])
    # the complaint deadline is the same everywhere: 4 weeks, moved past Easter
    for v in kinds.values():
        assert ("complaint", date(2026, 4, 7), None) in v


def test_employment_support_is_included_in_roskilde_but_excluded_in_faaborg_midtfyn() -> None:
    d = decisions()
    requests = {m: {r.request: r.status for r in v.requests} for m, v in d.items()}
    assert requests["roskilde"]["employment_or_education_support"] == "included"
    assert requests["faaborg_midtfyn"]["employment_or_education_support"] == "excluded"
    assert requests["gentofte"]["employment_or_education_support"] == "not_addressed"
    assert any("Arbejdsmarked" in r.to for r in d["faaborg_midtfyn"].referrals)
    assert any(r.to == "Flextrafik" for r in d["faaborg_midtfyn"].referrals)


def test_needs_named_differ() -> None:
    d = decisions()
    needs = {m: {n.need: n.status for n in v.needs} for m, v in d.items()}
    assert needs["gentofte"]["mail"] == "listed" and needs["roskilde"]["mail"] == "not_listed"
    assert needs["roskilde"]["medication"] == "listed" and needs["gentofte"]["medication"] == "not_listed"


def test_gentofte_versions_differ_on_follow_up() -> None:
    old = sps_rules.evaluate("gentofte", {**CITIZEN, "assessment_date": "2016-05-10", "support_start_date": "2016-05-31"})
    new = sps_rules.evaluate("gentofte", CITIZEN)
    assert old.ruleset.version == "2014-06" and new.ruleset.version == "2022-01"
    assert not any(x.kind == "follow_up" for x in old.deadlines)
    assert any(x.kind == "follow_up" for x in new.deadlines)
    assert {n.need: n.status for n in old.needs}["medication"] == "listed"


def test_faaborg_midtfyn_refers_reduced_function_to_section_82() -> None:
    facts = {**CITIZEN, "function_levels": {"mental_functions": 1, "physical_functions": 0}}
    faaborg = sps_rules.evaluate("faaborg_midtfyn", facts)
    assert faaborg.eligibility == "not_eligible"
    assert any("§ 82" in (r.legal_basis or "") for r in faaborg.referrals)
    for other in ("roskilde", "gentofte"):
        assert not any("§ 82" in (r.legal_basis or "") for r in sps_rules.evaluate(other, facts).referrals)
