"""Danish labels for every code a Danish document shows: one table, used by every renderer.

Decisions and rule files keep their English codes (they are the stable interface); documents for
caseworkers, auditors and policy staff show these labels, with the code in parentheses where an
auditor needs to find it again in the JSON (``labelled``). A test checks that every code of the
vocabulary has a label.
"""

from __future__ import annotations

from typing import Final

ELIGIBILITY: Final = {
    "eligible": "i målgruppen",
    "not_eligible": "ikke i målgruppen",
    "undetermined": "uafklaret",
}
#: The result line of a document: a full Danish sentence per eligibility.
ELIGIBILITY_SENTENCE: Final = {
    "eligible": "Borgeren opfylder standardens kriterier for socialpædagogisk støtte (i målgruppen)",
    "not_eligible": "Borgeren opfylder ikke standardens kriterier for socialpædagogisk støtte (ikke i målgruppen)",
    "undetermined": "Det kan endnu ikke afgøres, om borgeren er i målgruppen: der mangler oplysninger",
}
STATUS: Final = {
    "met": "opfyldt", "not_met": "ikke opfyldt", "unknown": "uafklaret",
    "listed": "nævnt i standarden", "not_listed": "ikke nævnt i standarden", "excluded": "udelukket",
    "included": "omfattet", "not_addressed": "ikke omtalt i standarden",
    "default": "udgangspunkt", "permitted": "mulig", "exception": "undtagelse",
    "computed": "beregnet", "missing_anchor": "kan ikke beregnes",
}
FORM: Final = {
    "group": "gruppeforløb", "individual": "individuelt forløb",
    "group_and_individual": "gruppe- og individuelt forløb",
    "course": "undervisnings-/træningsforløb", "digital": "digital støtte",
}
DEADLINE: Final = {
    "follow_up": "opfølgning", "complaint": "klagefrist", "complaint_reassessment": "genvurdering af klage",
    "duration_review": "revurdering af varighed", "non_use_contact": "kontakt ved manglende brug af støtten",
}
NEED: Final = {
    "daily_structure": "struktur i hverdagen", "finances": "økonomi", "mail": "post",
    "mobility": "mobilitet", "social_relations": "sociale relationer", "network": "netværk",
    "treatment": "behandling", "welfare_technology": "velfærdsteknologi", "medication": "medicin",
    "practical_tasks": "praktiske opgaver", "self_care": "egenomsorg", "communication": "kommunikation",
    "community_life": "samfundsliv", "health": "sundhed",
}
REQUEST: Final = {
    "escort_with_pedagogical_support": "ledsagelse med socialpædagogisk indhold",
    "escort_only": "ledsagelse uden socialpædagogisk indhold",
    "practical_help_by_staff": "praktisk hjælp udført af medarbejderen",
    "specialist_therapy": "specialiseret behandling eller terapi",
    "debt_counselling": "gældsrådgivning",
    "visiting_friend": "besøgsven",
    "transport": "transport",
    "hospital_stay_support": "støtte under indlæggelse",
    "meeting_support_other_department": "støtte til møder i en anden afdeling",
    "employment_or_education_support": "støtte til beskæftigelse eller uddannelse",
    "specialist_health_advice": "sundhedsfaglig rådgivning",
    "free_choice_of_provider": "frit valg af leverandør",
    "support_in_own_home": "støtte i eget hjem",
}
THEME: Final = {
    "physical_functions": "fysiske funktioner", "mental_functions": "mentale funktioner", "self_care": "egenomsorg",
    "practical_tasks": "praktiske opgaver", "mobility": "mobilitet", "communication": "kommunikation",
    "relations": "relationer", "community_life": "samfundsliv", "health_conditions": "sundhedsforhold",
    "social_conditions": "sociale forhold",
}
#: Facts as a noun phrase ("alderen er mindst 18").
FACT: Final = {
    "assessment_date": "vurderingsdatoen", "birth_date": "fødselsdatoen", "age": "alderen",
    "resident_municipality": "bopælskommunen", "support_need_level": "støttebehovsniveauet",
    "special_social_problems": "særlige sociale problemer", "can_participate_actively": "kan deltage aktivt",
    "wants_to_participate": "vil deltage", "can_participate_in_group": "kan deltage i en gruppe",
    "need_met_by_less_intrusive_offer": "behovet kan dækkes mindre indgribende", "needs": "behovene",
    "requests": "ønskerne", "support_start_date": "støttens startdato", "last_support_used_date": "sidste brug af støtten",
    "decision_notified_date": "dagen afgørelsen blev modtaget", "complaint_received_date": "dagen klagen blev modtaget",
    "home_is_safe_workplace": "hjemmet er en sikker arbejdsplads",
}
CONDITION_CATEGORY: Final = {
    "citizen_obligation": "borgerens forpligtelser", "home_workplace": "hjemmet som arbejdsplads",
    "provider": "leverandør", "costs": "udgifter", "handleplan": "handleplan", "scope": "omfang",
    "follow_up": "opfølgning", "end": "ophør", "application": "ansøgning", "complaint": "klage",
}
RULE_KIND: Final = {
    "principle": "princip", "criterion": "kriterium", "support_form": "støtteform", "need": "behov",
    "request": "ønske", "referral": "henvisning", "condition": "vilkår",
    "assessment": "punkt til den individuelle vurdering", "deadline": "frist",
}
#: The units of a period, as "3 måneder".
PERIOD_UNIT: Final = {"years": "år", "months": "måneder", "weeks": "uger", "days": "dage"}
#: What changed in a rule between two versions (``sps-rules diff``).
RULE_PART: Final = {
    "conclusion": "konklusion", "when": "betingelse", "when_eligibility": "gælder ved afgørelsen",
    "source": "kildehenvisning", "text": "tekst", "interpretation": "fortolkning",
}
#: The header fields of a rule file that ``sps-rules diff`` compares.
HEADER_FIELD: Final = {
    "title": "titel", "legal_basis": "lovgrundlag", "version": "version", "valid_from": "gyldig fra",
    "valid_to": "gyldig til", "notes": "antagelser", "extends": "bygger på",
}
#: The parts of a decision that ``compare`` and ``diff`` report.
DECISION_PART: Final = {
    "eligibility": "målgruppe", "support_forms": "støtteformer", "exclusions": "udelukkelser",
    "referrals": "henvisninger", "deadlines": "frister", "missing_facts": "manglende oplysninger",
    "criteria": "kriterier", "needs": "behov", "requests": "ønsker", "conditions": "vilkår",
    "assessments": "vurderingspunkter",
}


def fact(path: str) -> str:
    """A fact path in Danish words: ``function_levels.mental_functions`` -> funktionsevneniveauet for ...

    >>> fact("function_levels.mental_functions")
    'funktionsevneniveauet for mentale funktioner'
    """
    if path.startswith("function_levels."):
        theme = path.split(".", 1)[1]
        return f"funktionsevneniveauet for {THEME.get(theme, theme)}"
    return FACT.get(path, path)


def label(table: dict[str, str], code: str) -> str:
    """The Danish label of ``code``, or the code itself when the table has none."""
    return table.get(code, code)


def labelled(table: dict[str, str], code: str) -> str:
    """The Danish label with the code in parentheses, for auditors: ``udelukket (excluded)``.

    >>> labelled(STATUS, "not_met")
    'ikke opfyldt (not_met)'
    """
    found = table.get(code)
    return f"{found} ({code})" if found and found != code else code
