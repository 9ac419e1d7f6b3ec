"""Render a decision as Danish text for people: caseworkers, citizens, auditors."""

from __future__ import annotations

from .decision import Decision, Referral, SourceRef

ELIGIBILITY_DA = {
    "eligible": "Borgeren opfylder standardens kriterier (i målgruppen)",
    "not_eligible": "Borgeren opfylder ikke standardens kriterier (ikke i målgruppen)",
    "undetermined": "Kan ikke afgøres: der mangler oplysninger",
}
STATUS_DA = {
    "met": "opfyldt", "not_met": "ikke opfyldt", "unknown": "uafklaret",
    "listed": "nævnt i standarden", "not_listed": "ikke nævnt (individuel vurdering)", "excluded": "udelukket",
    "included": "omfattet", "not_addressed": "ikke omtalt (individuel vurdering)",
    "default": "udgangspunkt", "permitted": "mulig", "exception": "undtagelse",
}
FORM_DA = {
    "group": "gruppeforløb", "individual": "individuelt forløb", "group_and_individual": "gruppe- og individuelt forløb",
    "course": "undervisnings-/træningsforløb", "digital": "digital støtte",
}
DEADLINE_DA = {
    "follow_up": "opfølgning", "complaint": "klagefrist", "complaint_reassessment": "genvurdering af klage",
    "duration_review": "revurdering af varighed", "non_use_contact": "kontakt ved manglende brug",
}


def cite(source: SourceRef) -> str:
    ref = f", {source.legal_reference}" if source.legal_reference else ""
    return f"[{source.document}, afsnit \"{source.section}\"{ref}: »{source.quote}«]"


def _referral(referral: Referral) -> str:
    return referral.to + (f" ({referral.legal_basis})" if referral.legal_basis else "")


def to_text(d: Decision) -> str:
    """A plain-text rendering of the whole decision, with every citation."""
    r = d.ruleset
    lines = [
        f"Resultat: {ELIGIBILITY_DA[d.eligibility]}",
        f"Regelsæt: {r.title} ({r.municipality or r.id}), version {r.version}, gyldig fra {r.valid_from}"
        + (f" til {r.valid_to}" if r.valid_to else ""),
        f"Lovgrundlag: {d.legal_basis}. Vurderingsdato: {d.assessment_date}. sps-rules {d.engine_version}.",
        f"Regelsættets sha256: {r.sha256}",
    ]
    for note in r.notes:
        lines.append(f"Note: {note}")
    lines += ["", f"Vigtigt: {d.individual_assessment.text}", f"  {cite(d.individual_assessment.source)}", "", "Kriterier:"]
    for c in d.criteria:
        lines.append(f"- {c.id}: {STATUS_DA[c.status]}. {c.reason}")
        lines.append(f"    {cite(c.source)}")
    if d.missing_facts:
        lines.append(f"Manglende oplysninger: {', '.join(d.missing_facts)}")

    def section(title: str, items: list[tuple[str, SourceRef]]) -> None:
        if items:
            lines.extend(["", title])
            for text, source in items:
                lines.append(f"- {text}")
                lines.append(f"    {cite(source)}")

    section("Støtteformer:", [(f"{FORM_DA[f.form]} ({STATUS_DA[f.status]}): {f.reason}", f.source) for f in d.support_forms])
    section("Behov:", [(f"{n.need}: {STATUS_DA[n.status]}. {n.reason}", n.source) for n in d.needs])
    section("Ønsker:", [(f"{q.request}: {STATUS_DA[q.status]}. {q.reason}", q.source) for q in d.requests])
    section("Udelukket fra støtten:", [
        (f"{e.request}: {e.reason}" + (f" Henvisning: {_referral(e.referral)}" if e.referral else ""), e.source)
        for e in d.exclusions])
    section("Henvisninger:", [(f"{_referral(x)}: {x.reason}", x.source) for x in d.referrals])
    section("Vilkår:", [(f"{c.text}", c.source) for c in d.conditions])
    section("Til sagsbehandlerens individuelle vurdering:", [(a.text, a.source) for a in d.assessments])
    section("Frister:", [
        (f"{DEADLINE_DA[x.kind]}: " + (f"senest {x.due}" if x.due else "ingen dato") + (f", tidligst {x.earliest}" if x.earliest else "")
         + f" ({x.counting}). {x.reason}", x.source)
        for x in d.deadlines])
    return "\n".join(lines) + "\n"
